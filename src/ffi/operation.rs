//! The operations of `ipsec auto`, as the C ABI numbers them.

use std::os::raw::c_uint;

/// An operation of `ipsec auto` (the values are part of the ABI). Functions take it as an
/// `unsigned int` so that a value from a newer header is rejected (`IPSECAUTO_USAGE`) rather
/// than misread.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ipsecauto_operation {
    /// `--add NAME`: add the connection from the configuration.
    IPSECAUTO_OP_ADD = 1,
    /// `--delete NAME`: delete the connection (and what was built on it).
    IPSECAUTO_OP_DELETE = 2,
    /// `--replace NAME`: delete, then add from the configuration.
    IPSECAUTO_OP_REPLACE = 3,
    /// `--start NAME`: add, then up.
    IPSECAUTO_OP_START = 4,
    /// `--up NAME`: bring the connection up (honours asynchronous and remote host).
    IPSECAUTO_OP_UP = 5,
    /// `--down NAME`: take the connection down.
    IPSECAUTO_OP_DOWN = 6,
    /// `--route NAME`.
    IPSECAUTO_OP_ROUTE = 7,
    /// `--unroute NAME`.
    IPSECAUTO_OP_UNROUTE = 8,
    /// `--ondemand NAME`: add, then route.
    IPSECAUTO_OP_ONDEMAND = 9,
    /// `--status`.
    IPSECAUTO_OP_STATUS = 10,
    /// `--ready`: tell pluto to listen.
    IPSECAUTO_OP_READY = 11,
    /// `--rereadsecrets`.
    IPSECAUTO_OP_REREADSECRETS = 12,
    /// `--rereadall`.
    IPSECAUTO_OP_REREADALL = 13,
    /// `--rereadcerts`.
    IPSECAUTO_OP_REREADCERTS = 14,
    /// `--fetchcrls`.
    IPSECAUTO_OP_FETCHCRLS = 15,
    /// `--listall` (honours utc, as every list does).
    IPSECAUTO_OP_LISTALL = 16,
    /// `--listcerts`.
    IPSECAUTO_OP_LISTCERTS = 17,
    /// `--listpubkeys`.
    IPSECAUTO_OP_LISTPUBKEYS = 18,
    /// `--checkpubkeys`.
    IPSECAUTO_OP_CHECKPUBKEYS = 19,
    /// `--listcacerts`.
    IPSECAUTO_OP_LISTCACERTS = 20,
    /// `--listcrls`.
    IPSECAUTO_OP_LISTCRLS = 21,
    /// `--purgeocsp`: list all, and purge pluto's OCSP cache.
    IPSECAUTO_OP_PURGEOCSP = 22,
    /// The whole-file pass libreswan runs at start-up (`ipsec addconn --autoall`): every conn
    /// with `auto=add`, `ondemand` or `start` is added, pluto is told to listen, `ondemand`
    /// conns are routed and `start` conns initiated (asynchronously).
    IPSECAUTO_OP_AUTOALL = 23,
}

use ipsecauto_operation::*;

impl ipsecauto_operation {
    pub const ALL: [ipsecauto_operation; 23] = [
        IPSECAUTO_OP_ADD,
        IPSECAUTO_OP_DELETE,
        IPSECAUTO_OP_REPLACE,
        IPSECAUTO_OP_START,
        IPSECAUTO_OP_UP,
        IPSECAUTO_OP_DOWN,
        IPSECAUTO_OP_ROUTE,
        IPSECAUTO_OP_UNROUTE,
        IPSECAUTO_OP_ONDEMAND,
        IPSECAUTO_OP_STATUS,
        IPSECAUTO_OP_READY,
        IPSECAUTO_OP_REREADSECRETS,
        IPSECAUTO_OP_REREADALL,
        IPSECAUTO_OP_REREADCERTS,
        IPSECAUTO_OP_FETCHCRLS,
        IPSECAUTO_OP_LISTALL,
        IPSECAUTO_OP_LISTCERTS,
        IPSECAUTO_OP_LISTPUBKEYS,
        IPSECAUTO_OP_CHECKPUBKEYS,
        IPSECAUTO_OP_LISTCACERTS,
        IPSECAUTO_OP_LISTCRLS,
        IPSECAUTO_OP_PURGEOCSP,
        IPSECAUTO_OP_AUTOALL,
    ];

    pub fn from_c(v: c_uint) -> Option<ipsecauto_operation> {
        Self::ALL.iter().copied().find(|o| *o as c_uint == v)
    }

    /// Whether the operation is about one connection (and so needs its name).
    pub fn takes_name(self) -> bool {
        (self as u32) <= IPSECAUTO_OP_ONDEMAND as u32
    }
}
