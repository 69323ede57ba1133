//! `ipsec auto`'s command line: its flags, its obsolete forms and its usage errors, as
//! libreswan 4.10's script reads them. The `ipsec-auto` binary is a thin shell around this.

use std::path::PathBuf;

use crate::ops::{ConfigSource, Operation, Options};

pub const ME: &str = "ipsec auto";

/// The usage text, as 4.10's script prints it (stdout for `--help`, stderr on misuse).
pub const USAGE: &str = "Usage:
\tipsec auto [--showonly] [--asynchronous] --up connectionname \\
\t\t[--remote-host ipaddr]
\tipsec auto [--showonly] [--asynchronous] --down connectionname
\tipsec auto [--showonly] --{add|delete|replace|start} connectionname
\tipsec auto [--showonly] --{route|unroute|ondemand} connectionname
\tipsec auto [--showonly] --{ready|status}
\tipsec auto [--showonly] --{fetchcrls|rereadcerts|rereadall|rereadsecrets}
\tipsec auto [--showonly] [--utc] --{listpubkeys|listcerts|listcacerts}
\tipsec auto [--showonly] [--utc] --{listcrls|listall}
\tipsec auto [--showonly] [--utc] --checkpubkeys
\tipsec auto [--showonly] [--utc] --purgeocsp

\tother options: [--config ipsecconfigfile] [--verbose] \\
\t\t[--ctlsocket <file>]";

/// What the command line asks for.
#[derive(Clone, Debug)]
pub enum Command {
    /// Run (or, with `showonly`, print) an operation.
    Run {
        op: Operation,
        names: String,
        options: Options,
        showonly: bool,
        warnings: Vec<String>,
    },
    /// Print to stdout and exit 0 (`--help`, `--version`).
    Print(String),
    /// Print to stderr and exit with the status (usage errors).
    Fail { message: String, status: i32 },
}

/// Operations that take a connection name, and those that do not (as the script groups them).
const NAMED: &[&str] = &[
    "up",
    "down",
    "add",
    "delete",
    "replace",
    "route",
    "unroute",
    "start",
    "ondemand",
    "rotatecert",
];
const UNNAMED: &[&str] = &[
    "checkpubkeys",
    "fetchcrls",
    "listall",
    "listcacerts",
    "listcerts",
    "listcrls",
    "listpubkeys",
    "purgeocsp",
    "ready",
    "rereadall",
    "rereadcerts",
    "rereadcrls",
    "rereadsecrets",
    "status",
];
/// Obsolete `NAME VERB` and `VERB` forms still accepted.
const OBSOLETE_NAMED: &[&str] = &[
    "up",
    "down",
    "add",
    "delete",
    "replace",
    "start",
    "route",
    "unroute",
    "rotatecert",
];
const OBSOLETE_UNNAMED: &[&str] = &[
    "ready",
    "status",
    "rereadsecrets",
    "rereadcacerts",
    "rereadcrls",
    "rereadcerts",
    "rereadall",
    "listpubkeys",
    "listcerts",
    "listcacerts",
    "listcrls",
    "listall",
];

fn usage() -> Command {
    Command::Fail {
        message: USAGE.to_string(),
        status: 2,
    }
}

/// Reads `ipsec auto`'s arguments (without the program name). `version` is what `--version`
/// reports; `ctl_socket` the default socket (the script derives it from `IPSEC_RUNDIR`).
pub fn parse(args: &[String], version: &str, ctl_socket: PathBuf) -> Command {
    let mut o = Options {
        ctl_socket,
        ..Options::default()
    };
    let mut showonly = false;
    let mut op: Option<String> = None;
    let mut argc = 0;
    let mut i = 0;
    // An option's value: the next word. When it is missing, the script's `shift` fails and
    // the shell stops with status 2.
    let missing = |flag: &str| Command::Fail {
        message: format!("{ME}: {flag}: missing argument"),
        status: 2,
    };
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--help" => return Command::Print(USAGE.to_string()),
            "--version" => return Command::Print(format!("{ME} {version}")),
            "--show" => {}
            "--showonly" => showonly = true,
            "--utc" => o.utc = true,
            "--config" => {
                i += 1;
                let Some(v) = args.get(i).cloned() else {
                    return missing(a);
                };
                o.config = ConfigSource::File(v.into());
            }
            "--ctlsocket" => {
                i += 1;
                let Some(v) = args.get(i).cloned() else {
                    return missing(a);
                };
                o.ctl_socket = v.into();
            }
            "--remote-host" => {
                i += 1;
                let Some(v) = args.get(i).cloned() else {
                    return missing(a);
                };
                o.remote_host = Some(v);
            }
            "--asynchronous" => o.asynchronous = true,
            "--verbose" => o.verbose = true,
            "--" => {
                i += 1;
                break;
            }
            _ => {
                if let Some(flag) = a
                    .strip_prefix("--")
                    .filter(|f| NAMED.contains(f) || UNNAMED.contains(f))
                {
                    if op.is_some() {
                        return usage();
                    }
                    op = Some(flag.to_string());
                    argc = usize::from(NAMED.contains(&flag));
                } else if a.starts_with('-') {
                    return Command::Fail {
                        message: format!("{ME}: unknown option \"{a}\""),
                        status: 2,
                    };
                } else {
                    break;
                }
            }
        }
        i += 1;
    }
    let rest = &args[i.min(args.len())..];
    let mut warnings = Vec::new();
    let (flag, names) = match (&op, rest) {
        (None, [name, verb]) if OBSOLETE_NAMED.contains(&verb.as_str()) => {
            warnings.push(format!("{ME}: warning: obsolete command syntax used"));
            (verb.clone(), name.clone())
        }
        (None, [verb]) if OBSOLETE_UNNAMED.contains(&verb.as_str()) => {
            warnings.push(format!("{ME}: warning: obsolete command syntax used"));
            (verb.clone(), String::new())
        }
        (Some(flag), rest) if rest.len() == argc => (flag.clone(), rest.join(" ")),
        _ => return usage(),
    };
    // Every flag accepted above names an operation the script knows.
    let Some(op) = Operation::from_flag(&flag) else {
        return usage();
    };
    Command::Run {
        op,
        names,
        options: o,
        showonly,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Command {
        let args: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&args, "4.10", "/run/pluto/pluto.ctl".into())
    }

    #[test]
    fn flags_then_operation_then_name() {
        match p("--showonly --asynchronous --up west") {
            Command::Run {
                op,
                names,
                options,
                showonly,
                ..
            } => {
                assert_eq!(op, Operation::Up);
                assert_eq!(names, "west");
                assert!(options.asynchronous && showonly);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn misuse_is_a_usage_error_with_status_2() {
        for bad in [
            "",
            "--up",
            "--up a b",
            "--status west",
            "--up a --down b",
            "up x",
            "--bogus",
        ] {
            assert!(matches!(p(bad), Command::Fail { status: 2, .. }), "{bad}");
        }
    }

    #[test]
    fn obsolete_forms_warn() {
        match p("west up") {
            Command::Run {
                op,
                names,
                warnings,
                ..
            } => {
                assert_eq!(
                    (op, names.as_str(), warnings.len()),
                    (Operation::Up, "west", 1)
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p("status"),
            Command::Run {
                op: Operation::Status,
                ..
            }
        ));
    }
}
