//! The C ABI, called as C calls it: every operation sends the bytes the Rust API sends, the
//! non-blocking form works from a poll loop, every failure kind gets its code, and misuse
//! (NULLs, bad UTF-8, freed handles, refusing callbacks) gets a code instead of a crash.

mod support;

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ipsecauto::ffi::ipsecauto_operation::{self, *};
use ipsecauto::ffi::ipsecauto_result::{self, *};
use ipsecauto::ffi::*;
use ipsecauto::ops::{Operation, Session};
use ipsecauto::reply::Line;
use support::capture::{Capture, Script, Step};

/// A directory for one test's sockets and files, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Scratch {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "ipsecauto-ffi-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A session talking to `path`, collecting lines into `lines` (which must outlive it).
fn session(path: &std::path::Path, lines: &mut Vec<(u32, String)>) -> *mut ipsecauto_session {
    let mut s = null_mut();
    assert_eq!(ipsecauto_session_new(&mut s), IPSECAUTO_OK);
    let p = c(path.to_str().unwrap());
    assert_eq!(
        ipsecauto_session_set_ctl_socket(s, p.as_ptr()),
        IPSECAUTO_OK
    );
    assert_eq!(
        ipsecauto_session_set_line_callback(s, Some(collect), (lines as *mut Vec<_>).cast()),
        IPSECAUTO_OK
    );
    s
}

unsafe extern "C" fn collect(data: *mut c_void, rc: c_uint, text: *const c_char) -> c_int {
    let v = &mut *(data as *mut Vec<(u32, String)>);
    v.push((rc, CStr::from_ptr(text).to_str().unwrap().to_string()));
    0
}

unsafe extern "C" fn refuse(_: *mut c_void, _: c_uint, _: *const c_char) -> c_int {
    7
}

fn errmsg(s: *const ipsecauto_session) -> String {
    unsafe { CStr::from_ptr(ipsecauto_session_errmsg(s)) }
        .to_str()
        .unwrap()
        .to_string()
}

/// The Rust API's operation, where `ipsec auto` has one (not for the whole-file pass).
fn ops_operation(op: ipsecauto_operation) -> Option<Operation> {
    Operation::from_flag(&format!("{op:?}")["IPSECAUTO_OP_".len()..].to_lowercase())
}

/// Every operation that needs no configuration, through `ipsecauto_run` and through the
/// per-operation function, sends exactly what the Rust API sends.
#[test]
fn every_config_free_operation_sends_the_rust_apis_bytes() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"000 fine\n"));
    let mut lines = Vec::new();
    let s = session(cap.path(), &mut lines);
    let west = c("west");
    let remote = c("192.0.2.9");
    for utc in [false, true] {
        for asynchronous in [false, true] {
            ipsecauto_session_set_utc(s, utc);
            ipsecauto_session_set_asynchronous(s, asynchronous);
            ipsecauto_session_set_remote_host(s, if utc { remote.as_ptr() } else { null() });
            for op in ipsecauto_operation::ALL {
                let Some(rust_op) = ops_operation(op) else {
                    continue; // the whole-file pass runs addconn: see showonly below
                };
                if matches!(
                    rust_op,
                    Operation::Add
                        | Operation::Replace
                        | Operation::Start
                        | Operation::Ondemand
                        | Operation::FetchCrls
                ) {
                    continue; // these run addconn: covered once the configuration layer lands
                }
                let name = if op.takes_name() {
                    west.as_ptr()
                } else {
                    null()
                };
                let mut status = -1;
                let r = ipsecauto_run(s, op as c_uint, name, &mut status);
                assert_eq!((r, status), (IPSECAUTO_OK, 0), "{op:?}: {}", errmsg(s));
                let ours = cap.wait_take(1, Duration::from_secs(5));
                let mut rust = Session::with_socket(cap.path());
                rust.options.utc = utc;
                rust.options.asynchronous = asynchronous;
                rust.options.remote_host = utc.then(|| "192.0.2.9".to_string());
                let name = if op.takes_name() { "west" } else { "" };
                rust.run(rust_op, name, |_: &Line| {}).unwrap();
                let theirs = cap.wait_take(1, Duration::from_secs(5));
                assert_eq!(ours, theirs, "{op:?} utc={utc} async={asynchronous}");
                assert_eq!(lines.pop(), Some((0, "fine".to_string())));
            }
        }
    }
    // The per-operation functions are the same calls.
    let mut status = -1;
    assert_eq!(ipsecauto_up(s, west.as_ptr(), &mut status), IPSECAUTO_OK);
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_OK);
    assert_eq!(cap.wait_take(2, Duration::from_secs(5)).len(), 2);
    assert_eq!(ipsecauto_session_free(s), IPSECAUTO_OK);
}

#[test]
fn showonly_streams_the_command_lines_and_sends_nothing() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b""));
    let mut lines = Vec::new();
    let s = session(cap.path(), &mut lines);
    ipsecauto_session_set_showonly(s, true);
    ipsecauto_session_set_asynchronous(s, true);
    let mut status = -1;
    assert_eq!(
        ipsecauto_up(s, c("west").as_ptr(), &mut status),
        IPSECAUTO_OK
    );
    assert_eq!(status, 0);
    let mut rust = Session::with_socket(cap.path());
    rust.options.asynchronous = true;
    let expected: Vec<_> = rust
        .show(Operation::Up, "west")
        .into_iter()
        .map(|l| (0, l))
        .collect();
    assert_eq!(lines, expected);
    // The whole-file pass is addconn's --autoall.
    lines.clear();
    let conf = c("/etc/ipsec.d/x.conf");
    ipsecauto_session_set_config_file(s, conf.as_ptr());
    assert_eq!(ipsecauto_autoall(s, &mut status), IPSECAUTO_OK);
    let expected = format!(
        "ipsec addconn --ctlsocket {} --config /etc/ipsec.d/x.conf --autoall",
        cap.path().display()
    );
    assert_eq!(lines, [(0, expected)]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(cap.accepted(), 0);
    ipsecauto_session_free(s);
}

/// pluto's answers: lines with their codes, a non-zero status with pluto's line as message.
#[test]
fn pluto_error_lines_give_status_and_message() {
    let dir = scratch();
    let cap = Capture::start(
        dir.join("ctl"),
        Script::answer(b"000 looking\n021 no connection named \"west\"\n"),
    );
    let mut lines = Vec::new();
    let s = session(cap.path(), &mut lines);
    let mut status = -1;
    let r = ipsecauto_up(s, c("west").as_ptr(), &mut status);
    assert_eq!((r, status), (IPSECAUTO_STATUS, 21));
    assert_eq!(errmsg(s), "no connection named \"west\"");
    assert_eq!(ipsecauto_session_errcode(s), IPSECAUTO_STATUS);
    assert_eq!(
        lines,
        [
            (0, "looking".to_string()),
            (21, "no connection named \"west\"".to_string())
        ]
    );
    // A success clears the message.
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_OK);
    assert_eq!(errmsg(s), "");
    ipsecauto_session_free(s);
}

#[test]
fn each_failure_kind_has_its_code() {
    let dir = scratch();
    let mut lines = Vec::new();
    // Not running: no socket file.
    let s = session(&dir.join("absent"), &mut lines);
    let mut status = -1;
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_NOT_RUNNING);
    assert_eq!(status, ipsecauto::reply::rc::WHACK_PROBLEM as c_int);
    assert!(errmsg(s).contains("not running"), "{}", errmsg(s));
    ipsecauto_session_free(s);

    // Refused: a socket file nobody listens on.
    let stale = dir.join("stale");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let s = session(&stale, &mut lines);
    assert_eq!(
        ipsecauto_status(s, &mut status),
        IPSECAUTO_CONNECTION_REFUSED
    );
    ipsecauto_session_free(s);

    // Timeout: pluto never answers.
    let cap = Capture::start(dir.join("hang"), Script::never_answer());
    let s = session(cap.path(), &mut lines);
    ipsecauto_session_set_timeout_ms(s, 200);
    let t = std::time::Instant::now();
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_TIMEOUT);
    assert!(t.elapsed() < Duration::from_secs(3));
    ipsecauto_session_free(s);

    // Protocol: a line without its code.
    let cap = Capture::start(dir.join("bad"), Script::answer(b"000 a\nnonsense\n"));
    let s = session(cap.path(), &mut lines);
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_PROTOCOL);
    assert_eq!(status, ipsecauto::reply::rc::WHACK_PROBLEM as c_int);
    ipsecauto_session_free(s);

    // Permission denied: a socket we may not write to (root ignores modes: drop to nobody).
    // Checked in the Python suite, which can fork as another user.

    // Usage: missing or extra names, unknown operations.
    let s = session(&dir.join("absent"), &mut lines);
    assert_eq!(ipsecauto_up(s, null(), &mut status), IPSECAUTO_USAGE);
    assert_eq!(status, 2);
    assert_eq!(
        ipsecauto_up(s, c("").as_ptr(), &mut status),
        IPSECAUTO_USAGE
    );
    assert_eq!(
        ipsecauto_run(
            s,
            IPSECAUTO_OP_STATUS as c_uint,
            c("x").as_ptr(),
            &mut status
        ),
        IPSECAUTO_USAGE
    );
    assert_eq!(ipsecauto_run(s, 0, null(), &mut status), IPSECAUTO_USAGE);
    assert_eq!(ipsecauto_run(s, 999, null(), &mut status), IPSECAUTO_USAGE);
    assert!(errmsg(s).contains("999"));
    ipsecauto_session_free(s);
}

unsafe extern "C" fn xauth_answer(
    data: *mut c_void,
    prompt: ipsecauto_prompt,
    buf: *mut c_char,
    size: usize,
) -> c_int {
    let asked = &mut *(data as *mut Vec<ipsecauto_prompt>);
    asked.push(prompt);
    let answer: &[u8] = match prompt {
        ipsecauto_prompt::IPSECAUTO_PROMPT_USERNAME => b"alice\0",
        ipsecauto_prompt::IPSECAUTO_PROMPT_PASSWORD => b"s3cret\0",
    };
    assert_eq!(size, IPSECAUTO_XAUTH_MAX);
    std::ptr::copy_nonoverlapping(answer.as_ptr(), buf.cast(), answer.len());
    0
}

unsafe extern "C" fn xauth_decline(
    _: *mut c_void,
    _: ipsecauto_prompt,
    _: *mut c_char,
    _: usize,
) -> c_int {
    -1
}

fn xauth_script() -> Script {
    Script(vec![
        Step::Receive,
        Step::Send(b"041 Enter username:\n".to_vec()),
        Step::Receive,
        Step::Send(b"040 Enter password:\n".to_vec()),
        Step::Receive,
        Step::Send(b"004 up\n".to_vec()),
    ])
}

#[test]
fn xauth_prompts_are_answered_by_the_callback_and_declines_fail() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), xauth_script());
    let mut lines = Vec::new();
    let s = session(cap.path(), &mut lines);
    let mut asked: Vec<ipsecauto_prompt> = Vec::new();
    ipsecauto_session_set_xauth_callback(s, Some(xauth_answer), (&mut asked as *mut Vec<_>).cast());
    let mut status = -1;
    let r = ipsecauto_up(s, c("west").as_ptr(), &mut status);
    assert_eq!((r, status), (IPSECAUTO_OK, 0), "{}", errmsg(s));
    assert_eq!(
        asked,
        [
            ipsecauto_prompt::IPSECAUTO_PROMPT_USERNAME,
            ipsecauto_prompt::IPSECAUTO_PROMPT_PASSWORD
        ]
    );
    let rec = cap.take_records();
    assert_eq!(
        rec[0].parts[1..],
        [b"alice\0".to_vec(), b"s3cret\0".to_vec()]
    );
    assert_eq!(lines.last(), Some(&(4, "up".to_string())));

    // Declining, or having no callback at all, fails with its code; no secret in the message.
    for cb in [Some(xauth_decline as _), None] {
        cap.push(xauth_script());
        ipsecauto_session_set_xauth_callback(s, cb, null_mut());
        let r = ipsecauto_up(s, c("west").as_ptr(), &mut status);
        assert_eq!(r, IPSECAUTO_XAUTH_DECLINED, "{}", errmsg(s));
        assert!(errmsg(s).contains("username"));
    }
    ipsecauto_session_free(s);
}

#[test]
fn a_refusing_line_callback_abandons_the_operation() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"000 a\n000 b\n000 c\n"));
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    ipsecauto_session_set_ctl_socket(s, c(cap.path().to_str().unwrap()).as_ptr());
    ipsecauto_session_set_line_callback(s, Some(refuse), null_mut());
    let mut status = -1;
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_CALLBACK_FAILED);
    assert!(errmsg(s).contains('7'));
    ipsecauto_session_free(s);
}

fn poll_readable(fd: c_int, ms: c_int) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    unsafe { libc::poll(&mut p, 1, ms) == 1 }
}

/// The main-loop form: one descriptor for the whole operation, readable at once, lines queued
/// for `next_line` when there is no callback, the final result once, then INVALID_STATE.
#[test]
fn non_blocking_operation_from_a_poll_loop() {
    let dir = scratch();
    let cap = Capture::start(
        dir.join("ctl"),
        Script::slow(b"000 one\n000 two\n004 done\n", Duration::from_millis(2)),
    );
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    ipsecauto_session_set_ctl_socket(s, c(cap.path().to_str().unwrap()).as_ptr());
    let mut op = null_mut();
    assert_eq!(
        ipsecauto_op_start(s, IPSECAUTO_OP_UP as c_uint, c("west").as_ptr(), &mut op),
        IPSECAUTO_OK
    );
    // The session may go: the operation has its own copy.
    assert_eq!(ipsecauto_session_free(s), IPSECAUTO_OK);
    let fd = ipsecauto_op_fd(op);
    assert!(fd >= 0);
    assert!(poll_readable(fd, 0), "readable at once after start");
    assert_eq!(ipsecauto_op_exit_status(op), -1);
    let mut rounds = 0;
    let mut got = Vec::new();
    let r = loop {
        assert!(poll_readable(fd, 5000), "pluto's answer arrives");
        rounds += 1;
        let r = ipsecauto_op_advance(op);
        assert_eq!(ipsecauto_op_fd(op), fd, "the descriptor never changes");
        let (mut rc, mut text) = (0, null());
        while ipsecauto_op_next_line(op, &mut rc, &mut text) {
            got.push((
                rc,
                unsafe { CStr::from_ptr(text) }
                    .to_str()
                    .unwrap()
                    .to_string(),
            ));
        }
        if r != IPSECAUTO_PENDING {
            break r;
        }
    };
    assert_eq!(r, IPSECAUTO_OK);
    assert!(rounds > 2, "the answer came in pieces ({rounds} rounds)");
    assert_eq!(
        got,
        [
            (0, "one".to_string()),
            (0, "two".to_string()),
            (4, "done".to_string())
        ]
    );
    assert_eq!(ipsecauto_op_exit_status(op), 0);
    assert_eq!(ipsecauto_op_advance(op), IPSECAUTO_INVALID_STATE);
    assert_eq!(ipsecauto_op_free(op), IPSECAUTO_OK);
    assert_eq!(cap.wait_take(1, Duration::from_secs(5)).len(), 1);
}

#[test]
fn cancel_closes_the_socket_at_once() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::never_answer());
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    ipsecauto_session_set_ctl_socket(s, c(cap.path().to_str().unwrap()).as_ptr());
    let mut op = null_mut();
    ipsecauto_op_start(s, IPSECAUTO_OP_STATUS as c_uint, null(), &mut op);
    assert_eq!(ipsecauto_op_advance(op), IPSECAUTO_PENDING);
    assert!(!poll_readable(ipsecauto_op_fd(op), 50));
    assert_eq!(ipsecauto_op_cancel(op), IPSECAUTO_OK);
    assert_eq!(ipsecauto_op_advance(op), IPSECAUTO_INVALID_STATE);
    assert!(unsafe { CStr::from_ptr(ipsecauto_op_errmsg(op)) }
        .to_str()
        .unwrap()
        .contains("CANCELLED"));
    assert_eq!(ipsecauto_op_exit_status(op), -1);
    ipsecauto_op_free(op);
    ipsecauto_session_free(s);
    // The stand-in sees the client go.
    assert_eq!(cap.wait_take(1, Duration::from_secs(5)).len(), 1);
}

#[test]
fn misuse_gets_codes_not_crashes() {
    let mut status = -1;
    // NULL everywhere.
    assert_eq!(ipsecauto_session_new(null_mut()), IPSECAUTO_NULL_ARGUMENT);
    assert_eq!(
        ipsecauto_status(null_mut(), &mut status),
        IPSECAUTO_NULL_ARGUMENT
    );
    assert_eq!(
        ipsecauto_session_set_utc(null_mut(), true),
        IPSECAUTO_NULL_ARGUMENT
    );
    assert_eq!(ipsecauto_session_free(null_mut()), IPSECAUTO_OK);
    assert_eq!(ipsecauto_op_free(null_mut()), IPSECAUTO_OK);
    assert_eq!(ipsecauto_op_advance(null_mut()), IPSECAUTO_NULL_ARGUMENT);
    assert_eq!(ipsecauto_op_fd(null()), -1);
    assert!(!ipsecauto_op_next_line(null_mut(), null_mut(), null_mut()));
    assert!(!ipsecauto_session_errmsg(null()).is_null());
    assert!(ipsecauto_session_error_file(null()).is_null());

    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    assert_eq!(
        ipsecauto_session_set_config_text(s, null(), null()),
        IPSECAUTO_NULL_ARGUMENT
    );
    assert_eq!(
        ipsecauto_op_start(s, IPSECAUTO_OP_STATUS as c_uint, null(), null_mut()),
        IPSECAUTO_NULL_ARGUMENT
    );
    // Invalid UTF-8.
    let bad = b"we\xffst\0";
    assert_eq!(
        ipsecauto_up(s, bad.as_ptr().cast(), &mut status),
        IPSECAUTO_INVALID_UTF8
    );
    assert!(errmsg(s).contains("UTF-8"));
    assert_eq!(
        ipsecauto_session_set_ctl_socket(s, bad.as_ptr().cast()),
        IPSECAUTO_INVALID_UTF8
    );
    // Double free, and use after free, of a session.
    assert_eq!(ipsecauto_session_free(s), IPSECAUTO_OK);
    assert_eq!(ipsecauto_session_free(s), IPSECAUTO_INVALID_HANDLE);
    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_INVALID_HANDLE);
    assert_eq!(errmsg(s), "handle is not live");
    // A pointer this library never made.
    let mut junk = [0u64; 8];
    assert_eq!(
        ipsecauto_session_free(junk.as_mut_ptr().cast()),
        IPSECAUTO_INVALID_HANDLE
    );
    // A session passed as an operation is refused, and stays usable.
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    assert_eq!(ipsecauto_op_free(s.cast()), IPSECAUTO_INVALID_HANDLE);
    assert_eq!(ipsecauto_op_advance(s.cast()), IPSECAUTO_INVALID_HANDLE);
    assert_eq!(ipsecauto_session_free(s), IPSECAUTO_OK);
}

#[test]
fn result_names_and_versions() {
    for r in ipsecauto_result::ALL {
        let n = unsafe { CStr::from_ptr(ipsecauto_result_name(r as c_int)) };
        assert_eq!(n.to_str().unwrap(), format!("{r:?}"));
    }
    let n = unsafe { CStr::from_ptr(ipsecauto_result_name(12345)) };
    assert_eq!(n.to_str().unwrap(), "IPSECAUTO_UNKNOWN");
    let v = unsafe { CStr::from_ptr(ipsecauto_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(ipsecauto_abi_version(), IPSECAUTO_ABI_VERSION);
}

/// Eight threads, each with its own session, at once.
#[test]
fn distinct_sessions_in_distinct_threads() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"000 hello\n"));
    let path = cap.path().to_path_buf();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut lines = Vec::new();
                let s = session(&path, &mut lines);
                for _ in 0..20 {
                    let mut status = -1;
                    assert_eq!(ipsecauto_status(s, &mut status), IPSECAUTO_OK);
                }
                ipsecauto_session_free(s);
                lines.len()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 20);
    }
    assert_eq!(cap.wait_take(160, Duration::from_secs(10)).len(), 160);
}

fn diagnostics(d: *mut ipsecauto_diagnostics) -> Vec<(String, u32, String, ipsecauto_severity)> {
    (0..ipsecauto_diagnostics_count(d))
        .map(|i| {
            let (mut file, mut line, mut msg) = (null(), 0, null());
            let mut sev = ipsecauto_severity::IPSECAUTO_SEVERITY_WARNING;
            assert_eq!(
                ipsecauto_diagnostics_get(d, i, &mut file, &mut line, &mut msg, &mut sev),
                IPSECAUTO_OK
            );
            let s = |p| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string();
            (s(file), line, s(msg), sev)
        })
        .collect()
}

/// The check-only pass: every problem with file, line and severity; a fatal one fails the
/// call with the session's error naming file and line; the list equals the config layer's.
#[test]
fn check_lists_every_problem_with_file_and_line() {
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    let text =
        "config setup\n\nconn a\n\tleft=198.51.100.1\n\tright=198.51.100.2\n\tnosuchkeyword=1\n";
    let dir = scratch();
    ipsecauto_session_set_config_text(s, c(text).as_ptr(), c(dir.to_str().unwrap()).as_ptr());
    let mut d = null_mut();
    let r = ipsecauto_check(s, &mut d);
    let expected: Vec<_> = ipsecauto::config::check_str(text, "<memory>", &dir)
        .iter()
        .map(|x| (x.file.display().to_string(), x.line, x.message.clone()))
        .collect();
    assert!(!expected.is_empty());
    let got = diagnostics(d);
    assert_eq!(
        got.iter()
            .map(|(f, l, m, _)| (f.clone(), *l, m.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    let fatal = got
        .iter()
        .find(|g| g.3 == ipsecauto_severity::IPSECAUTO_SEVERITY_FATAL);
    match fatal {
        Some((file, line, msg, _)) => {
            assert_eq!(r, IPSECAUTO_CONFIG);
            let f = unsafe { CStr::from_ptr(ipsecauto_session_error_file(s)) };
            assert_eq!(f.to_str().unwrap(), file);
            assert_eq!(ipsecauto_session_error_line(s), *line);
            assert!(errmsg(s).contains(msg.as_str()));
        }
        None => assert_eq!(r, IPSECAUTO_OK),
    }
    let mut n = 0;
    assert_eq!(
        ipsecauto_diagnostics_get(d, 99, null_mut(), &mut n, null_mut(), null_mut()),
        IPSECAUTO_USAGE
    );
    assert_eq!(ipsecauto_diagnostics_free(d), IPSECAUTO_OK);
    assert_eq!(ipsecauto_diagnostics_free(d), IPSECAUTO_INVALID_HANDLE);

    // A file that cannot be parsed at all: fatal, with its line.
    let path = dir.join("bad.conf");
    std::fs::write(
        &path,
        "config setup\nconn x\n\tleft=1.2.3.4\n   \"unterminated\n",
    )
    .unwrap();
    ipsecauto_session_set_config_file(s, c(path.to_str().unwrap()).as_ptr());
    let r = ipsecauto_check(s, &mut d);
    assert_eq!(r, IPSECAUTO_CONFIG, "{:?}", diagnostics(d));
    let f = unsafe { CStr::from_ptr(ipsecauto_session_error_file(s)) };
    assert_eq!(f.to_str().unwrap(), path.to_str().unwrap());
    assert!(ipsecauto_session_error_line(s) >= 2);
    ipsecauto_diagnostics_free(d);

    // A clean file: OK and an empty list.
    std::fs::write(
        &path,
        "config setup\n\nconn x\n\tleft=198.51.100.1\n\tright=198.51.100.2\n",
    )
    .unwrap();
    assert_eq!(
        ipsecauto_check(s, &mut d),
        IPSECAUTO_OK,
        "{:?}",
        diagnostics(d)
    );
    assert!(ipsecauto_session_error_file(s).is_null());
    ipsecauto_diagnostics_free(d);
    ipsecauto_session_free(s);
}

/// Every message since the last call, waiting for connections accepted but still being served.
fn take_all(cap: &Capture, seen: &mut usize) -> Vec<Vec<u8>> {
    let n = cap.accepted() - *seen;
    *seen += n;
    cap.wait_take(n, Duration::from_secs(5))
}

const CONF: &str = "config setup\n\nconn west\n\tleft=198.51.100.1\n\tright=198.51.100.2\n\tauthby=secret\n\tauto=start\n\nconn east\n\tleft=198.51.100.1\n\tright=198.51.100.3\n\tauthby=secret\n\tauto=ondemand\n";

/// The operations that read the configuration send what the Rust API sends, and end with its
/// exit status, whether the configuration comes from a file or from memory.
#[test]
fn configuration_operations_match_the_rust_api_from_file_and_from_memory() {
    let dir = scratch();
    let conf = dir.join("ipsec.conf");
    std::fs::write(&conf, CONF).unwrap();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"002 added\n"));
    let mut lines = Vec::new();
    let s = session(cap.path(), &mut lines);
    let mut seen = 0;
    for op in [
        IPSECAUTO_OP_ADD,
        IPSECAUTO_OP_REPLACE,
        IPSECAUTO_OP_START,
        IPSECAUTO_OP_ONDEMAND,
        IPSECAUTO_OP_FETCHCRLS,
    ] {
        let rust_op = ops_operation(op).unwrap();
        let mut rust = Session::with_socket(cap.path());
        rust.options.config = ipsecauto::ConfigSource::File(conf.clone());
        let name = if op.takes_name() { "west" } else { "" };
        let theirs_status = match rust.run(rust_op, name, |_: &Line| {}) {
            Ok(o) => o.exit_status,
            Err(_) => -1,
        };
        let theirs = take_all(&cap, &mut seen);
        let cname = c(name);
        let name_ptr = if op.takes_name() {
            cname.as_ptr()
        } else {
            null()
        };
        for from_memory in [false, true] {
            if from_memory {
                ipsecauto_session_set_config_text(
                    s,
                    c(CONF).as_ptr(),
                    c(dir.to_str().unwrap()).as_ptr(),
                );
            } else {
                ipsecauto_session_set_config_file(s, c(conf.to_str().unwrap()).as_ptr());
            }
            let mut status = -1;
            let r = ipsecauto_run(s, op as c_uint, name_ptr, &mut status);
            let ours = take_all(&cap, &mut seen);
            assert_eq!(ours, theirs, "{op:?} from_memory={from_memory}");
            if theirs_status >= 0 {
                assert_eq!(status, theirs_status, "{op:?}: {r:?} {}", errmsg(s));
            } else {
                assert!(r != IPSECAUTO_OK && r != IPSECAUTO_STATUS, "{op:?}");
            }
        }
    }
    ipsecauto_session_free(s);
}

/// Steps that read the configuration run off the caller's thread: the descriptor wakes the
/// loop when they are done, and the caller's thread is never held for them.
#[test]
fn non_blocking_add_then_up_from_a_poll_loop() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"002 ok\n"));
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    ipsecauto_session_set_ctl_socket(s, c(cap.path().to_str().unwrap()).as_ptr());
    ipsecauto_session_set_config_text(s, c(CONF).as_ptr(), c(dir.to_str().unwrap()).as_ptr());
    let mut op = null_mut();
    assert_eq!(
        ipsecauto_op_start(s, IPSECAUTO_OP_START as c_uint, c("west").as_ptr(), &mut op),
        IPSECAUTO_OK
    );
    let fd = ipsecauto_op_fd(op);
    let mut got = Vec::new();
    let mut longest = Duration::ZERO;
    let r = loop {
        assert!(poll_readable(fd, 10_000), "the operation makes progress");
        let t = std::time::Instant::now();
        let r = ipsecauto_op_advance(op);
        longest = longest.max(t.elapsed());
        let (mut rc, mut text) = (0, null());
        while ipsecauto_op_next_line(op, &mut rc, &mut text) {
            got.push(
                unsafe { CStr::from_ptr(text) }
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
        }
        if r != IPSECAUTO_PENDING {
            break r;
        }
    };
    // The Rust API, blocking, for comparison.
    let mut seen = 0;
    let sent = take_all(&cap, &mut seen);
    let mut rust = Session::with_socket(cap.path());
    rust.options.config = ipsecauto::ConfigSource::Text {
        name: "<memory>".into(),
        text: CONF.into(),
        include_dir: dir.clone(),
    };
    let theirs = rust.run(Operation::Start, "west", |_: &Line| {});
    assert_eq!(take_all(&cap, &mut seen), sent);
    match theirs {
        Ok(o) => assert_eq!(ipsecauto_op_exit_status(op), o.exit_status, "{r:?}"),
        Err(e) => assert_eq!(r, ipsecauto_result::of(&e)),
    }
    assert!(
        longest < Duration::from_millis(200),
        "advance held the caller {longest:?}"
    );
    ipsecauto_op_free(op);
    ipsecauto_session_free(s);
}

unsafe extern "C" fn meddle(data: *mut c_void, _: c_uint, _: *const c_char) -> c_int {
    // A callback calling into the operation that is running it.
    let op = *(data as *mut *mut ipsecauto_op);
    let seen = [
        ipsecauto_op_cancel(op),
        ipsecauto_op_free(op),
        ipsecauto_op_advance(op),
    ];
    assert_eq!(seen, [IPSECAUTO_INVALID_STATE; 3]);
    assert!(!ipsecauto_op_next_line(op, null_mut(), null_mut()));
    assert_eq!(ipsecauto_op_fd(op), -1);
    let msg = CStr::from_ptr(ipsecauto_op_errmsg(op)).to_str().unwrap();
    assert!(msg.contains("in use"));
    0
}

#[test]
fn a_callback_calling_into_its_own_handle_gets_invalid_state() {
    let dir = scratch();
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"000 a\n000 b\n"));
    let mut op: *mut ipsecauto_op = null_mut();
    let mut s = null_mut();
    ipsecauto_session_new(&mut s);
    ipsecauto_session_set_ctl_socket(s, c(cap.path().to_str().unwrap()).as_ptr());
    ipsecauto_session_set_line_callback(
        s,
        Some(meddle),
        (&mut op as *mut *mut ipsecauto_op).cast(),
    );
    assert_eq!(
        ipsecauto_op_start(s, IPSECAUTO_OP_STATUS as c_uint, null(), &mut op),
        IPSECAUTO_OK
    );
    let r = loop {
        assert!(poll_readable(ipsecauto_op_fd(op), 5000));
        match ipsecauto_op_advance(op) {
            IPSECAUTO_PENDING => continue,
            r => break r,
        }
    };
    assert_eq!(r, IPSECAUTO_OK);
    assert_eq!(ipsecauto_op_free(op), IPSECAUTO_OK);
    ipsecauto_session_free(s);
}
