//! What libreswan 4.10's `ipsec addconn` adds on top of the configuration language: each conn
//! processed as `confread.c` does (policy bits, ends, `%` tokens, `%default` leftovers),
//! `%defaultroute` resolved through the kernel's routing table, host names through the system
//! resolver where 4.10 resolves them, raw public keys decoded, `leftsubnets=` expanded; the
//! result is the list of `Request`s 4.10 sends, in order. `run` is the whole command.

mod route;
mod starter;
mod values;
mod whack;

#[cfg(test)]
mod tests;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{self, Config, Conn, Setting};
pub use crate::config::{ConfigSource, Side, DEFAULT_CONFIG};
use crate::error::{Error, Result};
use crate::reply::{Line, Rules};
use crate::request::{IpFamily, Request};
use crate::{client, wire};
pub use route::Route;
pub use starter::Problem;

/// A routing-table question, as 4.10 asks it (`RTM_GETROUTE`, dumping or for one destination).
#[derive(Clone, Debug, PartialEq)]
pub struct RouteQuery {
    pub family: IpFamily,
    /// Dump the table (looking for the gateway) rather than ask for one route.
    pub dump: bool,
    pub dst: Option<IpAddr>,
    pub src: Option<IpAddr>,
}

/// What addconn learns from the machine. `SystemEnv` asks the kernel and the resolver; tests
/// may answer from fixed data.
pub trait Env {
    /// A host name's first address of the family (4.10 asks libunbound, /etc/hosts first).
    fn resolve(&self, name: &str, family: IpFamily) -> Option<IpAddr>;
    /// `left=%IFACE`: `None` if the interface is absent or down; else its address and, for a
    /// point-to-point link, the peer address (each if it has one of `family`).
    fn interface(&self, name: &str, family: IpFamily) -> Option<(Option<IpAddr>, Option<IpAddr>)>;
    fn routes(&self, query: &RouteQuery) -> std::result::Result<Vec<Route>, String>;
    /// `routes` with the size of the kernel's answer, for `--verbose`'s trace.
    fn routes_traced(
        &self,
        query: &RouteQuery,
    ) -> std::result::Result<(Vec<Route>, usize), String> {
        self.routes(query).map(|r| (r, 0))
    }
    /// The peer address of a point-to-point interface.
    fn point_to_point_peer(&self, iface: &str, family: IpFamily) -> Option<IpAddr>;
}

/// The machine itself: rtnetlink, getaddrinfo, interface ioctls; no processes spawned.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemEnv;

fn sockaddr_ip(sa: *const libc::sockaddr, family: IpFamily) -> Option<IpAddr> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: sa points to a sockaddr of the family its sa_family says.
    unsafe {
        match (i32::from((*sa).sa_family), family) {
            (libc::AF_INET, IpFamily::V4) => {
                let s = &*(sa as *const libc::sockaddr_in);
                Some(IpAddr::from(u32::from_be(s.sin_addr.s_addr).to_be_bytes()))
            }
            (libc::AF_INET6, IpFamily::V6) => {
                let s = &*(sa as *const libc::sockaddr_in6);
                Some(IpAddr::from(s.sin6_addr.s6_addr))
            }
            _ => None,
        }
    }
}

/// Walks getifaddrs(3) for `name`'s entries.
fn with_ifaddrs<T>(mut f: impl FnMut(&libc::ifaddrs) -> Option<T>) -> Option<T> {
    let mut ifap: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills ifap with a list we free below.
    if unsafe { libc::getifaddrs(&mut ifap) } != 0 {
        return None;
    }
    let mut found = None;
    let mut p = ifap;
    while !p.is_null() {
        // SAFETY: p walks the list getifaddrs returned.
        let ifa = unsafe { &*p };
        if let Some(v) = f(ifa) {
            found = Some(v);
            break;
        }
        p = ifa.ifa_next;
    }
    // SAFETY: ifap came from getifaddrs.
    unsafe { libc::freeifaddrs(ifap) };
    found
}

fn ifa_name(ifa: &libc::ifaddrs) -> String {
    // SAFETY: ifa_name is a NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) }
        .to_string_lossy()
        .into_owned()
}

impl Env for SystemEnv {
    fn resolve(&self, name: &str, family: IpFamily) -> Option<IpAddr> {
        // 4.10 asks libunbound, whose built-in local zone answers for localhost in both
        // families whatever /etc/hosts says.
        if name.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
            return Some(match family {
                IpFamily::V4 => IpAddr::from([127, 0, 0, 1]),
                IpFamily::V6 => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        let c = std::ffi::CString::new(name).ok()?;
        // SAFETY: zeroed addrinfo is a valid "no hints" value; we set the family.
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = match family {
            IpFamily::V4 => libc::AF_INET,
            IpFamily::V6 => libc::AF_INET6,
        };
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        // SAFETY: valid NUL-terminated name, hints and result pointer.
        if unsafe { libc::getaddrinfo(c.as_ptr(), std::ptr::null(), &hints, &mut res) } != 0 {
            return None;
        }
        // SAFETY: on success res is a non-empty list we free below.
        let a = unsafe { sockaddr_ip((*res).ai_addr, family) };
        unsafe { libc::freeaddrinfo(res) };
        a
    }

    fn interface(&self, name: &str, family: IpFamily) -> Option<(Option<IpAddr>, Option<IpAddr>)> {
        // As 4.10 asks: SIOCGIFFLAGS, then SIOCGIFDSTADDR (point-to-point) and SIOCGIFADDR on
        // a socket of the family, each answer taken only if it is of that family.
        let af = match family {
            IpFamily::V4 => libc::AF_INET,
            IpFamily::V6 => libc::AF_INET6,
        };
        // SAFETY: plain socket(2); closed below.
        let fd = unsafe { libc::socket(af, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return None;
        }
        // SAFETY: a zeroed ifreq is valid; the name is copied NUL-terminated.
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (d, s) in req
            .ifr_name
            .iter_mut()
            .zip(name.bytes().take(libc::IFNAMSIZ - 1))
        {
            *d = s as libc::c_char;
        }
        let addr_of = |req: &libc::ifreq| -> Option<IpAddr> {
            // SAFETY: the union holds a sockaddr; an IPv6 address lies within its 24 bytes.
            let raw: [u8; 24] = unsafe { std::mem::transmute_copy(&req.ifr_ifru) };
            let sa_family = u16::from_ne_bytes([raw[0], raw[1]]) as i32;
            match (sa_family, family) {
                (libc::AF_INET, IpFamily::V4) => {
                    Some(IpAddr::from(<[u8; 4]>::try_from(&raw[4..8]).ok()?))
                }
                (libc::AF_INET6, IpFamily::V6) => {
                    Some(IpAddr::from(<[u8; 16]>::try_from(&raw[8..24]).ok()?))
                }
                _ => None,
            }
        };
        let result = (|| {
            // SAFETY: req is a valid ifreq for these requests.
            if unsafe { libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req) } != 0 {
                return None;
            }
            // SAFETY: SIOCGIFFLAGS filled the flags member.
            let flags = unsafe { req.ifr_ifru.ifru_flags } as i32;
            if flags & libc::IFF_UP == 0 {
                return None;
            }
            let mut peer = None;
            if flags & libc::IFF_POINTOPOINT != 0
                && unsafe { libc::ioctl(fd, libc::SIOCGIFDSTADDR, &mut req) } == 0
            {
                peer = addr_of(&req);
            }
            let mut addr = None;
            // SAFETY: as above.
            if unsafe { libc::ioctl(fd, libc::SIOCGIFADDR, &mut req) } == 0 {
                addr = addr_of(&req);
            }
            Some((addr, peer))
        })();
        // SAFETY: fd is ours.
        unsafe { libc::close(fd) };
        result
    }

    fn routes(&self, query: &RouteQuery) -> std::result::Result<Vec<Route>, String> {
        self.routes_traced(query).map(|(r, _)| r)
    }

    fn routes_traced(
        &self,
        query: &RouteQuery,
    ) -> std::result::Result<(Vec<Route>, usize), String> {
        route::netlink::routes(query).map_err(|e| e.to_string())
    }

    fn point_to_point_peer(&self, iface: &str, family: IpFamily) -> Option<IpAddr> {
        with_ifaddrs(|ifa| {
            if ifa.ifa_flags & libc::IFF_POINTOPOINT as u32 == 0 || ifa_name(ifa) != iface {
                return None;
            }
            sockaddr_ip(ifa.ifa_ifu, family)
        })
    }
}

/// The `%default` conn as 4.10 processes it before any conn: the built-in defaults with
/// `%default`'s settings laid over. A conn hides the `%default` settings it overrides, so they
/// are gathered from what all conns inherit (%default is one and the same for every conn).
fn default_conn<'a>(config: &'a Config, env: &dyn Env) -> (starter::StarterConn<'a>, Vec<Problem>) {
    fn gather<'a, K: Copy + PartialEq>(
        all: impl Iterator<Item = (K, &'a Setting)>,
    ) -> Vec<(K, &'a Setting)> {
        let mut out: Vec<(K, &Setting)> = Vec::new();
        for (k, s) in all.filter(|(_, s)| s.inherited) {
            if !out.iter().any(|(x, _)| *x == k) {
                out.push((k, s));
            }
        }
        out
    }
    let conn = gather(config.conns.iter().flat_map(|c| c.iter()));
    let left = gather(config.conns.iter().flat_map(|c| c.end(Side::Left).iter()));
    let right = gather(config.conns.iter().flat_map(|c| c.end(Side::Right).iter()));
    let mut c = starter::StarterConn::builtin_default();
    let mut problems = Vec::new();
    if !(conn.is_empty() && left.is_empty() && right.is_empty()) {
        c.lay_settings(conn.into_iter(), left.into_iter(), right.into_iter());
        c.process(env, &mut problems);
    }
    (c, problems)
}

/// Problems `config` reports that 4.10 finds while building the conn, which this module
/// checks again itself (where 4.10 may still send the conn, see `incomplete_or_invalid`).
const CHECKED_HERE: &[&str] = &[
    "ikev1 connection must use authby",
    "authby=ecdsa cannot",
    "connection authby= value",
    "cannot specify both",
    "The vnet: and vhost: keywords",
    "duplicate public key",
    "only one of",
    "invalid leftckaid",
    "invalid rightckaid",
];

/// Whether 4.10 gives up on the conn while reading its settings (conflicting duplicates, a
/// missing also= section, ...), before anything this module checks.
fn refused_by_config(conn: &Conn) -> bool {
    conn.errors.iter().any(|d| {
        d.severity <= config::Severity::Error
            && !CHECKED_HERE.iter().any(|p| d.message.starts_with(p))
    })
}

/// One conn as 4.10 loads it: a copy of the processed `%default` conn with the conn's own
/// settings laid over and processed again. Problems make the conn "not loaded properly".
fn load<'a>(
    default: &starter::StarterConn<'a>,
    conn: &'a Conn,
    env: &dyn Env,
) -> (starter::StarterConn<'a>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut c = default.clone();
    c.lay(conn, false);
    c.name = conn.name.clone();
    if refused_by_config(conn) {
        // 4.10 stops loading such a conn before it reads auto=.
        c.failed = true;
        c.desired_state = 0;
        return (c, problems);
    }
    let ok = c.process(env, &mut problems);
    c.failed = !ok && !c.incomplete_or_invalid;
    (c, problems)
}

/// The conn name 4.10 sends (`%auto` becomes `conn_0`: 4.10 never numbers its conns).
fn wire_name(name: &str) -> &str {
    if name == "%auto" {
        "conn_0"
    } else {
        name
    }
}

/// The messages 4.10's addconn sends for one conn, in order: the conn (or each of its
/// `leftsubnets=`/`rightsubnets=` instances), each followed by its raw public keys. Looks at
/// every conn of `config` to recover `%default` (linear in the number of conns; `run` does
/// that once for all names).
pub fn requests_for(config: &Config, conn: &Conn, env: &dyn Env) -> Result<Vec<Request>> {
    let (default, _) = default_conn(config, env);
    let (mut c, problems) = load(&default, conn, env);
    if c.failed {
        return Err(conn_error(conn, &problems));
    }
    resolve_default_routes(&mut c, env, &mut None);
    c.name = wire_name(&c.name).to_string();
    whack::add_conn(&c).map_err(|r| Error::Config {
        at: conn.at.clone(),
        message: r.message,
    })
}

fn resolve_default_routes(c: &mut starter::StarterConn, env: &dyn Env, trace: &mut route::Trace) {
    route::resolve_default_route(&mut c.left, &mut c.right, env, trace);
    route::resolve_default_route(&mut c.right, &mut c.left, env, trace);
}

fn conn_error(conn: &Conn, problems: &[Problem]) -> Error {
    let first_at = problems
        .iter()
        .find_map(|p| p.at.clone())
        .or_else(|| conn.errors.first().map(|d| d.at()))
        .unwrap_or_else(|| conn.at.clone());
    let mut lines: Vec<String> = conn.errors.iter().map(|d| d.message.clone()).collect();
    lines.extend(problems.iter().map(|p| p.message.trim_end().to_string()));
    Error::Config {
        at: first_at,
        message: format!(
            "conn {} did not load properly: {}",
            conn.name,
            lines.join("; ")
        ),
    }
}

/// `ipsec addconn [--ctlsocket S] [--verbose] [--config FILE] [--autoall|--checkconfig] NAME...`.
#[derive(Clone, Debug)]
pub struct Args {
    pub ctlsocket: PathBuf,
    pub verbose: bool,
    pub config: ConfigSource,
    pub names: Vec<String>,
    pub autoall: bool,
    pub checkconfig: bool,
    /// Echo pluto's lines to `on_line` (4.10 does when its stdout is a terminal).
    pub echo: bool,
    /// Give up on a silent pluto after this long (4.10 waits forever: `None`).
    pub timeout: Option<Duration>,
}

impl Args {
    pub fn new(config: ConfigSource, names: Vec<String>) -> Args {
        Args {
            ctlsocket: PathBuf::from(client::DEFAULT_CTL_SOCKET),
            verbose: false,
            config,
            names,
            autoall: false,
            checkconfig: false,
            echo: false,
            timeout: None,
        }
    }
}

/// Loads the configuration as addconn does. On failure 4.10 prints
/// [`load_failure_message`] and exits 3.
pub fn load_config(src: &ConfigSource) -> Result<Config> {
    src.load()
}

/// 4.10's words when the configuration cannot be loaded (`cannot load config 'F': F:L: …`).
pub fn load_failure_message(src: &ConfigSource, e: &Error) -> String {
    format!("cannot load config '{}': {e}", src.name())
}

/// The exit status 4.10's addconn gives for an error `run` returns.
pub fn exit_status_for(e: &Error) -> i32 {
    match e {
        Error::Config { .. } | Error::ConfigIo { .. } => 3,
        Error::Usage(_) => 10,
        _ => 255,
    }
}

/// One message, encoded ahead of sending (or why it cannot be).
type Encoded = std::result::Result<Vec<u8>, String>;

fn encode(r: &Request) -> Encoded {
    wire::Profile::V4_10.encode(r).map_err(|e| e.to_string())
}

/// Sends one message and reads pluto's answer under addconn's rules; returns the status
/// 4.10's `send_whack_msg` returns (-1 when pluto cannot be reached). `meanwhile` runs once
/// the message is written, while pluto works on it.
fn exchange(
    args: &Args,
    bytes: Encoded,
    on_line: &mut dyn FnMut(&Line),
    on_diagnostic: &mut dyn FnMut(&str),
    xauth: &mut dyn client::Xauth,
    meanwhile: &mut dyn FnMut(),
) -> Result<i32> {
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            on_diagnostic(&format!("send_wack_msg(): can't pack strings: {e}"));
            return Ok(-1);
        }
    };
    let mut x = match client::Exchange::start(&args.ctlsocket, &bytes, Rules::Addconn) {
        Ok(x) => x,
        Err(e) => {
            on_diagnostic(&format!("connect(pluto_ctl) failed: {e}"));
            return Ok(-1);
        }
    };
    meanwhile();
    let mut echo = |l: &Line| {
        if args.echo {
            on_line(l)
        }
    };
    x.run(args.timeout, &mut echo, xauth)?;
    Ok(x.exit_status())
}

fn send(
    args: &Args,
    r: &Request,
    on_line: &mut dyn FnMut(&Line),
    on_diagnostic: &mut dyn FnMut(&str),
    xauth: &mut dyn client::Xauth,
) -> Result<i32> {
    exchange(args, encode(r), on_line, on_diagnostic, xauth, &mut || {})
}

/// One conn's messages as `starter_whack_add_conn` sends them, encoded: each with whether
/// it is the conn message (rather than a key), and why 4.10 stops after them, if it does.
struct Prepared {
    messages: Vec<(bool, Encoded)>,
    refusal: Option<whack::Refusal>,
}

/// Readies a loaded conn for sending: `%defaultroute` resolved, the wire name, the messages.
fn prepare(c: &mut starter::StarterConn, env: &dyn Env, trace: &mut route::Trace) -> Prepared {
    resolve_default_routes(c, env, trace);
    c.name = wire_name(&c.name).to_string();
    encode_conn(c)
}

fn encode_conn(c: &starter::StarterConn) -> Prepared {
    let (requests, refusal) = match whack::add_conn(c) {
        Ok(r) => (r, None),
        Err(mut r) => (std::mem::take(&mut r.sent), Some(r)),
    };
    Prepared {
        messages: requests
            .iter()
            .map(|r| (r.connection.is_some(), encode(r)))
            .collect(),
        refusal,
    }
}

/// Sends one conn's messages as `starter_whack_add_conn` does: a conn message's non-zero
/// status stops the rest; a key message's only when pluto could not be reached.
/// `meanwhile` runs (at most once) while pluto works on the first message.
fn add(
    args: &Args,
    p: Prepared,
    on_line: &mut dyn FnMut(&Line),
    on_diagnostic: &mut dyn FnMut(&str),
    on_print: &mut dyn FnMut(&str),
    xauth: &mut dyn client::Xauth,
    meanwhile: &mut dyn FnMut(),
) -> Result<i32> {
    let mut meanwhile = Some(meanwhile);
    for (is_conn, bytes) in p.messages {
        let s = exchange(args, bytes, on_line, on_diagnostic, xauth, &mut || {
            if let Some(f) = meanwhile.take() {
                f()
            }
        })?;
        if s != 0 && (is_conn || s < 0) {
            return Ok(s);
        }
    }
    if let Some(r) = p.refusal {
        if r.on_stdout() {
            on_print(&format!("{}\n", r.message));
        } else if !r.message.is_empty() {
            on_diagnostic(&r.message);
        }
        return Ok(r.status);
    }
    Ok(0)
}

/// `ipsec addconn` as `ipsec auto --add` runs it. pluto's lines go to `on_line` (only with
/// `args.echo`); what 4.10 prints on stderr goes to `on_diagnostic`. Returns the exit status.
pub fn run_with_diagnostics(
    args: &Args,
    on_line: &mut dyn FnMut(&Line),
    on_diagnostic: &mut dyn FnMut(&str),
    xauth: &mut dyn client::Xauth,
) -> Result<i32> {
    run_with_output(args, on_line, on_diagnostic, &mut |_| {}, xauth)
}

/// [`run_with_diagnostics`] with 4.10's own stdout (`--verbose`'s progress and `%defaultroute`
/// trace) going to `on_print`, raw text with its newlines.
pub fn run_with_output(
    args: &Args,
    on_line: &mut dyn FnMut(&Line),
    on_diagnostic: &mut dyn FnMut(&str),
    on_print: &mut dyn FnMut(&str),
    xauth: &mut dyn client::Xauth,
) -> Result<i32> {
    // With --verbose, 4.10 says what it does (and how it resolves %defaultroute) on stdout;
    // a few refusals go there too, verbose or not.
    let on_print = std::cell::RefCell::new(on_print);
    let print = |text: &str| {
        if args.verbose {
            (on_print.borrow_mut())(text)
        }
    };
    let mut always = |text: &str| (on_print.borrow_mut())(text);
    let new_trace = || -> route::Trace { args.verbose.then(String::new) };
    if args.names.is_empty() && !args.autoall && !args.checkconfig {
        return Err(Error::Usage(
            "Usage: addconn [--config file] [--ctlsocket socketfile] [--verbose] [--checkconfig] [--autoall] names".into(),
        ));
    }
    print(&format!("opening file: {}\n", args.config.name()));
    let cfg = load_config(&args.config)?;
    let env = SystemEnv;
    // 4.10 loads every conn before adding any; its complaints come first, all together.
    // Only the conns still needed are kept: none for --checkconfig, those to be added for
    // --autoall, all for names (which may be aliases).
    let (default, mut problems) = default_conn(&cfg, &env);
    let mut loaded = Vec::with_capacity(if args.checkconfig { 0 } else { cfg.conns.len() });
    for conn in &cfg.conns {
        let (c, p) = load(&default, conn, &env);
        problems.extend(p);
        if !args.checkconfig && (!args.autoall || matches!(c.desired_state, 2..=5)) {
            loaded.push(c);
        }
    }
    let complaints: Vec<String> = cfg
        .diagnostics
        .iter()
        .filter(|d| d.severity <= config::Severity::Error)
        .map(|d| d.message.clone())
        .chain(problems.iter().map(|p| p.message.trim_end().to_string()))
        .collect();
    if !complaints.is_empty() {
        on_diagnostic(&format!(
            "addconn, in config '{}', {}",
            args.config.name(),
            complaints.join("\n")
        ));
    }
    if args.checkconfig {
        return Ok(0);
    }
    let mut status: i32 = 0;
    if args.autoall {
        // Each conn is readied while pluto works on the one before (the answer is still
        // read before the next message is written, as 4.10 does).
        print("loading all conns according to their auto= settings\n");
        print("  Pass #1: Loading auto=add, auto=keep, auto=route and auto=start connections\n");
        let mut todo = loaded
            .iter_mut()
            .filter(|c| matches!(c.desired_state, 2..=5));
        // What 4.10 prints for a conn (its name, the resolution) is kept with its messages
        // and printed just before they are sent, where 4.10 prints it.
        let mut ready_one = |c: &mut starter::StarterConn| {
            let mut trace = new_trace();
            if let Some(t) = &mut trace {
                t.push_str(&format!(" {}\n", c.name));
            }
            let p = prepare(c, &env, &mut trace);
            (p, trace)
        };
        let mut ready = todo.next().map(&mut ready_one);
        while let Some((p, trace)) = ready.take() {
            if let Some(t) = trace {
                print(&t);
            }
            let mut upcoming = None;
            add(
                args,
                p,
                on_line,
                on_diagnostic,
                &mut always,
                xauth,
                &mut || {
                    upcoming = Some(todo.next().map(&mut ready_one));
                },
            )?;
            ready = upcoming.unwrap_or_else(|| todo.next().map(&mut ready_one));
        }
        let listen = Request {
            listen: true,
            sender: crate::request::Sender::Addconn,
            ..Request::default()
        };
        send(args, &listen, on_line, on_diagnostic, xauth)?;
        print("  Pass #2: Routing auto=route connections\n");
        for c in loaded.iter().filter(|c| c.desired_state == 3) {
            print(&format!(" {}", c.name));
            for r in whack::route_requests(c) {
                send(args, &r, on_line, on_diagnostic, xauth)?;
            }
        }
        print("  Pass #3: Initiating auto=start connections\n");
        for c in loaded.iter().filter(|c| c.desired_state == 4) {
            print(&format!(" {}", c.name));
            let r = Request {
                name: Some(c.name.clone()),
                initiate: true,
                asynchronous: true,
                sender: crate::request::Sender::Addconn,
                ..Request::default()
            };
            send(args, &r, on_line, on_diagnostic, xauth)?;
        }
        print("\n");
    } else {
        let mut added = vec![false; loaded.len()];
        print("loading named conns:");
        for name in &args.names {
            print(&format!(" {name}\n"));
            let mut prefix = String::new();
            let mut found = loaded.iter().position(|c| &c.name == name);
            if found.is_none() {
                prefix = format!("alias: {name} ");
                found = loaded.iter().position(|c| {
                    c.connalias_setting()
                        .is_some_and(|a| a.split([' ', '\t']).any(|x| x == name))
                });
            }
            let Some(i) = found else {
                status += crate::reply::rc::UNKNOWN_NAME as i32;
                print(" (notfound)\n");
                on_diagnostic(&format!("conn '{name}': not found (tried aliases)"));
                continue;
            };
            let c = &mut loaded[i];
            if added[i] {
                on_diagnostic(&format!("\n{prefix}conn {} already added", c.name));
            } else if c.failed {
                on_diagnostic(&format!("\n{prefix}conn {} did not load properly", c.name));
            } else {
                let mut trace = new_trace();
                resolve_default_routes(c, &env, &mut trace);
                if let Some(t) = trace {
                    print(&t);
                }
                let mut sc = c.clone();
                sc.name = wire_name(&sc.name).to_string();
                status = add(
                    args,
                    encode_conn(&sc),
                    on_line,
                    on_diagnostic,
                    &mut always,
                    xauth,
                    &mut || {},
                )?;
                added[i] = true;
            }
        }
    }
    if status > 0
        && (status < crate::reply::rc::EXIT_FLOOR as i32
            || status >= crate::reply::rc::EXIT_ROOF as i32)
    {
        status = 0;
    }
    // exit(-1) is 255.
    Ok(status & 0xff)
}

/// `ipsec addconn` without a stderr sink: what 4.10 prints on stderr is dropped.
pub fn run(
    args: &Args,
    on_line: &mut dyn FnMut(&Line),
    xauth: &mut dyn client::Xauth,
) -> Result<i32> {
    run_with_diagnostics(args, on_line, &mut |_| {}, xauth)
}
