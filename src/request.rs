//! What to ask pluto, in terms that do not depend on any libreswan release's wire layout.
//!
//! A `Request` is what one run of `ipsec whack` (or one message of `ipsec addconn`) asks for.
//! `wire::<release>` turns it into that release's bytes; nothing here knows offsets or magic
//! numbers. Enumerations name meanings (`Shunt::Drop`), not numbers; each profile maps them.

use std::net::IpAddr;

/// One message to pluto.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// Connection (or, with `delete_id`, identity) the request is about.
    pub name: Option<String>,
    pub status: bool,
    /// `--listen`: what `ipsec auto --ready` asks.
    pub listen: bool,
    pub reread: Reread,
    pub list: List,
    pub purge_ocsp: bool,
    pub initiate: bool,
    pub terminate: bool,
    pub delete: bool,
    pub route: bool,
    pub unroute: bool,
    /// `--asynchronous`: pluto answers at once; whack's exit status ignores error codes.
    pub asynchronous: bool,
    /// `--remote-host` with `--initiate`: the peer address for a `%any` connection.
    pub remote_host: Option<String>,
    /// `--ctlsocket` or `--rundir` was named: whack then never uses its basic magic.
    pub socket_named: bool,
    /// A connection to add (what `ipsec addconn` sends for one conn).
    pub connection: Option<Box<Connection>>,
    /// A public key to add (what `ipsec addconn` sends for a raw `leftrsasigkey=`).
    pub key: Option<Key>,
    /// Which tool's message this mirrors: the two start from different defaults.
    pub sender: Sender,
}

/// whack's option parser fills a message with its defaults before reading options; addconn
/// starts from an all-zero message. Both matter for byte equality.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sender {
    #[default]
    Whack,
    Addconn,
}

/// `--reread*` and `--fetchcrls`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reread {
    pub secrets: bool,
    pub crls: bool,
    pub fetch_crls: bool,
    pub certs: bool,
}

impl Reread {
    pub const ALL: Reread = Reread {
        secrets: true,
        crls: true,
        fetch_crls: true,
        certs: true,
    };
    pub fn any(&self) -> bool {
        self.secrets || self.crls || self.fetch_crls || self.certs
    }
}

/// `--list*` options; `all` is `--listall` (every list and the public keys).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct List {
    pub utc: bool,
    pub all: bool,
    pub pubkeys: bool,
    pub check_pubkeys: bool,
    pub certs: bool,
    pub cacerts: bool,
    pub crls: bool,
    pub psks: bool,
    pub events: bool,
}

/// `whack --keyid ID --pubkeyrsa KEY` (or `--addkey`): a raw public key for an identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Key {
    pub keyid: String,
    pub add: bool,
    pub algorithm: PubkeyAlgorithm,
    /// The decoded key material.
    pub value: Vec<u8>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PubkeyAlgorithm {
    #[default]
    None,
    Dsa,
    Rsa,
    Ecdsa,
    SubjectPublicKeyInfo,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IkeVersion {
    #[default]
    Unset,
    V1,
    V2,
}

listed_enum! {
    /// Connection policy flags, by meaning. A profile maps each to its release's bit.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Policy {
        Encrypt,
        Authenticate,
        Compress,
        Tunnel,
        Pfs,
        DecapDscp,
        NoPmtuDisc,
        MsdhDowngrade,
        AllowNoSan,
        DnsMatchId,
        Sha2Truncbug,
        DontRekey,
        Reauth,
        Opportunistic,
        Group,
        GroupRouted,
        GroupInstance,
        Up,
        Xauth,
        ModecfgPull,
        Aggressive,
        OverlapIp,
        Ikev2AllowNarrowing,
        Ikev2PamAuthorize,
        SendRedirectAlways,
        SendRedirectNever,
        AcceptRedirectYes,
        IkeFragAllow,
        IkeFragForce,
        NoIkepad,
        Mobike,
        PpkAllow,
        PpkInsist,
        EsnNo,
        EsnYes,
        Intermediate,
        IgnorePeerDns,
    }
}

/// A set of `Policy` flags (a bit per variant, in our own numbering).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policies(u64);

impl Policies {
    pub fn contains(&self, p: Policy) -> bool {
        self.0 & (1u64 << p as u32) != 0
    }
    pub fn insert(&mut self, p: Policy) {
        self.0 |= 1u64 << p as u32;
    }
    pub fn remove(&mut self, p: Policy) {
        self.0 &= !(1u64 << p as u32);
    }
    pub fn set(&mut self, p: Policy, on: bool) {
        if on {
            self.insert(p)
        } else {
            self.remove(p)
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = Policy> + '_ {
        Policy::ALL.iter().copied().filter(|p| self.contains(*p))
    }
}

/// Authentication methods a connection allows (`authby=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Authby {
    pub psk: bool,
    pub null: bool,
    pub never: bool,
    pub rsasig: bool,
    pub ecdsa: bool,
    pub rsasig_v1_5: bool,
}

/// RFC 7427 signature hashes a connection accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sighash {
    pub sha1: bool,
    pub sha2_256: bool,
    pub sha2_384: bool,
    pub sha2_512: bool,
    pub identity: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shunt {
    #[default]
    Unset,
    None,
    Hold,
    Trap,
    Pass,
    Drop,
    Reject,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DpdAction {
    #[default]
    Disabled,
    Clear,
    Hold,
    Restart,
}

/// A yes/no/auto choice (`encapsulation=`, `nic-offload=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Yna {
    #[default]
    Unset,
    Auto,
    No,
    Yes,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tcp {
    #[default]
    Unset,
    No,
    Only,
    Fallback,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NattPolicy {
    #[default]
    Both,
    Rfc,
    Drafts,
    None,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XauthBy {
    #[default]
    File,
    Pam,
    AlwaysOk,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XauthFail {
    #[default]
    Hard,
    Soft,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SendCa {
    #[default]
    None,
    Issuer,
    All,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GlobalRedirect {
    #[default]
    Unset,
    No,
    Yes,
    Auto,
}

/// `leftauth=` / `rightauth=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EndAuth {
    #[default]
    Unset,
    Never,
    Psk,
    Rsasig,
    Ecdsa,
    Null,
    EapOnly,
}

/// What kind of host address an end names (`left=%defaultroute`, `%any`, an address, a name...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HostType {
    #[default]
    NotSet,
    DefaultRoute,
    Any,
    Iface,
    Oppo,
    OppoGroup,
    Group,
    IpHostname,
    IpAddr,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SendCert {
    #[default]
    Unset,
    Never,
    IfAsked,
    Always,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Eap {
    #[default]
    None,
    Tls,
}

/// An address, a subnet or a range; `None` where unset. Prefix lengths ride along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet {
    pub addr: IpAddr,
    pub prefix: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: IpAddr,
    pub end: IpAddr,
    /// Written as a subnet in the config (a printing hint pluto keeps).
    pub is_subnet: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProtoPort {
    pub is_set: bool,
    pub has_port_wildcard: bool,
    pub port: u16,
    pub protocol: u8,
}

/// One side of a connection (`left*=` or `right*=`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct End {
    pub id: Option<String>,
    pub ca: Option<String>,
    pub groups: Option<String>,
    pub cert: Option<String>,
    pub ckaid: Option<String>,
    pub pubkey: Option<String>,
    pub pubkey_alg: PubkeyAlgorithm,
    pub auth: EndAuth,
    pub host_type: HostType,
    pub host_addr: Option<IpAddr>,
    /// Some address families are known without an address (`%any6`): the family is kept.
    pub host_family_only: Option<IpFamily>,
    pub host_ikeport: u32,
    pub host_nexthop: Option<IpAddr>,
    pub host_nexthop_family_only: Option<IpFamily>,
    pub host_srcip: Option<IpAddr>,
    pub host_vtiip: Option<Subnet>,
    pub ifaceip: Option<Subnet>,
    pub client: Option<Subnet>,
    pub protoport: ProtoPort,
    pub key_from_dns_on_demand: bool,
    pub updown: Option<String>,
    pub virt: Option<String>,
    pub pool_range: Option<Range>,
    pub xauth_server: bool,
    pub xauth_client: bool,
    pub xauth_username: Option<String>,
    pub modecfg_server: bool,
    pub modecfg_client: bool,
    pub cat: bool,
    pub sendcert: SendCert,
    pub eap: Eap,
    pub send_ca: bool,
    pub certtype: u32,
    pub host_addr_name: Option<String>,
    /// The three padding bytes after `host_addr`'s is-set flag. 4.10 leaves them as its stack
    /// had them; where that is the same on every run (addresses found by `%defaultroute`)
    /// addconn's messages carry those bytes, reproduced here for byte identity.
    pub host_addr_pad: [u8; 3],
    /// The same for `host_nexthop`.
    pub host_nexthop_pad: [u8; 3],
    /// The same for `client` (a subnet made from an IPv6 `sourceip=`).
    pub client_pad: [u8; 3],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpFamily {
    V4,
    V6,
}

/// A connection description: the fields `ipsec addconn` fills in for one `conn`.
///
/// Durations are in milliseconds. `Default` is all zero and unset, which is where `addconn`
/// starts; `whack_cli()` is where whack's own option parser starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Connection {
    pub ike_version: IkeVersion,
    pub policy: Policies,
    pub authby: Authby,
    pub sighash: Sighash,
    pub prospective_shunt: Shunt,
    pub negotiation_shunt: Shunt,
    pub failure_shunt: Shunt,
    pub ike_lifetime_ms: u64,
    pub ipsec_lifetime_ms: u64,
    pub rekey_margin_ms: u64,
    pub ipsec_max_bytes: u64,
    pub ipsec_max_packets: u64,
    pub rekey_fuzz: u64,
    pub keying_tries: u64,
    pub replay_window: u64,
    pub retransmit_timeout_ms: u64,
    pub retransmit_interval_ms: u64,
    pub nic_offload: Yna,
    pub xfrm_if_id: u32,
    pub dpd_delay_ms: u64,
    pub dpd_timeout_ms: u64,
    pub dpd_action: DpdAction,
    pub dpd_count: i32,
    pub remote_peer_cisco: bool,
    pub encaps: Yna,
    pub remote_tcpport: i32,
    pub iketcp: Tcp,
    pub nat_keepalive: bool,
    pub ikev1_natt: NattPolicy,
    pub initial_contact: bool,
    pub cisco_unity: bool,
    pub fake_strongswan: bool,
    pub send_vendorid: bool,
    pub nm_configured: bool,
    pub xauthby: XauthBy,
    pub xauthfail: XauthFail,
    pub send_ca: SendCa,
    pub mtu: i32,
    pub sa_priority: u32,
    pub sa_tfcpad: u32,
    pub send_no_esp_tfc: bool,
    pub sa_reqid: u32,
    pub nflog_group: i32,
    pub sec_label: Option<String>,
    pub left: End,
    pub right: End,
    /// Address family between the clients, where known.
    pub tunnel_family: Option<IpFamily>,
    pub ike: Option<String>,
    /// `esp=` as pluto wants it (with any `pfsgroup=` already folded in as `esp;group`).
    pub esp: Option<String>,
    pub connalias: Option<String>,
    pub modecfg_dns: Option<String>,
    pub modecfg_domains: Option<String>,
    pub modecfg_banner: Option<String>,
    pub mark_both: Option<String>,
    pub mark_in: Option<String>,
    pub mark_out: Option<String>,
    pub vti_iface: Option<String>,
    pub vti_routing: bool,
    pub vti_shared: bool,
    pub global_redirect: GlobalRedirect,
    pub global_redirect_to: Option<String>,
    pub redirect_to: Option<String>,
    pub accept_redirect_to: Option<String>,
    pub metric: i32,
    pub dnshostname: Option<String>,
}

impl Connection {
    /// The values whack's command line parser starts from (and sends even for `--status`).
    pub fn whack_cli() -> Self {
        let updown = Some("ipsec _updown".to_string());
        Connection {
            ike_version: IkeVersion::V2,
            policy: Policies::default(),
            authby: Authby::default(),
            sighash: Sighash {
                sha2_256: true,
                sha2_384: true,
                sha2_512: true,
                ..Sighash::default()
            },
            prospective_shunt: Shunt::Unset,
            negotiation_shunt: Shunt::Unset,
            failure_shunt: Shunt::Unset,
            ike_lifetime_ms: 8 * 3600 * 1000,
            ipsec_lifetime_ms: 8 * 3600 * 1000,
            rekey_margin_ms: 9 * 60 * 1000,
            ipsec_max_bytes: 1 << 63,
            ipsec_max_packets: 1 << 63,
            rekey_fuzz: 100,
            keying_tries: 0,
            replay_window: 128,
            retransmit_timeout_ms: 60_000,
            retransmit_interval_ms: 500,
            nic_offload: Yna::Auto,
            xfrm_if_id: u32::MAX,
            dpd_delay_ms: 0,
            dpd_timeout_ms: 0,
            dpd_action: DpdAction::Disabled,
            dpd_count: 0,
            remote_peer_cisco: false,
            encaps: Yna::Unset,
            remote_tcpport: 4500,
            iketcp: Tcp::No,
            nat_keepalive: true,
            ikev1_natt: NattPolicy::Both,
            initial_contact: false,
            cisco_unity: false,
            fake_strongswan: false,
            send_vendorid: false,
            nm_configured: false,
            xauthby: XauthBy::File,
            xauthfail: XauthFail::Hard,
            send_ca: SendCa::None,
            mtu: 0,
            sa_priority: 0,
            sa_tfcpad: 0,
            send_no_esp_tfc: false,
            sa_reqid: 0,
            nflog_group: 0,
            sec_label: None,
            left: End {
                updown: updown.clone(),
                ..End::default()
            },
            right: End {
                updown,
                ..End::default()
            },
            tunnel_family: None,
            ike: None,
            esp: None,
            connalias: None,
            modecfg_dns: None,
            modecfg_domains: None,
            modecfg_banner: None,
            mark_both: None,
            mark_in: None,
            mark_out: None,
            vti_iface: None,
            vti_routing: false,
            vti_shared: false,
            global_redirect: GlobalRedirect::Unset,
            global_redirect_to: None,
            redirect_to: None,
            accept_redirect_to: None,
            metric: 0,
            dnshostname: None,
        }
    }
}

impl Request {
    /// A request about one named connection.
    pub fn named(name: &str) -> Request {
        Request {
            name: Some(name.to_string()),
            socket_named: true,
            ..Request::default()
        }
    }
}
