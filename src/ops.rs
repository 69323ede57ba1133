//! The operations of `ipsec auto`, composed from the layers below.
//!
//! Each operation is first planned as the tool runs `ipsec auto` would make (`whack ...`,
//! `addconn ...`), word for word as its shell would split them. `--showonly` prints that plan;
//! running executes each step in-process and, as the script does, exits with the last step's
//! status. One plan serves both, so what we show is what we do.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::client::{Exchange, Xauth, DEFAULT_CTL_SOCKET};
pub use crate::config::ConfigSource;
use crate::error::{Error, Result};
use crate::reply::{rc, Line, Rules};
use crate::whack_cli;
use crate::wire::Profile;

/// Declares `Operation` with each variant's `ipsec auto` flag, from one table.
macro_rules! operations {
    ($($(#[$d:meta])* $v:ident => $flag:literal,)*) => {
        listed_enum! {
            /// An `ipsec auto` operation.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub enum Operation { $($(#[$d])* $v,)* }
        }
        impl Operation {
            /// The `ipsec auto` flag, without dashes.
            pub fn flag(self) -> &'static str {
                match self { $(Operation::$v => $flag,)* }
            }
        }
    };
}

operations! {
    Add => "add",
    Delete => "delete",
    Replace => "replace",
    Start => "start",
    Up => "up",
    Down => "down",
    Route => "route",
    Unroute => "unroute",
    Ondemand => "ondemand",
    /// `--rotatecert`: `ipsec auto` 4.10 accepts it and runs addconn, as for `--add`.
    RotateCert => "rotatecert",
    Status => "status",
    Ready => "ready",
    RereadSecrets => "rereadsecrets",
    RereadAll => "rereadall",
    RereadCerts => "rereadcerts",
    FetchCrls => "fetchcrls",
    ListAll => "listall",
    ListCerts => "listcerts",
    ListPubkeys => "listpubkeys",
    CheckPubkeys => "checkpubkeys",
    ListCacerts => "listcacerts",
    ListCrls => "listcrls",
    PurgeOcsp => "purgeocsp",
    /// Obsolete names that 4.10 still routes somewhere.
    RereadCacerts => "rereadcacerts",
    RereadCrls => "rereadcrls",
    RereadGroups => "rereadgroups",
}

impl Operation {
    pub fn from_flag(flag: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|o| o.flag() == flag)
    }

    /// Whether the operation names a connection.
    pub fn takes_name(self) -> bool {
        use Operation::*;
        matches!(
            self,
            Add | Delete | Replace | Start | Up | Down | Route | Unroute | Ondemand | RotateCert
        )
    }
}

/// Everything besides the operation and the connection name: `ipsec auto`'s flags.
#[derive(Clone, Debug)]
pub struct Options {
    pub ctl_socket: PathBuf,
    pub config: ConfigSource,
    pub verbose: bool,
    pub utc: bool,
    pub asynchronous: bool,
    pub remote_host: Option<String>,
    /// How long to wait for pluto to say anything; `None` waits as long as whack does (for ever).
    pub timeout: Option<Duration>,
    pub profile: Profile,
    /// Whether addconn's echo of pluto's lines applies (addconn echoes only to a terminal).
    pub addconn_echo: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ctl_socket: PathBuf::from(DEFAULT_CTL_SOCKET),
            config: ConfigSource::Default,
            verbose: false,
            utc: false,
            asynchronous: false,
            remote_host: None,
            timeout: None,
            profile: Profile::V4_10,
            addconn_echo: false,
        }
    }
}

/// Which program a step stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Whack,
    Addconn,
}

/// One command of the plan, as the words `ipsec auto`'s shell would pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Run {
        tool: Tool,
        words: Vec<String>,
    },
    /// A message `ipsec auto` prints itself (to stdout), and its exit status.
    Say {
        text: String,
        status: i32,
    },
}

impl Step {
    /// The command line `ipsec auto --showonly` prints for this step.
    pub fn command_line(&self) -> String {
        match self {
            Step::Run { tool, words } => {
                let prog = match tool {
                    Tool::Whack => "ipsec whack",
                    Tool::Addconn => "ipsec addconn",
                };
                std::iter::once(prog)
                    .chain(words.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            Step::Say { text, .. } => text.clone(),
        }
    }
}

/// The shell's field splitting of an unquoted expansion (default IFS).
fn split(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split([' ', '\t', '\n'])
        .filter(|w| !w.is_empty())
        .map(String::from)
}

/// The commands `ipsec auto` 4.10 runs for `op` on `names` (its positional words, joined).
pub fn plan(op: Operation, names: &str, o: &Options) -> Vec<Step> {
    use Operation::*;
    let sock = o.ctl_socket.to_string_lossy().into_owned();
    let whack = |before: &[&str], after: &[&str]| -> Step {
        let mut w = vec!["--ctlsocket".to_string(), sock.clone()];
        w.extend(before.iter().flat_map(|s| split(s)));
        w.extend(after.iter().flat_map(|s| split(s)));
        Step::Run {
            tool: Tool::Whack,
            words: w,
        }
    };
    let utc = if o.utc { "--utc" } else { "" };
    let asynchronous = if o.asynchronous { "--asynchronous" } else { "" };
    let remote = o
        .remote_host
        .as_ref()
        .map(|h| format!("--remote-host {h}"))
        .unwrap_or_default();
    let addconn = || addconn_step(o, split(names).collect());
    let name_op = |verb: &str| whack(&["--name", names], &[verb]);
    match op {
        Ready | RereadGroups => vec![whack(&["--listen"], &[])],
        RereadSecrets => vec![whack(&["--rereadsecrets"], &[])],
        RereadCacerts => vec![whack(&["--rereadcacerts"], &[])],
        RereadCrls => vec![Step::Say {
            text: "ipsec auto --rereadcrls has been obsoleted - please see: ipsec crls".into(),
            status: 1,
        }],
        RereadCerts => vec![whack(&["--rereadcerts"], &[])],
        RereadAll => vec![whack(&["--rereadall"], &[])],
        ListPubkeys => vec![whack(&[utc, "--listpubkeys"], &[])],
        CheckPubkeys => vec![whack(&[utc, "--checkpubkeys"], &[])],
        ListCerts => vec![whack(&[utc, "--listcerts"], &[])],
        ListCacerts => vec![whack(&[utc, "--listcacerts"], &[])],
        ListCrls => vec![whack(&[utc, "--listcrls"], &[])],
        ListAll => vec![whack(&[utc, "--listall"], &[])],
        PurgeOcsp => vec![whack(&[utc, "--listall", "--purgeocsp"], &[])],
        FetchCrls => vec![addconn()], // 4.10's script has no case for it: it falls through
        Up => vec![whack(
            &[asynchronous, "--name", names, "--initiate"],
            &[&remote],
        )],
        Start => vec![
            addconn(),
            whack(&[asynchronous, "--name", names, "--initiate"], &[&remote]),
        ],
        Down => vec![name_op("--terminate")],
        Delete => vec![name_op("--delete")],
        Route => vec![name_op("--route")],
        Ondemand => vec![addconn(), name_op("--route")],
        Unroute => vec![name_op("--unroute")],
        Status => vec![whack(&["--status"], &[])],
        Replace => vec![name_op("--delete"), addconn()],
        Add | RotateCert => vec![addconn()],
    }
}

/// An addconn command line: the socket, `--verbose`, `--config`, then `tail`.
fn addconn_step(o: &Options, tail: Vec<String>) -> Step {
    let mut w = vec![
        "--ctlsocket".to_string(),
        o.ctl_socket.to_string_lossy().into_owned(),
    ];
    if o.verbose {
        w.push("--verbose".into());
    }
    match &o.config {
        ConfigSource::Default => {}
        ConfigSource::File(p) => {
            w.push("--config".into());
            w.extend(split(&p.to_string_lossy()));
        }
        // In-memory text never passed through a shell: its name stays one word.
        ConfigSource::Text { name, .. } => {
            w.push("--config".into());
            w.push(name.clone());
        }
    }
    w.extend(tail);
    Step::Run {
        tool: Tool::Addconn,
        words: w,
    }
}

/// The whole-file pass, `ipsec addconn --autoall`: no `ipsec auto` operation, but what
/// libreswan's start-up runs. Every conn is acted on by its `auto=`.
pub fn plan_autoall(o: &Options) -> Vec<Step> {
    vec![addconn_step(o, vec!["--autoall".into()])]
}

/// What one step ended with.
#[derive(Debug)]
pub struct StepOutcome {
    /// The tool's exit status.
    pub exit_status: i32,
    /// Why the tool failed before or while talking to pluto, where it did.
    pub error: Option<Error>,
    /// Whether the answer's last line was unterminated or over-long (whack warns).
    pub unterminated: bool,
}

/// The result of a whole operation.
#[derive(Debug)]
pub struct Outcome {
    /// What `ipsec auto` would exit with: the last step's status.
    pub exit_status: i32,
    /// Every step's outcome, in order.
    pub steps: Vec<StepOutcome>,
}

/// Receives what `ipsec auto` would print while an operation runs.
pub trait Sink {
    /// A line of pluto's answer, as the tool prints it (`output`) with its code and text.
    fn line(&mut self, line: &Line);
    /// Text `ipsec auto` itself prints on stdout.
    fn say(&mut self, text: &str) {
        let _ = text;
    }
    /// A diagnostic the tool prints on stderr (addconn's complaints about a conn).
    fn note(&mut self, text: &str) {
        let _ = text;
    }
    /// Raw text a tool prints on stdout itself, newlines included (addconn's `--verbose`).
    fn print(&mut self, text: &str) {
        let _ = text;
    }
}

impl<F: FnMut(&Line)> Sink for F {
    fn line(&mut self, line: &Line) {
        self(line)
    }
}

/// whack exits with `RC_WHACK_PROBLEM` whenever it fails itself, before or while reading.
const WHACK_FAILED: i32 = rc::WHACK_PROBLEM as i32;

impl StepOutcome {
    /// A step that failed with `e` before it got an answer.
    pub fn failed(exit_status: i32, e: Error) -> StepOutcome {
        StepOutcome {
            exit_status,
            error: Some(e),
            unterminated: false,
        }
    }

    /// How a whack exchange ended, given what reading its answer gave.
    pub fn of_whack(ex: &Exchange, result: Result<()>) -> StepOutcome {
        let unterminated = ex.ending().unterminated;
        match result {
            Err(e) => StepOutcome {
                exit_status: WHACK_FAILED,
                error: Some(e),
                unterminated,
            },
            Ok(()) => StepOutcome {
                exit_status: ex.exit_status(),
                error: ex
                    .ending()
                    .missing_prefix
                    .as_ref()
                    .map(|l| Error::Protocol {
                        line: String::from_utf8_lossy(l).into_owned(),
                    }),
                unterminated,
            },
        }
    }
}

/// What whack does before reading an answer: read its words, encode, connect, send.
pub fn start_whack(words: &[String], o: &Options) -> Result<Exchange> {
    let call = whack_cli::parse(words).map_err(Error::Usage)?;
    let message = o.profile.encode(&call.request)?;
    let rules = Rules::Whack {
        asynchronous: call.request.asynchronous,
        ignore_errors: call.ignore_errors,
    };
    Exchange::start(&call.socket, &message, rules)
}

/// Runs one whack step to its end.
pub fn run_whack(
    words: &[String],
    o: &Options,
    sink: &mut dyn Sink,
    xauth: &mut dyn Xauth,
) -> StepOutcome {
    let mut ex = match start_whack(words, o) {
        Ok(ex) => ex,
        Err(e) => return StepOutcome::failed(WHACK_FAILED, e),
    };
    let result = ex.run(o.timeout, &mut |l: &Line| sink.line(l), xauth);
    StepOutcome::of_whack(&ex, result)
}

/// Runs one addconn step: the configuration side of `ipsec auto`.
fn run_addconn(
    words: &[String],
    o: &Options,
    sink: &mut dyn Sink,
    xauth: &mut dyn Xauth,
) -> StepOutcome {
    crate::addconn_step::run(words, o, sink, xauth)
}

/// Executes a plan, as `ipsec auto`'s shell would: every step runs, the last one's status counts.
pub fn execute(steps: &[Step], o: &Options, sink: &mut dyn Sink, xauth: &mut dyn Xauth) -> Outcome {
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        let out = match step {
            Step::Say { text, status } => {
                sink.say(text);
                StepOutcome {
                    exit_status: *status,
                    error: None,
                    unterminated: false,
                }
            }
            Step::Run {
                tool: Tool::Whack,
                words,
            } => run_whack(words, o, sink, xauth),
            Step::Run {
                tool: Tool::Addconn,
                words,
            } => run_addconn(words, o, sink, xauth),
        };
        outcomes.push(out);
    }
    Outcome {
        exit_status: outcomes.last().map_or(0, |s| s.exit_status),
        steps: outcomes,
    }
}

/// A handle for running `ipsec auto` operations against one pluto.
///
/// Cheap to create; holds no socket between operations. Distinct sessions may be used from
/// distinct threads at once.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub options: Options,
}

/// Declines every XAUTH prompt (for callers that set up no XAUTH).
pub struct NoXauth;

impl Xauth for NoXauth {
    fn answer(&mut self, _prompt: crate::reply::Prompt) -> Option<String> {
        None
    }
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// A session talking to the control socket at `path`.
    pub fn with_socket(path: impl AsRef<Path>) -> Session {
        Session {
            options: Options {
                ctl_socket: path.as_ref().to_path_buf(),
                ..Options::default()
            },
        }
    }

    /// The command lines `ipsec auto --showonly` prints for `op`.
    pub fn show(&self, op: Operation, name: &str) -> Vec<String> {
        plan(op, name, &self.options)
            .iter()
            .map(Step::command_line)
            .collect()
    }

    /// Runs `op` (on connection `name`, where it takes one), streaming pluto's lines to `sink`.
    ///
    /// `Ok` carries the exit status `ipsec auto` would return, including pluto's own error
    /// codes; `Err` is for when the last step could not talk to pluto at all (not running,
    /// permission denied, timeout, a broken answer) or the request was invalid.
    pub fn run_with(
        &self,
        op: Operation,
        name: &str,
        sink: &mut dyn Sink,
        xauth: &mut dyn Xauth,
    ) -> Result<Outcome> {
        if op.takes_name() && name.is_empty() {
            return Err(Error::Usage(format!(
                "--{} needs a connection name",
                op.flag()
            )));
        }
        let mut out = execute(&plan(op, name, &self.options), &self.options, sink, xauth);
        match out.steps.last_mut().and_then(|s| s.error.take()) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The whole-file pass (`ipsec addconn --autoall`): adds every conn with `auto=add`,
    /// `ondemand`, `route` or `start`, tells pluto to listen, routes the `route`/`ondemand` ones
    /// and initiates the `start` ones (asynchronously, as 4.10 does). Returns addconn's status.
    pub fn add_all(
        &self,
        on_line: &mut dyn FnMut(&Line),
        on_diagnostic: &mut dyn FnMut(&str),
    ) -> Result<i32> {
        struct Split<'a>(&'a mut dyn FnMut(&Line), &'a mut dyn FnMut(&str));
        impl Sink for Split<'_> {
            fn line(&mut self, line: &Line) {
                (self.0)(line)
            }
            fn note(&mut self, text: &str) {
                (self.1)(text)
            }
        }
        // A caller of the library wants pluto's lines, terminal or not.
        let o = Options {
            addconn_echo: true,
            ..self.options.clone()
        };
        let mut out = execute(
            &plan_autoall(&o),
            &o,
            &mut Split(on_line, on_diagnostic),
            &mut NoXauth,
        );
        match out.steps.pop().and_then(|s| s.error) {
            Some(e) => Err(e),
            None => Ok(out.exit_status),
        }
    }

    /// The check-only pass: every problem of the configuration at once (nothing is sent).
    pub fn check(&self) -> Vec<crate::config::Diagnostic> {
        self.options.config.check()
    }

    /// Runs `op`, handing each of pluto's lines to `on_line`; XAUTH prompts are declined.
    pub fn run(
        &self,
        op: Operation,
        name: &str,
        mut on_line: impl FnMut(&Line),
    ) -> Result<Outcome> {
        self.run_with(op, name, &mut on_line, &mut NoXauth)
    }
}

macro_rules! operation_methods {
    (named { $($(#[$doc:meta])* $method:ident => $op:ident;)* }
     plain { $($(#[$doc2:meta])* $method2:ident => $op2:ident;)* }) => {
        impl Session {
            $($(#[$doc])* pub fn $method(&self, name: &str, on_line: impl FnMut(&Line)) -> Result<Outcome> {
                self.run(Operation::$op, name, on_line)
            })*
            $($(#[$doc2])* pub fn $method2(&self, on_line: impl FnMut(&Line)) -> Result<Outcome> {
                self.run(Operation::$op2, "", on_line)
            })*
        }
    };
}

operation_methods! {
  named {
    /// `--add`: load the connection from the configuration into pluto.
    add => Add;
    /// `--delete`: remove the connection (and its SAs) from pluto.
    delete => Delete;
    /// `--replace`: delete, then add again from the configuration.
    replace => Replace;
    /// `--start`: add, then bring up.
    start => Start;
    /// `--up`: negotiate the connection.
    up => Up;
    /// `--down`: tear the connection's SAs down.
    down => Down;
    /// `--route`: install the connection's trap policy.
    route => Route;
    /// `--unroute`: remove the trap policy.
    unroute => Unroute;
    /// `--ondemand`: add, then route.
    ondemand => Ondemand;
  }
  plain {
    /// `--status`.
    status => Status;
    /// `--ready`: tell pluto to listen.
    ready => Ready;
    /// `--rereadsecrets`.
    reread_secrets => RereadSecrets;
    /// `--rereadall`.
    reread_all => RereadAll;
    /// `--rereadcerts`.
    reread_certs => RereadCerts;
    /// `--fetchcrls`.
    fetch_crls => FetchCrls;
    /// `--listall`.
    list_all => ListAll;
    /// `--listcerts`.
    list_certs => ListCerts;
    /// `--listpubkeys`.
    list_pubkeys => ListPubkeys;
    /// `--checkpubkeys`.
    check_pubkeys => CheckPubkeys;
    /// `--listcacerts`.
    list_cacerts => ListCacerts;
    /// `--listcrls`.
    list_crls => ListCrls;
    /// `--purgeocsp`.
    purge_ocsp => PurgeOcsp;
  }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            ctl_socket: "/run/pluto/pluto.ctl".into(),
            ..Options::default()
        }
    }

    #[test]
    fn plans_print_as_ipsec_auto_does() {
        let o = Options {
            utc: true,
            ..opts()
        };
        assert_eq!(
            plan(Operation::PurgeOcsp, "", &o)[0].command_line(),
            "ipsec whack --ctlsocket /run/pluto/pluto.ctl --utc --listall --purgeocsp"
        );
        let o = Options {
            asynchronous: true,
            remote_host: Some("192.0.2.9".into()),
            config: ConfigSource::File("/etc/ipsec.conf".into()),
            verbose: true,
            ..opts()
        };
        let lines: Vec<_> = plan(Operation::Start, "west", &o)
            .iter()
            .map(Step::command_line)
            .collect();
        assert_eq!(
            lines,
            [
                "ipsec addconn --ctlsocket /run/pluto/pluto.ctl --verbose --config /etc/ipsec.conf west",
                "ipsec whack --ctlsocket /run/pluto/pluto.ctl --asynchronous --name west --initiate --remote-host 192.0.2.9",
            ]
        );
    }

    #[test]
    fn names_are_split_like_the_shell_splits_them() {
        let p = plan(Operation::Up, "name with spaces", &opts());
        assert_eq!(
            p[0].command_line(),
            "ipsec whack --ctlsocket /run/pluto/pluto.ctl --name name with spaces --initiate"
        );
    }

    #[test]
    fn every_operation_round_trips_its_flag() {
        for &op in Operation::ALL {
            assert_eq!(Operation::from_flag(op.flag()), Some(op));
        }
    }
}
