//! From parsed sections to conns: 4.10's confread.c (load_setup, translate_field, load_conn's
//! also= walk, %default inheritance) with its precedence and its messages.
//!
//! Precedence, as in 4.10: a conn's own settings, then those of its also= sections in the
//! order 4.10 walks them (a field already set by the conn or an earlier also= section is a
//! duplicate: reported, and fatal for the conn when the value differs), then `%default`'s
//! (`k_default`: silently overridden). also= cycles are not errors in 4.10 (a section is taken
//! in once); we report them as warnings naming the chain.
//!
//! Cost is linear: sections are found through a name index, the also= walk keeps a per-conn
//! visited list (at most ALSO_LIMIT long), and `%default`'s settings are shared, not copied.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::keywords::{kv, EndKw, Field, Kw, KwDef, SetupKw, Type};
use super::parse::{Entry, Parsed, Section};
use super::{Conn, Diagnostic, EndSettings, Setting, Settings, Setup, Severity, Value};
use crate::error::Location;

/// 4.10's ALSO_LIMIT: a conn may name at most this many also= sections (counting every name
/// met on the walk, repeats included) minus one.
pub(crate) const ALSO_LIMIT: usize = 32;

const NK: usize = Kw::ALL.len();
const NE: usize = EndKw::ALL.len();
const NSLOTS: usize = NK + 2 * NE;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KSet {
    Unset,
    Set,
    Default,
}

#[derive(Clone, Debug)]
struct Slot<'a> {
    state: KSet,
    entry: Option<&'a Entry>,
    /// For appended fields (also=, connalias=, subnets=): the joined text.
    joined: Option<String>,
}

const EMPTY: Slot<'static> = Slot {
    state: KSet::Unset,
    entry: None,
    joined: None,
};

/// The fields of one conn being loaded (4.10's starter_conn strings/options and their *_set).
struct Work<'a> {
    slots: Vec<Slot<'a>>,
    touched: Vec<usize>,
    /// 4.10's conn->strings[KSCF_ALSO] during the walk.
    also: Option<String>,
    /// Scratch for the also= walk (see `Ctx::load_conn`), kept to reuse its memory.
    alsos: Vec<(String, usize)>,
    visited: Vec<usize>,
}

impl<'a> Work<'a> {
    fn new() -> Self {
        Work {
            slots: vec![EMPTY; NSLOTS],
            touched: Vec::new(),
            also: None,
            alsos: Vec::new(),
            visited: Vec::new(),
        }
    }
    fn reset(&mut self) {
        for i in self.touched.drain(..) {
            self.slots[i] = EMPTY;
        }
        self.also = None;
    }
    fn touch(&mut self, i: usize) -> &mut Slot<'a> {
        if self.slots[i].state == KSet::Unset
            && self.slots[i].entry.is_none()
            && self.slots[i].joined.is_none()
        {
            self.touched.push(i);
        }
        &mut self.slots[i]
    }
}

fn slot_index(field: Field, left: bool) -> Option<usize> {
    match field {
        Field::Conn(k) => Some(k as usize),
        Field::End(e) => Some(NK + if left { 0 } else { NE } + e as usize),
        Field::Setup(_) | Field::None => None,
    }
}

fn kw_of(i: usize) -> Kw {
    Kw::ALL[i]
}

fn end_of(i: usize) -> EndKw {
    EndKw::ALL[i]
}

/// The number 4.10 stores for a value (its `options[]`), for duplicate comparisons.
fn number(v: &Value) -> u64 {
    v.number().unwrap_or(0)
}

struct Ctx<'a> {
    parsed: &'a Parsed,
    files: &'a [PathBuf],
    by_name: HashMap<&'a str, usize>,
    defaults: Work<'a>,
    /// Per end: %default left a literal public key behind (see `checks`).
    default_keys: [bool; 2],
    /// Whether the joined texts of appended fields are wanted (not for a check).
    texts: bool,
}

impl<'a> Ctx<'a> {
    fn loc(&self, file: u32, line: u32) -> Location {
        Location {
            file: self.files[file as usize].clone(),
            line,
        }
    }
    fn diag(&self, file: u32, line: u32, message: String, severity: Severity) -> Diagnostic {
        Diagnostic {
            file: self.files[file as usize].clone(),
            line,
            message,
            severity,
        }
    }

    /// The state of a field for a conn: its own, else %default's.
    fn state(&self, w: &Work<'a>, i: usize) -> KSet {
        match w.slots[i].state {
            KSet::Unset => self.defaults.slots[i].state,
            s => s,
        }
    }

    /// 4.10's translate_conn for one section. Returns true on a serious error.
    fn translate(
        &self,
        w: &mut Work<'a>,
        sec: &'a Section,
        conn_name: &str,
        assigned: KSet,
        out: &mut Vec<Diagnostic>,
    ) -> bool {
        let mut serious = false;
        for e in self.parsed.entries(sec) {
            if !e.def.is(kv::CONN) {
                let m = format!(
                    "keyword '{}' is not valid in a conn ({})\n",
                    e.def.name,
                    self.parsed.name(sec)
                );
                out.push(self.diag(e.file, e.line, m, Severity::Warning));
                continue;
            }
            if e.def.is(kv::LEFTRIGHT) {
                if e.ends.left {
                    serious |= self.field(w, sec, conn_name, assigned, e, "left", true, out);
                }
                if e.ends.right {
                    serious |= self.field(w, sec, conn_name, assigned, e, "right", false, out);
                }
            } else {
                serious |= self.field(w, sec, conn_name, assigned, e, "", false, out);
            }
        }
        serious
    }

    #[allow(clippy::too_many_arguments)]
    fn field(
        &self,
        w: &mut Work<'a>,
        sec: &'a Section,
        conn_name: &str,
        assigned: KSet,
        e: &'a Entry,
        leftright: &str,
        left: bool,
        out: &mut Vec<Diagnostic>,
    ) -> bool {
        let def: &KwDef = e.def;
        let dup = |sev| {
            let m = format!(
                "duplicate key '{}{}' in conn {} while processing def {}",
                leftright,
                def.name,
                conn_name,
                self.parsed.name(sec)
            );
            self.diag(e.file, e.line, m, sev)
        };
        match def.ty {
            Type::Comment => return false,
            Type::Obsolete | Type::ObsoleteQuiet => {
                let m = format!("Warning: obsolete keyword '{}' ignored", def.name);
                out.push(self.diag(e.file, e.line, m, Severity::Warning));
                return false;
            }
            _ => {}
        }
        let Some(i) = slot_index(def.field, left) else {
            return false;
        };
        match def.ty {
            Type::AppendString | Type::AppendList => {
                if e.value == Value::MissingText {
                    return false;
                }
                if def.field == Field::Conn(Kw::Also) {
                    w.also = Some(match w.also.take() {
                        Some(s) => s + " " + &self.parsed.raw(e),
                        None => self.parsed.raw(e).into_owned(),
                    });
                }
                let prev = match (self.texts, w.slots[i].state) {
                    (false, _) => None,
                    (true, KSet::Unset) => self.defaults.slots[i].joined.clone(),
                    (true, _) => w.slots[i].joined.clone(),
                };
                let s = w.touch(i);
                if self.texts {
                    s.joined = Some(match prev {
                        Some(p) => p + " " + &self.parsed.raw(e),
                        None => self.parsed.raw(e).into_owned(),
                    });
                }
                s.entry = Some(e);
                s.state = KSet::Set;
                false
            }
            Type::LooseEnum | Type::Pubkey => {
                if let (KSet::Set, Some(old)) = (self.state(w, i), w.slots[i].entry) {
                    let same = number(&old.value) == 255
                        && e.value == Value::Loose(None)
                        && old.value == Value::Loose(None)
                        && self.parsed.raw(old) == self.parsed.raw(e);
                    out.push(dup(if same {
                        Severity::Warning
                    } else {
                        Severity::Error
                    }));
                    if !same {
                        return true;
                    }
                }
                if def.ty == Type::Pubkey && self.parsed.raw(e).is_empty() {
                    // "" is in 4.10's pubkey list as "literal key follows" with no key: its
                    // addconn then fails an assertion and aborts on the whole file.
                    let m = format!(
                        "empty {leftright}{}= value (4.10's addconn aborts on it)",
                        def.name
                    );
                    out.push(self.diag(e.file, e.line, m, Severity::Fatal));
                    return true;
                }
                let s = w.touch(i);
                s.entry = Some(e);
                s.state = assigned;
                false
            }
            Type::String
            | Type::Filename
            | Type::Dirname
            | Type::BitString
            | Type::IpAddr
            | Type::Range
            | Type::Subnet
            | Type::IdType => {
                if self.state(w, i) == KSet::Set {
                    // 4.10 compares against a value it never fills in for these types:
                    // every duplicate is fatal for the conn.
                    out.push(dup(Severity::Error));
                    return true;
                }
                if e.value == Value::MissingText {
                    let m = format!("Invalid {} value", def.name);
                    out.push(self.diag(e.file, e.line, m, Severity::Error));
                    return true;
                }
                let s = w.touch(i);
                s.entry = Some(e);
                s.state = assigned;
                false
            }
            _ => {
                if let (KSet::Set, Some(old)) = (self.state(w, i), w.slots[i].entry) {
                    let same = number(&old.value) as i32 == number(&e.value) as i32;
                    out.push(dup(if same {
                        Severity::Warning
                    } else {
                        Severity::Error
                    }));
                    if !same {
                        return true;
                    }
                }
                let s = w.touch(i);
                s.entry = Some(e);
                s.state = assigned;
                false
            }
        }
    }

    /// The rest of 4.10's load_conn that can fail without the network: authby= and the
    /// per-end checks that need no address parsing.
    /// `key_before`: per end, whether a literal public key is already there before the end is
    /// checked (4.10 copies %default's into every conn, so any key then is a duplicate).
    fn checks(&self, w: &Work<'a>, key_before: [bool; 2], out: &mut Vec<Diagnostic>) -> bool {
        let get = |i: usize| -> Option<&'a Entry> {
            match w.slots[i].state {
                KSet::Unset => self.defaults.slots[i].entry,
                _ => w.slots[i].entry,
            }
        };
        let ikev1 = match get(Kw::Ikev2 as usize).map(|e| number(&e.value)) {
            Some(0 | 1) => true,
            Some(_) | None => false,
        };
        if let Some(e) = get(Kw::Authby as usize) {
            if e.value == Value::Text {
                for val in self.parsed.raw(e).split([',', ' ']) {
                    let problem = match val {
                        "secret" | "rsasig" | "rsa" | "never" => None,
                        _ if ikev1 => {
                            Some("ikev1 connection must use authby= of rsasig, secret or never")
                        }
                        "null" | "rsa-sha1" | "rsa-sha2" | "rsa-sha2_256" | "rsa-sha2_384"
                        | "rsa-sha2_512" | "ecdsa" | "ecdsa-sha2" | "ecdsa-sha2_256"
                        | "ecdsa-sha2_384" | "ecdsa-sha2_512" => None,
                        "ecdsa-sha1" => Some("authby=ecdsa cannot use sha1, only sha2"),
                        _ => Some("connection authby= value is unknown"),
                    };
                    if let Some(m) = problem {
                        out.push(self.diag(e.file, e.line, m.into(), Severity::Error));
                        return true;
                    }
                }
            }
        }
        let mut err = false;
        for (n, (left, lr)) in [(true, "left"), (false, "right")].into_iter().enumerate() {
            let at = |k: EndKw| get(slot_index(Field::End(k), left).expect("end"));
            let subnet = at(EndKw::Subnet);
            let pool = at(EndKw::AddressPool);
            let mut push = |e: &Entry, m: String| {
                out.push(self.diag(e.file, e.line, m, Severity::Error));
                err = true;
            };
            if let Some(s) = subnet {
                if pool.is_some() {
                    push(
                        s,
                        format!("cannot specify both {lr}subnet= and {lr}addresspool="),
                    );
                }
                if (self.parsed.raw(s).starts_with("vhost:")
                    || self.parsed.raw(s).starts_with("vnet:"))
                    && !ikev1
                {
                    push(
                        s,
                        "The vnet: and vhost: keywords are only valid for IKEv1 connections".into(),
                    );
                }
            }
            let mut have_key = key_before[n];
            for k in [EndKw::RsaSigKey, EndKw::EcdsaKey, EndKw::Pubkey] {
                if let Some(e) = at(k) {
                    if have_key {
                        push(e, "duplicate public key".into());
                    }
                    if e.value == Value::Loose(None) {
                        have_key = true;
                    }
                }
            }
            if let (Some(c), Some(_)) = (at(EndKw::Cert), at(EndKw::Ckaid)) {
                push(
                    c,
                    format!("only one of {lr}cert and {lr}ckaid can be specified"),
                );
            }
            if let Some(c) = at(EndKw::Ckaid) {
                if let Err(m) = hex_data(&self.parsed.raw(c)) {
                    push(c, format!("invalid {lr}ckaid: {m}"));
                }
            }
            if let (Some(p), Some(_)) = (pool, subnet) {
                push(
                    p,
                    format!("cannot specify both {lr}subnet= and {lr}addresspool="),
                );
            }
        }
        err
    }

    /// 4.10's load_conn for a real conn (also= walk on).
    /// `taken`: where the names of the also= sections taken in go (None: not wanted).
    fn load_conn(
        &self,
        w: &mut Work<'a>,
        idx: usize,
        mut taken: Option<&mut Vec<String>>,
        out: &mut Vec<Diagnostic>,
    ) {
        let sec = &self.parsed.sections[idx];
        let conn_name = self.parsed.name(sec);
        w.also = self.defaults.also.clone();
        if self.translate(w, sec, conn_name, KSet::Set, out) {
            return;
        }
        // Each also= name with where it was written.
        let origin = |name: &str, s: &Section| -> (u32, u32) {
            self.parsed
                .entries(s)
                .iter()
                .find(|e| {
                    e.def.field == Field::Conn(Kw::Also)
                        && self
                            .parsed
                            .raw(e)
                            .split_ascii_whitespace()
                            .any(|n| n == name)
                })
                .map_or((s.file, s.line), |e| (e.file, e.line))
        };
        // (name, index of the section naming it); both lists reused from conn to conn.
        let mut alsos = std::mem::take(&mut w.alsos);
        let mut visited = std::mem::take(&mut w.visited);
        alsos.clear();
        visited.clear();
        if let Some(a) = w.also.take() {
            alsos.extend(a.split_ascii_whitespace().map(|n| (n.to_string(), idx)));
        }
        // Failures in the walk are in `out`; 4.10 goes on to check the rest all the same.
        visited.push(idx);
        let mut place = 0;
        let mut complete = true;
        while place < alsos.len() {
            if alsos.len() >= ALSO_LIMIT {
                let (f, l) = origin(&alsos[place].0, &self.parsed.sections[alsos[place].1]);
                let m = format!(
                    "while loading conn '{}', too many also= used at section (null). Limit is {}",
                    conn_name, ALSO_LIMIT
                );
                out.push(self.diag(f, l, m, Severity::Error));
                complete = false;
                break;
            }
            let (name, from) = (alsos[place].0.as_str(), alsos[place].1);
            place += 1;
            let Some(&target) = self.by_name.get(name) else {
                let (f, l) = origin(name, &self.parsed.sections[from]);
                let m = format!("cannot find conn '{}' needed by conn '{}'", name, conn_name);
                out.push(self.diag(f, l, m, Severity::Error));
                continue;
            };
            if visited.contains(&target) {
                if target == idx || self.in_chain(&alsos, from, target, idx) {
                    let (f, l) = origin(name, &self.parsed.sections[from]);
                    let chain = self.chain(&alsos, from, idx);
                    let m = format!(
                        "also= cycle: {} -> {} (4.10 takes each section in once)",
                        chain, name
                    );
                    out.push(self.diag(f, l, m, Severity::Warning));
                }
                continue;
            }
            visited.push(target);
            if let Some(t) = taken.as_deref_mut() {
                t.push(name.to_string());
            }
            w.also = None;
            let addin = &self.parsed.sections[target];
            self.translate(w, addin, conn_name, KSet::Set, out);
            if let Some(a) = w.also.take() {
                alsos.extend(a.split_ascii_whitespace().map(|n| (n.to_string(), target)));
            }
        }
        w.alsos = alsos;
        w.visited = visited;
        if complete {
            self.checks(w, self.default_keys, out);
        }
    }

    /// Whether `target` is an ancestor of `from` on the also= walk (a cycle, not a diamond).
    fn in_chain(&self, alsos: &[(String, usize)], from: usize, target: usize, root: usize) -> bool {
        let mut cur = from;
        for _ in 0..=ALSO_LIMIT {
            if cur == target {
                return true;
            }
            if cur == root {
                return false;
            }
            match self.parent(alsos, cur) {
                Some(p) => cur = p,
                None => return false,
            }
        }
        false
    }

    fn parent(&self, alsos: &[(String, usize)], sec: usize) -> Option<usize> {
        let name = self.parsed.name(&self.parsed.sections[sec]);
        alsos
            .iter()
            .find(|(n, _)| n == name && self.by_name.get(n.as_str()) == Some(&sec))
            .map(|(_, p)| *p)
    }

    fn chain(&self, alsos: &[(String, usize)], from: usize, root: usize) -> String {
        let mut names = vec![self.parsed.name(&self.parsed.sections[from])];
        let mut cur = from;
        for _ in 0..=ALSO_LIMIT {
            if cur == root {
                break;
            }
            match self.parent(alsos, cur) {
                Some(p) => {
                    names.push(self.parsed.name(&self.parsed.sections[p]));
                    cur = p;
                }
                None => break,
            }
        }
        names.reverse();
        names.join(" -> ")
    }
}

/// Whether the last diagnostic is one of the authby= errors that end 4.10's load_conn before
/// the ends are checked.
fn authby_failed(out: &[Diagnostic]) -> bool {
    out.last().is_some_and(|d| {
        d.message.starts_with("ikev1 connection must use authby")
            || d.message.starts_with("authby=ecdsa cannot")
            || d.message.starts_with("connection authby= value")
    })
}

/// 4.10's ttodata in base 16 (ckaid=): hex pairs, optionally separated by '_'.
fn hex_data(s: &str) -> Result<(), &'static str> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        if i + 1 >= b.len() {
            return Err("input ends in mid-byte, perhaps truncated");
        }
        if !b[i].is_ascii_hexdigit() || !b[i + 1].is_ascii_hexdigit() {
            return Err("unknown character in input");
        }
        i += 2;
        n += 1;
        if i + 1 < b.len() && b[i] == b'_' {
            i += 1;
        }
    }
    if n == 0 {
        return Err("no data bytes specified by input");
    }
    Ok(())
}

fn setting(parsed: &Parsed, e: &Entry, raw: Option<&String>, inherited: bool) -> Setting {
    let files = &parsed.files;
    Setting {
        raw: raw.cloned().unwrap_or_else(|| parsed.raw(e).into_owned()),
        value: e.value.clone(),
        at: Location {
            file: files[e.file as usize].clone(),
            line: e.line,
        },
        inherited,
    }
}

/// `config setup`: later settings replace earlier ones (4.10's load_setup).
pub(crate) fn setup(parsed: &Parsed, out: &mut Vec<Diagnostic>) -> Setup {
    let files = &parsed.files;
    let mut own: Vec<(SetupKw, Setting)> = Vec::new();
    for e in &parsed.setup {
        match (e.def.ty, e.def.field) {
            (Type::Obsolete | Type::ObsoleteQuiet, _) => out.push(Diagnostic {
                file: files[e.file as usize].clone(),
                line: e.line,
                message: format!("Warning: ignored obsolete keyword '{}'", e.def.name),
                severity: Severity::Warning,
            }),
            (_, Field::Setup(k)) => {
                let s = setting(parsed, e, None, false);
                match own.iter_mut().find(|(x, _)| *x == k) {
                    Some(slot) => slot.1 = s,
                    None => own.push((k, s)),
                }
            }
            _ => {}
        }
    }
    Setup {
        at: parsed.setup_at.map(|(f, l)| Location {
            file: files[f as usize].clone(),
            line: l,
        }),
        settings: Settings { own, base: None },
    }
}

type Shared<K> = Option<Arc<Vec<(K, Setting)>>>;

fn share<K>(v: Vec<(K, Setting)>) -> Shared<K> {
    if v.is_empty() {
        None
    } else {
        Some(Arc::new(v))
    }
}

/// Every conn except `%default`, in file order (none unless `keep`: for a check, only the
/// diagnostics matter). Diagnostics about %default go to `out`.
pub(crate) fn conns(parsed: &Parsed, out: &mut Vec<Diagnostic>, keep: bool) -> Vec<Conn> {
    let files = &parsed.files;
    let mut by_name = HashMap::with_capacity(parsed.sections.len());
    for (i, s) in parsed.sections.iter().enumerate() {
        by_name.entry(parsed.name(s)).or_insert(i);
    }
    let mut ctx = Ctx {
        parsed,
        files,
        by_name,
        defaults: Work::new(),
        default_keys: [false; 2],
        texts: keep,
    };

    // conn %default sections, in order, until one fails (4.10 stops there).
    let mut defaults = Work::new();
    for sec in parsed
        .sections
        .iter()
        .filter(|s| parsed.name(s) == "%default")
    {
        let mut err = ctx.translate(&mut defaults, sec, parsed.name(sec), KSet::Default, out);
        if let Some((f, l)) = sec.comment {
            // 4.10 moves a section's x- comments onto the conn, but never initialised
            // %default's list: addconn crashes (SIGSEGV) on the whole file.
            let m = "x- comment in conn %default (4.10's addconn crashes on it)".to_string();
            out.push(ctx.diag(f, l, m, Severity::Fatal));
            break;
        }
        if !err && defaults.also.is_some() {
            let e = parsed
                .entries(sec)
                .iter()
                .find(|e| e.def.field == Field::Conn(Kw::Also));
            let (f, l) = e.map_or((sec.file, sec.line), |e| (e.file, e.line));
            out.push(ctx.diag(
                f,
                l,
                format!("also= is not valid in section '{}'", parsed.name(sec)),
                Severity::Error,
            ));
            err = true;
        }
        if !err {
            let saved = std::mem::replace(&mut ctx.defaults, Work::new());
            let keys = ctx.default_keys;
            err = ctx.checks(&defaults, keys, out);
            ctx.defaults = saved;
            // The ends were checked (authby= passed): a literal key there now sits in 4.10's
            // %default and is copied into every conn.
            if !authby_failed(out) {
                for (n, left) in [true, false].into_iter().enumerate() {
                    ctx.default_keys[n] |= [EndKw::RsaSigKey, EndKw::EcdsaKey, EndKw::Pubkey]
                        .iter()
                        .any(|&k| {
                            let i = slot_index(Field::End(k), left).expect("end");
                            defaults.slots[i]
                                .entry
                                .is_some_and(|e| e.value == Value::Loose(None))
                        });
                }
            }
        }
        if err {
            break;
        }
    }
    ctx.defaults = defaults;

    // %default's settings, shared by every conn.
    let mut dk: Vec<(Kw, Setting)> = Vec::new();
    let mut dl: Vec<(EndKw, Setting)> = Vec::new();
    let mut dr: Vec<(EndKw, Setting)> = Vec::new();
    for &i in &ctx.defaults.touched {
        let s = &ctx.defaults.slots[i];
        let Some(e) = s.entry else { continue };
        let st = setting(parsed, e, s.joined.as_ref(), true);
        if i < NK {
            dk.push((kw_of(i), st));
        } else if i < NK + NE {
            dl.push((end_of(i - NK), st));
        } else {
            dr.push((end_of(i - NK - NE), st));
        }
    }
    let (dk, dl, dr): (Shared<Kw>, Shared<EndKw>, Shared<EndKw>) =
        (share(dk), share(dl), share(dr));

    let mut conns = Vec::new();
    let mut w = Work::new();
    let mut errors = Vec::new();
    for (idx, sec) in parsed.sections.iter().enumerate() {
        if parsed.name(sec) == "%default" {
            continue;
        }
        if !keep {
            // Only the diagnostics are wanted: nothing of the conn is kept.
            ctx.load_conn(&mut w, idx, None, out);
            w.reset();
            continue;
        }
        let mut conn = Conn {
            name: parsed.name(sec).to_string(),
            at: ctx.loc(sec.file, sec.line),
            alsos: Vec::new(),
            errors: Vec::new(),
            settings: Settings {
                own: Vec::new(),
                base: dk.clone(),
            },
            left: EndSettings {
                settings: Settings {
                    own: Vec::new(),
                    base: dl.clone(),
                },
            },
            right: EndSettings {
                settings: Settings {
                    own: Vec::new(),
                    base: dr.clone(),
                },
            },
        };
        ctx.load_conn(&mut w, idx, Some(&mut conn.alsos), &mut errors);
        let mut touched = std::mem::take(&mut w.touched);
        touched.sort_unstable();
        // Exact capacities: 100,000 conns make slack add up.
        let set = |i: &&usize| w.slots[**i].state == KSet::Set && w.slots[**i].entry.is_some();
        let n_conn = touched.iter().filter(|i| **i < NK).filter(set).count();
        let n_left = touched
            .iter()
            .filter(|i| (NK..NK + NE).contains(*i))
            .filter(set)
            .count();
        let n_right = touched
            .iter()
            .filter(|i| **i >= NK + NE)
            .filter(set)
            .count();
        conn.settings.own.reserve_exact(n_conn);
        conn.left.settings.own.reserve_exact(n_left);
        conn.right.settings.own.reserve_exact(n_right);
        for &i in &touched {
            let s = &w.slots[i];
            let Some(e) = s.entry else { continue };
            if s.state != KSet::Set {
                continue;
            }
            let st = setting(parsed, e, s.joined.as_ref(), false);
            if i < NK {
                conn.settings.own.push((kw_of(i), st));
            } else if i < NK + NE {
                conn.left.settings.own.push((end_of(i - NK), st));
            } else {
                conn.right.settings.own.push((end_of(i - NK - NE), st));
            }
        }
        w.touched = touched;
        w.reset();
        out.extend(errors.iter().cloned());
        conn.errors = std::mem::take(&mut errors);
        conns.push(conn);
    }
    conns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_tables_match_declaration_order() {
        for (i, k) in Kw::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
        for (i, k) in EndKw::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i);
        }
    }
}
