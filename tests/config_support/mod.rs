//! Shared by the config tests: Debian's `ipsec addconn --checkconfig` as the oracle, and the
//! corpus location.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use ipsecauto::config::keywords::{kv, KEYWORDS};
use ipsecauto::config::{self, Field, Setting, Severity, Side, Type, Value};

/// What a tool said about a config file: accepted, or rejected at (file, line) with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub accepted: bool,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub message: String,
    /// When accepted: the conn-level errors 4.10 lists after "addconn, in config 'P', ".
    pub listed: Vec<String>,
}

/// Runs Debian's libreswan 4.10 `ipsec addconn --checkconfig --config PATH`.
pub fn addconn(path: &Path) -> Verdict {
    let out = Command::new("ipsec")
        .args(["addconn", "--checkconfig", "--config"])
        .arg(path)
        .output()
        .expect("run ipsec addconn (Debian's libreswan 4.10 must be installed)");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        let marker = format!("addconn, in config '{}', ", path.display());
        let listed = match stderr.find(&marker) {
            Some(i) => stderr[i + marker.len()..]
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        };
        return Verdict {
            accepted: true,
            file: None,
            line: None,
            message: stderr,
            listed,
        };
    }
    // "cannot load config 'P': FILE:LINE: MESSAGE" or "ERROR: FILE: LINE: MESSAGE".
    let mut v = Verdict {
        accepted: false,
        file: None,
        line: None,
        message: stderr.clone(),
        listed: Vec::new(),
    };
    let first = stderr
        .lines()
        .find(|l| l.starts_with("cannot load config") || l.starts_with("ERROR: "));
    if let Some(l) = first {
        if let Some(rest) = l.strip_prefix("ERROR: ") {
            let mut it = rest.splitn(3, ": ");
            if let (Some(f), Some(n), Some(m)) = (it.next(), it.next(), it.next()) {
                v.file = Some(f.to_string());
                v.line = n.parse().ok();
                v.message = m.to_string();
            }
        } else if let Some(i) = l.find("': ") {
            let rest = &l[i + 3..];
            // FILE:LINE: MESSAGE (FILE may contain ':' only in odd names; take the last match).
            let parts: Vec<&str> = rest.splitn(3, ':').collect();
            match (
                parts.first(),
                parts.get(1).and_then(|n| n.parse::<u32>().ok()),
                parts.get(2),
            ) {
                (Some(f), Some(n), Some(m)) => {
                    v.file = Some(f.to_string());
                    v.line = Some(n);
                    v.message = m.trim_start().to_string();
                }
                _ => v.message = rest.to_string(),
            }
        }
    }
    v
}

/// Our diagnostics that stand for messages 4.10 appends to that list.
pub fn our_conn_errors(path: &Path) -> Vec<String> {
    const LISTED: &[&str] = &[
        "duplicate key '",
        "cannot find conn '",
        "also= is not valid",
        "keyword '",
        "while loading conn '",
        "Invalid ",
        "invalid ",
        "ikev1 connection must use",
        "authby=ecdsa cannot",
        "connection authby= value",
        "cannot specify both",
        "only one of",
        "duplicate public key",
        "The vnet: and vhost:",
    ];
    config::check_file(path)
        .into_iter()
        .filter(|d| {
            d.severity != Severity::Fatal && LISTED.iter().any(|p| d.message.starts_with(p))
        })
        .map(|d| d.message.trim_end().to_string())
        .collect()
}

/// Our check pass, as a verdict.
pub fn ours(path: &Path) -> Verdict {
    let diags = config::check_file(path);
    match diags.first() {
        Some(d) if d.severity == Severity::Fatal => Verdict {
            accepted: false,
            file: if d.line > 0 {
                Some(d.file.display().to_string())
            } else {
                None
            },
            line: if d.line > 0 { Some(d.line) } else { None },
            message: d.message.clone(),
            listed: Vec::new(),
        },
        _ => Verdict {
            accepted: true,
            file: None,
            line: None,
            message: String::new(),
            listed: our_conn_errors(path),
        },
    }
}

/// Whether two verdicts agree: both accept, or both reject at the same place.
pub fn agree(reference: &Verdict, ours: &Verdict) -> bool {
    match (reference.accepted, ours.accepted) {
        (true, true) => true,
        (false, false) => {
            let first = |m: &str| m.trim().lines().next().unwrap_or("").trim_end().to_string();
            let same_message = first(&reference.message) == first(&ours.message);
            if reference.line.is_some() {
                same_message && reference.line == ours.line && reference.file == ours.file
            } else if reference.message.starts_with("unexpected keyword") {
                same_message
            } else {
                true // 4.10 aborted (an assertion): only the verdict is comparable
            }
        }
        _ => false,
    }
}

/// The libreswan 4.10 corpus: $IPSECAUTO_CORPUS, or `shared/conformance/libreswan-4.10` next to
/// the repository (or one of its parents). Panics when absent: the test must not pass without it.
pub fn corpus() -> PathBuf {
    if let Ok(p) = std::env::var("IPSECAUTO_CORPUS") {
        let p = PathBuf::from(p);
        assert!(
            p.join("testing").is_dir(),
            "IPSECAUTO_CORPUS={} has no testing/",
            p.display()
        );
        return p;
    }
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("../shared/conformance/libreswan-4.10");
        if c.join("testing").is_dir() {
            return c.canonicalize().unwrap_or(c);
        }
        if !dir.pop() {
            panic!("corpus not found: set IPSECAUTO_CORPUS or provide ../shared/conformance/libreswan-4.10");
        }
    }
}

/// A fresh scratch directory under the system temp dir.
pub fn scratch(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("ipsecauto-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `f` over `items` on a few threads, keeping the order of results.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                *results[i].lock().unwrap() = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}

const READWRITECONF: &str = "/usr/libexec/ipsec/readwriteconf";

/// confwrite.c's confwrite_int + confwrite_str for one context, from our settings.
fn render(side: &str, context: u16, get: &dyn Fn(Field) -> Option<Setting>, out: &mut Vec<String>) {
    let rows = || {
        KEYWORDS.iter().filter(move |k| {
            k.enabled
                && k.validity & (kv::CONFIG | kv::CONN | kv::LEFTRIGHT) == context
                && k.validity & (kv::ALIAS | kv::POLICY | kv::PROCESSED) == 0
        })
    };
    for k in rows() {
        let Some(s) = get(k.field) else { continue };
        let line = match (k.ty, &s.value) {
            (Type::Bool | Type::InvertBool, Value::Bool(b)) => {
                (if *b { "yes" } else { "no" }).to_string()
            }
            (Type::LooseEnum, Value::Loose(None)) => s.raw.clone(),
            (Type::Enum | Type::LooseEnum, _) => String::new(),
            (Type::Lset, Value::Lset(0)) => continue,
            (Type::Lset, Value::Lset(v)) => format!("\"{}\"", lset_names(*v)),
            (Type::Time | Type::Binary | Type::Byte | Type::Number, v) => {
                format!("{}", v.number().unwrap_or(0) as i64)
            }
            _ => continue,
        };
        out.push(format!("\t{side}{}={line}", k.name));
    }
    for k in rows() {
        // 4.10 leaves the last also= section's also= text in the field; ours keeps the conn's.
        if k.field == Field::Conn(ipsecauto::config::Kw::Also) {
            continue;
        }
        let Some(s) = get(k.field) else { continue };
        let line = match (k.ty, &s.value) {
            (Type::AppendList, _) => format!("{{{}}}", s.raw),
            (Type::String | Type::AppendString | Type::Filename | Type::Dirname, Value::Text) => {
                if s.raw.contains(' ') {
                    format!("\"{}\"", s.raw)
                } else {
                    s.raw.clone()
                }
            }
            _ => continue,
        };
        out.push(format!("\t{side}{}={line}", k.name));
    }
}

fn lset_names(v: u64) -> String {
    ipsecauto::config::keywords::DEBUG_BITS
        .iter()
        .filter(|(_, i)| v & (1 << i) != 0)
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

/// Lines 4.10 writes from other state (addresses, policy bits, comments): not compared.
fn special(line: &str) -> bool {
    let key = line.trim_start().split('=').next().unwrap_or("");
    let bare = key
        .strip_prefix("left")
        .or_else(|| key.strip_prefix("right"))
        .unwrap_or(key);
    key.starts_with('#')
        || key.starts_with("x-")
        || key.starts_with("x_")
        || matches!(
            key,
            "type"
                | "compress"
                | "pfs"
                | "ikepad"
                | "authby"
                | "phase2"
                | "ikev2"
                | "ppk"
                | "esn"
                | "ike_frag"
                | "auto"
                | "connalias"
                | "also"
        )
        || (key != bare
            && matches!(
                bare,
                "" | "id"
                    | "nexthop"
                    | "subnet"
                    | "vti"
                    | "interface-ip"
                    | "rsasigkey"
                    | "ecdsakey"
                    | "pubkey"
                    | "protoport"
                    | "cert"
                    | "sourceip"
            ))
}

/// Splits readwriteconf's output into ("config setup" | "conn NAME", lines).
fn blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in text.lines() {
        if l.starts_with("conn ") || l == "config setup" {
            out.push((l.to_string(), Vec::new()));
        } else if let Some(b) = out.last_mut() {
            if !l.is_empty() {
                b.1.push(l.to_string());
            }
        }
    }
    out
}

/// Our lines must be a subsequence of 4.10's; 4.10's other lines must be special ones.
fn compare(theirs: &[String], ours: &[String]) -> Result<(), String> {
    let mut used = HashSet::new();
    let mut at = 0;
    for o in ours {
        match theirs[at..].iter().position(|t| t == o) {
            Some(i) => {
                used.insert(at + i);
                at += i + 1;
            }
            None => return Err(format!("ours {o:?} not in 4.10's {theirs:?}")),
        }
    }
    for (i, t) in theirs.iter().enumerate() {
        if !used.contains(&i) && !special(t) {
            return Err(format!("4.10's {t:?} not in ours {ours:?}"));
        }
    }
    Ok(())
}

/// Compares our resolved settings with what 4.10's `readwriteconf` writes back out for a
/// config it loads (see tests/config_resolve.rs). Ok(number of lines compared).
pub fn resolution_agrees(path: &Path) -> Result<usize, String> {
    let out = Command::new(READWRITECONF)
        .arg("--config")
        .arg(path)
        .output()
        .map_err(|e| e.to_string())?;
    let Ok(cfg) = config::load_file(path) else {
        return Ok(0); // rejected: the corpus test compares those
    };
    let theirs = blocks(&String::from_utf8_lossy(&out.stdout));
    let mut ours: Vec<(String, Vec<String>)> = Vec::new();
    let mut setup = Vec::new();
    render(
        "",
        kv::CONFIG,
        &|f| match f {
            Field::Setup(k) => cfg.setup.get(k).cloned(),
            _ => None,
        },
        &mut setup,
    );
    ours.push(("config setup".into(), setup));
    for c in &cfg.conns {
        let mut lines = Vec::new();
        for (side, name) in [(Side::Left, "left"), (Side::Right, "right")] {
            render(
                name,
                kv::CONN | kv::LEFTRIGHT,
                &|f| match f {
                    Field::End(k) => c.end(side).get(k).cloned(),
                    _ => None,
                },
                &mut lines,
            );
        }
        render(
            "",
            kv::CONN,
            &|f| match f {
                Field::Conn(k) => c.get(k).cloned(),
                _ => None,
            },
            &mut lines,
        );
        ours.push((format!("conn {}", c.name), lines));
    }
    if theirs.len() != ours.len() {
        return Err(format!(
            "{} sections from 4.10, {} from us",
            theirs.len(),
            ours.len()
        ));
    }
    for ((tn, tl), (on, ol)) in theirs.iter().zip(&ours) {
        if tn != on {
            return Err(format!("section {tn:?} vs {on:?}"));
        }
        compare(tl, ol).map_err(|e| format!("{tn}: {e}"))?;
    }
    Ok(ours.iter().map(|o| o.1.len()).sum())
}
