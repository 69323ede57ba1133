//! Hand-written configs: syntax corners, includes, also=, %default, bad input. Each case is
//! checked against Debian's `ipsec addconn --checkconfig` (same verdict, same file:line), and
//! many have further expectations on what we resolve.

mod config_support;

use std::fs;
use std::path::{Path, PathBuf};

use config_support::{addconn, agree, ours, par_map, scratch};
use ipsecauto::config::{self, Auto, EndKw, Kw, Setting, SetupKw, Severity, Side, Value};
use ipsecauto::Error;

/// Writes `files` (name, text; "@DIR@" stands for the directory) and returns main.conf's path.
fn write_case(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(p, text.replace("@DIR@", &dir.display().to_string())).unwrap();
    }
    dir.join("main.conf")
}

fn load(text: &str) -> Result<config::Config, Error> {
    config::load_str(text, "t.conf", Path::new("/nonexistent"))
}

fn conn<'a>(c: &'a config::Config, name: &str) -> &'a config::Conn {
    c.conn(name).unwrap_or_else(|| panic!("no conn {name}"))
}

fn get(c: &config::Config, name: &str, kw: Kw) -> Setting {
    conn(c, name)
        .get(kw)
        .unwrap_or_else(|| panic!("{name}: no {kw:?}"))
        .clone()
}

fn end(c: &config::Config, name: &str, side: Side, kw: EndKw) -> Option<Setting> {
    conn(c, name).end(side).get(kw).cloned()
}

fn fails_at(text: &str, line: u32, needle: &str) {
    match load(text) {
        Err(Error::Config { at, message }) => {
            assert_eq!(at.line, line, "{text:?}: {message}");
            assert_eq!(at.file, Path::new("t.conf"));
            assert!(
                message.contains(needle),
                "{text:?}: {message:?} lacks {needle:?}"
            );
        }
        other => panic!("{text:?}: expected an error, got {other:?}"),
    }
}

// Single-file cases compared with 4.10 (text, whether 4.10 accepts).
const CASES: &[(&str, bool)] = &[
    ("", true),
    ("\n\n\n", true),
    ("version 2.0\nconn a\n\tauto=add\n", true),
    ("version 2\nconn a\n\tauto=add\n", true),
    ("version\nconn a\n", false),
    ("conn a\nauto=add\n", false),
    (" conn a\n\tauto=add\n", false),
    ("conn a\n\tauto=add\n  conn b\n", false),
    ("conn a b\n", false),
    ("conn 123\n", false),
    ("conn\n", false),
    ("conn \"a b\"\n\tauto=add\n", true),
    ("conn a=b\n\tauto=add\n", true),
    ("config\n", false),
    (
        "config setup\n\tlogfile=/x\nconfig setup\n\tlogfile=/y\n",
        true,
    ),
    ("config setup\n\tauto=add\n", false),
    ("config setup\n\tx-note=anything at all\n", true),
    ("conn a\n\tlogfile=/x\n", true),
    ("conn a\n\tauto=add junk\n", false),
    ("conn a\n\tbogus=1\n", false),
    ("conn a\n\tbogus=1\nconn b\n\tauto=bogus\n", false),
    ("conn a\n\tauto=bogus\n\tbogus=1\n", false),
    ("conn a\n\tauto=add,start\n", false),
    ("conn a\n\tauto=add,bogus\n", true),
    ("conn a\n\tauto=bogus,add\n", false),
    ("conn a\n\tauto=9\n", true),
    ("conn a\n\tauto=ADD\n", true),
    ("conn a\n\tAUTO=add\n", true),
    ("conn a\n\tauto=add\r\n", false),
    ("conn a\n\tauto x=add\n", true),
    ("conn a\n\tpfs=maybe\n", false),
    ("conn a\n\tpfs=xyes\n", true),
    ("conn a\n\tpfs=Yes\n", false),
    ("conn a\n\tpfs=\"yes\"\n", true),
    ("conn a\n\tpfs=\n", false),
    ("conn a\n\tpfs=yes", true),
    ("conn a\n\tpfs=", false),
    ("conn a\n\tleftid=\n\tauto=add\n", true),
    ("conn a\n\trekeyfuzz=100\n", false),
    ("conn a\n\trekeyfuzz=100%\n", true),
    ("conn a\n\trekeyfuzz=lots\n", true),
    ("conn a\n\tikelifetime=bogus\n", true),
    ("conn a\n\tikelifetime=\n", false),
    ("conn a\n\tikelifetime=1h\n", true),
    ("conn a\n\tmtu=-1\n", true),
    ("conn a\n\tmtu=99999999999999999999999\n", true),
    ("conn a\n\tdns-match-id=yes\n", false),
    ("conn a\n\tdns-match-id,=yes\n", true),
    ("conn a\n\tx-foo=\n\tbogus=1\n", true),
    ("conn a\n\tx-foo=\n\tauto=add\n\tbogus=1\n", false),
    ("conn a\n\tx_foo=  bar \"q\n", true),
    ("conn a\n\tleft=\"1.2.3.4\n", true),
    ("conn a\n\tleftsubnet={10.0.0.0/8 11.0.0.0/8}\n", true),
    ("conn a\n\tleftsubnet=a\"b\n\tbogus=1\n", false),
    ("conn a\n\tleftid=\"a\"b\n\tauto=addx\n", false),
    ("conn a\n\tleft=1.2.3.4 # comment\n", true),
    ("conn a\n\tleft=1.2.3.4 #comment\n", false),
    ("conn a\n\tauto=add\n#c", false),
    ("conn a\n\tauto=add\n# c", true),
    ("conn a\n\tauto=add\n\t", true),
    ("conn a\n\tauto=add\n\t\tright=1.2.3.4\n", true),
    ("conn a\n\tauto=%forever\n", true),
    ("conn a\n\tike=%forever\n", true),
    (
        "conn a\n\tauto=add\n  \n\n\t# c\n# d\n\tleft=1.2.3.4 # x\n",
        true,
    ),
    ("config setup\n\tplutodebug=all,no-base\n", true),
    ("config setup\n\tplutodebug=\"all crypt\"\n", true),
    ("config setup\n\tplutodebug=bogus\n", false),
    ("config setup\n\tinterfaces=%defaultroute\n", true),
    ("conn a\n\tforceencaps=yes\n", true),
    ("include\n", false),
    ("include /nonexistent/file.conf\nconn a\n\tauto=add\n", true),
    ("include /nonexistent/*.conf\nconn a\n\tauto=add\n", true),
    ("include \"/nonexistent\"\nconn a\n", true),
    ("include auto\n", false),
    ("conn a\n\tleftrsasigkey=\"\"\n", false),
    ("conn a\n\tleftrsasigkey=%cert\n\tauto=add\n", true),
    ("conn a\n\tseccomp=enabled\n", false),
    (
        "conn a\n\tleft=%defaultroute\n\tright=%any\n\tleftnexthop=%defaultroute\n",
        true,
    ),
    ("conn a\n\tau\0to=add\n", false),
    ("conn a\n\talso=b\n\tauto=add\nconn b\n\tauto=start\n", true),
    ("conn a\n\talso=b\n\tauto=add\nconn b\n\tauto=add\n", true),
    ("conn a\n\talso=c\n", true),
    ("conn %default\n\talso=c\nconn a\n\tauto=add\n", true),
    ("conn %default\n\tauto=add\nconn a\n\tauto=start\n", true),
    ("conn a\n\tleftid=a\n\tleftid=b\n", true),
    ("conn a\n\tleft=%any\n\tleft=%any\n", true),
    ("conn a\n\tleft=1.2.3.4\n\tleft=1.2.3.4\n", true),
    ("conn a\n\tmtu=5\n\tmtu=5\n", true),
    ("conn a\n\tikelifetime=60\n\tikelifetime=1m\n", true),
    ("conn a\n\tleftid=5\n", true),
    ("conn a\n\tauthby=bogus\n", true),
    ("conn a\n\tauthby=null\n\tikev2=no\n", true),
    ("conn a\n\tauthby=\"rsasig,ecdsa-sha1\"\n", true),
    (
        "conn a\n\tleftsubnet=10.0.0.0/8\n\tleftaddresspool=10.0.0.1-10.0.0.9\n",
        true,
    ),
    ("conn a\n\tleftcert=x\n\tleftckaid=abcd\n", true),
    ("conn a\n\tleftckaid=abc\n", true),
    ("conn a\n\tleftckaid=ab_cd\n\trightckaid=xy\n", true),
    (
        "conn a\n\tleftrsasigkey=0sAQ==\n\tleftpubkey=0sAQ==\n",
        true,
    ),
    (
        "conn %default\n\tleftrsasigkey=0sAQ==\nconn a\n\tauto=add\n",
        true,
    ),
    ("conn a\n\tleftsubnet=vhost:%priv\n", true),
    ("conn a\n\tleftsubnet=vnet:%priv\n\tikev2=no\n", true),
    ("conn a\n\tinterfaces=x\n", true),
    ("conn a\n\talso=b\nconn b\n\talso=a\n\tauto=add\n", true),
    ("conn a\n\tleftid=\u{e9}\u{ff}\n", true),
];

#[test]
fn cases_as_addconn_checkconfig_sees_them() {
    let dir = scratch("syntax");
    let paths: Vec<PathBuf> = CASES
        .iter()
        .enumerate()
        .map(|(i, (t, _))| {
            let p = dir.join(format!("case{i}.conf"));
            fs::write(&p, t).unwrap();
            p
        })
        .collect();
    let results = par_map(&paths, 4, |p| (addconn(p), ours(p)));
    let mut bad = Vec::new();
    for ((text, accepts), (r, o)) in CASES.iter().zip(&results) {
        // Address/subnet syntax ("bad ...") is checked by addconn, not here.
        let listed: Vec<&String> = r.listed.iter().filter(|m| !m.starts_with("bad ")).collect();
        let ours_listed: Vec<&String> = o.listed.iter().collect();
        if !agree(r, o) || r.accepted != *accepts || listed != ours_listed {
            bad.push(format!(
                "{text:?}\n  4.10: {r:?}\n  ours: {o:?} (table says {accepts})"
            ));
        }
    }
    let _ = fs::remove_dir_all(&dir);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn syntax_errors_name_file_and_line() {
    fails_at("conn a\n\tauto=add junk\n", 2, "syntax error [junk]");
    fails_at("version\nconn a\n", 2, "syntax error [\n]");
    fails_at("conn a\n\tpfs=", 2, "syntax error []");
    fails_at(
        "conn a\n\tauto=bogus\n",
        2,
        "keyword auto, invalid value: bogus",
    );
    fails_at(
        "conn a\n\tbogus=1\nconn b\n\tauto=bogus\n",
        4,
        "keyword auto, invalid value",
    );
    fails_at(
        "config setup\n\tlogfile=/x\n\tauto=add\n",
        3,
        "unexpected keyword 'auto' in section 'config setup'",
    );
    // An empty x- comment takes the next line as its value without counting it.
    fails_at(
        "conn a\n\tx-foo=\n\tauto=add\n\tbogus=1\n",
        3,
        "syntax error [bogus]",
    );
}

#[test]
fn typed_values_as_4_10_stores_them() {
    let c = load(concat!(
        "config setup\n\tplutodebug=all,no-base\n\tuniqueids=no\n\tcrlcheckinterval=2m\n\tikev1-policy=drop\n",
        "\tnhelpers=abc\n\tvirtual_private=%v4:10.0.0.0/8\n",
        "conn a\n\tikelifetime=1h\n\trekeymargin=90\n\tretransmit-interval=150\n\tretransmit-timeout=2ms\n",
        "\tdpddelay=%forever\n\tpfs=no\n\taggressive=yes\n\tauto=route\n\ttype=passthrough\n",
        "\tleft=%defaultroute\n\tright=192.0.2.1\n\trekeyfuzz=50%\n\tipsec-max-bytes=2KiB\n\tipsec-max-packets=3Mi\n",
        "\tleftrsasigkey=%dnsondemand\n\trightrsasigkey=0sAQ==\n\thostaddrfamily=inet6\n\tphase2=ah\n",
        "\tfragmentation=force\n\tikev2=insist\n\tmtu=1400\n\tleftikeport=4501\n\tnic-offload=auto\n",
        "\tipsec-interface=no\n\tsubnet=10.0.0.0/8\n\tesp=\"aes128-sha2 \"\n",
    ))
    .unwrap();
    let s = |k| c.setup.get(k).unwrap().value.clone();
    assert_eq!(s(SetupKw::PlutoDebug), Value::Lset(0b110));
    assert_eq!(s(SetupKw::UniqueIds), Value::Bool(false));
    assert_eq!(s(SetupKw::CrlCheckIntervalMs), Value::Millis(120_000));
    assert_eq!(s(SetupKw::GlobalIkev1), Value::Enum(2));
    assert_eq!(
        s(SetupKw::NHelpers),
        Value::Number(0),
        "4.10 stores 0 for a non-number"
    );
    assert_eq!(
        c.setup.get(SetupKw::VirtualPrivate).unwrap().raw,
        "%v4:10.0.0.0/8"
    );
    let v = |k| get(&c, "a", k).value;
    assert_eq!(v(Kw::IkeLifetimeMs), Value::Millis(3_600_000));
    assert_eq!(v(Kw::RekeyMarginMs), Value::Millis(90_000));
    assert_eq!(
        v(Kw::RetransmitIntervalMs),
        Value::Millis(150),
        "unit-less is ms for this one"
    );
    assert_eq!(v(Kw::RetransmitTimeoutMs), Value::Millis(2));
    assert_eq!(v(Kw::DpdDelayMs), Value::Millis(0), "%forever is 0");
    assert_eq!(v(Kw::Pfs), Value::Bool(false));
    assert_eq!(v(Kw::AggrMode), Value::Bool(true));
    assert_eq!(conn(&c, "a").auto(), Ok(Auto::Ondemand));
    assert_eq!(v(Kw::Type), Value::Enum(2));
    assert_eq!(v(Kw::RekeyFuzz), Value::Percent(50));
    assert_eq!(v(Kw::IpsecMaxBytes), Value::Count(2048));
    assert_eq!(v(Kw::IpsecMaxPackets), Value::Count(3 << 20));
    assert_eq!(v(Kw::HostAddrFamily), Value::Enum(10));
    assert_eq!(v(Kw::Phase2), Value::Enum(2));
    assert_eq!(v(Kw::IkeFrag), Value::Enum(2));
    assert_eq!(v(Kw::Ikev2), Value::Enum(3));
    assert_eq!(v(Kw::ConnMtu), Value::Number(1400));
    assert_eq!(v(Kw::NicOffload), Value::Enum(1));
    assert_eq!(v(Kw::XfrmIfId), Value::Loose(Some(u32::MAX)));
    assert_eq!(get(&c, "a", Kw::Esp).raw, "aes128-sha2 ");
    let e = |side, k| end(&c, "a", side, k).unwrap();
    assert_eq!(e(Side::Left, EndKw::Ip).value, Value::Loose(Some(1)));
    assert_eq!(e(Side::Right, EndKw::Ip).value, Value::Loose(None));
    assert_eq!(e(Side::Right, EndKw::Ip).raw, "192.0.2.1");
    assert_eq!(e(Side::Left, EndKw::RsaSigKey).value, Value::Loose(Some(1)));
    assert_eq!(e(Side::Right, EndKw::RsaSigKey).value, Value::Loose(None));
    assert_eq!(e(Side::Left, EndKw::IkePort).value, Value::Number(4501));
    // A bare left/right keyword sets the right end only (4.10, github#663).
    assert!(end(&c, "a", Side::Left, EndKw::Subnet).is_none());
    assert_eq!(e(Side::Right, EndKw::Subnet).raw, "10.0.0.0/8");
    // Locations.
    assert_eq!(get(&c, "a", Kw::IkeLifetimeMs).at.line, 9);
    assert_eq!(conn(&c, "a").at.line, 8);
}

#[test]
fn later_config_setup_sections() {
    // 4.10 links a later config setup's settings nowhere once the first has some.
    let c = load("config setup\n\tlogfile=/x\nconfig setup\n\tlogfile=/y\n\tauto=add\n").unwrap();
    assert_eq!(c.setup.get(SetupKw::LogFile).unwrap().raw, "/x");
    let c = load("config setup\nconfig setup\n\tlogfile=/y\n").unwrap();
    assert_eq!(c.setup.get(SetupKw::LogFile).unwrap().raw, "/y");
    // Within one section the last one wins.
    let c = load("config setup\n\tlogfile=/x\n\tplutostderrlog=/z\n").unwrap();
    assert_eq!(c.setup.get(SetupKw::LogFile).unwrap().raw, "/z");
}

#[test]
fn percent_tokens_are_kept_raw() {
    let toks = [
        ("%any", Some(2)),
        ("%defaultroute", Some(1)),
        ("%", Some(3)),
        ("%oppo", Some(4)),
        ("%opportunistic", Some(4)),
        ("%opportunisticgroup", Some(5)),
        ("%oppogroup", Some(5)),
        ("%group", Some(6)),
        ("%hostname", Some(7)),
        ("%any6", None),
        ("%defaultroute6", None),
        ("%eth0", None),
    ];
    for (t, want) in toks {
        let c = load(&format!(
            "conn a\n\tleft={t}\n\tleftid=%fromcert\n\tleftcert={t}\n"
        ))
        .unwrap();
        let l = end(&c, "a", Side::Left, EndKw::Ip).unwrap();
        assert_eq!(
            (l.raw.as_str(), l.value),
            (t, Value::Loose(want)),
            "left={t}"
        );
        assert_eq!(
            end(&c, "a", Side::Left, EndKw::Id).unwrap().raw,
            "%fromcert"
        );
        assert_eq!(end(&c, "a", Side::Left, EndKw::Cert).unwrap().raw, t);
    }
    for (t, want) in [
        ("%cert", Some(2)),
        ("%dns", Some(1)),
        ("%dnsondemand", Some(1)),
        ("0sAwE=", None),
    ] {
        let c = load(&format!("conn a\n\trightpubkey={t}\n")).unwrap();
        assert_eq!(
            end(&c, "a", Side::Right, EndKw::Pubkey).unwrap().value,
            Value::Loose(want)
        );
    }
    let c = load("conn a\n\tipsec-interface=7\n\tauto=ignore\n").unwrap();
    assert_eq!(get(&c, "a", Kw::XfrmIfId).value, Value::Number(7));
    assert_eq!(conn(&c, "a").auto(), Ok(Auto::Ignore));
}

#[test]
fn default_and_also_precedence() {
    let c = load(concat!(
        "conn %default\n\tikelifetime=1h\n\tkeyingtries=5\n\tleftsubnet=10.0.0.0/8\n\tconnalias=d\n",
        "conn base\n\tkeyingtries=7\n\tdpddelay=5\n\talso=deeper\n",
        "conn deeper\n\tdpdtimeout=9\n\tikelifetime=2h\n",
        "conn a\n\talso=base\n\tikelifetime=3h\n\tconnalias=x\n\tconnalias=y\n",
        "conn %default\n\tpfs=no\n",
        "conn b\n\tauto=add\n",
    ))
    .unwrap();
    // Own beats also= (the conflict is reported), also= beats %default silently.
    let a = conn(&c, "a");
    assert_eq!(
        a.get(Kw::IkeLifetimeMs).unwrap().value,
        Value::Millis(3 * 3_600_000)
    );
    assert!(
        !a.loaded(),
        "a conflicting duplicate through also= fails the conn in 4.10"
    );
    assert!(a
        .errors
        .iter()
        .any(|d| d.message == "duplicate key 'ikelifetime' in conn a while processing def deeper"));
    assert_eq!(a.get(Kw::KeyingTries).unwrap().value, Value::Number(7));
    assert!(!a.get(Kw::KeyingTries).unwrap().inherited);
    assert_eq!(a.get(Kw::DpdTimeoutMs).unwrap().value, Value::Millis(9000));
    assert_eq!(a.alsos, ["base", "deeper"]);
    // Appended fields start from %default's text.
    assert_eq!(a.get(Kw::ConnAlias).unwrap().raw, "d x y");
    // Every %default section counts, wherever it stands.
    let b = conn(&c, "b");
    assert!(b.loaded());
    assert_eq!(b.get(Kw::Pfs).unwrap().value, Value::Bool(false));
    assert!(b.get(Kw::IkeLifetimeMs).unwrap().inherited);
    assert!(b.end(Side::Left).get(EndKw::Subnet).unwrap().inherited);
    assert_eq!(
        c.conns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["base", "deeper", "a", "b"]
    );
}

#[test]
fn also_edge_cases() {
    // Same value twice: reported, not fatal.
    let c = load("conn a\n\talso=b\n\tauto=add\nconn b\n\tauto=add\n").unwrap();
    assert!(conn(&c, "a").loaded());
    assert_eq!(conn(&c, "a").errors[0].severity, Severity::Warning);
    // Missing section: the conn fails, the file does not.
    let c = load("conn a\n\talso=nope\n\tauto=add\n").unwrap();
    let a = conn(&c, "a");
    assert!(!a.loaded());
    assert_eq!(
        a.errors[0].message,
        "cannot find conn 'nope' needed by conn 'a'"
    );
    assert_eq!(a.errors[0].line, 2);
    // Repeated and nested: each section once.
    let c =
        load("conn a\n\talso=\"b c\"\n\talso=b\nconn b\n\talso=c\n\tmtu=1\nconn c\n\tmetric=2\n")
            .unwrap();
    let a = conn(&c, "a");
    assert!(a.loaded(), "{:?}", a.errors);
    assert_eq!(a.alsos, ["b", "c"]);
    assert_eq!(a.get(Kw::Metric).unwrap().value, Value::Number(2));
    // A cycle is taken in once, as 4.10 does; we warn and name the chain.
    let c = load("conn a\n\talso=b\n\tauto=add\nconn b\n\talso=c\nconn c\n\talso=a\n").unwrap();
    let a = conn(&c, "a");
    assert!(a.loaded());
    let w = a
        .errors
        .iter()
        .find(|d| d.message.contains("cycle"))
        .expect("cycle warning");
    assert!(w.message.contains("a -> b -> c -> a"), "{}", w.message);
    assert_eq!(w.severity, Severity::Warning);
    // also= in %default is an error of %default's (the conns still load).
    let c = load("conn %default\n\talso=x\nconn x\n\tmtu=1\nconn a\n\tauto=add\n").unwrap();
    assert!(c
        .diagnostics
        .iter()
        .any(|d| d.message == "also= is not valid in section '%default'"));
    // 4.10's ALSO_LIMIT.
    let mut t = String::from("conn a\n\tauto=add\n");
    for i in 0..32 {
        t += &format!("\talso=s{i}\n");
    }
    for i in 0..32 {
        t += &format!("conn s{i}\n\tx-n={i}\n");
    }
    let c = load(&t).unwrap();
    let a = conn(&c, "a");
    assert!(!a.loaded());
    assert!(
        a.errors[0].message.contains("too many also= used"),
        "{:?}",
        a.errors
    );
    let t31: String = t.replace("\talso=s31\n", "");
    assert!(conn(&load(&t31).unwrap(), "a").loaded());
}

#[test]
fn includes() {
    let dir = scratch("include");
    let main = write_case(
        &dir,
        &[
            ("main.conf", "config setup\n\tlogfile=/x\ninclude @DIR@/d/*.conf\ninclude @DIR@/{x,y}.conf\nconn last\n\tauto=add\n"),
            ("d/1.conf", "conn one\n\tauto=add\n"),
            ("d/2.conf", "conn two\n\talso=one\n\tmtu=1\n"),
            ("x.conf", "conn x\n\tauto=start\n"),
            ("y.conf", "conn y\n\tauto=start\n"),
        ],
    );
    let c = config::load_file(&main).unwrap();
    assert_eq!(
        c.conns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["one", "two", "x", "y", "last"]
    );
    assert_eq!(conn(&c, "two").at.file, dir.join("d/2.conf"));
    assert_eq!(get(&c, "two", Kw::Auto).at.file, dir.join("d/1.conf"));
    // Relative includes in text are taken from the include base.
    let c = config::load_str("include d/1.conf\ninclude x.conf\n", "mem", &dir).unwrap();
    assert_eq!(c.conns.len(), 2);
    // An error in an included file names that file.
    fs::write(
        dir.join("d/3.conf"),
        "conn three\n\tauto=add\n\tbogus=yes\n",
    )
    .unwrap();
    match config::load_file(&main) {
        Err(Error::Config { at, message }) => {
            assert_eq!((at.file, at.line), (dir.join("d/3.conf"), 3));
            assert_eq!(message, "syntax error [bogus]");
        }
        other => panic!("{other:?}"),
    }
    assert!(agree(&addconn(&main), &ours(&main)));
    // A missing include is a warning, as in 4.10.
    let c = config::load_str("include /nonexistent/x.conf\n", "m", &dir).unwrap();
    assert_eq!(
        c.diagnostics[0].message,
        "warning: could not open include filename: '/nonexistent/x.conf'"
    );
    assert_eq!(c.diagnostics[0].severity, Severity::Warning);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn include_loops_and_depth() {
    let dir = scratch("loop");
    // A file including itself: 4.10 stops at depth 10 without failing.
    let main = write_case(
        &dir,
        &[("main.conf", "include @DIR@/main.conf\nconn a\n\tauto=add\n")],
    );
    let c = config::load_file(&main).unwrap();
    assert_eq!(c.conns.len(), 10, "main plus nine nested copies");
    assert!(c
        .diagnostics
        .iter()
        .any(|d| d.message == "max inclusion depth reached"));
    assert!(agree(&addconn(&main), &ours(&main)));
    // Two files including each other twice over: bounded work all the same.
    let main = write_case(
        &dir,
        &[
            ("main.conf", "include @DIR@/b.conf\ninclude @DIR@/b.conf\n"),
            ("b.conf", "include @DIR@/main.conf\nconn b\n"),
        ],
    );
    let c = config::load_file(&main).unwrap();
    assert!(!c.conns.is_empty());
    assert!(agree(&addconn(&main), &ours(&main)));
    // Fan-out (every file includes the glob of all): bounded, a precise error.
    let pad = format!("# {}\n", "p".repeat(1 << 20));
    let fan = format!("include @DIR@/fan/*.conf\n{pad}conn x\n");
    let main = write_case(
        &dir,
        &[
            ("main.conf", fan.as_str()),
            ("fan/a.conf", fan.as_str()),
            ("fan/b.conf", fan.as_str()),
            ("fan/c.conf", fan.as_str()),
        ],
    );
    let t = std::time::Instant::now();
    match config::load_file(&main) {
        Err(Error::Config { at, message }) => {
            assert!(message.contains("more than 128 MiB"), "{message}");
            assert_eq!(at.line, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed().as_secs() < 20);
    // A device that never ends: bounded too.
    match config::load_str("include /dev/zero\n", "m", &dir) {
        Err(Error::Config { at, message }) => {
            assert!(message.contains("more than 128 MiB"), "{message}");
            assert_eq!(at.line, 1);
        }
        other => panic!("{other:?}"),
    }
    match config::load_file(Path::new("/dev/zero")) {
        Err(Error::ConfigIo { reason, .. }) => {
            assert!(reason.contains("larger than 256 MiB"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // An included directory: 4.10's scanner gives up (exit 2).
    fs::create_dir_all(dir.join("dir/sub")).unwrap();
    fs::write(dir.join("dir/a.conf"), "conn x\n").unwrap();
    let main = write_case(
        &dir,
        &[(
            "main.conf",
            "conn a\n\tauto=add\ninclude @DIR@/dir/*\nconn b\n",
        )],
    );
    match config::load_file(&main) {
        Err(Error::Config { at, message }) => assert_eq!(
            (at.line, message.as_str()),
            (3, "input in flex scanner failed")
        ),
        other => panic!("{other:?}"),
    }
    assert!(!addconn(&main).accepted);
    // Depth error inside a nested chain that later fails: the error names the right file.
    let main = write_case(
        &dir,
        &[
            ("main.conf", "include @DIR@/e.conf\n"),
            ("e.conf", "conn e\n\tauto=add\nbad\n"),
        ],
    );
    assert!(agree(&addconn(&main), &ours(&main)));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_gives_precise_errors() {
    // NUL byte: C sees the word up to it.
    fails_at("conn a\n\tau\0to=add\n", 2, "syntax error [au]");
    // Invalid UTF-8 is read as bytes; the value is kept (lossily) with a warning.
    let c = config::load_bytes(b"conn a\n\tleftid=\xff\xfe\n", "t.conf", Path::new("/")).unwrap();
    assert!(c
        .diagnostics
        .iter()
        .any(|d| d.message.contains("UTF-8") && d.line == 2));
    assert!(config::load_bytes(b"conn a\n\t\xffx=1\n", "t.conf", Path::new("/")).is_err());
    // Unterminated quote: 4.10 takes the quote as part of the value.
    let c = load("conn a\n\tleftid=\"abc\n").unwrap();
    assert_eq!(end(&c, "a", Side::Left, EndKw::Id).unwrap().raw, "\"abc");
    fails_at("conn a\n\tleftid=\"a b\n", 2, "syntax error [b]");
    // A 1 MiB line: a value, then a syntax error at the right line.
    let long = "x".repeat(1 << 20);
    let c = load(&format!("conn a\n\tleftid={long}\n")).unwrap();
    assert_eq!(
        end(&c, "a", Side::Left, EndKw::Id).unwrap().raw.len(),
        1 << 20
    );
    fails_at(
        &format!("conn a\n\tleftid=a {long}\n"),
        2,
        "syntax error [xxxx",
    );
    fails_at(&format!("conn a\n\t{long}=1\n"), 2, "syntax error [xxxx");
    // Pathological 1 MiB lines stay linear.
    for unit in ["a={ ", "={ ", "=\" ", "x", "\"", "#", "= ", "{}"] {
        let line = unit.repeat((1 << 20) / unit.len());
        let t = std::time::Instant::now();
        let _ = config::check_str(
            &format!("conn a\n\tleftid={line}\n\tauto=bogus\n"),
            "t.conf",
            Path::new("/"),
        );
        assert!(
            t.elapsed().as_secs_f64() < 5.0,
            "{unit:?}: {:?}",
            t.elapsed()
        );
    }
}

#[test]
fn fifty_megabyte_file() {
    let dir = scratch("big");
    let p = dir.join("big.conf");
    let mut text = String::with_capacity(50 << 20);
    text.push_str("conn a\n\tauto=add\n");
    let line = format!("\t# {}\n", "c".repeat(1000));
    while text.len() < 50 << 20 {
        text.push_str(&line);
    }
    text.push_str("\tbogus=1\n");
    let lines = text.lines().count() as u32;
    fs::write(&p, &text).unwrap();
    let t = std::time::Instant::now();
    match config::load_file(&p) {
        Err(Error::Config { at, message }) => {
            assert_eq!(at.line, lines);
            assert_eq!(message, "syntax error [bogus]");
        }
        other => panic!("{other:?}"),
    }
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    assert!(agree(&addconn(&p), &ours(&p)));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn check_reports_everything_at_once() {
    let text = concat!(
        "config setup\n\tinterfaces=x\n",
        "conn a\n\tbogus=1\n",
        "conn b\n\tauto=add\n\tmtu=abc\n",
        "conn c\n\tauto=nope\n",
        "conn d\n\talso=missing\n",
        "conn e\n\tikelifetime=1h\n\tikelifetime=2h\n",
        "include /nonexistent/x.conf\n",
    );
    let d = config::check_str(text, "t.conf", Path::new("/"));
    let has = |sev: Severity, line: u32, needle: &str| {
        assert!(
            d.iter()
                .any(|x| x.severity == sev && x.line == line && x.message.contains(needle)),
            "no {sev:?} at {line} with {needle:?} in {d:#?}"
        );
    };
    // What 4.10 reports (a bad enum value ends its run) comes first.
    assert_eq!(
        (d[0].line, d[0].message.as_str()),
        (9, "keyword auto, invalid value: nope")
    );
    has(Severity::Fatal, 4, "syntax error [bogus]");
    has(Severity::Warning, 7, "not a number");
    has(Severity::Warning, 15, "could not open include filename");
    has(
        Severity::Error,
        11,
        "cannot find conn 'missing' needed by conn 'd'",
    );
    has(Severity::Error, 14, "duplicate key 'ikelifetime' in conn e");
    has(Severity::Warning, 2, "obsolete keyword 'interfaces'");
    assert!(matches!(load(text), Err(Error::Config { at, .. }) if at.line == 9));
    let dir = scratch("all");
    let p = write_case(&dir, &[("main.conf", text)]);
    assert!(agree(&addconn(&p), &ours(&p)));
    let _ = fs::remove_dir_all(&dir);
}
