//! Sessions: the options and callbacks of `ipsec auto`, the blocking operations, and the last
//! error of each.

use std::os::raw::{c_char, c_int, c_uint, c_void};
use std::path::PathBuf;
use std::time::Duration;

use super::boundary::*;
use super::op::{
    errmsg, free, ipsecauto_line_callback, ipsecauto_xauth_callback, Callbacks, Running,
};
use super::result::ipsecauto_result::{self, *};
use crate::ops::{ConfigSource, Options};

/// A set of options and callbacks for running operations, and the last error of the calls
/// made with it. Made by `ipsecauto_session_new`, freed by `ipsecauto_session_free`. Use it
/// from one thread at a time; use one session per thread for parallel work.
pub struct ipsecauto_session {
    pub(crate) settings: Settings,
    pub(crate) callbacks: Callbacks,
    last: LastError,
}

/// A session's options: `ipsec auto`'s flags.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub ops: Options,
    pub showonly: bool,
}

impl Handle for ipsecauto_session {
    fn last_error(&mut self) -> &mut LastError {
        &mut self.last
    }
}

pub(crate) fn with_session(
    p: *mut ipsecauto_session,
    f: impl FnOnce(&mut ipsecauto_session) -> Outcome<ipsecauto_result>,
) -> ipsecauto_result {
    with_handle(p, f)
}

/// The name configuration text stands under in messages.
const MEMORY: &str = "<memory>";

/// `ipsec auto`'s exit status when it rejects its arguments.
const USAGE_STATUS: c_int = 2;

/// Makes a session with `ipsec auto`'s defaults: socket /run/pluto/pluto.ctl, configuration
/// /etc/ipsec.conf, no timeout, no callbacks. `*out` is owned by the caller.
#[no_mangle]
pub extern "C" fn ipsecauto_session_new(out: *mut *mut ipsecauto_session) -> ipsecauto_result {
    if out.is_null() {
        return IPSECAUTO_NULL_ARGUMENT;
    }
    put(out, std::ptr::null_mut());
    match catch(|| {
        Ok(new_handle(ipsecauto_session {
            settings: Settings::default(),
            callbacks: Callbacks::default(),
            last: LastError::default(),
        }))
    }) {
        Ok(s) => {
            put(out, s);
            IPSECAUTO_OK
        }
        Err(f) => f.code,
    }
}

/// Frees a session. Operations started from it stay valid. Returns `IPSECAUTO_INVALID_HANDLE`
/// for a pointer that is not a live session (such as one already freed), which is then left
/// alone, and `IPSECAUTO_INVALID_STATE` while a call uses it (from its own callback); NULL is
/// allowed and does nothing.
#[no_mangle]
pub extern "C" fn ipsecauto_session_free(session: *mut ipsecauto_session) -> ipsecauto_result {
    free(session)
}

/// The message for the session's last failure ("" after a success), such as
/// "/etc/ipsec.conf:12: unknown keyword". Owned by the session; valid until its next call.
/// Never NULL.
#[no_mangle]
pub extern "C" fn ipsecauto_session_errmsg(session: *const ipsecauto_session) -> *const c_char {
    errmsg(session)
}

/// The code of the session's last failure (`IPSECAUTO_OK` after a success).
#[no_mangle]
pub extern "C" fn ipsecauto_session_errcode(session: *const ipsecauto_session) -> ipsecauto_result {
    match catch(|| handle(session)) {
        Ok(s) => s.last.code,
        Err(f) => f.code,
    }
}

/// The file of the session's last configuration error, or NULL when the last failure has no
/// location. Owned by the session; valid until its next call.
#[no_mangle]
pub extern "C" fn ipsecauto_session_error_file(session: *const ipsecauto_session) -> *const c_char {
    match catch(|| handle(session)) {
        Ok(s) => s
            .last
            .file
            .as_ref()
            .map_or(std::ptr::null(), |f| f.as_ptr()),
        Err(_) => std::ptr::null(),
    }
}

/// The line (from 1) of the session's last configuration error, or 0 when it has none.
#[no_mangle]
pub extern "C" fn ipsecauto_session_error_line(session: *const ipsecauto_session) -> c_uint {
    catch(|| handle(session).map(|s| s.last.line)).unwrap_or(0)
}

fn set(
    session: *mut ipsecauto_session,
    f: impl FnOnce(&mut Options) -> Outcome<()>,
) -> ipsecauto_result {
    with_session(session, |s| f(&mut s.settings.ops).map(|_| IPSECAUTO_OK))
}

/// Talks to pluto through the control socket at `path` (`--ctlsocket`); NULL restores the
/// default, /run/pluto/pluto.ctl. The string is copied.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_ctl_socket(
    session: *mut ipsecauto_session,
    path: *const c_char,
) -> ipsecauto_result {
    set(session, |o| {
        o.ctl_socket =
            opt_str_arg(path, "path")?.map_or_else(|| Options::default().ctl_socket, PathBuf::from);
        Ok(())
    })
}

/// Reads the configuration from the file at `path` (`--config`); NULL restores the default,
/// /etc/ipsec.conf. The file is read when an operation needs it. The string is copied.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_config_file(
    session: *mut ipsecauto_session,
    path: *const c_char,
) -> ipsecauto_result {
    set(session, |o| {
        o.config = opt_str_arg(path, "path")?
            .map_or(ConfigSource::Default, |p| ConfigSource::File(p.into()));
        Ok(())
    })
}

/// Takes the configuration from `text` (the contents of an ipsec.conf) instead of a file.
/// `include` directives in it are resolved against `include_dir` (NULL: the current
/// directory). Errors in it (and `--showonly` lines) name it "<memory>". Both are copied.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_config_text(
    session: *mut ipsecauto_session,
    text: *const c_char,
    include_dir: *const c_char,
) -> ipsecauto_result {
    set(session, |o| {
        let text = str_arg(text, "text")?.to_string();
        let include_dir = opt_str_arg(include_dir, "include_dir")?.map(PathBuf::from);
        o.config = ConfigSource::Text {
            name: MEMORY.into(),
            text,
            include_dir: include_dir.unwrap_or_else(|| PathBuf::from(".")),
        };
        Ok(())
    })
}

/// `--verbose`: pass on all of addconn's output.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_verbose(
    session: *mut ipsecauto_session,
    on: bool,
) -> ipsecauto_result {
    set(session, |o| {
        o.verbose = on;
        Ok(())
    })
}

/// `--utc`: times in listings in UTC.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_utc(
    session: *mut ipsecauto_session,
    on: bool,
) -> ipsecauto_result {
    set(session, |o| {
        o.utc = on;
        Ok(())
    })
}

/// `--asynchronous`: up (and start) return once pluto has begun, without its result.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_asynchronous(
    session: *mut ipsecauto_session,
    on: bool,
) -> ipsecauto_result {
    set(session, |o| {
        o.asynchronous = on;
        Ok(())
    })
}

/// `--showonly`: send nothing; instead each command line `ipsec auto` would run goes to the
/// line callback (rc 0), and the exit status is 0.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_showonly(
    session: *mut ipsecauto_session,
    on: bool,
) -> ipsecauto_result {
    with_session(session, |s| {
        s.settings.showonly = on;
        Ok(IPSECAUTO_OK)
    })
}

/// `--remote-host`: the peer address for up (and start) of a connection to `%any`; NULL
/// clears it. The string is copied.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_remote_host(
    session: *mut ipsecauto_session,
    host: *const c_char,
) -> ipsecauto_result {
    set(session, |o| {
        o.remote_host = opt_str_arg(host, "host")?.map(str::to_string);
        Ok(())
    })
}

/// How long a blocking operation waits for pluto to send anything before failing with
/// `IPSECAUTO_TIMEOUT`; 0 (the default) waits for ever. Non-blocking operations leave
/// waiting to the caller.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_timeout_ms(
    session: *mut ipsecauto_session,
    millis: u32,
) -> ipsecauto_result {
    set(session, |o| {
        o.timeout = (millis > 0).then(|| Duration::from_millis(millis.into()));
        Ok(())
    })
}

/// Where the lines of pluto's answer go (NULL: blocking calls drop them, non-blocking
/// operations queue them for `ipsecauto_op_next_line`). `userdata` is passed back untouched;
/// it must stay valid while operations using it run.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_line_callback(
    session: *mut ipsecauto_session,
    callback: ipsecauto_line_callback,
    userdata: *mut c_void,
) -> ipsecauto_result {
    with_session(session, |s| {
        s.callbacks.line = callback;
        s.callbacks.line_data = userdata;
        Ok(IPSECAUTO_OK)
    })
}

/// Who answers pluto's XAUTH prompts (NULL: nobody, and a prompt fails the operation with
/// `IPSECAUTO_XAUTH_DECLINED`). `userdata` is passed back untouched.
#[no_mangle]
pub extern "C" fn ipsecauto_session_set_xauth_callback(
    session: *mut ipsecauto_session,
    callback: ipsecauto_xauth_callback,
    userdata: *mut c_void,
) -> ipsecauto_result {
    with_session(session, |s| {
        s.callbacks.xauth = callback;
        s.callbacks.xauth_data = userdata;
        Ok(IPSECAUTO_OK)
    })
}

/// Runs `operation` (an `ipsecauto_operation`) on connection `name` (NULL for operations
/// that take none) and waits for pluto's whole answer, streaming its lines to the line
/// callback. `*exit_status` (may be NULL) gets the exit status `ipsec auto` would give,
/// whatever the result. Returns `IPSECAUTO_OK`, `IPSECAUTO_STATUS` when pluto's answer gave
/// a non-zero status, or the failure.
#[no_mangle]
pub extern "C" fn ipsecauto_run(
    session: *mut ipsecauto_session,
    operation: c_uint,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    put(exit_status, USAGE_STATUS);
    with_session(session, |s| {
        let mut r = Running::start(&s.settings, s.callbacks, operation, name)?;
        let outcome = r.finish(&s.settings);
        put(exit_status, r.exit_status());
        outcome
    })
}
