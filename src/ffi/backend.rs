//! The one place the C ABI reaches into the library: an `ops` plan run step by step without
//! blocking, behind one descriptor for the caller's main loop.
//!
//! The descriptor is an epoll set, so it stays the same for the whole operation while the
//! steps behind it (start = addconn, then whack) come and go; an eventfd in the set makes it
//! readable when there is work that needs no waiting (the first step, a helper's news).
//!
//! whack steps are one exchange each, read as pluto's answer arrives. An addconn step reads
//! files, may resolve names and talks to pluto several times, all blocking: it runs on a
//! helper thread whose lines are handed to the caller's callbacks on the caller's thread.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{mpsc, Arc};

use super::operation::ipsecauto_operation;
use crate::client::{Exchange, Progress, Xauth};
use crate::error::{Error, Result};
use crate::ops::{self, Operation, Options, Sink, Step, StepOutcome, Tool};
use crate::reply::{rc, Line};

/// How a finished step or operation ended: the tool's exit status, and the error that
/// stopped it, if one did.
struct Ending {
    exit_status: i32,
    error: Option<Error>,
}

impl From<StepOutcome> for Ending {
    fn from(o: StepOutcome) -> Ending {
        Ending {
            exit_status: o.exit_status,
            error: o.error,
        }
    }
}

/// The step under way.
enum Current {
    /// A whack step whose answer is being read.
    Whack(Exchange),
    /// A step running on a helper thread, reporting through a channel.
    Helper(mpsc::Receiver<News>, Option<std::thread::JoinHandle<()>>),
}

/// What a helper thread reports.
enum News {
    Line(Line),
    Say(String),
    Note(String),
    Done(Ending),
}

/// How a helper thread's panic travels: an `Io` error from this pseudo-call, which
/// `Pending::panic_message` recognises.
const PANIC_CALL: &str = "(panic)";
const PANIC_STATUS: i32 = 255;

/// A helper thread's sink: news goes down the channel, and the eventfd wakes the caller.
struct Courier {
    tx: mpsc::Sender<News>,
    ready: Arc<OwnedFd>,
}

impl Courier {
    fn send(&self, news: News) {
        // A cancelled operation has dropped the receiver: the news has nobody to go to.
        let _ = self.tx.send(news);
        wake(&self.ready, true);
    }
}

impl Sink for Courier {
    fn line(&mut self, line: &Line) {
        self.send(News::Line(line.clone()));
    }
    fn say(&mut self, text: &str) {
        self.send(News::Say(text.to_string()));
    }
    fn note(&mut self, text: &str) {
        self.send(News::Note(text.to_string()));
    }
}

/// Makes the eventfd readable (or not).
fn wake(ready: &OwnedFd, on: bool) {
    let fd = ready.as_raw_fd();
    if on {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our eventfd; a full counter is fine.
        unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    } else {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64; EAGAIN (not set) is fine.
        unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) };
    }
}

/// An operation under way.
pub(crate) struct Pending {
    options: Options,
    steps: VecDeque<Step>,
    /// Command lines to hand out instead of running anything (`--showonly`).
    show: Option<Vec<String>>,
    current: Option<Current>,
    last: Option<Ending>,
    epoll: OwnedFd,
    ready: Arc<OwnedFd>,
}

fn os_error(call: &'static str) -> Error {
    Error::Io {
        call,
        errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        reason: std::io::Error::last_os_error().to_string(),
    }
}

fn epoll_ctl(epoll: RawFd, op: libc::c_int, fd: RawFd) -> Result<()> {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: fd as u64,
    };
    // SAFETY: both descriptors are open; ev is valid for the call.
    if unsafe { libc::epoll_ctl(epoll, op, fd, &mut ev) } != 0 {
        return Err(os_error("epoll_ctl"));
    }
    Ok(())
}

/// The steps `op` takes: `ops`' plan, or its whole-file pass.
pub(crate) fn plan(op: ipsecauto_operation, name: &str, o: &Options) -> Vec<Step> {
    match operation(op) {
        Some(operation) => ops::plan(operation, name, o),
        None => ops::plan_autoall(o),
    }
}

/// The operation in `ops` for an `ipsecauto_operation` (None for the whole-file pass).
fn operation(op: ipsecauto_operation) -> Option<Operation> {
    use super::operation::ipsecauto_operation::*;
    Some(match op {
        IPSECAUTO_OP_ADD => Operation::Add,
        IPSECAUTO_OP_DELETE => Operation::Delete,
        IPSECAUTO_OP_REPLACE => Operation::Replace,
        IPSECAUTO_OP_START => Operation::Start,
        IPSECAUTO_OP_UP => Operation::Up,
        IPSECAUTO_OP_DOWN => Operation::Down,
        IPSECAUTO_OP_ROUTE => Operation::Route,
        IPSECAUTO_OP_UNROUTE => Operation::Unroute,
        IPSECAUTO_OP_ONDEMAND => Operation::Ondemand,
        IPSECAUTO_OP_STATUS => Operation::Status,
        IPSECAUTO_OP_READY => Operation::Ready,
        IPSECAUTO_OP_REREADSECRETS => Operation::RereadSecrets,
        IPSECAUTO_OP_REREADALL => Operation::RereadAll,
        IPSECAUTO_OP_REREADCERTS => Operation::RereadCerts,
        IPSECAUTO_OP_FETCHCRLS => Operation::FetchCrls,
        IPSECAUTO_OP_LISTALL => Operation::ListAll,
        IPSECAUTO_OP_LISTCERTS => Operation::ListCerts,
        IPSECAUTO_OP_LISTPUBKEYS => Operation::ListPubkeys,
        IPSECAUTO_OP_CHECKPUBKEYS => Operation::CheckPubkeys,
        IPSECAUTO_OP_LISTCACERTS => Operation::ListCacerts,
        IPSECAUTO_OP_LISTCRLS => Operation::ListCrls,
        IPSECAUTO_OP_PURGEOCSP => Operation::PurgeOcsp,
        IPSECAUTO_OP_AUTOALL => return None,
    })
}

impl Pending {
    /// Plans `op`; nothing is sent until the first `advance`, for which `fd()` is readable
    /// at once.
    pub fn new(
        options: &Options,
        showonly: bool,
        op: ipsecauto_operation,
        name: &str,
    ) -> Result<Pending> {
        let steps = plan(op, name, options);
        // SAFETY: plain system calls; the results are checked before use.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epoll < 0 {
            return Err(os_error("epoll_create1"));
        }
        // SAFETY: epoll is a descriptor we own from here on.
        let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
        // SAFETY: as above.
        let ready = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if ready < 0 {
            return Err(os_error("eventfd"));
        }
        // SAFETY: ready is a descriptor we own from here on.
        let ready = unsafe { OwnedFd::from_raw_fd(ready) };
        epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_ADD, ready.as_raw_fd())?;
        let p = Pending {
            show: showonly.then(|| steps.iter().map(Step::command_line).collect()),
            options: options.clone(),
            steps: steps.into(),
            current: None,
            last: None,
            epoll,
            ready: Arc::new(ready),
        };
        wake(&p.ready, true);
        Ok(p)
    }

    pub fn fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }

    /// Starts the next step; returns false when no step is left.
    fn start_next(&mut self, sink: &mut dyn Sink) -> bool {
        while let Some(step) = self.steps.pop_front() {
            let started = match &step {
                Step::Run {
                    tool: Tool::Whack,
                    words,
                } => self.start_whack(words).map(Current::Whack),
                Step::Say { text, status } => {
                    sink.say(text);
                    self.last = Some(Ending {
                        exit_status: *status,
                        error: None,
                    });
                    continue;
                }
                Step::Run { .. } => self.start_helper(move |o, sink| {
                    let mut out =
                        ops::execute(std::slice::from_ref(&step), o, sink, &mut ops::NoXauth);
                    Ending {
                        exit_status: out.exit_status,
                        error: out.steps.pop().and_then(|s| s.error),
                    }
                }),
            };
            match started {
                Ok(current) => {
                    self.current = Some(current);
                    return true;
                }
                // As in the script, a step's failure does not stop the next; the last counts.
                Err(error) => {
                    self.last = Some(Ending {
                        exit_status: rc::WHACK_PROBLEM as i32,
                        error: Some(error),
                    })
                }
            }
        }
        false
    }

    /// Runs a step on a helper thread. pluto does not prompt for XAUTH while adding, so the
    /// helper declines any prompt rather than reach the caller's callback off its thread.
    fn start_helper(
        &mut self,
        work: impl FnOnce(&Options, &mut dyn Sink) -> Ending + Send + 'static,
    ) -> Result<Current> {
        let (tx, rx) = mpsc::channel();
        let mut courier = Courier {
            tx,
            ready: self.ready.clone(),
        };
        let options = self.options.clone();
        let thread = std::thread::Builder::new()
            .name("ipsecauto-step".into())
            .spawn(move || {
                // A panic stays on this thread: the caller gets IPSECAUTO_PANIC from advance.
                let ending = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(&options, &mut courier)
                }))
                .unwrap_or_else(|p| {
                    let what = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Ending {
                        exit_status: PANIC_STATUS,
                        error: Some(Error::Io {
                            call: PANIC_CALL,
                            errno: 0,
                            reason: what,
                        }),
                    }
                });
                courier.send(News::Done(ending));
            })
            .map_err(|e| Error::from_errno("pthread_create", e))?;
        Ok(Current::Helper(rx, Some(thread)))
    }

    fn start_whack(&mut self, words: &[String]) -> Result<Exchange> {
        let exchange = ops::start_whack(words, &self.options)?;
        epoll_ctl(self.fd(), libc::EPOLL_CTL_ADD, exchange.fd())?;
        Ok(exchange)
    }

    /// Ends the current step, taking it out of the epoll set.
    fn end_current(&mut self, ending: Ending) {
        if let Some(Current::Whack(x)) = self.current.take() {
            // Closing the socket would drop it from the set too; say so explicitly anyway.
            let _ = epoll_ctl(self.fd(), libc::EPOLL_CTL_DEL, x.fd());
        }
        self.last = Some(ending);
    }

    /// Does what can be done without blocking. `Ok(Done)` and `Err` are final.
    pub fn advance(&mut self, sink: &mut dyn Sink, xauth: &mut dyn Xauth) -> Result<Progress> {
        // Cleared before looking, so news arriving meanwhile leaves the descriptor readable.
        wake(&self.ready, false);
        if let Some(lines) = self.show.take() {
            self.steps.clear();
            for l in lines {
                sink.line(&Line {
                    rc: rc::COMMENT,
                    output: format!("{l}\n").into_bytes(),
                    text_start: 0,
                });
            }
            self.last = Some(Ending {
                exit_status: 0,
                error: None,
            });
            return Ok(Progress::Done);
        }
        loop {
            if self.current.is_none() && !self.start_next(sink) {
                return match self.last.as_mut().and_then(|l| l.error.take()) {
                    Some(e) => Err(e),
                    None => Ok(Progress::Done),
                };
            }
            let ending = match self.current.as_mut().expect("a step was started") {
                Current::Whack(x) => match x.advance(&mut |l: &Line| sink.line(l), xauth) {
                    Ok(Progress::Pending) => return Ok(Progress::Pending),
                    Ok(Progress::Done) => StepOutcome::of_whack(x, Ok(())).into(),
                    Err(error) => StepOutcome::of_whack(x, Err(error)).into(),
                },
                Current::Helper(rx, thread) => loop {
                    match rx.try_recv() {
                        Ok(News::Line(l)) => sink.line(&l),
                        Ok(News::Say(t)) => sink.say(&t),
                        Ok(News::Note(t)) => sink.note(&t),
                        Ok(News::Done(ending)) => {
                            // Its last act was to send this: joining takes no time, and
                            // leaves nothing of the thread behind.
                            if let Some(t) = thread.take() {
                                let _ = t.join();
                            }
                            break ending;
                        }
                        Err(mpsc::TryRecvError::Empty) => return Ok(Progress::Pending),
                        Err(mpsc::TryRecvError::Disconnected) => {
                            break Ending {
                                exit_status: rc::WHACK_PROBLEM as i32,
                                error: Some(Error::Io {
                                    call: "thread",
                                    errno: 0,
                                    reason: "the step's helper thread ended without a result"
                                        .into(),
                                }),
                            }
                        }
                    }
                },
            };
            self.end_current(ending);
        }
    }

    /// The message if `e` reports a helper thread's panic.
    pub fn panic_message(e: &Error) -> Option<String> {
        match e {
            Error::Io { call, reason, .. } if *call == PANIC_CALL => {
                Some(format!("internal error (panic): {reason}"))
            }
            _ => None,
        }
    }

    /// The exit status `ipsec auto` would give: the last finished step's.
    pub fn exit_status(&self) -> i32 {
        self.last.as_ref().map_or(0, |l| l.exit_status)
    }

    /// Stops at once: the current socket is closed (a helper thread is left to finish its
    /// step alone, its news unread), and no further step runs.
    pub fn cancel(&mut self) {
        self.steps.clear();
        self.show = None;
        self.current = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic on a helper thread ends the step with a panic the caller can name.
    #[test]
    fn a_helper_threads_panic_comes_back_as_a_panic() {
        let o = Options::default();
        let mut p =
            Pending::new(&o, false, ipsecauto_operation::IPSECAUTO_OP_STATUS, "").expect("a plan");
        p.steps.clear();
        let c = p
            .start_helper(|_, _| panic!("helper blew up"))
            .expect("a thread");
        p.current = Some(c);
        let mut lines = |_: &Line| {};
        let e = loop {
            crate::client::wait_readable(p.fd(), Some(std::time::Duration::from_secs(5)))
                .expect("the helper reports");
            match p.advance(&mut lines, &mut ops::NoXauth) {
                Ok(Progress::Pending) => continue,
                Ok(Progress::Done) => panic!("the step cannot succeed"),
                Err(e) => break e,
            }
        };
        assert_eq!(
            Pending::panic_message(&e).as_deref(),
            Some("internal error (panic): helper blew up")
        );
        assert_eq!(p.exit_status(), PANIC_STATUS);
    }
}
