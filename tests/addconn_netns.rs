//! `%defaultroute` against a routing table we know: a network namespace whose only default
//! route is via 198.51.100.1 on a veth with 198.51.100.2. Both 4.10 and our library run inside
//! it (this test's thread enters the namespace; the oracle inherits it). Needs root.

mod addconn_common;

use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Command;

use addconn_common::{agrees, describe, oracle, ours, Capture};
use ipsecauto::addconn;
use ipsecauto::request::HostType;

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().expect("run ip");
    assert!(st.success(), "ip {args:?} failed");
}

struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn defaultroute_in_a_known_namespace() {
    let name = format!("acdr{}", std::process::id());
    let veth = format!("acv{}", std::process::id() % 100000);
    ip(&["netns", "add", &name]);
    let ns = Netns(name.clone());
    ip(&[
        "link", "add", &veth, "type", "veth", "peer", "name", "acpeer", "netns", &name,
    ]);
    ip(&[
        "-n",
        &name,
        "addr",
        "add",
        "198.51.100.2/24",
        "dev",
        "acpeer",
    ]);
    ip(&["-n", &name, "link", "set", "acpeer", "up"]);
    ip(&["-n", &name, "link", "set", "lo", "up"]);
    ip(&[
        "-n",
        &name,
        "route",
        "add",
        "default",
        "via",
        "198.51.100.1",
        "dev",
        "acpeer",
        "onlink",
    ]);

    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/addconn/ends.conf");
    let nsfile = format!("/run/netns/{name}");
    let outcome = std::thread::spawn(move || {
        let f = std::fs::File::open(&nsfile).expect("open netns");
        // SAFETY: setns on a namespace descriptor affects only this thread.
        assert_eq!(unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) }, 0);
        let dir = addconn_common::Scratch::new("netns");
        let rc = Capture::new(dir.join("ref.ctl"));
        let nc = Capture::new(dir.join("new.ctl"));
        let mut bad = Vec::new();
        for n in [
            "defaultroute",
            "defaultroute-any",
            "defaultroute-nexthop",
            "nexthop-default",
            "oppo",
        ] {
            let mut refs = vec![oracle(&rc, &conf, n)];
            let new = ours(&nc, &conf, n);
            while !agrees(&refs, &new) && refs.len() < 5 {
                refs.push(oracle(&rc, &conf, n));
            }
            if !agrees(&refs, &new) {
                bad.push(format!("{n}: {}", describe(&refs[0], &new)));
            }
        }
        let cfg = ipsecauto::config::load_file(&conf).unwrap();
        let r = addconn::requests_for(
            &cfg,
            cfg.conn("defaultroute-any").unwrap(),
            &addconn::SystemEnv,
        )
        .unwrap();
        (bad, r)
    })
    .join()
    .unwrap();
    drop(ns);
    let (bad, r) = outcome;
    assert!(bad.is_empty(), "differences:\n{}", bad.join("\n"));
    let left = &r[0].connection.as_ref().unwrap().left;
    assert_eq!(left.host_type, HostType::IpAddr);
    assert_eq!(
        left.host_addr,
        Some("198.51.100.2".parse::<IpAddr>().unwrap())
    );
    assert_eq!(
        left.host_nexthop,
        Some("198.51.100.1".parse::<IpAddr>().unwrap())
    );
}
