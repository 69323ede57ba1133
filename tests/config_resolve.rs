//! Resolution against libreswan 4.10 itself: `readwriteconf` (shipped in Debian's libreswan)
//! loads a config with 4.10's confread.c and writes every conn back out, including each
//! keyword field it holds after also= and %default (as numbers: times in milliseconds, yes/no,
//! strings). For every corpus file 4.10 accepts, our resolved settings, written out by the
//! same rules, must appear in 4.10's output for that conn in the same order, and every such
//! line of 4.10's must be one of ours.

mod config_support;

use config_support::{corpus, par_map, resolution_agrees};

#[test]
fn corpus_resolution_matches_readwriteconf() {
    let root = corpus().join("testing");
    let mut confs = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "conf") {
                confs.push(p);
            }
        }
    }
    confs.sort();
    let results = par_map(&confs, 4, |p| resolution_agrees(p));
    let mut bad = 0;
    let mut lines = 0;
    for (p, r) in confs.iter().zip(&results) {
        match r {
            Ok(n) => lines += n,
            Err(e) => {
                bad += 1;
                println!("DIFF {}: {e}", p.display());
            }
        }
    }
    println!(
        "resolution: {} files, {lines} settings lines compared, {bad} differ",
        confs.len()
    );
    assert_eq!(bad, 0, "{bad} files differ");
}
