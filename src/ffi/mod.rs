//! The C ABI of libipsecauto (`include/ipsecauto.h` is generated from this module by cbindgen).
//!
//! Thin by design: argument checks, the panic boundary, ownership and result codes. What an
//! operation does lives in `ops`; this layer only carries it across.
//!
//! Conventions every function follows:
//! - names start with `ipsecauto_`; handles are opaque and come in `_new`/`_free` pairs;
//! - fallible functions return an `ipsecauto_result` and write results through out-parameters;
//! - strings in and out are NUL-terminated UTF-8; strings handed out are owned by the handle
//!   they come from and stay valid until the next call on that handle (or its `_free`);
//! - no panic crosses the boundary: one becomes `IPSECAUTO_PANIC`;
//! - a handle may be used from any thread, by one thread at a time; distinct handles may be
//!   used concurrently; callbacks run on the calling thread, inside the call that triggers them.

#![allow(non_camel_case_types)]
// Every entry checks its pointers itself; the unsafe contract is stated in the header.
#![allow(clippy::missing_safety_doc)]
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod backend;
mod boundary;

// The header presents the public modules in this order (cbindgen follows it): results,
// sessions, the operations and their blocking calls, the non-blocking form, the check.
mod result;

mod session;

mod operation;

mod operations;

mod op;

mod check;

pub use check::*;
pub use op::*;
pub use operation::*;
pub use operations::*;
pub use result::*;
pub use session::*;

use std::os::raw::c_char;

/// The ABI this header describes. It changes only when a function, type or value in it changes
/// incompatibly; compare it with `ipsecauto_abi_version()` to detect a mismatched library.
pub const IPSECAUTO_ABI_VERSION: u32 = 0;

/// The code the line callback gets for text that is not pluto's but the tool's own
/// diagnostics (what `ipsec auto` prints on stderr, such as addconn's "conn 'x': not found").
/// pluto's codes stay below 1000.
pub const IPSECAUTO_NOTE_RC: u32 = 1000;

/// The size of the buffer an XAUTH callback writes its answer into, terminating NUL included
/// (pluto takes at most 127 bytes of a username or password).
pub const IPSECAUTO_XAUTH_MAX: usize = 128;
const _: () = assert!(IPSECAUTO_XAUTH_MAX == crate::client::XAUTH_MAX);

/// The library's version, such as "0.1.0". Static storage: never free it.
#[no_mangle]
pub extern "C" fn ipsecauto_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version of the library actually loaded (see `IPSECAUTO_ABI_VERSION`).
#[no_mangle]
pub extern "C" fn ipsecauto_abi_version() -> u32 {
    IPSECAUTO_ABI_VERSION
}
