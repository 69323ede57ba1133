//! Operations in progress: the non-blocking form (`ipsecauto_op_*`), and the engine the
//! blocking calls run to completion.

use std::collections::VecDeque;
use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_uint, c_void};

use super::backend::Pending;
use super::boundary::*;
use super::operation::ipsecauto_operation;
use super::result::ipsecauto_result::{self, *};
use super::session::{ipsecauto_session, Settings};
use crate::client::{wait_readable, Progress, Xauth};
use crate::ops::Sink;
use crate::reply::{rc, Line, Prompt};

/// Receives one line of pluto's answer: its numeric code (`rc`, such as 0 for plain output or
/// 21 for "no such connection") and its text without the code and newline (UTF-8, borrowed for
/// the call only). Return 0 to go on; any other value abandons the operation, which then fails
/// with `IPSECAUTO_CALLBACK_FAILED`.
pub type ipsecauto_line_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, rc: c_uint, text: *const c_char) -> c_int>;

/// What an XAUTH prompt asks for.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ipsecauto_prompt {
    IPSECAUTO_PROMPT_USERNAME = 1,
    IPSECAUTO_PROMPT_PASSWORD = 2,
}

/// Answers an XAUTH prompt: write the answer, NUL-terminated UTF-8, into `buf` (`size` bytes,
/// `IPSECAUTO_XAUTH_MAX`) and return 0; return any other value to decline, which fails the
/// operation with `IPSECAUTO_XAUTH_DECLINED` (as does an answer without its NUL, or not
/// UTF-8). The library wipes `buf` after use and never logs the answer.
pub type ipsecauto_xauth_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        prompt: ipsecauto_prompt,
        buf: *mut c_char,
        size: usize,
    ) -> c_int,
>;

/// The caller's callbacks, as set on a session and copied into each operation.
#[derive(Clone, Copy)]
pub(crate) struct Callbacks {
    pub line: ipsecauto_line_callback,
    pub line_data: *mut c_void,
    pub xauth: ipsecauto_xauth_callback,
    pub xauth_data: *mut c_void,
}

impl Default for Callbacks {
    fn default() -> Callbacks {
        Callbacks {
            line: None,
            line_data: std::ptr::null_mut(),
            xauth: None,
            xauth_data: std::ptr::null_mut(),
        }
    }
}

/// Adapts the C XAUTH callback to the client's `Xauth`.
struct CXauth(Callbacks);

impl Xauth for CXauth {
    fn answer(&mut self, prompt: Prompt) -> Option<String> {
        let cb = self.0.xauth?;
        let p = match prompt {
            Prompt::Username => ipsecauto_prompt::IPSECAUTO_PROMPT_USERNAME,
            Prompt::Password => ipsecauto_prompt::IPSECAUTO_PROMPT_PASSWORD,
        };
        let mut buf = [0u8; super::IPSECAUTO_XAUTH_MAX];
        // SAFETY: buf is writable for its whole length for the duration of the call.
        let r = unsafe { cb(self.0.xauth_data, p, buf.as_mut_ptr().cast(), buf.len()) };
        // An answer without its NUL (or not UTF-8) is no answer: never guess at a secret.
        let answer = match (r, buf.iter().position(|&b| b == 0)) {
            (0, Some(end)) => std::str::from_utf8(&buf[..end]).ok().map(str::to_string),
            _ => None,
        };
        buf.iter_mut().for_each(|b| *b = 0);
        answer
    }
}

/// Hands every line to the caller's callback: text `ipsec auto` prints itself comes as a line
/// with code 0, the tools' diagnostics with `IPSECAUTO_NOTE_RC`.
struct Lines<'a>(&'a mut dyn FnMut(&Line));

impl Sink for Lines<'_> {
    fn line(&mut self, line: &Line) {
        (self.0)(line)
    }
    fn say(&mut self, text: &str) {
        (self.0)(&plain(rc::COMMENT, text))
    }
    fn note(&mut self, text: &str) {
        (self.0)(&plain(super::IPSECAUTO_NOTE_RC.into(), text))
    }
}

fn plain(code: u64, text: &str) -> Line {
    Line {
        rc: code,
        output: format!("{text}\n").into_bytes(),
        text_start: 0,
    }
}

/// One operation from start to its final status.
pub(crate) struct Running {
    pending: Pending,
    cb: Callbacks,
    /// Lines not yet taken by `ipsecauto_op_next_line` (only without a line callback).
    queue: VecDeque<(c_uint, CString)>,
    /// The line last handed out by `ipsecauto_op_next_line`, kept alive for the caller.
    taken: Option<CString>,
    /// pluto's last line with an error code: what `_errmsg` says for `IPSECAUTO_STATUS`.
    error_line: Option<String>,
    /// The tools' last diagnostic: the message when pluto gave no error line.
    note: Option<String>,
    finished: Option<ipsecauto_result>,
    exit_status: c_int,
}

impl Running {
    pub fn start(
        settings: &Settings,
        cb: Callbacks,
        op: c_uint,
        name: *const c_char,
    ) -> Outcome<Running> {
        let op = ipsecauto_operation::from_c(op)
            .ok_or_else(|| Failure::new(IPSECAUTO_USAGE, format!("unknown operation {op}")))?;
        let name = opt_str_arg(name, "connection name")?;
        match (op.takes_name(), name.filter(|n| !n.is_empty())) {
            (true, None) => {
                return Err(Failure::new(
                    IPSECAUTO_USAGE,
                    format!("{op:?} needs a connection name"),
                ))
            }
            (false, Some(_)) => {
                return Err(Failure::new(
                    IPSECAUTO_USAGE,
                    format!("{op:?} takes no connection name"),
                ))
            }
            _ => {}
        }
        let pending = Pending::new(&settings.ops, settings.showonly, op, name.unwrap_or(""))?;
        Ok(Running {
            pending,
            cb,
            queue: VecDeque::new(),
            taken: None,
            error_line: None,
            note: None,
            finished: None,
            exit_status: -1,
        })
    }

    pub fn fd(&self) -> c_int {
        self.pending.fd()
    }

    /// Reads what has arrived: `IPSECAUTO_PENDING`, or the final result.
    pub fn advance(&mut self) -> Outcome<ipsecauto_result> {
        if let Some(done) = self.finished {
            return Err(Failure::new(
                IPSECAUTO_INVALID_STATE,
                format!("the operation has finished ({})", name_of(done)),
            ));
        }
        let cb = self.cb;
        let mut refused: Option<c_int> = None;
        let (queue, error_line, note) = (&mut self.queue, &mut self.error_line, &mut self.note);
        let mut on_line = |l: &Line| {
            if refused.is_some() {
                return;
            }
            let code = c_uint::try_from(l.rc).unwrap_or(c_uint::MAX);
            let text = l.text();
            if (rc::EXIT_FLOOR..rc::EXIT_ROOF).contains(&l.rc) {
                *error_line = Some(text.to_string());
            } else if l.rc == u64::from(super::IPSECAUTO_NOTE_RC) {
                *note = Some(text.trim().to_string());
            }
            let text = c_string(&text);
            match cb.line {
                // SAFETY: the header states the callback contract; text lives across the call.
                Some(f) => match unsafe { f(cb.line_data, code, text.as_ptr()) } {
                    0 => {}
                    r => refused = Some(r),
                },
                None => queue.push_back((code, text)),
            }
        };
        let progress = self
            .pending
            .advance(&mut Lines(&mut on_line), &mut CXauth(cb));
        let outcome = match (refused, progress) {
            (Some(r), _) => {
                self.pending.cancel();
                Err(Failure::new(
                    IPSECAUTO_CALLBACK_FAILED,
                    format!("the line callback returned {r}"),
                ))
            }
            (None, Ok(Progress::Pending)) => return Ok(IPSECAUTO_PENDING),
            (None, Ok(Progress::Done)) => {
                self.exit_status = self.pending.exit_status();
                if self.exit_status == 0 {
                    Ok(IPSECAUTO_OK)
                } else {
                    Err(Failure::new(
                        IPSECAUTO_STATUS,
                        self.error_line
                            .clone()
                            .or(self.note.clone())
                            .unwrap_or_else(|| {
                                format!("pluto's answer gave exit status {}", self.exit_status)
                            }),
                    ))
                }
            }
            (None, Err(e)) => {
                self.pending.cancel();
                self.exit_status = self.pending.exit_status();
                Err(match Pending::panic_message(&e) {
                    Some(m) => Failure::new(IPSECAUTO_PANIC, m),
                    None => e.into(),
                })
            }
        };
        self.finished = Some(match &outcome {
            Ok(r) => *r,
            Err(f) => f.code,
        });
        outcome
    }

    /// Runs to the end, waiting at most the session's timeout for each read.
    pub fn finish(&mut self, settings: &Settings) -> Outcome<ipsecauto_result> {
        loop {
            match self.advance()? {
                IPSECAUTO_PENDING => {}
                done => return Ok(done),
            }
            if let Err(e) = wait_readable(self.pending.fd(), settings.ops.timeout) {
                self.pending.cancel();
                self.exit_status = rc::WHACK_PROBLEM as c_int;
                self.finished = Some(ipsecauto_result::of(&e));
                return Err(e.into());
            }
        }
    }

    pub fn cancel(&mut self) {
        if self.finished.is_none() {
            self.pending.cancel();
            self.finished = Some(IPSECAUTO_CANCELLED);
        }
    }

    pub fn exit_status(&self) -> c_int {
        if self.finished.is_some() {
            self.exit_status
        } else {
            -1
        }
    }
}

fn name_of(r: ipsecauto_result) -> String {
    format!("{r:?}")
}

/// An operation in progress, for callers with a main loop. Made by `ipsecauto_op_start`,
/// freed by `ipsecauto_op_free`. It holds its own copy of the session's options and callbacks:
/// the session may be changed or freed while it runs.
pub struct ipsecauto_op {
    running: Running,
    last: LastError,
}

impl Handle for ipsecauto_op {
    fn last_error(&mut self) -> &mut LastError {
        &mut self.last
    }
}

/// Prepares `operation` (an `ipsecauto_operation`) on connection `name` (NULL for operations
/// that take none) for a main loop: nothing is sent and no callback runs until the first
/// `ipsecauto_op_advance`; every exchange with pluto happens inside `ipsecauto_op_advance`
/// (steps that read the configuration, such as add, still run to completion inside one call).
///
/// On success `*out` is a new operation the caller owns (free it with `ipsecauto_op_free`).
/// On failure `*out` is NULL and the session's `_errmsg` says why.
#[no_mangle]
pub extern "C" fn ipsecauto_op_start(
    session: *mut ipsecauto_session,
    operation: c_uint,
    name: *const c_char,
    out: *mut *mut ipsecauto_op,
) -> ipsecauto_result {
    put(out, std::ptr::null_mut());
    super::session::with_session(session, |s| {
        if out.is_null() {
            return Err(Failure::new(IPSECAUTO_NULL_ARGUMENT, "out is NULL"));
        }
        let running = Running::start(&s.settings, s.callbacks, operation, name)?;
        put(
            out,
            new_handle(ipsecauto_op {
                running,
                last: LastError::default(),
            }),
        );
        Ok(IPSECAUTO_OK)
    })
}

/// The descriptor to wait on for readability before each `ipsecauto_op_advance` (-1 for an
/// invalid handle). It is the same for the whole operation, whatever steps it takes (start:
/// add, then up), and readable at once after `ipsecauto_op_start`. Owned by the operation:
/// never close it; it closes with `ipsecauto_op_free`.
#[no_mangle]
pub extern "C" fn ipsecauto_op_fd(op: *const ipsecauto_op) -> c_int {
    catch(|| handle(op).map(|o| o.running.fd())).unwrap_or(-1)
}

/// Reads whatever pluto has sent, without blocking: lines go to the line callback (or the
/// queue `ipsecauto_op_next_line` takes from), XAUTH prompts to the XAUTH callback.
/// Returns `IPSECAUTO_PENDING` while more is to come; then `IPSECAUTO_OK` (exit status 0),
/// `IPSECAUTO_STATUS` (non-zero exit status) or the failure. Calling it again after the end
/// returns `IPSECAUTO_INVALID_STATE`.
#[no_mangle]
pub extern "C" fn ipsecauto_op_advance(op: *mut ipsecauto_op) -> ipsecauto_result {
    with_handle(op, |o| o.running.advance())
}

/// Takes the next queued line of pluto's answer (queued only when the session had no line
/// callback at start). Returns true and sets `*rc` and `*text` if there was one; `*text` is
/// owned by the operation and valid until the next call on it. NULL out-parameters are allowed.
#[no_mangle]
pub extern "C" fn ipsecauto_op_next_line(
    op: *mut ipsecauto_op,
    rc: *mut c_uint,
    text: *mut *const c_char,
) -> bool {
    catch(|| {
        let mut o = handle(op)?;
        let r = &mut o.running;
        r.taken = None;
        Ok(match r.queue.pop_front() {
            Some((code, line)) => {
                put(rc, code);
                put(text, line.as_ptr());
                r.taken = Some(line);
                true
            }
            None => false,
        })
    })
    .unwrap_or(false)
}

/// The exit status `ipsec auto` would give, once the operation has finished; -1 before (and
/// for an invalid handle).
#[no_mangle]
pub extern "C" fn ipsecauto_op_exit_status(op: *const ipsecauto_op) -> c_int {
    catch(|| handle(op).map(|o| o.running.exit_status())).unwrap_or(-1)
}

/// Abandons the operation: the socket is closed at once, and further `ipsecauto_op_advance`
/// calls return `IPSECAUTO_INVALID_STATE`. Cancelling a finished operation does nothing.
/// What pluto already started (such as negotiating an SA) goes on in pluto.
#[no_mangle]
pub extern "C" fn ipsecauto_op_cancel(op: *mut ipsecauto_op) -> ipsecauto_result {
    with_handle(op, |o| {
        o.running.cancel();
        Ok(IPSECAUTO_OK)
    })
}

/// The message for the operation's last failure ("" if none). Owned by the operation; valid
/// until the next call on it. Never NULL.
#[no_mangle]
pub extern "C" fn ipsecauto_op_errmsg(op: *const ipsecauto_op) -> *const c_char {
    errmsg(op)
}

/// Frees an operation (cancelling it if it still runs). Returns `IPSECAUTO_INVALID_HANDLE`
/// for a pointer that is not a live operation (such as one already freed), which is then left
/// alone, and `IPSECAUTO_INVALID_STATE` while a call uses it (from its own callback); NULL is
/// allowed and does nothing.
#[no_mangle]
pub extern "C" fn ipsecauto_op_free(op: *mut ipsecauto_op) -> ipsecauto_result {
    free(op)
}

/// `_errmsg` for any handle: its message, or a static one if the handle is unusable.
pub(crate) fn errmsg<T: Handle + 'static>(p: *const T) -> *const c_char {
    match catch(|| handle(p)) {
        Ok(mut h) => h.last_error().message.as_ptr(),
        Err(f) => match f.code {
            IPSECAUTO_NULL_ARGUMENT => "handle is NULL\0",
            IPSECAUTO_INVALID_STATE => "handle is in use by another call\0",
            _ => "handle is not live\0",
        }
        .as_ptr()
        .cast(),
    }
}

/// `_free` for any handle.
pub(crate) fn free<T: 'static>(p: *mut T) -> ipsecauto_result {
    if p.is_null() {
        return IPSECAUTO_OK;
    }
    match catch(|| free_handle(p)) {
        Ok(()) => IPSECAUTO_OK,
        Err(f) => f.code,
    }
}
