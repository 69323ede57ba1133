//! Generated workloads: configurations of N connections.
//!
//! Every connection is the same shape, as a fleet of site-to-site tunnels would be: a shared
//! `%default`, then per conn its two hosts and identities. Addresses stay inside the ranges the
//! house allows (198.51.100.0/24, 203.0.113.0/24); names and identities make each conn distinct.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::Path;

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
         conn %default\n\tauthby=secret\n\tkeyingtries=1\n\tike=aes256-sha2_256;dh19\n\tesp=aes_gcm256\n\tauto=add\n\n"
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_generated_connection_is_read_back() {
        let dir = std::env::temp_dir().join(format!("ipsecauto-bench-gen.{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gen.conf");
        super::write_config(&path, 300).unwrap();
        let cfg = ipsecauto::config::load_file(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(cfg.conns.len(), 300);
        assert_eq!(cfg.conns[299].name, super::name(299));
        assert!(cfg.diagnostics.is_empty(), "{:?}", cfg.diagnostics);
    }
}
