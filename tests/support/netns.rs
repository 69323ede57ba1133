//! Network namespaces and what this kernel's XFRM can do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use super::oracle::{run_in, Output};

/// A network namespace owned by a test; dropping it kills what runs inside and deletes it.
#[derive(Debug)]
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates namespace `name` with loopback up, replacing a stale one of that name.
    pub fn new(name: &str) -> Netns {
        super::require_root();
        delete(name);
        ip(None, &["netns", "add", name]).ok();
        let ns = Netns { name: name.into() };
        ip(Some(name), &["link", "set", "lo", "up"]).ok();
        ns
    }

    /// A fresh namespace named `PREFIX-PID-N`, unique among concurrent tests. Namespaces
    /// `PREFIX-PID-N` whose PID is gone (left by a killed test) are deleted first.
    pub fn unique(prefix: &str) -> Netns {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        for e in std::fs::read_dir("/run/netns")
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let owner = name
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|r| r.split('-').next())
                .and_then(|p| p.parse::<u32>().ok());
            if owner.is_some_and(|p| !super::pluto::alive(p)) {
                delete(&name);
            }
        }
        Netns::new(&format!("{prefix}-{}-{n}", std::process::id()))
    }

    /// Runs `argv` inside.
    pub fn run(&self, argv: &[&str]) -> Output {
        run_in(Some(&self.name), argv, super::oracle::TOOL_TIMEOUT)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        delete(&self.name);
    }
}

fn ip(ns: Option<&str>, args: &[&str]) -> Output {
    let mut argv = vec!["ip"];
    argv.extend_from_slice(args);
    run_in(ns, &argv, Duration::from_secs(10))
}

/// Kills every process in namespace `name` and deletes it; nothing happens if it is absent.
pub fn delete(name: &str) {
    if !std::path::Path::new("/run/netns").join(name).exists() {
        return;
    }
    let pids = ip(None, &["netns", "pids", name]).stdout;
    for pid in pids
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
    {
        // SAFETY: kill(2) on processes inside a namespace this test owns.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    ip(None, &["netns", "del", name]);
}

/// `ip xfrm policy` inside `ns` (or here): the kernel's IPsec policy table as text.
pub fn xfrm_policy(ns: Option<&str>) -> String {
    ip(ns, &["xfrm", "policy"]).ok().stdout
}

/// `ip xfrm state` inside `ns` (or here).
pub fn xfrm_state(ns: Option<&str>) -> String {
    ip(ns, &["xfrm", "state"]).ok().stdout
}

/// Whether this kernel can hold ESP states (IPsec SAs), i.e. whether pluto can install child
/// SAs. Probed once per process by adding a dummy ESP state in a throwaway namespace.
pub fn kernel_has_esp_states() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let ns = Netns::unique("iaprobe");
        let out = ns.run(&[
            "ip",
            "xfrm",
            "state",
            "add",
            "src",
            "198.51.100.1",
            "dst",
            "198.51.100.2",
            "proto",
            "esp",
            "spi",
            "0x1000",
            "enc",
            "cbc(aes)",
            "0x00112233445566778899aabbccddeeff",
            "auth",
            "hmac(sha256)",
            "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ]);
        out.status == 0
    })
}
