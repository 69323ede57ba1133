//! Differential tests of every config-free operation against libreswan 4.10's own `ipsec auto`:
//! the bytes our library sends equal the bytes `ipsec auto` (through `ipsec whack`) sends, and the
//! exit status and stdout of our CLI equal `ipsec auto`'s for scripted pluto answers.

mod support;

use std::process::Command;
use std::time::Duration;

use ipsecauto::cli::{self, Command as Cli};
use ipsecauto::ops::{self, NoXauth};
use ipsecauto::reply::Line;
use support::capture::{Capture, Script};

/// `ipsec auto` argument lists (without --ctlsocket) for every operation and flag combination.
fn cases() -> Vec<Vec<&'static str>> {
    let mut v: Vec<Vec<&str>> = vec![
        vec!["--status"],
        vec!["--ready"],
        vec!["--rereadsecrets"],
        vec!["--rereadall"],
        vec!["--rereadcerts"],
        vec!["--listall"],
        vec!["--listcerts"],
        vec!["--listpubkeys"],
        vec!["--checkpubkeys"],
        vec!["--listcacerts"],
        vec!["--listcrls"],
        vec!["--purgeocsp"],
        vec!["--up", "west"],
        vec!["--asynchronous", "--up", "west"],
        vec!["--up", "west", "--remote-host", "192.0.2.9"],
        vec!["--remote-host", "192.0.2.9", "--up", "west"],
        vec![
            "--asynchronous",
            "--remote-host",
            "2001:db8::9",
            "--up",
            "west",
        ],
        vec!["--down", "west"],
        vec!["--asynchronous", "--down", "west"],
        vec!["--delete", "west"],
        vec!["--route", "west"],
        vec!["--unroute", "west"],
        vec!["--up", "name with spaces"],
        vec!["--delete", "a;b$(c)"],
        vec!["--up", "x --delete"],
        vec!["--up", ""],
        vec!["--verbose", "--status"],
        vec!["--showonly", "--status"],
        vec!["west", "up"],
        vec!["status"],
        vec!["listall"],
        vec!["rereadcacerts"],
        vec!["--up", "é-ünïcode"],
        vec!["--up", "--"],
    ];
    for list in [
        "--listall",
        "--listcerts",
        "--listpubkeys",
        "--checkpubkeys",
        "--listcacerts",
        "--listcrls",
        "--purgeocsp",
    ] {
        v.push(vec!["--utc", list]);
    }
    v
}

/// Runs libreswan's `ipsec auto` against a capturing socket: exit status and messages sent.
fn oracle(cap: &Capture, args: &[&str]) -> (i32, Vec<Vec<u8>>) {
    let out = Command::new("ipsec")
        .arg("auto")
        .arg("--ctlsocket")
        .arg(cap.path())
        .args(args)
        .output()
        .expect("ipsec auto runs");
    // The capture records a connection once the client is gone; give it a moment.
    std::thread::sleep(Duration::from_millis(30));
    (out.status.code().unwrap_or(-1), cap.take())
}

/// Runs the same request through the library, in-process.
fn ours(cap: &Capture, args: &[&str]) -> (i32, Vec<Vec<u8>>) {
    let mut argv: Vec<String> = vec!["--ctlsocket".into(), cap.path().display().to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let status = match cli::parse(&argv, "4.10", "/run/pluto/pluto.ctl".into()) {
        Cli::Run {
            op,
            names,
            options,
            showonly: false,
            ..
        } => {
            let steps = ops::plan(op, &names, &options);
            ops::execute(&steps, &options, &mut |_: &Line| {}, &mut NoXauth).exit_status
        }
        Cli::Run { showonly: true, .. } | Cli::Print(_) => 0,
        Cli::Fail { status, .. } => status,
    };
    std::thread::sleep(Duration::from_millis(30));
    (status, cap.take())
}

/// Equal, except for bytes libreswan itself leaves uninitialised (they differ between two of
/// its own runs for the same request).
fn same_bytes(reference: &[Vec<u8>], noise: &[Vec<u8>], ours: &[Vec<u8>]) -> Result<(), String> {
    if reference.len() != ours.len() {
        return Err(format!("{} messages vs {}", reference.len(), ours.len()));
    }
    for (i, (r, o)) in reference.iter().zip(ours).enumerate() {
        if r.len() != o.len() {
            return Err(format!("message {i}: {} bytes vs {}", r.len(), o.len()));
        }
        let n = &noise[i];
        if let Some(k) = (0..r.len()).find(|&k| r[k] != o[k] && n[k] == r[k]) {
            return Err(format!(
                "message {i}: first difference at offset {k}: {:#04x} vs {:#04x}",
                r[k], o[k]
            ));
        }
    }
    Ok(())
}

#[test]
fn library_sends_what_ipsec_auto_sends() {
    let dir = tempdir();
    let cap_ref = Capture::start(dir.join("ref.ctl"), Script::answer(b""));
    let cap_new = Capture::start(dir.join("new.ctl"), Script::answer(b""));
    let mut failures = Vec::new();
    let all = cases();
    for args in &all {
        let (rs, rm) = oracle(&cap_ref, args);
        let (_, noise) = oracle(&cap_ref, args);
        let noise = if noise.len() == rm.len() {
            noise
        } else {
            rm.clone()
        };
        let (ns, nm) = ours(&cap_new, args);
        if rs != ns {
            failures.push(format!("{args:?}: exit {rs} vs {ns}"));
        } else if let Err(e) = same_bytes(&rm, &noise, &nm) {
            failures.push(format!("{args:?}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    eprintln!(
        "oracle: {} of {} operations byte-identical",
        all.len(),
        all.len()
    );
}

/// Scripted answers covering every RC class, a missing prefix, an unterminated and an over-long line.
fn replies() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        &b""[..],
        b"000 hello\n",
        b"001 raw line\n",
        b"002 \"west\" #1: initiating\n004 \"west\" #2: established\n",
        b"003 serious\n",
        b"005 info\n006 traffic\n",
        b"010 retransmit\n",
        b"021 no connection named \"west\"\n",
        b"025 cannot route\n",
        b"036 failed\n000 later\n",
        b"036 failed\n004 ok\n",
        b"099 top\n",
        b"100 state\n",
        b"200 odd\n",
        b"031 timeout\n",
        b"no prefix here\n",
        b"000 a\nno prefix\n000 b\n",
        b"002 unterminated",
        b"\n",
        b"  21 spaced\n",
        b"-5 negative\n",
        b"000 a\n000 b\n042 c\n",
        b"012 x\n003 y\n",
        b"021 caf\xc3\xa9 \xff bytes\n",
    ]
    .iter()
    .map(|r| r.to_vec())
    .collect();
    let mut long = b"000 ".to_vec();
    long.extend(std::iter::repeat(b'x').take(5000));
    long.push(b'\n');
    v.push(long);
    let mut exact = b"000 ".to_vec();
    exact.extend(std::iter::repeat(b'y').take(4091));
    exact.extend_from_slice(b"\n021 after\n");
    v.push(exact);
    v
}

#[test]
fn cli_prints_and_exits_as_ipsec_auto_for_every_answer() {
    let dir = tempdir();
    let sock = dir.join("s.ctl");
    let ours_bin = env!("CARGO_BIN_EXE_ipsec-auto");
    let mut failures = Vec::new();
    let all = replies();
    for reply in &all {
        for args in [
            &["--up", "west"][..],
            &["--asynchronous", "--up", "west"],
            &["--status"],
        ] {
            let mut results = Vec::new();
            for prog in [&["ipsec", "auto"][..], &[ours_bin]] {
                let cap = Capture::start(&sock, Script::answer(reply));
                let out = Command::new(prog[0])
                    .args(&prog[1..])
                    .arg("--ctlsocket")
                    .arg(&sock)
                    .args(args)
                    .output()
                    .expect("runs");
                drop(cap);
                results.push((out.status.code(), out.stdout));
            }
            if results[0] != results[1] {
                failures.push(format!(
                    "{args:?} reply {:?}: exit {:?} vs {:?}, stdout {:?} vs {:?}",
                    String::from_utf8_lossy(&reply[..reply.len().min(40)]),
                    results[0].0,
                    results[1].0,
                    String::from_utf8_lossy(&results[0].1[..results[0].1.len().min(80)]),
                    String::from_utf8_lossy(&results[1].1[..results[1].1.len().min(80)]),
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn showonly_prints_what_ipsec_auto_prints() {
    let ours_bin = env!("CARGO_BIN_EXE_ipsec-auto");
    let mut failures = Vec::new();
    let mut all: Vec<Vec<&str>> = cases()
        .into_iter()
        .map(|c| [&["--showonly"][..], &c].concat())
        .collect();
    for op in [
        "--add",
        "--replace",
        "--start",
        "--ondemand",
        "--rotatecert",
        "--fetchcrls",
        "--rereadcrls",
    ] {
        all.push(vec![
            "--showonly",
            "--config",
            "/etc/ipsec.conf",
            op,
            "west",
        ]);
        all.push(vec![
            "--showonly",
            "--verbose",
            "--config",
            "/a b",
            op,
            "west",
        ]);
        all.push(vec!["--showonly", op]);
    }
    all.push(vec!["--help"]);
    all.push(vec!["--bogus"]);
    all.push(vec!["--up", "a", "--down", "b"]);
    all.push(vec![]);
    for args in &all {
        let run = |prog: &[&str]| {
            let out = Command::new(prog[0])
                .args(&prog[1..])
                .args(["--ctlsocket", "/nonexistent/pluto.ctl"])
                .args(args)
                .output()
                .expect("runs");
            (out.status.code(), out.stdout)
        };
        let (r, n) = (run(&["ipsec", "auto"]), run(&[ours_bin]));
        if r != n {
            failures.push(format!(
                "{args:?}: exit {:?} vs {:?}; {:?} vs {:?}",
                r.0,
                n.0,
                String::from_utf8_lossy(&r.1),
                String::from_utf8_lossy(&n.1)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ipsecauto-oracle-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
