//! The keyword table against libreswan 4.10: it lists every keyword of 4.10's keywords.c (test
//! data extracted from the source), and for each keyword a tiny config with a valid value, an
//! invalid one and the keyword in the wrong section is accepted or rejected by our check pass
//! exactly as Debian's `ipsec addconn --checkconfig` does.

mod config_support;

use std::fs;

use config_support::{addconn, agree, ours, par_map, scratch};
use ipsecauto::config::keywords::{kv, KEYWORDS};
use ipsecauto::config::{lookup, Type};

fn extracted() -> Vec<(String, String)> {
    let text = include_str!("data/config/keywords-4.10.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (n, c) = l.split_once('\t').expect("name<TAB>condition");
            (
                if n == "<empty>" {
                    String::new()
                } else {
                    n.to_string()
                },
                c.to_string(),
            )
        })
        .collect()
}

#[test]
fn table_covers_every_keyword_of_4_10() {
    let names = extracted();
    assert_eq!(names.len(), 180);
    assert_eq!(KEYWORDS.len(), names.len(), "one row per keywords.c row");
    for ((name, cond), row) in names.iter().zip(KEYWORDS) {
        assert_eq!(&row.name, name, "table order follows keywords.c");
        let want = if cond == "-" {
            None
        } else {
            Some(cond.as_str())
        };
        assert_eq!(row.cond, want, "condition of {name}");
    }
    // Lookup by written name, including left/right forms and case.
    assert_eq!(lookup("leftsubnet").unwrap().name, "subnet");
    assert_eq!(lookup("RIGHT").unwrap().name, "");
    assert_eq!(lookup("IKELifetime").unwrap().name, "ikelifetime");
    assert!(lookup("seccomp").is_none(), "not in Debian's build");
    assert!(
        lookup("dns-match-id").is_none(),
        "4.10 spells it with a trailing comma"
    );
    assert_eq!(lookup("x-anything").unwrap().ty, Type::Comment);
}

fn valid(ty: Type, row: &ipsecauto::config::KwDef) -> String {
    match ty {
        Type::Bool | Type::InvertBool => "yes".into(),
        Type::Enum | Type::List => row.values[0].0.into(),
        Type::Lset => "all".into(),
        Type::LooseEnum if row.name.is_empty() => "192.0.2.1".into(),
        Type::LooseEnum => row.values[0].0.into(),
        Type::Pubkey => "%cert".into(),
        Type::Number => "5".into(),
        Type::Time => "10s".into(),
        Type::Percent => "50%".into(),
        Type::Byte => "1KiB".into(),
        Type::Binary => "1Ki".into(),
        Type::IpAddr => "192.0.2.1".into(),
        Type::Subnet => "192.0.2.0/24".into(),
        Type::Range => "192.0.2.1-192.0.2.9".into(),
        _ => "foo".into(),
    }
}

fn invalid(ty: Type) -> &'static str {
    match ty {
        Type::Bool | Type::InvertBool => "maybe",
        Type::Enum | Type::List | Type::Lset => "bogus",
        Type::Number => "abc",
        Type::Time | Type::Byte | Type::Binary => "1x",
        Type::Percent => "50",
        _ => "\"\"",
    }
}

#[test]
fn every_keyword_as_addconn_checkconfig_sees_it() {
    let dir = scratch("keywords");
    let mut cases = Vec::new();
    for row in KEYWORDS {
        let name = if row.is(kv::LEFTRIGHT) {
            format!("left{}", row.name)
        } else {
            row.name.to_string()
        };
        let (home, away) = if row.is(kv::CONFIG) {
            ("config setup", "conn t")
        } else {
            ("conn t", "config setup")
        };
        for (tag, section, value) in [
            ("valid", home, valid(row.ty, row)),
            ("invalid", home, invalid(row.ty).to_string()),
            ("misplaced", away, valid(row.ty, row)),
        ] {
            let text = format!("{section}\n\t{name}={value}\n");
            let path = dir.join(format!(
                "{}-{tag}.conf",
                if name.is_empty() { "empty" } else { &name }
            ));
            fs::write(&path, &text).unwrap();
            cases.push((path, text));
        }
    }
    let results = par_map(&cases, 4, |(p, _)| {
        let r = addconn(p);
        let o = ours(p);
        (agree(&r, &o), r, o)
    });
    let mut bad = 0;
    for ((_, text), (ok, r, o)) in cases.iter().zip(&results) {
        if !ok {
            bad += 1;
            println!("DIFF {text:?}\n  4.10: {r:?}\n  ours: {o:?}");
        }
    }
    let rejected = results.iter().filter(|r| !r.1.accepted).count();
    println!(
        "keywords: {} configs, {} rejected by 4.10, {bad} differ",
        cases.len(),
        rejected
    );
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(bad, 0);
    assert!(
        rejected > 100,
        "the invalid cases must include real rejections"
    );
}

#[test]
fn setup_defaults_match_debians_build() {
    use ipsecauto::config::defaults::{self, Builtin};
    use ipsecauto::config::Field;
    let dir = scratch("defaults");
    let p = dir.join("empty.conf");
    fs::write(&p, "config setup\n").unwrap();
    let out = std::process::Command::new("ipsec")
        .args(["addconn", "--configsetup", "--config"])
        .arg(&p)
        .output()
        .expect("ipsec addconn");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut seen = 0;
    for line in text.lines() {
        let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) else {
            continue;
        };
        let v = v.trim_matches('\'');
        let Some(Field::Setup(kw)) = lookup(&k.replace('_', "-")).map(|d| d.field) else {
            continue;
        };
        let want = match v {
            "yes" => Builtin::Number(1),
            "no" => Builtin::Number(0),
            _ => match v.parse() {
                Ok(n) => Builtin::Number(n),
                Err(_) => Builtin::Text(Box::leak(v.to_string().into_boxed_str())),
            },
        };
        assert_eq!(defaults::setup(kw), Some(want), "{k}");
        seen += 1;
    }
    let _ = fs::remove_dir_all(&dir);
    assert!(seen > 25, "only {seen} defaults printed:\n{text}");
}
