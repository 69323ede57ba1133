//! Section 3: parse-only passes, time and peak memory, against `addconn --checkconfig`.

use std::time::Duration;

use crate::measure::{field, median, run_child, spawn_measured};
use crate::pluto::Pluto;
use crate::report::{fmt_bytes, fmt_dur, Report, Table};
use crate::{gen, Plan, Result, ADDCONN};

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

pub fn parse_only(plan: &Plan, pluto: &Pluto, rep: &mut Report) -> Result<()> {
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
