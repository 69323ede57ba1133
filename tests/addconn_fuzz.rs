//! Random conns built from the keywords addconn interprets, each through `ipsec addconn` and
//! `addconn::run`, bytes and exit status compared. Deterministic (fixed seeds), so a failure
//! names a reproducible file and conn. Reaches combinations the corpus does not have.

mod addconn_common;

use std::fmt::Write as _;
use std::path::PathBuf;

use addconn_common::{agrees, describe, oracle, ours, Capture, Outcome};

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

const YN: &[&str] = &["yes", "no"];

/// Conn keywords and values to draw from.
const CONN: &[(&str, &[&str])] = &[
    (
        "type",
        &["tunnel", "transport", "passthrough", "drop", "reject"],
    ),
    (
        "authby",
        &[
            "secret",
            "rsasig",
            "never",
            "null",
            "ecdsa",
            "rsa-sha2",
            "rsa-sha1",
            "\"secret,rsasig\"",
            "rsa-sha2_512",
            "ecdsa-sha1",
        ],
    ),
    (
        "ikev2",
        &["yes", "no", "insist", "never", "propose", "permit"],
    ),
    ("phase2", &["esp", "ah"]),
    ("compress", YN),
    ("pfs", YN),
    ("rekey", YN),
    ("reauth", YN),
    ("aggressive", YN),
    ("mobike", YN),
    ("narrowing", YN),
    ("pam-authorize", YN),
    ("decap-dscp", YN),
    ("nopmtudisc", YN),
    ("ms-dh-downgrade", YN),
    ("sha2-truncbug", YN),
    ("intermediate", YN),
    ("ignore-peer-dns", YN),
    ("require-id-on-certificate", YN),
    ("modecfgpull", YN),
    ("overlapip", YN),
    ("ikepad", YN),
    ("send-redirect", &["yes", "no", "auto"]),
    ("accept-redirect", &["yes", "no"]),
    (
        "ppk",
        &["yes", "no", "insist", "permit", "propose", "never"],
    ),
    ("esn", &["yes", "no", "either"]),
    ("fragmentation", &["yes", "no", "force"]),
    ("hostaddrfamily", &["ipv4", "ipv6"]),
    ("auto", &["add", "ondemand", "start", "ignore", "keep"]),
    ("nic-offload", &["yes", "no", "auto"]),
    ("ikelifetime", &["30", "1h", "15m", "100s"]),
    ("salifetime", &["30", "8h", "20m"]),
    ("rekeymargin", &["1m", "10s", "0"]),
    ("dpddelay", &["10", "5s"]),
    ("dpdtimeout", &["30", "2m"]),
    ("dpdaction", &["hold", "clear", "restart"]),
    ("rekeyfuzz", &["50%", "0%"]),
    ("keyingtries", &["0", "3", "%forever"]),
    ("replay-window", &["0", "64"]),
    ("retransmit-interval", &["300", "2s"]),
    ("retransmit-timeout", &["10s", "120"]),
    ("ipsec-max-bytes", &["1000", "1GiB"]),
    ("ipsec-max-packets", &["1000", "1Ki"]),
    ("metric", &["7", "0"]),
    ("mtu", &["1400"]),
    ("priority", &["10"]),
    ("tfc", &["512"]),
    ("reqid", &["100", "0", "20000"]),
    ("tcp-remoteport", &["4501"]),
    ("enable-tcp", &["yes", "no", "fallback"]),
    ("sendca", &["none", "issuer", "all"]),
    ("encapsulation", &["yes", "no", "auto"]),
    ("nat-keepalive", YN),
    ("nat-ikev1-method", &["both", "rfc", "drafts", "none"]),
    ("send-vendorid", YN),
    ("initial-contact", YN),
    ("cisco-unity", YN),
    ("fake-strongswan", YN),
    ("remote-peer-type", &["cisco"]),
    ("nm-configured", YN),
    ("vti-routing", YN),
    ("vti-shared", YN),
    ("xauthby", &["file", "pam", "alwaysok"]),
    ("xauthfail", &["hard", "soft"]),
    ("ike", &["aes256-sha2", "aes128-sha1;modp2048"]),
    ("esp", &["aes128-sha1", "aes_gcm256"]),
    ("modecfgdns", &["1.2.3.4", "\"1.1.1.1, 8.8.8.8\""]),
    ("modecfgdomains", &["example.com"]),
    ("modecfgbanner", &["\"hello there\""]),
    ("mark", &["5/0xffffffff", "-1/0xf"]),
    ("mark-in", &["7/0xff"]),
    ("mark-out", &["8/0xff"]),
    ("vti-interface", &["vti0"]),
    ("redirect-to", &["192.0.2.99"]),
    ("accept-redirect-to", &["192.0.2.98"]),
    ("sec-label", &["system_u:object_r:ipsec_spd_t:s0"]),
    ("connalias", &["alias1", "\"a b\""]),
    ("ipsec-interface", &["yes", "no", "5"]),
];

/// Per-end keywords (written with a left/right prefix) and values.
const END: &[(&str, &[&str])] = &[
    (
        "subnet",
        &[
            "10.0.1.0/24",
            "10.0.2.7/24",
            "2001:db8:1::/64",
            "0.0.0.0/0",
            "%default",
            "vhost:%no,%priv",
            "10.1.1.1",
        ],
    ),
    (
        "subnets",
        &[
            "{10.0.1.0/24 10.0.3.0/24}",
            "10.0.4.0/24",
            "\"10.0.5.0/24,10.0.6.0/24\"",
        ],
    ),
    ("sourceip", &["10.9.9.9", "2001:db8::99", "localhost"]),
    ("vti", &["10.7.7.1/30", "0.0.0.0/0"]),
    (
        "nexthop",
        &[
            "198.51.100.254",
            "%defaultroute",
            "2001:db8::fe",
            "localhost",
        ],
    ),
    ("updown", &["/bin/true", "\"ipsec _updown --route yes\""]),
    (
        "id",
        &[
            "@west",
            "198.51.100.7",
            "\"C=CA, O=Libreswan, CN=west\"",
            "%fromcert",
            "@a,,b=c",
        ],
    ),
    ("cert", &["west"]),
    ("ckaid", &["0123456789abcdef", "abc"]),
    ("ca", &["%same", "\"C=CA, CN=ca\""]),
    ("username", &["joe"]),
    (
        "addresspool",
        &["10.8.0.1-10.8.0.100", "2001:db8:1::/64", "10.8.0.0/24"],
    ),
    (
        "protoport",
        &["tcp/22", "17/%any", "%any", "icmp", "6/http"],
    ),
    ("ikeport", &["4500", "0"]),
    ("sendcert", &["never", "sendifasked", "always"]),
    ("xauthserver", YN),
    ("xauthclient", YN),
    ("modecfgserver", YN),
    ("modecfgclient", YN),
    (
        "auth",
        &["secret", "rsasig", "null", "eaponly", "never", "ecdsa"],
    ),
    ("cat", YN),
    ("autheap", &["none", "tls"]),
    (
        "rsasigkey",
        &[
            "%cert",
            "0sAwEAAb3Mb6nBmkR8",
            "%dnsondemand",
            "0x0102030405",
        ],
    ),
    ("ecdsakey", &["0sBE3G2E7XKhlO2Y5q", "%cert"]),
    ("pubkey", &["BE3G2E7XKhlO2Y5q"]),
];

const HOSTS: &[&str] = &[
    "198.51.100.1",
    "203.0.113.1",
    "2001:db8::1",
    "%any",
    "%any6",
    "%defaultroute",
    "%opportunistic",
    "%opportunisticgroup",
    "%group",
    "localhost",
    "%lo",
];

fn conn(rng: &mut Rng, out: &mut String, name: &str, extra: usize) {
    let _ = writeln!(out, "conn {name}");
    for side in ["left", "right"] {
        if rng.below(12) != 0 {
            let _ = writeln!(out, "\t{side}={}", rng.pick(HOSTS));
        }
    }
    let mut used = Vec::new();
    for _ in 0..extra {
        let (kw, vals, prefix) = if rng.below(2) == 0 {
            let (k, v) = CONN[rng.below(CONN.len())];
            (k, v, "")
        } else {
            let (k, v) = END[rng.below(END.len())];
            (k, v, if rng.below(2) == 0 { "left" } else { "right" })
        };
        let key = format!("{prefix}{kw}");
        if used.contains(&key) {
            continue;
        }
        let _ = writeln!(out, "\t{key}={}", rng.pick(vals));
        used.push(key);
    }
    out.push('\n');
}

/// Whether offset `k` of a message is struct padding inside an address, subnet or range of
/// an end: bytes 4.10 never sets and whose value depends on what its stack held before (even
/// on earlier conns of the same file). The corpus test compares them; here they are left out.
fn padding(k: usize) -> bool {
    [376usize, 728].iter().any(|base| {
        let Some(o) = k.checked_sub(*base) else {
            return false;
        };
        [68usize, 96, 120, 144, 172, 200]
            .iter()
            .any(|f| (f + 1..f + 4).contains(&o))
            || (266..268).contains(&o)
    })
}

/// `new` with its padding bytes copied from the oracle's first run.
fn without_padding(refs: &[Outcome], new: &Outcome) -> Outcome {
    let mut n = new.clone();
    if refs[0].1.len() == n.1.len() {
        for (m, r) in n.1.iter_mut().zip(&refs[0].1) {
            if m.len() == r.len() {
                for k in 0..m.len() {
                    if padding(k) {
                        m[k] = r[k];
                    }
                }
            }
        }
    }
    n
}

fn run_seed(seed: u64, conns: usize) -> Vec<String> {
    let mut rng = Rng(seed);
    let mut text = String::new();
    if seed % 2 == 0 {
        // A %default with a few settings of its own.
        let n = rng.below(4);
        let _ = writeln!(text, "conn %default");
        for _ in 0..n {
            let (k, v) = CONN[rng.below(CONN.len())];
            if k == "connalias" {
                continue; // 4.10 aborts on a %default connalias=
            }
            let _ = writeln!(text, "\t{k}={}", rng.pick(v));
        }
        text.push('\n');
    }
    let names: Vec<String> = (0..conns).map(|i| format!("c{i}")).collect();
    for n in &names {
        let extra = rng.below(15);
        conn(&mut rng, &mut text, n, extra);
    }
    let dir = std::env::temp_dir().join(format!("addconn-fuzz-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf: PathBuf = dir.join("fuzz.conf");
    std::fs::write(&conf, &text).unwrap();
    let rc = Capture::new(dir.join("ref.ctl"));
    let nc = Capture::new(dir.join("new.ctl"));
    let mut bad = Vec::new();
    for n in &names {
        let mut refs = vec![oracle(&rc, &conf, n)];
        let new = ours(&nc, &conf, n);
        while !agrees(&refs, &without_padding(&refs, &new)) && refs.len() < 5 {
            refs.push(oracle(&rc, &conf, n));
        }
        if !agrees(&refs, &without_padding(&refs, &new)) {
            bad.push(format!(
                "seed {seed} conn {n}: {}",
                describe(&refs[0], &new)
            ));
        }
    }
    if bad.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        bad.push(format!("(configuration kept in {})", conf.display()));
    }
    bad
}

#[test]
fn random_conns_match_4_10() {
    let seeds: Vec<u64> = (1..=8)
        .map(|i| 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i))
        .collect();
    let handles: Vec<_> = seeds
        .into_iter()
        .map(|s| std::thread::spawn(move || run_seed(s, 40)))
        .collect();
    let bad: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(bad.is_empty(), "differences:\n{}", bad.join("\n"));
}
