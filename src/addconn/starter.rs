//! What 4.10's `confread.c` makes of one conn's settings before anything is sent: the conn
//! starts as a copy of the processed `%default` conn (derived values included, which is why
//! e.g. `%default`'s `left=` leaks into a conn's `leftid`), then its own settings are laid
//! over and processed again. Policy bits, shunts, authby, ends: as 4.10 derives them.

use std::borrow::Cow;
use std::net::IpAddr;

use super::values::{self, family_of};
use super::Env;
use crate::config::{Conn, EndKw, Kw, Setting, Side, Value};
use crate::error::Location;
use crate::request::*;

/// `enum keyword_host`.
pub mod kh {
    pub const NOTSET: u64 = 0;
    pub const DEFAULTROUTE: u64 = 1;
    pub const ANY: u64 = 2;
    pub const IFACE: u64 = 3;
    pub const OPPO: u64 = 4;
    pub const OPPOGROUP: u64 = 5;
    pub const GROUP: u64 = 6;
    pub const IPHOSTNAME: u64 = 7;
    pub const IPADDR: u64 = 255;
}

/// `enum keyword_pubkey`.
pub mod pk {
    pub const DNSONDEMAND: u64 = 1;
    pub const PREEXCHANGED: u64 = 255;
}

const AF_INET: u64 = libc::AF_INET as u64;
const AF_INET6: u64 = libc::AF_INET6 as u64;

/// One keyword's place in 4.10's `strings[]`/`options[]` arrays, and whether each was set.
/// Strings and locations borrow from the `Config` the settings came from, so a slot is
/// plain data and a conn's copy of `%default` a block copy.
#[derive(Clone, Copy, Debug, Default)]
struct Slot<'a> {
    string: Option<&'a str>,
    /// The string is `Slots::joined` (the one keyword whose values accumulate).
    joined: bool,
    string_set: bool,
    number: u64,
    number_set: bool,
    at: Option<&'a Location>,
}

/// A keyword enum whose variants index a dense array (as 4.10's `KSCF_*`/`KNCF_*` do).
trait SlotKey: Copy {
    fn index(self) -> usize;
}

impl SlotKey for Kw {
    fn index(self) -> usize {
        self as usize
    }
}

impl SlotKey for EndKw {
    fn index(self) -> usize {
        self as usize
    }
}

// One past each enum's last variant: a keyword added after it must move these along.
const CONN_SLOTS: usize = Kw::ALL.len();
const END_SLOTS: usize = EndKw::ALL.len();

/// A conn's (or an end's) fields as 4.10 keeps them: strings and numbers side by side, one
/// slot per keyword, in an array as 4.10's (a conn is copied and consulted far more often
/// than it is filled).
#[derive(Clone, Debug)]
struct Slots<'a, K, const N: usize> {
    slots: [Slot<'a>; N],
    /// `connalias=`'s or `leftsubnets=`'s values joined, when more than one was laid.
    joined: Option<String>,
    key: std::marker::PhantomData<K>,
}

impl<K, const N: usize> Default for Slots<'_, K, N> {
    fn default() -> Self {
        Slots {
            slots: [Slot::default(); N],
            joined: None,
            key: std::marker::PhantomData,
        }
    }
}

impl<'a, K: SlotKey, const N: usize> Slots<'a, K, N> {
    fn get(&self, kw: K) -> &Slot<'a> {
        &self.slots[kw.index()]
    }
    /// 4.10's `translate_field` for one setting (duplicates were already judged by `config`).
    /// `append` for the one keyword of the kind whose values accumulate.
    fn lay(&mut self, kw: K, append: bool, setting: &'a Setting) {
        let raw = Some(setting.raw.as_str());
        let old = match setting.value {
            Value::Text if append => self.str(kw).map(str::to_string),
            _ => None,
        };
        let s = &mut self.slots[kw.index()];
        s.at = Some(&setting.at);
        match &setting.value {
            Value::Text if append => {
                match old {
                    Some(old) => {
                        self.joined = Some(format!("{old} {}", setting.raw));
                        s.joined = true;
                        s.string = None;
                    }
                    None => {
                        s.joined = false;
                        s.string = raw;
                    }
                }
                s.string_set = true;
            }
            Value::Text => {
                s.joined = false;
                s.string = raw;
                s.string_set = true;
            }
            Value::MissingText => {
                s.joined = false;
                s.string = None;
                s.string_set = true;
            }
            Value::Obsolete => {}
            v @ Value::Loose(l) => {
                s.number = v.number().unwrap_or(0);
                s.number_set = true;
                if l.is_none() {
                    s.joined = false;
                    s.string = raw;
                }
            }
            v => {
                s.number = v.number().unwrap_or(0);
                s.number_set = true;
            }
        }
    }
    fn str(&self, kw: K) -> Option<&str> {
        let s = self.get(kw);
        if s.joined {
            self.joined.as_deref()
        } else {
            s.string
        }
    }
    /// The string, as a cheap copy that does not borrow `self`.
    fn cow(&self, kw: K) -> Option<Cow<'a, str>> {
        let s = self.get(kw);
        if s.joined {
            self.joined.clone().map(Cow::Owned)
        } else {
            s.string.map(Cow::Borrowed)
        }
    }
    fn str_set(&self, kw: K) -> Option<&str> {
        self.str(kw).filter(|_| self.get(kw).string_set)
    }
    /// `str_set`, as a cheap copy that does not borrow `self`.
    fn cow_set(&self, kw: K) -> Option<Cow<'a, str>> {
        self.cow(kw).filter(|_| self.get(kw).string_set)
    }
    fn has_str(&self, kw: K) -> bool {
        self.get(kw).string_set
    }
    fn set(&self, kw: K) -> Option<u64> {
        let s = self.get(kw);
        s.number_set.then_some(s.number)
    }
    fn num(&self, kw: K) -> u64 {
        self.get(kw).number
    }
    fn at(&self, kw: K) -> Option<Location> {
        self.get(kw).at.cloned()
    }
    fn preset(&mut self, kw: K, v: u64) {
        self.slots[kw.index()].number = v;
    }
}

/// `struct starter_end`, the parts addconn uses.
#[derive(Clone, Debug)]
pub struct StarterEnd<'a> {
    pub side: Side,
    slots: Slots<'a, EndKw, END_SLOTS>,
    pub family: IpFamily,
    pub addrtype: u64,
    pub addr: Option<IpAddr>,
    pub nexttype: u64,
    pub nexthop: Option<IpAddr>,
    /// Padding bytes 4.10's `ip_address` copies carry (see `End::host_addr_pad`).
    pub addr_pad: [u8; 3],
    pub nexthop_pad: [u8; 3],
    pub subnet_pad: [u8; 3],
    /// `%defaultroute` found the gateway in the kernel's table.
    pub gateway_found: bool,
    pub id: Option<String>,
    pub has_client: bool,
    pub subnet: Option<Subnet>,
    pub virt: Option<String>,
    pub pubkey: Option<String>,
    pub pubkey_type: u64,
    pub pubkey_alg: PubkeyAlgorithm,
    pub key_from_dns: bool,
    pub sourceip: Option<IpAddr>,
    pub vti_ip: Option<Subnet>,
    pub ifaceip: Option<Subnet>,
    pub cert: Option<String>,
    pub ckaid: Option<String>,
    pub ca: Option<String>,
    pub updown: Option<Cow<'a, str>>,
    pub protoport: ProtoPort,
    pub pool_range: Option<Range>,
}

impl<'a> StarterEnd<'a> {
    fn new(side: Side) -> StarterEnd<'a> {
        StarterEnd {
            side,
            slots: Slots::default(),
            family: IpFamily::V4,
            addrtype: kh::NOTSET,
            addr: None,
            nexttype: kh::NOTSET,
            nexthop: None,
            addr_pad: [0; 3],
            nexthop_pad: [0; 3],
            subnet_pad: [0; 3],
            gateway_found: false,
            id: None,
            has_client: false,
            subnet: None,
            virt: None,
            pubkey: None,
            pubkey_type: 0,
            pubkey_alg: PubkeyAlgorithm::None,
            key_from_dns: false,
            sourceip: None,
            vti_ip: None,
            ifaceip: None,
            cert: None,
            ckaid: None,
            ca: None,
            updown: Some(Cow::Borrowed("ipsec _updown")),
            protoport: ProtoPort::default(),
            pool_range: None,
        }
    }
    fn lr(&self) -> &'static str {
        match self.side {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
    /// The raw `left=`/`right=` string (`strings[KSCF_IP]`), possibly left over from `%default`.
    pub fn host_string(&self) -> Option<&str> {
        self.slots.str(EndKw::Ip)
    }
    pub fn subnets(&self) -> Option<&str> {
        self.slots.str_set(EndKw::Subnets)
    }
    pub fn subnet_set(&self) -> bool {
        self.slots.has_str(EndKw::Subnet)
    }
    pub fn number_if_set(&self, kw: EndKw) -> Option<u64> {
        self.slots.set(kw)
    }
    pub fn number(&self, kw: EndKw) -> u64 {
        self.slots.num(kw)
    }
    pub fn string_if_set(&self, kw: EndKw) -> Option<&str> {
        self.slots.str_set(kw)
    }
}

/// `struct starter_conn`, the parts addconn uses.
#[derive(Clone, Debug)]
pub struct StarterConn<'a> {
    pub name: String,
    slots: Slots<'a, Kw, CONN_SLOTS>,
    pub left: StarterEnd<'a>,
    pub right: StarterEnd<'a>,
    pub ike_version: IkeVersion,
    pub policy: Policies,
    pub authby: Authby,
    pub sighash: Sighash,
    pub prospective_shunt: Shunt,
    pub negotiation_shunt: Shunt,
    pub failure_shunt: Shunt,
    pub connalias: Option<Cow<'a, str>>,
    pub ike: Option<Cow<'a, str>>,
    pub esp: Option<Cow<'a, str>>,
    pub modecfg_dns: Option<Cow<'a, str>>,
    pub modecfg_domains: Option<Cow<'a, str>>,
    pub modecfg_banner: Option<Cow<'a, str>>,
    pub sec_label: Option<Cow<'a, str>>,
    pub mark_both: Option<Cow<'a, str>>,
    pub mark_in: Option<Cow<'a, str>>,
    pub mark_out: Option<Cow<'a, str>>,
    pub vti_iface: Option<Cow<'a, str>>,
    pub redirect_to: Option<Cow<'a, str>>,
    pub accept_redirect_to: Option<Cow<'a, str>>,
    /// `auto=` as a number (`enum keyword_auto`).
    pub desired_state: u64,
    /// 4.10 would not send this conn ("did not load properly").
    pub failed: bool,
    /// 4.10's load state when an end leaves the conn incomplete (no `left=`) or invalid (an
    /// interface not found): either replaces "failed", so such a conn is sent despite errors.
    pub incomplete_or_invalid: bool,
}

/// Built once: every conn (and `%default`) starts from a copy.
static BUILTIN_DEFAULT: once_cell::sync::Lazy<StarterConn<'static>> =
    once_cell::sync::Lazy::new(StarterConn::make_builtin_default);

/// One problem 4.10 reports while loading (joined with newlines into its error text).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub message: String,
    pub at: Option<Location>,
}

impl<'a> StarterConn<'a> {
    /// `ipsecconf_default_values`: the conn every conn starts from before `%default`.
    pub fn builtin_default() -> StarterConn<'a> {
        BUILTIN_DEFAULT.clone()
    }

    fn make_builtin_default() -> StarterConn<'static> {
        let mut slots = Slots::default();
        for (kw, v) in [
            (Kw::NatKeepalive, 1),
            (Kw::Type, 0),
            (Kw::InitialContact, 1),
            (Kw::IkePad, 1),
            (Kw::Encaps, 1),
            (Kw::Tcp, 1),
            (Kw::RemoteTcpPort, 4500),
            (Kw::NicOffload, 1),
            (Kw::IkeLifetimeMs, 8 * 3600 * 1000),
            (Kw::ReplayWindow, 128),
            (Kw::RetransmitTimeoutMs, 60_000),
            (Kw::RetransmitIntervalMs, 500),
            (Kw::IpsecLifetimeMs, 8 * 3600 * 1000),
            (Kw::RekeyMarginMs, 9 * 60 * 1000),
            (Kw::IpsecMaxBytes, 1 << 63),
            (Kw::IpsecMaxPackets, 1 << 63),
            (Kw::RekeyFuzz, 100),
            (Kw::XfrmIfId, u32::MAX as u64),
        ] {
            slots.preset(kw, v);
        }
        let mut policy = Policies::default();
        for p in [
            Policy::Tunnel,
            Policy::Encrypt,
            Policy::Pfs,
            Policy::IkeFragAllow,
            Policy::EsnNo,
            Policy::EsnYes,
        ] {
            policy.insert(p);
        }
        StarterConn {
            name: String::new(),
            slots,
            left: StarterEnd::new(Side::Left),
            right: StarterEnd::new(Side::Right),
            ike_version: IkeVersion::V2,
            policy,
            authby: Authby::default(),
            sighash: sighash_defaults(),
            prospective_shunt: Shunt::Unset,
            negotiation_shunt: Shunt::Unset,
            failure_shunt: Shunt::Unset,
            connalias: None,
            ike: None,
            esp: None,
            modecfg_dns: None,
            modecfg_domains: None,
            modecfg_banner: None,
            sec_label: None,
            mark_both: None,
            mark_in: None,
            mark_out: None,
            vti_iface: None,
            redirect_to: None,
            accept_redirect_to: None,
            desired_state: 0,
            failed: false,
            incomplete_or_invalid: false,
        }
    }

    /// Lays a conn's settings over this one (4.10's `translate_conn`): those inherited from
    /// `%default` when `inherited`, else the conn's own (with its also= sections).
    pub fn lay(&mut self, conn: &'a Conn, inherited: bool) {
        let mine = |s: &&Setting| s.inherited == inherited;
        self.lay_settings(
            conn.iter().filter(|(_, s)| mine(s)),
            conn.end(Side::Left).iter().filter(|(_, s)| mine(s)),
            conn.end(Side::Right).iter().filter(|(_, s)| mine(s)),
        );
    }

    /// Lays settings given one by one (what `lay` does for a `Conn`).
    pub fn lay_settings(
        &mut self,
        conn: impl Iterator<Item = (Kw, &'a Setting)>,
        left: impl Iterator<Item = (EndKw, &'a Setting)>,
        right: impl Iterator<Item = (EndKw, &'a Setting)>,
    ) {
        for (kw, setting) in conn {
            self.slots.lay(kw, kw == Kw::ConnAlias, setting);
        }
        for (kw, setting) in left {
            self.left.slots.lay(kw, kw == EndKw::Subnets, setting);
        }
        for (kw, setting) in right {
            self.right.slots.lay(kw, kw == EndKw::Subnets, setting);
        }
    }

    pub fn number_if_set(&self, kw: Kw) -> Option<u64> {
        self.slots.set(kw)
    }
    pub fn number(&self, kw: Kw) -> u64 {
        self.slots.num(kw)
    }
    pub fn connalias_setting(&self) -> Option<&str> {
        self.slots.str(Kw::ConnAlias)
    }

    /// 4.10's `load_conn` after translation: derives policy, shunts, authby and both ends.
    /// Returns false when 4.10 would mark the conn as not loaded.
    pub fn process(&mut self, env: &dyn Env, problems: &mut Vec<Problem>) -> bool {
        let mut ok = true;
        self.incomplete_or_invalid = false;
        if let Some(t) = self.slots.set(Kw::Type) {
            match t {
                0 => {
                    self.policy.insert(Policy::Tunnel);
                    self.prospective_shunt = Shunt::Trap;
                }
                1 => {
                    self.policy.remove(Policy::Tunnel);
                    self.prospective_shunt = Shunt::Trap;
                }
                2..=4 => {
                    for p in [Policy::Encrypt, Policy::Authenticate, Policy::Tunnel] {
                        self.policy.remove(p);
                    }
                    self.authby = Authby::default();
                    self.prospective_shunt =
                        [Shunt::Pass, Shunt::Drop, Shunt::Reject][t as usize - 2];
                }
                _ => {}
            }
        }
        match self.slots.set(Kw::NegotiationShunt) {
            Some(0) => self.negotiation_shunt = Shunt::Pass,
            Some(1) => self.negotiation_shunt = Shunt::Hold,
            _ => {}
        }
        match self.slots.set(Kw::FailureShunt) {
            Some(0) => self.failure_shunt = Shunt::None,
            Some(1) => self.failure_shunt = Shunt::Pass,
            Some(2) => self.failure_shunt = Shunt::Drop,
            Some(3) => self.failure_shunt = Shunt::Reject,
            _ => {}
        }
        for (kw, p, inverted) in [
            (Kw::Compress, Policy::Compress, false),
            (Kw::Pfs, Policy::Pfs, false),
            (Kw::IkePad, Policy::NoIkepad, true),
            (Kw::Rekey, Policy::DontRekey, true),
            (Kw::Reauth, Policy::Reauth, false),
            (Kw::AggrMode, Policy::Aggressive, false),
            (Kw::ModecfgPull, Policy::ModecfgPull, false),
            (Kw::OverlapIp, Policy::OverlapIp, false),
            (Kw::Ikev2AllowNarrowing, Policy::Ikev2AllowNarrowing, false),
            (Kw::Mobike, Policy::Mobike, false),
            (Kw::Ikev2PamAuthorize, Policy::Ikev2PamAuthorize, false),
            (Kw::DecapDscp, Policy::DecapDscp, false),
            (Kw::NoPmtuDisc, Policy::NoPmtuDisc, false),
            (Kw::MsdhDowngrade, Policy::MsdhDowngrade, false),
            (Kw::DnsMatchId, Policy::DnsMatchId, false),
            (Kw::Sha2Truncbug, Policy::Sha2Truncbug, false),
            (Kw::Intermediate, Policy::Intermediate, false),
            (Kw::IgnorePeerDns, Policy::IgnorePeerDns, false),
        ] {
            if let Some(v) = self.slots.set(kw) {
                self.policy.set(p, (v != 0) != inverted);
            }
        }
        if self.slots.set(Kw::SanOnCert) == Some(0) {
            self.policy.insert(Policy::AllowNoSan);
        }
        for (field, kw) in [
            (&mut self.connalias, Kw::ConnAlias),
            (&mut self.ike, Kw::Ike),
            (&mut self.esp, Kw::Esp),
            (&mut self.modecfg_dns, Kw::ModecfgDns),
            (&mut self.modecfg_domains, Kw::ModecfgDomains),
            (&mut self.modecfg_banner, Kw::ModecfgBanner),
            (&mut self.sec_label, Kw::SaSecLabel),
            (&mut self.mark_both, Kw::ConnMarkBoth),
            (&mut self.mark_in, Kw::ConnMarkIn),
            (&mut self.mark_out, Kw::ConnMarkOut),
            (&mut self.vti_iface, Kw::VtiIface),
            (&mut self.redirect_to, Kw::RedirectTo),
            (&mut self.accept_redirect_to, Kw::AcceptRedirectTo),
        ] {
            if self.slots.has_str(kw) {
                *field = self.slots.cow(kw);
            }
        }
        if let Some(v) = self.slots.set(Kw::Phase2) {
            self.policy.remove(Policy::Authenticate);
            self.policy.remove(Policy::Encrypt);
            // POLICY_ENCRYPT is bit 0, POLICY_AUTHENTICATE bit 1.
            if v & 1 != 0 {
                self.policy.insert(Policy::Encrypt);
            }
            if v & 2 != 0 {
                self.policy.insert(Policy::Authenticate);
            }
        }
        if let Some(v) = self.slots.set(Kw::Ikev2) {
            self.ike_version = if v <= 1 {
                IkeVersion::V1
            } else {
                IkeVersion::V2
            };
        }
        let v2 = self.ike_version == IkeVersion::V2;
        if let (Some(v), true) = (self.slots.set(Kw::SendRedirect), v2) {
            match v {
                3 => self.policy.insert(Policy::SendRedirectAlways),
                2 => self.policy.insert(Policy::SendRedirectNever),
                _ => {}
            }
        }
        if let (Some(3), true) = (self.slots.set(Kw::AcceptRedirect), v2) {
            self.policy.insert(Policy::AcceptRedirectYes);
        }
        if let (Some(v), true) = (self.slots.set(Kw::Ppk), v2) {
            if v >= 1 {
                self.policy.insert(Policy::PpkAllow);
            }
            if v == 3 {
                self.policy.insert(Policy::PpkInsist);
            }
        }
        if let Some(v) = self.slots.set(Kw::Esn) {
            self.policy.remove(Policy::EsnNo);
            self.policy.remove(Policy::EsnYes);
            match v {
                2 => self.policy.insert(Policy::EsnYes),
                1 => self.policy.insert(Policy::EsnNo),
                3 => {
                    self.policy.insert(Policy::EsnNo);
                    self.policy.insert(Policy::EsnYes);
                }
                _ => {}
            }
        }
        if let Some(v) = self.slots.set(Kw::IkeFrag) {
            self.policy.remove(Policy::IkeFragAllow);
            self.policy.remove(Policy::IkeFragForce);
            if v == 1 || v == 2 {
                self.policy.insert(Policy::IkeFragAllow);
            }
            if v == 2 {
                self.policy.insert(Policy::IkeFragForce);
            }
        }
        if self.slots.has_str(Kw::Authby) {
            let value = self.slots.cow(Kw::Authby).unwrap_or_default();
            if let Err(e) = self.authby_from(&value) {
                problems.push(Problem {
                    message: e.into(),
                    at: self.slots.at(Kw::Authby),
                });
                return false;
            }
        }
        if !self.policy.contains(Policy::Encrypt) && !self.policy.contains(Policy::Authenticate) {
            for p in [
                Policy::Pfs,
                Policy::Compress,
                Policy::EsnNo,
                Policy::EsnYes,
                Policy::DecapDscp,
                Policy::NoPmtuDisc,
                Policy::IkeFragAllow,
                Policy::IkeFragForce,
            ] {
                self.policy.remove(p);
            }
        }
        let family = match self.slots.num(Kw::HostAddrFamily) {
            AF_INET => Some(IpFamily::V4),
            AF_INET6 => Some(IpFamily::V6),
            _ => None,
        };
        let family = family.unwrap_or_else(|| {
            let v6 = [&self.left, &self.right].iter().any(|e| {
                [e.slots.str(EndKw::Ip), e.slots.str(EndKw::NextHop)]
                    .into_iter()
                    .flatten()
                    .any(|s| s.contains(':') || s == "%defaultroute6" || s == "%any6")
            });
            if v6 {
                IpFamily::V6
            } else {
                IpFamily::V4
            }
        });
        self.left.family = family;
        self.right.family = family;
        let version = self.ike_version;
        for side in [Side::Left, Side::Right] {
            let end = match side {
                Side::Left => &mut self.left,
                Side::Right => &mut self.right,
            };
            ok &= validate_end(
                end,
                version,
                &mut self.policy,
                &mut self.incomplete_or_invalid,
                env,
                problems,
            );
        }
        if let Some(v) = self.slots.set(Kw::Auto) {
            self.desired_state = v;
        }
        if self.desired_state == 5 {
            self.policy.insert(Policy::Up);
        }
        ok
    }

    fn authby_from(&mut self, value: &str) -> Result<(), &'static str> {
        self.sighash = Sighash::default();
        self.authby = Authby::default();
        let sha2 = |s: &mut Sighash| {
            s.sha2_256 = true;
            s.sha2_384 = true;
            s.sha2_512 = true;
        };
        // shunk_token with ", " delimiters: empty tokens between delimiters count (and fail).
        let mut rest = Some(value);
        while let Some(r) = rest {
            let (tok, next) = match r.find([',', ' ']) {
                Some(i) => (&r[..i], Some(&r[i + 1..])),
                None => (r, None),
            };
            rest = next;
            match tok {
                "secret" => self.authby.psk = true,
                "rsasig" | "rsa" => {
                    self.authby.rsasig = true;
                    self.authby.rsasig_v1_5 = true;
                    sha2(&mut self.sighash);
                }
                "never" => self.authby.never = true,
                _ if self.ike_version == IkeVersion::V1 => {
                    return Err("ikev1 connection must use authby= of rsasig, secret or never")
                }
                "null" => self.authby.null = true,
                "rsa-sha1" => self.authby.rsasig_v1_5 = true,
                "rsa-sha2" => {
                    self.authby.rsasig = true;
                    sha2(&mut self.sighash);
                }
                "rsa-sha2_256" => {
                    self.authby.rsasig = true;
                    self.sighash.sha2_256 = true;
                }
                "rsa-sha2_384" => {
                    self.authby.rsasig = true;
                    self.sighash.sha2_384 = true;
                }
                "rsa-sha2_512" => {
                    self.authby.rsasig = true;
                    self.sighash.sha2_512 = true;
                }
                "ecdsa" | "ecdsa-sha2" => {
                    self.authby.ecdsa = true;
                    sha2(&mut self.sighash);
                }
                "ecdsa-sha2_256" => {
                    self.authby.ecdsa = true;
                    self.sighash.sha2_256 = true;
                }
                "ecdsa-sha2_384" => {
                    self.authby.ecdsa = true;
                    self.sighash.sha2_384 = true;
                }
                "ecdsa-sha2_512" => {
                    self.authby.ecdsa = true;
                    self.sighash.sha2_512 = true;
                }
                "ecdsa-sha1" => return Err("authby=ecdsa cannot use sha1, only sha2"),
                _ => return Err("connection authby= value is unknown"),
            }
        }
        Ok(())
    }
}

fn sighash_defaults() -> Sighash {
    Sighash {
        sha2_256: true,
        sha2_384: true,
        sha2_512: true,
        ..Sighash::default()
    }
}

/// The address 4.10 prints for an address (`ipstr`), used where it becomes an ID.
fn ipstr(a: Option<IpAddr>) -> String {
    match a {
        None => "<unset-address>".into(),
        Some(a) => a.to_string(),
    }
}

/// 4.10's `validate_end`. Returns false on a fatal problem.
fn validate_end(
    end: &mut StarterEnd<'_>,
    version: IkeVersion,
    policy: &mut Policies,
    incomplete_or_invalid: &mut bool,
    env: &dyn Env,
    problems: &mut Vec<Problem>,
) -> bool {
    let lr = end.lr();
    let mut ok = true;
    let mut err = |end: &StarterEnd, kw: EndKw, message: String| {
        problems.push(Problem {
            message,
            at: end.slots.at(kw),
        });
        ok = false;
    };
    if end.slots.set(EndKw::Ip).is_none() {
        *incomplete_or_invalid = true;
    }
    end.addrtype = end.slots.num(EndKw::Ip);
    match end.addrtype {
        kh::ANY => end.addr = None,
        kh::IPADDR => {
            let s = end.slots.cow(EndKw::Ip).unwrap_or_default();
            if let Some(iface) = s.strip_prefix('%') {
                match env.interface(iface, end.family) {
                    Some((a, nh)) => {
                        if a.is_some() {
                            end.addr = a;
                            // What 4.10's copy of the kernel's IPv4 answer carries.
                            if end.family == IpFamily::V4 {
                                end.addr_pad = [0x61, 0, 0];
                            }
                        }
                        if nh.is_some() {
                            end.nexthop = nh;
                        }
                    }
                    None => *incomplete_or_invalid = true,
                }
                end.addrtype = kh::IFACE;
            } else {
                match values::address_num(&s, Some(end.family)) {
                    Ok(a) => end.addr = Some(a),
                    Err(_) => {
                        end.addr = None;
                        end.addrtype = kh::IPHOSTNAME;
                    }
                }
                // Unless `leftid=` replaces it below anyway.
                if end.id.is_none() && end.slots.str_set(EndKw::Id).is_none() {
                    end.id = Some(ipstr(end.addr));
                }
            }
        }
        kh::OPPO => policy.insert(Policy::Opportunistic),
        kh::OPPOGROUP => {
            policy.insert(Policy::Opportunistic);
            policy.insert(Policy::Group);
        }
        kh::GROUP => policy.insert(Policy::Group),
        _ => {}
    }

    if let Some(v) = end.slots.cow_set(EndKw::VtiIp) {
        match values::cidr(&v) {
            Ok(c) => end.vti_ip = Some(c),
            Err(e) => err(end, EndKw::VtiIp, format!("bad addr {lr}vti={v} [{e}]")),
        }
    }

    if let Some(v) = end.slots.cow_set(EndKw::Subnet) {
        if end.slots.has_str(EndKw::AddressPool) {
            err(
                end,
                EndKw::Subnet,
                format!("cannot specify both {lr}subnet= and {lr}addresspool="),
            );
        }
        if v.starts_with("vhost:") || v.starts_with("vnet:") {
            if version != IkeVersion::V1 {
                err(
                    end,
                    EndKw::Subnet,
                    "The vnet: and vhost: keywords are only valid for IKEv1 connections".into(),
                );
            }
            end.virt = Some(v.into_owned());
        } else {
            end.has_client = true;
            match values::subnet(&v, None, false) {
                Ok(s) => {
                    end.subnet = Some(s);
                    end.subnet_pad = [0; 3];
                }
                Err(e) => err(
                    end,
                    EndKw::Subnet,
                    format!("bad subnet {lr}subnet={v} [{e}]"),
                ),
            }
        }
    }

    end.nexthop = Some(values::zero(end.family));
    if let Some(v) = end.slots.cow_set(EndKw::NextHop) {
        if v.eq_ignore_ascii_case("%defaultroute") {
            end.nexttype = kh::DEFAULTROUTE;
        } else {
            let nh = match values::address_num(&v, Some(end.family)) {
                Ok(a) => Some(a),
                Err(_) => match env.resolve(&v, end.family) {
                    Some(a) => Some(a),
                    None => {
                        err(
                            end,
                            EndKw::NextHop,
                            format!("bad value for {lr}nexthop={v}\n"),
                        );
                        None
                    }
                },
            };
            end.nexthop = nh;
            end.nexttype = kh::IPADDR;
        }
    } else if end.addrtype == kh::DEFAULTROUTE {
        end.nexttype = kh::DEFAULTROUTE;
    }

    if let Some(v) = end.slots.str_set(EndKw::Id) {
        let mut id = v.to_string();
        if !id.starts_with('@') && id.contains(",,") && id.contains('=') {
            while let Some(i) = id.find(",,") {
                id.replace_range(i..i + 1, "\\");
            }
        }
        end.id = Some(id);
    }

    for (kw, alg) in [
        (EndKw::RsaSigKey, PubkeyAlgorithm::Rsa),
        (EndKw::EcdsaKey, PubkeyAlgorithm::Ecdsa),
        (EndKw::Pubkey, PubkeyAlgorithm::SubjectPublicKeyInfo),
    ] {
        let Some(t) = end.slots.set(kw) else { continue };
        if end.pubkey.is_some() {
            err(end, kw, "duplicate public key".into());
        }
        end.pubkey_type = t;
        end.pubkey_alg = alg;
        if t == pk::DNSONDEMAND {
            end.key_from_dns = true;
        } else {
            end.key_from_dns = false;
            if let Some(s) = end.slots.str(kw) {
                end.pubkey = Some(s.to_string());
            }
        }
    }

    if let Some(v) = end.slots.cow_set(EndKw::SourceIp) {
        // A name that resolves is accepted but, as in 4.10, leaves the address unset.
        let ip = match values::address_num(&v, None) {
            Ok(a) => Some(a),
            Err(_) => {
                if env.resolve(&v, IpFamily::V4).is_none()
                    && env.resolve(&v, IpFamily::V6).is_none()
                {
                    err(
                        end,
                        EndKw::SourceIp,
                        format!("bad value for {lr}sourceip={v}\n"),
                    );
                }
                None
            }
        };
        end.sourceip = ip;
        if !end.has_client {
            // 4.10's subnet made from an IPv6 address keeps some of its bytes in the padding.
            if let Some(IpAddr::V6(v6)) = ip {
                end.subnet_pad.copy_from_slice(&v6.octets()[1..4]);
            }
            end.subnet = ip.map(|a| Subnet {
                addr: a,
                prefix: if family_of(&a) == IpFamily::V4 {
                    32
                } else {
                    128
                },
            });
            end.has_client = true;
        }
        if let Some(i) = end.slots.cow_set(EndKw::InterfaceIp) {
            err(
                end,
                EndKw::SourceIp,
                format!("cannot specify  {lr}interface-ip={i} and  {lr}ssourceip={v}"),
            );
        }
    }

    if end.slots.has_str(EndKw::Cert) && end.slots.has_str(EndKw::Ckaid) {
        err(
            end,
            EndKw::Ckaid,
            format!("only one of {lr}cert and {lr}ckaid can be specified"),
        );
    }
    if end.slots.has_str(EndKw::Cert) {
        end.cert = end.slots.str(EndKw::Cert).map(str::to_string);
    }
    if let Some(c) = end.slots.cow_set(EndKw::Ckaid) {
        if let Err(e) = values::data(&c, 16) {
            err(end, EndKw::Ckaid, format!("invalid {lr}ckaid: {e}"));
        }
        end.ckaid = Some(c.into_owned());
    }
    if end.slots.has_str(EndKw::Ca) {
        end.ca = end.slots.str(EndKw::Ca).map(str::to_string);
    }
    if end.slots.has_str(EndKw::Updown) {
        end.updown = end.slots.cow(EndKw::Updown);
    }
    if let Some(v) = end.slots.cow_set(EndKw::ProtoPort) {
        match values::protoport(&v) {
            Ok(p) => end.protoport = p,
            Err(e) => {
                end.protoport = ProtoPort::default();
                err(
                    end,
                    EndKw::ProtoPort,
                    format!("bad {lr}protoport={v} [{e}]"),
                );
            }
        }
    }
    if let Some(v) = end.slots.cow_set(EndKw::AddressPool) {
        if end.slots.has_str(EndKw::Subnet) {
            err(
                end,
                EndKw::AddressPool,
                format!("cannot specify both {lr}subnet= and {lr}addresspool="),
            );
        }
        match values::range(&v) {
            Ok(r) => {
                end.pool_range = Some(r);
                if family_of(&r.start) == IpFamily::V6 && !r.is_subnet {
                    err(
                        end,
                        EndKw::AddressPool,
                        format!("bad IPv6 {lr}addresspool={v} not subnet"),
                    );
                }
            }
            Err(e) => {
                end.pool_range = None;
                err(
                    end,
                    EndKw::AddressPool,
                    format!("bad {lr}addresspool={v} [{e}]"),
                );
            }
        }
    }
    if let Some(v) = end.slots.cow_set(EndKw::InterfaceIp) {
        match values::cidr(&v) {
            Ok(c) => end.ifaceip = Some(c),
            Err(e) => err(
                end,
                EndKw::InterfaceIp,
                format!("bad addr {lr}interface-ip={v} [{e}]"),
            ),
        }
    }
    if end.slots.set(EndKw::XauthServer).is_some() || end.slots.set(EndKw::XauthClient).is_some() {
        policy.insert(Policy::Xauth);
    }
    ok
}
