//! Hand-written configurations (tests/data/addconn): every `%` token and end form, policy
//! bits, raw keys, `leftsubnets=` expansion, `%auto`, aliases — each conn through both
//! `ipsec addconn` and `addconn::run`, bytes and exit status compared; plus the errors our
//! library reports (with file:line) where 4.10 refuses a conn.

mod addconn_common;

use std::path::{Path, PathBuf};

use addconn_common::{agrees, describe, oracle, ours, Capture, Scratch};
use ipsecauto::addconn::{self, Args, ConfigSource};
use ipsecauto::config;
use ipsecauto::Error;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/addconn")
        .join(name)
}

fn sockets(tag: &str) -> (Capture, Capture, Scratch) {
    let dir = Scratch::new(&format!("cases-{tag}"));
    (
        Capture::new(dir.join("ref.ctl")),
        Capture::new(dir.join("new.ctl")),
        dir,
    )
}

/// Every name in `names` (conn names or aliases) through both tools.
fn differential(file: &str, names: &[&str]) {
    let conf = data(file);
    let (rc, nc, _dir) = sockets(file);
    let mut bad = Vec::new();
    for name in names {
        let mut refs = vec![oracle(&rc, &conf, name)];
        let new = ours(&nc, &conf, name);
        while !agrees(&refs, &new) && refs.len() < 5 {
            refs.push(oracle(&rc, &conf, name));
        }
        if !agrees(&refs, &new) {
            bad.push(format!("{name}: {}", describe(&refs[0], &new)));
        }
    }
    assert!(bad.is_empty(), "differences:\n{}", bad.join("\n"));
}

fn conn_names(file: &str) -> Vec<String> {
    std::fs::read_to_string(data(file))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("conn "))
        .map(|n| n.trim().to_string())
        .filter(|n| n != "%default")
        .collect()
}

#[test]
fn every_end_form_matches_4_10() {
    let names = conn_names("ends.conf");
    let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
    // By alias, unknown, and two names at once (the second's status wins).
    names.extend(["other", "no-such-conn"]);
    differential("ends.conf", &names);
}

#[test]
fn host_names_match_4_10() {
    let names = conn_names("names.conf");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    differential("names.conf", &names);
}

#[test]
fn default_leftovers_match_4_10() {
    let names = conn_names("leak.conf");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    differential("leak.conf", &names);
}

#[test]
fn policy_bits_match_4_10() {
    let names = conn_names("policy.conf");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    differential("policy.conf", &names);
}

fn load(file: &str) -> config::Config {
    config::load_file(&data(file)).expect("config loads")
}

fn line_of(file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(data(file)).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle") as u32
        + 1
}

/// The line of the first `needle` after the line containing `after`.
fn line_after(file: &str, after: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(data(file)).unwrap();
    let start = text.lines().position(|l| l.contains(after)).expect("after");
    text.lines()
        .enumerate()
        .skip(start)
        .find(|(_, l)| l.contains(needle))
        .expect("needle")
        .0 as u32
        + 1
}

#[test]
fn refused_conns_name_file_and_line() {
    let cfg = load("policy.conf");
    let env = addconn::SystemEnv;
    let conn = cfg.conn("authby-bad").unwrap();
    match addconn::requests_for(&cfg, conn, &env) {
        Err(Error::Config { at, message }) => {
            assert_eq!(at.file, data("policy.conf"));
            assert_eq!(at.line, line_of("policy.conf", "authby=\"rsasig, secret\""));
            assert!(
                message.contains("connection authby= value is unknown"),
                "{message}"
            );
        }
        other => panic!("expected a config error, got {other:?}"),
    }
    let cfg = load("ends.conf");
    let conn = cfg.conn("vhost-v2").unwrap();
    match addconn::requests_for(&cfg, conn, &env) {
        Err(Error::Config { at, message }) => {
            assert_eq!(
                at.line,
                line_after("ends.conf", "conn vhost-v2", "leftsubnet=")
            );
            assert!(message.contains("only valid for IKEv1"), "{message}");
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn key_messages_follow_the_conn() {
    let cfg = load("ends.conf");
    let env = addconn::SystemEnv;
    let r = addconn::requests_for(&cfg, cfg.conn("rsa").unwrap(), &env).unwrap();
    assert_eq!(r.len(), 3);
    assert!(r[0].connection.is_some() && r[0].delete);
    let k = r[1].key.as_ref().unwrap();
    assert_eq!(k.keyid, "@west");
    assert_eq!(k.algorithm, ipsecauto::request::PubkeyAlgorithm::Rsa);
    assert_eq!(k.value.len(), 260);
    assert_eq!(r[2].key.as_ref().unwrap().keyid, "@east");
    assert_eq!(r[2].key.as_ref().unwrap().value.len(), 40);
    for m in &r {
        assert_eq!(m.sender, ipsecauto::request::Sender::Addconn);
    }
}

#[test]
fn subnets_expand_as_4_10_names_them() {
    let cfg = load("ends.conf");
    let env = addconn::SystemEnv;
    let r = addconn::requests_for(&cfg, cfg.conn("leftsubnets").unwrap(), &env).unwrap();
    let names: Vec<_> = r.iter().map(|m| m.name.clone().unwrap()).collect();
    assert_eq!(
        names,
        [
            "leftsubnets/1x1",
            "leftsubnets/1x2",
            "leftsubnets/2x1",
            "leftsubnets/2x2"
        ]
    );
    for m in &r {
        let c = m.connection.as_ref().unwrap();
        assert_eq!(c.connalias.as_deref(), Some("leftsubnets"));
    }
}

#[test]
fn unknown_names_and_exit_status() {
    let (_, nc, _dir) = sockets("unknown");
    let mut args = Args::new(
        ConfigSource::File(data("ends.conf")),
        vec!["no-such-conn".into(), "also-missing".into()],
    );
    args.ctlsocket = nc.path.clone();
    let mut said = Vec::new();
    let status = addconn::run_with_diagnostics(
        &args,
        &mut |_| {},
        &mut |d| said.push(d.to_string()),
        &mut |_| None,
    )
    .unwrap();
    assert_eq!(status, 42);
    assert!(said.contains(&"conn 'no-such-conn': not found (tried aliases)".to_string()));
    // A later successful add resets the status, as in 4.10.
    args.names = vec!["no-such-conn".into(), "addr".into()];
    let status = addconn::run(&args, &mut |_| {}, &mut |_| None).unwrap();
    assert_eq!(status, 0);
    assert_eq!(nc.take().len(), 1);
}

#[test]
fn config_from_memory() {
    let (_, nc, _dir) = sockets("memory");
    let text = "conn m\n\tleft=198.51.100.1\n\tright=203.0.113.1\n";
    let mut args = Args::new(
        ConfigSource::Text {
            text: text.into(),
            name: "memory.conf".into(),
            include_dir: std::env::temp_dir(),
        },
        vec!["m".into()],
    );
    args.ctlsocket = nc.path.clone();
    assert_eq!(addconn::run(&args, &mut |_| {}, &mut |_| None).unwrap(), 0);
    let m = nc.take();
    assert_eq!(m.len(), 1);
    // The name is the first string after the fixed part.
    assert_eq!(&m[0][1488..1490], b"m\0");
}

#[test]
fn autoall_matches_4_10() {
    let conf = data("auto.conf");
    let (rc, nc, _dir) = sockets("autoall");
    let refs: Vec<_> = (0..2)
        .map(|_| addconn_common::oracle_args(&rc, &conf, &["--autoall"]))
        .collect();
    let mut args = Args::new(ConfigSource::File(conf.clone()), vec![]);
    args.autoall = true;
    args.ctlsocket = nc.path.clone();
    let new = addconn_common::ours_with(&nc, args);
    // added, kept, routed/1x1, routed/2x1, started; listen; route x2; initiate.
    assert_eq!(refs[0].1.len(), 9);
    assert!(agrees(&refs, &new), "{}", describe(&refs[0], &new));
}

/// pluto's answer decides whether the key messages follow and what the exit status is.
#[test]
fn answers_decide_what_follows() {
    let conf = data("ends.conf");
    for (tag, reply) in [
        ("ok", &b"002 added\n"[..]),
        ("info", b"005 info\n"),
        ("dup", b"020 duplicate\n"),
        ("bad", b"036 failed\n000 later\n"),
        ("roof", b"100 odd\n"),
    ] {
        let dir = Scratch::new(&format!("reply-{tag}"));
        let rc = Capture::answering(dir.join("ref.ctl"), reply);
        let nc = Capture::answering(dir.join("new.ctl"), reply);
        let mut refs = vec![oracle(&rc, &conf, "rsa")];
        let new = ours(&nc, &conf, "rsa");
        while !agrees(&refs, &new) && refs.len() < 5 {
            refs.push(oracle(&rc, &conf, "rsa"));
        }
        assert!(agrees(&refs, &new), "{tag}: {}", describe(&refs[0], &new));
    }
}

#[test]
fn checkconfig_statuses_match_4_10() {
    let dir = Scratch::new("check");
    let broken = dir.join("broken.conf");
    std::fs::write(&broken, "conn x\n\tleft=1.2.3.4 nonsense\n").unwrap();
    for conf in [data("ends.conf"), data("policy.conf"), broken] {
        let oracle = std::process::Command::new("ipsec")
            .args(["addconn", "--checkconfig", "--config"])
            .arg(&conf)
            .output()
            .unwrap()
            .status
            .code();
        let mut args = Args::new(ConfigSource::File(conf.clone()), vec![]);
        args.checkconfig = true;
        let ours = match addconn::run(&args, &mut |_| {}, &mut |_| None) {
            Ok(s) => s,
            Err(e) => addconn::exit_status_for(&e),
        };
        assert_eq!(oracle, Some(ours), "{}", conf.display());
    }
}
