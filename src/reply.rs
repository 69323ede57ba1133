//! pluto's answer: lines of `NNN text`, and the rules by which libreswan's tools turn them into
//! output and an exit status. Pure functions over bytes: testable without a socket.
//!
//! Two tools read answers, with different rules: whack (every control operation) and addconn
//! (adding connections). Both are here, side by side.

/// The RC codes with a meaning of their own (`enum rc_type` in libreswan).
pub mod rc {
    pub const COMMENT: u64 = 0;
    pub const RAW: u64 = 1;
    pub const LOG: u64 = 2;
    pub const LOG_SERIOUS: u64 = 3;
    pub const SUCCESS: u64 = 4;
    pub const INFORMATIONAL: u64 = 5;
    pub const INFORMATIONAL_TRAFFIC: u64 = 6;
    pub const RETRANSMISSION: u64 = 10;
    pub const EXIT_FLOOR: u64 = 20;
    pub const DUPNAME: u64 = 20;
    pub const UNKNOWN_NAME: u64 = 21;
    /// Problems whack itself detects (after ORIENT .. CRLERROR, 22..32).
    pub const WHACK_PROBLEM: u64 = 33;
    pub const ENTERSECRET: u64 = 40;
    pub const USERPROMPT: u64 = 41;
    pub const EXIT_ROOF: u64 = 100;
}

/// The longest line whack reads: its buffer holds 4096 bytes of a line (plus a terminator).
pub const MAX_LINE: usize = 4096;

/// One line of pluto's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The numeric prefix (`strtoul` of the line: leading blanks and a sign allowed).
    pub rc: u64,
    /// The line as the tool prints it, newline included (`RC_RAW` lines lose their prefix).
    pub output: Vec<u8>,
    /// The text after `NNN `, without the newline.
    pub text_start: usize,
}

impl Line {
    /// The message text, without prefix and newline; invalid UTF-8 is replaced.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        let end = self.output.len() - usize::from(self.output.last() == Some(&b'\n'));
        String::from_utf8_lossy(&self.output[self.text_start.min(end)..end])
    }
}

/// What a prompt line asks of the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Username,
    Password,
}

/// Which tool's rules to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// `ipsec whack`: error codes 20..99 become the exit status (none with `--asynchronous`);
    /// `RC_SUCCESS` resets it; a line without a numeric prefix aborts with 33 (RC_WHACK_PROBLEM).
    Whack {
        asynchronous: bool,
        ignore_errors: bool,
    },
    /// `ipsec addconn`: any code but 0, 2, 4, 40, 41 becomes the status (later ones win);
    /// lines are echoed only to a terminal.
    Addconn,
}

/// What happened with one complete line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A line to show the caller.
    Line(Line),
    /// A line to show, after which the caller must answer a prompt.
    Prompt(Line, Prompt),
    /// whack gives up: the line has no numeric prefix. Carries the offending line.
    MissingPrefix(Vec<u8>),
}

/// The running exit status of one answer, fed line by line.
#[derive(Clone, Debug)]
pub struct Status {
    rules: Rules,
    status: i32,
}

/// `strtoul(s, &end, 10)`: leading white space, an optional sign, digits. Returns the value
/// (wrapped as C wraps it, saturated on overflow) and where the digits end; `None` without digits.
pub fn strtoul(s: &[u8]) -> Option<(u64, usize)> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add((s[i] - b'0') as u64))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == digits {
        return None;
    }
    let v = if overflow {
        u64::MAX
    } else if negative {
        v.wrapping_neg()
    } else {
        v
    };
    Some((v, i))
}

impl Status {
    pub fn new(rules: Rules) -> Status {
        Status { rules, status: 0 }
    }

    /// Classifies one complete line (newline included) and updates the exit status.
    pub fn feed(&mut self, line: &[u8]) -> Event {
        match self.rules {
            Rules::Whack { asynchronous, .. } => {
                let Some((rc, end)) =
                    strtoul(line).filter(|(_, end)| line.get(*end) == Some(&b' '))
                else {
                    return Event::MissingPrefix(line.to_vec());
                };
                let (output, text_start) = if rc == rc::RAW {
                    (line[end + 1..].to_vec(), 0)
                } else {
                    (line.to_vec(), end + 1)
                };
                let l = Line {
                    rc,
                    output,
                    text_start,
                };
                match rc {
                    rc::COMMENT
                    | rc::RAW
                    | rc::INFORMATIONAL
                    | rc::INFORMATIONAL_TRAFFIC
                    | rc::LOG => {}
                    rc::SUCCESS => self.status = 0,
                    rc::ENTERSECRET => return Event::Prompt(l, Prompt::Password),
                    rc::USERPROMPT => return Event::Prompt(l, Prompt::Username),
                    other => {
                        let s = if other > 0 && !(rc::EXIT_FLOOR..rc::EXIT_ROOF).contains(&other) {
                            0
                        } else {
                            other
                        };
                        self.status = if asynchronous { 0 } else { s as i32 };
                    }
                }
                Event::Line(l)
            }
            Rules::Addconn => {
                // addconn reads the code leniently: nonsense counts as 0.
                let (rc, end) = strtoul(line).unwrap_or((0, 0));
                let text_start = if line.get(end) == Some(&b' ') {
                    end + 1
                } else {
                    end
                };
                let l = Line {
                    rc,
                    output: line.to_vec(),
                    text_start,
                };
                match rc {
                    rc::COMMENT | rc::LOG => {}
                    rc::SUCCESS => self.status = 0,
                    rc::ENTERSECRET => return Event::Prompt(l, Prompt::Password),
                    rc::USERPROMPT => return Event::Prompt(l, Prompt::Username),
                    other => self.status = other as i32,
                }
                Event::Line(l)
            }
        }
    }

    /// The exit status so far; whack's list and status commands always end in 0.
    pub fn exit_status(&self) -> i32 {
        match self.rules {
            Rules::Whack {
                ignore_errors: true,
                ..
            } => 0,
            _ => self.status,
        }
    }
}

/// Splits a byte stream into lines as whack does: complete lines as they arrive, and a
/// partial line held back. A line longer than `MAX_LINE` ends the answer (whack stops reading).
#[derive(Default, Debug)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

/// How the stream ended, besides its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// The stream ended cleanly after a newline.
    Clean,
    /// Bytes after the last newline, or a line over `MAX_LINE`: whack warns
    /// "last line from pluto too long or unterminated" and stops there.
    Unterminated,
}

impl LineSplitter {
    /// How many more bytes may be read before the buffer is full (whack's read size).
    pub fn room(&self) -> usize {
        MAX_LINE - self.pending.len()
    }

    /// Adds bytes read; calls `each` for every complete line.
    pub fn push(&mut self, bytes: &[u8], mut each: impl FnMut(&[u8])) {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(nl) = self.pending[start..].iter().position(|&b| b == b'\n') {
            each(&self.pending[start..start + nl + 1]);
            start += nl + 1;
        }
        self.pending.drain(..start);
    }

    /// True when the buffer is full with no newline: whack's next read asks for 0 bytes
    /// and takes the 0 it gets for the end of the answer.
    pub fn is_full(&self) -> bool {
        self.pending.len() >= MAX_LINE
    }

    pub fn finish(&self) -> Tail {
        if self.pending.is_empty() {
            Tail::Clean
        } else {
            Tail::Unterminated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rules: Rules, answer: &[u8]) -> (Vec<u8>, i32, bool) {
        let mut st = Status::new(rules);
        let mut out = Vec::new();
        let mut split = LineSplitter::default();
        let mut aborted = false;
        split.push(answer, |l| {
            if aborted {
                return;
            }
            match st.feed(l) {
                Event::Line(l) | Event::Prompt(l, _) => out.extend_from_slice(&l.output),
                Event::MissingPrefix(_) => aborted = true,
            }
        });
        (out, if aborted { 33 } else { st.exit_status() }, aborted)
    }

    const WHACK: Rules = Rules::Whack {
        asynchronous: false,
        ignore_errors: false,
    };

    #[test]
    fn error_codes_between_floor_and_roof_become_the_status() {
        assert_eq!(run(WHACK, b"021 no connection named \"west\"\n").1, 21);
        assert_eq!(run(WHACK, b"036 failed\n000 later\n").1, 36);
        assert_eq!(run(WHACK, b"010 retransmit\n").1, 0);
        assert_eq!(run(WHACK, b"200 odd\n").1, 0);
        assert_eq!(run(WHACK, b"036 failed\n004 ok\n").1, 0);
    }

    #[test]
    fn asynchronous_and_listing_ignore_errors() {
        let r = Rules::Whack {
            asynchronous: true,
            ignore_errors: false,
        };
        assert_eq!(run(r, b"036 failed\n").1, 0);
        let r = Rules::Whack {
            asynchronous: false,
            ignore_errors: true,
        };
        assert_eq!(run(r, b"036 failed\n").1, 0);
    }

    #[test]
    fn raw_lines_lose_their_prefix() {
        assert_eq!(run(WHACK, b"001 plain\n").0, b"plain\n");
        assert_eq!(run(WHACK, b"000 kept\n").0, b"000 kept\n");
    }

    #[test]
    fn missing_prefix_aborts_with_33() {
        let (out, status, aborted) = run(WHACK, b"000 a\nno prefix\n000 b\n");
        assert!(aborted);
        assert_eq!(status, 33);
        assert_eq!(out, b"000 a\n");
        assert!(run(WHACK, b"\n").2);
        assert!(run(WHACK, b"12x\n").2);
    }

    #[test]
    fn strtoul_follows_c() {
        assert_eq!(strtoul(b"  42 x"), Some((42, 4)));
        assert_eq!(strtoul(b"+7 "), Some((7, 2)));
        assert_eq!(strtoul(b"-1 "), Some((u64::MAX, 2)));
        assert_eq!(strtoul(b"x"), None);
        assert_eq!(strtoul(b"99999999999999999999999 "), Some((u64::MAX, 23)));
    }

    #[test]
    fn addconn_counts_any_other_code() {
        assert_eq!(run(Rules::Addconn, b"002 added\n").1, 0);
        assert_eq!(run(Rules::Addconn, b"005 info\n").1, 5);
        assert_eq!(run(Rules::Addconn, b"036 bad\n004 ok\n").1, 0);
        assert_eq!(run(Rules::Addconn, b"garbage\n").1, 0);
    }

    #[test]
    fn splitter_holds_partial_lines() {
        let mut s = LineSplitter::default();
        let mut got = Vec::new();
        s.push(b"000 a\n000 b", |l| got.push(l.to_vec()));
        assert_eq!(got, vec![b"000 a\n".to_vec()]);
        assert_eq!(s.finish(), Tail::Unterminated);
        s.push(b"\n", |l| got.push(l.to_vec()));
        assert_eq!(got.len(), 2);
        assert_eq!(s.finish(), Tail::Clean);
    }
}
