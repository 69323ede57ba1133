//! Differential test against Debian's libreswan 4.10: for every `conn` of every `.conf` under
//! the conformance corpus's testing/pluto, the bytes our `addconn::run` sends equal those
//! `ipsec addconn --ctlsocket S --config F NAME` sends (and the exit statuses match). Both are
//! captured through listening Unix sockets; bytes that differ between runs of the oracle (4.10
//! leaves some uninitialised) are not compared, as conformance.py does.

mod addconn_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use addconn_common::{agrees, describe, oracle, ours, Capture};

/// The share of cases that must agree (raised as the implementation improves).
const THRESHOLD: f64 = 0.998;

fn corpus() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = std::env::var_os("IPSECAUTO_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            ["../shared", "../../shared"]
                .iter()
                .map(|p| root.join(p).join("conformance/libreswan-4.10")),
        );
    for c in candidates {
        if c.join("testing/pluto").is_dir() {
            return c;
        }
    }
    panic!("corpus not found: set IPSECAUTO_CORPUS to .../conformance/libreswan-4.10");
}

/// Copies the corpus, pointing its /testing/ and /etc/ipsec.d/ paths at the copy.
fn prepare(corpus: &Path, tmp: &Path) -> Vec<(PathBuf, String)> {
    let dst = tmp.join("testing");
    let status = Command::new("cp")
        .arg("-a")
        .arg(corpus.join("testing"))
        .arg(&dst)
        .status()
        .expect("cp");
    assert!(status.success());
    let etc = format!("{}/baseconfigs/all/etc/ipsec.d/", dst.display());
    let testing = format!("{}/", dst.display());
    let mut cases = Vec::new();
    let mut stack = vec![dst.clone()];
    let mut files = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    for p in files {
        let n = p.to_string_lossy().into_owned();
        if !(n.ends_with(".conf") || n.ends_with(".common")) {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let text = rewrite(&bytes, &etc, &testing);
        std::fs::write(&p, &text).unwrap();
        if !n.contains("/testing/pluto/") || !n.ends_with(".conf") && !n.ends_with(".common") {
            continue;
        }
        for line in text.split(|b| *b == b'\n') {
            let Some(rest) = line.strip_prefix(b"conn") else {
                continue;
            };
            if !rest.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
                continue;
            }
            let name: Vec<u8> = rest
                .iter()
                .skip_while(|c| c.is_ascii_whitespace())
                .take_while(|c| !c.is_ascii_whitespace())
                .copied()
                .collect();
            if name.is_empty() || name == b"%default" {
                continue;
            }
            cases.push((p.clone(), String::from_utf8_lossy(&name).into_owned()));
        }
    }
    cases
}

/// conformance.py's path rewrite: `/etc/ipsec.d/` (not inside a longer path) and `/testing/`.
fn rewrite(text: &[u8], etc: &str, testing: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let prev_ok = i == 0
            || !(text[i - 1].is_ascii_alphanumeric()
                || matches!(text[i - 1], b'_' | b'/' | b'.' | b'-'));
        if rest.starts_with(b"/etc/ipsec.d/") && prev_ok {
            out.extend_from_slice(etc.as_bytes());
            i += b"/etc/ipsec.d/".len();
        } else if rest.starts_with(b"/testing/") {
            out.extend_from_slice(testing.as_bytes());
            i += b"/testing/".len();
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn corpus_bytes_match_ipsec_addconn() {
    let corpus = corpus();
    let tmp = std::env::temp_dir().join(format!("addconn-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let cases = Arc::new(prepare(&corpus, &tmp));
    let next = Arc::new(AtomicUsize::new(0));
    let diffs = Arc::new(Mutex::new(Vec::new()));
    let threads = 4;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (cases, next, diffs, tmp) =
                (cases.clone(), next.clone(), diffs.clone(), tmp.clone());
            std::thread::spawn(move || {
                let rc = Capture::new(tmp.join(format!("ref{t}.ctl")));
                let nc = Capture::new(tmp.join(format!("new{t}.ctl")));
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((conf, name)) = cases.get(i) else {
                        break;
                    };
                    let mut refs = vec![oracle(&rc, conf, name)];
                    let new = ours(&nc, conf, name);
                    while !agrees(&refs, &new) && refs.len() < 5 {
                        refs.push(oracle(&rc, conf, name));
                    }
                    if !agrees(&refs, &new) {
                        diffs.lock().unwrap().push((i, describe(&refs[0], &new)));
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut diffs = diffs.lock().unwrap().clone();
    diffs.sort();
    for (i, why) in &diffs {
        let (conf, name) = &cases[*i];
        let rel = conf.strip_prefix(&tmp).unwrap_or(conf);
        println!("DIFF {}:{name}: {why}", rel.display());
    }
    let total = cases.len();
    let same = total - diffs.len();
    let share = same as f64 / total.max(1) as f64;
    println!(
        "addconn corpus: {same} identical of {total} ({:.2}%)",
        100.0 * share
    );
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(total > 1000, "corpus has only {total} cases");
    assert!(
        share >= THRESHOLD,
        "only {same} of {total} agree (threshold {THRESHOLD})"
    );
}
