//! libipsecauto: what libreswan's `ipsec auto` does, as a library.
//!
//! Data flows one way: configuration text → `config` → `addconn` → `Request` → `wire` (bytes for
//! one libreswan release) → `client` (pluto's control socket) → `reply` (lines, exit status).
//! `ops` composes these into the operations of `ipsec auto`; `ffi` exposes them to C.

pub mod addconn;
pub mod client;
pub mod config;
pub mod error;
pub mod reply;
pub mod request;
pub mod wire;

pub use error::{Error, Location, Result};
pub use request::Request;
pub use wire::Profile;
