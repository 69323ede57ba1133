//! A private pluto for one test: its own directory with rundir, NSS db, ipsec.conf, secrets
//! and log. Dropping the handle kills pluto's process group and removes the directory, also
//! when the test panics. Several can run at once, in the current or another network namespace.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

use super::oracle::{self, Output};

/// How long pluto may take to open its control socket (it usually takes about 50 ms).
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long pluto gets to exit on SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// The last thing pluto logs while starting.
const READY_LINE: &str = "loading secrets from";
/// A Unix socket path must fit sockaddr_un.sun_path with its NUL.
const SUN_PATH_MAX: usize = 107;

/// Where private plutos live: one subdirectory `LABEL-PID-N` each, so debris left by a test
/// process that died can be recognised by its dead PID.
pub fn base_dir() -> PathBuf {
    std::env::temp_dir().join("ipsecauto-pluto")
}

/// What to start.
#[derive(Clone, Debug)]
pub struct Builder {
    label: String,
    dir: Option<PathBuf>,
    netns: Option<String>,
    setup: Vec<String>,
    conns: String,
    secrets: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            label: "pluto".into(),
            dir: None,
            netns: None,
            setup: Vec::new(),
            conns: String::new(),
            secrets: String::new(),
        }
    }
}

impl Builder {
    /// A name for the directory and for messages (letters, digits, '-').
    pub fn label(mut self, label: &str) -> Self {
        self.label = label.into();
        self
    }

    /// Use this directory instead of a fresh one under `base_dir()`; whatever an earlier run
    /// left there (a live pluto, its pid file and socket) is cleared first.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Start pluto inside this (existing) network namespace, via `ip netns exec`.
    pub fn netns(mut self, ns: &str) -> Self {
        self.netns = Some(ns.into());
        self
    }

    /// One more `key=value` line for `config setup`, e.g. `ikev1-policy=accept`.
    pub fn setup(mut self, line: &str) -> Self {
        self.setup.push(line.into());
        self
    }

    /// Text appended to ipsec.conf after `config setup` (conn sections); pluto itself ignores
    /// it, `ipsec auto --config` reads it.
    pub fn conns(mut self, text: &str) -> Self {
        self.conns = text.into();
        self
    }

    /// The contents of ipsec.secrets.
    pub fn secrets(mut self, text: &str) -> Self {
        self.secrets = text.into();
        self
    }

    /// Starts pluto and waits until its control socket accepts connections; panics with the
    /// tail of pluto's log if it does not.
    pub fn start(self) -> Pluto {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// As `start`, but returns why it failed.
    pub fn try_start(self) -> Result<Pluto, String> {
        super::require_root();
        sweep_debris();
        let dir = match &self.dir {
            Some(d) => {
                clear_dir(d);
                d.clone()
            }
            None => {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                base_dir().join(format!("{}-{}-{}", self.label, std::process::id(), n))
            }
        };
        let p = Paths::new(&dir);
        if p.ctl.as_os_str().len() > SUN_PATH_MAX {
            return Err(format!("control socket path too long: {}", p.ctl.display()));
        }
        fs::create_dir_all(&p.rundir).map_err(|e| format!("{}: {e}", p.rundir.display()))?;
        fs::create_dir_all(&p.nssdir).map_err(|e| format!("{}: {e}", p.nssdir.display()))?;
        // From here on the handle owns the directory, so any failure below still cleans up.
        let mut pluto = Pluto {
            child: None,
            dir: dir.clone(),
            rundir: p.rundir.clone(),
            nssdir: p.nssdir.clone(),
            conf: p.conf.clone(),
            secrets: p.secrets.clone(),
            log: p.log.clone(),
            stderr: p.stderr.clone(),
            ctl: p.ctl.clone(),
            netns: self.netns.clone(),
            setup: self.setup.clone(),
            label: self.label.clone(),
            startup: Duration::ZERO,
        };
        let nss = oracle::run(&["ipsec", "initnss", "--nssdir", path_str(&p.nssdir)]);
        if nss.status != 0 {
            return Err(format!("ipsec initnss failed:\n{}", nss.describe()));
        }
        pluto.write_conns(&self.conns);
        fs::write(&p.secrets, &self.secrets).map_err(|e| format!("secrets: {e}"))?;
        let stderr = fs::File::create(&p.stderr).map_err(|e| format!("stderr file: {e}"))?;

        let mut argv: Vec<String> = Vec::new();
        if let Some(ns) = &self.netns {
            argv.extend(["ip", "netns", "exec", ns].map(String::from));
        }
        argv.extend(
            [
                "ipsec",
                "pluto",
                "--nofork",
                "--config",
                path_str(&p.conf),
                "--rundir",
                path_str(&p.rundir),
                "--nssdir",
                path_str(&p.nssdir),
            ]
            .map(String::from),
        );
        let started = Instant::now();
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(stderr.try_clone().map_err(|e| e.to_string())?)
            .stderr(stderr)
            // Its own process group, so teardown reaches pluto and whatever it forks (updown).
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill pluto should the
        // thread that started it (the test) vanish without running Drop.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        pluto.child = Some(
            cmd.spawn()
                .map_err(|e| format!("cannot start `{}`: {e}", argv.join(" ")))?,
        );
        loop {
            if let Some(status) = pluto.child.as_mut().unwrap().try_wait().unwrap() {
                return Err(format!(
                    "pluto ({}) exited with {status} before opening {}\n{}",
                    self.label,
                    p.ctl.display(),
                    pluto.diagnostics(40)
                ));
            }
            if pluto.ready() {
                break;
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                return Err(format!(
                    "pluto ({}) did not open {} within {STARTUP_TIMEOUT:?}\n{}",
                    self.label,
                    p.ctl.display(),
                    pluto.diagnostics(40)
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
        pluto.startup = started.elapsed();
        Ok(pluto)
    }
}

/// A running private pluto. Its paths are public for tests to read and pass to tools.
#[derive(Debug)]
pub struct Pluto {
    child: Option<Child>,
    pub dir: PathBuf,
    pub rundir: PathBuf,
    pub nssdir: PathBuf,
    /// ipsec.conf: `config setup` plus whatever conns the test wrote.
    pub conf: PathBuf,
    pub secrets: PathBuf,
    /// pluto's own log (`logfile=`).
    pub log: PathBuf,
    /// Where pluto's stdout and stderr go (start-up complaints before the log opens).
    pub stderr: PathBuf,
    /// The control socket.
    pub ctl: PathBuf,
    pub netns: Option<String>,
    setup: Vec<String>,
    label: String,
    /// From spawn to the control socket accepting a connection.
    pub startup: Duration,
}

impl Pluto {
    /// A pluto with no conns and empty secrets in the current namespace.
    pub fn start() -> Pluto {
        Builder::default().start()
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Whether start-up is over: the control socket listens and pluto has found its
    /// interfaces and loaded its secrets (before that, `--status` would list no interfaces).
    /// Checked without connecting, since a probe connection leaves an error in pluto's log.
    fn ready(&self) -> bool {
        let listening = fs::read_to_string(format!("/proc/{}/net/unix", self.pid()))
            .unwrap_or_default()
            .lines()
            .any(|l| {
                // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000: listening.
                let f: Vec<&str> = l.split_whitespace().collect();
                f.len() >= 8 && f[3] == "00010000" && Path::new(f[7]) == self.ctl
            });
        listening && self.log_text().contains(READY_LINE)
    }

    /// pluto's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    /// Rewrites ipsec.conf as `config setup` (paths and the builder's extras) followed by
    /// `conns`.
    pub fn write_conns(&self, conns: &str) {
        let mut text = String::from("config setup\n");
        for (k, v) in [
            ("nssdir", &self.nssdir),
            ("ipsecdir", &self.dir),
            ("secretsfile", &self.secrets),
            ("logfile", &self.log),
            ("dumpdir", &self.rundir),
        ] {
            text.push_str(&format!("\t{k}={}\n", v.display()));
        }
        for line in &self.setup {
            text.push_str(&format!("\t{line}\n"));
        }
        text.push('\n');
        text.push_str(conns);
        fs::write(&self.conf, text).unwrap_or_else(|e| panic!("{}: {e}", self.conf.display()));
    }

    /// Replaces ipsec.secrets and has pluto reread it.
    pub fn set_secrets(&self, text: &str) {
        fs::write(&self.secrets, text)
            .unwrap_or_else(|e| panic!("{}: {e}", self.secrets.display()));
        self.whack(&["--rereadsecrets"]).ok();
    }

    /// `ipsec whack --ctlsocket CTL ARGS...` against this pluto.
    pub fn whack(&self, args: &[&str]) -> Output {
        oracle::whack(&self.ctl, args)
    }

    /// `ipsec auto --config CONF --ctlsocket CTL ARGS...` against this pluto, run in its
    /// namespace.
    pub fn auto(&self, args: &[&str]) -> Output {
        oracle::auto(self.netns.as_deref(), &self.ctl, &self.conf, args)
    }

    /// `whack --status` output; panics if whack fails.
    pub fn status(&self) -> String {
        self.whack(&["--status"]).ok().stdout
    }

    /// The whole log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `n` lines of the log and everything pluto printed, for failure messages.
    pub fn diagnostics(&self, n: usize) -> String {
        let log = self.log_text();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(n)..].join("\n");
        let stderr = fs::read_to_string(&self.stderr).unwrap_or_default();
        format!(
            "--- last {n} lines of {}\n{tail}\n--- pluto stdout/stderr\n{stderr}",
            self.log.display()
        )
    }

    /// Stops pluto now (as Drop does) and reports whether it was still running.
    pub fn stop(mut self) -> bool {
        self.teardown()
    }

    fn teardown(&mut self) -> bool {
        let mut was_running = false;
        if let Some(mut child) = self.child.take() {
            was_running = child.try_wait().ok().flatten().is_none();
            let pgid = child.id() as libc::pid_t;
            // SAFETY: signalling our own child's process group.
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
            let deadline = Instant::now() + STOP_GRACE;
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
            // Also reaches helpers pluto forked, which may outlive it.
            // SAFETY: as above.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            let _ = child.wait();
        }
        if thread::panicking() {
            eprintln!(
                "pluto ({}) at teardown:\n{}",
                self.label,
                self.diagnostics(30)
            );
        }
        let _ = fs::remove_dir_all(&self.dir);
        was_running
    }
}

impl Drop for Pluto {
    fn drop(&mut self) {
        self.teardown();
    }
}

struct Paths {
    rundir: PathBuf,
    nssdir: PathBuf,
    conf: PathBuf,
    secrets: PathBuf,
    log: PathBuf,
    stderr: PathBuf,
    ctl: PathBuf,
}

impl Paths {
    fn new(dir: &Path) -> Paths {
        Paths {
            rundir: dir.join("run"),
            nssdir: dir.join("nss"),
            conf: dir.join("ipsec.conf"),
            secrets: dir.join("ipsec.secrets"),
            log: dir.join("pluto.log"),
            stderr: dir.join("pluto.stderr"),
            ctl: dir.join("run").join("pluto.ctl"),
        }
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Kills every process whose command line mentions `dir` (a pluto left behind there) and
/// removes the directory.
pub fn clear_dir(dir: &Path) {
    kill_processes_mentioning(dir);
    let _ = fs::remove_dir_all(dir);
}

/// SIGKILLs processes whose command line contains `needle` followed by '/' or its end; returns
/// their ids.
pub fn kill_processes_mentioning(needle: &Path) -> Vec<u32> {
    let pids = processes_mentioning(needle);
    for &pid in &pids {
        // SAFETY: plain kill(2) on a process we identified as our own debris.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    pids
}

/// Whether process `pid` exists and is not a zombie (which holds nothing but its exit status).
pub fn alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "pid (comm) S ...": the state follows the last ')'.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Ids of processes whose command line mentions `needle` (as a path or path prefix).
pub fn processes_mentioning(needle: &Path) -> Vec<u32> {
    let needle = needle.to_string_lossy().into_owned();
    let me = std::process::id();
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(cmdline) = fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let mentions = cmdline.split(|&b| b == 0).any(|arg| {
            let arg = String::from_utf8_lossy(arg);
            arg.match_indices(&needle)
                .any(|(i, _)| matches!(arg[i + needle.len()..].chars().next(), None | Some('/')))
        });
        // A zombie has an empty command line and holds nothing.
        if mentions {
            found.push(pid);
        }
    }
    found
}

/// Once per test process: removes what test processes that are gone left under `base_dir()`
/// (their plutos included).
fn sweep_debris() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sweep_debris_now);
}

/// Removes directories `LABEL-PID-N` under `base_dir()` whose PID is gone, killing what runs
/// there. Names of any other form are left alone.
pub fn sweep_debris_now() {
    let Ok(entries) = fs::read_dir(base_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let owner = name.rsplit('-').nth(1).and_then(|p| p.parse::<u32>().ok());
        if owner.is_some_and(|p| !alive(p)) {
            clear_dir(&e.path());
        }
    }
}
