//! libreswan 4.10's ipsec.conf language: parsing, `also=`/`%default` resolution, typed values.
//!
//! The behaviour is 4.10's (lib/libipsecconf: parser.lex, parser.y, keywords.c, confread.c) as
//! shipped by Debian 12, checked against `ipsec addconn --checkconfig` (tests/config_*.rs):
//!
//! - [`load_file`] / [`load_str`] parse a file (with its `include`s), then resolve every
//!   `conn` section except `%default` into a [`Conn`]: its own settings, then those of its
//!   `also=` sections (transitively, in 4.10's walk order), then `%default`'s (marked
//!   [`Setting::inherited`], 4.10's `k_default`). They fail with [`Error::Config`] (file and
//!   line) on the problem 4.10's addconn reports when it rejects the whole file.
//! - [`check_file`] / [`check_str`] report every problem at once, that one first.
//!
//! # Severity
//! [`Severity::Fatal`]: addconn rejects the file (syntax errors, bad enum values, a conn-only
//! keyword in config setup, an empty `…rsasigkey=""` that makes 4.10 abort).
//! [`Severity::Error`]: 4.10 lists it and the conn it belongs to does not load (conflicting
//! duplicate keys, a missing also= section, ALSO_LIMIT, bad authby=, cert+ckaid, …); kept in
//! [`Conn::errors`] and [`Config::diagnostics`]. [`Severity::Warning`]: 4.10 lists it, logs it or
//! silently drops the setting (same-value duplicates, obsolete keywords, a missing include,
//! "not a number", unparsable times/percentages/byte counts, max include depth), or we add it
//! (also= cycles, which 4.10 resolves by taking each section once; invalid UTF-8).
//! Address syntax (subnet=, nexthop=, sourceip=, addresspool=, protoport=, vti=) is not
//! checked here: 4.10 does it while building the conn (see `addconn`).
//!
//! # Syntax, as 4.10 has it
//! Section headers (`config setup`, `conn NAME`, `include PATTERN`, `version N`) at column 0;
//! keywords indented. Keywords are case-insensitive; `leftX=`/`rightX=` address one end and a
//! bare `X=` of a per-end keyword sets the right end only. Values: `"…"` (no newline or quote
//! inside), `{…}`, or a blank-free word; a quote glued to more text stays part of it. yes/no
//! words are lower case (y/yes/true/on, n/no/false/off); enum names are case-insensitive.
//! `#` starts a comment only at a line start or when longer than a word (`x #c` is an error).
//! `keyword=` with nothing sets nothing (but is an error for yes/no, time and percentage
//! keywords). Duplicates: in config setup and %default the last wins; in a conn, see
//! [`Severity::Error`]. `include` takes a glob(3) pattern with braces, relative to the working
//! directory for [`load_file`] (as 4.10) or to `include_base` for [`load_str`]; at most 10
//! files deep (deeper includes are skipped with a warning). Our bounds (4.10 has none): 256 MiB
//! for the main file, 128 MiB of included text in all.
//!
//! # Values
//! [`Value`] is what 4.10 stores: times in milliseconds (unit-less numbers are seconds, or
//! milliseconds for retransmit-interval=; `%forever` is 0), yes/no as bools, enum names as
//! 4.10's numbers, byte counts and percentages as numbers, loose enums (left=, rsasigkey=,
//! ipsec-interface=) as a known `%`-name's number or "other"; `raw` keeps the text.
//! Built-in values for unset fields are in [`defaults`]; the keyword table is
//! [`keywords::KEYWORDS`], looked up with [`lookup`].
//!
//! Settings are keyed by [`Kw`] (per conn), [`EndKw`] (per end) and [`SetupKw`]
//! (`config setup`): one variant per 4.10 field, so aliases share a key.

pub mod builder;
mod convert;
pub mod defaults;
pub mod gen;
pub mod keywords;
mod lex;
mod parse;
mod resolve;
mod source;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use builder::ConnBuilder;
pub use keywords::{lookup, EndKw, Field, Kw, KwDef, SetupKw, Type};
pub use source::{ConfigSource, DEFAULT_CONFIG};

use crate::error::{Error, Location};

/// How bad a [`Diagnostic`] is, measured by what 4.10's `addconn` does about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The whole file is rejected (`addconn --checkconfig` exits non-zero).
    Fatal,
    /// 4.10 reports it and the conn it belongs to does not load; the file is accepted.
    Error,
    /// 4.10 reports or silently ignores it; nothing fails.
    Warning,
}

/// One problem, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub line: u32,
    pub message: String,
    pub severity: Severity,
}

impl Diagnostic {
    pub fn at(&self) -> Location {
        Location {
            file: self.file.clone(),
            line: self.line,
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.severity {
            Severity::Fatal => "fatal",
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            what,
            self.message
        )
    }
}

/// One end of a conn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

/// A value as 4.10 stores it after parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// String-like types (strings, names, addresses, ids, also=, lists): the text is `raw`.
    /// For appended types (also=, connalias=, subnets=) `raw` holds all parts joined by a space.
    Text,
    /// Written as a plain number where 4.10 wanted text (4.10 keeps no string then: the conn
    /// fails with "Invalid … value"; in config setup the string is unset).
    MissingText,
    /// yes/no types (`Type::Bool`, `Type::InvertBool`; 4.10 stores 1/0 unchanged for both).
    Bool(bool),
    /// `Type::Number`, and numbers written for enum types (4.10 takes them unchecked).
    Number(u64),
    /// `Type::Time` in milliseconds.
    Millis(u64),
    /// `Type::Percent`.
    Percent(u32),
    /// `Type::Byte` and `Type::Binary`, scaled.
    Count(u64),
    /// `Type::Enum` / `Type::List`: 4.10's number for the name(s).
    Enum(u32),
    /// `Type::Lset` (plutodebug=): the set bits.
    Lset(u64),
    /// `Type::LooseEnum` / `Type::Pubkey`: `Some(n)` for a known %-name, `None` (4.10's 255,
    /// "other") for anything else, whose text is `raw`.
    Loose(Option<u32>),
    /// An obsolete keyword: accepted, ignored.
    Obsolete,
}

impl Value {
    /// The number 4.10 keeps for the value (its `options[]` slot): yes/no as 1/0, times in
    /// milliseconds, enum names as their numbers, a literal loose value as 255. None for text.
    pub fn number(&self) -> Option<u64> {
        Some(match self {
            Value::Bool(b) => u64::from(*b),
            Value::Number(n) | Value::Millis(n) | Value::Count(n) | Value::Lset(n) => *n,
            Value::Percent(n) | Value::Enum(n) => u64::from(*n),
            Value::Loose(Some(n)) => u64::from(*n),
            Value::Loose(None) => 255,
            Value::Text | Value::MissingText | Value::Obsolete => return None,
        })
    }
}

/// One setting of a conn, an end or config setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The text as written, without quotes or braces.
    pub raw: String,
    pub value: Value,
    /// Where it was written (for settings from also=/%default: in that section).
    pub at: Location,
    /// Came from `conn %default` (4.10's `k_default`: a conn may override it silently).
    pub inherited: bool,
}

/// Settings keyed by field, own ones first, then those shared from `%default`.
#[derive(Clone, Debug)]
pub struct Settings<K> {
    own: Vec<(K, Setting)>,
    base: Option<Arc<Vec<(K, Setting)>>>,
}

impl<K: Copy + PartialEq> Default for Settings<K> {
    fn default() -> Self {
        Settings {
            own: Vec::new(),
            base: None,
        }
    }
}

impl<K: Copy + PartialEq> Settings<K> {
    pub fn get(&self, k: K) -> Option<&Setting> {
        self.own
            .iter()
            .find(|(x, _)| *x == k)
            .or_else(|| {
                self.base
                    .as_ref()
                    .and_then(|b| b.iter().find(|(x, _)| *x == k))
            })
            .map(|(_, s)| s)
    }
    /// Every setting (own ones first), each field once.
    pub fn iter(&self) -> impl Iterator<Item = (K, &Setting)> + '_ {
        let own = &self.own;
        self.own.iter().map(|(k, s)| (*k, s)).chain(
            self.base
                .iter()
                .flat_map(|b| b.iter())
                .filter(move |(k, _)| !own.iter().any(|(o, _)| o == k))
                .map(|(k, s)| (*k, s)),
        )
    }
}

/// `config setup`.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// The first `config setup` line, if any.
    pub at: Option<Location>,
    settings: Settings<SetupKw>,
}

impl Setup {
    pub fn get(&self, kw: SetupKw) -> Option<&Setting> {
        self.settings.get(kw)
    }
    pub fn iter(&self) -> impl Iterator<Item = (SetupKw, &Setting)> + '_ {
        self.settings.iter()
    }
}

/// One end of a conn (`left…` or `right…` settings).
#[derive(Clone, Debug, Default)]
pub struct EndSettings {
    settings: Settings<EndKw>,
}

impl EndSettings {
    pub fn get(&self, kw: EndKw) -> Option<&Setting> {
        self.settings.get(kw)
    }
    pub fn iter(&self) -> impl Iterator<Item = (EndKw, &Setting)> + '_ {
        self.settings.iter()
    }
}

/// `auto=`, with 4.10's numbers (`STARTUP_*`; 1, "policy", has no keyword).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Auto {
    Ignore = 0,
    Policy = 1,
    Add = 2,
    Ondemand = 3,
    Start = 4,
    Keep = 5,
}

impl Auto {
    pub fn from_number(n: u64) -> Option<Auto> {
        Some(match n {
            0 => Auto::Ignore,
            1 => Auto::Policy,
            2 => Auto::Add,
            3 => Auto::Ondemand,
            4 => Auto::Start,
            5 => Auto::Keep,
            _ => return None,
        })
    }
}

/// One resolved `conn` section.
#[derive(Clone, Debug)]
pub struct Conn {
    pub name: String,
    /// The `conn NAME` line.
    pub at: Location,
    /// The names of the also= sections taken in, in the order 4.10 visits them (each once;
    /// [`Kw::Also`] itself holds the conn's own also= text, with %default's in front if any).
    pub alsos: Vec<String>,
    /// What 4.10 reports while loading this conn. Any [`Severity::Error`] here means 4.10
    /// does not load the conn.
    pub errors: Vec<Diagnostic>,
    settings: Settings<Kw>,
    left: EndSettings,
    right: EndSettings,
}

impl Conn {
    pub fn get(&self, kw: Kw) -> Option<&Setting> {
        self.settings.get(kw)
    }
    pub fn iter(&self) -> impl Iterator<Item = (Kw, &Setting)> + '_ {
        self.settings.iter()
    }
    pub fn end(&self, side: Side) -> &EndSettings {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }
    /// `auto=` as 4.10 reads it (unset: ignore; a number is taken as is, as 4.10 does).
    pub fn auto(&self) -> Result<Auto, u64> {
        match self.get(Kw::Auto).map(|s| &s.value) {
            Some(Value::Enum(n)) => Auto::from_number(u64::from(*n)).ok_or(u64::from(*n)),
            Some(Value::Number(n)) => Auto::from_number(*n).ok_or(*n),
            _ => Ok(Auto::Ignore),
        }
    }
    /// Whether 4.10 loads this conn (no [`Severity::Error`] while loading it).
    pub fn loaded(&self) -> bool {
        !self.errors.iter().any(|d| d.severity <= Severity::Error)
    }
}

/// A parsed and resolved configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub setup: Setup,
    /// Every conn section except `%default`, in file order (includes expanded in place).
    pub conns: Vec<Conn>,
    /// Warnings and per-conn errors, file-wide, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Config {
    /// The first conn with this name (as 4.10 finds it).
    pub fn conn(&self, name: &str) -> Option<&Conn> {
        self.conns.iter().find(|c| c.name == name)
    }
}

/// Loads a config file and everything it includes. Relative `include` paths are taken
/// relative to the working directory, as 4.10 does; "-" is standard input.
pub fn load_file(path: &Path) -> Result<Config, Error> {
    let data = read(path)?;
    finish(parse::parse(path.to_path_buf(), data, None))
}

/// Loads configuration text; `name` is used as its file name in locations, relative includes
/// are resolved against `include_base`.
pub fn load_str(text: &str, name: &str, include_base: &Path) -> Result<Config, Error> {
    load_bytes(text.as_bytes(), name, include_base)
}

/// [`load_str`] for text that need not be UTF-8 (4.10 reads bytes).
pub fn load_bytes(text: &[u8], name: &str, include_base: &Path) -> Result<Config, Error> {
    let parsed = parse::parse(
        PathBuf::from(name),
        Arc::from(text),
        Some(include_base.to_path_buf()),
    );
    finish(parsed)
}

/// Every problem of a file (and its includes): the one 4.10 would report first (if it rejects
/// the file), then the rest in the order found. Unreadable file: one fatal diagnostic.
/// Cheaper than [`load_file`]: conns are resolved one at a time and not kept.
pub fn check_file(path: &Path) -> Vec<Diagnostic> {
    match read(path) {
        Ok(data) => check(parse::parse(path.to_path_buf(), data, None)),
        Err(e) => vec![Diagnostic {
            file: path.to_path_buf(),
            line: 0,
            message: e.to_string(),
            severity: Severity::Fatal,
        }],
    }
}

/// [`check_file`] for text, as [`load_str`] takes it.
pub fn check_str(text: &str, name: &str, include_base: &Path) -> Vec<Diagnostic> {
    check(parse::parse(
        PathBuf::from(name),
        Arc::from(text.as_bytes()),
        Some(include_base.to_path_buf()),
    ))
}

fn read(path: &Path) -> Result<Arc<[u8]>, Error> {
    if path == Path::new("-") {
        // 4.10 reads standard input for "-".
        let mut v = Vec::new();
        let stdin = std::io::Read::take(std::io::stdin(), lex::MAX_FILE_BYTES as u64);
        return std::io::Read::read_to_end(&mut { stdin }, &mut v)
            .map(|_| Arc::from(v))
            .map_err(|e| Error::ConfigIo {
                path: path.to_path_buf(),
                reason: format!("can't load file '-': {e}"),
            });
    }
    let fail = |reason: String| Error::ConfigIo {
        path: path.to_path_buf(),
        reason: format!("can't load file '{}': {reason}", path.display()),
    };
    match lex::read_limited(path, lex::MAX_FILE_BYTES) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(fail(format!(
            "larger than {} MiB",
            lex::MAX_FILE_BYTES >> 20
        ))),
        Err(e) => Err(fail(match e.raw_os_error() {
            Some(n) => crate::error::strerror(n),
            None => e.to_string(),
        })),
    }
}

fn diagnostic(parsed: &parse::Parsed, p: &parse::Problem) -> Diagnostic {
    Diagnostic {
        file: parsed.files[p.file as usize].clone(),
        line: p.line,
        message: p.message.clone(),
        severity: p.severity,
    }
}

fn finish(parsed: parse::Parsed) -> Result<Config, Error> {
    if let Some(i) = parsed.primary {
        let d = diagnostic(&parsed, &parsed.problems[i]);
        return Err(Error::Config {
            at: d.at(),
            message: d.message,
        });
    }
    let mut diagnostics: Vec<Diagnostic> = parsed
        .problems
        .iter()
        .map(|p| diagnostic(&parsed, p))
        .collect();
    let setup = resolve::setup(&parsed, &mut diagnostics);
    let conns = resolve::conns(&parsed, &mut diagnostics, true);
    if let Some(d) = diagnostics.iter().find(|d| d.severity == Severity::Fatal) {
        return Err(Error::Config {
            at: d.at(),
            message: d.message.clone(),
        });
    }
    Ok(Config {
        setup,
        conns,
        diagnostics,
    })
}

fn check(parsed: parse::Parsed) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    if let Some(i) = parsed.primary {
        out.push(diagnostic(&parsed, &parsed.problems[i]));
    }
    out.extend(
        parsed
            .problems
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != parsed.primary)
            .map(|(_, p)| diagnostic(&parsed, p)),
    );
    resolve::setup(&parsed, &mut out);
    resolve::conns(&parsed, &mut out, false);
    // What 4.10 reports first goes first: the parser's verdict, else the first fatal one.
    if parsed.primary.is_none() {
        if let Some(i) = out.iter().position(|d| d.severity == Severity::Fatal) {
            let d = out.remove(i);
            out.insert(0, d);
        }
    }
    out
}
