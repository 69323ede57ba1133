//! The committed include/ipsecauto.h must be what cbindgen generates from src/ffi (build.rs
//! writes that into OUT_DIR). Run with IPSECAUTO_BLESS=1 to update the committed copy.

use std::path::Path;

#[test]
fn committed_header_matches_generated() {
    let generated = std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("ipsecauto.h"))
        .expect("build.rs generated the header");
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/ipsecauto.h");
    if std::env::var_os("IPSECAUTO_BLESS").is_some() {
        std::fs::write(&committed_path, &generated).expect("include/ipsecauto.h is writable");
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()))
            + 1;
        panic!(
            "include/ipsecauto.h differs from the header generated from src/ffi (first at line \
             {line}); regenerate it with `IPSECAUTO_BLESS=1 cargo test --test ffi_header` and \
             commit it"
        );
    }
}

#[test]
fn header_exports_only_prefixed_names() {
    let generated = std::fs::read_to_string(Path::new(env!("OUT_DIR")).join("ipsecauto.h"))
        .expect("build.rs generated the header");
    for line in generated.lines() {
        let decl = line.trim_start();
        let name = if let Some(rest) = decl.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if ["typedef", "//", "/*", "*"]
            .iter()
            .any(|p| decl.starts_with(p))
        {
            None
        } else if decl.contains('(') {
            decl.split('(')
                .next()
                .and_then(|s| s.split([' ', '*']).next_back())
        } else {
            None
        };
        if let Some(n) = name {
            if n == "IPSECAUTO_H" {
                continue;
            }
            assert!(
                n.starts_with("ipsecauto_") || n.starts_with("IPSECAUTO_"),
                "unprefixed name in the header: {line}"
            );
        }
    }
}
