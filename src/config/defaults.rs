//! The values 4.10 starts from before reading a config (confread.c's
//! ipsecconf_default_values), for fields a config leaves unset. Setup values are those
//! Debian's build reports (`ipsec addconn --configsetup`), which differ from the upstream
//! source where Debian configures them (e.g. ikev1-policy=drop).

use super::keywords::{Kw, SetupKw};

/// A built-in `config setup` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Number(i64),
    Text(&'static str),
}

/// 4.10's updown script when none is given (both ends).
pub const DEFAULT_UPDOWN: &str = "ipsec _updown";

/// Debian's built-in value for a `config setup` field (times in milliseconds, yes/no as 1/0).
pub fn setup(kw: SetupKw) -> Option<Builtin> {
    use Builtin::{Number as N, Text as T};
    use SetupKw::*;
    Some(match kw {
        GlobalIkev1 => N(2),
        LogTime | LogAppend | LogIp | AuditLog | DoDnssec | UniqueIds | IkeErrqueue | ListenUdp => {
            N(1)
        }
        ListenTcp | DropOppoNull | CrlStrict | OcspStrict | OcspEnable | NflogAll | KeepAlive
        | SeedBits => N(0),
        IkeBuf | OcspMethod => N(0),
        DnssecRootkeyFile => T("/usr/share/dns/root.key"),
        DumpDir => T("/run/pluto"),
        IpsecDir => T("/etc/ipsec.d"),
        NssDir => T("/var/lib/ipsec/nss"),
        SecretsFile => T("/etc/ipsec.secrets"),
        ShuntLifetimeMs => N(900_000),
        OcspTimeout => N(2),
        OcspCacheSize => N(1000),
        OcspCacheMinAgeMs => N(3_600_000),
        OcspCacheMaxAgeMs => N(86_400_000),
        DdosMode => N(1),
        DdosIkeThreshold => N(25_000),
        MaxHalfopenIke => N(50_000),
        XfrmLifetime => N(30),
        NHelpers => N(-1),
        Secctx => N(32_001),
        Seccomp => N(3),
        _ => return None,
    })
}

/// 4.10's built-in value for a conn field (4.10's numbers; times in milliseconds).
pub fn conn(kw: Kw) -> Option<u64> {
    use Kw::*;
    Some(match kw {
        NatKeepalive | InitialContact | IkePad => 1,
        Type | CiscoUnity | NoEspTfc | VidStrongswan | SendVendorId | RemotePeerType => 0,
        Ikev1Natt | NmConfigured | XauthBy | XauthFail | KeyingTries => 0,
        HostAddrFamily | ClientAddrFamily | Auto => 0,
        Encaps | NicOffload | Tcp => 1,
        RemoteTcpPort => 4500,
        IkeLifetimeMs | IpsecLifetimeMs => 28_800_000,
        ReplayWindow => 128,
        RetransmitTimeoutMs => 60_000,
        RetransmitIntervalMs => 500,
        RekeyMarginMs => 540_000,
        IpsecMaxBytes | IpsecMaxPackets => 1 << 63,
        RekeyFuzz => 100,
        XfrmIfId => u64::from(u32::MAX),
        _ => return None,
    })
}
