//! Every *.conf of libreswan 4.10's test corpus: our check pass accepts it exactly when Debian's
//! `ipsec addconn --checkconfig` does, and rejects it at the same file and line.

mod config_support;

use std::fs;
use std::path::{Path, PathBuf};

use config_support::{addconn, agree, corpus, ours, par_map, scratch};

/// conformance.py's mapping: /etc/ipsec.d/ (not inside another path) and /testing/ point into
/// the copy.
fn map_paths(text: &[u8], etc: &[u8], testing: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let prev_ok = i == 0 || {
            let c = text[i - 1];
            !(c.is_ascii_alphanumeric() || c == b'_' || c == b'/' || c == b'.' || c == b'-')
        };
        if prev_ok && rest.starts_with(b"/etc/ipsec.d/") {
            out.extend_from_slice(etc);
            i += b"/etc/ipsec.d/".len();
        } else if rest.starts_with(b"/testing/") {
            out.extend_from_slice(testing);
            i += b"/testing/".len();
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path, etc: &[u8], testing: &[u8], confs: &mut Vec<PathBuf>) {
    fs::create_dir_all(to).unwrap();
    let mut entries: Vec<_> = fs::read_dir(from).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let src = e.path();
        let dst = to.join(e.file_name());
        let Ok(meta) = fs::metadata(&src) else {
            continue;
        };
        if meta.is_dir() {
            copy_tree(&src, &dst, etc, testing, confs);
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".conf") || name.ends_with(".common") {
            let text = fs::read(&src).unwrap();
            fs::write(&dst, map_paths(&text, etc, testing)).unwrap();
            if name.ends_with(".conf") {
                confs.push(dst);
            }
        } else {
            let _ = fs::copy(&src, &dst);
        }
    }
}

#[test]
fn corpus_matches_addconn_checkconfig() {
    let root = corpus();
    let tmp = scratch("corpus");
    let dst = tmp.join("testing");
    let etc = format!("{}/baseconfigs/all/etc/ipsec.d/", dst.display());
    let testing = format!("{}/", dst.display());
    let mut confs = Vec::new();
    copy_tree(
        &root.join("testing"),
        &dst,
        etc.as_bytes(),
        testing.as_bytes(),
        &mut confs,
    );
    assert!(
        confs.len() > 1000,
        "only {} *.conf files in the corpus",
        confs.len()
    );

    let results = par_map(&confs, 4, |p| {
        let r = addconn(p);
        let o = ours(p);
        (agree(&r, &o), r, o)
    });
    // Conn-level messages (the file is accepted, conns fail): every one we give, 4.10 gives.
    let (mut theirs, mut matched, mut extra) = (0, 0, 0);
    for (p, (_, r, ours)) in confs.iter().zip(&results) {
        let (t, o) = (&r.listed, &ours.listed);
        if std::env::var_os("IPSECAUTO_VERBOSE").is_some() {
            for m in t.iter().filter(|m| !o.contains(m)) {
                println!("MISSED {}: {m:?}", p.display());
            }
        }
        theirs += t.len();
        let mut pool: Vec<&String> = t.iter().collect();
        for m in o {
            match pool.iter().position(|x| *x == m) {
                Some(i) => {
                    pool.remove(i);
                    matched += 1;
                }
                None => {
                    extra += 1;
                    println!("EXTRA {}: {m:?} not among {t:?}", p.display());
                }
            }
        }
    }
    println!(
        "conn-level messages: 4.10 lists {theirs}, we give {matched} of them and {extra} others"
    );
    let same = results.iter().filter(|r| r.0).count();
    let rejected = results.iter().filter(|r| !r.1.accepted).count();
    for (p, (ok, r, o)) in confs.iter().zip(&results) {
        if std::env::var_os("IPSECAUTO_VERBOSE").is_some() && !r.accepted {
            println!(
                "REJECTED {}: 4.10 {:?}:{:?} {:?} / ours {:?}",
                p.display(),
                r.file,
                r.line,
                r.message.trim(),
                o.message
            );
        }
        if !ok {
            println!("DIFF {}\n  4.10: {:?}\n  ours: {:?}", p.display(), r, o);
        }
    }
    let pct = 100.0 * same as f64 / confs.len() as f64;
    println!(
        "config corpus: {same} of {} agree ({pct:.2}%), {rejected} rejected by 4.10",
        confs.len()
    );
    let _ = fs::remove_dir_all(&tmp);
    assert!(pct >= 99.0, "only {pct:.2}% agree");
    assert_eq!(extra, 0, "conn-level messages 4.10 does not give");
}
