//! What every entry point does before and after its work: check that handles are live and
//! strings are UTF-8, catch panics, and keep the last failure on the handle for `_errmsg`.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use once_cell::sync::Lazy;

use super::result::ipsecauto_result::{self, *};
use crate::error::{Error, Location};

/// A failure on its way to the caller: the code, and what `_errmsg` will say.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: ipsecauto_result,
    pub message: String,
    pub at: Option<Location>,
}

impl Failure {
    pub fn new(code: ipsecauto_result, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            at: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let at = match &e {
            Error::Config { at, .. } => Some(at.clone()),
            _ => None,
        };
        Failure {
            code: ipsecauto_result::of(&e),
            message: e.to_string(),
            at,
        }
    }
}

pub(crate) type Outcome<T> = std::result::Result<T, Failure>;

/// A string for C: interior NULs (never expected in messages) become spaces.
pub(crate) fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).expect("NULs were replaced")
}

/// The last failure on a handle, kept so the pointers `_errmsg` hands out stay valid.
#[derive(Debug)]
pub(crate) struct LastError {
    pub code: ipsecauto_result,
    pub message: CString,
    pub file: Option<CString>,
    pub line: u32,
}

impl Default for LastError {
    fn default() -> LastError {
        LastError {
            code: IPSECAUTO_OK,
            message: CString::default(),
            file: None,
            line: 0,
        }
    }
}

impl LastError {
    /// Records `outcome`'s failure (or clears the record on success) and returns its code.
    pub fn record(&mut self, outcome: Outcome<ipsecauto_result>) -> ipsecauto_result {
        match outcome {
            Ok(code) => {
                if code != IPSECAUTO_PENDING {
                    *self = LastError::default();
                }
                code
            }
            Err(f) => {
                *self = LastError {
                    code: f.code,
                    message: c_string(&f.message),
                    file: f.at.as_ref().map(|l| c_string(&l.file.to_string_lossy())),
                    line: f.at.as_ref().map_or(0, |l| l.line),
                };
                f.code
            }
        }
    }
}

/// Handles handed out and not yet freed, by address, with their type and whether a call is
/// using them: lets every entry refuse a freed, foreign or wrongly typed pointer instead of
/// touching it (a double free returns `IPSECAUTO_INVALID_HANDLE`), and a handle already in use
/// (a callback calling into its own handle, or two threads at once) instead of aliasing it.
static LIVE: Lazy<Mutex<BTreeMap<usize, Entry>>> = Lazy::new(|| Mutex::new(BTreeMap::new()));

struct Entry {
    kind: TypeId,
    busy: bool,
}

fn live() -> std::sync::MutexGuard<'static, BTreeMap<usize, Entry>> {
    // A panic while holding this lock cannot leave the set half-changed: recover it.
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Moves `value` to the heap and registers it as a live handle.
pub(crate) fn new_handle<T: 'static>(value: T) -> *mut T {
    let p = Box::into_raw(Box::new(value));
    live().insert(
        p as usize,
        Entry {
            kind: TypeId::of::<T>(),
            busy: false,
        },
    );
    p
}

/// Finds `p` among the live handles of type `T`.
fn lookup<T: 'static>(live: &mut BTreeMap<usize, Entry>, p: *const T) -> Outcome<&mut Entry> {
    if p.is_null() {
        return Err(Failure::new(IPSECAUTO_NULL_ARGUMENT, "handle is NULL"));
    }
    match live.get_mut(&(p as usize)) {
        Some(e) if e.kind == TypeId::of::<T>() => {
            if e.busy {
                Err(Failure::new(
                    IPSECAUTO_INVALID_STATE,
                    "handle is in use by another call (from its own callback, or another thread)",
                ))
            } else {
                Ok(e)
            }
        }
        _ => Err(Failure::new(
            IPSECAUTO_INVALID_HANDLE,
            "handle is not live (freed, or not made by this library)",
        )),
    }
}

/// Unregisters and drops a handle.
pub(crate) fn free_handle<T: 'static>(p: *mut T) -> Outcome<()> {
    {
        let mut live = live();
        lookup(&mut live, p)?;
        live.remove(&(p as usize));
    }
    // SAFETY: p came from Box::into_raw in new_handle, was live and unused until just now.
    drop(unsafe { Box::from_raw(p) });
    Ok(())
}

/// Exclusive use of a live handle for the length of one call.
pub(crate) struct Lease<T> {
    p: *mut T,
}

impl<T> std::ops::Deref for Lease<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the lease marks the handle busy: no other reference to it is made meanwhile.
        unsafe { &*self.p }
    }
}

impl<T> std::ops::DerefMut for Lease<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for deref.
        unsafe { &mut *self.p }
    }
}

impl<T> Drop for Lease<T> {
    fn drop(&mut self) {
        if let Some(e) = live().get_mut(&(self.p as usize)) {
            e.busy = false;
        }
    }
}

/// The handle behind `p` if it is live and not in use.
pub(crate) fn handle<T: 'static>(p: *const T) -> Outcome<Lease<T>> {
    lookup(&mut live(), p)?.busy = true;
    Ok(Lease { p: p as *mut T })
}

/// A required string argument.
pub(crate) fn str_arg<'a>(p: *const c_char, what: &str) -> Outcome<&'a str> {
    opt_str_arg(p, what)?
        .ok_or_else(|| Failure::new(IPSECAUTO_NULL_ARGUMENT, format!("{what} is NULL")))
}

/// An optional string argument: NULL means absent.
pub(crate) fn opt_str_arg<'a>(p: *const c_char, what: &str) -> Outcome<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the header requires a NUL-terminated string that outlives the call.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map(Some)
        .map_err(|_| Failure::new(IPSECAUTO_INVALID_UTF8, format!("{what} is not valid UTF-8")))
}

/// Writes through an out-parameter that may be NULL.
pub(crate) fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: the header requires out to be NULL or point to writable storage for a T.
        unsafe { out.write(value) };
    }
}

/// Runs `f` and turns a panic into a `Failure`.
pub(crate) fn catch<T>(f: impl FnOnce() -> Outcome<T>) -> Outcome<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Failure::new(
                IPSECAUTO_PANIC,
                format!("internal error (panic): {what}"),
            ))
        }
    }
}

/// Anything with a `LastError` that entries record into.
pub(crate) trait Handle {
    fn last_error(&mut self) -> &mut LastError;
}

/// The common shape of an entry taking a handle: check it, run `f` under the panic boundary,
/// keep the failure on the handle. A NULL or dead handle only gets its code.
pub(crate) fn with_handle<T: Handle + 'static>(
    p: *const T,
    f: impl FnOnce(&mut T) -> Outcome<ipsecauto_result>,
) -> ipsecauto_result {
    match catch(|| handle(p)) {
        Err(e) => e.code,
        Ok(mut h) => {
            let r = catch(|| f(&mut h));
            h.last_error().record(r)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing {
        last: LastError,
    }

    impl Handle for Thing {
        fn last_error(&mut self) -> &mut LastError {
            &mut self.last
        }
    }

    #[test]
    fn a_panic_becomes_a_code_and_leaves_the_handle_usable() {
        let p = new_handle(Thing {
            last: LastError::default(),
        });
        let r = with_handle(p, |_| -> Outcome<ipsecauto_result> { panic!("boom") });
        assert_eq!(r, IPSECAUTO_PANIC);
        let msg = handle(p)
            .unwrap()
            .last
            .message
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(msg, "internal error (panic): boom");
        // The lease was given back while unwinding: the next call gets the handle.
        assert_eq!(with_handle(p, |_| Ok(IPSECAUTO_OK)), IPSECAUTO_OK);
        assert!(free_handle(p).is_ok());
        assert_eq!(free_handle(p).unwrap_err().code, IPSECAUTO_INVALID_HANDLE);
    }
}
