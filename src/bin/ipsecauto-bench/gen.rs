//! Generated workloads: configurations of N connections, and for each connection the whack
//! message that adds it (the floor of the bulk-add comparison).
//!
//! Every connection is the same shape, as a fleet of site-to-site tunnels would be: a shared
//! `%default`, then per conn its two hosts and identities. Addresses stay inside the ranges the
//! house allows (198.51.100.0/24, 203.0.113.0/24); names and identities make each conn distinct.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use ipsecauto::request::{Connection, End, HostType, IkeVersion, Policy, Request, Sender};

const IKE: &str = "aes256-sha2_256;dh19";
const ESP: &str = "aes_gcm256";

pub fn name(i: usize) -> String {
    format!("c{i}")
}

fn left(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(198, 51, 100, 1 + (i % 250) as u8)
}

fn right(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(203, 0, 113, 1 + ((i / 250) % 250) as u8)
}

/// Writes a configuration of `n` connections (`c0` .. `c{n-1}`), all `auto=add`.
pub fn write_config(path: &Path, n: usize) -> io::Result<u64> {
    let mut f = io::BufWriter::new(std::fs::File::create(path)?);
    write!(
        f,
        "# {n} generated connections (ipsecauto-bench)\nconfig setup\n\tuniqueids=yes\n\n\
         conn %default\n\tauthby=secret\n\tkeyingtries=1\n\tike={IKE}\n\tesp={ESP}\n\tauto=add\n\n"
    )?;
    let mut s = String::with_capacity(160);
    for i in 0..n {
        s.clear();
        let _ = write!(
            s,
            "conn {}\n\tleft={}\n\tright={}\n\tleftid=@west-{i}.example\n\trightid=@east-{i}.example\n\n",
            name(i),
            left(i),
            right(i)
        );
        f.write_all(s.as_bytes())?;
    }
    f.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn end(addr: Ipv4Addr, id: String) -> End {
    End {
        id: Some(id),
        host_type: HostType::IpAddr,
        host_addr: Some(IpAddr::V4(addr)),
        updown: Some("ipsec _updown".into()),
        ..End::default()
    }
}

/// The add message for connection `i` of a generated configuration, built by hand.
///
/// Until `addconn` can build it from the file (see `pending::addconn_requests`) this is the
/// floor's message: the same connection, as the version-free `Request` addconn would fill.
pub fn floor_request(i: usize) -> Request {
    let mut c = Connection::whack_cli();
    c.ike_version = IkeVersion::V2;
    for p in [
        Policy::Encrypt,
        Policy::Tunnel,
        Policy::Pfs,
        Policy::IkeFragAllow,
        Policy::EsnNo,
    ] {
        c.policy.insert(p);
    }
    c.authby.psk = true;
    c.keying_tries = 1;
    c.ike = Some(IKE.into());
    c.esp = Some(ESP.into());
    c.left = end(left(i), format!("@west-{i}.example"));
    c.right = end(right(i), format!("@east-{i}.example"));
    Request {
        name: Some(name(i)),
        socket_named: true,
        connection: Some(Box::new(c)),
        sender: Sender::Addconn,
        ..Request::default()
    }
}
