//! `%defaultroute`: 4.10 asks the kernel's routing table (rtnetlink) for the gateway and then
//! for the source address to use, and fills `left=`/`leftnexthop=` with what it finds.
//! The algorithm is here; the kernel query is `Env::routes` (rtnetlink in `SystemEnv`).

use std::net::IpAddr;

use super::starter::{kh, StarterEnd};
use super::{Env, RouteQuery};
use crate::request::IpFamily;

enum Status {
    Failure,
    Success,
    CallAgain,
}

/// `--verbose`'s trace of the resolution, as 4.10 prints it on stdout: two spaces a level.
/// `None` when not tracing.
pub type Trace = Option<String>;

fn vlog(trace: &mut Trace, level: usize, text: impl FnOnce() -> String) {
    if let Some(t) = trace {
        t.extend(std::iter::repeat(' ').take(level * 2));
        t.push_str(&text());
        t.push('\n');
    }
}

/// How 4.10 shows an address in the trace (`<unset-address>` when absent).
fn show(a: Option<IpAddr>) -> String {
    a.map_or_else(|| "<unset-address>".into(), |a| a.to_string())
}

/// How 4.10 shows one end's host or nexthop in the trace, by its type.
fn show_kind(kind: u64, addr: Option<IpAddr>, name: Option<&str>, family: IpFamily) -> String {
    match kind {
        kh::NOTSET => "<not-set>".into(),
        kh::DEFAULTROUTE => "<defaultroute>".into(),
        kh::ANY => "<any>".into(),
        kh::IFACE | kh::IPHOSTNAME => name.unwrap_or("").into(),
        kh::OPPO => "<oppo>".into(),
        kh::OPPOGROUP => "<oppogroup>".into(),
        kh::GROUP => "<group>".into(),
        kh::IPADDR => addr
            .unwrap_or_else(|| super::values::zero(family))
            .to_string(),
        _ => "<other>".into(),
    }
}

fn show_host(e: &StarterEnd) -> String {
    show_kind(e.addrtype, e.addr, e.host_string(), e.family)
}

fn show_nexthop(e: &StarterEnd) -> String {
    show_kind(e.nexttype, e.nexthop, None, e.family)
}

fn family_name(f: IpFamily) -> &'static str {
    match f {
        IpFamily::V4 => "IPv4",
        IpFamily::V6 => "IPv6",
    }
}

fn resolve_one(
    host: &mut StarterEnd,
    peer: &mut StarterEnd,
    env: &dyn Env,
    trace: &mut Trace,
) -> Status {
    #[derive(PartialEq)]
    enum Seeking {
        PrefSrc,
        Gateway,
    }
    vlog(trace, 0, || {
        format!(
            "resolving family={} src={} gateway={} peer {}",
            family_name(host.family),
            show_host(host),
            show_nexthop(host),
            show_host(peer)
        )
    });
    let seeking = if host.nexttype == kh::DEFAULTROUTE {
        Seeking::Gateway
    } else if host.addrtype == kh::DEFAULTROUTE {
        Seeking::PrefSrc
    } else {
        vlog(trace, 1, || "seeking NOTHING".into());
        return Status::Success;
    };
    vlog(trace, 1, || {
        match seeking {
            Seeking::Gateway => "seeking GATEWAY",
            Seeking::PrefSrc => "seeking PREFSRC",
        }
        .into()
    });
    vlog(trace, 2, || {
        match seeking {
            Seeking::Gateway => "query GETROUTE+REQUEST+ROOT+MATCH",
            Seeking::PrefSrc => "query GETROUTE+REQUEST",
        }
        .into()
    });
    let family = host.family;
    let has_peer = peer.addrtype == kh::IPADDR || peer.addrtype == kh::IPHOSTNAME;
    let mut dst = None;
    let mut dst_what = "";
    if host.nexttype == kh::IPADDR && family == IpFamily::V4 {
        dst = Some(host.nexthop);
        dst_what = "host->nexthop";
    } else if has_peer {
        if peer.addrtype == kh::IPHOSTNAME {
            let name = peer.host_string().unwrap_or("").to_string();
            let a = super::values::address_num(&name, Some(peer.family))
                .ok()
                .or_else(|| env.resolve(&name, peer.family));
            match a {
                Some(a) => peer.addr = Some(a),
                None => return Status::Failure,
            }
        }
        dst = Some(peer.addr);
        dst_what = "peer->addr";
    } else if host.nexttype == kh::IPADDR
        && (peer.addrtype == kh::GROUP || peer.addrtype == kh::OPPOGROUP)
    {
        dst = Some(host.nexthop);
        dst_what = "host->nexthop peer=group";
    }
    // An address whose bytes are absent is sent as zero bytes of the family.
    let dst = dst.map(|a| a.unwrap_or_else(|| super::values::zero(family)));
    let src = match (dst, host.addrtype) {
        (Some(_), kh::IPADDR) => Some(host.addr.unwrap_or_else(|| super::values::zero(family))),
        _ => None,
    };
    if let Some(d) = dst {
        vlog(trace, 2, || format!("add RTA_DST {d} ({dst_what})"));
    }
    if let Some(a) = src {
        vlog(trace, 2, || format!("add RTA_SRC {a} (host->addr)"));
    }
    let query = RouteQuery {
        family,
        dump: seeking == Seeking::Gateway,
        dst,
        src,
    };
    let (routes, bytes) = match env.routes_traced(&query) {
        Ok(r) => r,
        Err(_) => return Status::Failure,
    };
    vlog(trace, 2, || format!("query returned {bytes} bytes"));
    vlog(trace, 1, || "processing response".into());
    let status = scan(host, routes, seeking == Seeking::Gateway, env, trace);
    vlog(trace, 1, || {
        format!(
            "{}: src={} gateway={}",
            match status {
                Status::Failure => "failure",
                Status::Success => "success",
                Status::CallAgain => "please-call-again",
            },
            show_host(host),
            show_nexthop(host)
        )
    });
    status
}

/// Walks the kernel's answer until a route gives what is sought.
fn scan(
    host: &mut StarterEnd,
    routes: Vec<Route>,
    gateway: bool,
    env: &dyn Env,
    trace: &mut Trace,
) -> Status {
    #[derive(PartialEq)]
    enum Seeking {
        PrefSrc,
        Gateway,
    }
    let seeking = if gateway {
        Seeking::Gateway
    } else {
        Seeking::PrefSrc
    };
    let family = host.family;
    for r in routes {
        if r.family != family {
            continue;
        }
        vlog(trace, 2, || "parsing route entry (RTA payloads)".into());
        for l in &r.trace {
            vlog(trace, 3, || l.clone());
        }
        vlog(trace, 3, || {
            format!(
                "using src={} prefsrc={} gateway={} dst={} dev='{}' priority={} pref={} table={}{}{}",
                show(r.src),
                show(r.prefsrc),
                show(r.gateway),
                show(r.dst),
                if r.oif.is_empty() { "?" } else { &r.oif },
                r.priority,
                r.pref,
                r.table,
                if r.cacheinfo { " +cacheinfo" } else { "" },
                if r.uid { " +uid" } else { "" },
            )
        });
        if r.table != libc::RT_TABLE_MAIN {
            vlog(trace, 2, || {
                format!(
                    "IGNORE: table {} is not main({})",
                    r.table,
                    libc::RT_TABLE_MAIN
                )
            });
            continue;
        }
        if r.oif.starts_with("ipsec") || r.oif.starts_with("mast") {
            vlog(trace, 2, || format!("IGNORE: interface {}", r.oif));
            continue;
        }
        match seeking {
            Seeking::PrefSrc => {
                if let Some(p) = r.prefsrc {
                    host.addrtype = kh::IPADDR;
                    host.addr = Some(p);
                    vlog(trace, 2, || format!("found prefsrc(host_addr): {p}"));
                    // 4.10's copy keeps bytes of the IPv6 gateway it found in its padding.
                    if let (true, Some(IpAddr::V6(g))) = (host.gateway_found, host.nexthop) {
                        host.addr_pad.copy_from_slice(&g.octets()[1..4]);
                    }
                    return Status::Success;
                }
            }
            Seeking::Gateway => {
                if r.dst.is_none() {
                    let mut gw = r.gateway;
                    if gw.is_none() && !r.oif.is_empty() {
                        gw = env.point_to_point_peer(&r.oif, family);
                    }
                    if let Some(g) = gw {
                        host.nexttype = kh::IPADDR;
                        host.nexthop = Some(g);
                        host.gateway_found = true;
                        vlog(trace, 2, || format!("found gateway(host_nexthop): {g}"));
                        // What 4.10's stack leaves in the copy's padding: a constant for
                        // IPv4 (another one in its second call, for the right end), bytes
                        // 1..4 of the interface name for IPv6.
                        host.nexthop_pad = match family {
                            IpFamily::V4 if host.side == crate::config::Side::Left => [0x57, 0, 0],
                            IpFamily::V4 => [0x5a, 0, 0],
                            IpFamily::V6 => {
                                let mut pad = [0; 3];
                                for (d, s) in pad.iter_mut().zip(r.oif.bytes().skip(1)) {
                                    *d = s;
                                }
                                pad
                            }
                        };
                        return Status::CallAgain;
                    }
                }
            }
        }
    }
    Status::Failure
}

/// 4.10's `resolve_default_route(host, peer)`: at most two kernel queries.
pub fn resolve_default_route(
    host: &mut StarterEnd,
    peer: &mut StarterEnd,
    env: &dyn Env,
    trace: &mut Trace,
) {
    if let Status::CallAgain = resolve_one(host, peer, env, trace) {
        resolve_one(host, peer, env, trace);
    }
}

/// One route from the kernel's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub family: IpFamily,
    pub table: u8,
    /// Output interface name ("" when absent).
    pub oif: String,
    pub prefsrc: Option<IpAddr>,
    pub gateway: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub src: Option<IpAddr>,
    /// RTA_PRIORITY (-1 when absent).
    pub priority: i32,
    /// RTA_PREF (-1 when absent).
    pub pref: i8,
    pub cacheinfo: bool,
    pub uid: bool,
    /// 4.10's per-attribute trace lines for `--verbose`.
    pub trace: Vec<String>,
}

/// The kernel side over rtnetlink with plain libc sockets.
pub mod netlink {
    use super::*;
    use std::io;

    const NLMSG_HDR: usize = 16;
    const RTA_PREF: u16 = 20;
    const RTA_UID: u16 = 25;
    const RTMSG: usize = 12;

    fn align(n: usize) -> usize {
        (n + 3) & !3
    }

    fn addr_bytes(a: &IpAddr) -> Vec<u8> {
        match a {
            IpAddr::V4(v) => v.octets().to_vec(),
            IpAddr::V6(v) => v.octets().to_vec(),
        }
    }

    fn af(f: IpFamily) -> u8 {
        match f {
            IpFamily::V4 => libc::AF_INET as u8,
            IpFamily::V6 => libc::AF_INET6 as u8,
        }
    }

    fn request(q: &RouteQuery) -> Vec<u8> {
        let mut attrs = Vec::new();
        let mut dst_len = 0u8;
        let mut src_len = 0u8;
        for (ty, a) in [(libc::RTA_DST, q.dst), (libc::RTA_SRC, q.src)] {
            let Some(a) = a else { continue };
            let b = addr_bytes(&a);
            let len = 4 + b.len();
            attrs.extend_from_slice(&(len as u16).to_ne_bytes());
            attrs.extend_from_slice(&ty.to_ne_bytes());
            attrs.extend_from_slice(&b);
            attrs.resize(align(attrs.len()), 0);
            if ty == libc::RTA_SRC {
                src_len = (b.len() * 8) as u8;
            } else {
                dst_len = (b.len() * 8) as u8;
            }
        }
        let len = NLMSG_HDR + RTMSG + attrs.len();
        let mut m = Vec::with_capacity(len);
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&libc::RTM_GETROUTE.to_ne_bytes());
        let mut flags = libc::NLM_F_REQUEST as u16;
        if q.dump {
            flags |= libc::NLM_F_DUMP as u16;
        }
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes()); // seq
        m.extend_from_slice(&std::process::id().to_ne_bytes());
        m.extend_from_slice(&[af(q.family), dst_len, src_len, 0, 0, 0, 0, 0]);
        m.extend_from_slice(&0u32.to_ne_bytes()); // rtm_flags
        m.extend_from_slice(&attrs);
        m
    }

    fn parse_addr(family: IpFamily, data: &[u8]) -> Option<IpAddr> {
        match (family, data.len()) {
            (IpFamily::V4, 4) => Some(IpAddr::from(<[u8; 4]>::try_from(data).ok()?)),
            (IpFamily::V6, 16) => Some(IpAddr::from(<[u8; 16]>::try_from(data).ok()?)),
            _ => None,
        }
    }

    fn if_name(index: u32) -> String {
        let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE + 1];
        // SAFETY: buf holds IF_NAMESIZE bytes plus a terminator, as if_indextoname requires.
        let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
        if p.is_null() {
            return String::new();
        }
        // SAFETY: on success buf holds a NUL-terminated name.
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    /// Takes in one route attribute, noting it as 4.10's `--verbose` trace does.
    fn attribute(r: &mut Route, ty: u16, data: &[u8]) {
        let family = r.family;
        let address = |r: &mut Route, what: &str| {
            let a = parse_addr(family, data);
            r.trace.push(match a {
                Some(a) => format!("RTA_{what}={a}"),
                None => format!("invalid RTA_{what} from kernel: wrong length"),
            });
            a
        };
        match ty {
            libc::RTA_OIF if data.len() >= 4 => {
                r.oif = if_name(u32::from_ne_bytes(data[..4].try_into().unwrap()))
            }
            libc::RTA_OIF => {}
            libc::RTA_PREFSRC => r.prefsrc = address(r, "PREFSRC"),
            libc::RTA_GATEWAY => r.gateway = address(r, "GATEWAY"),
            libc::RTA_DST => r.dst = address(r, "DST"),
            libc::RTA_SRC => r.src = address(r, "SRC"),
            libc::RTA_PRIORITY | libc::RTA_TABLE => {
                let what = if ty == libc::RTA_PRIORITY {
                    "PRIORITY"
                } else {
                    "TABLE"
                };
                match <[u8; 4]>::try_from(data) {
                    Ok(b) => {
                        let v = i32::from_ne_bytes(b);
                        if ty == libc::RTA_PRIORITY {
                            r.priority = v;
                        }
                        r.trace.push(format!("RTA_{what}={v}"));
                    }
                    Err(_) => r.trace.push(format!(
                        "ignoring RTA_{what} with wrong size {}",
                        data.len()
                    )),
                }
            }
            RTA_PREF => match data {
                [b] => {
                    r.pref = *b as i8;
                    r.trace.push(format!("RTA_PREF={}", r.pref));
                }
                _ => r
                    .trace
                    .push(format!("ignoring RTA_PREF with wrong size {}", data.len())),
            },
            libc::RTA_CACHEINFO => r.cacheinfo = true,
            RTA_UID => r.uid = true,
            _ => r.trace.push(format!("ignoring RTA type {ty}")),
        }
    }

    /// Parses one datagram of answers; returns whether the dump is complete.
    fn parse(buf: &[u8], out: &mut Vec<Route>) -> io::Result<bool> {
        let mut off = 0;
        while off + NLMSG_HDR <= buf.len() {
            let len = u32::from_ne_bytes(buf[off..off + 4].try_into().unwrap()) as usize;
            let ty = u16::from_ne_bytes(buf[off + 4..off + 6].try_into().unwrap());
            if len < NLMSG_HDR || off + len > buf.len() {
                break;
            }
            let body = &buf[off + NLMSG_HDR..off + len];
            off += align(len);
            if ty == libc::NLMSG_DONE as u16 {
                return Ok(true);
            }
            if ty == libc::NLMSG_ERROR as u16 {
                return Err(io::Error::new(io::ErrorKind::Other, "netlink error"));
            }
            if ty != libc::RTM_NEWROUTE || body.len() < RTMSG {
                continue;
            }
            let family = match body[0] as i32 {
                libc::AF_INET => IpFamily::V4,
                libc::AF_INET6 => IpFamily::V6,
                _ => continue,
            };
            let mut r = Route {
                family,
                table: body[4],
                oif: String::new(),
                prefsrc: None,
                gateway: None,
                dst: None,
                src: None,
                priority: -1,
                pref: -1,
                cacheinfo: false,
                uid: false,
                trace: Vec::new(),
            };
            let mut a = RTMSG;
            while a + 4 <= body.len() {
                let alen = u16::from_ne_bytes([body[a], body[a + 1]]) as usize;
                let aty = u16::from_ne_bytes([body[a + 2], body[a + 3]]);
                if alen < 4 || a + alen > body.len() {
                    break;
                }
                let data = &body[a + 4..a + alen];
                attribute(&mut r, aty, data);
                a += align(alen);
            }
            out.push(r);
        }
        Ok(false)
    }

    /// Sends one RTM_GETROUTE and collects the routes of the answer, with the bytes read.
    pub fn routes(q: &RouteQuery) -> io::Result<(Vec<Route>, usize)> {
        // SAFETY: plain socket(2); the descriptor is owned by `fd` below.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_ROUTE,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: raw is a fresh descriptor nobody else owns.
        let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        use std::os::fd::AsRawFd;
        let m = request(q);
        // SAFETY: m is a valid buffer of m.len() bytes.
        if unsafe { libc::send(fd.as_raw_fd(), m.as_ptr().cast(), m.len(), 0) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut out = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0;
        loop {
            // SAFETY: buf is a writable buffer of buf.len() bytes.
            let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            total += n as usize;
            let done = parse(&buf[..n as usize], &mut out)?;
            if done || !q.dump || n == 0 {
                return Ok((out, total));
            }
        }
    }
}
