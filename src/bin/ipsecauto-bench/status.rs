//! Section 4: `status` of a pluto with many connections, streamed line by line.

use std::time::Duration;

use ipsecauto::ops::Operation;

use crate::floor::{floor_messages, loaded_names, raw_stream, send_all};
use crate::latency::floor_message;
use crate::measure::{field, median, run_child, spawn_measured};
use crate::pluto::Pluto;
use crate::report::{fmt_bytes, fmt_dur, Report, Table};
use crate::{gen, Plan, Result};

pub fn big_status(plan: &Plan, pluto: &mut Pluto, rep: &mut Report) -> Result<()> {
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
