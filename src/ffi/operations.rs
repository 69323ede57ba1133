//! One blocking function per operation of `ipsec auto`: each is `ipsecauto_run` with its
//! operation filled in. Arguments, results and ownership are as for `ipsecauto_run`.

use std::os::raw::{c_char, c_int, c_uint};

use super::operation::ipsecauto_operation::*;
use super::result::ipsecauto_result;
use super::session::{ipsecauto_run, ipsecauto_session};

/// `ipsec auto --add NAME`: adds the connection from the configuration.
#[no_mangle]
pub extern "C" fn ipsecauto_add(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_ADD as c_uint, name, exit_status)
}

/// `ipsec auto --delete NAME`: deletes the connection and what was built on it.
#[no_mangle]
pub extern "C" fn ipsecauto_delete(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_DELETE as c_uint, name, exit_status)
}

/// `ipsec auto --replace NAME`: deletes the connection if loaded, then adds it anew.
#[no_mangle]
pub extern "C" fn ipsecauto_replace(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_REPLACE as c_uint, name, exit_status)
}

/// `ipsec auto --start NAME`: adds the connection, then brings it up.
#[no_mangle]
pub extern "C" fn ipsecauto_start(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_START as c_uint, name, exit_status)
}

/// `ipsec auto --up NAME`: brings the connection up (see asynchronous, remote host).
#[no_mangle]
pub extern "C" fn ipsecauto_up(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_UP as c_uint, name, exit_status)
}

/// `ipsec auto --down NAME`: takes the connection down.
#[no_mangle]
pub extern "C" fn ipsecauto_down(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_DOWN as c_uint, name, exit_status)
}

/// `ipsec auto --route NAME`: installs the connection's route and policy.
#[no_mangle]
pub extern "C" fn ipsecauto_route(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_ROUTE as c_uint, name, exit_status)
}

/// `ipsec auto --unroute NAME`: removes the connection's route and policy.
#[no_mangle]
pub extern "C" fn ipsecauto_unroute(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_UNROUTE as c_uint, name, exit_status)
}

/// `ipsec auto --ondemand NAME`: adds the connection, then routes it.
#[no_mangle]
pub extern "C" fn ipsecauto_ondemand(
    session: *mut ipsecauto_session,
    name: *const c_char,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(session, IPSECAUTO_OP_ONDEMAND as c_uint, name, exit_status)
}

/// `ipsec auto --status`: pluto's status, line by line.
#[no_mangle]
pub extern "C" fn ipsecauto_status(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_STATUS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --ready`: tells pluto to listen for IKE.
#[no_mangle]
pub extern "C" fn ipsecauto_ready(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_READY as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --rereadsecrets`: pluto re-reads its secrets file.
#[no_mangle]
pub extern "C" fn ipsecauto_rereadsecrets(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_REREADSECRETS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --rereadall`: pluto re-reads secrets and certificates.
#[no_mangle]
pub extern "C" fn ipsecauto_rereadall(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_REREADALL as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --rereadcerts`: pluto re-reads its certificates.
#[no_mangle]
pub extern "C" fn ipsecauto_rereadcerts(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_REREADCERTS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --fetchcrls`: pluto fetches CRL updates.
#[no_mangle]
pub extern "C" fn ipsecauto_fetchcrls(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_FETCHCRLS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --listall`: every list below.
#[no_mangle]
pub extern "C" fn ipsecauto_listall(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_LISTALL as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --listcerts`: the certificates loaded.
#[no_mangle]
pub extern "C" fn ipsecauto_listcerts(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_LISTCERTS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --listpubkeys`: the public keys known.
#[no_mangle]
pub extern "C" fn ipsecauto_listpubkeys(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_LISTPUBKEYS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --checkpubkeys`: certificates about to expire or expired.
#[no_mangle]
pub extern "C" fn ipsecauto_checkpubkeys(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_CHECKPUBKEYS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --listcacerts`: the CA certificates.
#[no_mangle]
pub extern "C" fn ipsecauto_listcacerts(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_LISTCACERTS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --listcrls`: the CRLs.
#[no_mangle]
pub extern "C" fn ipsecauto_listcrls(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_LISTCRLS as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// `ipsec auto --purgeocsp`: lists all and purges the OCSP cache.
#[no_mangle]
pub extern "C" fn ipsecauto_purgeocsp(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_PURGEOCSP as c_uint,
        std::ptr::null(),
        exit_status,
    )
}

/// The whole-file pass (`IPSECAUTO_OP_AUTOALL`): what libreswan's start-up does with every
/// conn's `auto=`.
#[no_mangle]
pub extern "C" fn ipsecauto_autoall(
    session: *mut ipsecauto_session,
    exit_status: *mut c_int,
) -> ipsecauto_result {
    ipsecauto_run(
        session,
        IPSECAUTO_OP_AUTOALL as c_uint,
        std::ptr::null(),
        exit_status,
    )
}
