//! The report: the machine it ran on, the tables, the targets and whether they were met, as
//! Markdown (printed, and written to BENCHMARKS.md).

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

/// The latency table's columns, in `Via` order.
pub const COLUMN_NAMES: [&str; 6] = [
    "`ipsec auto`",
    "`ipsec whack`/`addconn`",
    "Rust in-process",
    "C ABI",
    "Python",
    "raw socket",
];

pub struct Table {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    captions: Vec<String>,
}

impl Table {
    pub fn new(title: &str, headers: &[&str]) -> Table {
        Table {
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            captions: Vec::new(),
        }
    }

    pub fn row(&mut self, r: Vec<String>) {
        debug_assert_eq!(r.len(), self.headers.len());
        self.rows.push(r);
    }

    pub fn caption(&mut self, c: String) {
        self.captions.push(c);
    }
}

struct Target {
    what: String,
    met: Option<bool>,
    figure: String,
}

pub struct Report {
    smoke: bool,
    machine: Vec<(&'static str, String)>,
    tables: Vec<Table>,
    targets: Vec<Target>,
    notes: Vec<String>,
    failures: usize,
}

fn command_line(prog: &str, args: &[&str]) -> String {
    Command::new(prog)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// /proc/loadavg's 1, 5 and 15 minute figures: other work on the machine skews every number.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// The commit measured; "-dirty" if the sources differ from it (the report itself aside).
fn revision() -> String {
    let commit = command_line("git", &["rev-parse", "--short", "HEAD"]);
    let clean = Command::new("git")
        .args([
            "diff",
            "--quiet",
            "HEAD",
            "--",
            ".",
            ":(exclude)BENCHMARKS.md",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if clean {
        commit
    } else {
        format!("{commit}-dirty")
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

impl Report {
    pub fn new(smoke: bool) -> std::io::Result<Report> {
        let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
        let mem_kib = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .unwrap_or(0);
        Ok(Report {
            smoke,
            machine: vec![
                (
                    "date (UTC)",
                    command_line("date", &["-u", "+%Y-%m-%d %H:%M"]),
                ),
                ("nproc", nproc.to_string()),
                ("CPU", cpu_model()),
                ("memory", fmt_bytes(mem_kib * 1024)),
                ("kernel", command_line("uname", &["-sr"])),
                ("load average at the start", load_average()),
                ("libreswan", command_line("ipsec", &["--version"])),
                (
                    "libipsecauto",
                    format!("{} ({})", env!("CARGO_PKG_VERSION"), revision()),
                ),
            ],
            tables: Vec::new(),
            targets: Vec::new(),
            notes: Vec::new(),
            failures: 0,
        })
    }

    pub fn machine(&mut self, what: &'static str, value: String) {
        self.machine.push((what, value));
    }

    pub fn table(&mut self, t: Table) {
        self.tables.push(t);
    }

    pub fn note(&mut self, n: String) {
        self.notes.push(n);
    }

    /// A measurement that should have worked and did not: noted, and the run fails.
    pub fn failure(&mut self, what: String) {
        self.failures += 1;
        self.notes.push(format!("**Failed**: {what}"));
    }

    pub fn failures(&self) -> usize {
        self.failures
    }

    /// A target of the issue: `met` is `None` while it cannot be measured.
    pub fn target(&mut self, what: &str, met: Option<bool>, figure: String) {
        self.targets.push(Target {
            what: what.into(),
            met,
            figure,
        });
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# libipsecauto benchmarks\n");
        if self.smoke {
            let _ = writeln!(
                s,
                "**Smoke run** (`--smoke`): tiny sizes and few runs, to keep the benchmark \
                 working. These figures mean nothing.\n"
            );
        }
        let _ = writeln!(
            s,
            "Generated by `make bench` (src/bin/ipsecauto-bench); do not edit by hand. One run, \
             against one private pluto (own run directory, NSS database and log file) started \
             and torn down by the benchmark.\n"
        );
        let _ = writeln!(s, "| machine | |\n|---|---|");
        for (k, v) in &self.machine {
            let _ = writeln!(s, "| {k} | {} |", cell(v));
        }
        for t in &self.tables {
            let _ = writeln!(s, "\n## {}\n", t.title);
            let _ = writeln!(
                s,
                "| {} |\n|{}|",
                t.headers
                    .iter()
                    .map(|h| cell(h))
                    .collect::<Vec<_>>()
                    .join(" | "),
                t.headers
                    .iter()
                    .map(|_| "---")
                    .collect::<Vec<_>>()
                    .join("|")
            );
            for r in &t.rows {
                let _ = writeln!(
                    s,
                    "| {} |",
                    r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                );
            }
            for c in &t.captions {
                let _ = writeln!(s, "\n{c}");
            }
        }
        let _ = writeln!(
            s,
            "\n## Targets\n\n| target | result | figure |\n|---|---|---|"
        );
        for t in &self.targets {
            let verdict = match t.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "not yet measurable",
            };
            let _ = writeln!(s, "| {} | {verdict} | {} |", cell(&t.what), cell(&t.figure));
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        s
    }
}

/// Text made safe for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn fmt_dur(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

pub fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 {
        format!("{b:.0} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.2} GiB", b / 1024.0 / 1024.0 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_with_the_figure() {
        assert_eq!(fmt_dur(Duration::from_nanos(950)), "950 ns");
        assert_eq!(fmt_dur(Duration::from_micros(272)), "272.0 µs");
        assert_eq!(fmt_dur(Duration::from_millis(5)), "5.00 ms");
        assert_eq!(fmt_bytes(6932), "6.8 KiB");
        assert_eq!(fmt_bytes(621 << 20), "621.0 MiB");
    }

    #[test]
    fn table_cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
