//! End to end through the library only: PSK connections between the scene's two private plutos
//! (west 198.51.100.45, east 198.51.100.23), every `ipsec auto` operation that acts on them,
//! judged by pluto's own `--status`, its log and the kernel's XFRM policy table. libreswan's
//! tools appear only as the oracle (`whack --status` for checking, `ipsec auto` to compare).

mod e2e_common;
mod support;

use std::time::{Duration, Instant};

use e2e_common::*;
use ipsecauto::addconn::{self, Args};
use ipsecauto::Operation;
use support::scene::Scene;
use support::status;

/// Adds `conn` on both sides through the library (each side's own session), then brings it
/// up from west; returns west's `--up` run after checking the IKE SA on both sides.
fn add_both_and_up(
    scene: &Scene,
    west: &ipsecauto::Session,
    east: &ipsecauto::Session,
    conn: &str,
) -> Ran {
    for s in [east, west] {
        run(s, Operation::Add, conn).ok();
    }
    let up = run(west, Operation::Up, conn);
    eprintln!("{}", up.describe());
    up.expect(&format!("\"{conn}\" #1: initiator established IKE SA"));
    up.expect("authenticated peer using authby=secret and ID_FQDN '@east'");
    let (w, e) = wait_ike_both(scene, conn);
    for sa in [&w, &e] {
        assert_eq!(sa.state, "STATE_V2_ESTABLISHED_IKE_SA", "{}", sa.line);
    }
    assert!(scene.east.log_text().contains(&format!(
        "\"{conn}\" #1: responder established IKE SA; authenticated peer using authby=secret and ID_FQDN '@west'"
    )));
    up
}

/// PSK IKEv2 host to host, the conn read from the scene's ipsec.conf (a file) on both sides.
/// Checks the IKE SA on both sides and the child SA (established where the kernel holds ESP
/// states, else its refusal); the library's `--status` equals whack's.
#[test]
fn psk_host_to_host_config_from_file() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    scene.write_conns(&psk_conn("h2h", ""));
    set_secrets_both(&scene, &psk_secret(PSK));
    let (west, east) = (file_session(&scene.west), file_session(&scene.east));
    let up = add_both_and_up(&scene, &west, &east, "h2h");
    let child = assert_child_outcome(&scene, "h2h", &up);
    eprintln!("h2h: {child}");

    // The library's --status is pluto's: the same text whack prints (timers aside).
    for (side, s) in [(&scene.west, &west), (&scene.east, &east)] {
        let ours = run(s, Operation::Status, "").ok();
        let theirs = side.status();
        let digitless = |t: &str| t.replace(|c: char| c.is_ascii_digit(), "0");
        assert_eq!(
            digitless(&ours.out),
            digitless(&theirs),
            "{}: library and whack --status differ",
            side.name
        );
        assert_eq!(ike_sas(&ours.out, "h2h").len(), 1, "{}", ours.out);
    }
    timing("psk_host_to_host_config_from_file", t, &scene);
}

/// PSK IKEv2 subnet to subnet, the conn only in memory (`ConfigSource::Text`) on both sides.
/// Checks the IKE SA on both sides and the child SA as above.
#[test]
fn psk_subnet_to_subnet_config_in_memory() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    // Nothing on disk: conns.conf stays empty, the text lives only in the sessions.
    let conn = psk_conn("s2s", SUBNETS);
    set_secrets_both(&scene, &psk_secret(PSK));
    let (west, east) = (
        text_session(&scene.west, &conn),
        text_session(&scene.east, &conn),
    );
    assert!(std::fs::read_to_string(&scene.west.conns)
        .unwrap()
        .trim()
        .is_empty());
    let up = add_both_and_up(&scene, &west, &east, "s2s");
    let st = scene.west.status();
    assert!(
        st.contains("000 \"s2s\": 203.0.113.0/25===198.51.100.45[@west]...198.51.100.23[@east]===203.0.113.128/25;"),
        "{st}"
    );
    let child = assert_child_outcome(&scene, "s2s", &up);
    eprintln!("s2s: {child}");
    timing("psk_subnet_to_subnet_config_in_memory", t, &scene);
}

/// `--start` of an `auto=start` conn, `--down`, `--replace` after editing the file, `--up`
/// again, `--delete`. Checks IKE SAs only (their presence and absence on both sides).
#[test]
fn start_down_replace_delete() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    scene.write_conns(&psk_conn("life", "\tauto=start\n"));
    set_secrets_both(&scene, &psk_secret(PSK));
    let (west, east) = (file_session(&scene.west), file_session(&scene.east));
    run(&east, Operation::Add, "life").ok();

    // --start: addconn then initiate, in one call.
    let start = run(&west, Operation::Start, "life");
    start.expect("\"life\" #1: initiator established IKE SA");
    assert_eq!(start.status, 0, "{}", start.describe());
    wait_ike_both(&scene, "life");
    let st = run(&west, Operation::Status, "").ok();
    assert_eq!(ike_sas(&st.out, "life").len(), 1, "{}", st.out);
    assert!(st.has("ike_life: 28800s;"), "{}", st.out);

    // --down: the SAs go on both sides (west deletes, east hears the delete), the conn stays.
    let down = run(&west, Operation::Down, "life").ok();
    down.expect("\"life\": terminating SAs using this connection");
    wait_no_ike(&scene.west, "life");
    wait_no_ike(&scene.east, "life");
    assert!(loaded(&scene.west, "life"));

    // --replace after editing the file: pluto holds the new setting.
    scene
        .west
        .write_conns(&psk_conn("life", "\tauto=start\n\tikelifetime=2h\n"));
    run(&west, Operation::Replace, "life").ok();
    let st = scene.west.status();
    assert!(st.contains("000 \"life\":   ike_life: 7200s;"), "{st}");
    assert!(!st.contains("ike_life: 28800s"), "{st}");
    // ...and the replaced conn still comes up.
    run(&west, Operation::Up, "life").expect("initiator established IKE SA");
    wait_ike_both(&scene, "life");

    // --delete: the conn and its SAs are gone from pluto.
    run(&west, Operation::Delete, "life").ok();
    assert!(!loaded(&scene.west, "life"), "{}", scene.west.status());
    assert!(ike_sas(&scene.west.status(), "life").is_empty());
    wait_no_ike(&scene.east, "life");
    // Operating on the deleted conn now fails as whack does.
    let gone = run(&west, Operation::Up, "life");
    let reference = scene.west.auto(&["--up", "life"]);
    assert_eq!(gone.status, reference.status, "{}", reference.describe());
    assert_eq!(gone.out, reference.stdout);
    assert_ne!(gone.status, 0);
    timing("start_down_replace_delete", t, &scene);
}

/// `--ondemand`, `--unroute`, `--route`, `--delete` of a subnet conn: pluto's routing state and
/// the kernel's trap policy. No SA is negotiated.
#[test]
fn ondemand_route_unroute_and_the_trap_policy() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    scene.write_conns(&psk_conn("trap", &format!("{SUBNETS}\tauto=route\n")));
    let west = file_session(&scene.west);
    let (src, dst) = ("203.0.113.0/25", "203.0.113.128/25");
    let routing = || status::routing(&scene.west.status(), "trap");
    assert!(xfrm_policy_for(&scene.west, src, dst).is_none());

    // --ondemand: add and route in one call.
    run(&west, Operation::Ondemand, "trap").ok();
    assert_eq!(routing().as_deref(), Some("prospective erouted"));
    let policy = xfrm_policy_for(&scene.west, src, dst)
        .unwrap_or_else(|| panic!("no trap policy:\n{}", scene.west.xfrm_policy()));
    eprintln!("trap policy after --ondemand:\n{policy}");
    assert!(policy.contains("dir out"), "{policy}");
    assert!(policy.contains("proto esp"), "{policy}");
    // east was asked for nothing.
    assert!(!scene.east.xfrm_policy().contains("203.0.113."));

    run(&west, Operation::Unroute, "trap").ok();
    assert_eq!(routing().as_deref(), Some("unrouted"));
    assert!(
        xfrm_policy_for(&scene.west, src, dst).is_none(),
        "{}",
        scene.west.xfrm_policy()
    );

    run(&west, Operation::Route, "trap").ok();
    assert_eq!(routing().as_deref(), Some("prospective erouted"));
    assert!(xfrm_policy_for(&scene.west, src, dst).is_some());

    // Deleting a routed conn takes its policy along.
    run(&west, Operation::Delete, "trap").ok();
    assert!(xfrm_policy_for(&scene.west, src, dst).is_none());
    timing("ondemand_route_unroute_and_the_trap_policy", t, &scene);
}

/// `--ready` and `--status` give what `ipsec auto` gives, byte for byte. No SA.
#[test]
fn ready_and_status_match_ipsec_auto() {
    support::require_root();
    let scene = Scene::up();
    let west = file_session(&scene.west);
    let ready = run(&west, Operation::Ready, "").ok();
    ready.expect("listening for IKE messages");
    let reference = scene.west.auto(&["--ready"]).ok();
    assert_eq!(ready.out, reference.stdout);
    // No conn, no SA: status is stable, so it must equal ipsec auto's byte for byte.
    let st = run(&west, Operation::Status, "").ok();
    assert!(
        st.has("000 interface west0 UDP 198.51.100.45:500\n"),
        "{}",
        st.out
    );
    assert_eq!(st.out, scene.west.auto(&["--status"]).ok().stdout);
}

/// `--rereadsecrets` after changing ipsec.secrets: the same new key on both sides comes up, a
/// mismatched one fails with pluto's words and whack's exit status, as `ipsec auto --up` does.
/// Checks IKE SAs only.
#[test]
fn rereadsecrets_new_key_works_and_a_mismatch_fails_like_ipsec_auto() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    scene.write_conns(&psk_conn("keys", ""));
    set_secrets_both(&scene, &psk_secret(PSK));
    let (west, east) = (file_session(&scene.west), file_session(&scene.east));
    for s in [&east, &west] {
        run(s, Operation::Add, "keys").ok();
    }
    run(&west, Operation::Up, "keys").expect("initiator established IKE SA");
    wait_ike_both(&scene, "keys");
    run(&west, Operation::Down, "keys").ok();
    wait_no_ike(&scene.east, "keys");

    // The same new key on both sides, reread through the library: a new up succeeds.
    set_secrets_both(&scene, &psk_secret(PSK_NEW));
    let up = run(&west, Operation::Up, "keys").ok();
    up.expect("initiator established IKE SA");
    wait_ike_both(&scene, "keys");
    run(&west, Operation::Down, "keys").ok();
    wait_no_ike(&scene.east, "keys");

    // A mismatched key on west only: east refuses the AUTH payload.
    set_secrets(&scene.west, &psk_secret(PSK_WRONG));
    let bad = run(&west, Operation::Up, "keys");
    eprintln!("{}", bad.describe());
    bad.expect("IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED");
    assert!(scene.east.log_text().contains(
        "authentication failed: computed hash does not match hash received from peer ID_FQDN '@west'"
    ));
    assert!(ike_sas(&scene.west.status(), "keys").is_empty());
    assert_ne!(bad.status, 0);

    // ipsec auto doing the same. Deleting and re-adding the conn first cancels the revival
    // pluto scheduled for it, so both attempts start from the same state.
    run(&west, Operation::Delete, "keys").ok();
    run(&west, Operation::Add, "keys").ok();
    let reference = scene.west.auto(&["--up", "keys"]);
    eprintln!("{}", reference.describe());
    assert_eq!(bad.status, reference.status, "{}", reference.describe());
    assert_eq!(neutral(&bad.out), neutral(&reference.stdout));
    assert_eq!(bad.status, 36, "whack's status for pluto's RC_FATAL");
    for s in scene.sides() {
        for key in [PSK, PSK_NEW, PSK_WRONG] {
            assert!(!s.log_text().contains(key), "{} logged a PSK", s.name);
        }
    }
    assert!(!bad.out.contains(PSK_WRONG));
    timing("rereadsecrets", t, &scene);
}

/// The whole-file pass (`addconn::run` with `autoall`): `auto=start` conns come up, `auto=add`
/// is only added, `auto=route` is routed (trap policy), `auto=ignore` is left out. Checks IKE
/// SAs only.
#[test]
fn autoall_brings_up_every_auto_start_conn() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    // Distinct IDs per conn, so east picks each one by the peer's ID.
    let conn = |name: &str, extra: &str, auto: &str| {
        format!(
            "conn {name}\n\tleft=198.51.100.45\n\tleftid=@west-{name}\n\tright=198.51.100.23\n\
             \trightid=@east-{name}\n\tauthby=secret\n\tikev2=insist\n{extra}\tauto={auto}\n\n"
        )
    };
    let routed = "\tleftsubnet=203.0.113.64/27\n\trightsubnet=203.0.113.192/27\n";
    let conns = |start: &str, route: &str| {
        [
            conn("a", "", start),
            conn("b", SUBNETS, start),
            conn("c", "", "add"),
            conn("d", routed, route),
            conn("e", "", "ignore"),
        ]
        .concat()
    };
    scene.west.write_conns(&conns("start", "route"));
    scene.east.write_conns(&conns("add", "add"));
    let secrets: String = ["a", "b", "c", "d"]
        .iter()
        .map(|n| format!("@west-{n} @east-{n} : PSK \"{PSK}\"\n"))
        .collect();
    set_secrets_both(&scene, &secrets);

    let autoall = |side: &support::scene::Side| {
        let mut args = Args::new(addconn::ConfigSource::File(side.conf.clone()), vec![]);
        args.ctlsocket = side.ctl.clone();
        args.autoall = true;
        args.timeout = Some(LIB_TIMEOUT);
        let mut lines = Vec::new();
        let status = addconn::run(
            &args,
            &mut |l| lines.push(l.text().into_owned()),
            &mut |_: ipsecauto::reply::Prompt| None,
        )
        .unwrap_or_else(|e| panic!("{}: addconn --autoall: {e}", side.name));
        assert_eq!(status, 0, "{}: {lines:?}", side.name);
    };
    autoall(&scene.east);
    let t_west = Instant::now();
    autoall(&scene.west);
    eprintln!("west's autoall pass returned in {:?}", t_west.elapsed());

    for name in ["a", "b"] {
        let (w, e) = wait_ike_both(&scene, name);
        eprintln!("{name}: {}\n{name}: {}", w.line, e.line);
    }
    eprintln!(
        "both auto=start conns up {:?} after the pass",
        t_west.elapsed()
    );
    let st = scene.west.status();
    for name in ["a", "b", "c", "d"] {
        assert!(loaded(&scene.west, name), "{name} not added:\n{st}");
        assert!(loaded(&scene.east, name), "{name} not added on east");
    }
    assert!(!loaded(&scene.west, "e"), "auto=ignore was added:\n{st}");
    assert!(ike_sas(&st, "c").is_empty() && ike_sas(&st, "d").is_empty());
    assert_eq!(
        status::routing(&st, "d").as_deref(),
        Some("prospective erouted")
    );
    assert!(
        xfrm_policy_for(&scene.west, "203.0.113.64/27", "203.0.113.192/27").is_some(),
        "{}",
        scene.west.xfrm_policy()
    );
    timing("autoall", t, &scene);
}

/// `--asynchronous --up` returns at once with status 0 while the SA cannot exist yet; it comes
/// up later. Checks the IKE SA only.
#[test]
fn asynchronous_up_returns_before_the_sa_exists() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    scene.write_conns(&psk_conn("async", ""));
    set_secrets_both(&scene, &psk_secret(PSK));
    let (mut west, east) = (file_session(&scene.west), file_session(&scene.east));
    west.options.asynchronous = true;
    // east does not know the conn yet: it answers west's IKE_SA_INIT with an unauthenticated
    // NO_PROPOSAL_CHOSEN, which west ignores and retransmits. So the SA cannot exist until
    // east adds the conn below, whatever the timing.
    run(&west, Operation::Add, "async").ok();
    let up = run(&west, Operation::Up, "async");
    eprintln!("{}", up.describe());
    assert_eq!(up.status, 0, "{}", up.describe());
    assert!(
        up.elapsed < Duration::from_secs(2),
        "returned after {:?}",
        up.elapsed
    );
    up.expect("\"async\" #1: initiating IKEv2 connection");
    assert!(!up.has("established"), "{}", up.describe());
    let st = scene.west.status();
    assert!(ike_sas(&st, "async").is_empty(), "{st}");
    assert!(
        status::sas(&st).iter().any(|s| s.conn == "async"),
        "the exchange should be in progress:\n{st}"
    );

    let added = Instant::now();
    run(&east, Operation::Add, "async").ok();
    let (w, _) = wait_ike_both(&scene, "async");
    eprintln!(
        "async: up returned in {:?}; IKE SA established {:?} after east added the conn: {}",
        up.elapsed,
        added.elapsed(),
        w.line
    );
    assert!(scene
        .west
        .log_text()
        .contains("\"async\" #1: initiator established IKE SA"));
    timing("asynchronous_up", t, &scene);
}

/// The comparison above must still see real differences: only serials and ages are blurred.
#[test]
fn neutral_blurs_serials_and_ages_only() {
    assert_eq!(
        neutral("002 \"k\" #12: deleting state (S) aged 0.0075s; conn serial: $3, #"),
        "002 \"k\" #N: deleting state (S) aged Ns; conn serial: $N, #"
    );
    assert_ne!(
        neutral("036 \"k\" #1: encountered fatal error"),
        neutral("003 \"k\" #2: encountered fatal error")
    );
    assert_ne!(
        neutral("aged 1s REKEY in 5s"),
        neutral("aged 1s REKEY in 6s")
    );
}
