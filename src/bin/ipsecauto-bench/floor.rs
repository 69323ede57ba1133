//! Talking to pluto without the library: the floor (pre-encoded messages over a bare socket)
//! and the checks that a run loaded what it should.

use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use ipsecauto::{Profile, Session};

use crate::{surfaces, Result};

/// Sends pre-encoded messages one connection each, as fast as pluto takes them, reading each
/// answer to its end. Answers how many answers reported an added connection.
pub fn send_all(socket: &Path, msgs: &[Vec<u8>]) -> io::Result<usize> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut added = 0;
    for m in msgs {
        let mut s = UnixStream::connect(socket)?;
        s.write_all(m)?;
        buf.clear();
        s.read_to_end(&mut buf)?;
        if buf.windows(6).any(|w| w == b"added ") {
            added += 1;
        }
    }
    Ok(added)
}

/// Sends one pre-encoded message and reads the answer through a 64 KiB buffer, keeping
/// nothing: time to the first byte, total time, bytes.
pub fn raw_stream(socket: &Path, msg: &[u8]) -> io::Result<(Duration, Duration, u64)> {
    let t = Instant::now();
    let mut s = UnixStream::connect(socket)?;
    s.write_all(msg)?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut first, mut bytes) = (None, 0u64);
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                first.get_or_insert_with(|| t.elapsed());
                bytes += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let total = t.elapsed();
    Ok((first.unwrap_or(total), total, bytes))
}

/// Encodes the add messages for a generated configuration once, as our addconn builds them.
pub fn floor_messages(config: &Path, n: usize) -> Result<Vec<Vec<u8>>> {
    let requests = surfaces::addconn_requests(config)?;
    if requests.len() != n {
        return Err(format!("{} messages for {n} connections", requests.len()).into());
    }
    let msgs = requests
        .iter()
        .map(|r| Profile::V4_10.encode(r))
        .collect::<ipsecauto::Result<Vec<_>>>()?;
    Ok(msgs)
}

/// The connection names a pluto reports in `status`.
pub fn loaded_names(socket: &Path) -> Result<usize> {
    let mut names = HashSet::new();
    Session::with_socket(socket).status(|l| {
        let text = &l.output[l.text_start.min(l.output.len())..];
        if let Some(rest) = text.strip_prefix(b"\"") {
            if let Some(end) = rest.iter().position(|&b| b == b'"') {
                if rest[end..].starts_with(b"\":") {
                    names.insert(rest[..end].to_vec());
                }
            }
        }
    })?;
    Ok(names.len())
}
