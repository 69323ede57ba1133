//! Shared by the end-to-end tests (`tests/e2e_*.rs`): the scene's two plutos driven only
//! through the library (`ipsecauto::Session`, `ipsecauto::addconn`), judged by pluto's own
//! `--status` (read with `support::status`), its log and the kernel's XFRM tables.
//!
//! Use with `mod support; mod e2e_common;` at the top of a test file.

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use ipsecauto::reply::{Line, Prompt};
use ipsecauto::{ConfigSource, Operation, Session};

use crate::support::netns::kernel_has_esp_states;
use crate::support::scene::{Scene, Side};
use crate::support::status;

/// 40-byte PSKs: long enough that pluto does not warn about their length.
pub const PSK: &str = "an ipsecauto e2e key, forty bytes long..";
pub const PSK_NEW: &str = "the replacement e2e key, forty bytes....";
pub const PSK_WRONG: &str = "a mismatched e2e key, forty bytes long..";
/// How long an SA may take to show up in status.
pub const WAIT: Duration = Duration::from_secs(10);
/// The longest the library may wait for pluto to say anything: a stuck exchange fails the
/// test instead of hanging CI.
pub const LIB_TIMEOUT: Duration = Duration::from_secs(30);

/// A conn between the scene's hosts, identified as @west/@east, with `extra` lines appended.
pub fn psk_conn(name: &str, extra: &str) -> String {
    format!(
        "conn {name}\n\tleft=198.51.100.45\n\tleftid=@west\n\tright=198.51.100.23\n\
         \trightid=@east\n\tauthby=secret\n\tikev2=insist\n{extra}"
    )
}

/// The `leftsubnet`/`rightsubnet` lines for the scene's two client subnets.
pub const SUBNETS: &str = "\tleftsubnet=203.0.113.0/25\n\trightsubnet=203.0.113.128/25\n";

/// A session on `side`'s control socket reading the scene's ipsec.conf (a file).
pub fn file_session(side: &Side) -> Session {
    session(side, ConfigSource::File(side.conf.clone()))
}

/// A session on `side`'s control socket whose configuration is `conns` held in memory.
pub fn text_session(side: &Side, conns: &str) -> Session {
    session(
        side,
        ConfigSource::Text {
            name: format!("<{} config in memory>", side.name),
            text: format!("config setup\n\n{conns}"),
            include_dir: side.dir.clone(),
        },
    )
}

fn session(side: &Side, config: ConfigSource) -> Session {
    let mut s = Session::with_socket(&side.ctl);
    s.options.config = config;
    s.options.timeout = Some(LIB_TIMEOUT);
    s
}

/// What one library operation produced.
#[derive(Debug, Default)]
pub struct Ran {
    pub op: String,
    pub status: i32,
    /// pluto's lines as `ipsec auto` prints them (`NNN text\n`).
    pub out: String,
    pub lines: Vec<Line>,
    /// What the addconn step would print on stderr.
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

impl Ran {
    /// For assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "library {} exited {} after {:?}\n--- lines\n{}--- notes\n{}",
            self.op,
            self.status,
            self.elapsed,
            self.out,
            self.notes.join("\n")
        )
    }

    /// Panics with everything unless the operation exited 0.
    pub fn ok(self) -> Ran {
        assert_eq!(self.status, 0, "{}", self.describe());
        self
    }

    pub fn has(&self, text: &str) -> bool {
        self.out.contains(text)
    }

    /// Panics unless pluto said `text`.
    pub fn expect(&self, text: &str) {
        assert!(self.has(text), "missing {text:?}\n{}", self.describe());
    }
}

struct Collect<'a>(&'a mut Ran);

impl ipsecauto::ops::Sink for Collect<'_> {
    fn line(&mut self, line: &Line) {
        self.0.out.push_str(&String::from_utf8_lossy(&line.output));
        self.0.lines.push(line.clone());
    }
    fn say(&mut self, text: &str) {
        self.0.out.push_str(text);
        self.0.out.push('\n');
    }
    fn note(&mut self, text: &str) {
        self.0.notes.push(text.to_string());
    }
}

/// Runs `op` on `name` through the library; XAUTH prompts are declined. Panics if the library
/// could not talk to pluto at all.
pub fn run(s: &Session, op: Operation, name: &str) -> Ran {
    run_xauth(s, op, name, &mut |_: Prompt| None)
}

/// As `run`, with `xauth` answering pluto's prompts.
pub fn run_xauth(
    s: &Session,
    op: Operation,
    name: &str,
    xauth: &mut dyn ipsecauto::client::Xauth,
) -> Ran {
    let mut ran = Ran {
        op: format!("--{} {name}", op.flag()),
        ..Ran::default()
    };
    let t = Instant::now();
    let result = s.run_with(op, name, &mut Collect(&mut ran), xauth);
    ran.elapsed = t.elapsed();
    match result {
        Ok(out) => ran.status = out.exit_status,
        Err(e) => panic!("library {} failed: {e}\n{}", ran.op, ran.describe()),
    }
    ran
}

/// Writes `text` as `side`'s ipsec.secrets and has pluto reread it through the library.
pub fn set_secrets(side: &Side, text: &str) {
    std::fs::write(&side.secrets, text).unwrap();
    let r = run(&file_session(side), Operation::RereadSecrets, "").ok();
    r.expect("loading secrets from");
}

/// `set_secrets` on both sides.
pub fn set_secrets_both(scene: &Scene, text: &str) {
    scene.sides().iter().for_each(|s| set_secrets(s, text));
}

/// `@west @east : PSK "key"`.
pub fn psk_secret(key: &str) -> String {
    format!("@west @east : PSK \"{key}\"\n")
}

/// `conn`'s established IKE SAs in `st` (a `--status` text), by pluto's categories.
pub fn ike_sas(st: &str, conn: &str) -> Vec<status::Sa> {
    status::sas(st)
        .into_iter()
        .filter(|s| s.conn == conn && s.is_established_ike())
        .collect()
}

/// Waits until `side`'s pluto lists an established IKE SA for `conn`; returns the first.
pub fn wait_ike(side: &Side, conn: &str) -> status::Sa {
    let st = side.wait_status(&format!("an established IKE SA of {conn}"), WAIT, |st| {
        !ike_sas(st, conn).is_empty()
    });
    ike_sas(&st, conn).remove(0)
}

/// Waits until both sides list an established IKE SA for `conn`; returns (west's, east's).
pub fn wait_ike_both(scene: &Scene, conn: &str) -> (status::Sa, status::Sa) {
    (wait_ike(&scene.west, conn), wait_ike(&scene.east, conn))
}

/// Waits until `side` lists no established IKE SA for `conn`.
pub fn wait_no_ike(side: &Side, conn: &str) -> String {
    side.wait_status(&format!("no IKE SA of {conn}"), WAIT, |st| {
        ike_sas(st, conn).is_empty()
    })
}

/// Waits until both sides list an established child SA for `conn`.
pub fn wait_child_both(scene: &Scene, conn: &str) {
    for s in scene.sides() {
        s.wait_status("an established child SA", WAIT, |st| {
            !status::established_child(st, conn).is_empty()
        });
    }
}

/// What the child SA did after `up` (the initiator's library run). Where the kernel holds ESP
/// states it must be established on both sides; here it cannot be installed, so east (the
/// responder) logs the failed install and answers TS_UNACCEPTABLE, `up` still exits 0 (RC 003
/// is no error for whack) and the IKE SA stays.
pub fn assert_child_outcome(scene: &Scene, conn: &str, up: &Ran) -> &'static str {
    assert_eq!(up.status, 0, "{}", up.describe());
    if kernel_has_esp_states() {
        wait_child_both(scene, conn);
        return "child SA established on both sides";
    }
    up.expect("IKE_AUTH response rejected Child SA with TS_UNACCEPTABLE");
    for s in scene.sides() {
        let st = s.status();
        assert!(status::established_child(&st, conn).is_empty(), "{st}");
        assert_eq!(status::totals(&st).1, 0, "no IPsec SA expected:\n{st}");
    }
    let east_log = scene.east.log_text();
    assert!(
        east_log.contains(&format!("\"{conn}\" #"))
            && east_log.contains(": netlink response for Add SA esp.")
            && east_log.contains("setup_half_ipsec_sa() hit fail"),
        "east's log does not show the failed SA install:\n{east_log}"
    );
    "child SA refused (no ESP states in this kernel): TS_UNACCEPTABLE, IKE SA kept"
}

/// `text` with what differs between two runs of the same exchange made neutral: SA serials
/// (`#12`), connection serials (`$3`) and state ages (`aged 0.0075s`).
pub fn neutral(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let marker = ['#', '$']
            .contains(&c)
            .then_some(1)
            .or_else(|| rest.starts_with("aged ").then_some("aged ".len()));
        if let Some(n) = marker {
            let number = rest[n..]
                .find(|d: char| !(d.is_ascii_digit() || d == '.'))
                .unwrap_or(rest.len() - n);
            if number > 0 {
                out.push_str(&rest[..n]);
                out.push('N');
                rest = &rest[n + number..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `conn` is loaded in `side`'s pluto (status has its `"conn":` lines).
pub fn loaded(side: &Side, conn: &str) -> bool {
    side.status()
        .lines()
        .any(|l| l.starts_with(&format!("000 \"{conn}\": ")))
}

/// The XFRM policy block for `src` → `dst` in `side`'s namespace, if any.
pub fn xfrm_policy_for(side: &Side, src: &str, dst: &str) -> Option<String> {
    let table = side.xfrm_policy();
    let head = format!("src {src} dst {dst}");
    format!("\n{table}")
        .split("\nsrc ")
        .map(|b| format!("src {b}"))
        .find(|b| b.starts_with(&head))
}

/// Prints a test's timing in a form the report can quote.
pub fn timing(test: &str, started: Instant, scene: &Scene) {
    eprintln!(
        "timing {test}: scene up {:?}, whole test {:?}",
        scene.startup,
        started.elapsed()
    );
}
