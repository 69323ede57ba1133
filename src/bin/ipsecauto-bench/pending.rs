//! The measurements that wait for work still in progress elsewhere: the configuration language
//! and addconn (whole-file pass, check-only pass, messages built from a file), the C ABI and the
//! Python bindings. Each hook answers `None` while its part is missing, and the report then says
//! "not yet measurable" instead of a number. Enabling a part means filling in its hook here;
//! nothing else in the benchmark changes.
//!
//! (Adding one connection in-process needs no hook: `Session::add` exists and is tried; while
//! addconn is missing it fails, and the report shows why.)

use std::path::Path;

use ipsecauto::ops::Operation;
use ipsecauto::Request;

pub type Result<T> = std::result::Result<T, String>;

/// Our whole-file pass: every `auto=add` conn of `config` added to the pluto at `socket`, as
/// `ipsec addconn --autoall` does. Answers how many connections were sent.
pub fn whole_file_add(socket: &Path, config: &Path) -> Option<Result<usize>> {
    let _ = (socket, config);
    None
}

/// Our check-only pass over `config` (what `ipsec addconn --checkconfig` does). Answers the
/// number of connections read. Runs in a child process, whose peak memory is then measured.
pub fn check_only(config: &Path) -> Option<Result<usize>> {
    let _ = config;
    None
}

/// The add messages our addconn builds for every conn of `config`, in file order; the floor
/// then sends exactly these. Until then it sends the hand-built `gen::floor_request`s.
pub fn addconn_requests(config: &Path) -> Option<Result<Vec<Request>>> {
    let _ = config;
    None
}

/// One operation through the C ABI (`ipsecauto_*`), as a C caller would make it; answers the
/// exit status.
pub struct CAbi;

impl CAbi {
    pub fn open(socket: &Path, config: &Path) -> Option<Result<CAbi>> {
        let _ = (socket, config);
        None
    }

    pub fn run(&mut self, op: Operation, name: &str) -> Result<i32> {
        let _ = (op, name);
        Err("the C ABI is not available yet".into())
    }
}

/// Run times in nanoseconds, and the exit status.
pub type Timings = (Vec<u64>, i32);

/// Latencies through the Python bindings, measured inside one Python process: per entry of
/// `ops`, the run times in nanoseconds and the exit status.
pub fn python(
    socket: &Path,
    config: &Path,
    ops: &[(Operation, &str)],
    runs: usize,
) -> Option<Result<Vec<Timings>>> {
    let _ = (socket, config, ops, runs);
    None
}
