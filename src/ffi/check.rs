//! The check-only pass: every problem of a configuration at once, each with file and line.

use std::ffi::CString;
use std::os::raw::{c_char, c_uint};

use super::boundary::*;
use super::op::{errmsg, free};
use super::result::ipsecauto_result::{self, *};
use super::session::{ipsecauto_session, with_session};
use crate::config::{Diagnostic, Severity};
use crate::error::{Error, Location};

/// How bad a diagnostic is, by what libreswan's addconn does about it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ipsecauto_severity {
    /// The whole file is rejected: no operation can use it.
    IPSECAUTO_SEVERITY_FATAL = 1,
    /// The conn it belongs to does not load; the rest of the file does.
    IPSECAUTO_SEVERITY_ERROR = 2,
    /// Reported (or silently ignored by libreswan); nothing fails.
    IPSECAUTO_SEVERITY_WARNING = 3,
}

struct Entry {
    file: CString,
    line: c_uint,
    message: CString,
    severity: ipsecauto_severity,
}

/// The diagnostics of one check, in file order. Made by `ipsecauto_check`, freed by
/// `ipsecauto_diagnostics_free`; the strings it hands out live as long as it does.
pub struct ipsecauto_diagnostics {
    entries: Vec<Entry>,
    last: LastError,
}

impl Handle for ipsecauto_diagnostics {
    fn last_error(&mut self) -> &mut LastError {
        &mut self.last
    }
}

fn entry(d: &Diagnostic) -> Entry {
    Entry {
        file: c_string(&d.file.to_string_lossy()),
        line: d.line,
        message: c_string(&d.message),
        severity: match d.severity {
            Severity::Fatal => ipsecauto_severity::IPSECAUTO_SEVERITY_FATAL,
            Severity::Error => ipsecauto_severity::IPSECAUTO_SEVERITY_ERROR,
            Severity::Warning => ipsecauto_severity::IPSECAUTO_SEVERITY_WARNING,
        },
    }
}

/// Checks the session's configuration (file or text) without talking to pluto, as
/// `ipsec addconn --checkconfig` does, but reporting every problem rather than the first.
/// `*out` gets the list (possibly empty; the caller owns it) whatever the result. Returns
/// `IPSECAUTO_OK` when the file is usable, `IPSECAUTO_CONFIG` when a fatal problem rejects it
/// (the session's error then names the first, with file and line).
#[no_mangle]
pub extern "C" fn ipsecauto_check(
    session: *mut ipsecauto_session,
    out: *mut *mut ipsecauto_diagnostics,
) -> ipsecauto_result {
    put(out, std::ptr::null_mut());
    with_session(session, |s| {
        if out.is_null() {
            return Err(Failure::new(IPSECAUTO_NULL_ARGUMENT, "out is NULL"));
        }
        let found = s.settings.ops.config.check();
        put(
            out,
            new_handle(ipsecauto_diagnostics {
                entries: found.iter().map(entry).collect(),
                last: LastError::default(),
            }),
        );
        match found.iter().find(|d| d.severity == Severity::Fatal) {
            None => Ok(IPSECAUTO_OK),
            Some(d) => Err(Error::Config {
                at: Location {
                    file: d.file.clone(),
                    line: d.line,
                },
                message: d.message.clone(),
            }
            .into()),
        }
    })
}

/// The number of diagnostics in the list (0 for an invalid handle).
#[no_mangle]
pub extern "C" fn ipsecauto_diagnostics_count(list: *const ipsecauto_diagnostics) -> usize {
    catch(|| handle(list).map(|d| d.entries.len())).unwrap_or(0)
}

/// Diagnostic `index` (from 0): its file, line (from 1; 0 when the file could not be read),
/// message and severity, through out-parameters that may each be NULL. The strings belong to
/// the list. Returns `IPSECAUTO_USAGE` for an index past the end.
#[no_mangle]
pub extern "C" fn ipsecauto_diagnostics_get(
    list: *mut ipsecauto_diagnostics,
    index: usize,
    file: *mut *const c_char,
    line: *mut c_uint,
    message: *mut *const c_char,
    severity: *mut ipsecauto_severity,
) -> ipsecauto_result {
    with_handle(list, |d| {
        let e = d.entries.get(index).ok_or_else(|| {
            Failure::new(
                IPSECAUTO_USAGE,
                format!("index {index} is past the {} diagnostics", d.entries.len()),
            )
        })?;
        put(file, e.file.as_ptr());
        put(line, e.line);
        put(message, e.message.as_ptr());
        put(severity, e.severity);
        Ok(IPSECAUTO_OK)
    })
}

/// The message for the list's last failure ("" if none). Never NULL.
#[no_mangle]
pub extern "C" fn ipsecauto_diagnostics_errmsg(
    list: *const ipsecauto_diagnostics,
) -> *const c_char {
    errmsg(list)
}

/// Frees a diagnostics list; `IPSECAUTO_INVALID_HANDLE` for one not live; NULL does nothing.
#[no_mangle]
pub extern "C" fn ipsecauto_diagnostics_free(list: *mut ipsecauto_diagnostics) -> ipsecauto_result {
    free(list)
}
