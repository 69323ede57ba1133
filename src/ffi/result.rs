//! Result codes: one per kind of failure a caller can act on.

use std::os::raw::{c_char, c_int};

use crate::error::Error;

/// What a call achieved. `IPSECAUTO_OK` is 0; every failure has its own code, and the handle
/// involved keeps a message for it (`ipsecauto_session_errmsg`, `ipsecauto_op_errmsg`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ipsecauto_result {
    /// Success; for an operation, pluto's answer gave exit status 0.
    IPSECAUTO_OK = 0,
    /// A non-blocking operation needs more: wait until its descriptor is readable.
    IPSECAUTO_PENDING = 1,
    /// The operation ran, and pluto's answer gave a non-zero exit status (the one `ipsec auto`
    /// would exit with; see the `exit_status` out-parameters). The message is pluto's line.
    IPSECAUTO_STATUS = 2,
    /// A required pointer argument was NULL.
    IPSECAUTO_NULL_ARGUMENT = 10,
    /// A string argument was not valid UTF-8.
    IPSECAUTO_INVALID_UTF8 = 11,
    /// The handle is not live: already freed, or never made by this library.
    IPSECAUTO_INVALID_HANDLE = 12,
    /// The call does not fit the handle's state (such as advancing a finished operation).
    IPSECAUTO_INVALID_STATE = 13,
    /// The request is not valid as asked (a missing or extra connection name, an unknown
    /// operation, a value out of range): what `ipsec auto` rejects with a usage message.
    IPSECAUTO_USAGE = 14,
    /// The configuration is wrong; `ipsecauto_session_error_file`/`_line` say where.
    IPSECAUTO_CONFIG = 15,
    /// The connection named is not in the configuration.
    IPSECAUTO_UNKNOWN_CONNECTION = 16,
    /// pluto's control socket does not exist: pluto is not running.
    IPSECAUTO_NOT_RUNNING = 20,
    /// The caller may not talk to pluto.
    IPSECAUTO_PERMISSION_DENIED = 21,
    /// The control socket exists but nobody listens on it.
    IPSECAUTO_CONNECTION_REFUSED = 22,
    /// pluto did not answer within the read timeout.
    IPSECAUTO_TIMEOUT = 23,
    /// pluto's answer broke the protocol.
    IPSECAUTO_PROTOCOL = 24,
    /// The operation was cancelled.
    IPSECAUTO_CANCELLED = 25,
    /// A system call failed (reading a file, talking to pluto).
    IPSECAUTO_IO = 26,
    /// pluto asked for an XAUTH username or password and no answer came (no callback, or the
    /// callback declined).
    IPSECAUTO_XAUTH_DECLINED = 27,
    /// The caller's line callback returned non-zero; the operation was abandoned.
    IPSECAUTO_CALLBACK_FAILED = 28,
    /// A bug in the library: a panic was caught at the boundary. The handle should be freed.
    IPSECAUTO_PANIC = 99,
}

use ipsecauto_result::*;

impl ipsecauto_result {
    /// The code for one of the library's errors.
    pub fn of(e: &Error) -> ipsecauto_result {
        match e {
            Error::NotRunning { .. } => IPSECAUTO_NOT_RUNNING,
            Error::PermissionDenied { .. } => IPSECAUTO_PERMISSION_DENIED,
            Error::ConnectionRefused { .. } => IPSECAUTO_CONNECTION_REFUSED,
            Error::Io { .. } => IPSECAUTO_IO,
            Error::Timeout { .. } => IPSECAUTO_TIMEOUT,
            Error::Cancelled => IPSECAUTO_CANCELLED,
            Error::Protocol { .. } => IPSECAUTO_PROTOCOL,
            Error::Encode(_) | Error::Usage(_) => IPSECAUTO_USAGE,
            Error::Config { .. } => IPSECAUTO_CONFIG,
            Error::ConfigIo { .. } => IPSECAUTO_IO,
            Error::UnknownConnection(_) => IPSECAUTO_UNKNOWN_CONNECTION,
            Error::XauthDeclined(_) => IPSECAUTO_XAUTH_DECLINED,
        }
    }

    fn name(self) -> &'static str {
        match self {
            IPSECAUTO_OK => "IPSECAUTO_OK\0",
            IPSECAUTO_PENDING => "IPSECAUTO_PENDING\0",
            IPSECAUTO_STATUS => "IPSECAUTO_STATUS\0",
            IPSECAUTO_NULL_ARGUMENT => "IPSECAUTO_NULL_ARGUMENT\0",
            IPSECAUTO_INVALID_UTF8 => "IPSECAUTO_INVALID_UTF8\0",
            IPSECAUTO_INVALID_HANDLE => "IPSECAUTO_INVALID_HANDLE\0",
            IPSECAUTO_INVALID_STATE => "IPSECAUTO_INVALID_STATE\0",
            IPSECAUTO_USAGE => "IPSECAUTO_USAGE\0",
            IPSECAUTO_CONFIG => "IPSECAUTO_CONFIG\0",
            IPSECAUTO_UNKNOWN_CONNECTION => "IPSECAUTO_UNKNOWN_CONNECTION\0",
            IPSECAUTO_NOT_RUNNING => "IPSECAUTO_NOT_RUNNING\0",
            IPSECAUTO_PERMISSION_DENIED => "IPSECAUTO_PERMISSION_DENIED\0",
            IPSECAUTO_CONNECTION_REFUSED => "IPSECAUTO_CONNECTION_REFUSED\0",
            IPSECAUTO_TIMEOUT => "IPSECAUTO_TIMEOUT\0",
            IPSECAUTO_PROTOCOL => "IPSECAUTO_PROTOCOL\0",
            IPSECAUTO_CANCELLED => "IPSECAUTO_CANCELLED\0",
            IPSECAUTO_IO => "IPSECAUTO_IO\0",
            IPSECAUTO_XAUTH_DECLINED => "IPSECAUTO_XAUTH_DECLINED\0",
            IPSECAUTO_CALLBACK_FAILED => "IPSECAUTO_CALLBACK_FAILED\0",
            IPSECAUTO_PANIC => "IPSECAUTO_PANIC\0",
        }
    }

    /// Every code, for bindings that mirror them.
    pub const ALL: [ipsecauto_result; 20] = [
        IPSECAUTO_OK,
        IPSECAUTO_PENDING,
        IPSECAUTO_STATUS,
        IPSECAUTO_NULL_ARGUMENT,
        IPSECAUTO_INVALID_UTF8,
        IPSECAUTO_INVALID_HANDLE,
        IPSECAUTO_INVALID_STATE,
        IPSECAUTO_USAGE,
        IPSECAUTO_CONFIG,
        IPSECAUTO_UNKNOWN_CONNECTION,
        IPSECAUTO_NOT_RUNNING,
        IPSECAUTO_PERMISSION_DENIED,
        IPSECAUTO_CONNECTION_REFUSED,
        IPSECAUTO_TIMEOUT,
        IPSECAUTO_PROTOCOL,
        IPSECAUTO_CANCELLED,
        IPSECAUTO_IO,
        IPSECAUTO_XAUTH_DECLINED,
        IPSECAUTO_CALLBACK_FAILED,
        IPSECAUTO_PANIC,
    ];
}

/// The name of a result code ("IPSECAUTO_TIMEOUT"), or "IPSECAUTO_UNKNOWN" for a value that is
/// none. Static storage: never free it.
#[no_mangle]
pub extern "C" fn ipsecauto_result_name(result: c_int) -> *const c_char {
    ipsecauto_result::ALL
        .iter()
        .find(|r| **r as c_int == result)
        .map_or("IPSECAUTO_UNKNOWN\0", |r| r.name())
        .as_ptr()
        .cast()
}
