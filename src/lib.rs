//! libipsecauto: what libreswan's `ipsec auto` does, as a library.
//!
//! Data flows one way: configuration text → `config` → `addconn` → `Request` → `wire` (bytes for
//! one libreswan release) → `client` (pluto's control socket) → `reply` (lines, exit status).
//! `ops` composes these into the operations of `ipsec auto`; `ffi` exposes them to C.

/// Declares a fieldless enum and `ALL`, its variants in declaration order, from one list.
macro_rules! listed_enum {
    ($(#[$m:meta])* $vis:vis enum $name:ident { $($(#[$vm:meta])* $v:ident),* $(,)? }) => {
        $(#[$m])*
        $vis enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];
        }
    };
}

pub mod addconn;
mod addconn_step;
pub mod cli;
pub mod client;
pub mod config;
pub mod error;
pub mod ffi;
pub mod ops;
pub mod reply;
pub mod request;
pub mod whack_cli;
pub mod wire;

pub use error::{Error, Location, Result};
pub use ops::{ConfigSource, Operation, Options, Outcome, Session};
pub use request::Request;
pub use wire::Profile;
