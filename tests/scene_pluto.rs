//! The test support itself: private plutos, the oracle runner and the capturing stand-in.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use support::capture::{Capture, Script};
use support::netns::Netns;
use support::oracle;
use support::pluto::{alive, processes_mentioning, Pluto};

fn assert_gone(dir: &Path) {
    assert!(
        !dir.exists(),
        "{} still exists after teardown",
        dir.display()
    );
    let left = processes_mentioning(dir);
    assert!(
        left.is_empty(),
        "processes left behind for {}: {left:?}",
        dir.display()
    );
}

#[test]
fn private_pluto_answers_status_and_leaves_nothing() {
    support::require_root();
    let pluto = Pluto::start();
    let dir = pluto.dir.clone();
    let pid = pluto.pid();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    let out = pluto.whack(&["--status"]);
    assert_eq!(out.status, 0, "{}", out.describe());
    // pluto lists the interfaces it listens on, then its config; both must name our paths.
    assert!(
        out.stdout.contains("000 interface lo UDP 127.0.0.1:500"),
        "{}",
        out.stdout
    );
    let expect = format!("secrets={}", pluto.secrets.display());
    assert!(out.stdout.contains(&expect), "{}", out.stdout);
    assert!(pluto.log_text().contains("Starting Pluto"));
    eprintln!("pluto up in {:?}", pluto.startup);
    assert!(pluto.stop(), "pluto had died before teardown");
    assert_gone(&dir);
    assert!(!alive(pid), "pluto {pid} survived teardown");
}

#[test]
fn several_plutos_run_at_once() {
    support::require_root();
    let a = Pluto::builder().label("a").start();
    let b = Pluto::builder().label("b").start();
    assert_ne!(a.dir, b.dir);
    for p in [&a, &b] {
        let s = p.status();
        assert!(s.contains(&format!("nssdir={}", p.nssdir.display())), "{s}");
    }
    let dirs = [a.dir.clone(), b.dir.clone()];
    drop(a);
    // b survives a's teardown.
    assert_eq!(b.whack(&["--status"]).status, 0);
    drop(b);
    dirs.iter().for_each(|d| assert_gone(d));
}

#[test]
fn pluto_in_a_network_namespace_sees_only_its_interfaces() {
    support::require_root();
    let ns = Netns::unique("iapl");
    let pluto = Pluto::builder()
        .netns(&ns.name)
        .setup("ikev1-policy=accept")
        .start();
    let s = pluto.status();
    assert!(s.contains("000 interface lo UDP 127.0.0.1:500"), "{s}");
    // The host's own interfaces are invisible inside the namespace.
    let host_ifaces = s
        .lines()
        .filter(|l| l.starts_with("000 interface ") && !l.contains(" lo "));
    assert_eq!(host_ifaces.count(), 0, "{s}");
    assert!(s.contains("ikev1-policy=accept"), "{s}");
    let dir = pluto.dir.clone();
    drop(pluto);
    assert_gone(&dir);
}

#[test]
fn teardown_happens_when_the_test_panics() {
    support::require_root();
    let (tx, rx) = std::sync::mpsc::channel();
    let r = std::thread::spawn(move || {
        let p = Pluto::builder().label("panics").start();
        tx.send(p.dir.clone()).unwrap();
        panic!("deliberate panic with a running pluto");
    })
    .join();
    assert!(r.is_err());
    assert_gone(&rx.recv().unwrap());
}

#[test]
fn debris_from_an_earlier_run_is_cleared() {
    support::require_root();
    let dir = support::pluto::base_dir().join(format!("fixed-{}-0", std::process::id()));
    // A pluto that "an earlier run" left behind in the same directory...
    let first = Pluto::builder().dir(&dir).start();
    let old_pid = first.pid();
    std::mem::forget(first);
    // ...and a stale pid file and socket besides.
    let second = Pluto::builder().dir(&dir).start();
    assert_ne!(second.pid(), old_pid);
    assert_eq!(second.whack(&["--status"]).status, 0);
    drop(second);
    assert_gone(&dir);
    // A stale pid file and a dead socket without any process.
    std::fs::create_dir_all(dir.join("run")).unwrap();
    std::fs::write(dir.join("run/pluto.pid"), "999999\n").unwrap();
    drop(std::os::unix::net::UnixListener::bind(dir.join("run/pluto.ctl")).unwrap());
    let third = Pluto::builder().dir(&dir).start();
    assert_eq!(third.whack(&["--status"]).status, 0);
    drop(third);
    assert_gone(&dir);
}

#[test]
fn the_sweep_removes_what_dead_test_processes_left() {
    support::require_root();
    // A pid that just ended: the "test process" that left the debris.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let base = support::pluto::base_dir();
    let ghost = base.join(format!("ghost-{dead}-0"));
    let orphan = Pluto::builder().dir(&ghost).start();
    let orphan_pid = orphan.pid();
    std::mem::forget(orphan);
    // Not of the LABEL-PID-N form: not ours to remove.
    let other = base.join(format!("unrelated-{}", std::process::id()));
    std::fs::create_dir_all(&other).unwrap();
    support::pluto::sweep_debris_now();
    assert_gone(&ghost);
    assert!(!alive(orphan_pid));
    assert!(other.exists());
    std::fs::remove_dir_all(&other).unwrap();
}

#[test]
fn a_pluto_that_dies_reports_its_log() {
    support::require_root();
    let err = Pluto::builder()
        .label("bad")
        .setup("no-such-keyword=1")
        .try_start()
        .expect_err("pluto should refuse an unknown config setup keyword");
    assert!(err.contains("exited with"), "{err}");
    assert!(err.contains("no-such-keyword"), "{err}");
}

#[test]
fn capture_records_whack_and_answers() {
    let dir = tempdir("cap");
    let cap = Capture::start(
        dir.join("ctl"),
        Script::answer(b"000 hello from the stand-in\n"),
    );
    let out = oracle::whack(cap.path(), &["--status"]);
    assert_eq!(out.status, 0, "{}", out.describe());
    assert_eq!(out.stdout, "000 hello from the stand-in\n");
    let msgs = cap.wait_take(1, Duration::from_secs(5));
    assert_eq!(msgs.len(), 1);
    // whack's message begins with its magic; its size is the same whatever the request.
    assert!(
        msgs[0].len() > 1000,
        "whack message of {} bytes",
        msgs[0].len()
    );
    let again = oracle::whack(cap.path(), &["--status"]);
    assert_eq!(again.status, 0);
    assert_eq!(
        cap.wait_take(1, Duration::from_secs(5))[0].len(),
        msgs[0].len()
    );
}

#[test]
fn capture_fault_modes() {
    let dir = tempdir("capf");
    let cap = Capture::start(dir.join("ctl"), Script::answer(b""));
    let reply = b"000 first line\n000 second line\n";

    // Close in the middle of the answer: whack sees only what came before.
    cap.push(Script::close_mid_answer(reply, 20));
    let out = oracle::whack(cap.path(), &["--status"]);
    assert!(
        out.stdout.starts_with("000 first line\n"),
        "{}",
        out.describe()
    );
    assert!(!out.stdout.contains("second line"), "{}", out.describe());

    // Slow answer: one byte every 5 ms arrives whole, and takes its time.
    cap.push(Script::slow(reply, Duration::from_millis(5)));
    let out = oracle::whack(cap.path(), &["--status"]);
    assert_eq!(
        out.stdout,
        String::from_utf8_lossy(reply),
        "{}",
        out.describe()
    );
    assert!(out.elapsed >= Duration::from_millis(5 * reply.len() as u64));

    // Never answer: the connection stays open and silent.
    cap.push(Script::never_answer());
    let mut s = UnixStream::connect(cap.path()).unwrap();
    s.write_all(b"request").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 16];
    let e = s
        .read(&mut buf)
        .expect_err("a hanging stand-in must not answer nor close");
    assert!(matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    assert!(t.elapsed() >= Duration::from_millis(250));
    drop(s);

    let recs = cap.wait_take(3, Duration::from_secs(5));
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[2], b"request");
}

fn tempdir(label: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ipsecauto-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
