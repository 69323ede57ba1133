//! A private pluto for the benchmark: its own run directory, NSS database and log file, so it
//! never meets the system's pluto, and torn down however the benchmark ends.

use std::fs;
use std::io;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The prefix of our scratch directories under the temp dir; the pid follows.
const DIR_PREFIX: &str = "ipsecauto-bench.";

pub struct Pluto {
    pub dir: PathBuf,
    pub socket: PathBuf,
    child: Option<Child>,
}

fn run_quiet(cmd: &mut Command) -> io::Result<()> {
    let out = cmd.stdin(Stdio::null()).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::Other,
            format!(
                "{:?} failed ({}): {}",
                cmd,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ))
    }
}

/// Removes scratch directories left by benchmark runs that were killed (their pid is gone).
fn sweep_stale(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            // A pluto orphaned by a killed run may still be removing its own files as it
            // exits: try again if a removal races with it.
            for _ in 0..5 {
                if fs::remove_dir_all(e.path()).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

impl Pluto {
    /// Creates the scratch directory and NSS database, then starts pluto.
    pub fn start() -> io::Result<Pluto> {
        let tmp = std::env::temp_dir();
        sweep_stale(&tmp);
        let dir = tmp.join(format!("{DIR_PREFIX}{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["nss", "run", "ipsec.d"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        fs::write(dir.join("ipsec.secrets"), "")?;
        let d = dir.display();
        fs::write(
            dir.join("pluto.conf"),
            format!(
                "config setup\n\tnssdir={d}/nss\n\tipsecdir={d}/ipsec.d\n\
                 \tsecretsfile={d}/ipsec.secrets\n\tlogfile={d}/pluto.log\n\tdumpdir={d}/run\n"
            ),
        )?;
        run_quiet(
            Command::new("ipsec")
                .arg("initnss")
                .arg("--nssdir")
                .arg(dir.join("nss")),
        )?;
        let mut p = Pluto {
            socket: dir.join("run/pluto.ctl"),
            dir,
            child: None,
        };
        p.launch()?;
        Ok(p)
    }

    fn launch(&mut self) -> io::Result<()> {
        let _ = fs::remove_file(&self.socket);
        let stderr = fs::File::create(self.dir.join("pluto.stderr"))?;
        let mut cmd = Command::new("ipsec");
        cmd.arg("pluto")
            .arg("--nofork")
            .arg("--config")
            .arg(self.dir.join("pluto.conf"))
            .arg("--rundir")
            .arg(self.dir.join("run"))
            .arg("--nssdir")
            .arg(self.dir.join("nss"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        // SAFETY: prctl is async-signal-safe; it makes pluto die with us, even if we are killed.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if UnixStream::connect(&self.socket).is_ok() {
                break;
            }
            if let Some(st) = child.try_wait()? {
                return Err(io::Error::new(
                    io::ErrorKind::Other,
                    format!(
                        "pluto exited ({st}) before listening; see {}",
                        self.dir.join("pluto.stderr").display()
                    ),
                ));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::new(
                    io::ErrorKind::Other,
                    "pluto did not open its control socket",
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child = Some(child);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: plain kill(2) of our own child, by its pid.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while c.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// A fresh pluto with nothing loaded (the cheapest way to forget 10,000 connections).
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        // The log of a 10,000-connection run is large and nobody reads it.
        let _ = fs::remove_file(self.dir.join("pluto.log"));
        self.launch()
    }

    /// The CPU time (user + system) pluto has used since it started.
    pub fn cpu_time(&self) -> Duration {
        let Some(c) = &self.child else {
            return Duration::ZERO;
        };
        let stat = fs::read_to_string(format!("/proc/{}/stat", c.id())).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<u64> = rest
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|v| v.parse().ok())
            .collect();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        let ticks: u64 = f.iter().sum();
        Duration::from_nanos(ticks * 1_000_000_000 / hz)
    }

    pub fn socket_str(&self) -> &str {
        self.socket.to_str().expect("temp dir path is UTF-8")
    }
}

impl Drop for Pluto {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
