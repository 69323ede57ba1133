//! Against a real private pluto: the config-free operations succeed, and operations on an
//! unknown connection fail with pluto's own words and whack's exit status.

mod support;

use ipsecauto::{Operation, Session};
use support::pluto::Pluto;

fn collect(s: &Session, op: Operation, name: &str) -> (i32, String) {
    let mut text = String::new();
    let out = s
        .run(op, name, |l| {
            text.push_str(&String::from_utf8_lossy(&l.output))
        })
        .unwrap_or_else(|e| panic!("{op:?}: {e}"));
    (out.exit_status, text)
}

#[test]
fn config_free_operations_against_a_private_pluto() {
    support::require_root();
    let pluto = Pluto::start();
    let s = Session::with_socket(&pluto.ctl);
    for op in [
        Operation::Status,
        Operation::ListAll,
        Operation::RereadSecrets,
        Operation::Ready,
        Operation::RereadAll,
        Operation::RereadCerts,
        Operation::ListCerts,
        Operation::ListPubkeys,
        Operation::CheckPubkeys,
        Operation::ListCacerts,
        Operation::ListCrls,
        Operation::PurgeOcsp,
    ] {
        let (status, text) = collect(&s, op, "");
        let reference = pluto.auto(&[&format!("--{}", op.flag())]);
        assert_eq!(
            status,
            reference.status,
            "{op:?}: {text}\n{}",
            reference.describe()
        );
        assert_eq!(status, 0, "{op:?}");
        if op == Operation::Status {
            assert!(
                text.contains("interface"),
                "status should list interfaces: {text}"
            );
        }
    }
    // Unknown connections: pluto's own refusal, the same exit status as ipsec auto.
    for op in [
        Operation::Up,
        Operation::Down,
        Operation::Delete,
        Operation::Route,
        Operation::Unroute,
    ] {
        let (status, text) = collect(&s, op, "nosuchconn");
        let reference = pluto.auto(&[&format!("--{}", op.flag()), "nosuchconn"]);
        assert_eq!(
            status,
            reference.status,
            "{op:?}: ours {text:?}\n{}",
            reference.describe()
        );
        assert_eq!(text, reference.stdout, "{op:?}");
        if op == Operation::Up {
            assert_ne!(status, 0);
            assert!(text.contains("nosuchconn"), "{text}");
        }
    }
    // --asynchronous up of an unknown conn: pluto still refuses, but whack exits 0.
    let mut asynchronous = Session::with_socket(&pluto.ctl);
    asynchronous.options.asynchronous = true;
    let (status, _) = collect(&asynchronous, Operation::Up, "nosuchconn");
    assert_eq!(status, 0);
    assert!(pluto.stop(), "pluto stopped cleanly");
}
