//! XAUTH: pluto's username and password prompts are answered by the caller's callback and sent
//! as whack sends values given on its command line (value and NUL, at most 128 bytes).

mod support;

use std::time::Duration;

use ipsecauto::reply::Prompt;
use ipsecauto::{Error, Operation, Session};
use support::capture::{Capture, Script, Step};

fn prompting() -> Script {
    Script(vec![
        Step::Receive,
        Step::Send(b"041 Enter username:\n".to_vec()),
        Step::Receive,
        Step::Send(b"040 Enter password:\n".to_vec()),
        Step::Receive,
        Step::Send(b"004 \"rw\" #1: XAUTH: Successfully Authenticated\n".to_vec()),
    ])
}

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ipsecauto-xauth-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn prompts_are_answered_by_the_callback() {
    let path = dir("ok").join("pluto.ctl");
    let cap = Capture::start(&path, prompting());
    let mut asked = Vec::new();
    let mut lines = Vec::new();
    let mut xauth = |p: Prompt| {
        asked.push(p);
        Some(match p {
            Prompt::Username => "alice".to_string(),
            Prompt::Password => "p4ss-w0rd".to_string(),
        })
    };
    let out = Session::with_socket(&path)
        .run_with(
            Operation::Up,
            "rw",
            &mut |l: &ipsecauto::reply::Line| lines.push(l.rc),
            &mut xauth,
        )
        .unwrap();
    assert_eq!(asked, [Prompt::Username, Prompt::Password]);
    assert_eq!(lines, [41, 40, 4]);
    assert_eq!(out.exit_status, 0);
    let rec = cap.take_records();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].parts[1], b"alice\0");
    assert_eq!(rec[0].parts[2], b"p4ss-w0rd\0");
}

#[test]
fn long_answers_are_cut_as_whack_cuts_them() {
    let path = dir("long").join("pluto.ctl");
    let cap = Capture::start(&path, prompting());
    let long = "u".repeat(300);
    let mut xauth = |_: Prompt| Some(long.clone());
    Session::with_socket(&path)
        .run_with(
            Operation::Up,
            "rw",
            &mut |_: &ipsecauto::reply::Line| {},
            &mut xauth,
        )
        .unwrap();
    let rec = cap.wait_take(1, Duration::from_secs(5));
    assert_eq!(rec.len(), 1);
    let sent = &rec[0][rec[0].len() - 2 * 128..];
    assert_eq!(
        &sent[..128],
        [&"u".repeat(127).into_bytes()[..], b"\0"].concat()
    );
}

#[test]
fn a_declined_prompt_is_an_error_that_names_no_secret() {
    let path = dir("declined").join("pluto.ctl");
    let _cap = Capture::start(&path, prompting());
    let mut xauth = |p: Prompt| (p == Prompt::Username).then(|| "alice".to_string());
    let e = Session::with_socket(&path)
        .run_with(
            Operation::Up,
            "rw",
            &mut |_: &ipsecauto::reply::Line| {},
            &mut xauth,
        )
        .unwrap_err();
    assert!(matches!(e, Error::XauthDeclined("password")), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("alice"));
}
