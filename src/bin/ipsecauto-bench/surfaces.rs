//! The library's ways in besides `Session`, each behind one function: addconn's whole-file
//! and check-only passes, its messages for a file, the C ABI, the Python bindings. A part
//! that is missing answers `None` (or an error saying why), and the report then says "not yet
//! measurable" instead of a number; bringing a part in or changing its API touches only its
//! function here.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use ipsecauto::addconn::{self, Args, SystemEnv};
use ipsecauto::ffi;
use ipsecauto::ops::Operation;
use ipsecauto::Request;

pub type Result<T> = std::result::Result<T, String>;

/// Runs our addconn with `args`, failing on a non-zero exit or anything it would print on
/// stderr (a benchmark that measures a failing pass measures nothing).
fn addconn_pass(args: &Args) -> Result<()> {
    let mut complaints = Vec::new();
    let code = addconn::run_with_diagnostics(
        args,
        &mut |_| {},
        &mut |d| complaints.push(d.to_string()),
        &mut ipsecauto::ops::NoXauth,
    )
    .map_err(|e| e.to_string())?;
    if code != 0 || !complaints.is_empty() {
        return Err(format!("exit {code}: {}", complaints.join("; ")));
    }
    Ok(())
}

fn args(config: &Path) -> Args {
    Args::new(
        addconn::ConfigSource::File(config.to_path_buf()),
        Vec::new(),
    )
}

fn session(socket: &Path, config: &Path) -> ipsecauto::Session {
    let mut s = ipsecauto::Session::with_socket(socket);
    s.options.config = ipsecauto::ConfigSource::File(config.to_path_buf());
    s
}

/// Our whole-file pass (`Session::add_all`): every `auto=add` conn of `config` added to the
/// pluto at `socket`, as `ipsec addconn --autoall` does.
pub fn whole_file_add(socket: &Path, config: &Path) -> Option<Result<()>> {
    let mut complaints = Vec::new();
    let r = session(socket, config).add_all(&mut |_| {}, &mut |d| complaints.push(d.to_string()));
    Some(match r {
        Ok(0) if complaints.is_empty() => Ok(()),
        Ok(code) => Err(format!("exit {code}: {}", complaints.join("; "))),
        Err(e) => Err(e.to_string()),
    })
}

/// Our check-only pass (`Session::check`, as the C ABI's `ipsecauto_check`): the language
/// only, every problem at once. Runs in a child process, whose peak memory is then measured.
pub fn check_only(config: &Path) -> Option<Result<()>> {
    let problems: Vec<String> = session(Path::new("/nonexistent"), config)
        .check()
        .into_iter()
        .filter(|d| d.severity <= ipsecauto::config::Severity::Error)
        .map(|d| format!("{}:{}: {}", d.file.display(), d.line, d.message))
        .collect();
    Some(if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    })
}

/// Our addconn's `--checkconfig`, in-process: every conn loaded as addconn loads it.
pub fn addconn_checkconfig(config: &Path) -> Option<Result<()>> {
    let a = Args {
        checkconfig: true,
        ..args(config)
    };
    Some(addconn_pass(&a))
}

/// The add messages our addconn builds for every conn of `config`, in file order: what the
/// floor sends.
pub fn addconn_requests(config: &Path) -> ipsecauto::Result<Vec<Request>> {
    let cfg = addconn::load_config(&addconn::ConfigSource::File(config.to_path_buf()))?;
    let mut all = Vec::with_capacity(cfg.conns.len());
    for c in &cfg.conns {
        all.extend(addconn::requests_for(&cfg, c, &SystemEnv)?);
    }
    Ok(all)
}

/// Operations through the C ABI (`ipsecauto_*`), called as a C caller calls them: a session
/// handle, C strings, a line callback, result codes. (The functions are linked in from the
/// crate rather than loaded from libipsecauto.so: the same code, without dlopen.)
pub struct CAbi {
    session: *mut ffi::ipsecauto_session,
}

/// The line callback a C caller would pass: it looks at each line and keeps nothing.
unsafe extern "C" fn ignore_line(_data: *mut c_void, _rc: c_uint, _text: *const c_char) -> c_int {
    0
}

fn c_string(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|e| e.to_string())
}

impl CAbi {
    pub fn open(socket: &Path, config: &Path) -> Option<Result<CAbi>> {
        let mut session = std::ptr::null_mut();
        if ffi::ipsecauto_session_new(&mut session) != ffi::ipsecauto_result::IPSECAUTO_OK {
            return Some(Err("ipsecauto_session_new failed".into()));
        }
        let c = CAbi { session };
        let setup = || -> Result<()> {
            let (sock, conf) = (c_string(socket)?, c_string(config)?);
            for r in [
                ffi::ipsecauto_session_set_ctl_socket(c.session, sock.as_ptr()),
                ffi::ipsecauto_session_set_config_file(c.session, conf.as_ptr()),
                ffi::ipsecauto_session_set_line_callback(
                    c.session,
                    Some(ignore_line),
                    std::ptr::null_mut(),
                ),
            ] {
                if r != ffi::ipsecauto_result::IPSECAUTO_OK {
                    return Err(c.errmsg());
                }
            }
            Ok(())
        };
        Some(setup().map(|()| c))
    }

    fn errmsg(&self) -> String {
        let m = ffi::ipsecauto_session_errmsg(self.session);
        if m.is_null() {
            return "unknown error".into();
        }
        // SAFETY: the library returns a NUL-terminated string valid until the next call.
        unsafe { CStr::from_ptr(m) }.to_string_lossy().into_owned()
    }

    /// Runs `op` and answers the exit status `ipsec auto` would give.
    pub fn run(&mut self, op: Operation, name: &str) -> Result<i32> {
        use ffi::ipsecauto_operation::*;
        let code = match op {
            Operation::Add => IPSECAUTO_OP_ADD,
            Operation::Delete => IPSECAUTO_OP_DELETE,
            Operation::Up => IPSECAUTO_OP_UP,
            Operation::Status => IPSECAUTO_OP_STATUS,
            Operation::ListAll => IPSECAUTO_OP_LISTALL,
            Operation::RereadSecrets => IPSECAUTO_OP_REREADSECRETS,
            other => return Err(format!("no C ABI mapping for {other:?} in the benchmark")),
        };
        let name = CString::new(name).map_err(|e| e.to_string())?;
        let name_ptr = if op.takes_name() {
            name.as_ptr()
        } else {
            std::ptr::null()
        };
        let mut exit = -1;
        let r = ffi::ipsecauto_run(self.session, code as c_uint, name_ptr, &mut exit);
        match r {
            ffi::ipsecauto_result::IPSECAUTO_OK | ffi::ipsecauto_result::IPSECAUTO_STATUS => {
                Ok(exit)
            }
            _ => Err(self.errmsg()),
        }
    }
}

impl Drop for CAbi {
    fn drop(&mut self) {
        ffi::ipsecauto_session_free(self.session);
    }
}

/// Run times in nanoseconds, and the exit status.
pub type Timings = (Vec<u64>, i32);

/// Latencies through the Python bindings, measured inside one Python process
/// (scripts/bench-python.py): per entry of `ops`, its timings or why it failed.
pub fn python(
    socket: &Path,
    config: &Path,
    ops: &[(Operation, &str)],
    runs: usize,
) -> Option<Result<Vec<Result<Timings>>>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::env::current_exe()
        .ok()?
        .with_file_name("libipsecauto.so");
    if !lib.exists() {
        return Some(Err(format!("{} is not built", lib.display())));
    }
    let out = Command::new("python3")
        .arg(root.join("scripts/bench-python.py"))
        .arg(socket)
        .arg(config)
        .arg(runs.to_string())
        .args(ops.iter().map(|(op, name)| format!("{}:{name}", op.flag())))
        .env("PYTHONPATH", root.join("bindings/python"))
        .env("IPSECAUTO_LIBRARY", &lib)
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => return Some(Err(format!("python3: {e}"))),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Some(Err(err
            .lines()
            .last()
            .unwrap_or("python3 failed")
            .to_string()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Result<Timings>> = text
        .lines()
        .map(|l| match l.strip_prefix("! ") {
            Some(why) => Err(why.to_string()),
            None => {
                let mut w = l.split_whitespace().map(str::parse::<i64>);
                let exit = w.next().and_then(|v| v.ok()).ok_or("bad line")?;
                let times = w
                    .map(|v| v.map(|t| t as u64).map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>>>()?;
                Ok((times, exit as i32))
            }
        })
        .collect();
    if rows.len() != ops.len() {
        return Some(Err(format!(
            "{} result lines for {} operations",
            rows.len(),
            ops.len()
        )));
    }
    Some(Ok(rows))
}
