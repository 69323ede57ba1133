//! `make bench`: libipsecauto against libreswan's own tools, side by side, in one run against
//! one private pluto. Prints a Markdown report and writes it to BENCHMARKS.md.
//!
//! ```text
//! ipsecauto-bench [--smoke] [--out FILE] [--runs N]
//! ```
//! `--smoke` (or IPSECAUTO_BENCH_SMOKE=1) runs every measurement at a tiny size in seconds, so
//! `make test` keeps this program working; its numbers mean nothing and it writes no file
//! unless `--out` is given.

mod gen;
mod measure;
mod pluto;
mod report;
mod surfaces;

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ipsecauto::ops::{ConfigSource, Operation};
use ipsecauto::{Profile, Session};

use measure::{field, median, run_child, spawn_measured, spawn_timed, summarize, Summary};
use pluto::Pluto;
use report::{fmt_bytes, fmt_dur, Report, Table};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Sizes and repetitions of one run.
struct Plan {
    smoke: bool,
    runs: usize,
    bulk_sizes: Vec<usize>,
    bulk_reps: usize,
    parse_sizes: Vec<usize>,
    parse_reps: usize,
    status_size: usize,
    out: Option<PathBuf>,
}

impl Plan {
    fn from_args() -> Result<Plan> {
        let mut smoke = std::env::var("IPSECAUTO_BENCH_SMOKE").is_ok_and(|v| v == "1");
        let mut out = None;
        let mut runs = None;
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--smoke" => smoke = true,
                "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a file")?)),
                "--runs" => runs = Some(args.next().ok_or("--runs needs a number")?.parse()?),
                _ => return Err(format!("unknown argument {a:?}").into()),
            }
        }
        Ok(if smoke {
            Plan {
                smoke,
                runs: runs.unwrap_or(10),
                bulk_sizes: vec![100],
                bulk_reps: 1,
                parse_sizes: vec![1_000, 10_000],
                parse_reps: 1,
                status_size: 1_000,
                out,
            }
        } else {
            Plan {
                smoke,
                runs: runs.unwrap_or(200),
                bulk_sizes: vec![1_000, 10_000],
                bulk_reps: 3,
                parse_sizes: vec![10_000, 100_000],
                parse_reps: 3,
                status_size: 10_000,
                out: out.or_else(|| Some(PathBuf::from("BENCHMARKS.md"))),
            }
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        if let Err(e) = child(&args[2..]) {
            eprintln!("ipsecauto-bench child: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = run() {
        eprintln!("ipsecauto-bench: {e}");
        std::process::exit(1);
    }
}

/// The child modes: measurements whose peak memory must be the measured work's alone.
fn child(args: &[String]) -> Result<()> {
    let base = measure::proc_status_kib("VmHWM");
    match args.first().map(String::as_str) {
        Some("status") => {
            let socket = args.get(1).ok_or("status needs a socket")?;
            let session = Session::with_socket(socket);
            let t = Instant::now();
            let mut first = None;
            let (mut lines, mut bytes) = (0u64, 0u64);
            session.status(|l| {
                first.get_or_insert_with(|| t.elapsed());
                lines += 1;
                bytes += l.output.len() as u64;
            })?;
            let total = t.elapsed();
            println!(
                "first_ns={} total_ns={} lines={lines} bytes={bytes} hwm_kib={} base_kib={base}",
                first.unwrap_or(total).as_nanos(),
                total.as_nanos(),
                measure::proc_status_kib("VmHWM"),
            );
        }
        Some(mode @ ("check" | "checkconfig")) => {
            let file = Path::new(args.get(1).ok_or("check needs a file")?);
            let cpu = measure::own_cpu_time();
            let t = Instant::now();
            let pass = if mode == "check" {
                surfaces::check_only(file)
            } else {
                surfaces::addconn_checkconfig(file)
            };
            match pass {
                None => println!("unavailable=1"),
                Some(r) => {
                    r?;
                    println!(
                        "total_ns={} cpu_ns={} hwm_kib={} base_kib={base}",
                        t.elapsed().as_nanos(),
                        (measure::own_cpu_time() - cpu).as_nanos(),
                        measure::proc_status_kib("VmHWM"),
                    );
                }
            }
        }
        Some("spawn") => measure::child_spawn(&args[1..])?,
        // For profiling by hand (scripts/bench-profile.sh): the benchmark's own workload.
        Some("gen") => {
            let n = args.get(1).ok_or("gen needs a count")?.parse()?;
            gen::write_config(Path::new(args.get(2).ok_or("gen needs a file")?), n)?;
        }
        other => return Err(format!("unknown child mode {other:?}").into()),
    }
    Ok(())
}

fn run() -> Result<()> {
    let plan = Plan::from_args()?;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("must run as root (it starts its own pluto)".into());
    }
    let started = Instant::now();
    let mut rep = Report::new(plan.smoke)?;
    let mut pluto = Pluto::start()?;
    eprintln!("private pluto at {}", pluto.socket.display());

    latency(&plan, &mut pluto, &mut rep)?;
    bulk(&plan, &mut pluto, &mut rep)?;
    parse_only(&plan, &pluto, &mut rep)?;
    big_status(&plan, &mut pluto, &mut rep)?;

    drop(pluto);
    rep.machine("load average at the end", report::load_average());
    let floor = spawn_measured("true", &[])?;
    rep.note(format!(
        "A spawned tool's peak RSS is measured the same way as that of `true`, which shows {}: \
         read smaller figures as \"about that little\".",
        fmt_bytes(floor.max_rss_kib * 1024)
    ));
    rep.note(format!(
        "Whole run: {:.0} s.",
        started.elapsed().as_secs_f64()
    ));
    let text = rep.render();
    print!("{text}");
    if let Some(out) = &plan.out {
        std::fs::write(out, &text)?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}

/// A column of the latency table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Auto,
    Direct,
    Library,
    CAbi,
    Python,
    /// The same message, pre-encoded, over a bare socket: what pluto itself costs.
    Floor,
}

const COLUMNS: [Via; 6] = [
    Via::Auto,
    Via::Direct,
    Via::Library,
    Via::CAbi,
    Via::Python,
    Via::Floor,
];

/// The operations of the latency table. The `add`/`delete` pair runs alternately.
const LATENCY_OPS: [(Operation, &str, &str); 7] = [
    (Operation::Status, "", "status"),
    (Operation::ListAll, "", "listall"),
    (Operation::RereadSecrets, "", "rereadsecrets"),
    (Operation::Up, "nosuch", "up (unknown conn)"),
    (Operation::Delete, "nosuch", "delete (unknown conn)"),
    (Operation::Add, "c0", "add (conn from config)"),
    (Operation::Delete, "c0", "delete (loaded conn)"),
];

/// The `ipsec auto` words for an operation.
fn auto_args(op: Operation, name: &str, socket: &str, config: &str) -> Vec<String> {
    let mut v = vec!["auto".to_string(), "--ctlsocket".into(), socket.into()];
    if op == Operation::Add {
        v.extend(["--config".into(), config.into()]);
    }
    v.push(format!("--{}", op.flag()));
    if !name.is_empty() {
        v.push(name.into());
    }
    v
}

/// The `ipsec whack`/`ipsec addconn` words `ipsec auto` itself would run for an operation.
fn direct_args(op: Operation, name: &str, socket: &str, config: &str) -> Vec<String> {
    let s = |x: &str| x.to_string();
    match op {
        Operation::Add => vec![
            s("addconn"),
            s("--ctlsocket"),
            s(socket),
            s("--config"),
            s(config),
            s(name),
        ],
        Operation::Up | Operation::Delete => vec![
            s("whack"),
            s("--ctlsocket"),
            s(socket),
            s("--name"),
            s(name),
            s(if op == Operation::Up {
                "--initiate"
            } else {
                "--delete"
            }),
        ],
        _ => vec![
            s("whack"),
            s("--ctlsocket"),
            s(socket),
            format!("--{}", op.flag()),
        ],
    }
}

/// One cell of the latency table.
enum Cell {
    /// `exit` is `None` where the column has no exit status (the floor).
    Measured {
        s: Summary,
        exit: Option<i32>,
    },
    Missing(String),
}

/// An exit status, where the column has one (the floor reports -1).
fn known(code: i32) -> Option<i32> {
    (code >= 0).then_some(code)
}

/// The pre-encoded message behind an operation of the latency table: what `ipsec auto`'s own
/// whack step would send, or for `add` the add message of c0.
fn floor_message(
    op: Operation,
    name: &str,
    socket: &str,
    add: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    if op == Operation::Add {
        return Ok(add.to_vec());
    }
    let words = direct_args(op, name, socket, "");
    let call = ipsecauto::whack_cli::parse(&words[1..])?;
    Profile::V4_10
        .encode(&call.request)
        .map_err(|e| e.to_string())
}

/// Sends pre-encoded messages one connection each, as fast as pluto takes them, reading each
/// answer to its end. Answers how many answers reported an added connection.
fn send_all(socket: &Path, msgs: &[Vec<u8>]) -> io::Result<usize> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut added = 0;
    for m in msgs {
        let mut s = UnixStream::connect(socket)?;
        s.write_all(m)?;
        buf.clear();
        s.read_to_end(&mut buf)?;
        if buf.windows(6).any(|w| w == b"added ") {
            added += 1;
        }
    }
    Ok(added)
}

/// Sends one pre-encoded message and reads the answer through a 64 KiB buffer, keeping
/// nothing: time to the first byte, total time, bytes.
fn raw_stream(socket: &Path, msg: &[u8]) -> io::Result<(Duration, Duration, u64)> {
    let t = Instant::now();
    let mut s = UnixStream::connect(socket)?;
    s.write_all(msg)?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut first, mut bytes) = (None, 0u64);
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                first.get_or_insert_with(|| t.elapsed());
                bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let total = t.elapsed();
    Ok((first.unwrap_or(total), total, bytes))
}

/// Encodes the add messages for a generated configuration once, as our addconn builds them.
fn floor_messages(config: &Path, n: usize) -> Result<Vec<Vec<u8>>> {
    let requests = surfaces::addconn_requests(config)?;
    if requests.len() != n {
        return Err(format!("{} messages for {n} connections", requests.len()).into());
    }
    let msgs = requests
        .iter()
        .map(|r| Profile::V4_10.encode(r))
        .collect::<ipsecauto::Result<Vec<_>>>()?;
    Ok(msgs)
}

fn latency(plan: &Plan, pluto: &mut Pluto, rep: &mut Report) -> Result<()> {
    eprintln!("latency: {} runs per operation and column", plan.runs);
    let socket = pluto.socket_str().to_string();
    let config = pluto.dir.join("latency.conf");
    gen::write_config(&config, 10)?;
    let config_s = config.to_str().ok_or("config path")?.to_string();
    // c0's add message alone (the file's first conn).
    let c0_add = floor_messages(&config, 10)?[..1].to_vec();
    let session = Session {
        options: ipsecauto::Options {
            ctl_socket: pluto.socket.clone(),
            config: ConfigSource::File(config.clone()),
            ..ipsecauto::Options::default()
        },
    };
    let python = surfaces::python(
        &pluto.socket,
        &config,
        &LATENCY_OPS.map(|(op, name, _)| (op, name)),
        plan.runs,
    );
    let mut cabi = surfaces::CAbi::open(&pluto.socket, &config);
    // Times one operation through one column; the exit status is -1 where there is none.
    let mut one =
        |via: Via, op: Operation, name: &str| -> std::result::Result<(Duration, i32), String> {
            match via {
                Via::Auto => {
                    spawn_timed(Command::new("ipsec").args(auto_args(op, name, &socket, &config_s)))
                        .map_err(|e| e.to_string())
                }
                Via::Direct => spawn_timed(
                    Command::new("ipsec").args(direct_args(op, name, &socket, &config_s)),
                )
                .map_err(|e| e.to_string()),
                Via::Library => {
                    let t = Instant::now();
                    let out = session.run(op, name, |_| {}).map_err(|e| e.to_string())?;
                    Ok((t.elapsed(), out.exit_status))
                }
                Via::CAbi => match &mut cabi {
                    Some(Ok(c)) => {
                        let t = Instant::now();
                        let code = c.run(op, name)?;
                        Ok((t.elapsed(), code))
                    }
                    Some(Err(e)) => Err(e.clone()),
                    None => Err("not yet measurable (C ABI in progress)".into()),
                },
                // Timed inside its own process, above.
                Via::Python => Err(String::new()),
                Via::Floor => {
                    let m = floor_message(op, name, &socket, &c0_add[0])?;
                    let t = Instant::now();
                    send_all(&pluto.socket, std::slice::from_ref(&m)).map_err(|e| e.to_string())?;
                    Ok((t.elapsed(), -1))
                }
            }
        };

    /// One column's runs of one row (and, for add, of the delete row).
    #[derive(Default)]
    struct Runs {
        times: Vec<Duration>,
        exit: i32,
        failed: Option<String>,
    }
    let mut cells: Vec<Vec<Cell>> = Vec::new();
    for (row, &(op, name, label)) in LATENCY_OPS.iter().enumerate() {
        // The add row also measures the delete row: each run adds c0, then deletes it.
        if row == 6 {
            continue;
        }
        let pair = op == Operation::Add;
        eprintln!("  {label}");
        let mut runs: Vec<Runs> = COLUMNS.iter().map(|_| Runs::default()).collect();
        let mut del_runs: Vec<Runs> = COLUMNS.iter().map(|_| Runs::default()).collect();
        // Round robin over the columns in blocks of runs, so that load from elsewhere on the
        // machine falls on every column alike, while each column runs warm as a caller
        // repeating an operation does (not straight after another column's process spawns).
        const BLOCK: usize = 10;
        let mut done = 0;
        while done < plan.runs {
            let block = BLOCK.min(plan.runs - done);
            done += block;
            for ((i, &via), _) in COLUMNS
                .iter()
                .enumerate()
                .flat_map(|c| std::iter::repeat(c).zip(0..block))
            {
                if via == Via::Python {
                    continue;
                }
                let r = &mut runs[i];
                if r.failed.is_none() {
                    match one(via, op, name) {
                        Ok((d, code)) => {
                            r.times.push(d);
                            r.exit = code;
                        }
                        Err(e) => r.failed = Some(e),
                    }
                }
                let d = &mut del_runs[i];
                if pair && d.failed.is_none() {
                    if r.failed.is_some() {
                        // This column cannot add c0 (yet): load it with its pre-built message
                        // and time only the delete.
                        if send_all(&pluto.socket, &c0_add)? != 1 {
                            return Err("pluto did not add c0 from the pre-built message".into());
                        }
                    }
                    match one(via, Operation::Delete, name) {
                        Ok((t, code)) => {
                            d.times.push(t);
                            d.exit = code;
                        }
                        Err(e) => d.failed = Some(e),
                    }
                }
            }
        }
        let python_cell = |i: usize| match &python {
            None => Cell::Missing("not yet measurable (Python bindings in progress)".into()),
            Some(Err(e)) => Cell::Missing(format!("failed: {e}")),
            Some(Ok(v)) => match &v[i] {
                Ok((times, exit)) if !times.is_empty() => Cell::Measured {
                    s: summarize(times.iter().map(|&ns| Duration::from_nanos(ns)).collect()),
                    exit: Some(*exit),
                },
                Ok(_) => Cell::Missing("no runs".into()),
                Err(e) => Cell::Missing(e.clone()),
            },
        };
        let to_cells = |runs: Vec<Runs>, row: usize| -> Vec<Cell> {
            runs.into_iter()
                .zip(COLUMNS)
                .map(|(r, via)| match (via, r.failed) {
                    (Via::Python, _) => python_cell(row),
                    (_, Some(e)) if e.starts_with("not yet") => Cell::Missing(e),
                    (_, Some(e)) => Cell::Missing(format!("not yet measurable: {e}")),
                    (_, None) => Cell::Measured {
                        s: summarize(r.times),
                        exit: known(r.exit),
                    },
                })
                .collect()
        };
        cells.push(to_cells(runs, row));
        if pair {
            cells.push(to_cells(del_runs, 6));
        }
    }
    let mut t = Table::new(
        "1. Per-operation latency (median / p99)",
        &[
            "operation",
            "`ipsec auto` (spawned)",
            "`ipsec whack`/`addconn` (spawned)",
            "library, Rust in-process",
            "C ABI",
            "Python",
            "raw socket (floor)",
            "whack/addconn vs auto",
            "Rust vs auto",
            "C ABI vs auto",
            "Python vs auto",
            "floor vs auto",
        ],
    );
    for (i, row) in cells.iter().enumerate() {
        let label = LATENCY_OPS[i].2;
        let base = match &row[0] {
            Cell::Measured { s, exit } => Some((s.median, exit.unwrap_or(0))),
            Cell::Missing(_) => None,
        };
        let mut r = vec![label.to_string()];
        for (col, c) in row.iter().enumerate() {
            r.push(match c {
                Cell::Measured { s, .. } => format!("{} / {}", fmt_dur(s.median), fmt_dur(s.p99)),
                // Long reasons (with paths) would swamp the table.
                Cell::Missing(why) if why.len() > 60 => {
                    rep.note(format!("{label}, {}: {why}", report::COLUMN_NAMES[col]));
                    "not measurable (see notes)".into()
                }
                Cell::Missing(why) => why.clone(),
            });
        }
        for (col, c) in row.iter().enumerate().skip(1) {
            r.push(match (c, base) {
                (Cell::Measured { s, exit }, Some((b, bexit))) => {
                    if exit.is_some_and(|e| e != bexit) {
                        let exit = exit.unwrap_or(0);
                        rep.note(format!(
                            "{label}: {} exited {exit}, `ipsec auto` {bexit}.",
                            report::COLUMN_NAMES[col]
                        ));
                    }
                    format!("{:.1}x", b.as_secs_f64() / s.median.as_secs_f64())
                }
                _ => "–".into(),
            });
        }
        if i == 0 {
            if let (Some((b, _)), Cell::Measured { s, .. }) = (base, &row[2]) {
                let x = b.as_secs_f64() / s.median.as_secs_f64();
                rep.target(
                    "in-process status ≥20x lower latency than spawning `ipsec auto --status`",
                    Some(x >= 20.0),
                    format!("{x:.1}x"),
                );
            }
        }
        t.row(r);
    }
    t.caption(format!(
        "{} runs per cell; the columns take turns in blocks of 10 runs. Ratios: `ipsec auto` median ÷ column median (higher is faster). \
         Exit statuses agree across columns unless a note below says otherwise. Each add run \
         is followed by a delete run of the same column; where a column cannot add yet, c0 is \
         loaded with its pre-built message before each timed delete. The floor sends the same \
         message, encoded beforehand, over a bare socket and reads the answer: pluto's own share.",
        plan.runs
    ));
    rep.table(t);
    Ok(())
}

/// The connection names a pluto reports in `status`.
fn loaded_names(socket: &Path) -> Result<usize> {
    let mut names = HashSet::new();
    Session::with_socket(socket).status(|l| {
        let text = &l.output[l.text_start.min(l.output.len())..];
        if let Some(rest) = text.strip_prefix(b"\"") {
            if let Some(end) = rest.iter().position(|&b| b == b'"') {
                if rest[end..].starts_with(b"\":") {
                    names.insert(rest[..end].to_vec());
                }
            }
        }
    })?;
    Ok(names.len())
}

/// One bulk-add run: wall time, the client's CPU time, pluto's CPU time.
#[derive(Clone, Copy)]
struct BulkRun {
    wall: Duration,
    client: Duration,
    pluto: Duration,
}

fn median_run(v: &[BulkRun]) -> BulkRun {
    let m = |f: fn(&BulkRun) -> Duration| median(&v.iter().map(f).collect::<Vec<_>>());
    BulkRun {
        wall: m(|r| r.wall),
        client: m(|r| r.client),
        pluto: m(|r| r.pluto),
    }
}

fn bulk(plan: &Plan, pluto: &mut Pluto, rep: &mut Report) -> Result<()> {
    let mut t = Table::new(
        "2. Bulk add of a generated configuration (connections per second)",
        &[
            "connections",
            "`addconn --autoall`",
            "our whole-file pass (`Session::add_all`)",
            "floor (pre-encoded messages)",
            "autoall vs floor",
            "ours vs floor",
        ],
    );
    let mut cpu = Table::new(
        "2b. Bulk add: where the time goes (CPU time, median run)",
        &[
            "connections",
            "pass",
            "wall time",
            "client CPU",
            "pluto CPU",
        ],
    );
    for &n in &plan.bulk_sizes {
        eprintln!("bulk add: {n} connections, {} repetitions", plan.bulk_reps);
        let config = pluto.dir.join(format!("bulk-{n}.conf"));
        gen::write_config(&config, n)?;
        let path = config.to_str().ok_or("path")?;
        let mut msgs = floor_messages(&config, n)?;
        // addconn --autoall ends by telling pluto to listen: the floor sends that message too.
        msgs.push(Profile::V4_10.encode(&ipsecauto::Request {
            listen: true,
            sender: ipsecauto::request::Sender::Addconn,
            ..ipsecauto::Request::default()
        })?);
        let (mut ref_r, mut ours_r, mut floor_r) = (Vec::new(), Vec::new(), Vec::new());
        let mut ours_missing = None;
        for _ in 0..plan.bulk_reps {
            pluto.restart()?;
            let p0 = pluto.cpu_time();
            // The program itself, not the `ipsec` shell wrapper (whose start-up is no part
            // of adding connections).
            let s = spawn_measured(
                ADDCONN,
                &[
                    "--ctlsocket",
                    pluto.socket_str(),
                    "--config",
                    path,
                    "--autoall",
                ],
            )?;
            let p1 = pluto.cpu_time();
            let loaded = loaded_names(&pluto.socket)?;
            if loaded != n {
                return Err(format!("addconn --autoall loaded {loaded} of {n} connections").into());
            }
            ref_r.push(BulkRun {
                wall: s.elapsed,
                client: s.cpu,
                pluto: p1 - p0,
            });

            pluto.restart()?;
            let (p0, c0, t0) = (pluto.cpu_time(), measure::own_cpu_time(), Instant::now());
            match surfaces::whole_file_add(&pluto.socket, &config) {
                None => {
                    ours_missing = Some("not yet measurable (config/addconn in progress)".into())
                }
                Some(Err(e)) => ours_missing = Some(format!("failed: {e}")),
                Some(Ok(_)) => {
                    let run = BulkRun {
                        wall: t0.elapsed(),
                        client: measure::own_cpu_time() - c0,
                        pluto: pluto.cpu_time() - p0,
                    };
                    let loaded = loaded_names(&pluto.socket)?;
                    if loaded != n {
                        return Err(format!(
                            "our whole-file pass loaded {loaded} of {n} connections"
                        )
                        .into());
                    }
                    ours_r.push(run);
                }
            }

            pluto.restart()?;
            let (p0, c0, t0) = (pluto.cpu_time(), measure::own_cpu_time(), Instant::now());
            let added = send_all(&pluto.socket, &msgs)?;
            let run = BulkRun {
                wall: t0.elapsed(),
                client: measure::own_cpu_time() - c0,
                pluto: pluto.cpu_time() - p0,
            };
            if added != n {
                return Err(format!("pluto added {added} of {n} pre-encoded connections").into());
            }
            floor_r.push(run);
        }
        let rate = |d: Duration| format!("{:.0}/s ({})", n as f64 / d.as_secs_f64(), fmt_dur(d));
        let (r, f) = (median_run(&ref_r), median_run(&floor_r));
        let ours = (!ours_r.is_empty()).then(|| median_run(&ours_r));
        let ratio = |d: Duration| format!("{:.2}x", d.as_secs_f64() / f.wall.as_secs_f64());
        t.row(vec![
            n.to_string(),
            rate(r.wall),
            ours.map(|o| rate(o.wall))
                .unwrap_or_else(|| ours_missing.clone().unwrap_or_default()),
            rate(f.wall),
            ratio(r.wall),
            ours.map(|o| ratio(o.wall)).unwrap_or_else(|| "–".into()),
        ]);
        for (label, run) in [
            ("`addconn --autoall`", Some(r)),
            ("our whole-file pass", ours),
            ("floor", Some(f)),
        ] {
            if let Some(run) = run {
                cpu.row(vec![
                    n.to_string(),
                    label.into(),
                    fmt_dur(run.wall),
                    fmt_dur(run.client),
                    fmt_dur(run.pluto),
                ]);
            }
        }
        let what = format!(
            "bulk add of {n}: within 1.1x of the floor, no slower than `addconn --autoall`"
        );
        match ours {
            Some(o) => {
                let x = o.wall.as_secs_f64() / f.wall.as_secs_f64();
                rep.target(
                    &what,
                    Some(x <= 1.1 && o.wall <= r.wall),
                    format!(
                        "{x:.2}x floor, {:.2}x autoall",
                        o.wall.as_secs_f64() / r.wall.as_secs_f64()
                    ),
                )
            }
            None => rep.target(&what, None, "our whole-file pass not yet measurable".into()),
        }
        if let Some(o) = ours {
            // The same comparison in CPU time, which a shared machine does not inflate: on a
            // quiet one the passes are round trips, client and pluto taking turns.
            let busy = |r: BulkRun| (r.client + r.pluto).as_secs_f64();
            rep.target(
                &format!(
                    "bulk add of {n}, CPU (client + pluto): within 1.1x of the floor, no more \
                     than `addconn --autoall`"
                ),
                Some(busy(o) <= 1.1 * busy(f) && busy(o) <= busy(r)),
                format!(
                    "{:.2}x floor, {:.2}x autoall",
                    busy(o) / busy(f),
                    busy(o) / busy(r)
                ),
            );
        }
    }
    t.caption(format!(
        "Median of {} runs, each into a freshly started pluto; every run is checked to have \
         loaded all connections. Ratios: time ÷ floor time (lower is better, 1.00x is the floor). \
         The floor's messages are our addconn's for the same file, encoded beforehand, and \
         the closing `listen` that `--autoall` sends; it connects, writes one message and reads \
         the answer to its end, per message, as addconn does. `addconn` is \
         /usr/libexec/ipsec/addconn, spawned without the `ipsec` shell wrapper.",
        plan.bulk_reps
    ));
    cpu.caption(
        "Client CPU: user + system time of `addconn` (rusage), of our pass or of the floor's \
         loop (in this process). pluto CPU: from /proc/PID/stat, across the run, in the kernel's \
         10 ms ticks. Where the \
         wall time exceeds client + pluto CPU, the difference is waiting: each message is a \
         round trip, and on a shared machine, for a CPU."
            .to_string(),
    );
    rep.table(t);
    rep.table(cpu);
    Ok(())
}

/// libreswan's addconn program (what `ipsec addconn` runs).
const ADDCONN: &str = "/usr/libexec/ipsec/addconn";

/// The parse-only passes of the library, each run in a child process: mode, label.
const PARSE_PASSES: [(&str, &str); 2] = [
    (
        "check",
        "our check-only pass (`Session::check`, `ipsecauto_check`)",
    ),
    (
        "checkconfig",
        "our addconn, `--checkconfig` in-process (`addconn::run`)",
    ),
];

fn parse_only(plan: &Plan, pluto: &Pluto, rep: &mut Report) -> Result<()> {
    let mut t = Table::new(
        "3. Parse only (no pluto): time and peak memory",
        &[
            "connections",
            "file size",
            "pass",
            "wall time",
            "CPU time",
            "peak RSS",
            "per conn beyond file size",
            "vs `addconn --checkconfig` (CPU)",
        ],
    );
    // Per pass (reference first): per size, median CPU time and peak KiB (for ours, above the
    // child's start), or why it could not run.
    let mut results: Vec<Vec<std::result::Result<(Duration, u64), String>>> =
        vec![Vec::new(); 1 + PARSE_PASSES.len()];
    for &n in &plan.parse_sizes {
        eprintln!("parse only: {n} connections");
        let config = pluto.dir.join(format!("parse-{n}.conf"));
        let size = gen::write_config(&config, n)?;
        let path = config.to_str().ok_or("path")?;
        let mut times = vec![Vec::new(); 1 + PARSE_PASSES.len()];
        let mut cpus = vec![Vec::new(); 1 + PARSE_PASSES.len()];
        let mut peaks = vec![0u64; 1 + PARSE_PASSES.len()];
        let mut missing: Vec<Option<String>> = vec![None; 1 + PARSE_PASSES.len()];
        // Round robin, so that load from elsewhere on the machine falls on every pass alike.
        for _ in 0..plan.parse_reps {
            // The program itself: the `ipsec` wrapper is a shell script, whose start-up would
            // count against the reference.
            let s = spawn_measured(ADDCONN, &["--checkconfig", "--config", path])?;
            if s.code() != 0 {
                return Err(
                    format!("addconn --checkconfig rejected {path}: exit {}", s.code()).into(),
                );
            }
            times[0].push(s.elapsed);
            cpus[0].push(s.cpu);
            peaks[0] = peaks[0].max(s.max_rss_kib);
            for (k, (mode, _)) in PARSE_PASSES.iter().enumerate() {
                let k = k + 1;
                if missing[k].is_some() {
                    continue;
                }
                let kv = run_child(&[mode, path])?;
                if kv.iter().any(|(key, _)| key == "unavailable") {
                    missing[k] = Some("not yet measurable".into());
                    continue;
                }
                times[k].push(Duration::from_nanos(field(&kv, "total_ns")?));
                cpus[k].push(Duration::from_nanos(field(&kv, "cpu_ns")?));
                peaks[k] =
                    peaks[k].max(field(&kv, "hwm_kib")?.saturating_sub(field(&kv, "base_kib")?));
            }
        }
        let r = median(&cpus[0]);
        for k in 0..=PARSE_PASSES.len() {
            let label = if k == 0 {
                "`addconn --checkconfig` (spawned)"
            } else {
                PARSE_PASSES[k - 1].1
            };
            if let Some(why) = &missing[k] {
                t.row(vec![
                    n.to_string(),
                    fmt_bytes(size),
                    label.into(),
                    why.clone(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                ]);
                results[k].push(Err(why.clone()));
                continue;
            }
            let d = median(&cpus[k]);
            let per_conn = (peaks[k] * 1024).saturating_sub(size) as f64 / n as f64;
            let x = r.as_secs_f64() / d.as_secs_f64();
            t.row(vec![
                n.to_string(),
                fmt_bytes(size),
                label.into(),
                fmt_dur(median(&times[k])),
                fmt_dur(d),
                if k == 0 {
                    fmt_bytes(peaks[k] * 1024)
                } else {
                    format!("{} above start", fmt_bytes(peaks[k] * 1024))
                },
                format!("{per_conn:.0} B"),
                if k == 0 {
                    "1.0x".into()
                } else {
                    format!("{x:.1}x")
                },
            ]);
            results[k].push(Ok((d, peaks[k])));
            if k > 0 {
                let short = PARSE_PASSES[k - 1].0;
                rep.target(
                    &format!(
                        "parse-only of {n} ({short}): ≥10x faster than `addconn --checkconfig`"
                    ),
                    Some(x >= 10.0),
                    format!("{x:.1}x"),
                );
                rep.target(
                    &format!(
                        "parse-only of {n} ({short}): <1 KiB peak memory per connection beyond \
                         the file size"
                    ),
                    Some(per_conn < 1024.0),
                    format!("{per_conn:.0} B"),
                );
            }
        }
    }
    if let [n1, n2] = plan.parse_sizes[..] {
        let k = n2 as f64 / n1 as f64;
        let mut growth = Vec::new();
        for (i, runs) in results.iter().enumerate() {
            let name = if i == 0 {
                "`addconn --checkconfig`"
            } else {
                PARSE_PASSES[i - 1].0
            };
            match runs[..] {
                [Ok((d1, m1)), Ok((d2, m2))] => {
                    let x = d2.as_secs_f64() / d1.as_secs_f64();
                    growth.push(format!(
                        "{name}: CPU time {x:.1}x, memory {:.1}x",
                        m2 as f64 / m1.max(1) as f64
                    ));
                    if i > 0 {
                        // Linear within noise: no more than 1.5x the size ratio.
                        rep.target(
                            &format!("parse-only CPU time grows linearly, {name} ({n1} → {n2})"),
                            Some(x <= k * 1.5),
                            format!("{x:.1}x for {k:.0}x the connections"),
                        );
                    }
                }
                _ => growth.push(format!("{name}: not measurable")),
            }
        }
        t.caption(format!(
            "Growth {n1} → {n2} connections ({k:.0}x): {}.",
            growth.join("; ")
        ));
    }
    t.caption(format!(
        "Median times of {} runs, the passes taking turns. Speed-ups and growth compare CPU \
         time (user + system: rusage), which other load on the machine does not inflate as it \
         does wall time; the passes are single-threaded and read a cached file, so on a quiet \
         machine the two agree. Reference memory: ru_maxrss from \
         wait4. Ours: VmHWM of a child process that runs only the pass, minus its VmHWM before \
         the pass. `ipsecauto_check` reads the language only (every problem at once); \
         `--checkconfig` also processes every conn as addconn does before sending, and keeps them \
         all, as 4.10 does.",
        plan.parse_reps
    ));
    rep.table(t);
    Ok(())
}

fn big_status(plan: &Plan, pluto: &mut Pluto, rep: &mut Report) -> Result<()> {
    let n = plan.status_size;
    eprintln!("status of a pluto with {n} connections");
    let mut t = Table::new(
        "4. `status` of a big pluto, streamed",
        &[
            "caller",
            "connections loaded",
            "answer",
            "time to first line",
            "total",
            "caller's peak RSS",
        ],
    );
    let config = pluto.dir.join(format!("status-{n}.conf"));
    gen::write_config(&config, n)?;
    let msgs = floor_messages(&config, n)?;
    let mut hwm = Vec::new();
    for loaded in [0, n] {
        pluto.restart()?;
        if loaded > 0 && send_all(&pluto.socket, &msgs)? != n {
            return Err("pluto did not add every connection".into());
        }
        // Also the warm-up: a freshly started pluto answers its first request late.
        if loaded_names(&pluto.socket)? != loaded {
            return Err(format!("pluto does not list {loaded} connections").into());
        }
        let (mut first, mut total) = (Vec::new(), Vec::new());
        let (mut peak, mut above, mut lines, mut bytes) = (0, 0, 0, 0);
        for _ in 0..plan.parse_reps {
            let kv = run_child(&["status", pluto.socket_str()])?;
            first.push(Duration::from_nanos(field(&kv, "first_ns")?));
            total.push(Duration::from_nanos(field(&kv, "total_ns")?));
            peak = peak.max(field(&kv, "hwm_kib")?);
            above = above.max(field(&kv, "hwm_kib")?.saturating_sub(field(&kv, "base_kib")?));
            (lines, bytes) = (field(&kv, "lines")?, field(&kv, "bytes")?);
        }
        hwm.push(peak);
        t.row(vec![
            "library, Rust (line callback)".into(),
            loaded.to_string(),
            format!("{lines} lines, {}", fmt_bytes(bytes)),
            fmt_dur(median(&first)),
            fmt_dur(median(&total)),
            format!(
                "{} ({} above start)",
                fmt_bytes(peak * 1024),
                fmt_bytes(above * 1024)
            ),
        ]);
        let m = floor_message(Operation::Status, "", pluto.socket_str(), &[])?;
        let (mut first, mut total) = (Vec::new(), Vec::new());
        let mut bytes = 0;
        for _ in 0..plan.parse_reps {
            let (f, t, b) = raw_stream(&pluto.socket, &m)?;
            first.push(f);
            total.push(t);
            bytes = b;
        }
        t.row(vec![
            "raw socket (floor: read and discard)".into(),
            loaded.to_string(),
            fmt_bytes(bytes),
            fmt_dur(median(&first)),
            fmt_dur(median(&total)),
            "–".into(),
        ]);
        for (label, args) in [
            (
                "`ipsec whack --status` (spawned)",
                vec!["whack", "--ctlsocket", pluto.socket_str(), "--status"],
            ),
            (
                "`ipsec auto --status` (spawned)",
                vec!["auto", "--ctlsocket", pluto.socket_str(), "--status"],
            ),
        ] {
            let s = spawn_measured("ipsec", &args)?;
            t.row(vec![
                label.into(),
                loaded.to_string(),
                fmt_bytes(s.stdout_bytes),
                s.first_byte.map(fmt_dur).unwrap_or_else(|| "–".into()),
                fmt_dur(s.elapsed),
                format!("{} (largest process)", fmt_bytes(s.max_rss_kib * 1024)),
            ]);
        }
    }
    let grew = hwm[1].saturating_sub(hwm[0]);
    rep.target(
        &format!(
            "status of {n} connections: caller's peak memory does not grow with the answer \
             (within 512 KiB of an empty pluto's)"
        ),
        Some(grew <= 512),
        format!("{} more than for an empty pluto", fmt_bytes(grew * 1024)),
    );
    t.caption(format!(
        "Rust: a child process runs `Session::status` with a callback that only counts lines; \
         its VmHWM is read after the answer (median time and largest peak of {} runs). Spawned \
         tools: one run each, ru_maxrss of the largest process (wait4), stdout read through a \
         pipe.",
        plan.parse_reps
    ));
    rep.table(t);
    Ok(())
}
