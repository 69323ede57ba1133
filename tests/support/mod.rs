//! Test support shared by the integration tests (`mod support;` in each `tests/*.rs`).
//!
//! Everything here runs real libreswan: a private pluto per test (`pluto`), libreswan's own
//! tools as the oracle (`oracle`), a stand-in control socket that records and misbehaves on
//! demand (`capture`), a two-host network scene (`scene`), key and certificate material
//! (`keys`), a reader for pluto's `--status` (`status`), and network-namespace/kernel helpers
//! (`netns`). See tests/support/README.md.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

pub mod capture;
pub mod keys;
pub mod netns;
pub mod oracle;
pub mod pluto;
pub mod scene;
pub mod status;

/// Fails the calling test with a clear message unless it runs as root: these tests start
/// pluto and create network namespaces, which need it (CI runs as root).
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert!(
        euid == 0,
        "this test needs root (it starts a private pluto and/or network namespaces); \
         run it as root, e.g. `sudo -E cargo test`, euid is {euid}"
    );
}
