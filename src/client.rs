//! The control socket: connect as whack does, send one message, read the answer line by line.
//!
//! An `Exchange` is one message and its answer. It never blocks on its own: `advance` reads what
//! the socket has, so a main loop can poll `fd()`. `run` is the blocking form, with a timeout.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{strerror, Error, Result};
use crate::reply::{Event, Line, LineSplitter, Prompt, Rules, Status, Tail};

/// Where pluto listens unless told otherwise.
pub const DEFAULT_CTL_SOCKET: &str = "/run/pluto/pluto.ctl";

/// The longest XAUTH username or password whack sends (128 bytes with the terminating NUL).
pub const XAUTH_MAX: usize = 128;

/// Answers pluto's XAUTH prompts. Returning `None` declines (the exchange then fails).
pub trait Xauth {
    fn answer(&mut self, prompt: Prompt) -> Option<String>;
}

impl<F: FnMut(Prompt) -> Option<String>> Xauth for F {
    fn answer(&mut self, prompt: Prompt) -> Option<String> {
        self(prompt)
    }
}

/// What `advance` achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// More is to come: wait until `fd()` is readable and call again.
    Pending,
    /// The answer is complete; `exit_status()` is final.
    Done,
}

/// How the answer ended, for callers that print as whack does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ending {
    /// whack's "last line from pluto too long or unterminated" case.
    pub unterminated: bool,
    /// whack's "log line missing NNN prefix" case: the line, and whack exits 33 (RC_WHACK_PROBLEM).
    pub missing_prefix: Option<Vec<u8>>,
}

/// One message sent to pluto and the answer being read.
pub struct Exchange {
    stream: UnixStream,
    splitter: LineSplitter,
    status: Status,
    ending: Ending,
    done: bool,
}

/// Checks the socket as whack does before connecting, so the errors carry whack's meaning.
fn check_access(path: &Path) -> Result<()> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::Usage(format!("socket path {:?} contains a NUL byte", path)))?;
    // SAFETY: c is a valid NUL-terminated string for the duration of the call.
    if unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::W_OK) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => {
            Err(Error::PermissionDenied { path: path.into() })
        }
        Some(libc::ENOENT) | Some(libc::ENOTDIR) => Err(Error::NotRunning { path: path.into() }),
        _ => Err(Error::from_errno("access", e)),
    }
}

/// Connects to pluto's control socket, mapping failures to the error kinds whack reports.
pub fn connect(path: &Path) -> Result<UnixStream> {
    check_access(path)?;
    UnixStream::connect(path).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(0);
        match errno {
            libc::ECONNREFUSED => Error::ConnectionRefused {
                path: path.into(),
                errno,
                reason: strerror(errno),
            },
            libc::EACCES | libc::EPERM => Error::PermissionDenied { path: path.into() },
            libc::ENOENT => Error::NotRunning { path: path.into() },
            _ => Error::from_errno("connect", e),
        }
    })
}

impl Exchange {
    /// Connects, writes `message` whole, and gets ready to read the answer under `rules`.
    pub fn start(path: &Path, message: &[u8], rules: Rules) -> Result<Exchange> {
        let mut stream = connect(path)?;
        stream
            .write_all(message)
            .map_err(|e| Error::from_errno("write", e))?;
        stream
            .set_nonblocking(true)
            .map_err(|e| Error::from_errno("fcntl", e))?;
        Ok(Exchange {
            stream,
            splitter: LineSplitter::default(),
            status: Status::new(rules),
            ending: Ending::default(),
            done: false,
        })
    }

    /// The descriptor to poll for readability.
    pub fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// Reads whatever has arrived, handing each complete line to `on_line` and each prompt
    /// to `xauth`. Never blocks.
    pub fn advance(
        &mut self,
        on_line: &mut dyn FnMut(&Line),
        xauth: &mut dyn Xauth,
    ) -> Result<Progress> {
        let mut buf = [0u8; crate::reply::MAX_LINE];
        while !self.done {
            // whack reads at most what its line buffer has room for; a full buffer reads 0
            // bytes, which it takes for the end of the answer.
            let room = self.splitter.room();
            let n = if room == 0 {
                0
            } else {
                match self.stream.read(&mut buf[..room]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        return Ok(Progress::Pending)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::from_errno("read", e)),
                }
            };
            if n == 0 {
                self.ending.unterminated = self.splitter.finish() == Tail::Unterminated;
                self.done = true;
                break;
            }
            let mut failure = None;
            let (status, ending, stream) = (&mut self.status, &mut self.ending, &mut self.stream);
            self.splitter.push(&buf[..n], |raw| {
                if ending.missing_prefix.is_some() || failure.is_some() {
                    return;
                }
                match status.feed(raw) {
                    Event::Line(l) => on_line(&l),
                    Event::Prompt(l, p) => {
                        on_line(&l);
                        if let Err(e) = answer_prompt(stream, xauth, p) {
                            failure = Some(e);
                        }
                    }
                    Event::MissingPrefix(l) => ending.missing_prefix = Some(l),
                }
            });
            if let Some(e) = failure {
                return Err(e);
            }
            if self.ending.missing_prefix.is_some() {
                self.done = true;
            }
        }
        Ok(Progress::Done)
    }

    /// Blocks until the answer is complete, or `timeout` passes with nothing read.
    pub fn run(
        &mut self,
        timeout: Option<Duration>,
        on_line: &mut dyn FnMut(&Line),
        xauth: &mut dyn Xauth,
    ) -> Result<()> {
        loop {
            if self.advance(on_line, xauth)? == Progress::Done {
                return Ok(());
            }
            wait_readable(self.fd(), timeout)?;
        }
    }

    /// The exit status the tool would return now (final once `advance` says `Done`).
    pub fn exit_status(&self) -> i32 {
        if self.ending.missing_prefix.is_some() {
            crate::reply::rc::WHACK_PROBLEM as i32
        } else {
            self.status.exit_status()
        }
    }

    pub fn ending(&self) -> &Ending {
        &self.ending
    }
}

/// Sends the caller's answer as whack sends a value given on its command line: at most 127
/// bytes and a NUL. The answer never reaches a log.
fn answer_prompt(stream: &mut UnixStream, xauth: &mut dyn Xauth, prompt: Prompt) -> Result<()> {
    let what = match prompt {
        Prompt::Username => "username",
        Prompt::Password => "password",
    };
    let mut value = xauth
        .answer(prompt)
        .ok_or(Error::XauthDeclined(what))?
        .into_bytes();
    value.truncate(XAUTH_MAX - 1);
    value.push(0);
    stream
        .set_nonblocking(false)
        .map_err(|e| Error::from_errno("fcntl", e))?;
    let sent = stream.write_all(&value);
    // Scrub our copy of the secret before anything else can fail.
    value.iter_mut().for_each(|b| *b = 0);
    stream
        .set_nonblocking(true)
        .map_err(|e| Error::from_errno("fcntl", e))?;
    sent.map_err(|e| Error::from_errno("write", e))
}

/// Waits until `fd` is readable; `None` waits for ever.
pub fn wait_readable(fd: RawFd, timeout: Option<Duration>) -> Result<()> {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                left.as_millis().min(i32::MAX as u128) as i32
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: pfd is a valid pollfd for the duration of the call.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r > 0 {
            return Ok(());
        }
        if r == 0 {
            return Err(Error::Timeout {
                millis: timeout.map(|t| t.as_millis() as u64).unwrap_or(0),
            });
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(Error::from_errno("poll", e));
        }
    }
}

/// The socket path for a run directory, as `whack --rundir` builds it.
pub fn socket_in_rundir(rundir: &Path) -> PathBuf {
    rundir.join("pluto.ctl")
}
