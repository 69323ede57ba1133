//! End to end through the library only: the other ways of authenticating between the scene's
//! two plutos (raw RSA keys, X.509 certificates) and an IKEv1 XAUTH/ModeCFG road warrior whose
//! username and password come from the library's XAUTH callback.

mod e2e_common;
mod support;

use std::time::Instant;

use e2e_common::*;
use ipsecauto::reply::Prompt;
use ipsecauto::Operation;
use support::keys::{Pki, RsaPair};
use support::scene::Scene;

/// Raw RSA keys (`leftrsasigkey`/`rightrsasigkey`) from the conn, file config. Checks the IKE
/// SA on both sides and the child SA (established where the kernel allows, else its refusal).
#[test]
fn rsa_raw_keys_authenticate() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    let k = Instant::now();
    let keys = RsaPair::new(&scene.west.nssdir, &scene.east.nssdir);
    eprintln!("two RSA host keys in {:?}", k.elapsed());
    // The keys go to pluto inside the library's addconn messages (leftrsasigkey=0s...).
    let conn = format!(
        "conn rsa\n\tleft=198.51.100.45\n\tleftid=@west\n\tright=198.51.100.23\n\
         \trightid=@east\n\tauthby=rsasig\n\tikev2=insist\n{}",
        keys.conn_lines()
    );
    scene.write_conns(&conn);
    let (west, east) = (file_session(&scene.west), file_session(&scene.east));
    for s in [&east, &west] {
        run(s, Operation::Add, "rsa").ok();
    }
    let pubkeys = scene.west.whack(&["--listpubkeys"]).ok().stdout;
    assert!(pubkeys.contains("'@east'"), "{pubkeys}");
    let up = run(&west, Operation::Up, "rsa");
    eprintln!("{}", up.describe());
    up.expect("\"rsa\" #1: initiator established IKE SA; authenticated peer '");
    up.expect("RSASSA-PSS with SHA2_512' digital signature using preloaded certificate '@east'");
    assert!(scene
        .east
        .log_text()
        .contains("digital signature using preloaded certificate '@west'"));
    let (w, e) = wait_ike_both(&scene, "rsa");
    assert_eq!(w.state, "STATE_V2_ESTABLISHED_IKE_SA", "{}", w.line);
    assert_eq!(e.state, "STATE_V2_ESTABLISHED_IKE_SA", "{}", e.line);
    let child = assert_child_outcome(&scene, "rsa", &up);
    eprintln!("rsa: {child}");
    timing("rsa_raw_keys_authenticate", t, &scene);
}

/// X.509 certificates from a scratch CA, config in memory. Checks the IKE SA on both sides and
/// the child SA as above.
#[test]
fn x509_certificates_authenticate() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    let k = Instant::now();
    let pki = Pki::new(&scene.state.join("pki"));
    for (side, nick) in [(&scene.west, "west"), (&scene.east, "east")] {
        pki.issue(nick, &format!("CN={nick}, O=ipsecauto"));
        pki.install(nick, &side.nssdir);
    }
    eprintln!("CA and two certificates in {:?}", k.elapsed());
    // Each side's config only in memory, each naming its own certificate.
    let common = "\tleft=198.51.100.45\n\tright=198.51.100.23\n\tauthby=rsasig\n\tikev2=insist\n";
    let west = text_session(
        &scene.west,
        &format!(
            "conn x509\n{common}\tleftcert=west\n\tleftid=%fromcert\n\trightid=\"CN=east, O=ipsecauto\"\n"
        ),
    );
    let east = text_session(
        &scene.east,
        &format!(
            "conn x509\n{common}\trightcert=east\n\trightid=%fromcert\n\tleftid=\"CN=west, O=ipsecauto\"\n"
        ),
    );
    for s in [&east, &west] {
        run(s, Operation::Add, "x509").ok();
    }
    let up = run(&west, Operation::Up, "x509");
    eprintln!("{}", up.describe());
    up.expect("\"x509\" #1: initiator established IKE SA");
    up.expect(
        "using peer certificate 'O=ipsecauto, CN=east' issued by CA 'O=ipsecauto, CN=ipsecauto test CA'",
    );
    wait_ike_both(&scene, "x509");
    assert!(scene.east.log_text().contains(
        "digital signature using peer certificate 'O=ipsecauto, CN=west' issued by CA 'O=ipsecauto, CN=ipsecauto test CA'"
    ));
    let child = assert_child_outcome(&scene, "x509", &up);
    eprintln!("x509: {child}");
    timing("x509_certificates_authenticate", t, &scene);
}

/// IKEv1 XAUTH + ModeCFG road warrior, username and password from the library's callback.
/// Checks the IKE SA (both sides), XAUTH success, the lease; the child SA only where the kernel
/// holds ESP states (else Quick Mode's timeout and whack's status 31).
#[test]
fn xauth_modecfg_road_warrior_answers_through_the_callback() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    // east: an IKEv1 XAUTH and ModeCFG server for any peer address, leasing from a pool;
    // west: the road warrior. retransmit-timeout=1s: Quick Mode cannot install its SA on a
    // kernel without ESP states, and west should give up on it (and release us) quickly.
    let server = "conn rw\n\tikev2=no\n\tauthby=secret\n\tleft=198.51.100.23\n\tleftid=@east\n\
                  \tleftsubnet=0.0.0.0/0\n\tleftxauthserver=yes\n\tleftmodecfgserver=yes\n\
                  \tright=%any\n\trightid=@west\n\trightxauthclient=yes\n\trightmodecfgclient=yes\n\
                  \trightaddresspool=203.0.113.200-203.0.113.209\n\txauthby=alwaysok\n\
                  \tmodecfgpull=yes\n\tretransmit-timeout=1s\n";
    let client = "conn rw\n\tikev2=no\n\tauthby=secret\n\tleft=198.51.100.45\n\tleftid=@west\n\
                  \tleftxauthclient=yes\n\tleftmodecfgclient=yes\n\tright=198.51.100.23\n\
                  \trightid=@east\n\trightsubnet=0.0.0.0/0\n\trightxauthserver=yes\n\
                  \trightmodecfgserver=yes\n\tmodecfgpull=yes\n\tretransmit-timeout=1s\n";
    scene.east.write_conns(server);
    scene.west.write_conns(client);
    set_secrets_both(&scene, &psk_secret(PSK));
    let (west, east) = (file_session(&scene.west), file_session(&scene.east));
    for s in [&east, &west] {
        run(s, Operation::Add, "rw").ok();
    }

    let password = "e2e-xauth-password-must-stay-secret";
    let mut asked = Vec::new();
    let mut callback = |p: Prompt| {
        asked.push(p);
        Some(match p {
            Prompt::Username => "bob".to_string(),
            Prompt::Password => password.to_string(),
        })
    };
    let up = run_xauth(&west, Operation::Up, "rw", &mut callback);
    // Before anything prints pluto's lines: they must not hold the password.
    assert!(
        !up.out.contains(password) && !up.notes.concat().contains(password),
        "pluto's answer holds the password"
    );
    eprintln!("{}", up.describe());
    assert_eq!(asked, [Prompt::Username, Prompt::Password]);
    let prompts: Vec<u64> = up
        .lines
        .iter()
        .map(|l| l.rc)
        .filter(|rc| [40, 41].contains(rc))
        .collect();
    assert_eq!(prompts, [41, 40], "{}", up.describe());
    for line in [
        "\"rw\" #1: IKE SA established {auth=PRESHARED_KEY",
        "\"rw\" #1: XAUTH: Answering XAUTH challenge with user='bob'",
        "\"rw\" #1: XAUTH: Successfully Authenticated",
        "\"rw\" #1: modecfg: Sending IP request (MODECFG_I1)",
        "\"rw\" #1: Received IPv4 address: 203.0.113.200/32",
    ] {
        up.expect(line);
    }
    assert!(scene
        .east
        .log_text()
        .contains("XAUTH: User bob: Authentication Successful"));

    // The IKE SA on both sides per status; east holds it on an instance of its template.
    let (w, e) = wait_ike_both(&scene, "rw");
    eprintln!("west: {}\neast: {}", w.line, e.line);
    assert_eq!(w.state, "STATE_MAIN_I4", "{}", w.line);
    assert!(
        e.line.contains("\"rw\"[1] 198.51.100.45:500"),
        "east's SA is not on an instance for west: {}",
        e.line
    );
    let west_status = scene.west.status();
    assert!(
        west_status.contains("000 \"rw\": 203.0.113.200/32===198.51.100.45[@west,+MC+XC+S=C]"),
        "west does not show the leased address:\n{west_status}"
    );

    if support::netns::kernel_has_esp_states() {
        assert_eq!(up.status, 0, "{}", up.describe());
    } else {
        // Quick Mode times out: whack (and so the library) exits with its RC, 31.
        up.expect("No acceptable response to our first Quick Mode message");
        assert_eq!(up.status, 31, "{}", up.describe());
    }

    for s in scene.sides() {
        assert!(
            !s.log_text().contains(password),
            "{} logged the password",
            s.name
        );
    }
    timing("xauth_modecfg_road_warrior", t, &scene);
}
