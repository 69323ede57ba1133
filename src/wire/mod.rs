//! Wire profiles: one module per libreswan release, each turning a version-free `Request` into
//! the bytes that release's whack or addconn writes to pluto's control socket.
//!
//! Adding a release means adding a module here and a `Profile` variant; nothing above this
//! layer changes.

pub mod v4_10;

use crate::error::Result;
use crate::request::Request;

/// A libreswan release whose control protocol we speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// libreswan 4.10 on 64-bit Linux (Debian 12).
    #[default]
    V4_10,
}

impl Profile {
    /// Every profile this build knows.
    pub const ALL: &'static [Profile] = &[Profile::V4_10];

    /// The release name, as `ipsec --version` prints it.
    pub fn release(self) -> &'static str {
        match self {
            Profile::V4_10 => "4.10",
        }
    }

    /// The profile for a release name such as "4.10".
    pub fn for_release(name: &str) -> Option<Profile> {
        Profile::ALL.iter().copied().find(|p| p.release() == name)
    }

    /// The bytes this release sends for `request`.
    pub fn encode(self, request: &Request) -> Result<Vec<u8>> {
        match self {
            Profile::V4_10 => v4_10::encode(request),
        }
    }
}
