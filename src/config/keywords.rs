//! libreswan 4.10's ipsec.conf keyword table (lib/libipsecconf/keywords.c) as data.
//!
//! One [`KwDef`] row per keyword name 4.10 knows, in 4.10's table order (the order matters:
//! 4.10's lookup takes the first row that matches). Rows behind a compile-time flag carry the
//! flag's name and whether Debian 12's libreswan 4.10 build has it (checked against
//! `ipsec addconn --checkconfig`); a row Debian's build lacks is treated as an unknown word.
//!
//! Old names: 4.10 accepts these silently as other names of a field (no warning):
//! plutostderrlog (logfile), virtual_private, ikev1-secctx-attr-type / secctx-attr-type,
//! xauthusername (username), keylife / lifetime / salifetime (ipsec-lifetime), policy-label
//! (sec-label), remote_peer_type, ah / phase2alg (esp), aggrmode (aggressive). Obsolete words
//! ([`Type::Obsolete`]: interfaces, forceencaps) are accepted, warned about and ignored. Any
//! other unknown word is a syntax error, except `x-…`/`x_…` comments. Value-list aliases
//! (e.g. auto=route for ondemand, failureshunt=hold for drop) are rows of the `values` lists.

use std::collections::HashMap;

use once_cell::sync::Lazy;

/// Where a keyword may stand and how 4.10 treats it (4.10's `kv_*` bits).
pub mod kv {
    /// May stand in `config setup`.
    pub const CONFIG: u16 = 1 << 0;
    /// May stand in a `conn` section.
    pub const CONN: u16 = 1 << 1;
    /// Comes as `leftNAME=` / `rightNAME=` (a bare `NAME=` sets the right end only, as in 4.10).
    pub const LEFTRIGHT: u16 = 1 << 2;
    /// Another name for a keyword.
    pub const ALIAS: u16 = 1 << 5;
    /// A policy-affecting word.
    pub const POLICY: u16 = 1 << 6;
    /// Processed specially by 4.10 (not passed on literally).
    pub const PROCESSED: u16 = 1 << 7;
    /// Repeating it through also= is not a conflict.
    pub const DUPLICATEOK: u16 = 1 << 8;
    /// A time whose unit-less numbers are milliseconds rather than seconds.
    pub const MILLISECONDS: u16 = 1 << 9;
}

/// 4.10's value types (`kt_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    String,
    /// A string; repeated settings are joined with a space (also=, connalias=).
    AppendString,
    /// A list; repeated settings are joined with a space (subnets=).
    AppendList,
    Filename,
    Dirname,
    /// yes/no (also y/n, true/false, on/off; lower case only).
    Bool,
    /// yes/no stored as written; the meaning is inverted by its user.
    InvertBool,
    /// One name from `values`.
    Enum,
    /// Several names from `values`, or-ed together.
    List,
    /// A set of debug bits (plutodebug=).
    Lset,
    /// One of the `%`-names in `values`, or any other string.
    LooseEnum,
    /// A public key, or one of `values` (`%cert`, `%dns`, `%dnsondemand`).
    Pubkey,
    Number,
    /// A duration with optional unit (ms, s, m, h, d, w); see [`kv::MILLISECONDS`].
    Time,
    /// `N%`.
    Percent,
    /// A byte count with optional IEC unit (KiB ... EiB).
    Byte,
    /// A count with optional IEC prefix (Ki ... Ei).
    Binary,
    Range,
    IpAddr,
    Subnet,
    IdType,
    BitString,
    /// An `x-`/`x_` comment (kept, not interpreted).
    Comment,
    /// Accepted, warned about and ignored.
    Obsolete,
    /// Accepted and ignored (4.10 still logs it).
    ObsoleteQuiet,
}

/// The `config setup` fields (4.10's `KSF_*` strings and `KBF_*` numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetupKw {
    CurlIface,
    VirtualPrivate,
    Syslog,
    DumpDir,
    StatsBinary,
    IpsecDir,
    NssDir,
    SecretsFile,
    MyVendorId,
    LogFile,
    DnssecRootkeyFile,
    DnssecAnchors,
    Protostack,
    GlobalRedirect,
    GlobalRedirectTo,
    Listen,
    OcspUri,
    OcspTrustname,
    UniqueIds,
    DoDnssec,
    LogTime,
    LogAppend,
    LogIp,
    AuditLog,
    IkeBuf,
    IkeErrqueue,
    XfrmLifetime,
    CrlStrict,
    CrlCheckIntervalMs,
    OcspStrict,
    OcspEnable,
    OcspTimeout,
    OcspCacheSize,
    OcspCacheMinAgeMs,
    OcspCacheMaxAgeMs,
    OcspMethod,
    CurlTimeoutMs,
    SeedBits,
    DropOppoNull,
    KeepAlive,
    PlutoDebug,
    NHelpers,
    ShuntLifetimeMs,
    DdosIkeThreshold,
    MaxHalfopenIke,
    Secctx,
    NflogAll,
    DdosMode,
    Seccomp,
    ListenTcp,
    ListenUdp,
    GlobalIkev1,
}

listed_enum! {
    /// The per-conn fields that are not per end (4.10's `KSCF_*` / `KNCF_*` after the left/right ones).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum Kw {
        XfrmIfId,
        Authby,
        ModecfgDns,
        ModecfgDomains,
        Ike,
        ModecfgBanner,
        Esp,
        Also,
        AlsoFlip,
        RedirectTo,
        AcceptRedirectTo,
        ConnAlias,
        SaSecLabel,
        ConnMarkBoth,
        ConnMarkIn,
        ConnMarkOut,
        VtiIface,
        DpdAction,
        FailureShunt,
        NegotiationShunt,
        Type,
        Mobike,
        ConnMtu,
        Priority,
        TfcPad,
        ReqId,
        SendCa,
        DpdDelayMs,
        DpdTimeoutMs,
        Metric,
        Phase2,
        KeyExchange,
        Auto,
        Pfs,
        Sha2Truncbug,
        MsdhDowngrade,
        SanOnCert,
        DnsMatchId,
        IpsecLifetimeMs,
        IpsecMaxBytes,
        IpsecMaxPackets,
        Rekey,
        Reauth,
        RekeyMarginMs,
        RekeyFuzz,
        Compress,
        KeyingTries,
        ReplayWindow,
        IkeLifetimeMs,
        RetransmitTimeoutMs,
        RetransmitIntervalMs,
        AggrMode,
        ModecfgPull,
        Encaps,
        Ikev2,
        Ppk,
        Intermediate,
        Esn,
        DecapDscp,
        NoPmtuDisc,
        Ikev2AllowNarrowing,
        Ikev2PamAuthorize,
        SendRedirect,
        AcceptRedirect,
        HostAddrFamily,
        ClientAddrFamily,
        OverlapIp,
        RemotePeerType,
        NmConfigured,
        XauthBy,
        XauthFail,
        IkeFrag,
        NatKeepalive,
        InitialContact,
        CiscoUnity,
        NoEspTfc,
        VidStrongswan,
        SendVendorId,
        IkePad,
        Ikev1Natt,
        NflogConn,
        VtiRouting,
        VtiShared,
        NicOffload,
        Tcp,
        RemoteTcpPort,
        IgnorePeerDns,
    }
}

listed_enum! {
    /// The per-end fields (4.10's left/right `KSCF_*` / `KNCF_*`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum EndKw {
        /// `left=` / `right=`.
        Ip,
        NextHop,
        RsaSigKey,
        EcdsaKey,
        Pubkey,
        Updown,
        Id,
        Cert,
        Ckaid,
        Ca,
        ProtoPort,
        SourceIp,
        VtiIp,
        InterfaceIp,
        Username,
        AddressPool,
        Subnet,
        Subnets,
        XauthServer,
        XauthClient,
        ModecfgServer,
        ModecfgClient,
        Cat,
        SendCert,
        IkePort,
        Auth,
        Eap,
    }
}

/// Which field a keyword row fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Setup(SetupKw),
    Conn(Kw),
    End(EndKw),
    /// Obsolete words fill nothing.
    None,
}

/// One row of the table.
#[derive(Debug)]
pub struct KwDef {
    /// The name as 4.10 spells it (matched case-insensitively); for left/right rows without
    /// the `left`/`right` prefix (the row for `left=`/`right=` has the empty name).
    pub name: &'static str,
    /// [`kv`] bits.
    pub validity: u16,
    pub ty: Type,
    pub field: Field,
    /// Names and their 4.10 numeric values, in 4.10's order (aliases included).
    pub values: &'static [(&'static str, u32)],
    /// The compile-time flag the row depends on, if any.
    pub cond: Option<&'static str>,
    /// Whether Debian 12's build accepts the keyword.
    pub enabled: bool,
}

impl KwDef {
    pub fn is(&self, bit: u16) -> bool {
        self.validity & bit != 0
    }
}

// Value lists (4.10's sparse_name tables), with 4.10's numbers.
const FAILURESHUNT: &[(&str, u32)] = &[
    ("none", 0),
    ("passthrough", 1),
    ("drop", 2),
    ("hold", 2),
    ("reject", 3),
];
const NEGOTIATIONSHUNT: &[(&str, u32)] = &[("passthrough", 0), ("drop", 1), ("hold", 1)];
const TCP: &[(&str, u32)] = &[("no", 1), ("yes", 2), ("fallback", 3)];
const KEYEXCHANGE: &[(&str, u32)] = &[("ike", 1)];
const FOURVALUED: &[(&str, u32)] = &[
    ("never", 0),
    ("permit", 1),
    ("propose", 2),
    ("insist", 3),
    ("yes", 2),
    ("always", 3),
    ("no", 0),
];
const YNF: &[(&str, u32)] = &[
    ("never", 0),
    ("no", 0),
    ("yes", 1),
    ("insist", 2),
    ("force", 2),
];
const YNDEV: &[(&str, u32)] = &[("yes", 1), ("no", u32::MAX)];
const YNA: &[(&str, u32)] = &[("yes", 3), ("no", 2), ("auto", 1)];
const ESN: &[(&str, u32)] = &[("yes", 2), ("no", 1), ("either", 3)];
const DDOS: &[(&str, u32)] = &[("auto", 1), ("busy", 2), ("unlimited", 3)];
const SECCOMP: &[(&str, u32)] = &[("enabled", 1), ("disabled", 3), ("tolerant", 2)];
const AUTH: &[(&str, u32)] = &[
    ("never", 1),
    ("secret", 2),
    ("rsasig", 3),
    ("rsa", 3),
    ("ecdsa", 4),
    ("null", 5),
    ("eaponly", 6),
];
const DPDACTION: &[(&str, u32)] = &[
    ("hold", 2),
    ("clear", 1),
    ("restart", 3),
    ("restart_by_peer", 3),
];
const SENDCA: &[(&str, u32)] = &[("none", 0), ("issuer", 1), ("all", 2)];
/// auto=: 4.10's `STARTUP_*` numbers (1, STARTUP_POLICY, has no name).
pub const AUTO: &[(&str, u32)] = &[
    ("ignore", 0),
    ("add", 2),
    ("ondemand", 3),
    ("route", 3),
    ("start", 4),
    ("up", 4),
    ("keep", 5),
];
const ADDRFAMILY: &[(&str, u32)] = &[
    ("ipv4", 2),
    ("ipv6", 10),
    ("v4", 2),
    ("inet", 2),
    ("v6", 10),
    ("inet6", 10),
];
const TYPE: &[(&str, u32)] = &[
    ("tunnel", 0),
    ("transport", 1),
    ("pass", 2),
    ("passthrough", 2),
    ("reject", 4),
    ("drop", 3),
];
/// 4.10's `PUBKEY_*`: the empty string means a literal key follows (255, "other").
const PUBKEY: &[(&str, u32)] = &[("", 255), ("%cert", 2), ("%dns", 1), ("%dnsondemand", 1)];
const REMOTE_PEER_TYPE: &[(&str, u32)] = &[("cisco", 1)];
const XAUTHBY: &[(&str, u32)] = &[("file", 0), ("pam", 1), ("alwaysok", 2)];
const XAUTHFAIL: &[(&str, u32)] = &[("hard", 0), ("soft", 1)];
/// left=/right=: 4.10's `KH_*` numbers; anything else is an address or name (KH_IPADDR, 255).
pub const HOST: &[(&str, u32)] = &[
    ("%defaultroute", 1),
    ("%any", 2),
    ("%", 3),
    ("%oppo", 4),
    ("%opportunistic", 4),
    ("%opportunisticgroup", 5),
    ("%oppogroup", 5),
    ("%group", 6),
    ("%hostname", 7),
];
const PHASE2: &[(&str, u32)] = &[("esp", 1), ("ah", 2), ("default", 1)];
const SENDCERT: &[(&str, u32)] = &[
    ("never", 1),
    ("sendifasked", 2),
    ("alwayssend", 3),
    ("always", 3),
];
const IKEV1NATT: &[(&str, u32)] = &[("both", 0), ("rfc", 1), ("drafts", 2), ("none", 3)];
const OCSP_METHOD: &[(&str, u32)] = &[("get", 0), ("post", 1)];
const GLOBAL_IKEV1: &[(&str, u32)] = &[("accept", 0), ("reject", 1), ("drop", 2)];
const EAP: &[(&str, u32)] = &[("none", 0), ("tls", 1)];
/// plutodebug= bit names (lset bit index); `all` and `tmi` are aliases, `none` clears.
pub const DEBUG_BITS: &[(&str, u32)] = &[
    ("base", 0),
    ("cpu-usage", 1),
    ("refcnt", 2),
    ("tmi", 3),
    ("crypt", 4),
    ("private", 5),
    ("whackwatch", 6),
    ("add-prefix", 7),
];

const C: u16 = kv::CONFIG;
const N: u16 = kv::CONN;
const LR: u16 = kv::CONN | kv::LEFTRIGHT;
const NONE: &[(&str, u32)] = &[];

const fn row(name: &'static str, validity: u16, ty: Type, field: Field) -> KwDef {
    KwDef {
        name,
        validity,
        ty,
        field,
        values: NONE,
        cond: None,
        enabled: true,
    }
}
const fn en(
    name: &'static str,
    validity: u16,
    ty: Type,
    field: Field,
    values: &'static [(&'static str, u32)],
) -> KwDef {
    KwDef {
        name,
        validity,
        ty,
        field,
        values,
        cond: None,
        enabled: true,
    }
}
const fn cond(mut d: KwDef, flag: &'static str, enabled: bool) -> KwDef {
    d.cond = Some(flag);
    d.enabled = enabled;
    d
}

use Field::{Conn as K, End as E, Setup as S};
use Type as T;

/// The table, in 4.10's order.
pub static KEYWORDS: &[KwDef] = &[
    en(
        "ikev1-policy",
        C,
        T::Enum,
        S(SetupKw::GlobalIkev1),
        GLOBAL_IKEV1,
    ),
    row("curl-iface", C, T::String, S(SetupKw::CurlIface)),
    row("curl-timeout", C, T::Time, S(SetupKw::CurlTimeoutMs)),
    row("myvendorid", C, T::String, S(SetupKw::MyVendorId)),
    row("syslog", C, T::String, S(SetupKw::Syslog)),
    en("plutodebug", C, T::Lset, S(SetupKw::PlutoDebug), DEBUG_BITS),
    row("logfile", C, T::Filename, S(SetupKw::LogFile)),
    row("plutostderrlog", C, T::Filename, S(SetupKw::LogFile)),
    row("logtime", C, T::Bool, S(SetupKw::LogTime)),
    row("logappend", C, T::Bool, S(SetupKw::LogAppend)),
    row("logip", C, T::Bool, S(SetupKw::LogIp)),
    row("audit-log", C, T::Bool, S(SetupKw::AuditLog)),
    cond(
        row("dnssec-enable", C, T::Bool, S(SetupKw::DoDnssec)),
        "USE_DNSSEC",
        true,
    ),
    cond(
        row(
            "dnssec-rootkey-file",
            C,
            T::Filename,
            S(SetupKw::DnssecRootkeyFile),
        ),
        "USE_DNSSEC",
        true,
    ),
    cond(
        row("dnssec-anchors", C, T::Filename, S(SetupKw::DnssecAnchors)),
        "USE_DNSSEC",
        true,
    ),
    row("dumpdir", C, T::Dirname, S(SetupKw::DumpDir)),
    row("ipsecdir", C, T::Dirname, S(SetupKw::IpsecDir)),
    row("nssdir", C, T::Dirname, S(SetupKw::NssDir)),
    row("secretsfile", C, T::Dirname, S(SetupKw::SecretsFile)),
    row("statsbin", C, T::Dirname, S(SetupKw::StatsBinary)),
    row("uniqueids", C, T::Bool, S(SetupKw::UniqueIds)),
    row("shuntlifetime", C, T::Time, S(SetupKw::ShuntLifetimeMs)),
    row("global-redirect", C, T::String, S(SetupKw::GlobalRedirect)),
    row(
        "global-redirect-to",
        C,
        T::String,
        S(SetupKw::GlobalRedirectTo),
    ),
    row("crl-strict", C, T::Bool, S(SetupKw::CrlStrict)),
    row(
        "crlcheckinterval",
        C,
        T::Time,
        S(SetupKw::CrlCheckIntervalMs),
    ),
    row("ocsp-strict", C, T::Bool, S(SetupKw::OcspStrict)),
    row("ocsp-enable", C, T::Bool, S(SetupKw::OcspEnable)),
    row("ocsp-uri", C, T::String, S(SetupKw::OcspUri)),
    row("ocsp-timeout", C, T::Number, S(SetupKw::OcspTimeout)),
    row("ocsp-trustname", C, T::String, S(SetupKw::OcspTrustname)),
    row("ocsp-cache-size", C, T::Number, S(SetupKw::OcspCacheSize)),
    row(
        "ocsp-cache-min-age",
        C,
        T::Time,
        S(SetupKw::OcspCacheMinAgeMs),
    ),
    row(
        "ocsp-cache-max-age",
        C,
        T::Time,
        S(SetupKw::OcspCacheMaxAgeMs),
    ),
    en(
        "ocsp-method",
        C | kv::PROCESSED,
        T::Enum,
        S(SetupKw::OcspMethod),
        OCSP_METHOD,
    ),
    en(
        "ddos-mode",
        C | kv::PROCESSED,
        T::Enum,
        S(SetupKw::DdosMode),
        DDOS,
    ),
    cond(
        en(
            "seccomp",
            C | kv::PROCESSED,
            T::Enum,
            S(SetupKw::Seccomp),
            SECCOMP,
        ),
        "USE_SECCOMP",
        false,
    ),
    row(
        "ddos-ike-threshold",
        C,
        T::Number,
        S(SetupKw::DdosIkeThreshold),
    ),
    row("max-halfopen-ike", C, T::Number, S(SetupKw::MaxHalfopenIke)),
    row("ike-socket-bufsize", C, T::Number, S(SetupKw::IkeBuf)),
    row("ike-socket-errqueue", C, T::Bool, S(SetupKw::IkeErrqueue)),
    cond(
        row("nflog-all", C, T::Number, S(SetupKw::NflogAll)),
        "defined(HAVE_IPTABLES) || defined(HAVE_NFTABLES)",
        true,
    ),
    cond(
        row("xfrmlifetime", C, T::Number, S(SetupKw::XfrmLifetime)),
        "XFRM_LIFETIME_DEFAULT",
        true,
    ),
    row("virtual-private", C, T::String, S(SetupKw::VirtualPrivate)),
    row("virtual_private", C, T::String, S(SetupKw::VirtualPrivate)),
    row("seedbits", C, T::Number, S(SetupKw::SeedBits)),
    row("keep-alive", C, T::Number, S(SetupKw::KeepAlive)),
    row("listen-tcp", C, T::Bool, S(SetupKw::ListenTcp)),
    row("listen-udp", C, T::Bool, S(SetupKw::ListenUdp)),
    row("listen", C, T::String, S(SetupKw::Listen)),
    row("protostack", C, T::String, S(SetupKw::Protostack)),
    row("nhelpers", C, T::Number, S(SetupKw::NHelpers)),
    row("drop-oppo-null", C, T::Bool, S(SetupKw::DropOppoNull)),
    cond(
        row("ikev1-secctx-attr-type", C, T::Number, S(SetupKw::Secctx)),
        "HAVE_LABELED_IPSEC",
        true,
    ),
    cond(
        row(
            "secctx-attr-type",
            C | kv::ALIAS,
            T::Number,
            S(SetupKw::Secctx),
        ),
        "HAVE_LABELED_IPSEC",
        true,
    ),
    row("interfaces", C, T::Obsolete, Field::None),
    en("", LR | kv::PROCESSED, T::LooseEnum, E(EndKw::Ip), HOST),
    row("subnet", LR | kv::PROCESSED, T::Subnet, E(EndKw::Subnet)),
    row("subnets", LR, T::AppendList, E(EndKw::Subnets)),
    row("sourceip", LR, T::IpAddr, E(EndKw::SourceIp)),
    row("ikeport", LR, T::Number, E(EndKw::IkePort)),
    cond(
        row("interface-ip", LR, T::Subnet, E(EndKw::InterfaceIp)),
        "0",
        false,
    ),
    row("vti", LR | kv::PROCESSED, T::Subnet, E(EndKw::VtiIp)),
    row("nexthop", LR, T::IpAddr, E(EndKw::NextHop)),
    row("updown", LR, T::Filename, E(EndKw::Updown)),
    row("id", LR, T::IdType, E(EndKw::Id)),
    en("rsasigkey", LR, T::Pubkey, E(EndKw::RsaSigKey), PUBKEY),
    en("ecdsakey", LR, T::Pubkey, E(EndKw::EcdsaKey), PUBKEY),
    en("pubkey", LR, T::Pubkey, E(EndKw::Pubkey), PUBKEY),
    row("cert", LR, T::Filename, E(EndKw::Cert)),
    row("ckaid", LR, T::String, E(EndKw::Ckaid)),
    en("sendcert", LR, T::Enum, E(EndKw::SendCert), SENDCERT),
    row("ca", LR, T::String, E(EndKw::Ca)),
    row("xauthserver", LR, T::Bool, E(EndKw::XauthServer)),
    row("xauthclient", LR, T::Bool, E(EndKw::XauthClient)),
    row("modecfgserver", LR, T::Bool, E(EndKw::ModecfgServer)),
    row("modecfgclient", LR, T::Bool, E(EndKw::ModecfgClient)),
    row("username", LR, T::String, E(EndKw::Username)),
    row("xauthusername", LR, T::String, E(EndKw::Username)),
    row("addresspool", LR, T::Range, E(EndKw::AddressPool)),
    en("auth", LR, T::Enum, E(EndKw::Auth), AUTH),
    cond(
        row("cat", LR, T::Bool, E(EndKw::Cat)),
        "HAVE_IPTABLES",
        true,
    ),
    row(
        "protoport",
        LR | kv::PROCESSED,
        T::String,
        E(EndKw::ProtoPort),
    ),
    en("autheap", LR, T::Enum, E(EndKw::Eap), EAP),
    en("auto", N | kv::DUPLICATEOK, T::Enum, K(Kw::Auto), AUTO),
    row("also", N, T::AppendString, K(Kw::Also)),
    row("alsoflip", N, T::String, K(Kw::AlsoFlip)),
    row("ike", N, T::String, K(Kw::Ike)),
    en(
        "hostaddrfamily",
        N,
        T::Enum,
        K(Kw::HostAddrFamily),
        ADDRFAMILY,
    ),
    en(
        "clientaddrfamily",
        N,
        T::Enum,
        K(Kw::ClientAddrFamily),
        ADDRFAMILY,
    ),
    en("type", N, T::Enum, K(Kw::Type), TYPE),
    row("authby", N, T::String, K(Kw::Authby)),
    en("keyexchange", N, T::Enum, K(Kw::KeyExchange), KEYEXCHANGE),
    en(
        "ikev2",
        N | kv::PROCESSED,
        T::Enum,
        K(Kw::Ikev2),
        FOURVALUED,
    ),
    en("ppk", N | kv::PROCESSED, T::Enum, K(Kw::Ppk), FOURVALUED),
    row(
        "intermediate",
        N | kv::PROCESSED,
        T::Bool,
        K(Kw::Intermediate),
    ),
    en("esn", N | kv::PROCESSED, T::Enum, K(Kw::Esn), ESN),
    row("decap-dscp", N | kv::PROCESSED, T::Bool, K(Kw::DecapDscp)),
    row("nopmtudisc", N | kv::PROCESSED, T::Bool, K(Kw::NoPmtuDisc)),
    en(
        "fragmentation",
        N | kv::PROCESSED,
        T::Enum,
        K(Kw::IkeFrag),
        YNF,
    ),
    row("mobike", N, T::Bool, K(Kw::Mobike)),
    row("narrowing", N, T::Bool, K(Kw::Ikev2AllowNarrowing)),
    row("pam-authorize", N, T::Bool, K(Kw::Ikev2PamAuthorize)),
    en("send-redirect", N, T::Enum, K(Kw::SendRedirect), YNA),
    row("redirect-to", N, T::String, K(Kw::RedirectTo)),
    en("accept-redirect", N, T::Enum, K(Kw::AcceptRedirect), YNA),
    row("accept-redirect-to", N, T::String, K(Kw::AcceptRedirectTo)),
    row("pfs", N, T::Bool, K(Kw::Pfs)),
    row("nat-keepalive", N, T::Bool, K(Kw::NatKeepalive)),
    row("initial-contact", N, T::Bool, K(Kw::InitialContact)),
    row("cisco-unity", N, T::Bool, K(Kw::CiscoUnity)),
    row("send-no-esp-tfc", N, T::Bool, K(Kw::NoEspTfc)),
    row("fake-strongswan", N, T::Bool, K(Kw::VidStrongswan)),
    row("send-vendorid", N, T::Bool, K(Kw::SendVendorId)),
    row("sha2-truncbug", N, T::Bool, K(Kw::Sha2Truncbug)),
    row("ms-dh-downgrade", N, T::Bool, K(Kw::MsdhDowngrade)),
    row("require-id-on-certificate", N, T::Bool, K(Kw::SanOnCert)),
    // 4.10 spells this row with a trailing comma: "dns-match-id" alone is an unknown word.
    row("dns-match-id,", N, T::Bool, K(Kw::DnsMatchId)),
    row("ipsec-max-bytes", N, T::Byte, K(Kw::IpsecMaxBytes)),
    row("ipsec-lifetime", N, T::Time, K(Kw::IpsecLifetimeMs)),
    row("keylife", N | kv::ALIAS, T::Time, K(Kw::IpsecLifetimeMs)),
    row("lifetime", N | kv::ALIAS, T::Time, K(Kw::IpsecLifetimeMs)),
    row("salifetime", N, T::Time, K(Kw::IpsecLifetimeMs)),
    row("ipsec-max-packets", N, T::Binary, K(Kw::IpsecMaxPackets)),
    row("retransmit-timeout", N, T::Time, K(Kw::RetransmitTimeoutMs)),
    row(
        "retransmit-interval",
        N | kv::MILLISECONDS,
        T::Time,
        K(Kw::RetransmitIntervalMs),
    ),
    row("ikepad", N, T::Bool, K(Kw::IkePad)),
    en(
        "nat-ikev1-method",
        N | kv::PROCESSED,
        T::Enum,
        K(Kw::Ikev1Natt),
        IKEV1NATT,
    ),
    row("policy-label", N, T::String, K(Kw::SaSecLabel)),
    row("sec-label", N, T::String, K(Kw::SaSecLabel)),
    en(
        "remote-peer-type",
        N,
        T::Enum,
        K(Kw::RemotePeerType),
        REMOTE_PEER_TYPE,
    ),
    en(
        "remote_peer_type",
        N,
        T::Enum,
        K(Kw::RemotePeerType),
        REMOTE_PEER_TYPE,
    ),
    cond(
        row("nm-configured", N, T::Bool, K(Kw::NmConfigured)),
        "HAVE_NM",
        true,
    ),
    en("xauthby", N, T::Enum, K(Kw::XauthBy), XAUTHBY),
    en("xauthfail", N, T::Enum, K(Kw::XauthFail), XAUTHFAIL),
    row("modecfgpull", N, T::InvertBool, K(Kw::ModecfgPull)),
    row("modecfgdns", N, T::String, K(Kw::ModecfgDns)),
    row("modecfgdomains", N, T::String, K(Kw::ModecfgDomains)),
    row("modecfgbanner", N, T::String, K(Kw::ModecfgBanner)),
    row("ignore-peer-dns", N, T::Bool, K(Kw::IgnorePeerDns)),
    row("mark", N, T::String, K(Kw::ConnMarkBoth)),
    row("mark-in", N, T::String, K(Kw::ConnMarkIn)),
    row("mark-out", N, T::String, K(Kw::ConnMarkOut)),
    row("vti-interface", N, T::String, K(Kw::VtiIface)),
    row("vti-routing", N, T::Bool, K(Kw::VtiRouting)),
    row("vti-shared", N, T::Bool, K(Kw::VtiShared)),
    cond(
        en("ipsec-interface", N, T::LooseEnum, K(Kw::XfrmIfId), YNDEV),
        "USE_XFRM_INTERFACE",
        true,
    ),
    en("nic-offload", N, T::Enum, K(Kw::NicOffload), YNA),
    en("encapsulation", N, T::Enum, K(Kw::Encaps), YNA),
    row("forceencaps", N, T::Obsolete, Field::None),
    row("overlapip", N, T::Bool, K(Kw::OverlapIp)),
    row("reauth", N, T::Bool, K(Kw::Reauth)),
    row("rekey", N, T::Bool, K(Kw::Rekey)),
    row("rekeymargin", N, T::Time, K(Kw::RekeyMarginMs)),
    row("rekeyfuzz", N, T::Percent, K(Kw::RekeyFuzz)),
    row("keyingtries", N, T::Number, K(Kw::KeyingTries)),
    row("replay-window", N, T::Number, K(Kw::ReplayWindow)),
    row("ikelifetime", N, T::Time, K(Kw::IkeLifetimeMs)),
    en(
        "failureshunt",
        N,
        T::Enum,
        K(Kw::FailureShunt),
        FAILURESHUNT,
    ),
    en(
        "negotiationshunt",
        N,
        T::Enum,
        K(Kw::NegotiationShunt),
        NEGOTIATIONSHUNT,
    ),
    en("enable-tcp", N, T::Enum, K(Kw::Tcp), TCP),
    row("tcp-remoteport", N, T::Number, K(Kw::RemoteTcpPort)),
    row(
        "connalias",
        N | kv::PROCESSED,
        T::AppendString,
        K(Kw::ConnAlias),
    ),
    row("esp", N, T::String, K(Kw::Esp)),
    row("ah", N, T::String, K(Kw::Esp)),
    row("phase2alg", N | kv::ALIAS, T::String, K(Kw::Esp)),
    en("phase2", N | kv::POLICY, T::Enum, K(Kw::Phase2), PHASE2),
    row("compress", N, T::Bool, K(Kw::Compress)),
    row("metric", N, T::Number, K(Kw::Metric)),
    row("dpddelay", N, T::Time, K(Kw::DpdDelayMs)),
    row("dpdtimeout", N, T::Time, K(Kw::DpdTimeoutMs)),
    en("dpdaction", N, T::Enum, K(Kw::DpdAction), DPDACTION),
    en("sendca", N, T::Enum, K(Kw::SendCa), SENDCA),
    row("mtu", N, T::Number, K(Kw::ConnMtu)),
    row("priority", N, T::Number, K(Kw::Priority)),
    row("tfc", N, T::Number, K(Kw::TfcPad)),
    row("reqid", N, T::Number, K(Kw::ReqId)),
    cond(
        row("nflog", N, T::Number, K(Kw::NflogConn)),
        "HAVE_IPTABLES",
        true,
    ),
    row("aggressive", N, T::InvertBool, K(Kw::AggrMode)),
    row("aggrmode", N | kv::ALIAS, T::InvertBool, K(Kw::AggrMode)),
];

/// The distinguished row for `x-…`/`x_…` words (kept as comments).
pub static COMMENT: KwDef = row("x-comment", N, T::Comment, Field::None);

/// A fast hash for the keyword index (keys are fixed and few: no need for SipHash's
/// flooding resistance), Fx-style: a word of input at a time, rotate, xor, multiply.
#[derive(Clone, Copy, Default)]
struct WordHash;

#[derive(Default)]
struct WordHasher(u64);

impl std::hash::BuildHasher for WordHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(0)
    }
}

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl WordHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Which end(s) a matched word names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ends {
    pub left: bool,
    pub right: bool,
}

/// Looks a word up as 4.10's lexer does: case-insensitively, first matching row wins, `leftX`
/// / `rightX` for left/right rows, a bare left/right word sets the right end only, and
/// `x-…`/`x_…` words are comments. Rows Debian's build lacks do not match.
pub fn find(word: &str) -> Option<(&'static KwDef, Ends)> {
    find_bytes(word.as_bytes())
}

/// [`find`] for a word as the scanner has it, bytes (a word that is not UTF-8 matches
/// nothing, as with 4.10's callers).
pub(crate) fn find_bytes(b: &[u8]) -> Option<(&'static KwDef, Ends)> {
    static INDEX: Lazy<HashMap<Vec<u8>, (usize, Ends), WordHash>> = Lazy::new(|| {
        let mut m = HashMap::with_hasher(WordHash);
        for (i, d) in KEYWORDS.iter().enumerate().filter(|(_, d)| d.enabled) {
            let lr = d.is(kv::LEFTRIGHT);
            // Insert-if-absent in table order reproduces 4.10's first-match scan.
            if !d.name.is_empty() {
                m.entry(d.name.as_bytes().to_vec()).or_insert((
                    i,
                    Ends {
                        left: false,
                        right: lr,
                    },
                ));
            }
            if lr {
                m.entry(format!("left{}", d.name).into_bytes()).or_insert((
                    i,
                    Ends {
                        left: true,
                        right: false,
                    },
                ));
                m.entry(format!("right{}", d.name).into_bytes()).or_insert((
                    i,
                    Ends {
                        left: false,
                        right: true,
                    },
                ));
            }
        }
        m
    });
    let mut buf = [0u8; 40];
    let found = if b.len() <= buf.len() {
        buf[..b.len()].copy_from_slice(b);
        buf[..b.len()].make_ascii_lowercase();
        INDEX.get(&buf[..b.len()]) // keys are ASCII: other bytes never match
    } else {
        None // longer than any keyword
    };
    if let Some(&(i, ends)) = found {
        return Some((&KEYWORDS[i], ends));
    }
    if b.len() >= 2
        && (b[0] == b'x' || b[0] == b'X')
        && (b[1] == b'-' || b[1] == b'_')
        && std::str::from_utf8(b).is_ok()
    {
        return Some((
            &COMMENT,
            Ends {
                left: false,
                right: false,
            },
        ));
    }
    None
}

/// The row for a keyword name as written in a config (e.g. `leftsubnet`, `ikelifetime`).
pub fn lookup(word: &str) -> Option<&'static KwDef> {
    find(word).map(|(d, _)| d)
}

/// Looks a name up in a row's value list (case-insensitively, as 4.10 does).
pub fn value_of(def: &KwDef, name: &str) -> Option<u32> {
    def.values
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, v)| v)
}
