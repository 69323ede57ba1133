//! Running libreswan's own tools (the oracle) and other commands, with a bound on their time.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long any one tool may take before it is killed; a stuck tool must fail its test, not
/// hang CI.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(30);

/// What a finished command left behind.
#[derive(Clone, Debug)]
pub struct Output {
    /// The exit status; 128 + signal number if a signal ended it (as a shell reports it).
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
    pub elapsed: Duration,
}

impl Output {
    /// Panics with the command and everything it printed unless it exited 0.
    pub fn ok(self) -> Output {
        assert!(self.status == 0, "{}", self.describe());
        self
    }

    /// A multi-line account of the run, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "`{}` exited {} after {:?}\n--- stdout\n{}--- stderr\n{}",
            self.command, self.status, self.elapsed, self.stdout, self.stderr
        )
    }
}

/// Runs `argv` (optionally inside network namespace `netns`), with `timeout`.
pub fn run_in(netns: Option<&str>, argv: &[&str], timeout: Duration) -> Output {
    run_full(netns, argv, None, timeout)
}

/// Runs `argv` with `input` on its standard input.
pub fn run_with_input(argv: &[&str], input: &[u8]) -> Output {
    run_full(None, argv, Some(input), TOOL_TIMEOUT)
}

/// The general form: namespace, standard input (none: /dev/null), timeout.
pub fn run_full(
    netns: Option<&str>,
    argv: &[&str],
    input: Option<&[u8]>,
    timeout: Duration,
) -> Output {
    let mut full: Vec<&str> = Vec::new();
    if let Some(ns) = netns {
        full.extend(["ip", "netns", "exec", ns]);
    }
    full.extend_from_slice(argv);
    let command = full.join(" ");
    let start = Instant::now();
    let mut child = Command::new(full[0])
        .args(&full[1..])
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        let input = input.to_vec();
        // Written from a thread so a tool that does not read cannot block us; closing ends it.
        thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&input);
        });
    }
    // Drain both pipes while waiting so a chatty tool cannot block on a full pipe.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let status = loop {
        if let Some(s) = child.try_wait().expect("waitpid") {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let s = child.wait().expect("waitpid");
            let (o, e) = (out.join().unwrap(), err.join().unwrap());
            panic!(
                "`{command}` did not finish within {timeout:?} ({s}); stdout:\n{o}\nstderr:\n{e}"
            );
        }
        thread::sleep(Duration::from_millis(5));
    };
    use std::os::unix::process::ExitStatusExt;
    let status = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        command,
        elapsed: start.elapsed(),
    }
}

/// Runs `argv` in the current namespace with the default timeout.
pub fn run(argv: &[&str]) -> Output {
    run_in(None, argv, TOOL_TIMEOUT)
}

/// `ipsec whack --ctlsocket CTL ARGS...`.
pub fn whack(ctl: &Path, args: &[&str]) -> Output {
    let ctl = ctl.to_str().expect("UTF-8 socket path");
    let mut argv = vec!["ipsec", "whack", "--ctlsocket", ctl];
    argv.extend_from_slice(args);
    run(&argv)
}

/// `ipsec auto --config CONF --ctlsocket CTL ARGS...`, inside `netns` if given (addconn
/// resolves `%defaultroute` and interfaces from the namespace it runs in).
pub fn auto(netns: Option<&str>, ctl: &Path, config: &Path, args: &[&str]) -> Output {
    let ctl = ctl.to_str().expect("UTF-8 socket path");
    let config = config.to_str().expect("UTF-8 config path");
    let mut argv = vec!["ipsec", "auto", "--config", config, "--ctlsocket", ctl];
    argv.extend_from_slice(args);
    run_in(netns, &argv, TOOL_TIMEOUT)
}
