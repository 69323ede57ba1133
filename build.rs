//! Generates the C header from `src/ffi` into OUT_DIR (tests/ffi_header.rs compares it with
//! the committed include/ipsecauto.h) and gives the shared library its soname and an export
//! list of `ipsecauto_*` only.

use std::path::PathBuf;

/// The major ABI version: the soname's number. Bump with `IPSECAUTO_ABI_VERSION`.
const SONAME: &str = "libipsecauto.so.0";

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));

    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=ipsecauto.map");

    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    // Only the ffi module: the rest of the crate's public items are not part of the C ABI.
    cbindgen::Builder::new()
        .with_src(dir.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("the C header generates from src/ffi")
        .write_to_file(out.join("ipsecauto.h"));

    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{SONAME}");
        println!(
            "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
            dir.join("ipsecauto.map").display()
        );
    }
}
