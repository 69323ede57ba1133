//! The two-host scene from Rust: scripts/scene.sh brings it up, `Drop` tears it down (also when
//! the test panics). Each `Scene::up()` gets its own name, so tests can run scenes side by side.
//!
//! west: namespace `iaw-NAME`, 198.51.100.45/24, client 203.0.113.1/25 on lo;
//! east: namespace `iae-NAME`, 198.51.100.23/24, client 203.0.113.129/25 on lo;
//! each with a private pluto started with `ikev1-policy=accept`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use super::oracle::{self, Output};

/// The script, from the crate's root.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/scene.sh");
/// Where the script keeps each scene's state (its default; tests do not override it).
pub const STATE_ROOT: &str = "/run";
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// One host of the scene.
#[derive(Clone, Debug)]
pub struct Side {
    /// `west` or `east`.
    pub name: &'static str,
    pub ns: String,
    /// Its address on the shared link.
    pub addr: &'static str,
    /// Its client address (with prefix), on lo.
    pub client: &'static str,
    /// The client subnet behind it.
    pub subnet: &'static str,
    pub dir: PathBuf,
    pub ctl: PathBuf,
    /// ipsec.conf: `config setup` and an include of `conns`.
    pub conf: PathBuf,
    /// Where the test's conn sections go.
    pub conns: PathBuf,
    pub secrets: PathBuf,
    pub nssdir: PathBuf,
    pub log: PathBuf,
}

impl Side {
    /// Replaces this side's conn sections (read by `ipsec auto --config`).
    pub fn write_conns(&self, text: &str) {
        fs::write(&self.conns, text).unwrap_or_else(|e| panic!("{}: {e}", self.conns.display()));
    }

    /// Replaces ipsec.secrets and has pluto reread it.
    pub fn set_secrets(&self, text: &str) {
        fs::write(&self.secrets, text)
            .unwrap_or_else(|e| panic!("{}: {e}", self.secrets.display()));
        self.whack(&["--rereadsecrets"]).ok();
    }

    /// `ipsec whack --ctlsocket CTL ARGS...`.
    pub fn whack(&self, args: &[&str]) -> Output {
        oracle::whack(&self.ctl, args)
    }

    /// `ipsec auto --config CONF --ctlsocket CTL ARGS...`, run inside this side's namespace.
    pub fn auto(&self, args: &[&str]) -> Output {
        oracle::auto(Some(&self.ns), &self.ctl, &self.conf, args)
    }

    /// `whack --status`; panics if whack fails.
    pub fn status(&self) -> String {
        self.whack(&["--status"]).ok().stdout
    }

    /// Runs a command inside this side's namespace.
    pub fn run(&self, argv: &[&str]) -> Output {
        oracle::run_in(Some(&self.ns), argv, oracle::TOOL_TIMEOUT)
    }

    /// `ip xfrm policy` in this side's namespace.
    pub fn xfrm_policy(&self) -> String {
        super::netns::xfrm_policy(Some(&self.ns))
    }

    /// pluto's log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `status()` until `pred` holds, for at most `timeout`; returns the last status,
    /// or panics with it.
    pub fn wait_status(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.status();
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{}: {what} not seen within {timeout:?}; status:\n{s}\nlog tail:\n{}",
                self.name,
                tail(&self.log_text(), 30)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A running scene; dropping it runs `scene.sh -n NAME down`.
#[derive(Debug)]
pub struct Scene {
    pub name: String,
    pub state: PathBuf,
    pub west: Side,
    pub east: Side,
    /// How long `scene.sh up` took.
    pub startup: Duration,
}

impl Scene {
    /// A fresh scene with a name unique to this test process.
    pub fn up() -> Scene {
        Scene::up_with(&[])
    }

    /// As `up`, with extra `config setup` lines for both plutos.
    pub fn up_with(setup: &[&str]) -> Scene {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Scene::up_named(&format!("t{}-{n}", std::process::id()), setup)
    }

    /// The scene called `name` (namespaces `iaw-NAME`, `iae-NAME`; the empty name is the
    /// script's default scene, `iaw` and `iae`), rebuilt if broken.
    pub fn up_named(name: &str, setup: &[&str]) -> Scene {
        super::require_root();
        sweep_debris();
        let started = Instant::now();
        let out = script(name, "up", setup);
        let state = PathBuf::from(format!("{STATE_ROOT}/ipsecauto-scene{}", suffix(name)));
        let scene = Scene {
            name: name.into(),
            west: side(&state, name, "west"),
            east: side(&state, name, "east"),
            state,
            startup: started.elapsed(),
        };
        assert!(out.status == 0, "scene up failed:\n{}", out.describe());
        scene
    }

    /// Both sides, west first.
    pub fn sides(&self) -> [&Side; 2] {
        [&self.west, &self.east]
    }

    /// Writes the same conn sections on both sides.
    pub fn write_conns(&self, text: &str) {
        self.sides().iter().for_each(|s| s.write_conns(text));
    }

    /// Writes the same secrets on both sides and has both plutos reread them.
    pub fn set_secrets(&self, text: &str) {
        self.sides().iter().for_each(|s| s.set_secrets(text));
    }

    /// `ipsec auto --add CONN` on both sides; panics unless both succeed.
    pub fn add(&self, conn: &str) {
        for s in self.sides() {
            s.auto(&["--add", conn]).ok();
        }
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for s in self.sides() {
                eprintln!(
                    "scene {} {} pluto log tail:\n{}",
                    self.name,
                    s.name,
                    tail(&s.log_text(), 40)
                );
            }
        }
        let out = script(&self.name, "down", &[]);
        if out.status != 0 && !std::thread::panicking() {
            panic!("scene down failed:\n{}", out.describe());
        }
    }
}

/// Runs `scene.sh -n NAME ACTION` with `setup` as SCENE_SETUP_EXTRA.
pub fn script(name: &str, action: &str, setup: &[&str]) -> Output {
    let extra = format!("SCENE_SETUP_EXTRA={}", setup.join("\n"));
    let mut argv = vec!["env", &extra, SCRIPT];
    if !name.is_empty() {
        argv.extend(["-n", name]);
    }
    argv.push(action);
    oracle::run_full(None, &argv, None, SCRIPT_TIMEOUT)
}

/// What the script appends to its namespace and directory names for scene `name`.
fn suffix(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!("-{name}")
    }
}

fn side(state: &Path, name: &str, which: &'static str) -> Side {
    let dir = state.join(which);
    let west = which == "west";
    Side {
        name: which,
        ns: format!("{}{}", if west { "iaw" } else { "iae" }, suffix(name)),
        addr: if west {
            "198.51.100.45"
        } else {
            "198.51.100.23"
        },
        client: if west {
            "203.0.113.1/25"
        } else {
            "203.0.113.129/25"
        },
        subnet: if west {
            "203.0.113.0/25"
        } else {
            "203.0.113.128/25"
        },
        ctl: dir.join("run/pluto.ctl"),
        conf: dir.join("ipsec.conf"),
        conns: dir.join("conns.conf"),
        secrets: dir.join("ipsec.secrets"),
        nssdir: dir.join("nss"),
        log: dir.join("pluto.log"),
        dir,
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Once per test process: takes down scenes named `tPID-N` whose test process is gone.
fn sweep_debris() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut names: Vec<String> = Vec::new();
        let state_dirs = fs::read_dir(STATE_ROOT).into_iter().flatten().flatten();
        for e in state_dirs {
            let f = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = f.strip_prefix("ipsecauto-scene-") {
                names.push(n.into());
            }
        }
        for e in fs::read_dir("/run/netns").into_iter().flatten().flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = f.strip_prefix("iaw-").or_else(|| f.strip_prefix("iae-")) {
                names.push(n.into());
            }
        }
        names.sort();
        names.dedup();
        for name in names {
            let owner = name
                .strip_prefix('t')
                .and_then(|r| r.split('-').next())
                .and_then(|p| p.parse::<u32>().ok());
            if owner.is_some_and(|p| !super::pluto::alive(p)) {
                script(&name, "down", &[]);
            }
        }
    });
}
