//! Timing and memory measurement: statistics over runs, spawned tools (with their rusage),
//! our own peak memory.

use std::io::{self, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Median and 99th percentile of a set of runs.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub median: Duration,
    pub p99: Duration,
}

pub fn summarize(mut v: Vec<Duration>) -> Summary {
    assert!(!v.is_empty(), "no runs to summarize");
    v.sort_unstable();
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    };
    // Nearest-rank percentile: the smallest value at or above 99% of the runs.
    let rank = ((n * 99 + 99) / 100).max(1);
    Summary {
        median,
        p99: v[rank - 1],
    }
}

/// The median of a few runs (bulk passes, where each run is long).
pub fn median(v: &[Duration]) -> Duration {
    summarize(v.to_vec()).median
}

/// What a spawned tool did.
pub struct Spawned {
    pub elapsed: Duration,
    /// From the start of the spawn to the first byte on stdout.
    pub first_byte: Option<Duration>,
    pub status: ExitStatus,
    pub stdout_bytes: u64,
    /// ru_maxrss of the child, KiB.
    pub max_rss_kib: u64,
    /// User plus system time of the child (and its waited-for children).
    pub cpu: Duration,
}

fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

impl Spawned {
    pub fn code(&self) -> i32 {
        exit_code(self.status)
    }
}

/// Runs `cmd` as a plugin would (`output()`: stdout and stderr captured) and times it.
pub fn spawn_timed(cmd: &mut Command) -> io::Result<(Duration, i32)> {
    let t = Instant::now();
    let out = cmd.stdin(Stdio::null()).output()?;
    Ok((t.elapsed(), exit_code(out.status)))
}

/// Runs `ipsec ARGS...` as `spawn_rusage` does, from a fresh small process (this program's
/// `--child spawn` mode).
///
/// A child's ru_maxrss starts at the peak of the memory it was forked from, and the benchmark
/// itself grows large (10,000 encoded messages): measured from here, a 3 MiB tool would appear
/// as big as the benchmark. The intermediate process is small, so its share is negligible.
pub fn spawn_measured(prog: &str, args: &[&str]) -> io::Result<Spawned> {
    let mut a = vec!["spawn", prog];
    a.extend_from_slice(args);
    let kv = run_child(&a)?;
    Ok(Spawned {
        elapsed: Duration::from_nanos(field(&kv, "elapsed_ns")?),
        first_byte: field(&kv, "first_ns").ok().map(Duration::from_nanos),
        status: ExitStatus::from_raw(field(&kv, "wait_status")? as i32),
        stdout_bytes: field(&kv, "stdout_bytes")?,
        max_rss_kib: field(&kv, "max_rss_kib")?,
        cpu: Duration::from_nanos(field(&kv, "cpu_ns")?),
    })
}

/// The `--child spawn PROG ARGS...` mode: measures one run and reports it.
pub fn child_spawn(args: &[String]) -> io::Result<()> {
    let (prog, rest) = args
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::Other, "spawn needs a program"))?;
    let s = spawn_rusage(Command::new(prog).args(rest))?;
    let first = s
        .first_byte
        .map(|d| format!(" first_ns={}", d.as_nanos()))
        .unwrap_or_default();
    println!(
        "elapsed_ns={}{first} wait_status={} stdout_bytes={} max_rss_kib={} cpu_ns={}",
        s.elapsed.as_nanos(),
        s.status.into_raw(),
        s.stdout_bytes,
        s.max_rss_kib,
        s.cpu.as_nanos()
    );
    Ok(())
}

/// Runs `cmd`, reading its stdout through (and discarding it), then reaps it with wait4 for its
/// resource usage.
pub fn spawn_rusage(cmd: &mut Command) -> io::Result<Spawned> {
    let t = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut buf = vec![0u8; 64 * 1024];
    let mut first_byte = None;
    let mut stdout_bytes = 0u64;
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                first_byte.get_or_insert_with(|| t.elapsed());
                stdout_bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it for our own child's pid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let r = loop {
        // SAFETY: status and ru are valid for writing.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break r;
        }
    };
    let elapsed = t.elapsed();
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Spawned {
        elapsed,
        first_byte,
        status: ExitStatus::from_raw(status),
        stdout_bytes,
        max_rss_kib: ru.ru_maxrss as u64,
        cpu: cpu_time(&ru),
    })
}

fn cpu_time(ru: &libc::rusage) -> Duration {
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// User plus system time this process has used so far.
pub fn own_cpu_time() -> Duration {
    // SAFETY: zeroed rusage is a valid value for getrusage to fill.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: ru is valid for writing.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    cpu_time(&ru)
}

/// A field of /proc/self/status, in KiB (VmHWM: peak resident set; VmRSS: current).
pub fn proc_status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs this program again in a child mode and parses its `key=value` report line.
pub fn run_child(args: &[&str]) -> io::Result<Vec<(String, String)>> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .arg("--child")
        .args(args)
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::new(
            io::ErrorKind::Other,
            format!(
                "child {:?} failed ({}): {}",
                args,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    Ok(line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// A numeric field of a child's report.
pub fn field(kv: &[(String, String)], key: &str) -> io::Result<u64> {
    kv.iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Other,
                format!("child report lacks {key}: {kv:?}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_and_nearest_rank_p99() {
        let s = summarize(ms(&[5, 1, 3]));
        assert_eq!(
            (s.median, s.p99),
            (Duration::from_millis(3), Duration::from_millis(5))
        );
        let s = summarize(ms(&[4, 1, 3, 2]));
        assert_eq!(s.median, Duration::from_micros(2500));
        // 200 runs: the 198th smallest is the 99th percentile; two outliers stay above it.
        let mut v: Vec<u64> = (1..=198).collect();
        v.extend([10_000, 20_000]);
        let s = summarize(ms(&v));
        assert_eq!(s.p99, Duration::from_millis(198));
    }

    #[test]
    fn a_spawned_tool_reports_its_exit_status_and_output() {
        let s = spawn_rusage(Command::new("sh").args(["-c", "printf abc; exit 3"])).unwrap();
        assert_eq!((s.code(), s.stdout_bytes), (3, 3));
        assert!(s.first_byte.is_some() && s.max_rss_kib > 0);
    }
}
