//! add, replace, start, ondemand and delete through the library against a private pluto leave
//! pluto in the same state as the same operations through libreswan's own `ipsec auto` against a
//! second, identical pluto. Checks connection definitions and routing as pluto reports them;
//! no peer exists, so no SA is expected (start only shows the initiation attempt).

mod support;

use ipsecauto::{ConfigSource, Operation, Session};
use support::pluto::Pluto;

const CONNS: &str = "conn %default
\tauthby=secret
\tikev2=insist

conn host
\tleft=127.0.0.1
\tright=192.0.2.77
\tleftid=@here
\trightid=@there

conn subnets
\tleft=127.0.0.1
\tleftsubnet=203.0.113.0/25
\tright=192.0.2.78
\trightsubnet=203.0.113.128/25
\tikelifetime=2h
\tesp=aes256-sha2_256

conn road
\tleft=127.0.0.1
\tright=%any
\trightid=@road
\tauthby=rsasig
\tleftrsasigkey=%cert
\tauto=ignore
";

/// The connection lines of pluto's status (`000 "name"...`), without per-run numbers.
fn connections(status: &str) -> Vec<String> {
    status
        .lines()
        .filter(|l| l.starts_with("000 \"") && !l.contains(" #"))
        .map(|l| l.replace('$', ""))
        .filter(|l| !l.contains("conn serial"))
        .collect()
}

#[test]
fn config_operations_leave_pluto_as_ipsec_auto_does() {
    support::require_root();
    let reference = Pluto::builder().label("ref").conns(CONNS).start();
    let ours = Pluto::builder().label("ours").conns(CONNS).start();
    let mut s = Session::with_socket(&ours.ctl);
    s.options.config = ConfigSource::File(ours.conf.clone());

    let steps: &[(Operation, &str)] = &[
        (Operation::Add, "host"),
        (Operation::Add, "subnets"),
        (Operation::Ondemand, "host"),
        (Operation::Replace, "subnets"),
        (Operation::Start, "subnets"),
        (Operation::Add, "road"),
        (Operation::Add, "nosuch"),
        (Operation::Delete, "road"),
    ];
    for (op, name) in steps {
        // No peer answers: start must not wait for the negotiation to time out.
        let asynchronous = *op == Operation::Start;
        s.options.asynchronous = asynchronous;
        let mut text = String::new();
        let out = s
            .run(*op, name, |l| {
                text.push_str(&String::from_utf8_lossy(&l.output))
            })
            .unwrap_or_else(|e| panic!("{op:?} {name}: {e}"));
        let flag = format!("--{}", op.flag());
        let mut args = vec![flag.as_str(), name];
        if asynchronous {
            args.insert(0, "--asynchronous");
        }
        let r = reference.auto(&args);
        assert_eq!(
            out.exit_status,
            r.status,
            "{op:?} {name}: ours {text}\n{}",
            r.describe()
        );
        assert_eq!(
            connections(&ours.status()),
            connections(&reference.status()),
            "{op:?} {name}: pluto's view differs"
        );
    }
    // A replace after editing the configuration takes the new value.
    let edited = CONNS.replace("ikelifetime=2h", "ikelifetime=3h");
    ours.write_conns(&edited);
    reference.write_conns(&edited);
    s.replace("subnets", |_| {}).unwrap();
    reference.auto(&["--replace", "subnets"]);
    let st = ours.status();
    assert!(st.contains("ike_life: 10800s"), "{st}");
    assert_eq!(connections(&st), connections(&reference.status()));
}

#[test]
fn config_from_memory_and_the_whole_file_pass() {
    support::require_root();
    let ours = Pluto::builder().label("mem").start();
    let mut s = Session::with_socket(&ours.ctl);
    let mut b = ipsecauto::config::ConnBuilder::new("built").unwrap();
    b.set("left", "127.0.0.1").unwrap();
    b.set("right", "192.0.2.90").unwrap();
    b.set("authby", "secret").unwrap();
    b.set("leftid", "CN=here, O=Example # quoted").unwrap();
    b.set("auto", "add").unwrap();
    s.options.config = ConfigSource::Text {
        name: "<built in memory>".into(),
        text: format!("config setup\n\n{}\n{}", b.to_text(), CONNS),
        include_dir: "/".into(),
    };
    assert!(s
        .check()
        .iter()
        .all(|d| d.severity != ipsecauto::config::Severity::Fatal));
    let out = s.add("built", |_| {}).unwrap();
    assert_eq!(out.exit_status, 0);
    let st = ours.status();
    assert!(st.contains("\"built\":"), "{st}");
    let id_line = st
        .lines()
        .find(|l| l.contains("\"built\":") && l.contains("our idtype"))
        .unwrap_or("");
    // pluto escapes the DN special character when it shows the ID.
    assert!(
        id_line.contains(r"O=Example \# quoted"),
        "the quoted value arrives whole: {id_line}"
    );
    s.delete("built", |_| {}).unwrap();
    // The whole-file pass adds every auto=add conn.
    let status = s.add_all(&mut |_| {}, &mut |_| {}).unwrap();
    assert_eq!(status, 0);
    let st = ours.status();
    assert!(st.contains("\"built\":"), "{st}");
    assert!(!st.contains("\"road\":"), "auto=ignore stays out: {st}");
}
