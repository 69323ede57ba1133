//! A stand-in for pluto's control socket (the Rust sibling of /work/shared/tools/capture.py):
//! it accepts connections, records the bytes each one sends as one message, answers with
//! scripted bytes and closes. Scripts can also misbehave: close in the middle of an answer,
//! never answer, or answer slowly byte by byte.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a sender may pause within one message before the message counts as complete.
/// whack writes its message with a single write(2); this only has to cover scheduling delays.
pub const QUIET: Duration = Duration::from_millis(25);
/// How long to wait for the first byte of a message before recording an empty one.
pub const FIRST_BYTE: Duration = Duration::from_secs(2);

/// One thing the stand-in does on a connection, in order.
#[derive(Clone, Debug)]
pub enum Step {
    /// Read one message (until the sender pauses for `QUIET`, or closes) and record it.
    Receive,
    /// Write these bytes at once.
    Send(Vec<u8>),
    /// Write these bytes one at a time, pausing between them.
    SendSlowly(Vec<u8>, Duration),
    /// Do nothing for a while.
    Pause(Duration),
    /// Never answer: hold the connection open until the client closes it or the capture ends.
    Hang,
}

/// What to do with one connection. After the last step the connection is closed.
#[derive(Clone, Debug)]
pub struct Script(pub Vec<Step>);

impl Script {
    /// Record the message, answer `reply`, close (what capture.py does).
    pub fn answer(reply: &[u8]) -> Script {
        Script(vec![Step::Receive, Step::Send(reply.to_vec())])
    }

    /// Record the message and close without a word.
    pub fn silent_close() -> Script {
        Script(vec![Step::Receive])
    }

    /// Record the message, send only the first `n` bytes of `reply`, close.
    pub fn close_mid_answer(reply: &[u8], n: usize) -> Script {
        Script(vec![
            Step::Receive,
            Step::Send(reply[..n.min(reply.len())].to_vec()),
        ])
    }

    /// Record the message and never answer nor close.
    pub fn never_answer() -> Script {
        Script(vec![Step::Receive, Step::Hang])
    }

    /// Record the message, answer `reply` one byte every `gap`, close.
    pub fn slow(reply: &[u8], gap: Duration) -> Script {
        Script(vec![Step::Receive, Step::SendSlowly(reply.to_vec(), gap)])
    }
}

/// What one connection sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Everything the client sent, concatenated (capture.py's "message").
    pub bytes: Vec<u8>,
    /// The same bytes split at each `Receive` step: the request, then e.g. XAUTH answers.
    pub parts: Vec<Vec<u8>>,
}

#[derive(Default)]
struct State {
    default: Option<Script>,
    queue: VecDeque<Script>,
    /// By order of acceptance; `None` while the connection is still being served.
    records: Vec<Option<Record>>,
    taken: usize,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

/// The stand-in socket; dropping it stops serving and removes the socket file.
pub struct Capture {
    path: PathBuf,
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
}

impl Capture {
    /// Listens on `path` (replacing a stale socket there); each connection follows `script`
    /// unless one was queued with `push`.
    pub fn start(path: impl AsRef<Path>, script: Script) -> Capture {
        let path = path.as_ref().to_path_buf();
        let _ = std::fs::remove_file(&path);
        let listener =
            UnixListener::bind(&path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                default: Some(script),
                ..State::default()
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let server = thread::spawn(move || serve(listener, s));
        Capture {
            path,
            shared,
            server: Some(server),
        }
    }

    /// The socket path, to pass as `--ctlsocket`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next connection (not yet accepted) follows `script`; queued scripts are used in order.
    pub fn push(&self, script: Script) {
        self.shared.state.lock().unwrap().queue.push_back(script);
    }

    /// Connections after the queue runs out follow `script`.
    pub fn set_default(&self, script: Script) {
        self.shared.state.lock().unwrap().default = Some(script);
    }

    /// The messages of all connections finished since the last take, in order of acceptance;
    /// stops at the first connection still being served.
    pub fn take(&self) -> Vec<Vec<u8>> {
        self.take_records().into_iter().map(|r| r.bytes).collect()
    }

    /// As `take`, with each message's parts.
    pub fn take_records(&self) -> Vec<Record> {
        let mut st = self.shared.state.lock().unwrap();
        let mut out = Vec::new();
        while let Some(Some(r)) = st.records.get(st.taken) {
            out.push(r.clone());
            st.taken += 1;
        }
        out
    }

    /// Waits until `n` connections (counted since the last take) have finished, then takes
    /// them; panics after `timeout`.
    pub fn wait_take(&self, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.state.lock().unwrap();
        loop {
            let done = st.records[st.taken.min(st.records.len())..]
                .iter()
                .take_while(|r| r.is_some())
                .count();
            if done >= n {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "capture {}: {done} of {n} connections finished within {timeout:?}",
                self.path.display()
            );
            st = self.shared.changed.wait_timeout(st, left).unwrap().0;
        }
        drop(st);
        self.take()
    }

    /// How many connections have been accepted in all.
    pub fn accepted(&self) -> usize {
        self.shared.state.lock().unwrap().records.len()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.server.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve(listener: UnixListener, shared: Arc<Shared>) {
    let mut workers = Vec::new();
    while !shared.stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (index, script) = {
                    let mut st = shared.state.lock().unwrap();
                    let script = st.queue.pop_front().or_else(|| st.default.clone());
                    st.records.push(None);
                    (st.records.len() - 1, script.unwrap_or(Script(vec![])))
                };
                let s = shared.clone();
                // One thread per connection, so a hanging one does not hold up the next.
                workers.push(thread::spawn(move || {
                    let record = converse(stream, &script, &s.stop);
                    let mut st = s.state.lock().unwrap();
                    st.records[index] = Some(record);
                    s.changed.notify_all();
                }));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let _ = poll_in(&listener, Duration::from_millis(20));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("accept: {e}"),
        }
    }
    for w in workers {
        let _ = w.join();
    }
}

fn converse(mut stream: UnixStream, script: &Script, stop: &AtomicBool) -> Record {
    let mut record = Record::default();
    for step in &script.0 {
        let ok = match step {
            Step::Receive => {
                let (part, _) = receive(&mut stream, stop);
                record.bytes.extend_from_slice(&part);
                record.parts.push(part);
                true
            }
            Step::Send(bytes) => stream.write_all(bytes).is_ok(),
            Step::SendSlowly(bytes, gap) => bytes.iter().all(|b| {
                thread::sleep(*gap);
                stream.write_all(&[*b]).is_ok()
            }),
            Step::Pause(d) => {
                thread::sleep(*d);
                true
            }
            Step::Hang => {
                // Keep reading (and recording) until the client goes away or we are told to stop.
                loop {
                    let (more, closed) = receive(&mut stream, stop);
                    record.bytes.extend_from_slice(&more);
                    if closed || stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                true
            }
        };
        if !ok {
            break;
        }
    }
    record
}

/// Reads one message: up to `FIRST_BYTE` for it to start, then until a `QUIET` pause or end
/// of stream. Returns the bytes and whether the peer closed.
fn receive(stream: &mut UnixStream, stop: &AtomicBool) -> (Vec<u8>, bool) {
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    let started = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) {
            return (data, false);
        }
        let wait = if data.is_empty() {
            FIRST_BYTE
                .saturating_sub(started.elapsed())
                .min(Duration::from_millis(50))
        } else {
            QUIET
        };
        if !poll_in(stream, wait) {
            if !data.is_empty() || started.elapsed() >= FIRST_BYTE {
                return (data, false);
            }
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) => return (data, true),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (data, true),
        }
    }
}

/// Waits up to `d` for `fd` to become readable (or hung up).
fn poll_in(fd: &impl AsRawFd, d: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: pfd is valid for the duration of the call.
    unsafe { libc::poll(&mut pfd, 1, d.as_millis() as libc::c_int) > 0 }
}
