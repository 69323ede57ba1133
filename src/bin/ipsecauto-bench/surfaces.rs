//! The library's ways in besides `Session`, each behind one function: addconn's whole-file
//! and check-only passes, its messages for a file, the C ABI, the Python bindings. A part
//! that is missing answers `None` (or an error saying why), and the report then says "not yet
//! measurable" instead of a number; bringing a part in or changing its API touches only its
//! function here.

use std::ffi::{CStr, CString};
use std::mem::transmute;
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

/// The shared library the C ABI and Python columns load: next to this program.
fn shared_library() -> Result<std::path::PathBuf> {
    let lib = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name("libipsecauto.so");
    if lib.exists() {
        Ok(lib)
    } else {
        Err(format!("{} is not built", lib.display()))
    }
}

type Session = c_void;
type LineCallback = unsafe extern "C" fn(*mut c_void, c_uint, *const c_char) -> c_int;

type SessionNew = unsafe extern "C" fn(*mut *mut Session) -> c_int;
type SessionFree = unsafe extern "C" fn(*mut Session) -> c_int;
type SessionErrmsg = unsafe extern "C" fn(*const Session) -> *const c_char;
type SetString = unsafe extern "C" fn(*mut Session, *const c_char) -> c_int;
type SetLineCallback =
    unsafe extern "C" fn(*mut Session, Option<LineCallback>, *mut c_void) -> c_int;
type Run = unsafe extern "C" fn(*mut Session, c_uint, *const c_char, *mut c_int) -> c_int;

/// The entry points the C ABI column calls, looked up in libipsecauto.so.
struct Entries {
    session_new: SessionNew,
    session_free: SessionFree,
    session_errmsg: SessionErrmsg,
    set_ctl_socket: SetString,
    set_config_file: SetString,
    set_line_callback: SetLineCallback,
    run: Run,
}

/// Operations through the C ABI, as a C program makes them: libipsecauto.so loaded with
/// dlopen, a session handle, C strings, a line callback, result codes.
pub struct CAbi {
    f: Entries,
    session: *mut Session,
}

/// The line callback a C caller would pass: it looks at each line and keeps nothing.
unsafe extern "C" fn ignore_line(_data: *mut c_void, _rc: c_uint, _text: *const c_char) -> c_int {
    0
}

fn c_string(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|e| e.to_string())
}

const OK: c_int = ffi::ipsecauto_result::IPSECAUTO_OK as c_int;
const STATUS: c_int = ffi::ipsecauto_result::IPSECAUTO_STATUS as c_int;

fn load() -> Result<Entries> {
    let lib = c_string(&shared_library()?)?;
    // SAFETY: dlopen with a valid path; the library stays loaded for the process's life.
    let h = unsafe { libc::dlopen(lib.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if h.is_null() {
        return Err("dlopen libipsecauto.so failed".into());
    }
    let sym = |name: &str| -> Result<*mut c_void> {
        let n = CString::new(name).map_err(|e| e.to_string())?;
        // SAFETY: h is a live handle, n a valid C string.
        let p = unsafe { libc::dlsym(h, n.as_ptr()) };
        if p.is_null() {
            Err(format!("libipsecauto.so lacks {name}"))
        } else {
            Ok(p)
        }
    };
    // SAFETY: each symbol has the signature include/ipsecauto.h declares for it.
    unsafe {
        Ok(Entries {
            session_new: transmute::<*mut c_void, SessionNew>(sym("ipsecauto_session_new")?),
            session_free: transmute::<*mut c_void, SessionFree>(sym("ipsecauto_session_free")?),
            session_errmsg: transmute::<*mut c_void, SessionErrmsg>(sym(
                "ipsecauto_session_errmsg",
            )?),
            set_ctl_socket: transmute::<*mut c_void, SetString>(sym(
                "ipsecauto_session_set_ctl_socket",
            )?),
            set_config_file: transmute::<*mut c_void, SetString>(sym(
                "ipsecauto_session_set_config_file",
            )?),
            set_line_callback: transmute::<*mut c_void, SetLineCallback>(sym(
                "ipsecauto_session_set_line_callback",
            )?),
            run: transmute::<*mut c_void, Run>(sym("ipsecauto_run")?),
        })
    }
}

impl CAbi {
    pub fn open(socket: &Path, config: &Path) -> Option<Result<CAbi>> {
        let f = match load() {
            Ok(f) => f,
            Err(e) => return Some(Err(e)),
        };
        let mut session = std::ptr::null_mut();
        // SAFETY: session is a valid out-pointer.
        if unsafe { (f.session_new)(&mut session) } != OK {
            return Some(Err("ipsecauto_session_new failed".into()));
        }
        let c = CAbi { f, session };
        let setup = || -> Result<()> {
            let (sock, conf) = (c_string(socket)?, c_string(config)?);
            // SAFETY: a live session and valid C strings, copied by the library.
            let results = unsafe {
                [
                    (c.f.set_ctl_socket)(c.session, sock.as_ptr()),
                    (c.f.set_config_file)(c.session, conf.as_ptr()),
                    (c.f.set_line_callback)(c.session, Some(ignore_line), std::ptr::null_mut()),
                ]
            };
            if results.iter().any(|&r| r != OK) {
                return Err(c.errmsg());
            }
            Ok(())
        };
        Some(setup().map(|()| c))
    }

    fn errmsg(&self) -> String {
        // SAFETY: a live session.
        let m = unsafe { (self.f.session_errmsg)(self.session) };
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
        // SAFETY: a live session, a valid (or null) name and out-pointer.
        match unsafe { (self.f.run)(self.session, code as c_uint, name_ptr, &mut exit) } {
            OK | STATUS => Ok(exit),
            _ => Err(self.errmsg()),
        }
    }
}

impl Drop for CAbi {
    fn drop(&mut self) {
        // SAFETY: the session came from session_new and is freed once.
        unsafe { (self.f.session_free)(self.session) };
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
    let lib = match shared_library() {
        Ok(l) => l,
        Err(e) => return Some(Err(e)),
    };
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
