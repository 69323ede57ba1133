//! Failures a caller can run into: no pluto, nobody listening, no permission, pluto dying
//! mid-answer or never answering. Each gives its own error kind and message; none panics or hangs.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use ipsecauto::{Error, Session};
use support::capture::{Capture, Script};

fn tempdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ipsecauto-faults-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn no_socket_means_pluto_is_not_running() {
    let dir = tempdir("nosock");
    let s = Session::with_socket(dir.join("pluto.ctl"));
    let e = s.status(|_| {}).unwrap_err();
    assert!(matches!(e, Error::NotRunning { .. }), "{e:?}");
    assert!(e.to_string().contains("Pluto is not running"), "{e}");
    // The CLI exits as whack does: RC_WHACK_PROBLEM.
    let out = Command::new(env!("CARGO_BIN_EXE_ipsec-auto"))
        .args([
            "--ctlsocket",
            dir.join("pluto.ctl").to_str().unwrap(),
            "--status",
        ])
        .output()
        .unwrap();
    let reference = Command::new("ipsec")
        .args([
            "auto",
            "--ctlsocket",
            dir.join("pluto.ctl").to_str().unwrap(),
            "--status",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), reference.status.code());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&reference.stderr)
    );
}

#[test]
fn socket_file_without_listener_is_connection_refused() {
    let dir = tempdir("refused");
    let path = dir.join("pluto.ctl");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let e = Session::with_socket(&path).up("west", |_| {}).unwrap_err();
    assert!(
        matches!(e, Error::ConnectionRefused { errno, .. } if errno == libc::ECONNREFUSED),
        "{e:?}"
    );
    assert!(e.to_string().contains("is Pluto running?"), "{e}");
}

#[test]
fn unprivileged_caller_gets_permission_denied() {
    support::require_root();
    let dir = tempdir("perm");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let path = dir.join("pluto.ctl");
    let _cap = Capture::start(&path, Script::answer(b"000 hi\n"));
    // Run the CLI as nobody, as a user without rights to pluto would.
    let run = |prog: &[&str]| {
        Command::new(prog[0])
            .args(&prog[1..])
            .args(["--ctlsocket", path.to_str().unwrap(), "--status"])
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap()
    };
    // The binary must be reachable for nobody: copy it to a world-readable place.
    let bin = std::env::temp_dir().join(format!("ipsec-auto-{}", std::process::id()));
    std::fs::copy(env!("CARGO_BIN_EXE_ipsec-auto"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ours = run(&[bin.to_str().unwrap()]);
    let reference = run(&["ipsec", "auto"]);
    let _ = std::fs::remove_file(&bin);
    assert_eq!(ours.status.code(), reference.status.code());
    let err = String::from_utf8_lossy(&ours.stderr);
    assert!(err.contains("no right to communicate with pluto"), "{err}");
    assert_eq!(err, String::from_utf8_lossy(&reference.stderr));
}

#[test]
fn pluto_closing_mid_answer_ends_the_answer_cleanly() {
    let dir = tempdir("mid");
    let path = dir.join("pluto.ctl");
    let _cap = Capture::start(
        &path,
        Script::close_mid_answer(b"002 first\n021 never finish", 20),
    );
    let mut lines = Vec::new();
    let out = Session::with_socket(&path)
        .up("west", |l| lines.push(l.text().into_owned()))
        .unwrap();
    assert_eq!(lines, ["first"]);
    assert_eq!(out.exit_status, 0);
    assert!(out.steps[0].unterminated);
}

#[test]
fn silent_pluto_times_out_when_asked_to() {
    let dir = tempdir("hang");
    let path = dir.join("pluto.ctl");
    let _cap = Capture::start(&path, Script::never_answer());
    let mut s = Session::with_socket(&path);
    s.options.timeout = Some(Duration::from_millis(200));
    let t = Instant::now();
    let e = s.status(|_| {}).unwrap_err();
    assert!(matches!(e, Error::Timeout { millis: 200 }), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn slow_answers_stream_line_by_line() {
    let dir = tempdir("slow");
    let path = dir.join("pluto.ctl");
    let _cap = Capture::start(
        &path,
        Script::slow(b"000 a\n000 b\n021 c\n", Duration::from_millis(2)),
    );
    let mut lines = Vec::new();
    let out = Session::with_socket(&path)
        .up("west", |l| lines.push((l.rc, l.text().into_owned())))
        .unwrap();
    assert_eq!(
        lines,
        [
            (0, "a".to_string()),
            (0, "b".to_string()),
            (21, "c".to_string())
        ]
    );
    assert_eq!(out.exit_status, 21);
}

#[test]
fn missing_prefix_is_a_protocol_error() {
    let dir = tempdir("prefix");
    let path = dir.join("pluto.ctl");
    let _cap = Capture::start(&path, Script::answer(b"000 ok\ngarbage\n"));
    let e = Session::with_socket(&path).status(|_| {}).unwrap_err();
    assert!(matches!(e, Error::Protocol { .. }), "{e:?}");
}
