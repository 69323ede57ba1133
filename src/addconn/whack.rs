//! 4.10's `starterwhack.c`: how a loaded conn becomes whack messages. One message for the
//! conn (always with "delete first"), then one per raw public key; `leftsubnets=`/
//! `rightsubnets=` multiply the conn into `NAME/LxR` instances aliased to NAME.

use std::borrow::Cow;

use super::starter::{kh, pk, StarterConn, StarterEnd};
use super::values;
use crate::config::{EndKw, Kw};
use crate::request::*;

/// How 4.10's refusal for an end without a host begins; it alone goes to stdout.
const MISSING_END: &str = "Failed to load connection ";

/// Why 4.10 would send nothing (or stop early) for a conn, with its exit status contribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// What 4.10 prints (on stdout for a missing end, stderr otherwise).
    pub message: String,
    /// The value `starter_whack_add_conn` returns (-1 or 1).
    pub status: i32,
    /// Messages that would have been sent before the refusal.
    pub sent: Vec<Request>,
}

impl Refusal {
    /// Whether 4.10 prints the message on stdout (a missing end) rather than stderr.
    pub fn on_stdout(&self) -> bool {
        self.message.starts_with(MISSING_END)
    }
}

fn end_of(e: &StarterEnd) -> Result<End, String> {
    let lr = match e.side {
        crate::config::Side::Left => "left",
        crate::config::Side::Right => "right",
    };
    let host_type = match e.addrtype {
        kh::IPADDR => HostType::IpAddr,
        kh::IFACE => HostType::Iface,
        kh::DEFAULTROUTE => HostType::DefaultRoute,
        kh::IPHOSTNAME => HostType::IpHostname,
        kh::OPPO => HostType::Oppo,
        kh::GROUP => HostType::Group,
        kh::OPPOGROUP => HostType::OppoGroup,
        kh::ANY => HostType::Any,
        _ => return Err(format!("{MISSING_END}{lr}= is not set")),
    };
    let host_addr = match e.addrtype {
        kh::IPADDR | kh::IFACE => e.addr,
        _ => None,
    };
    let host_nexthop = if e.nexttype == kh::IPADDR {
        e.nexthop
    } else {
        Some(values::zero(e.family))
    };
    let pubkey = (e.pubkey_type == pk::PREEXCHANGED)
        .then(|| e.pubkey.clone())
        .flatten();
    let b = |kw: EndKw| e.number_if_set(kw).map(|v| v != 0);
    Ok(End {
        id: e.id.clone(),
        ca: e.ca.clone(),
        groups: None,
        cert: e.cert.clone(),
        ckaid: e.ckaid.clone(),
        pubkey_alg: if pubkey.is_some() {
            e.pubkey_alg
        } else {
            PubkeyAlgorithm::None
        },
        pubkey,
        auth: match e.number_if_set(EndKw::Auth) {
            Some(1) => EndAuth::Never,
            Some(2) => EndAuth::Psk,
            Some(3) => EndAuth::Rsasig,
            Some(4) => EndAuth::Ecdsa,
            Some(5) => EndAuth::Null,
            Some(6) => EndAuth::EapOnly,
            _ => EndAuth::Unset,
        },
        host_type,
        host_addr,
        host_family_only: None,
        host_ikeport: e.number(EndKw::IkePort) as u32,
        host_nexthop,
        host_nexthop_family_only: None,
        host_srcip: e.sourceip.filter(|a| !is_zero(a)),
        host_vtiip: e.vti_ip,
        ifaceip: e.ifaceip,
        client: if e.has_client { e.subnet } else { None },
        client_pad: e.subnet_pad,
        protoport: e.protoport,
        key_from_dns_on_demand: e.key_from_dns,
        updown: e.updown.as_deref().map(str::to_string),
        virt: e.virt.clone(),
        pool_range: e.pool_range,
        xauth_server: b(EndKw::XauthServer).unwrap_or(false),
        xauth_client: b(EndKw::XauthClient).unwrap_or(false),
        xauth_username: e.string_if_set(EndKw::Username).map(str::to_string),
        modecfg_server: b(EndKw::ModecfgServer).unwrap_or(false),
        modecfg_client: b(EndKw::ModecfgClient).unwrap_or(false),
        cat: b(EndKw::Cat).unwrap_or(false),
        sendcert: match e.number_if_set(EndKw::SendCert) {
            None | Some(3) => SendCert::Always,
            Some(1) => SendCert::Never,
            Some(2) => SendCert::IfAsked,
            Some(_) => SendCert::Unset,
        },
        eap: if e.number_if_set(EndKw::Eap) == Some(1) {
            Eap::Tls
        } else {
            Eap::None
        },
        send_ca: false,
        certtype: 0,
        host_addr_name: e.host_string().map(str::to_string),
        host_addr_pad: if host_addr.is_some() {
            e.addr_pad
        } else {
            [0; 3]
        },
        host_nexthop_pad: if e.nexttype == kh::IPADDR {
            e.nexthop_pad
        } else {
            [0; 3]
        },
    })
}

fn is_zero(a: &std::net::IpAddr) -> bool {
    match a {
        std::net::IpAddr::V4(v) => v.is_unspecified(),
        std::net::IpAddr::V6(v) => v.is_unspecified(),
    }
}

/// `starter_whack_basic_add_conn`'s message for `c` under the name `name`.
fn conn_message(c: &StarterConn, name: &str, connalias: Option<&str>) -> Result<Request, String> {
    let set = |kw: Kw| c.number_if_set(kw);
    let n = |kw: Kw| c.number(kw);
    let mut dpd_action = DpdAction::Hold;
    let (mut dpd_delay_ms, mut dpd_timeout_ms) = (0, 0);
    let action = |v: u64| match v {
        0 => DpdAction::Disabled,
        1 => DpdAction::Clear,
        2 => DpdAction::Hold,
        _ => DpdAction::Restart,
    };
    match c.ike_version {
        IkeVersion::V1 => {
            if let (Some(d), Some(t)) = (set(Kw::DpdDelayMs), set(Kw::DpdTimeoutMs)) {
                dpd_delay_ms = d;
                dpd_timeout_ms = t;
                if let Some(a) = set(Kw::DpdAction) {
                    dpd_action = action(a);
                }
            }
        }
        _ => {
            if let Some(d) = set(Kw::DpdDelayMs) {
                dpd_delay_ms = d;
                if let Some(a) = set(Kw::DpdAction) {
                    dpd_action = action(a);
                }
            }
        }
    }
    if set(Kw::Rekey) == Some(0) && n(Kw::DpdAction) == 3 {
        dpd_action = DpdAction::Hold;
    }
    let left = end_of(&c.left)?;
    let right = end_of(&c.right)?;
    let yna = |v: u64| match v {
        1 => Yna::Auto,
        2 => Yna::No,
        3 => Yna::Yes,
        _ => Yna::Unset,
    };
    let conn = Connection {
        ike_version: c.ike_version,
        policy: c.policy,
        authby: c.authby,
        sighash: c.sighash,
        prospective_shunt: c.prospective_shunt,
        negotiation_shunt: c.negotiation_shunt,
        failure_shunt: c.failure_shunt,
        ike_lifetime_ms: n(Kw::IkeLifetimeMs),
        ipsec_lifetime_ms: n(Kw::IpsecLifetimeMs),
        rekey_margin_ms: n(Kw::RekeyMarginMs),
        ipsec_max_bytes: n(Kw::IpsecMaxBytes),
        ipsec_max_packets: n(Kw::IpsecMaxPackets),
        rekey_fuzz: n(Kw::RekeyFuzz),
        keying_tries: n(Kw::KeyingTries),
        replay_window: n(Kw::ReplayWindow),
        retransmit_timeout_ms: n(Kw::RetransmitTimeoutMs),
        retransmit_interval_ms: n(Kw::RetransmitIntervalMs),
        nic_offload: yna(n(Kw::NicOffload)),
        xfrm_if_id: n(Kw::XfrmIfId) as u32,
        dpd_delay_ms,
        dpd_timeout_ms,
        dpd_action,
        dpd_count: 0,
        remote_peer_cisco: n(Kw::RemotePeerType) == 1,
        encaps: yna(set(Kw::Encaps).unwrap_or(1)),
        remote_tcpport: set(Kw::RemoteTcpPort).unwrap_or(4500) as i32,
        iketcp: match set(Kw::Tcp).unwrap_or(1) {
            1 => Tcp::No,
            2 => Tcp::Only,
            3 => Tcp::Fallback,
            _ => Tcp::Unset,
        },
        nat_keepalive: set(Kw::NatKeepalive) != Some(0),
        ikev1_natt: match set(Kw::Ikev1Natt).unwrap_or(0) {
            1 => NattPolicy::Rfc,
            2 => NattPolicy::Drafts,
            3 => NattPolicy::None,
            _ => NattPolicy::Both,
        },
        initial_contact: set(Kw::InitialContact).is_some_and(|v| v != 0),
        cisco_unity: set(Kw::CiscoUnity).is_some_and(|v| v != 0),
        fake_strongswan: set(Kw::VidStrongswan).is_some_and(|v| v != 0),
        send_vendorid: set(Kw::SendVendorId).is_some_and(|v| v != 0),
        nm_configured: set(Kw::NmConfigured).is_some_and(|v| v != 0),
        xauthby: match set(Kw::XauthBy).unwrap_or(0) {
            1 => XauthBy::Pam,
            2 => XauthBy::AlwaysOk,
            _ => XauthBy::File,
        },
        xauthfail: if set(Kw::XauthFail) == Some(1) {
            XauthFail::Soft
        } else {
            XauthFail::Hard
        },
        send_ca: match set(Kw::SendCa).unwrap_or(0) {
            1 => SendCa::Issuer,
            2 => SendCa::All,
            _ => SendCa::None,
        },
        mtu: set(Kw::ConnMtu).unwrap_or(0) as i32,
        sa_priority: set(Kw::Priority).unwrap_or(0) as u32,
        sa_tfcpad: set(Kw::TfcPad).unwrap_or(0) as u32,
        send_no_esp_tfc: set(Kw::NoEspTfc).is_some_and(|v| v != 0),
        sa_reqid: set(Kw::ReqId)
            .filter(|v| (1..=0x3fff).contains(v))
            .unwrap_or(0) as u32,
        nflog_group: set(Kw::NflogConn).unwrap_or(0) as i32,
        sec_label: c.sec_label.as_deref().map(str::to_string),
        left,
        right,
        tunnel_family: Some(c.left.family),
        ike: c.ike.as_deref().map(str::to_string),
        esp: c.esp.as_deref().map(str::to_string),
        connalias: connalias.map(str::to_string),
        modecfg_dns: c.modecfg_dns.as_deref().map(str::to_string),
        modecfg_domains: c.modecfg_domains.as_deref().map(str::to_string),
        modecfg_banner: c.modecfg_banner.as_deref().map(str::to_string),
        mark_both: c.mark_both.as_deref().map(str::to_string),
        mark_in: c.mark_in.as_deref().map(str::to_string),
        mark_out: c.mark_out.as_deref().map(str::to_string),
        vti_iface: c.vti_iface.as_deref().map(str::to_string),
        vti_routing: set(Kw::VtiRouting).is_some_and(|v| v != 0),
        vti_shared: set(Kw::VtiShared).is_some_and(|v| v != 0),
        global_redirect: GlobalRedirect::Unset,
        global_redirect_to: None,
        redirect_to: c.redirect_to.as_deref().map(str::to_string),
        accept_redirect_to: c.accept_redirect_to.as_deref().map(str::to_string),
        metric: n(Kw::Metric) as i32,
        dnshostname: (c.right.addrtype == kh::IPHOSTNAME)
            .then(|| c.right.host_string().map(str::to_string))
            .flatten(),
    };
    Ok(Request {
        name: Some(name.to_string()),
        delete: true,
        connection: Some(Box::new(conn)),
        sender: Sender::Addconn,
        ..Request::default()
    })
}

/// `starter_whack_add_pubkey`: the key message for an end with a raw key, if any.
fn key_message(c_name: &str, e: &StarterEnd) -> Result<Option<Request>, String> {
    let (Some(id), Some(key)) = (&e.id, &e.pubkey) else {
        return Ok(None);
    };
    if e.pubkey_type != pk::PREEXCHANGED {
        return Ok(None);
    }
    let base = if e.pubkey_alg == PubkeyAlgorithm::SubjectPublicKeyInfo {
        64
    } else {
        0
    };
    let lr = match e.side {
        crate::config::Side::Left => "left",
        crate::config::Side::Right => "right",
    };
    let alg = match e.pubkey_alg {
        PubkeyAlgorithm::Rsa => "rsasigkey",
        PubkeyAlgorithm::Ecdsa => "ecdsakey",
        _ => "pubkey",
    };
    let value = values::data(key, base)
        .map_err(|err| format!("conn {c_name}: {lr}{alg} malformed [{err}]"))?;
    Ok(Some(Request {
        key: Some(Key {
            keyid: id.clone(),
            add: false,
            algorithm: e.pubkey_alg,
            value,
        }),
        sender: Sender::Addconn,
        ..Request::default()
    }))
}

/// The messages of `starter_whack_basic_add_conn`, in order.
fn basic(c: &StarterConn, name: &str, connalias: Option<&str>) -> Result<Vec<Request>, Refusal> {
    let refuse = |message, sent| Refusal {
        message,
        status: -1,
        sent,
    };
    let mut out = vec![conn_message(c, name, connalias).map_err(|m| refuse(m, vec![]))?];
    for e in [&c.left, &c.right] {
        if e.pubkey.is_none() {
            continue;
        }
        match key_message(name, e) {
            Ok(Some(k)) => out.push(k),
            Ok(None) => {}
            Err(message) => {
                return Err(Refusal {
                    message,
                    status: 1,
                    sent: out,
                })
            }
        }
    }
    Ok(out)
}

/// Iterates `subnet=` then the items of `subnets=` of one end, as 4.10 does.
struct Subnets<'a> {
    end: &'a StarterEnd<'a>,
    rest: &'a str,
    count: u32,
    subnet: Option<Subnet>,
    error: Option<String>,
}

impl<'a> Subnets<'a> {
    fn first(end: &'a StarterEnd<'a>, conn: &str) -> Option<Subnets<'a>> {
        let mut s = Subnets {
            end,
            rest: end.subnets().unwrap_or(""),
            count: 0,
            subnet: None,
            error: None,
        };
        if end.subnet_set() {
            s.subnet = end.subnet;
            return Some(s);
        }
        s.next(conn).then_some(s)
    }
    fn next(&mut self, conn: &str) -> bool {
        self.subnet = None;
        let sep = |c: char| c.is_ascii_whitespace() || c == ',';
        let start = self.rest.trim_start_matches(sep);
        if start.is_empty() {
            return false;
        }
        let len = start.find(sep).unwrap_or(start.len());
        match values::subnet(&start[..len], Some(self.end.family), true) {
            Ok(s) => self.subnet = Some(s),
            Err(e) => {
                let lr = match self.end.side {
                    crate::config::Side::Left => "left",
                    crate::config::Side::Right => "right",
                };
                self.error = Some(format!(
                    "conn: \"{conn}\" warning '{start}' is not a subnet declaration. ({lr}subnets): {e}"
                ));
                return false;
            }
        }
        self.rest = &start[len..];
        self.count += 1;
        true
    }
}

/// The instances 4.10 makes of a conn: itself, or one per `leftsubnets=` x `rightsubnets=`
/// combination (named `NAME/LxR`, aliased to NAME). A bad item ends the list with 4.10's
/// warning.
/// The conn itself is borrowed, not copied.
fn instances<'c, 'a>(c: &'c StarterConn<'a>) -> (Vec<Cow<'c, StarterConn<'a>>>, Option<Refusal>) {
    if c.left.subnets().is_none() && c.right.subnets().is_none() {
        return (vec![Cow::Borrowed(c)], None);
    }
    let fail = |message: Option<String>| {
        Some(Refusal {
            message: message.unwrap_or_default(),
            status: 1,
            sent: vec![],
        })
    };
    let mut out = Vec::new();
    let Some(mut left) = Subnets::first(&c.left, &c.name) else {
        return (out, fail(None));
    };
    let Some(mut right) = Subnets::first(&c.right, &c.name) else {
        return (out, fail(None));
    };
    loop {
        let mut sc = c.clone();
        sc.left.subnet = left.subnet;
        sc.left.has_client = true;
        sc.right.subnet = right.subnet;
        sc.right.has_client = true;
        // An item of subnets= is parsed afresh; subnet= is the end's own copy.
        if left.count > 0 {
            sc.left.subnet_pad = [0; 3];
        }
        if right.count > 0 {
            sc.right.subnet_pad = [0; 3];
        }
        sc.name = format!("{}/{}x{}", c.name, left.count, right.count);
        sc.connalias = Some(Cow::Owned(c.name.clone()));
        out.push(Cow::Owned(sc));
        if !right.next(&c.name) {
            if let Some(e) = right.error.take() {
                return (out, fail(Some(e)));
            }
            right = match Subnets::first(&c.right, &c.name) {
                Some(r) => r,
                None => return (out, fail(None)),
            };
            if !left.next(&c.name) {
                if let Some(e) = left.error.take() {
                    return (out, fail(Some(e)));
                }
                return (out, None);
            }
        }
    }
}

/// `starter_whack_add_conn`: all messages for one loaded conn, or why 4.10 stops (with the
/// messages it sends before stopping).
pub fn add_conn(c: &StarterConn) -> Result<Vec<Request>, Refusal> {
    let (list, end) = instances(c);
    let mut sent = Vec::new();
    for sc in &list {
        match basic(sc, &sc.name, sc.connalias.as_deref()) {
            Ok(m) => sent.extend(m),
            Err(mut r) => {
                sent.append(&mut r.sent);
                r.sent = sent;
                return Err(r);
            }
        }
    }
    match end {
        None => Ok(sent),
        Some(mut r) => {
            r.sent = sent;
            Err(r)
        }
    }
}

/// `starter_whack_route_conn`: a route message per instance.
pub fn route_requests(c: &StarterConn) -> Vec<Request> {
    instances(c)
        .0
        .into_iter()
        .map(|sc| Request {
            name: Some(sc.name.clone()),
            route: true,
            sender: Sender::Addconn,
            ..Request::default()
        })
        .collect()
}
