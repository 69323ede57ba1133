//! libreswan 4.10's text-to-value conversions that addconn applies to raw setting strings
//! (`ttoaddress_num`, `ttosubnet`, `numeric_to_cidr`, `ttorange`, `ttoprotoport`, `ttodata`),
//! with 4.10's error wording, since that wording reaches the user.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::request::{IpFamily, ProtoPort, Range, Subnet};

pub type Err = &'static str;

/// `shunk_to_uintmax`: base 0 picks 0x (hex), 0b (binary), leading 0 (octal) or decimal.
/// With `partial`, returns the value and the unconsumed rest; otherwise all must be digits.
pub fn to_uintmax(input: &str, base: u32, partial: bool) -> Result<(u64, &str), Err> {
    if input.is_empty() {
        return Err("empty string");
    }
    let b = input.as_bytes();
    let (base_used, mut s) = if base == 0 {
        let prefix = |p: &[u8]| b.len() > 2 && b[..2].eq_ignore_ascii_case(p);
        if prefix(b"0x") && b[2].is_ascii_hexdigit() {
            (16, &input[2..])
        } else if prefix(b"0b") && (b[2] == b'0' || b[2] == b'1') {
            (2, &input[2..])
        } else if b[0] == b'0' {
            (8, input)
        } else {
            (10, input)
        }
    } else {
        (base, input)
    };
    let start_len = s.len();
    let mut u: u64 = 0;
    while let Some(&c) = s.as_bytes().first() {
        if !(0x20..0x7f).contains(&c) {
            break;
        }
        let d = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else if c >= b'a' {
            (c - b'a') as u32 + 10
        } else if c >= b'A' {
            (c - b'A') as u32 + 10
        } else {
            break;
        };
        if d >= base_used {
            break;
        }
        u = u
            .checked_mul(base_used as u64)
            .and_then(|v| v.checked_add(d as u64))
            .ok_or("unsigned-long overflow")?;
        s = &s[1..];
    }
    if s.len() == start_len {
        return Err(match base {
            2 => "first binary digit invalid",
            8 => "first octal digit invalid",
            10 => "first decimal digit invalid",
            16 => "first hex digit invalid",
            _ => "first digit invalid",
        });
    }
    if !partial && !s.is_empty() {
        return Err(match base_used {
            2 => "non-binary digit in number",
            8 => "non-octal digit in number",
            10 => "non-decimal digit in number",
            16 => "non-hex digit in number",
            _ => "non-digit in number",
        });
    }
    Ok((u, s))
}

/// `ttoaddress_num`: numeric only; `family` restricts the syntax as 4.10 does.
pub fn address_num(src: &str, family: Option<IpFamily>) -> Result<IpAddr, Err> {
    if src.is_empty() {
        return Err("empty string");
    }
    match family {
        Some(IpFamily::V4) => try_hex(src).map(Ok).unwrap_or_else(|| dotted(src)),
        Some(IpFamily::V6) => colon(src),
        None => {
            if let Some(a) = try_hex(src) {
                Ok(a)
            } else if src.contains(':') {
                colon(src)
            } else {
                dotted(src)
            }
        }
    }
}

fn try_hex(src: &str) -> Option<IpAddr> {
    if src.len() != 10 || !src.as_bytes()[..2].eq_ignore_ascii_case(b"0x") {
        return None;
    }
    let (v, _) = to_uintmax(&src[2..], 16, false).ok()?;
    u32::try_from(v).ok().map(|v| IpAddr::V4(Ipv4Addr::from(v)))
}

fn dotted(src: &str) -> Result<IpAddr, Err> {
    let mut bytes = [0u8; 4];
    let mut cursor = Some(src);
    for b in 0..4 {
        let Some(c) = cursor else { break };
        let (token, rest) = match c.find('.') {
            Some(i) => (&c[..i], Some(&c[i + 1..])),
            None => (c, None),
        };
        cursor = rest;
        if token.is_empty() {
            return Err("empty dotted-numeric address field");
        }
        let (mut byte, _) = to_uintmax(token, 0, false)?;
        if cursor.is_none() && b > 0 {
            // The last number fills the remaining bytes (127.1 is 127.0.0.1).
            let mut e = 3;
            while e >= b && byte != 0 {
                bytes[e] = byte as u8;
                byte >>= 8;
                if e == 0 {
                    break;
                }
                e -= 1;
            }
            if byte != 0 {
                return Err("overflow in dotted-numeric address");
            }
            break;
        }
        if byte > 255 {
            return Err("byte overflow in dotted-numeric address");
        }
        bytes[b] = byte as u8;
    }
    if cursor.is_some() {
        return Err("garbage at end of dotted-address");
    }
    Ok(IpAddr::V4(Ipv4Addr::from(bytes)))
}

fn colon(src: &str) -> Result<IpAddr, Err> {
    let mut u = [0u8; 16];
    let mut cursor = src;
    let mut gapat: Option<usize> = None;
    let mut colons = 0;
    let mut i = 0;
    while !cursor.is_empty() && i <= 14 {
        if let Some(rest) = cursor.strip_prefix(':') {
            cursor = rest;
            colons += 1;
            if colons > 2 {
                return Err("::: in IPv6 numeric address");
            }
            if colons == 2 {
                if gapat.is_some() {
                    return Err("more than one :: in IPv6 numeric address");
                }
                gapat = Some(i);
            }
        } else if colons == 1 && i == 0 {
            return Err("single leading `:' in IPv6 numeric address");
        } else {
            colons = 0;
            let (v, rest) = to_uintmax(cursor, 16, true)?;
            cursor = rest;
            if v > 65535 {
                return Err("too large");
            }
            u[i] = (v >> 8) as u8;
            u[i + 1] = v as u8;
            i += 2;
        }
    }
    if cursor.starts_with(':') {
        return Err("trailing `:' in IPv6 numeric address");
    }
    if !cursor.is_empty() {
        return Err("first hex digit invalid");
    }
    match gapat {
        None if i < 16 => return Err("incomplete IPv6 numeric address"),
        Some(_) if i == 16 => return Err("non-abbreviating empty field in IPv6 numeric address"),
        Some(g) => {
            let gap = 16 - i;
            u.copy_within(g..i, g + gap);
            u[g..g + gap].fill(0);
        }
        None => {}
    }
    Ok(IpAddr::V6(Ipv6Addr::from(u)))
}

pub fn family_of(a: &IpAddr) -> IpFamily {
    match a {
        IpAddr::V4(_) => IpFamily::V4,
        IpAddr::V6(_) => IpFamily::V6,
    }
}

fn mask_bits(f: IpFamily) -> u64 {
    match f {
        IpFamily::V4 => 32,
        IpFamily::V6 => 128,
    }
}

fn bytes_of(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

fn addr_from(f: IpFamily, b: &[u8]) -> IpAddr {
    match f {
        IpFamily::V4 => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
        IpFamily::V6 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            IpAddr::V6(Ipv6Addr::from(o))
        }
    }
}

/// The family's all-zero address (`afi->address.unspec`'s bytes).
pub fn zero(f: IpFamily) -> IpAddr {
    match f {
        IpFamily::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpFamily::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// `ttosubnet` with clash control '0' (clear host bits) or '6' (refuse them for IPv6).
pub fn subnet(
    src: &str,
    family: Option<IpFamily>,
    refuse_v6_host_bits: bool,
) -> Result<Subnet, Err> {
    if src.eq_ignore_ascii_case("%default") {
        let Some(f) = family else {
            return Err("unknown address family with %default subnet not allowed.");
        };
        return Ok(Subnet {
            addr: zero(f),
            prefix: 0,
        });
    }
    let Some(slash) = src.find('/') else {
        return Err("no / in subnet specification");
    };
    let (a, mask) = (&src[..slash], &src[slash + 1..]);
    let addr = address_num(a, family)?;
    let f = family.unwrap_or(family_of(&addr));
    let bits = match to_uintmax(mask, 10, false) {
        Ok((b, _)) if b <= mask_bits(f) => b,
        _ => {
            if f == IpFamily::V4 {
                let m = address_num(mask, Some(f))?;
                let IpAddr::V4(m) = m else { unreachable!() };
                let m = u32::from(m);
                let ones = m.leading_ones();
                if m.checked_shl(ones).unwrap_or(0) != 0 {
                    return Err("non-contiguous or otherwise erroneous mask");
                }
                ones as u64
            } else {
                return Err("masks are not permitted for IPv6 addresses");
            }
        }
    };
    let mut b = bytes_of(&addr);
    let whole = (bits / 8) as usize;
    if whole > b.len() {
        return Err("impossible mask count");
    }
    let mut m: u8 = 0xff;
    if whole < b.len() && bits % 8 != 0 {
        m >>= bits % 8;
    }
    let die = refuse_v6_host_bits && f == IpFamily::V6;
    for byte in b.iter_mut().skip(whole) {
        if *byte & m != 0 {
            if die {
                return Err("improper subnet, host-part bits on");
            }
            *byte &= !m;
        }
        m = 0xff;
    }
    Ok(Subnet {
        addr: addr_from(f, &b),
        prefix: bits as u8,
    })
}

/// `numeric_to_cidr` followed by `cidr_specified`: both errors are reported the same way.
pub fn cidr(src: &str) -> Result<Subnet, Err> {
    let Some(slash) = src.find('/') else {
        return Err("missing mask");
    };
    let (a, mask) = (&src[..slash], &src[slash + 1..]);
    if mask.is_empty() {
        return Err("empty mask");
    }
    let addr = address_num(a, None)?;
    let (bits, _) = to_uintmax(mask, 0, false)?;
    if bits > mask_bits(family_of(&addr)) {
        return Err("mask is too big");
    }
    let zero_bytes = bytes_of(&addr).iter().all(|b| *b == 0);
    if zero_bytes && bits == 0 {
        return Err("default route (no specific route)");
    }
    if zero_bytes {
        return Err("unspecified address");
    }
    Ok(Subnet {
        addr,
        prefix: bits as u8,
    })
}

/// `ttorange`: START, START/BITS or START-END.
pub fn range(src: &str) -> Result<Range, Err> {
    let sep = src.find(['/', '-']);
    let start_s = sep.map_or(src, |i| &src[..i]);
    let start = address_num(start_s, None)?;
    let f = family_of(&start);
    let Some(i) = sep else {
        return Ok(Range {
            start,
            end: start,
            is_subnet: false,
        });
    };
    let rest = &src[i + 1..];
    if src.as_bytes()[i] == b'/' {
        let (bits, _) = to_uintmax(rest, 0, false)?;
        if bits > mask_bits(f) {
            return Err("too large");
        }
        let b = bytes_of(&start);
        let (mut lo, mut hi) = (b.clone(), b);
        for (k, (l, h)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            let keep = (bits as i64 - 8 * k as i64).clamp(0, 8) as u32;
            let host: u8 = if keep >= 8 { 0 } else { 0xffu8 >> keep };
            *l &= !host;
            *h |= host;
        }
        Ok(Range {
            start: addr_from(f, &lo),
            end: addr_from(f, &hi),
            is_subnet: f == IpFamily::V6,
        })
    } else {
        let end = address_num(rest, Some(f))?;
        if bytes_of(&start) > bytes_of(&end) {
            return Err("start of range is greater than end");
        }
        Ok(Range {
            start,
            end,
            is_subnet: false,
        })
    }
}

/// Protocol prefixes 4.10 recognises by name before numbers and /etc/protocols, in protocol
/// number order (so "icmpv6" is ICMP: the prefix match is 4.10's).
const PROTOCOL_PREFIXES: &[(&str, u8)] = &[
    ("unk", 0),
    ("icmp", 1),
    ("tun", 4),
    ("tcp", 6),
    ("udp", 17),
    ("esp", 50),
    ("ah", 51),
    ("int", 61),
    ("comp", 108),
];

fn protocol(name: &str) -> Result<u8, Err> {
    for (p, n) in PROTOCOL_PREFIXES {
        if name.len() >= p.len() && name.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes()) {
            return Ok(*n);
        }
    }
    match to_uintmax(name, 0, false) {
        Ok((v, _)) if v > 255 => Err("numeric protocol must be <= 255"),
        Ok((v, _)) => Ok(v as u8),
        Err(e) => {
            let c = std::ffi::CString::new(name).map_err(|_| e)?;
            // SAFETY: getprotobyname reads a NUL-terminated string and returns static data.
            let p = unsafe { libc::getprotobyname(c.as_ptr()) };
            if p.is_null() {
                Err(e)
            } else {
                Ok(unsafe { (*p).p_proto } as u8)
            }
        }
    }
}

fn port(service: &str) -> Result<u16, Err> {
    if let Ok(c) = std::ffi::CString::new(service) {
        // SAFETY: getservbyname reads NUL-terminated strings and returns static data.
        let s = unsafe { libc::getservbyname(c.as_ptr(), std::ptr::null()) };
        if !s.is_null() {
            return Ok(u16::from_be(unsafe { (*s).s_port } as u16));
        }
    }
    // strtol(s, &end, 0): an optional sign, then digits in the detected base.
    let (neg, digits) = match service.as_bytes().first() {
        Some(b'-') => (true, &service[1..]),
        Some(b'+') => (false, &service[1..]),
        _ => (false, service),
    };
    let digits = digits.trim_start();
    let v = if digits.is_empty() {
        if service.is_empty() {
            0
        } else {
            return Err("<protocol> is neither a number nor a valid name");
        }
    } else {
        match to_uintmax(digits, 0, false) {
            Ok((v, _)) => v as i64,
            Err(_) => return Err("<protocol> is neither a number nor a valid name"),
        }
    };
    let v = if neg { -v } else { v };
    if !(0..=0xffff).contains(&v) {
        return Err("<port> must be between 0 and 65535");
    }
    Ok(v as u16)
}

/// `ttoprotoport`: PROTO, PROTO/PORT, PROTO/%any or %any.
pub fn protoport(src: &str) -> Result<ProtoPort, Err> {
    let (proto_name, service) = match src.find('/') {
        Some(i) => (&src[..i], &src[i + 1..]),
        None if src == "%any" => ("unknown", ""),
        None => (src, ""),
    };
    let proto = protocol(proto_name)?;
    let (port, wildcard) = if service.is_empty() {
        (0, false)
    } else if service == "%any" {
        if proto == 0 {
            return Err("port wildcard (%any) requires a valid protocol");
        }
        (0, true)
    } else {
        let p = port(service)?;
        if proto == 0 && p != 0 {
            return Err("protocol 0 must have 0 port");
        }
        (p, false)
    };
    Ok(ProtoPort {
        is_set: true,
        has_port_wildcard: wildcard,
        port,
        protocol: proto,
    })
}

/// `ttodata`/`ttochunk`: base 0 reads a 0x (hex), 0s (base64) or 0t (text) prefix; hex may
/// have `_` between byte pairs. Returns the decoded bytes.
pub fn data(src: &str, base: u32) -> Result<Vec<u8>, Err> {
    let mut s = src.as_bytes();
    let base = if base == 0 {
        if s.len() < 2 {
            return Err("input too short to be valid");
        }
        if s[0] != b'0' {
            return Err("input does not begin with format prefix");
        }
        let b = match s[1] {
            b'x' | b'X' => 16,
            b's' | b'S' => 64,
            b't' | b'T' => 256,
            _ => return Err("unknown format prefix"),
        };
        s = &s[2..];
        b
    } else {
        base
    };
    let group = match base {
        16 => 2,
        64 => 4,
        256 => 1,
        _ => return Err("unknown base"),
    };
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b64 = |c: u8| B64.iter().position(|x| *x == c).map(|d| d as u8);
    let mut out = Vec::new();
    while !s.is_empty() {
        if s.len() < group {
            return Err("input ends in mid-byte, perhaps truncated");
        }
        let g = &s[..group];
        s = &s[group..];
        match base {
            16 => {
                let (Some(a), Some(b)) = (hex(g[0]), hex(g[1])) else {
                    return Err("unknown character in input");
                };
                out.push(a << 4 | b);
                if s.len() > 1 && s[0] == b'_' {
                    s = &s[1..];
                }
            }
            64 => {
                let (Some(a), Some(b)) = (b64(g[0]), b64(g[1])) else {
                    return Err("unknown character in input");
                };
                out.push(a << 2 | b >> 4);
                let rest = (b & 0xf) << 4;
                let Some(c) = b64(g[2]) else {
                    if g[2] == b'=' && g[3] == b'=' {
                        if rest != 0 {
                            return Err("bad (non-zero) padding at end of base64 input");
                        }
                        continue;
                    }
                    return Err("unknown character in input");
                };
                out.push(rest | c >> 2);
                let rest = (c & 0x3) << 6;
                let Some(d) = b64(g[3]) else {
                    if g[3] == b'=' {
                        if rest != 0 {
                            return Err("bad (non-zero) padding at end of base64 input");
                        }
                        continue;
                    }
                    return Err("unknown character in input");
                };
                out.push(rest | d);
            }
            _ => out.push(g[0]),
        }
    }
    if out.is_empty() {
        return Err("no data bytes specified by input");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_4_10_reads_them() {
        assert_eq!(address_num("127.1", None).unwrap().to_string(), "127.0.0.1");
        assert_eq!(
            address_num("0x01020304", None).unwrap().to_string(),
            "1.2.3.4"
        );
        assert_eq!(
            address_num("2001:db8::1", None).unwrap().to_string(),
            "2001:db8::1"
        );
        assert_eq!(
            address_num("192.0.2.1", Some(IpFamily::V6)),
            Err("first hex digit invalid")
        );
        assert!(address_num("host.example", None).is_err());
    }

    #[test]
    fn subnets_clear_host_bits() {
        let s = subnet("10.1.2.3/8", None, false).unwrap();
        assert_eq!((s.addr.to_string(), s.prefix), ("10.0.0.0".into(), 8));
        let s = subnet("10.0.0.0/255.255.0.0", None, false).unwrap();
        assert_eq!(s.prefix, 16);
        assert_eq!(
            subnet("10.0.0.1", None, false),
            Err("no / in subnet specification")
        );
        assert!(subnet("2001:db8::1/64", None, true).is_err());
    }

    #[test]
    fn non_ascii_input_is_an_error_not_a_panic() {
        assert!(address_num("0\u{e9}12345678", None).is_err());
        assert!(protoport("t\u{e9}p/22").is_err());
        assert!(subnet("\u{e9}/\u{e9}", None, false).is_err());
        assert!(range("1.2.3.4-\u{e9}").is_err());
        assert!(data("0s\u{e9}\u{e9}", 0).is_err());
    }

    #[test]
    fn protoports() {
        let p = protoport("tcp/22").unwrap();
        assert_eq!((p.protocol, p.port), (6, 22));
        let p = protoport("17/%any").unwrap();
        assert!(p.has_port_wildcard);
        assert_eq!(protoport("%any").unwrap().protocol, 0);
    }
}
