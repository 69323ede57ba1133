//! End to end through the other front doors: a C program linked against libipsecauto.so by
//! way of include/ipsecauto.h, and the Python bindings (bindings/python) loading the same
//! library, each bringing a PSK connection up between the scene's two plutos. pluto's own
//! status is the judge, as for the Rust API.

mod e2e_common;
mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use e2e_common::*;
use support::oracle::{run_full, Output, TOOL_TIMEOUT};
use support::scene::Scene;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// libipsecauto.so of the profile this test was built in, built (or brought up to date) by
/// cargo first: `cargo test` itself builds only the rlib. Once per test process.
fn cdylib() -> &'static Path {
    static LIB: OnceLock<PathBuf> = OnceLock::new();
    LIB.get_or_init(|| {
        // target/PROFILE/deps/e2e_ffi-HASH
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
        let profile = profile_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let manifest = format!("{ROOT}/Cargo.toml");
        let mut argv = vec![
            cargo.as_str(),
            "build",
            "--quiet",
            "--lib",
            "--manifest-path",
            &manifest,
        ];
        let profile_flag = format!(
            "--profile={}",
            if profile == "debug" { "dev" } else { &profile }
        );
        argv.push(&profile_flag);
        let t = Instant::now();
        let out = run_full(None, &argv, None, std::time::Duration::from_secs(600));
        assert_eq!(out.status, 0, "building the cdylib:\n{}", out.describe());
        eprintln!("cdylib up to date after {:?}", t.elapsed());
        let lib = profile_dir.join("libipsecauto.so");
        assert!(lib.exists(), "{} was not built", lib.display());
        lib
    })
}

fn ok(out: Output) -> Output {
    assert_eq!(out.status, 0, "{}", out.describe());
    out
}

/// A C program through the C ABI: rereadsecrets, add on both sides (files), up, status.
/// Checks the IKE SA on both sides; the child SA where the kernel allows, else its refusal.
#[test]
fn c_abi_psk_host_to_host() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    scene.write_conns(&psk_conn("cabi", ""));
    // Written on disk only: the C program has pluto reread them through the library.
    for s in scene.sides() {
        std::fs::write(&s.secrets, psk_secret(PSK)).unwrap();
    }

    // Build the program as a user would: the header from include/, the shared library by its
    // soname (libipsecauto.so.0) found through the rpath.
    let lib = cdylib();
    let dir = scene.state.join("c");
    std::fs::create_dir_all(&dir).unwrap();
    let soname = dir.join("libipsecauto.so.0");
    let _ = std::fs::remove_file(&soname);
    std::os::unix::fs::symlink(lib, &soname).unwrap();
    let exe = dir.join("c_abi_up");
    let (exe_s, dir_s, so_s) = (
        exe.to_string_lossy(),
        dir.to_string_lossy(),
        soname.to_string_lossy(),
    );
    let rpath = format!("-Wl,-rpath,{dir_s}");
    let include = format!("-I{ROOT}/include");
    let src = format!("{ROOT}/tests/data/e2e/c_abi_up.c");
    ok(run_full(
        None,
        &[
            "cc", "-std=c11", "-Wall", "-Wextra", "-Werror", &include, &src, "-o", &exe_s, &so_s,
            &rpath,
        ],
        None,
        TOOL_TIMEOUT,
    ));
    let needed = ok(run_full(
        None,
        &["readelf", "-d", &exe_s],
        None,
        TOOL_TIMEOUT,
    ))
    .stdout;
    assert!(
        needed.contains("Shared library: [libipsecauto.so.0]"),
        "{needed}"
    );

    let (w, e) = (&scene.west, &scene.east);
    let out = ok(run_full(
        None,
        &[
            &exe_s,
            &w.ctl.to_string_lossy(),
            &w.conf.to_string_lossy(),
            &e.ctl.to_string_lossy(),
            &e.conf.to_string_lossy(),
            "cabi",
        ],
        None,
        TOOL_TIMEOUT,
    ));
    eprintln!("{}", out.describe());
    let said = |line: &str| {
        assert!(
            out.stdout.lines().any(|l| l == line || l.starts_with(line)),
            "missing {line:?}\n{}",
            out.describe()
        )
    };
    for side in ["east", "west"] {
        said(&format!(
            "{side} 002 loading secrets from \"{}",
            scene.state.display()
        ));
        said(&format!("{side} result rereadsecrets IPSECAUTO_OK 0"));
        said(&format!("{side} result add IPSECAUTO_OK 0"));
    }
    said("west 003 \"cabi\" #1: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@east'");
    said("west result up IPSECAUTO_OK 0");
    said("west 000 #1: \"cabi\":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA);");
    said("west result status IPSECAUTO_OK 0");
    let (ws, es) = wait_ike_both(&scene, "cabi");
    eprintln!("west: {}\neast: {}", ws.line, es.line);
    if support::netns::kernel_has_esp_states() {
        wait_child_both(&scene, "cabi");
    } else {
        said("west 003 \"cabi\" #2: IKE_AUTH response rejected Child SA with TS_UNACCEPTABLE");
    }
    timing("c_abi_psk_host_to_host", t, &scene);
}

/// The Python bindings: rereadsecrets, add on both sides (config in memory), up, status.
/// Checks the IKE SA on both sides; the child SA where the kernel allows, else its refusal.
#[test]
fn python_bindings_psk_subnet_to_subnet_from_memory() {
    support::require_root();
    let t = Instant::now();
    let scene = Scene::up();
    let conn = psk_conn("py", SUBNETS);
    for s in scene.sides() {
        std::fs::write(&s.secrets, psk_secret(PSK)).unwrap();
    }
    let lib = cdylib();
    let script = format!("{ROOT}/tests/data/e2e/python_up.py");
    let pythonpath = format!("PYTHONPATH={ROOT}/bindings/python");
    let library = format!("IPSECAUTO_LIBRARY={}", lib.display());
    let (w, e) = (&scene.west, &scene.east);
    let out = ok(run_full(
        None,
        &[
            "env",
            &pythonpath,
            &library,
            "python3",
            &script,
            &w.ctl.to_string_lossy(),
            &e.ctl.to_string_lossy(),
            &w.dir.to_string_lossy(),
            &e.dir.to_string_lossy(),
            "py",
            &conn,
        ],
        None,
        TOOL_TIMEOUT,
    ));
    eprintln!("{}", out.describe());
    // One JSON object per operation; read only the fields needed, without a JSON library.
    let report = |side: &str, op: &str| -> &str {
        let head = format!("{{\"side\": \"{side}\", \"op\": \"{op}\", ");
        out.stdout
            .lines()
            .find(|l| l.starts_with(&head))
            .unwrap_or_else(|| panic!("no report of {side} {op}\n{}", out.describe()))
    };
    for (side, op) in [
        ("east", "rereadsecrets"),
        ("east", "add"),
        ("west", "rereadsecrets"),
        ("west", "add"),
        ("west", "up"),
        ("west", "status"),
    ] {
        assert!(
            report(side, op).contains("\"exit_status\": 0,"),
            "{side} {op}: {}",
            report(side, op)
        );
    }
    let up = report("west", "up");
    assert!(
        up.contains("[3, \"\\\"py\\\" #1: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@east'\"]"),
        "{up}"
    );
    assert!(
        report("west", "status")
            .contains("\\\"py\\\":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA);"),
        "{}",
        report("west", "status")
    );
    // Nothing was written to conns.conf: pluto has the conn from Python's memory.
    let st = scene.west.status();
    assert!(
        st.contains("000 \"py\": 203.0.113.0/25===198.51.100.45[@west]...198.51.100.23[@east]===203.0.113.128/25;"),
        "{st}"
    );
    let (ws, es) = wait_ike_both(&scene, "py");
    eprintln!("west: {}\neast: {}", ws.line, es.line);
    if support::netns::kernel_has_esp_states() {
        wait_child_both(&scene, "py");
    } else {
        assert!(
            up.contains("IKE_AUTH response rejected Child SA with TS_UNACCEPTABLE"),
            "{up}"
        );
    }
    timing(
        "python_bindings_psk_subnet_to_subnet_from_memory",
        t,
        &scene,
    );
}
