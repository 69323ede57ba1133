//! The measurements that depend on work landing from other branches: addconn (whole-file pass,
//! check-only pass, messages built from a file), the C ABI and the Python bindings. Each hook
//! answers `None` while its part is missing, and the report then says "not yet measurable"
//! instead of a number. Enabling a part means filling in its hook here; nothing else in the
//! benchmark changes.
//!
//! Adding one connection in-process is measured through `Session::add`; while that is not
//! wired to addconn, through `add_one`.

use std::path::Path;

use ipsecauto::addconn::{self, Args, SystemEnv};
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

/// Our whole-file pass: every `auto=add` conn of `config` added to the pluto at `socket`, as
/// `ipsec addconn --autoall` does.
pub fn whole_file_add(socket: &Path, config: &Path) -> Option<Result<()>> {
    let a = Args {
        ctlsocket: socket.to_path_buf(),
        autoall: true,
        ..args(config)
    };
    Some(addconn_pass(&a))
}

/// Our check-only pass over `config` (what `ipsec addconn --checkconfig` does). Runs in a
/// child process, whose peak memory is then measured.
pub fn check_only(config: &Path) -> Option<Result<()>> {
    let a = Args {
        checkconfig: true,
        ..args(config)
    };
    Some(addconn_pass(&a))
}

/// The add messages our addconn builds for every conn of `config`, in file order; the floor
/// sends exactly these.
pub fn addconn_requests(config: &Path) -> Option<Result<Vec<Request>>> {
    let build = || -> ipsecauto::Result<Vec<Request>> {
        let cfg = addconn::load_config(&addconn::ConfigSource::File(config.to_path_buf()))?;
        let mut all = Vec::with_capacity(cfg.conns.len());
        for c in &cfg.conns {
            all.extend(addconn::requests_for(&cfg, c, &SystemEnv)?);
        }
        Ok(all)
    };
    Some(build().map_err(|e| e.to_string()))
}

/// Adding one conn in-process while `Session::add` is not wired to addconn yet: addconn's own
/// entry point, as `Session::add` will call it.
pub fn add_one(socket: &Path, config: &Path, name: &str) -> Option<Result<()>> {
    let a = Args {
        ctlsocket: socket.to_path_buf(),
        names: vec![name.to_string()],
        ..args(config)
    };
    Some(addconn_pass(&a))
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
