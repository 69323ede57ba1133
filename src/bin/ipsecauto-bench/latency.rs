//! Section 1: per-operation latency through every way in, side by side.

use std::process::Command;
use std::time::{Duration, Instant};

use ipsecauto::ops::{ConfigSource, Operation};
use ipsecauto::{Profile, Session};

use crate::floor::{floor_messages, send_all};
use crate::measure::{spawn_timed, summarize, Summary};
use crate::pluto::Pluto;
use crate::report::{self, fmt_dur, Report, Table};
use crate::{gen, surfaces, Plan, Result};

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
pub fn floor_message(
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

pub fn latency(plan: &Plan, pluto: &mut Pluto, rep: &mut Report) -> Result<()> {
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
                Ok(_) => Cell::Missing("failed: no runs".into()),
                Err(e) => Cell::Missing(format!("failed: {e}")),
            },
        };
        let to_cells = |runs: Vec<Runs>, row: usize| -> Vec<Cell> {
            runs.into_iter()
                .zip(COLUMNS)
                .map(|(r, via)| match (via, r.failed) {
                    (Via::Python, _) => python_cell(row),
                    (_, Some(e)) if e.starts_with("not yet") => Cell::Missing(e),
                    (_, Some(e)) => Cell::Missing(format!("failed: {e}")),
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
                Cell::Missing(why) if why.starts_with("failed") => {
                    rep.failure(format!("{label}, {}: {why}", report::COLUMN_NAMES[col]));
                    "failed (see notes)".into()
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
