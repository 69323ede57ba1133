//! Section 2: adding a whole generated configuration, against addconn and the floor.

use std::time::{Duration, Instant};

use ipsecauto::Profile;

use crate::floor::{floor_messages, loaded_names, send_all};
use crate::measure::{self, median, spawn_measured};
use crate::pluto::Pluto;
use crate::report::{fmt_dur, Report, Table};
use crate::{gen, surfaces, Plan, Result, ADDCONN};

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

pub fn bulk(plan: &Plan, pluto: &mut Pluto, rep: &mut Report) -> Result<()> {
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
                Some(Err(e)) => {
                    rep.failure(format!("bulk add of {n}, our whole-file pass: {e}"));
                    ours_missing = Some("failed (see notes)".into())
                }
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
