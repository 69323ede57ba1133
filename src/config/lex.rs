//! The scanner: 4.10's flex rules (parser.lex) replayed byte for byte, so that the same text
//! yields the same tokens, the same line numbers and the same error positions, including
//! 4.10's odd corners (a quoted value glued to more text, `#x` that is a word and `# x` that is
//! a comment, a boolean found inside `xyes`, an empty `x-` comment swallowing the next line).
//!
//! Files are read whole; `include` pushes glob matches onto a stack as 4.10 does (depth 10).

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::keywords::{self, Ends, KwDef, Type};

/// 4.10's MAX_INCLUDE_DEPTH: the main file plus nine nested includes.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 10;

/// Our bound on the text read through includes (files read again count again): 4.10 has
/// none, but include fan-out (a glob of files that include the glob) grows exponentially.
pub(crate) const MAX_INCLUDED_BYTES: usize = 128 << 20;

/// Our bound on the main file (4.10 has none): reading stops there, so that a device or a
/// runaway file cannot take all memory.
pub(crate) const MAX_FILE_BYTES: usize = 256 << 20;

/// Reads a file; Ok(None) once it is longer than `limit` bytes.
pub(crate) fn read_limited(path: &Path, limit: usize) -> std::io::Result<Option<Arc<[u8]>>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    // A regular file's size is known: read it straight into its final place, with no regrowth
    // and no copy (a 100 MB file would otherwise be in memory twice for a moment).
    let size = f.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    let mut v = Vec::new();
    if let Some(size) = size.filter(|&n| n > 0 && n <= limit as u64) {
        let mut buf: Arc<[u8]> = zeroed(size as usize);
        let b = Arc::get_mut(&mut buf).expect("not shared yet");
        let mut filled = 0;
        while filled < b.len() {
            match f.read(&mut b[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled < b.len() {
            return Ok(Some(Arc::from(&b[..filled]))); // it shrank meanwhile
        }
        let mut more = [0u8; 1];
        if f.read(&mut more)? == 0 {
            return Ok(Some(buf));
        }
        // It grew meanwhile: on as for any other file.
        v.extend_from_slice(&buf);
        v.push(more[0]);
    }
    f.take((limit as u64 + 1).saturating_sub(v.len() as u64))
        .read_to_end(&mut v)?;
    Ok(if v.len() > limit {
        None
    } else {
        Some(Arc::from(v))
    })
}

/// A zero-filled shared buffer, allocated once at its final size.
fn zeroed(len: usize) -> Arc<[u8]> {
    std::iter::repeat(0u8).take(len).collect()
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Eof,
    Eol,
    FirstSpaces,
    Equal,
    Version,
    Config,
    Setup,
    Conn,
    Include,
    Str,
    Int(u64),
    /// An INTEGER too large for 64 bits (4.10 complains and carries on with a truncated value).
    IntOverflow,
    Bool(bool),
    Key(&'static KwDef, Ends),
    Comment,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok {
    pub kind: Kind,
    /// Index into [`Lexer::files`] of the file the token was read from.
    pub file: u32,
    /// The file's line counter after reading the token (as 4.10 reports it).
    pub line: u32,
    /// The token's text (yytext) within that file's data; for Str the value without quotes.
    pub data: u32,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Initial,
    Key,
    BoolKey,
    CommentKey,
    Value,
    BoolValue,
    CommentValue,
}

struct Source {
    file: u32,
    data: u32,
    pos: usize,
    line: u32,
    once: bool,
}

struct Frame {
    src: Option<Source>,
    globs: Vec<PathBuf>,
    next: usize,
}

/// Something the scanner has to report that is not a token.
#[derive(Debug)]
pub(crate) struct Note {
    pub file: u32,
    pub line: u32,
    pub message: String,
}

pub(crate) struct Lexer {
    pub files: Vec<PathBuf>,
    file_ids: HashMap<PathBuf, u32>,
    pub datas: Vec<Arc<[u8]>>,
    data_ids: HashMap<PathBuf, u32>,
    stack: Vec<Frame>,
    state: State,
    /// Base directory for relative include paths (None: the process's working directory).
    base: Option<PathBuf>,
    pub notes: Vec<Note>,
    last_file: u32,
    last_line: u32,
    /// Bytes of included text read so far.
    included: usize,
    /// Set when reading has to stop for good (an included directory, [`MAX_INCLUDED_BYTES`]
    /// passed): (file, line, message) of the include.
    pub fatal: Option<(u32, u32, String)>,
    /// Reading has stopped for good.
    stopped: bool,
    /// The `include` line being processed (where include problems are reported).
    include_at: (u32, u32),
    /// Last brace scan in VALUE state: (data, from, stop, position of the last '}').
    brace_scan: (u32, usize, usize, Option<usize>),
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

impl Lexer {
    pub fn new(name: PathBuf, data: Arc<[u8]>, base: Option<PathBuf>) -> Lexer {
        let mut lx = Lexer {
            files: Vec::new(),
            file_ids: HashMap::new(),
            datas: Vec::new(),
            data_ids: HashMap::new(),
            stack: Vec::new(),
            state: State::Initial,
            base,
            notes: Vec::new(),
            last_file: 0,
            last_line: 1,
            included: 0,
            fatal: None,
            stopped: false,
            include_at: (0, 1),
            brace_scan: (u32::MAX, 0, 0, None),
        };
        let file = lx.file_id(&name);
        lx.datas.push(data);
        lx.stack.push(Frame {
            src: Some(Source {
                file,
                data: 0,
                pos: 0,
                line: 1,
                once: true,
            }),
            globs: Vec::new(),
            next: 0,
        });
        lx
    }

    fn file_id(&mut self, p: &Path) -> u32 {
        if let Some(&i) = self.file_ids.get(p) {
            return i;
        }
        let i = self.files.len() as u32;
        self.files.push(p.to_path_buf());
        self.file_ids.insert(p.to_path_buf(), i);
        i
    }

    pub fn text(&self, t: &Tok) -> &[u8] {
        &self.datas[t.data as usize][t.start..t.end]
    }

    fn note(&mut self, message: String) {
        let (file, line) = self.include_at;
        self.notes.push(Note {
            file,
            line,
            message,
        });
    }

    pub fn next(&mut self) -> Tok {
        loop {
            if self.stopped {
                return self.tok_eof();
            }
            let Some(frame) = self.stack.last_mut() else {
                return self.tok_eof();
            };
            let Some(src) = frame.src.as_mut() else {
                if !self.advance_file() {
                    return self.tok_eof();
                }
                continue;
            };
            if src.pos >= self.datas[src.data as usize].len() {
                if src.once {
                    src.once = false;
                    let (file, line, d, p) = (src.file, src.line, src.data, src.pos);
                    return Tok {
                        kind: Kind::Eol,
                        file,
                        line,
                        data: d,
                        start: p,
                        end: p,
                    };
                }
                if !self.advance_file() {
                    return self.tok_eof();
                }
                continue;
            }
            if let Some(t) = self.scan() {
                return t;
            }
        }
    }

    fn tok_eof(&self) -> Tok {
        Tok {
            kind: Kind::Eof,
            file: self.last_file,
            line: self.last_line,
            data: 0,
            start: 0,
            end: 0,
        }
    }

    /// 4.10's parser_y_eof: the next glob match of the current include, or back to the
    /// including file. False when the main file is done.
    fn advance_file(&mut self) -> bool {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return false;
            };
            if let Some(s) = frame.src.take() {
                self.last_file = s.file;
                self.last_line = s.line;
            }
            if frame.next < frame.globs.len() {
                let path = frame.globs[frame.next].clone();
                frame.next += 1;
                let file = self.file_id(&path);
                let read = self.read(&path).map(|d| {
                    d.filter(|&d| {
                        self.included + self.datas[d as usize].len() <= MAX_INCLUDED_BYTES
                    })
                });
                match read {
                    Ok(None) => {
                        let (file, line) = self.include_at;
                        let m = format!(
                            "includes amount to more than {} MiB of configuration (at '{}')",
                            MAX_INCLUDED_BYTES >> 20,
                            path.display()
                        );
                        self.stopped = true;
                        self.fatal = Some((file, line, m));
                        return false;
                    }
                    Ok(Some(data)) => {
                        self.included += self.datas[data as usize].len();
                        let f = self.stack.last_mut().expect("frame");
                        f.src = Some(Source {
                            file,
                            data,
                            pos: 0,
                            line: 1,
                            once: true,
                        });
                        return true;
                    }
                    Err(e) if e.raw_os_error() == Some(libc::EISDIR) => {
                        // 4.10 opens a directory fine, then its scanner fails to read it and
                        // the program exits (status 2).
                        self.stopped = true;
                        self.fatal = Some((
                            self.include_at.0,
                            self.include_at.1,
                            "input in flex scanner failed".into(),
                        ));
                        return false;
                    }
                    Err(e) => {
                        // 4.10: a yyerror (recorded, not fatal by itself), then on to the
                        // including file.
                        self.last_file = file;
                        self.last_line = 1;
                        let msg =
                            format!("cannot open include filename: '{}': {}", path.display(), e);
                        self.notes.push(Note {
                            file,
                            line: 1,
                            message: msg,
                        });
                        let f = self.stack.last_mut().expect("frame");
                        f.next = f.globs.len();
                    }
                }
                continue;
            }
            self.stack.pop();
            if self.stack.is_empty() {
                return false;
            }
            if self.stack.last().is_some_and(|f| f.src.is_some()) {
                return true;
            }
        }
    }

    /// The file's text (read once, then shared); Ok(None) when it is over the budget.
    fn read(&mut self, path: &Path) -> std::io::Result<Option<u32>> {
        if let Some(&i) = self.data_ids.get(path) {
            return Ok(Some(i));
        }
        let Some(bytes) = read_limited(path, MAX_INCLUDED_BYTES.saturating_sub(self.included))?
        else {
            return Ok(None);
        };
        let i = self.datas.len() as u32;
        self.datas.push(bytes);
        self.data_ids.insert(path.to_path_buf(), i);
        Ok(Some(i))
    }

    /// One flex match in the current state: Some(token), or None when the match produced no
    /// token (blanks, comments, blank lines, characters flex's default rule swallows).
    fn scan(&mut self) -> Option<Tok> {
        let src = self
            .stack
            .last_mut()
            .and_then(|f| f.src.as_mut())
            .expect("source");
        let b: &[u8] = &self.datas[src.data as usize];
        let p = src.pos;
        let bol = p == 0 || b[p - 1] == b'\n';
        let c = b[p];
        let mk = |src: &Source, kind: Kind, start: usize, end: usize| Tok {
            kind,
            file: src.file,
            line: src.line,
            data: src.data,
            start,
            end,
        };
        match self.state {
            State::Initial => {
                if bol {
                    let blanks = run_of(&b[p..], is_blank);
                    let q = p + blanks;
                    if q < b.len() && b[q] == b'#' {
                        if let Some(nl) = memchr(b'\n', &b[q..]) {
                            src.pos = q + nl + 1;
                            src.line += 1;
                            return None;
                        }
                    }
                    if q < b.len() && b[q] == b'\n' {
                        src.pos = q + 1;
                        src.line += 1;
                        return None;
                    }
                    if blanks > 0 {
                        src.pos = q;
                        return Some(mk(src, Kind::FirstSpaces, p, q));
                    }
                }
                if is_blank(c) {
                    src.pos = p + run_of(&b[p..], is_blank);
                    return None;
                }
                if c == b'\n' {
                    src.pos = p + 1;
                    src.line += 1;
                    return Some(mk(src, Kind::Eol, p, p + 1));
                }
                if c == b'=' {
                    src.pos = p + 1;
                    self.state = State::Value;
                    return Some(mk(src, Kind::Equal, p, p + 1));
                }
                if c == b'"' {
                    // flex's `.` rule: a yyerror that is overwritten by any later error and
                    // otherwise ignored; no token.
                    src.pos = p + 1;
                    return None;
                }
                let word = run_of(&b[p..], |x| {
                    x != b'"' && x != b'=' && !is_blank(x) && x != b'\n'
                });
                if c == b'#' {
                    let comment = run_of(&b[p..], |x| x != b'\n');
                    if comment > word {
                        src.pos = p + comment;
                        return None;
                    }
                }
                let digits = run_of(&b[p..], |x| x.is_ascii_digit());
                let end = p + word;
                src.pos = end;
                if digits > 0 && digits == word {
                    let kind = int_kind(&b[p..end]);
                    return Some(mk(src, kind, p, end));
                }
                let w = &b[p..end];
                let kind = match w {
                    b"version" => Kind::Version,
                    b"config" => Kind::Config,
                    b"setup" => Kind::Setup,
                    b"conn" => {
                        self.state = State::Value;
                        Kind::Conn
                    }
                    b"include" => Kind::Include,
                    _ => {
                        let name = cstr_prefix(w);
                        match keywords::find_bytes(name) {
                            None => {
                                // 4.10 enters the keyword state after any word: the rest of
                                // the line up to '=' or its end is swallowed (so `include F
                                // junk` is fine and `include F a=b` fails at '=').
                                self.state = State::Key;
                                Kind::Str
                            }
                            Some((d, ends)) => {
                                self.state = match d.ty {
                                    Type::Comment => State::CommentKey,
                                    Type::Bool | Type::InvertBool => State::BoolKey,
                                    _ => State::Key,
                                };
                                if d.ty == Type::Comment {
                                    Kind::Comment
                                } else {
                                    Kind::Key(d, ends)
                                }
                            }
                        }
                    }
                };
                Some(mk(src, kind, p, end))
            }
            State::Key | State::BoolKey | State::CommentKey => {
                src.pos = p + 1;
                match c {
                    b'\n' => {
                        src.line += 1;
                        self.state = State::Initial;
                        Some(mk(src, Kind::Eol, p, p + 1))
                    }
                    b'=' => {
                        self.state = match self.state {
                            State::Key => State::Value,
                            State::BoolKey => State::BoolValue,
                            _ => State::CommentValue,
                        };
                        Some(mk(src, Kind::Equal, p, p + 1))
                    }
                    // Blanks are eaten; anything else goes to flex's default rule.
                    _ => None,
                }
            }
            State::Value => {
                if is_blank(c) {
                    src.pos = p + 1;
                    return None;
                }
                if c == b'\n' {
                    src.pos = p + 1;
                    src.line += 1;
                    self.state = State::Initial;
                    return Some(mk(src, Kind::Eol, p, p + 1));
                }
                // Longest match wins; on a tie the earlier rule.
                let digits = run_of(&b[p..], |x| x.is_ascii_digit());
                let forever = if b[p..].starts_with(b"%forever") {
                    8
                } else {
                    0
                };
                let quoted = if c == b'"' {
                    let n = run_of(&b[p + 1..], |x| x != b'"' && x != b'\n');
                    if p + 1 + n < b.len() && b[p + 1 + n] == b'"' {
                        n + 2
                    } else {
                        0
                    }
                } else {
                    0
                };
                let braced = if c == b'{' {
                    // \{[^\"\n]*\}: up to the last '}' before a quote or newline. The scan
                    // is remembered so that many '{' on one stretch cost one scan.
                    let (d, from, stop, last) = self.brace_scan;
                    let last = if d == src.data && from <= p && p < stop {
                        last
                    } else {
                        let n = run_of(&b[p + 1..], |x| x != b'"' && x != b'\n');
                        let last = b[p + 1..p + 1 + n]
                            .iter()
                            .rposition(|&x| x == b'}')
                            .map(|i| p + 1 + i);
                        self.brace_scan = (src.data, p, p + 1 + n, last);
                        last
                    };
                    match last {
                        Some(i) if i > p => i + 1 - p,
                        _ => 0,
                    }
                } else {
                    0
                };
                // The two word rules in one pass: both run to a blank or newline, one also
                // stops at a quote, the other at a brace.
                let first = run_of(&b[p..], |x| {
                    !matches!(x, b'"' | b'{' | b'}' | b' ' | b'\t' | b'\n')
                });
                let (noquote, nobrace) = match b.get(p + first) {
                    Some(b'"') => (
                        first,
                        first
                            + run_of(&b[p + first..], |x| {
                                !matches!(x, b'{' | b'}' | b' ' | b'\t' | b'\n')
                            }),
                    ),
                    Some(b'{' | b'}') => (
                        first
                            + run_of(&b[p + first..], |x| {
                                !matches!(x, b'"' | b' ' | b'\t' | b'\n')
                            }),
                        first,
                    ),
                    _ => (first, first),
                };
                let best = digits
                    .max(forever)
                    .max(quoted)
                    .max(braced)
                    .max(noquote)
                    .max(nobrace);
                self.state = State::Initial;
                src.pos = p + best;
                let t = if best == digits {
                    mk(src, int_kind(&b[p..p + best]), p, p + best)
                } else if best == forever {
                    mk(src, Kind::Int(0), p, p + best)
                } else if best == quoted || best == braced {
                    mk(src, Kind::Str, p + 1, p + best - 1)
                } else {
                    mk(src, Kind::Str, p, p + best)
                };
                Some(t)
            }
            State::BoolValue => {
                if is_blank(c) {
                    src.pos = p + 1;
                    return None;
                }
                if c == b'\n' {
                    src.pos = p + 1;
                    src.line += 1;
                    self.state = State::Initial;
                    return Some(mk(src, Kind::Eol, p, p + 1));
                }
                const WORDS: [(&[u8], bool); 8] = [
                    (b"yes", true),
                    (b"true", true),
                    (b"on", true),
                    (b"y", true),
                    (b"false", false),
                    (b"off", false),
                    (b"no", false),
                    (b"n", false),
                ];
                // Longest first; none of these is a prefix of a longer one with another meaning.
                for (w, v) in WORDS {
                    if b[p..].starts_with(w) {
                        src.pos = p + w.len();
                        self.state = State::Initial;
                        return Some(mk(src, Kind::Bool(v), p, p + w.len()));
                    }
                }
                // flex's default rule swallows the character.
                src.pos = p + 1;
                None
            }
            State::CommentValue => {
                if c == b'\n' {
                    // An empty comment value: flex's default rule takes the newline without
                    // counting it, and the next line becomes the value.
                    src.pos = p + 1;
                    return None;
                }
                let n = run_of(&b[p..], |x| x != b'\n');
                src.pos = p + n;
                self.state = State::Initial;
                Some(mk(src, Kind::Str, p, p + n))
            }
        }
    }

    /// 4.10's parser_y_include: glob the name and read the matches in place of the rest of the
    /// current file. Problems are recorded as notes (4.10 does not fail on them).
    pub fn include(&mut self, name: &[u8], at: (u32, u32)) {
        self.include_at = at;
        let name = cstr_prefix(name);
        let shown = String::from_utf8_lossy(name).into_owned();
        let pattern: Vec<u8> = match (&self.base, name.first()) {
            (Some(base), Some(&c)) if c != b'/' => {
                let mut v = std::os::unix::ffi::OsStrExt::as_bytes(base.as_os_str()).to_vec();
                if v.last() != Some(&b'/') {
                    v.push(b'/');
                }
                v.extend_from_slice(name);
                v
            }
            _ => name.to_vec(),
        };
        let matches = match glob(&pattern) {
            Ok(m) => m,
            Err(GlobError::NoMatch) => {
                if !name.contains(&b'*') {
                    self.note(format!(
                        "warning: could not open include filename: '{shown}'"
                    ));
                }
                return;
            }
            Err(GlobError::Other(msg)) => {
                self.note(msg);
                return;
            }
        };
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.note("max inclusion depth reached".into());
            return;
        }
        self.stack.push(Frame {
            src: None,
            globs: matches,
            next: 0,
        });
        if !self.advance_file() {
            // Cannot happen: the including file is still on the stack.
        }
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        match (self, other) {
            (Kind::Key(a, x), Kind::Key(b, y)) => std::ptr::eq(*a, *b) && x == y,
            (Kind::Int(a), Kind::Int(b)) => a == b,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

fn int_kind(digits: &[u8]) -> Kind {
    let mut v: u64 = 0;
    for &d in digits {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(d - b'0')))
        {
            Some(x) => v = x,
            None => return Kind::IntOverflow,
        }
    }
    Kind::Int(v)
}

/// How many bytes from the start of `b` satisfy `f`. Generic, so that each predicate is
/// inlined into its own loop (this is the scanner's innermost loop).
#[inline(always)]
fn run_of(b: &[u8], f: impl Fn(u8) -> bool) -> usize {
    b.iter().position(|&x| !f(x)).unwrap_or(b.len())
}

/// The text C code sees in a token (up to the first NUL), invalid UTF-8 replaced. The strict
/// check first: it is much faster than the lossy scan on the valid text that is the rule.
pub(crate) fn c_text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    let b = cstr_prefix(b);
    if b.is_ascii() {
        // SAFETY: ASCII is valid UTF-8 (the check is much cheaper than a UTF-8 validation).
        return std::borrow::Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(b) });
    }
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The part of a token C code sees: up to the first NUL.
pub(crate) fn cstr_prefix(b: &[u8]) -> &[u8] {
    match memchr(0, b) {
        Some(i) => &b[..i],
        None => b,
    }
}

pub(crate) fn memchr(c: u8, b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == c)
}

enum GlobError {
    NoMatch,
    Other(String),
}

/// glibc's glob(3) with GLOB_BRACE, as 4.10 calls it.
fn glob(pattern: &[u8]) -> Result<Vec<PathBuf>, GlobError> {
    use std::os::unix::ffi::OsStrExt;
    const GLOB_BRACE: libc::c_int = 1 << 10;
    let Ok(c) = CString::new(pattern) else {
        return Err(GlobError::NoMatch);
    };
    // SAFETY: glob_t is plain data; zeroed is its documented initial state.
    let mut g: libc::glob_t = unsafe { std::mem::zeroed() };
    // SAFETY: c is NUL-terminated; g is freed below with globfree.
    let rc = unsafe { libc::glob(c.as_ptr(), GLOB_BRACE, None, &mut g) };
    let out = match rc {
        0 => {
            let mut v = Vec::with_capacity(g.gl_pathc);
            for i in 0..g.gl_pathc {
                // SAFETY: glob filled gl_pathv with gl_pathc valid C strings.
                let p = unsafe { CStr::from_ptr(*g.gl_pathv.add(i)) };
                v.push(PathBuf::from(std::ffi::OsStr::from_bytes(p.to_bytes())));
            }
            Ok(v)
        }
        libc::GLOB_NOMATCH => Err(GlobError::NoMatch),
        libc::GLOB_NOSPACE => Err(GlobError::Other(format!(
            "out of space processing include filename \"{}\"",
            String::from_utf8_lossy(pattern)
        ))),
        libc::GLOB_ABORTED => Err(GlobError::Other(format!(
            "problem with include filename '{}'",
            String::from_utf8_lossy(pattern)
        ))),
        n => Err(GlobError::Other(format!("unknown glob error {n}"))),
    };
    // SAFETY: g came from glob above.
    unsafe { libc::globfree(&mut g) };
    out
}
