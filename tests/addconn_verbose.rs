//! `ipsec auto --verbose --add`: what 4.10's addconn prints on stdout (its progress and the
//! `%defaultroute` resolution trace) against ours, byte for byte, with the exit status. Both
//! run in a network namespace whose routes we set, against a capturing stand-in for pluto.
//! Needs root.

mod support;

use std::path::Path;
use std::time::Duration;

use ipsecauto::config::ConfigSource;
use ipsecauto::ops::{self, NoXauth, Options, Sink};
use ipsecauto::reply::Line;
use support::capture::{Capture, Script};
use support::netns::Netns;
use support::oracle::{run_in, Output};

const CONF: &str = "config setup

conn plain
\tleft=198.51.100.2
\tright=203.0.113.7
\tauthby=secret

conn v6
\tleft=2001:db8:1::2
\tright=2001:db8:2::7
\tauthby=secret
\tconnalias=\"six sixty\"

conn dr
\tleft=%defaultroute
\tright=203.0.113.7
\tauthby=secret
\tauto=add

conn dr-any
\tleft=%defaultroute
\tright=%any
\tauthby=secret
\tauto=route

conn nexthop
\tleft=198.51.100.2
\tleftnexthop=%defaultroute
\tright=203.0.113.7
\tauthby=secret
\tauto=start

conn dr6
\tleft=%defaultroute
\tleftnexthop=%defaultroute
\tright=2001:db8:2::7
\tauthby=secret

conn noleft
	right=203.0.113.7
	authby=secret

conn broken
\tleft=198.51.100.2
\tright=203.0.113.7
\tauthby=secret
\tleftsubnet=10.0.0.0/33
";

/// A namespace whose only routes are 198.51.100.0/24 and 2001:db8:1::/64 on a veth pair,
/// with defaults via .1 and ::1.
fn namespace() -> Netns {
    let ns = Netns::unique("acverbose");
    for cmd in [
        "link add d0 type veth peer name d1",
        "link set d1 up",
        "link set d0 up",
        "addr add 198.51.100.2/24 dev d0",
        "addr add 2001:db8:1::2/64 dev d0 nodad",
        "route add default via 198.51.100.1 dev d0",
        "route add default via 2001:db8:1::1 dev d0",
    ] {
        let mut argv = vec!["ip"];
        argv.extend(cmd.split(' '));
        ns.run(&argv).ok();
    }
    ns
}

/// `TOOL... --verbose --config CONF --ctlsocket CTL --add NAMES...` inside the namespace.
fn auto(ns: &Netns, tool: &[&str], ctl: &Path, conf: &Path, names: &[&str]) -> Output {
    let mut argv = tool.to_vec();
    argv.extend([
        "--verbose",
        "--config",
        conf.to_str().unwrap(),
        "--ctlsocket",
        ctl.to_str().unwrap(),
        "--add",
    ]);
    argv.extend_from_slice(names);
    run_in(Some(&ns.name), &argv, Duration::from_secs(30))
}

fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("acverbose-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ipsec.conf"), CONF).unwrap();
    dir
}

#[test]
fn verbose_add_prints_what_addconn_prints() {
    let ns = namespace();
    let dir = scratch("add");
    let conf = dir.join("ipsec.conf");
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"002 added\n"));
    let ours = env!("CARGO_BIN_EXE_ipsec-auto");
    let cases: &[&[&str]] = &[
        &["plain"],
        &["v6"],
        &["sixty"],
        &["dr"],
        &["dr-any"],
        &["nexthop"],
        &["dr6"],
        &["nosuch"],
        &["broken"],
        &["noleft"],
    ];
    let mut bad = Vec::new();
    for names in cases {
        let r = auto(&ns, &["ipsec", "auto"], cap.path(), &conf, names);
        let n = auto(&ns, &[ours], cap.path(), &conf, names);
        assert!(
            !r.stdout.is_empty() && r.stdout.starts_with("opening file: "),
            "the oracle printed no trace: {}",
            r.describe()
        );
        if (r.stdout.as_str(), r.status) != (n.stdout.as_str(), n.status) {
            bad.push(format!("{names:?}\n{}\n{}", r.describe(), n.describe()));
        }
    }
    cap.take();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{} differ:\n{}", bad.len(), bad.join("\n"));
}

/// Collects what `ipsec auto` would print on stdout.
#[derive(Default)]
struct Collect(String);

impl Sink for Collect {
    fn line(&mut self, line: &Line) {
        self.0.push_str(&String::from_utf8_lossy(&line.output));
    }
    fn print(&mut self, text: &str) {
        self.0.push_str(text);
    }
}

/// `ipsec addconn --verbose ARGS...` (4.10's) against the library's addconn run through
/// `ops` in a thread inside the namespace: stdout and exit status.
fn addconn_agrees(ns: &Netns, tag: &str, args: &[&str]) {
    let dir = scratch(tag);
    let conf = dir.join("ipsec.conf");
    let cap = Capture::start(dir.join("ctl"), Script::answer(b"002 added\n"));
    let mut argv = vec![
        "ipsec",
        "addconn",
        "--verbose",
        "--config",
        conf.to_str().unwrap(),
        "--ctlsocket",
        cap.path().to_str().unwrap(),
    ];
    argv.extend_from_slice(args);
    let r = run_in(Some(&ns.name), &argv, Duration::from_secs(30));
    assert!(r.stdout.starts_with("opening file: "), "{}", r.describe());
    let nsfile = format!("/run/netns/{}", ns.name);
    let ctl = cap.path().to_path_buf();
    let words: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (printed, status) = std::thread::spawn(move || {
        let f = std::fs::File::open(&nsfile).expect("open netns");
        // SAFETY: setns on a namespace descriptor affects only this thread.
        assert_eq!(
            unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&f), libc::CLONE_NEWNET) },
            0
        );
        let o = Options {
            ctl_socket: ctl,
            config: ConfigSource::File(conf),
            verbose: true,
            ..Options::default()
        };
        // The whole-file pass's addconn step, with these words in place of `--autoall`.
        let mut steps = ops::plan_autoall(&o);
        if let ops::Step::Run { words: w, .. } = &mut steps[0] {
            assert_eq!(w.pop().as_deref(), Some("--autoall"));
            w.extend(words);
        }
        let mut out = Collect::default();
        let outcome = ops::execute(&steps, &o, &mut out, &mut NoXauth);
        (out.0, outcome.exit_status)
    })
    .join()
    .unwrap();
    cap.take();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        (printed.as_str(), status),
        (r.stdout.as_str(), r.status),
        "{}",
        r.describe()
    );
}

/// The whole-file pass: its three passes, the conns named in each, each conn's resolution.
#[test]
fn verbose_autoall_prints_what_addconn_prints() {
    addconn_agrees(&namespace(), "autoall", &["--autoall"]);
}

/// Several names at once, one unknown, one twice, one an alias.
#[test]
fn verbose_names_print_what_addconn_prints() {
    addconn_agrees(
        &namespace(),
        "names",
        &["plain", "dr", "nosuch", "plain", "sixty", "dr6"],
    );
}
