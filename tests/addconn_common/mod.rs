//! Shared by the addconn differential tests: capturing sockets, the oracle
//! (`ipsec addconn`), our `addconn::run`, and the comparison that ignores bytes the oracle
//! leaves uninitialised.
#![allow(dead_code)]

use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipsecauto::addconn::{self, Args, ConfigSource};

/// A scratch directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("addconn-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A listening socket that records each connection's bytes and closes it without answering.
pub struct Capture {
    pub path: PathBuf,
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Capture {
    pub fn new(path: PathBuf) -> Capture {
        Capture::answering(path, b"")
    }

    /// A capture that answers every message with `reply` before closing.
    pub fn answering(path: PathBuf, reply: &'static [u8]) -> Capture {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind capture socket");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let m = messages.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(mut s) = s else { break };
                // One write per message: the first read has it all; then wait for the rest
                // briefly in case the kernel split it.
                let mut data = Vec::new();
                let mut buf = vec![0u8; 1 << 16];
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                if let Ok(n) = s.read(&mut buf) {
                    data.extend_from_slice(&buf[..n]);
                }
                let _ = s.set_read_timeout(Some(Duration::from_millis(2)));
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    data.extend_from_slice(&buf[..n]);
                }
                m.lock().unwrap().push(data);
                let _ = std::io::Write::write_all(&mut s, reply);
            }
        });
        Capture { path, messages }
    }
    pub fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.messages.lock().unwrap())
    }
}

pub type Outcome = (i32, Vec<Vec<u8>>);

pub fn oracle(cap: &Capture, conf: &Path, name: &str) -> Outcome {
    oracle_args(cap, conf, &[name])
}

/// `ipsec addconn --ctlsocket CAP --config CONF ARGS...`.
pub fn oracle_args(cap: &Capture, conf: &Path, args: &[&str]) -> Outcome {
    let out = Command::new("ipsec")
        .arg("addconn")
        .arg("--ctlsocket")
        .arg(&cap.path)
        .arg("--config")
        .arg(conf)
        .args(args)
        .output()
        .expect("run ipsec addconn");
    // The capture stores each message before answering, and addconn waits for the answer:
    // everything is stored by the time it exits.
    (out.status.code().unwrap_or(-1), cap.take())
}

pub fn ours(cap: &Capture, conf: &Path, name: &str) -> Outcome {
    let mut args = Args::new(ConfigSource::File(conf.into()), vec![name.to_string()]);
    args.ctlsocket = cap.path.clone();
    args.timeout = Some(Duration::from_secs(10));
    ours_with(cap, args)
}

/// Our run with `args` (socket already pointing at `cap`).
pub fn ours_with(cap: &Capture, args: Args) -> Outcome {
    let status = match addconn::run(&args, &mut |_| {}, &mut |_| None) {
        Ok(s) => s,
        Err(e) => addconn::exit_status_for(&e),
    };
    (status, cap.take())
}

/// Whether `new` agrees with the oracle runs, ignoring bytes that vary between them.
pub fn agrees(refs: &[Outcome], new: &Outcome) -> bool {
    let r = &refs[0];
    if r.0 != new.0 || r.1.len() != new.1.len() {
        return false;
    }
    for (i, (a, b)) in r.1.iter().zip(&new.1).enumerate() {
        if a == b {
            continue;
        }
        if a.len() != b.len()
            || refs
                .iter()
                .any(|x| x.1.len() != r.1.len() || x.1[i].len() != a.len())
        {
            return false;
        }
        for k in 0..a.len() {
            if a[k] != b[k] && refs[1..].iter().all(|x| x.1[i][k] == a[k]) {
                return false;
            }
        }
    }
    true
}

/// What differs, in conformance.py's words.
pub fn describe(r: &Outcome, n: &Outcome) -> String {
    let mut why = Vec::new();
    if r.0 != n.0 {
        why.push(format!("exit {} vs {}", r.0, n.0));
    }
    if r.1.len() != n.1.len() {
        why.push(format!("{} vs {} messages", r.1.len(), n.1.len()));
    } else {
        for (i, (a, b)) in r.1.iter().zip(&n.1).enumerate() {
            if a != b {
                let d = a
                    .iter()
                    .zip(b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                why.push(format!(
                    "msg {i}: {} vs {} bytes, first difference at offset {d}",
                    a.len(),
                    b.len()
                ));
                break;
            }
        }
    }
    why.join("; ")
}
