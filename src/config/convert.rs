//! Value conversions as 4.10's parser performs them (parser.y's actions, keywords.c's
//! enum/lset/loose-enum lookups, ttodeltatime, ttobinary), with 4.10's messages.

use nom::bytes::complete::take_while;
use nom::IResult;

use super::keywords::{self, KwDef};

/// 4.10's shunk_to_uintmax in base 10 on a prefix: (value, rest) or its complaint.
fn uintmax_prefix(s: &str) -> Result<(u64, &str), &'static str> {
    if s.is_empty() {
        return Err("empty string");
    }
    let r: IResult<&str, &str> = take_while(|c: char| c.is_ascii_digit())(s);
    let (rest, digits) = r.map_err(|_| "first decimal digit invalid")?;
    if digits.is_empty() {
        return Err("first decimal digit invalid");
    }
    let mut v: u64 = 0;
    for d in digits.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d - b'0')))
            .ok_or("unsigned-long overflow")?;
    }
    Ok((v, rest))
}

/// ttodeltatime: a number with an optional unit (ms, s, m, h, d, w; any case); no unit means
/// seconds, or milliseconds for keywords marked so. Returns milliseconds.
pub(crate) fn time_ms(s: &str, default_ms: bool) -> Result<u64, String> {
    let (n, rest) = uintmax_prefix(s).map_err(|e| format!("bad duration value \"{s}\": {e}"))?;
    let scale: u64 = match rest.to_ascii_lowercase().as_str() {
        "" if default_ms => 1,
        "" => 1000,
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return Err(format!("unrecognized duration multiplier \"{rest}\"")),
    };
    n.checked_mul(scale).ok_or_else(|| {
        format!(
            "duration too large: \"{s}\" is more than {} seconds",
            u64::MAX
        )
    })
}

/// A time written as a plain number (parser.y's TIMEWORD EQUAL INTEGER).
pub(crate) fn time_int_ms(n: u64, default_ms: bool) -> u64 {
    if default_ms {
        n
    } else {
        n.wrapping_mul(1000)
    }
}

/// ttobinary: a count with an optional IEC prefix (Ki … Ei), or for byte counts an IEC unit
/// (KiB … PiB; 4.10's table lists PiB where EiB belongs, so EiB is refused).
pub(crate) fn binary(s: &str, bytes: bool) -> Result<u64, String> {
    let b = if bytes { " Bytes" } else { "" };
    let (n, rest) = uintmax_prefix(s).map_err(|e| format!("bad binary{b} value \"{s}\": {e}"))?;
    let k: u64 = 1024;
    let scale = if rest.is_empty() {
        Some(1)
    } else if bytes {
        let units = [
            ("KiB", k),
            ("MiB", k.pow(2)),
            ("GiB", k.pow(3)),
            ("TiB", k.pow(4)),
            ("PiB", k.pow(5)),
            ("PiB", k.pow(6)),
        ];
        units
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(rest))
            .map(|&(_, v)| v)
    } else {
        let units = [
            ("Ki", k),
            ("Mi", k.pow(2)),
            ("Gi", k.pow(3)),
            ("Ti", k.pow(4)),
            ("Pi", k.pow(5)),
            ("Ei", k.pow(6)),
        ];
        units
            .iter()
            .find(|(u, _)| u.eq_ignore_ascii_case(rest))
            .map(|&(_, v)| v)
    };
    let Some(scale) = scale else {
        let bb = if bytes { "Bytes" } else { "" };
        return Err(format!("unrecognized binary{bb} multiplier \"{rest}\""));
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("binary too large: \"{s}\" is more than {} {b}", u64::MAX))
}

/// parser.y's percentage: strtoul (leading space and a sign allowed) followed by exactly "%".
pub(crate) fn percent(s: &str, keyname: &str) -> Result<u32, String> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(format!("malformed percentage {keyname}={s}"));
    }
    let rest = &t[digits..];
    if rest != "%" {
        return Err(format!("bad percentage multiplier \"{rest}\" on {s}"));
    }
    let v = t[..digits].bytes().try_fold(0u64, |a, d| {
        a.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    let v = match (v, neg) {
        (Some(v), false) => Some(v),
        (Some(v), true) => Some(v.wrapping_neg()),
        (None, _) => None,
    };
    match v {
        Some(v) if v <= u64::from(u32::MAX) => Ok(v as u32),
        _ => Err(format!("percentage way too large \"{s}\"")),
    }
}

/// parser_enum_list: names separated by `:`, `,`, space or tab, looked up case-insensitively.
/// Like 4.10, a bad name is only an error while nothing has matched yet. Errors are fatal.
pub(crate) fn enum_list(def: &KwDef, s: &str, list: bool) -> Result<u32, String> {
    let mut found = 0;
    let mut v = 0u32;
    for piece in s.split([':', ',', ' ', '\t']).filter(|p| !p.is_empty()) {
        if let Some(x) = keywords::value_of(def, piece) {
            found += 1;
            v |= x;
        }
        if found == 0 {
            return Err(format!("keyword {}, invalid value: {}", def.name, piece));
        }
    }
    if found > 1 && !list {
        return Err(format!(
            "keyword {} accepts only one value, not {}",
            def.name, s
        ));
    }
    Ok(v)
}

/// parser_lset (plutodebug=): lmod_arg over `+`, `,`, space, tab separated words; `none`
/// clears, `no-X` removes, `all`/`tmi` are aliases, bit names with or without `debug-`.
pub(crate) fn lset(def: &KwDef, s: &str) -> Result<u64, String> {
    const ALL: u64 = 0b111;
    let mask = (1u64 << keywords::DEBUG_BITS.len()) - 1;
    let mut set = 0u64;
    for elem in s.split(['+', ',', ' ', '\t']).filter(|p| !p.is_empty()) {
        if elem == "none" {
            set = 0;
            continue;
        }
        let (no, arg) = match elem.strip_prefix("no-") {
            Some(a) => (true, a),
            None => (false, elem),
        };
        let bits = match arg {
            "all" => ALL,
            "tmi" => ALL | 1 << 3,
            _ => {
                let bare = if arg.len() >= 6 && arg[..6].eq_ignore_ascii_case("debug-") {
                    &arg[6..]
                } else {
                    ""
                };
                keywords::DEBUG_BITS
                    .iter()
                    .find(|(n, _)| {
                        n.eq_ignore_ascii_case(arg)
                            || (!bare.is_empty() && n.eq_ignore_ascii_case(bare))
                    })
                    .map_or(0, |&(_, i)| 1u64 << i)
            }
        };
        if bits == 0 {
            return Err(format!("keyword {}, invalid value: {}", def.name, s));
        }
        if no {
            set &= !bits;
        } else {
            set |= bits;
        }
    }
    Ok(set & mask)
}

/// parser_loose_enum: a known name (case-insensitive) or "other".
pub(crate) fn loose(def: &KwDef, s: &str) -> Option<u32> {
    keywords::value_of(def, s).filter(|&v| v != 255)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(time_ms("8h", false), Ok(8 * 3_600_000));
        assert_eq!(time_ms("10", false), Ok(10_000));
        assert_eq!(time_ms("10", true), Ok(10));
        assert_eq!(time_ms("3MS", false), Ok(3));
        assert!(time_ms("x", false).is_err());
        assert!(time_ms("1y", false).is_err());
        assert!(time_ms("99999999999999999999w", false).is_err());
    }

    #[test]
    fn binaries() {
        assert_eq!(binary("2Ki", false), Ok(2048));
        assert_eq!(binary("1kib", true), Ok(1024));
        assert!(binary("1EiB", true).is_err());
        assert!(binary("1Ki", true).is_err());
        assert!(binary("16384Ei", false).is_err());
    }

    #[test]
    fn percents() {
        assert_eq!(percent("100%", "rekeyfuzz"), Ok(100));
        assert_eq!(percent(" -0%", "rekeyfuzz"), Ok(0));
        assert!(percent("-1%", "rekeyfuzz").is_err());
        assert!(percent("5", "rekeyfuzz").is_err());
        assert!(percent("%", "rekeyfuzz").is_err());
    }
}
