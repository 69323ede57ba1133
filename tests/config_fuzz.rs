//! Differential fuzzing: random small configs built from ipsec.conf's building blocks (and
//! its odd corners) get the same verdict, file:line and message from our check pass as from
//! Debian's `ipsec addconn --checkconfig`. Fixed seed (IPSECAUTO_FUZZ_SEED to change); IPSECAUTO_FUZZ=N runs N cases.

mod config_support;

use std::fs;

use config_support::{addconn, agree, ours, par_map, resolution_agrees, scratch};

const PIECES: &[&str] = &[
    "conn a",
    "conn b",
    "conn %default",
    "config setup",
    "include /nonexistent",
    "version 2.0",
    "version",
    "\tauto=add",
    "\tauto=bogus",
    "\tauto=",
    "\tauto=\"start\"",
    "\tAUTO=Start",
    "\talso=b",
    "\talso=a",
    "\talso=\"a b\"",
    "\tleft=%any",
    "\tleft=192.0.2.1",
    "\tleft=",
    "\tright=\"%defaultroute\"",
    "\tleftsubnet={10.0.0.0/8}",
    "\trightid=\"@x y\"",
    "\tleftid=@a\"b",
    "\tpfs=yes",
    "\tpfs=no",
    "\tpfs=maybe",
    "\tpfs=",
    "\tpfs=\"yes\"",
    "\tikelifetime=8h",
    "\tikelifetime=8x",
    "\tikelifetime=",
    "\tikelifetime=60",
    "\trekeyfuzz=50%",
    "\trekeyfuzz=50",
    "\tmtu=1400",
    "\tmtu=abc",
    "\tmtu=",
    "\tx-foo=bar",
    "\tx-foo=",
    "\tlogfile=/tmp/x",
    "\tplutodebug=all",
    "\tplutodebug=bogus",
    "\tuniqueids=yes",
    "\tinterfaces=x",
    "\tforceencaps=yes",
    "\tbogus=1",
    "\tleftrsasigkey=%cert",
    "\tipsec-max-bytes=1KiB",
    "\tipsec-max-bytes=1Ki",
    "\tkeyingtries=%forever",
    "\ttype=tunnel",
    "\ttype=bogus,tunnel",
    "\ttype=tunnel,bogus",
    "\tauthby=secret",
    "\tauthby=bogus",
    "  # comment",
    "# comment",
    "#c",
    "\t#c",
    "",
    " ",
    "\t",
    "\tauto=add # c",
    "\tauto=add #c",
    "\t\tauto=add",
    "conn",
    "conn a b",
    "conn \"a b\"",
    "conn 1",
    "\tleft=1.2.3.4\r",
    "\t=x",
    "=",
    "\tauto",
    "\t\"",
    "\tleftid={a b",
    "\tleftid=a}b",
    "\tleftid=\"",
    "setup",
    "config",
    "conn a=b",
    "\tdpddelay=%forever",
];

/// Same verdict, same conn-level messages, and for accepted files the same resolved settings.
fn same(p: &std::path::Path, r: &config_support::Verdict, o: &config_support::Verdict) -> bool {
    let listed = r.listed.iter().filter(|m| !m.starts_with("bad "));
    if !agree(r, o) || !listed.eq(o.listed.iter()) {
        return false;
    }
    if r.accepted {
        if let Err(e) = resolution_agrees(p) {
            println!("RESOLUTION {}: {e}", p.display());
            return false;
        }
    }
    true
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_configs_as_addconn_checkconfig_sees_them() {
    let n: usize = std::env::var("IPSECAUTO_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed = std::env::var("IPSECAUTO_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let dir = scratch("fuzz");
    let mut cases = Vec::new();
    let headers: Vec<&str> = PIECES
        .iter()
        .copied()
        .filter(|p| !p.starts_with(['\t', ' ', '#']) && !p.is_empty())
        .collect();
    // Keyword lines our own check accepts in a conn (so that most structured files load).
    let lines: Vec<&str> = PIECES
        .iter()
        .copied()
        .filter(|p| p.starts_with('\t'))
        .filter(|p| {
            let text = format!("conn a\n{p}\n");
            let d = ipsecauto::config::check_str(&text, "t", std::path::Path::new("/"));
            !d.iter()
                .any(|d| d.severity == ipsecauto::config::Severity::Fatal)
        })
        .collect();
    for i in 0..n {
        let mut text = String::new();
        if i % 2 == 0 {
            // Free-form: any pieces in any order.
            for _ in 0..1 + rng.below(8) {
                text.push_str(PIECES[rng.below(PIECES.len())]);
                if rng.below(10) != 0 {
                    text.push('\n');
                }
            }
        } else {
            // Mostly well-formed: sections of keyword lines, a few odd pieces.
            for _ in 0..1 + rng.below(3) {
                let h = [
                    "conn a",
                    "conn b",
                    "conn %default",
                    "config setup",
                    "conn c",
                ][rng.below(5)];
                text.push_str(if rng.below(25) == 0 {
                    headers[rng.below(headers.len())]
                } else {
                    h
                });
                text.push('\n');
                for _ in 0..rng.below(5) {
                    let l = if rng.below(25) == 0 {
                        PIECES[rng.below(PIECES.len())]
                    } else {
                        lines[rng.below(lines.len())]
                    };
                    text.push_str(l);
                    text.push('\n');
                }
            }
        }
        let p = dir.join(format!("f{i}.conf"));
        fs::write(&p, &text).unwrap();
        cases.push((p, text));
    }
    let results = par_map(&cases, 4, |(p, _)| {
        let (r, o) = (addconn(p), ours(p));
        (same(p, &r, &o), r, o)
    });
    let mut bad = Vec::new();
    for ((_, text), (ok, r, o)) in cases.iter().zip(&results) {
        if !ok {
            bad.push(format!("{text:?}\n  4.10: {r:?}\n  ours: {o:?}"));
        }
    }
    let rejected = results.iter().filter(|r| !r.1.accepted).count();
    println!(
        "fuzz: {n} configs, {rejected} rejected by 4.10, {} differ",
        bad.len()
    );
    let _ = fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Corpus files with a few random edits (characters ipsec.conf cares about inserted, deleted,
/// lines doubled or dropped).
#[test]
fn mutated_corpus_files_as_addconn_checkconfig_sees_them() {
    let n: usize = std::env::var("IPSECAUTO_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("IPSECAUTO_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut rng = Rng(seed | 1);
    let mut sources = Vec::new();
    let root = config_support::corpus().join("testing/pluto");
    for e in fs::read_dir(&root).unwrap().flatten() {
        for f in ["west.conf", "east.conf", "road.conf", "north.conf"] {
            let p = e.path().join(f);
            if let Ok(t) = fs::read(&p) {
                // Includes would point outside the scratch copy.
                if !t.windows(7).any(|w| w == b"include") {
                    sources.push(t);
                }
            }
        }
    }
    sources.sort();
    assert!(sources.len() > 100);
    let dir = scratch("mutate");
    let mut cases = Vec::new();
    for i in 0..n {
        let mut t = sources[rng.below(sources.len())].clone();
        for _ in 0..1 + rng.below(3) {
            if t.is_empty() {
                break;
            }
            let at = rng.below(t.len());
            match rng.below(5) {
                0 => {
                    t.remove(at);
                }
                1 | 2 => {
                    let c = b" \t\n\"={}#%xX-0,;:"[rng.below(16)];
                    t.insert(at, c);
                }
                3 => {
                    // Double the line holding `at`.
                    let s = t[..at]
                        .iter()
                        .rposition(|&c| c == b'\n')
                        .map_or(0, |i| i + 1);
                    let e = t[at..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(t.len(), |i| at + i + 1);
                    let line = t[s..e].to_vec();
                    t.splice(e..e, line);
                }
                _ => {
                    let s = t[..at]
                        .iter()
                        .rposition(|&c| c == b'\n')
                        .map_or(0, |i| i + 1);
                    let e = t[at..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(t.len(), |i| at + i + 1);
                    t.drain(s..e);
                }
            }
        }
        let p = dir.join(format!("m{i}.conf"));
        fs::write(&p, &t).unwrap();
        cases.push((p, String::from_utf8_lossy(&t).into_owned()));
    }
    let results = par_map(&cases, 4, |(p, _)| {
        let (r, o) = (addconn(p), ours(p));
        (same(p, &r, &o), r, o)
    });
    let mut bad = Vec::new();
    for ((p, text), (ok, r, o)) in cases.iter().zip(&results) {
        if !ok {
            bad.push(format!(
                "{} {text:?}\n  4.10: {r:?}\n  ours: {o:?}",
                p.display()
            ));
        }
    }
    let rejected = results.iter().filter(|r| !r.1.accepted).count();
    println!(
        "mutated corpus: {n} configs, {rejected} rejected by 4.10, {} differ",
        bad.len()
    );
    if bad.is_empty() {
        let _ = fs::remove_dir_all(&dir);
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
