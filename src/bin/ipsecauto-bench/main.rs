//! `make bench`: libipsecauto against libreswan's own tools, side by side, in one run against
//! one private pluto. Prints a Markdown report and writes it to BENCHMARKS.md.
//!
//! ```text
//! ipsecauto-bench [--smoke] [--out FILE] [--runs N]
//! ```
//! `--smoke` (or IPSECAUTO_BENCH_SMOKE=1) runs every measurement at a tiny size in seconds, so
//! `make test` keeps this program working; its numbers mean nothing and it writes no file
//! unless `--out` is given.

mod bulk;
mod floor;
mod gen;
mod latency;
mod measure;
mod parse;
mod pluto;
mod report;
mod status;
mod surfaces;

use std::path::{Path, PathBuf};
use std::time::Instant;

use ipsecauto::Session;

use measure::spawn_measured;
use pluto::Pluto;
use report::{fmt_bytes, Report};

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

    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let on = |s: &str| only.is_empty() || only.contains(s);
    if on("latency") {
        latency::latency(&plan, &mut pluto, &mut rep)?;
    }
    if on("bulk") {
        bulk::bulk(&plan, &mut pluto, &mut rep)?;
    }
    if on("parse") {
        parse::parse_only(&plan, &pluto, &mut rep)?;
    }
    if on("status") {
        status::big_status(&plan, &mut pluto, &mut rep)?;
    }

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
    if rep.failures() > 0 {
        return Err(format!("{} measurements failed (see the notes)", rep.failures()).into());
    }
    Ok(())
}

/// libreswan's addconn program (what `ipsec addconn` runs).
const ADDCONN: &str = "/usr/libexec/ipsec/addconn";
