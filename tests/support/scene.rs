//! The two-host scene (scripts/scene.sh) from Rust.
