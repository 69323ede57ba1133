//! The grammar (4.10's parser.y) over the scanner's tokens, with its actions: sections, typed
//! entries, includes. Errors are found at the same token as 4.10's LALR parser finds them, and
//! after one the parse restarts at the next token as 4.10's error loop does (4.10 keeps
//! running the grammar's actions then, so a bad enum value further down still ends the run).

use std::path::PathBuf;
use std::sync::Arc;

use super::convert;
use super::keywords::{kv, Ends, KwDef, Type};
use super::lex::{c_text, Kind, Lexer, Tok};
use super::{Severity, Value};

/// One `keyword=value` as parsed.
#[derive(Debug)]
pub(crate) struct Entry {
    pub def: &'static KwDef,
    pub ends: Ends,
    pub value: Value,
    pub file: u32,
    pub line: u32,
    /// The value's text: a byte range of [`Parsed::datas`]`[raw_data]`, read with
    /// [`Parsed::raw`] (no copy per entry; fields kept flat so that they pack).
    pub raw_data: u32,
    pub raw_start: usize,
    pub raw_end: usize,
}

#[derive(Debug)]
pub(crate) struct Section {
    /// The name's text in [`Parsed::names`] (read with [`Parsed::name`]): one string for
    /// all names rather than one each.
    pub name: std::ops::Range<usize>,
    pub file: u32,
    pub line: u32,
    /// This section's entries in [`Parsed::conn_entries`] (read with [`Parsed::entries`]):
    /// one vector for all sections rather than one each.
    pub entries: std::ops::Range<usize>,
    /// Where the first `x-…` comment of the section stands, if any.
    pub comment: Option<(u32, u32)>,
}

#[derive(Debug)]
pub(crate) struct Problem {
    pub file: u32,
    pub line: u32,
    pub message: String,
    pub severity: Severity,
}

#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub files: Vec<PathBuf>,
    /// The text of every file read, for [`Raw`].
    pub datas: Vec<Arc<[u8]>>,
    pub setup: Vec<Entry>,
    pub setup_at: Option<(u32, u32)>,
    pub sections: Vec<Section>,
    /// The names of every section, one after another.
    pub names: String,
    /// The entries of every section, in order.
    pub conn_entries: Vec<Entry>,
    /// In the order found.
    pub problems: Vec<Problem>,
    /// The problem 4.10 reports when it rejects the file, if it does.
    pub primary: Option<usize>,
}

/// What 4.10 says about a value.
enum Complaint {
    Warning(String),
    /// An invalid enum value (fatal: see `Parser::enum_error`).
    BadEnum(String),
}

/// 4.10's buffer for a parse error ("FILE:LINE: MESSAGE [TOKEN]" and its NUL).
const ERRSTRING_LEN: usize = 256;

#[derive(Clone, Copy)]
enum Target {
    None,
    Setup,
    /// A later `config setup` after one with settings: 4.10 links its settings nowhere
    /// (they are dropped, unchecked).
    SetupDetached,
    Section(usize),
}

struct Parser {
    lx: Lexer,
    la: Option<Tok>,
    out: Parsed,
    target: Target,
    first_syntax: Option<usize>,
    first_enum: Option<usize>,
    /// The scanner had to stop (see `Lexer::fatal`).
    lex_fatal: Option<usize>,
    /// A statement or header parsed since the last syntax error (to drop cascades).
    progress: bool,
}

/// Parses text (the main file's contents) and its includes.
pub(crate) fn parse(name: PathBuf, data: Arc<[u8]>, base: Option<PathBuf>) -> Parsed {
    // Every entry has an '=': reserving that many up front spares the big vector's regrowth,
    // whose copies would briefly double it (pages reserved but never written cost nothing).
    // Only a hint: if the system refuses (a file of '='), the vector grows as usual.
    let mut out = Parsed::default();
    if out
        .conn_entries
        .try_reserve(count_byte(&data, b'='))
        .is_ok()
    {
        huge_pages(&out.conn_entries);
    }
    let mut p = Parser {
        lx: Lexer::new(name, data, base),
        la: None,
        out,
        target: Target::None,
        first_syntax: None,
        first_enum: None,
        lex_fatal: None,
        progress: true,
    };
    loop {
        match p.config_file() {
            Ok(()) => break,
            Err(t) => p.syntax_error(t),
        }
        p.target = Target::None;
    }
    p.finish()
}

/// Asks the kernel to back a large vector's memory with huge pages where it can (as
/// transparent huge pages on request, "madvise", are usually set up): tens of megabytes of
/// entries otherwise cost a page fault per 4 KiB. Only advice; a failure changes nothing.
fn huge_pages<T>(v: &Vec<T>) {
    const HUGE: usize = 2 << 20;
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < 2 * HUGE {
        return;
    }
    let start = v.as_ptr() as usize;
    let (from, to) = (
        (start + HUGE - 1) & !(HUGE - 1),
        (start + bytes) & !(HUGE - 1),
    );
    if from < to {
        // SAFETY: the range lies within the vector's own allocation; MADV_HUGEPAGE changes
        // how pages are backed, never their contents.
        unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) };
    }
}

/// How many bytes of `b` are `c`: eight at a time (the byte loop does not vectorise).
fn count_byte(b: &[u8], c: u8) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pattern = u64::from_ne_bytes([c; 8]);
    let mut chunks = b.chunks_exact(8);
    let mut n = 0;
    for w in &mut chunks {
        let x = u64::from_ne_bytes(w.try_into().expect("8 bytes")) ^ pattern;
        // A byte's top bit ends up set exactly when the byte is zero.
        let zero = !(((x & LOW7) + LOW7) | x | LOW7);
        n += zero.count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|&&x| x == c).count()
}

impl Parsed {
    /// A section's name.
    pub fn name(&self, s: &Section) -> &str {
        &self.names[s.name.clone()]
    }

    /// A section's entries.
    pub fn entries(&self, s: &Section) -> &[Entry] {
        &self.conn_entries[s.entries.clone()]
    }

    /// An entry's value as text (as C sees it: up to a NUL; invalid UTF-8 replaced).
    pub fn raw(&self, e: &Entry) -> std::borrow::Cow<'_, str> {
        let b = &self.datas[e.raw_data as usize][e.raw_start..e.raw_end];
        c_text(b)
    }
}

impl Parser {
    /// The lookahead token's kind. (Only the kind: copying whole tokens back and forth right
    /// after the scanner wrote them stalled on store forwarding.)
    fn peek(&mut self) -> Kind {
        self.fill();
        match &self.la {
            Some(t) => t.kind,
            None => Kind::Eof,
        }
    }

    fn fill(&mut self) {
        if self.la.is_none() {
            self.la = Some(self.lx.next());
            if self.lx.fatal.is_some() {
                if let Some((file, line, m)) = self.lx.fatal.take() {
                    let i = self.problem(file, line, m, Severity::Fatal);
                    self.lex_fatal.get_or_insert(i);
                }
            }
            if !self.lx.notes.is_empty() {
                for n in std::mem::take(&mut self.lx.notes) {
                    self.problem(n.file, n.line, n.message, Severity::Warning);
                }
            }
        }
    }

    fn next(&mut self) -> Tok {
        self.fill();
        self.la.take().expect("lookahead")
    }

    fn expect(&mut self, want: Kind) -> Result<Tok, Tok> {
        let t = self.next();
        if t.kind == want {
            Ok(t)
        } else {
            Err(t)
        }
    }

    fn text(&self, t: &Tok) -> String {
        c_text(self.lx.text(t)).into_owned()
    }

    fn problem(&mut self, file: u32, line: u32, message: String, severity: Severity) -> usize {
        self.out.problems.push(Problem {
            file,
            line,
            message,
            severity,
        });
        self.out.problems.len() - 1
    }

    fn syntax_error(&mut self, t: Tok) {
        if self.first_syntax.is_none() || self.progress {
            // 4.10 prints the token's text in brackets (a newline for a line end).
            let yytext = c_text(self.lx.text(&t)).into_owned();
            let mut m = format!("syntax error [{yytext}]");
            // 4.10 formats "FILE:LINE: MESSAGE" into a 256-byte buffer: long tokens are cut.
            let prefix = format!("{}:{}: ", self.lx.files[t.file as usize].display(), t.line).len();
            let mut keep = ERRSTRING_LEN.saturating_sub(1 + prefix);
            if m.len() > keep {
                while !m.is_char_boundary(keep) {
                    keep -= 1;
                }
                m.truncate(keep);
            }
            let i = self.problem(t.file, t.line, m, Severity::Fatal);
            self.first_syntax.get_or_insert(i);
        }
        self.progress = false;
    }

    fn blanklines(&mut self) {
        while self.peek() == Kind::Eol {
            self.next();
        }
    }

    /// One run of 4.10's yyparse: `blanklines versionstmt sections`, up to the end of input.
    fn config_file(&mut self) -> Result<(), Tok> {
        self.blanklines();
        if self.peek() == Kind::Version {
            self.next();
            let v = self.next();
            if !matches!(v.kind, Kind::Str | Kind::Int(_) | Kind::IntOverflow) {
                return Err(v);
            }
            self.expect(Kind::Eol)?;
            self.blanklines();
        }
        loop {
            let t = self.next();
            match t.kind {
                Kind::Eof => return Ok(()),
                Kind::Config => {
                    self.expect(Kind::Setup)?;
                    self.expect(Kind::Eol)?;
                    self.out.setup_at.get_or_insert((t.file, t.line));
                    self.target = if self.out.setup.is_empty() {
                        Target::Setup
                    } else {
                        Target::SetupDetached
                    };
                    self.progress = true;
                    self.kw_sections()?;
                }
                Kind::Conn => {
                    let name = self.expect(Kind::Str)?;
                    self.expect(Kind::Eol)?;
                    let start = self.out.names.len();
                    self.out.names.push_str(&c_text(self.lx.text(&name)));
                    let name = start..self.out.names.len();
                    self.out.sections.push(Section {
                        name,
                        file: t.file,
                        line: t.line,
                        entries: self.out.conn_entries.len()..self.out.conn_entries.len(),
                        comment: None,
                    });
                    self.target = Target::Section(self.out.sections.len() - 1);
                    self.progress = true;
                    self.kw_sections()?;
                }
                Kind::Include => {
                    let f = self.expect(Kind::Str)?;
                    self.expect(Kind::Eol)?;
                    self.progress = true;
                    let name = self.lx.text(&f).to_vec();
                    self.lx.include(&name, (t.file, t.line));
                }
                _ => return Err(t),
            }
            self.blanklines();
        }
    }

    fn kw_sections(&mut self) -> Result<(), Tok> {
        while self.peek() == Kind::FirstSpaces {
            self.next();
            let t = self.next();
            match t.kind {
                Kind::Eol => {}
                Kind::Comment => {
                    self.expect(Kind::Equal)?;
                    self.expect(Kind::Str)?;
                    if let Target::Section(i) = self.target {
                        self.out.sections[i].comment.get_or_insert((t.file, t.line));
                    }
                    self.expect(Kind::Eol)?;
                }
                Kind::Key(def, ends) => {
                    self.expect(Kind::Equal)?;
                    if self.statement(def, ends, t)? {
                        self.expect(Kind::Eol)?;
                    }
                    self.progress = true;
                }
                _ => return Err(t),
            }
        }
        Ok(())
    }

    /// The value of `keyword=` and its action. Ok(false) when the value was empty (the line
    /// end is already consumed).
    fn statement(&mut self, def: &'static KwDef, ends: Ends, key: Tok) -> Result<bool, Tok> {
        let v = self.next();
        let kind = match v.kind {
            Kind::IntOverflow => {
                let digits = self.text(&v);
                self.problem(
                    v.file,
                    v.line,
                    format!("unsigned-long overflow: {digits}"),
                    Severity::Warning,
                );
                Kind::Int(0)
            }
            k => k,
        };
        let ok = match def.ty {
            Type::Bool | Type::InvertBool => matches!(kind, Kind::Bool(_)),
            Type::Percent => kind == Kind::Str,
            Type::Time | Type::Binary | Type::Byte => matches!(kind, Kind::Str | Kind::Int(_)),
            _ => matches!(kind, Kind::Str | Kind::Int(_) | Kind::Eol),
        };
        if !ok {
            return Err(v);
        }
        if kind == Kind::Eol {
            return Ok(false); // `keyword=` with nothing: 4.10 ignores it
        }
        let (bad_utf8, (value, complaint)) = {
            let raw = c_text(&self.lx.datas[v.data as usize][v.start..v.end]);
            (
                matches!(raw, std::borrow::Cow::Owned(_)),
                Parser::value(def, kind, &raw),
            )
        };
        if bad_utf8 {
            self.problem(
                v.file,
                v.line,
                format!("value of {} is not valid UTF-8", def.name),
                Severity::Warning,
            );
        }
        match complaint {
            Some(Complaint::Warning(m)) => {
                self.problem(v.file, v.line, m, Severity::Warning);
            }
            Some(Complaint::BadEnum(m)) => self.enum_error(&v, m),
            None => {}
        }
        let Some(value) = value else {
            return Ok(true);
        };
        let entry = Entry {
            def,
            ends,
            value,
            file: key.file,
            line: key.line,
            raw_data: v.data,
            raw_start: v.start,
            raw_end: v.end,
        };
        match self.target {
            Target::Setup => self.out.setup.push(entry),
            Target::SetupDetached => {}
            Target::Section(i) => {
                // Entries only ever go to the section just opened: ranges stay contiguous.
                debug_assert_eq!(i + 1, self.out.sections.len());
                self.out.conn_entries.push(entry);
                self.out.sections[i].entries.end = self.out.conn_entries.len();
            }
            Target::None => {}
        }
        Ok(true)
    }

    /// parser.y's actions: the typed value (None when 4.10 drops the setting) and what 4.10
    /// says about it. A plain function of the text, so that the text can stay borrowed.
    fn value(def: &'static KwDef, kind: Kind, raw: &str) -> (Option<Value>, Option<Complaint>) {
        let warn = |m: String| (None, Some(Complaint::Warning(m)));
        let n = match kind {
            Kind::Int(n) => Some(n),
            _ => None,
        };
        let value = match def.ty {
            Type::Bool | Type::InvertBool => match kind {
                Kind::Bool(b) => Value::Bool(b),
                _ => return (None, None),
            },
            Type::Time => {
                let ms = def.is(kv::MILLISECONDS);
                match n {
                    Some(n) => Value::Millis(convert::time_int_ms(n, ms)),
                    None => match convert::time_ms(raw, ms) {
                        Ok(x) => Value::Millis(x),
                        Err(e) => return warn(e),
                    },
                }
            }
            Type::Percent => match convert::percent(raw, def.name) {
                Ok(x) => Value::Percent(x),
                Err(e) => return warn(e),
            },
            Type::Binary | Type::Byte => match n {
                Some(n) => Value::Count(n),
                None => match convert::binary(raw, def.ty == Type::Byte) {
                    Ok(x) => Value::Count(x),
                    Err(e) => return warn(e),
                },
            },
            Type::Obsolete | Type::ObsoleteQuiet => Value::Obsolete,
            Type::Comment => return (None, None),
            Type::Enum
            | Type::List
            | Type::Lset
            | Type::LooseEnum
            | Type::Pubkey
            | Type::Number
                if n.is_some() =>
            {
                Value::Number(n.unwrap_or(0))
            }
            Type::Enum | Type::List => match convert::enum_list(def, raw, def.ty == Type::List) {
                Ok(x) => Value::Enum(x),
                Err(e) => return (None, Some(Complaint::BadEnum(e))),
            },
            Type::Lset => match convert::lset(def, raw) {
                Ok(x) => Value::Lset(x),
                Err(e) => return (None, Some(Complaint::BadEnum(e))),
            },
            Type::LooseEnum | Type::Pubkey => Value::Loose(convert::loose(def, raw)),
            Type::Number => {
                return (
                    Some(Value::Number(0)),
                    Some(Complaint::Warning(
                        "valid keyword, but value is not a number".into(),
                    )),
                )
            }
            _ if n.is_some() => Value::MissingText,
            _ => Value::Text,
        };
        (Some(value), None)
    }

    /// An invalid enum value: 4.10 prints it and exits at once (status 1), even while it is
    /// recovering from an earlier syntax error.
    fn enum_error(&mut self, v: &Tok, message: String) {
        let i = self.problem(v.file, v.line, message, Severity::Fatal);
        self.first_enum.get_or_insert(i);
        self.progress = true;
    }

    fn finish(mut self) -> Parsed {
        // 4.10 checks config setup's keywords after a successful parse.
        let mut first_setup = None;
        let bad: Vec<(u32, u32, &str)> = self
            .out
            .setup
            .iter()
            .filter(|e| !e.def.is(kv::CONFIG))
            .map(|e| (e.file, e.line, e.def.name))
            .collect();
        for (file, line, name) in bad {
            let i = self.problem(
                file,
                line,
                format!("unexpected keyword '{name}' in section 'config setup'"),
                Severity::Fatal,
            );
            first_setup.get_or_insert(i);
        }
        // A bad enum value or a reading failure ends 4.10's run where it happens; otherwise
        // the first syntax error, then config setup's check, decide.
        let stop = match (self.first_enum, self.lex_fatal) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.out.primary = stop.or(self.first_syntax).or(first_setup);
        self.out.files = std::mem::take(&mut self.lx.files);
        self.out.datas = std::mem::take(&mut self.lx.datas);
        self.out
    }
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(
    std::mem::size_of::<Entry>() <= 56,
    "an Entry per setting: keep it small"
);

#[cfg(test)]
mod tests {
    #[test]
    fn count_byte_matches_a_plain_count() {
        let text: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 97) as u8 + 0x1c).collect();
        for c in [b'=', 0x1c, 0x7f, b'a', 0xff] {
            for len in [0, 1, 7, 8, 9, 63, 1000] {
                let b = &text[..len];
                let plain = b.iter().filter(|&&x| x == c).count();
                assert_eq!(super::count_byte(b, c), plain, "{c} {len}");
            }
        }
        assert_eq!(super::count_byte(&[0x3d; 17], b'='), 17);
        assert_eq!(super::count_byte(&[0xbd; 17], b'='), 0);
    }
}
