//! Generated configurations for benchmarks and scale tests.
//!
//! [`many_conns`] writes `config setup`, a `conn %default`, a few shared base sections and
//! `n` conns that each pull one base in with also= — the shape of a large real deployment
//! (every conn exercises also= expansion and %default inheritance).

use std::fmt::Write;

/// A config with `n` conns named `c0` … `c{n-1}` (plus `%default` and 4 `base*` sections).
pub fn many_conns(n: usize) -> String {
    let mut s = String::with_capacity(n * 200 + 1024);
    s.push_str("version 2.0\n\nconfig setup\n\tlogfile=/tmp/pluto.log\n\tuniqueids=yes\n\n");
    s.push_str(
        "conn %default\n\tikelifetime=8h\n\tkeyingtries=3\n\tauthby=secret\n\tike=aes256-sha2\n\n",
    );
    for b in 0..4 {
        let _ = write!(
            s,
            "conn base{b}\n\tleftsubnet=10.{b}.0.0/16\n\tdpddelay=30\n\tdpdtimeout=120s\n\n"
        );
    }
    for i in 0..n {
        let (a, b) = ((i >> 8) & 0xff, i & 0xff);
        let _ = write!(
            s,
            "conn c{i}\n\talso=base{}\n\tleft=198.51.100.1\n\tright=203.0.113.{}\n\trightsubnet=172.{a}.{b}.0/24\n\tauto=add\n\n",
            i % 4,
            1 + i % 250,
        );
    }
    s
}
