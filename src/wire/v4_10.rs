//! libreswan 4.10's `struct whack_message`, x86-64 Linux (LP64), as data.
//!
//! Every offset below is the field's `offsetof` in 4.10's `include/whack.h`; read the tables
//! side by side with the header. Fields not listed stay zero, as do padding bytes. The fixed
//! part is followed by the packed strings, in `pack_whack_msg`'s order, and the message is cut
//! right after the last of them.

use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::request::*;

/// `WHACK_MAGIC` ('o','h','k',49) and `WHACK_BASIC_MAGIC` ('w','h','k',25).
pub const WHACK_MAGIC: u32 = u32::from_be_bytes([b'o', b'h', b'k', 49]);
pub const WHACK_BASIC_MAGIC: u32 = u32::from_be_bytes([b'w', b'h', b'k', 25]);

/// Where the string area starts (`offsetof(struct whack_message, string)`) and its size.
pub const STRING_OFFSET: usize = 1488;
pub const STRING_SIZE: usize = 4096;

/// Offsets in `struct whack_message`.
pub mod msg {
    pub const MAGIC: usize = 0;
    pub const WHACK_STATUS: usize = 4;
    pub const WHACK_GLOBAL_STATUS: usize = 5;
    pub const WHACK_CLEAR_STATS: usize = 6;
    pub const WHACK_TRAFFIC_STATUS: usize = 7;
    pub const WHACK_SHUNT_STATUS: usize = 8;
    pub const WHACK_FIPS_STATUS: usize = 9;
    pub const WHACK_BRIEF_STATUS: usize = 10;
    pub const WHACK_ADDRESSPOOL_STATUS: usize = 11;
    pub const WHACK_SHOW_STATES: usize = 12;
    pub const WHACK_SECCOMP_CRASHTEST: usize = 13;
    pub const WHACK_SHUTDOWN: usize = 14;
    pub const WHACK_PROCESS_STATUS: usize = 15;
    pub const WHACK_LEAVE_STATE: usize = 16;
    pub const NAME_LEN: usize = 24; // size_t, never set by 4.10's whack
    pub const NAME: usize = 32; // pointer: nulled on the wire
    pub const WHACK_OPTIONS: usize = 40;
    pub const DEBUGGING: usize = 48; // lmod_t { set, clr }
    pub const IMPAIRMENTS: usize = 64;
    pub const NR_IMPAIRMENTS: usize = 72;
    pub const WHACK_CONNECTION: usize = 76;
    pub const WHACK_ASYNC: usize = 77;
    pub const IKE_VERSION: usize = 80;
    pub const POLICY: usize = 88;
    pub const AUTHBY: usize = 96; // struct authby: 6 bools
    pub const SIGHASH_POLICY: usize = 104;
    pub const PROSPECTIVE_SHUNT: usize = 112;
    pub const NEGOTIATION_SHUNT: usize = 116;
    pub const FAILURE_SHUNT: usize = 120;
    pub const SA_IKE_LIFE_SECONDS: usize = 128; // deltatime_t = struct timeval
    pub const SA_IPSEC_LIFE_SECONDS: usize = 144;
    pub const SA_REKEY_MARGIN: usize = 160;
    pub const SA_IPSEC_MAX_BYTES: usize = 176;
    pub const SA_IPSEC_MAX_PACKETS: usize = 184;
    pub const SA_REKEY_FUZZ: usize = 192;
    pub const SA_KEYING_TRIES: usize = 200;
    pub const SA_REPLAY_WINDOW: usize = 208;
    pub const RETRANSMIT_TIMEOUT: usize = 216;
    pub const RETRANSMIT_INTERVAL: usize = 232;
    pub const NIC_OFFLOAD: usize = 248;
    pub const XFRM_IF_ID: usize = 252;
    pub const DPD_DELAY: usize = 256;
    pub const DPD_TIMEOUT: usize = 272;
    pub const DPD_ACTION: usize = 288;
    pub const DPD_COUNT: usize = 292;
    pub const REMOTEPEERTYPE: usize = 296;
    pub const ENCAPS: usize = 300;
    pub const REMOTE_TCPPORT: usize = 304;
    pub const IKETCP: usize = 308;
    pub const NAT_KEEPALIVE: usize = 312;
    pub const IKEV1_NATT: usize = 316;
    pub const INITIAL_CONTACT: usize = 320;
    pub const CISCO_UNITY: usize = 321;
    pub const FAKE_STRONGSWAN: usize = 322;
    pub const SEND_VENDORID: usize = 323;
    pub const NMCONFIGURED: usize = 324;
    pub const XAUTHBY: usize = 328;
    pub const XAUTHFAIL: usize = 332;
    pub const SEND_CA: usize = 336;
    pub const CONNMTU: usize = 340;
    pub const SA_PRIORITY: usize = 344;
    pub const SA_TFCPAD: usize = 348;
    pub const SEND_NO_ESP_TFC: usize = 352;
    pub const SA_REQID: usize = 356;
    pub const NFLOG_GROUP: usize = 360;
    pub const SEC_LABEL: usize = 368;
    pub const LEFT: usize = 376; // struct whack_end, see `end`
    pub const RIGHT: usize = 728;
    pub const TUNNEL_ADDR_FAMILY: usize = 1080; // sa_family_t (u16)
    pub const IKE: usize = 1088;
    pub const PFSGROUP: usize = 1096; // pointer whack leaves as is: zero here
    pub const ESP: usize = 1104;
    pub const WHACK_KEY: usize = 1112;
    pub const WHACK_ADDKEY: usize = 1113;
    pub const KEYID: usize = 1120;
    pub const PUBKEY_ALG: usize = 1128;
    pub const KEYVAL: usize = 1136; // chunk_t { ptr, len }
    pub const REMOTE_HOST: usize = 1152;
    pub const WHACK_ROUTE: usize = 1160;
    pub const WHACK_UNROUTE: usize = 1161;
    pub const WHACK_INITIATE: usize = 1162;
    pub const WHACK_OPPO_INITIATE: usize = 1163;
    pub const OPPO_LOCAL_ADDRESS: usize = 1164;
    pub const OPPO_LOCAL_PORT: usize = 1188;
    pub const OPPO_REMOTE_ADDRESS: usize = 1192;
    pub const OPPO_REMOTE_PORT: usize = 1216;
    pub const OPPO_IPPROTO: usize = 1220;
    pub const WHACK_TERMINATE: usize = 1224;
    pub const WHACK_DELETE: usize = 1225;
    pub const WHACK_DELETESTATE: usize = 1226;
    pub const WHACK_DELETESTATENO: usize = 1232;
    pub const WHACK_REKEY_IKE: usize = 1240;
    pub const WHACK_REKEY_IPSEC: usize = 1241;
    pub const WHACK_NFLOGGROUP: usize = 1248;
    pub const WHACK_DELETEUSER: usize = 1256;
    pub const WHACK_DELETEUSER_NAME: usize = 1257;
    pub const WHACK_DELETEID: usize = 1258;
    pub const WHACK_DELETEID_NAME: usize = 1259;
    pub const WHACK_PURGEOCSP: usize = 1260;
    pub const WHACK_LISTEN: usize = 1261;
    pub const WHACK_UNLISTEN: usize = 1262;
    pub const IKE_BUF_SIZE: usize = 1264;
    pub const IKE_SOCK_ERR_TOGGLE: usize = 1272;
    pub const WHACK_DDOS: usize = 1276;
    pub const WHACK_DDNS: usize = 1280;
    pub const WHACK_CRASH: usize = 1281;
    pub const WHACK_CRASH_PEER: usize = 1284;
    pub const WHACK_UTC: usize = 1308;
    pub const WHACK_CHECKPUBKEYS: usize = 1309;
    pub const WHACK_LISTPUBKEYS: usize = 1310;
    pub const WHACK_LIST: usize = 1312;
    pub const WHACK_REREAD: usize = 1320;
    pub const CONNALIAS: usize = 1328;
    pub const MODECFG_DNS: usize = 1336;
    pub const MODECFG_DOMAINS: usize = 1344;
    pub const MODECFG_BANNER: usize = 1352;
    pub const CONN_MARK_BOTH: usize = 1360;
    pub const CONN_MARK_IN: usize = 1368;
    pub const CONN_MARK_OUT: usize = 1376;
    pub const VTI_IFACE: usize = 1384;
    pub const VTI_ROUTING: usize = 1392;
    pub const VTI_SHARED: usize = 1393;
    pub const GLOBAL_REDIRECT: usize = 1396;
    pub const GLOBAL_REDIRECT_TO: usize = 1400;
    pub const REDIRECT_TO: usize = 1408;
    pub const ACCEPT_REDIRECT_TO: usize = 1416;
    pub const ACTIVE_REDIRECT_DESTS: usize = 1424;
    pub const METRIC: usize = 1432;
    pub const DNSHOSTNAME: usize = 1440;
    pub const OPT_SET: usize = 1448;
    pub const STRING1: usize = 1456;
    pub const STRING2: usize = 1464;
    pub const STRING3: usize = 1472;
    pub const STR_SIZE: usize = 1480; // never set by 4.10's whack
    pub const STRING: usize = super::STRING_OFFSET;
}

/// Offsets in `struct whack_end` (352 bytes), relative to `msg::LEFT` / `msg::RIGHT`.
pub mod end {
    pub const LEFTRIGHT: usize = 0; // pointer: nulled on the wire
    pub const ID: usize = 8;
    pub const CA: usize = 16;
    pub const GROUPS: usize = 24;
    pub const CERT: usize = 32;
    pub const CKAID: usize = 40;
    pub const PUBKEY: usize = 48;
    pub const PUBKEY_ALG: usize = 56;
    pub const AUTH: usize = 60;
    pub const HOST_TYPE: usize = 64;
    pub const HOST_ADDR: usize = 68; // ip_address (24)
    pub const HOST_IKEPORT: usize = 92;
    pub const HOST_NEXTHOP: usize = 96;
    pub const HOST_SRCIP: usize = 120;
    pub const HOST_VTIIP: usize = 144; // ip_cidr (28)
    pub const IFACEIP: usize = 172;
    pub const CLIENT: usize = 200; // ip_subnet (28)
    pub const PROTOPORT: usize = 228; // ip_protoport (12)
    pub const KEY_FROM_DNS_ON_DEMAND: usize = 240;
    pub const UPDOWN: usize = 248;
    pub const VIRT: usize = 256;
    pub const POOL_RANGE: usize = 264; // ip_range (40)
    pub const XAUTH_SERVER: usize = 304;
    pub const XAUTH_CLIENT: usize = 305;
    pub const XAUTH_USERNAME: usize = 312;
    pub const MODECFG_SERVER: usize = 320;
    pub const MODECFG_CLIENT: usize = 321;
    pub const CAT: usize = 322;
    pub const SENDCERT: usize = 324;
    pub const EAP: usize = 328;
    pub const SEND_CA: usize = 332;
    pub const CERTTYPE: usize = 336;
    pub const HOST_ADDR_NAME: usize = 344;
}

/// `enum sa_policy_bits`: the bit each policy flag has in 4.10's `lset_t policy`.
pub const POLICY_BITS: &[(Policy, u32)] = &[
    (Policy::Encrypt, 0),
    (Policy::Authenticate, 1),
    (Policy::Compress, 2),
    (Policy::Tunnel, 3),
    (Policy::Pfs, 4),
    (Policy::DecapDscp, 5),
    (Policy::NoPmtuDisc, 6),
    (Policy::MsdhDowngrade, 7),
    (Policy::AllowNoSan, 8),
    (Policy::DnsMatchId, 9),
    (Policy::Sha2Truncbug, 10),
    (Policy::DontRekey, 11),
    (Policy::Reauth, 12),
    (Policy::Opportunistic, 13),
    (Policy::Group, 14),
    (Policy::GroupRouted, 15),
    (Policy::GroupInstance, 16),
    (Policy::Up, 17),
    (Policy::Xauth, 18),
    (Policy::ModecfgPull, 19),
    (Policy::Aggressive, 20),
    (Policy::OverlapIp, 21),
    (Policy::Ikev2AllowNarrowing, 22),
    (Policy::Ikev2PamAuthorize, 23),
    (Policy::SendRedirectAlways, 24),
    (Policy::SendRedirectNever, 25),
    (Policy::AcceptRedirectYes, 26),
    (Policy::IkeFragAllow, 27),
    (Policy::IkeFragForce, 28),
    (Policy::NoIkepad, 29),
    (Policy::Mobike, 30),
    (Policy::PpkAllow, 31),
    (Policy::PpkInsist, 32),
    (Policy::EsnNo, 33),
    (Policy::EsnYes, 34),
    (Policy::Intermediate, 35),
    (Policy::IgnorePeerDns, 36),
];

/// `LIST_*` bits of `whack_list`.
const LIST_PUBKEYS: u64 = 0x01;
const LIST_CERTS: u64 = 0x02;
const LIST_CACERTS: u64 = 0x04;
const LIST_CRLS: u64 = 0x08;
const LIST_PSKS: u64 = 0x10;
const LIST_EVENTS: u64 = 0x20;
/// `LIST_ALL`: pubkeys through psks.
const LIST_ALL: u64 = 0x1f;

/// `REREAD_*` bits of `whack_reread`.
const REREAD_SECRETS: u8 = 0x01;
const REREAD_CRLS: u8 = 0x02;
const REREAD_FETCH: u8 = 0x04;
const REREAD_CERTS: u8 = 0x08;

/// The message under construction: the fixed part, then the string area.
struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            buf: vec![0u8; STRING_OFFSET],
        }
    }
    fn bytes(&mut self, at: usize, b: &[u8]) {
        self.buf[at..at + b.len()].copy_from_slice(b);
    }
    fn bool(&mut self, at: usize, v: bool) {
        self.buf[at] = v as u8;
    }
    fn u8(&mut self, at: usize, v: u8) {
        self.buf[at] = v;
    }
    fn u16(&mut self, at: usize, v: u16) {
        self.bytes(at, &v.to_ne_bytes());
    }
    fn u32(&mut self, at: usize, v: u32) {
        self.bytes(at, &v.to_ne_bytes());
    }
    fn i32(&mut self, at: usize, v: i32) {
        self.bytes(at, &v.to_ne_bytes());
    }
    fn u64(&mut self, at: usize, v: u64) {
        self.bytes(at, &v.to_ne_bytes());
    }
    /// `deltatime_t`: a `struct timeval` (seconds, microseconds).
    fn millis(&mut self, at: usize, ms: u64) {
        self.u64(at, ms / 1000);
        self.u64(at + 8, (ms % 1000) * 1000);
    }
    /// `ip_address`: is_set, version (4 or 6), 16 bytes.
    fn address(&mut self, at: usize, a: Option<IpAddr>) {
        if let Some(a) = a {
            self.bool(at, true);
            self.ip_bytes(at + 4, a);
        }
    }
    /// An `ip_address` that knows only its family (`%any6`): set, version, zero bytes.
    fn family_only(&mut self, at: usize, f: IpFamily) {
        self.bool(at, true);
        self.u32(at + 4, if f == IpFamily::V4 { 4 } else { 6 });
    }
    fn ip_bytes(&mut self, at: usize, a: IpAddr) {
        match a {
            IpAddr::V4(v4) => {
                self.u32(at, 4);
                self.bytes(at + 4, &v4.octets());
            }
            IpAddr::V6(v6) => {
                self.u32(at, 6);
                self.bytes(at + 4, &v6.octets());
            }
        }
    }
    /// `ip_subnet` / `ip_cidr`: an address followed by its prefix length.
    fn subnet(&mut self, at: usize, s: Option<Subnet>) {
        if let Some(s) = s {
            self.address(at, Some(s.addr));
            self.u32(at + 24, s.prefix as u32);
        }
    }
    fn range(&mut self, at: usize, r: Option<Range>) {
        if let Some(r) = r {
            self.bool(at, true);
            self.bool(at + 1, r.is_subnet);
            let (version, start, end) = match (r.start, r.end) {
                (IpAddr::V4(s), IpAddr::V4(e)) => (4, s.octets().to_vec(), e.octets().to_vec()),
                (s, e) => (6, v6_octets(s).to_vec(), v6_octets(e).to_vec()),
            };
            self.u32(at + 4, version);
            self.bytes(at + 8, &start);
            self.bytes(at + 24, &end);
        }
    }
    fn protoport(&mut self, at: usize, p: ProtoPort) {
        self.bool(at, p.is_set);
        self.bool(at + 1, p.has_port_wildcard);
        self.u32(at + 4, p.port as u32);
        self.u32(at + 8, p.protocol as u32);
    }
}

fn v6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The packed string area, with `pack_string`'s rule that an absent string is sent as "".
struct Strings<'a> {
    w: &'a mut Vec<u8>,
}

impl Strings<'_> {
    fn put(&mut self, s: Option<&str>) {
        self.w.extend_from_slice(s.unwrap_or("").as_bytes());
        self.w.push(0);
    }
    fn raw(&mut self, b: &[u8]) {
        self.w.extend_from_slice(b);
    }
}

fn shunt(s: Shunt) -> u32 {
    match s {
        Shunt::Unset => 0,
        Shunt::None => 1,
        Shunt::Hold => 2,
        Shunt::Trap => 3,
        Shunt::Pass => 4,
        Shunt::Drop => 5,
        Shunt::Reject => 6,
    }
}

fn yna(v: Yna) -> u32 {
    match v {
        Yna::Unset => 0,
        Yna::Auto => 1,
        Yna::No => 2,
        Yna::Yes => 3,
    }
}

fn pubkey_alg(a: PubkeyAlgorithm) -> u32 {
    match a {
        PubkeyAlgorithm::None => 0,
        PubkeyAlgorithm::Dsa => 1,
        PubkeyAlgorithm::Rsa => 2,
        PubkeyAlgorithm::Ecdsa => 3,
        PubkeyAlgorithm::SubjectPublicKeyInfo => 4,
    }
}

fn host_type(h: HostType) -> u32 {
    match h {
        HostType::NotSet => 0,
        HostType::DefaultRoute => 1,
        HostType::Any => 2,
        HostType::Iface => 3,
        HostType::Oppo => 4,
        HostType::OppoGroup => 5,
        HostType::Group => 6,
        HostType::IpHostname => 7,
        // LOOSE_ENUM_OTHER
        HostType::IpAddr => 255,
    }
}

fn policy_bits(p: Policies) -> u64 {
    POLICY_BITS
        .iter()
        .filter(|(f, _)| p.contains(*f))
        .fold(0, |acc, (_, bit)| acc | (1u64 << bit))
}

fn write_end(w: &mut Writer, base: usize, e: &End) {
    w.u32(base + end::PUBKEY_ALG, pubkey_alg(e.pubkey_alg));
    w.u32(
        base + end::AUTH,
        match e.auth {
            EndAuth::Unset => 0,
            EndAuth::Never => 1,
            EndAuth::Psk => 2,
            EndAuth::Rsasig => 3,
            EndAuth::Ecdsa => 4,
            EndAuth::Null => 5,
            EndAuth::EapOnly => 6,
        },
    );
    w.u32(base + end::HOST_TYPE, host_type(e.host_type));
    w.address(base + end::HOST_ADDR, e.host_addr);
    if e.host_addr.is_some() {
        w.bytes(base + end::HOST_ADDR + 1, &e.host_addr_pad);
    }
    if let (None, Some(f)) = (e.host_addr, e.host_family_only) {
        w.family_only(base + end::HOST_ADDR, f);
    }
    w.u32(base + end::HOST_IKEPORT, e.host_ikeport);
    w.address(base + end::HOST_NEXTHOP, e.host_nexthop);
    if e.host_nexthop.is_some() {
        w.bytes(base + end::HOST_NEXTHOP + 1, &e.host_nexthop_pad);
    }
    if let (None, Some(f)) = (e.host_nexthop, e.host_nexthop_family_only) {
        w.family_only(base + end::HOST_NEXTHOP, f);
    }
    w.address(base + end::HOST_SRCIP, e.host_srcip);
    w.subnet(base + end::HOST_VTIIP, e.host_vtiip);
    w.subnet(base + end::IFACEIP, e.ifaceip);
    w.subnet(base + end::CLIENT, e.client);
    if e.client.is_some() {
        w.bytes(base + end::CLIENT + 1, &e.client_pad);
    }
    w.protoport(base + end::PROTOPORT, e.protoport);
    w.bool(base + end::KEY_FROM_DNS_ON_DEMAND, e.key_from_dns_on_demand);
    w.range(base + end::POOL_RANGE, e.pool_range);
    w.bool(base + end::XAUTH_SERVER, e.xauth_server);
    w.bool(base + end::XAUTH_CLIENT, e.xauth_client);
    w.bool(base + end::MODECFG_SERVER, e.modecfg_server);
    w.bool(base + end::MODECFG_CLIENT, e.modecfg_client);
    w.bool(base + end::CAT, e.cat);
    w.u32(
        base + end::SENDCERT,
        match e.sendcert {
            SendCert::Unset => 0,
            SendCert::Never => 1,
            SendCert::IfAsked => 2,
            SendCert::Always => 3,
        },
    );
    w.u32(base + end::EAP, if e.eap == Eap::Tls { 1 } else { 0 });
    w.bool(base + end::SEND_CA, e.send_ca);
    w.u32(base + end::CERTTYPE, e.certtype);
}

fn write_connection(w: &mut Writer, c: &Connection) {
    w.u32(
        msg::IKE_VERSION,
        match c.ike_version {
            IkeVersion::Unset => 0,
            IkeVersion::V1 => 1,
            IkeVersion::V2 => 2,
        },
    );
    w.u64(msg::POLICY, policy_bits(c.policy));
    let a = c.authby;
    for (i, v) in [a.psk, a.null, a.never, a.rsasig, a.ecdsa, a.rsasig_v1_5]
        .into_iter()
        .enumerate()
    {
        w.bool(msg::AUTHBY + i, v);
    }
    let s = c.sighash;
    let sighash = [
        (s.sha1, 1),
        (s.sha2_256, 2),
        (s.sha2_384, 3),
        (s.sha2_512, 4),
        (s.identity, 5),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0u64, |acc, (_, bit)| acc | (1 << bit));
    w.u64(msg::SIGHASH_POLICY, sighash);
    w.u32(msg::PROSPECTIVE_SHUNT, shunt(c.prospective_shunt));
    w.u32(msg::NEGOTIATION_SHUNT, shunt(c.negotiation_shunt));
    w.u32(msg::FAILURE_SHUNT, shunt(c.failure_shunt));
    w.millis(msg::SA_IKE_LIFE_SECONDS, c.ike_lifetime_ms);
    w.millis(msg::SA_IPSEC_LIFE_SECONDS, c.ipsec_lifetime_ms);
    w.millis(msg::SA_REKEY_MARGIN, c.rekey_margin_ms);
    w.u64(msg::SA_IPSEC_MAX_BYTES, c.ipsec_max_bytes);
    w.u64(msg::SA_IPSEC_MAX_PACKETS, c.ipsec_max_packets);
    w.u64(msg::SA_REKEY_FUZZ, c.rekey_fuzz);
    w.u64(msg::SA_KEYING_TRIES, c.keying_tries);
    w.u64(msg::SA_REPLAY_WINDOW, c.replay_window);
    w.millis(msg::RETRANSMIT_TIMEOUT, c.retransmit_timeout_ms);
    w.millis(msg::RETRANSMIT_INTERVAL, c.retransmit_interval_ms);
    w.u32(msg::NIC_OFFLOAD, yna(c.nic_offload));
    w.u32(msg::XFRM_IF_ID, c.xfrm_if_id);
    w.millis(msg::DPD_DELAY, c.dpd_delay_ms);
    w.millis(msg::DPD_TIMEOUT, c.dpd_timeout_ms);
    w.u32(
        msg::DPD_ACTION,
        match c.dpd_action {
            DpdAction::Disabled => 0,
            DpdAction::Clear => 1,
            DpdAction::Hold => 2,
            DpdAction::Restart => 3,
        },
    );
    w.i32(msg::DPD_COUNT, c.dpd_count);
    w.u32(msg::REMOTEPEERTYPE, c.remote_peer_cisco as u32);
    w.u32(msg::ENCAPS, yna(c.encaps));
    w.i32(msg::REMOTE_TCPPORT, c.remote_tcpport);
    w.u32(
        msg::IKETCP,
        match c.iketcp {
            Tcp::Unset => 0,
            Tcp::No => 1,
            Tcp::Only => 2,
            Tcp::Fallback => 3,
        },
    );
    w.bool(msg::NAT_KEEPALIVE, c.nat_keepalive);
    w.u32(
        msg::IKEV1_NATT,
        match c.ikev1_natt {
            NattPolicy::Both => 0,
            NattPolicy::Rfc => 1,
            NattPolicy::Drafts => 2,
            NattPolicy::None => 3,
        },
    );
    w.bool(msg::INITIAL_CONTACT, c.initial_contact);
    w.bool(msg::CISCO_UNITY, c.cisco_unity);
    w.bool(msg::FAKE_STRONGSWAN, c.fake_strongswan);
    w.bool(msg::SEND_VENDORID, c.send_vendorid);
    w.bool(msg::NMCONFIGURED, c.nm_configured);
    w.u32(
        msg::XAUTHBY,
        match c.xauthby {
            XauthBy::File => 0,
            XauthBy::Pam => 1,
            XauthBy::AlwaysOk => 2,
        },
    );
    w.u32(msg::XAUTHFAIL, (c.xauthfail == XauthFail::Soft) as u32);
    w.u32(
        msg::SEND_CA,
        match c.send_ca {
            SendCa::None => 0,
            SendCa::Issuer => 1,
            SendCa::All => 2,
        },
    );
    w.i32(msg::CONNMTU, c.mtu);
    w.u32(msg::SA_PRIORITY, c.sa_priority);
    w.u32(msg::SA_TFCPAD, c.sa_tfcpad);
    w.bool(msg::SEND_NO_ESP_TFC, c.send_no_esp_tfc);
    w.u32(msg::SA_REQID, c.sa_reqid);
    w.i32(msg::NFLOG_GROUP, c.nflog_group);
    write_end(w, msg::LEFT, &c.left);
    write_end(w, msg::RIGHT, &c.right);
    w.u16(
        msg::TUNNEL_ADDR_FAMILY,
        match c.tunnel_family {
            None => 0,
            Some(IpFamily::V4) => libc::AF_INET as u16,
            Some(IpFamily::V6) => libc::AF_INET6 as u16,
        },
    );
    w.bool(msg::VTI_ROUTING, c.vti_routing);
    w.bool(msg::VTI_SHARED, c.vti_shared);
    w.u32(
        msg::GLOBAL_REDIRECT,
        match c.global_redirect {
            GlobalRedirect::Unset => 0,
            GlobalRedirect::No => 1,
            GlobalRedirect::Yes => 2,
            GlobalRedirect::Auto => 3,
        },
    );
    w.i32(msg::METRIC, c.metric);
}

fn end_strings(s: &mut Strings, e: &End) {
    for v in [
        &e.id,
        &e.cert,
        &e.pubkey,
        &e.ckaid,
        &e.ca,
        &e.groups,
        &e.updown,
        &e.virt,
        &e.xauth_username,
        &e.host_addr_name,
    ] {
        s.put(v.as_deref());
    }
}

/// Whether whack would pick its basic magic: only status or shutdown asked, nothing else named.
fn is_basic(r: &Request) -> bool {
    let only_status = Request {
        name: None,
        status: r.status,
        socket_named: false,
        ..Request::default()
    };
    r.sender == Sender::Whack && *r == only_status
}

/// The bytes 4.10's whack (or addconn) writes for `r`.
pub fn encode(r: &Request) -> Result<Vec<u8>> {
    let mut w = Writer::new();
    let cli_defaults;
    let conn: &Connection = match (&r.connection, r.sender) {
        (Some(c), _) => c,
        (None, Sender::Whack) => {
            cli_defaults = Connection::whack_cli();
            &cli_defaults
        }
        (None, Sender::Addconn) => {
            cli_defaults = Connection::default();
            &cli_defaults
        }
    };
    w.u32(
        msg::MAGIC,
        if is_basic(r) {
            WHACK_BASIC_MAGIC
        } else {
            WHACK_MAGIC
        },
    );
    w.bool(msg::WHACK_STATUS, r.status);
    w.bool(msg::WHACK_CONNECTION, r.connection.is_some());
    w.bool(msg::WHACK_ASYNC, r.asynchronous);
    write_connection(&mut w, conn);
    if r.sender == Sender::Whack {
        // whack's defaults for an opportunistic initiation: an ICMP echo request.
        w.u32(msg::OPPO_LOCAL_PORT, 8);
        w.u32(msg::OPPO_IPPROTO, libc::IPPROTO_ICMP as u32);
    }
    if let Some(k) = &r.key {
        w.bool(msg::WHACK_KEY, true);
        w.bool(msg::WHACK_ADDKEY, k.add);
        w.u32(msg::PUBKEY_ALG, pubkey_alg(k.algorithm));
        w.u64(msg::KEYVAL + 8, k.value.len() as u64);
    }
    w.bool(msg::WHACK_ROUTE, r.route);
    w.bool(msg::WHACK_UNROUTE, r.unroute);
    w.bool(msg::WHACK_INITIATE, r.initiate);
    w.bool(msg::WHACK_TERMINATE, r.terminate);
    w.bool(msg::WHACK_DELETE, r.delete);
    w.bool(msg::WHACK_PURGEOCSP, r.purge_ocsp);
    w.bool(msg::WHACK_LISTEN, r.listen);
    let l = r.list;
    w.bool(msg::WHACK_UTC, l.utc);
    w.bool(msg::WHACK_CHECKPUBKEYS, l.check_pubkeys);
    w.bool(msg::WHACK_LISTPUBKEYS, l.pubkeys || l.all);
    let mut list = 0;
    for (on, bit) in [
        (l.certs, LIST_CERTS),
        (l.cacerts, LIST_CACERTS),
        (l.crls, LIST_CRLS),
        (l.psks, LIST_PSKS),
        (l.events, LIST_EVENTS),
    ] {
        if on {
            list |= bit;
        }
    }
    if l.all {
        // `--listall` replaces the whole set rather than adding to it.
        list = LIST_ALL;
    }
    debug_assert_eq!(LIST_ALL & LIST_PUBKEYS, LIST_PUBKEYS);
    w.u64(msg::WHACK_LIST, list);
    let rr = r.reread;
    let mut reread = 0;
    for (on, bit) in [
        (rr.secrets, REREAD_SECRETS),
        (rr.crls, REREAD_CRLS),
        (rr.fetch_crls, REREAD_FETCH),
        (rr.certs, REREAD_CERTS),
    ] {
        if on {
            reread |= bit;
        }
    }
    w.u8(msg::WHACK_REREAD, reread);

    // The string area, in pack_whack_msg's order.
    let mut buf = w.buf;
    {
        let mut s = Strings { w: &mut buf };
        s.put(r.name.as_deref());
        end_strings(&mut s, &conn.left);
        end_strings(&mut s, &conn.right);
        s.put(r.key.as_ref().map(|k| k.keyid.as_str()));
        s.put(conn.ike.as_deref());
        s.put(conn.esp.as_deref());
        s.put(conn.connalias.as_deref());
        s.put(None); // string1
        s.put(None); // string2
        s.put(None); // string3
        s.put(conn.dnshostname.as_deref());
        s.put(conn.modecfg_dns.as_deref());
        s.put(conn.modecfg_domains.as_deref());
        s.put(conn.modecfg_banner.as_deref());
        s.put(conn.mark_both.as_deref());
        s.put(conn.mark_in.as_deref());
        s.put(conn.mark_out.as_deref());
        s.put(conn.vti_iface.as_deref());
        s.put(r.remote_host.as_deref());
        s.put(conn.global_redirect_to.as_deref());
        s.put(conn.redirect_to.as_deref());
        s.put(conn.accept_redirect_to.as_deref());
        s.put(None); // active_redirect_dests
        if let Some(k) = &r.key {
            s.raw(&k.value); // keyval: raw bytes, no terminator
        }
        s.put(conn.sec_label.as_deref());
    }
    if buf.len() > STRING_OFFSET + STRING_SIZE {
        return Err(Error::Encode(
            "too many bytes of strings or key to fit in message to pluto".into(),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_values_match_the_header_formula() {
        let formula = |a: u32, b: u32, c: u32, d: u32| (((((a << 8) + b) << 8) + c) << 8) + d;
        assert_eq!(WHACK_MAGIC, formula('o' as u32, 'h' as u32, 'k' as u32, 49));
        assert_eq!(
            WHACK_BASIC_MAGIC,
            formula('w' as u32, 'h' as u32, 'k' as u32, 25)
        );
    }

    #[test]
    fn status_message_is_fixed_part_plus_42_strings() {
        let r = Request {
            status: true,
            socket_named: true,
            ..Request::default()
        };
        let b = encode(&r).unwrap();
        // 42 strings, two of them "ipsec _updown" (13 bytes each).
        assert_eq!(b.len(), STRING_OFFSET + 42 + 26);
        assert_eq!(&b[0..4], &WHACK_MAGIC.to_ne_bytes());
        assert_eq!(b[msg::WHACK_STATUS], 1);
    }

    #[test]
    fn basic_magic_only_for_bare_status() {
        let r = Request {
            status: true,
            ..Request::default()
        };
        assert_eq!(&encode(&r).unwrap()[0..4], &WHACK_BASIC_MAGIC.to_ne_bytes());
    }

    #[test]
    fn oversized_strings_are_refused() {
        let r = Request {
            name: Some("x".repeat(5000)),
            ..Request::default()
        };
        assert!(matches!(encode(&r), Err(Error::Encode(_))));
    }

    #[test]
    fn policy_table_covers_every_flag_once() {
        for &p in Policy::ALL {
            assert_eq!(
                POLICY_BITS.iter().filter(|(f, _)| *f == p).count(),
                1,
                "{p:?}"
            );
        }
    }
}
