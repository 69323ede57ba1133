//! One error type for the whole library. Each variant is a kind a caller can act on; the C ABI
//! maps each to a result code (see `ffi`), the CLI to an exit status.

use std::path::PathBuf;

/// Where in a configuration file something was found.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The control socket does not exist: pluto is not running (or another path was meant).
    #[error("Pluto is not running (no \"{path}\")")]
    NotRunning { path: PathBuf },
    /// The caller may not talk to pluto (access or connect refused with EACCES/EPERM).
    #[error("no right to communicate with pluto (access(\"{path}\"))")]
    PermissionDenied { path: PathBuf },
    /// The socket file exists but nobody listens on it.
    #[error("is Pluto running?  connect() for \"{path}\" failed ({errno} {reason})")]
    ConnectionRefused {
        path: PathBuf,
        errno: i32,
        reason: String,
    },
    /// Any other system call failure while talking to pluto.
    #[error("{call}() failed ({errno} {reason})")]
    Io {
        call: &'static str,
        errno: i32,
        reason: String,
    },
    /// pluto did not answer within the caller's read timeout.
    #[error("no answer from pluto within {millis} ms")]
    Timeout { millis: u64 },
    /// The operation was cancelled by the caller.
    #[error("operation cancelled")]
    Cancelled,
    /// pluto's answer broke the protocol (a line without its NNN prefix).
    #[error("log line missing NNN prefix: {line}")]
    Protocol { line: String },
    /// The request does not fit into a whack message (too many bytes of strings or key).
    #[error("{0}")]
    Encode(String),
    /// The request itself is not valid (what whack or ipsec auto reject before sending).
    #[error("{0}")]
    Usage(String),
    /// A configuration file (or text) is wrong; `at` names file and line.
    #[error("{at}: {message}")]
    Config { at: Location, message: String },
    /// A configuration could not be read at all.
    #[error("{path}: {reason}")]
    ConfigIo { path: PathBuf, reason: String },
    /// The connection named is not in the configuration.
    #[error("{0}")]
    UnknownConnection(String),
    /// The caller's XAUTH callback gave no answer.
    #[error("XAUTH {0} was asked for but the callback gave none")]
    XauthDeclined(&'static str),
}

impl Error {
    pub(crate) fn from_errno(call: &'static str, e: std::io::Error) -> Error {
        let errno = e.raw_os_error().unwrap_or(0);
        Error::Io {
            call,
            errno,
            reason: strerror(errno),
        }
    }
}

/// The C library's wording for an errno, as whack prints it.
pub(crate) fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a pointer to a static or thread-local NUL-terminated string.
    unsafe {
        let p = libc::strerror(errno);
        if p.is_null() {
            return format!("errno {errno}");
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

pub type Result<T> = std::result::Result<T, Error>;
