//! What `ipsec whack` makes of its command line, for the options `ipsec auto` passes it.
//!
//! `ipsec auto` builds whack command lines in a shell, so a connection name with blanks becomes
//! several words. Interpreting the same words as whack does keeps the library's requests and
//! exit statuses identical to `ipsec auto`'s, for every name a caller may pass.

use std::path::PathBuf;

use crate::client::DEFAULT_CTL_SOCKET;
use crate::request::{Request, Reread};

/// A whack run that would send a message.
#[derive(Clone, Debug, PartialEq)]
pub struct WhackCall {
    pub socket: PathBuf,
    pub request: Request,
    /// whack's `--status` and `--list*` always exit 0 once the answer is read.
    pub ignore_errors: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Required,
}

/// The long options this interpreter knows, with whether each takes an argument.
const OPTIONS: &[(&str, Arg)] = &[
    ("ctlsocket", Arg::Required),
    ("rundir", Arg::Required),
    ("name", Arg::Required),
    ("remote-host", Arg::Required),
    ("asynchronous", Arg::None),
    ("initiate", Arg::None),
    ("terminate", Arg::None),
    ("delete", Arg::None),
    ("route", Arg::None),
    ("ondemand", Arg::None),
    ("unroute", Arg::None),
    ("listen", Arg::None),
    ("status", Arg::None),
    ("rereadsecrets", Arg::None),
    ("rereadcrls", Arg::None),
    ("rereadcerts", Arg::None),
    ("fetchcrls", Arg::None),
    ("rereadall", Arg::None),
    ("purgeocsp", Arg::None),
    ("utc", Arg::None),
    ("checkpubkeys", Arg::None),
    ("listpubkeys", Arg::None),
    ("listcerts", Arg::None),
    ("listcacerts", Arg::None),
    ("listcrls", Arg::None),
    ("listpsks", Arg::None),
    ("listevents", Arg::None),
    ("listall", Arg::None),
];

/// Interprets whack's argument words (without the program name). `Err` carries whack's
/// diagnostic; whack then exits with `RC_WHACK_PROBLEM` (33) and sends nothing.
pub fn parse(words: &[String]) -> Result<WhackCall, String> {
    let mut socket = PathBuf::from(DEFAULT_CTL_SOCKET);
    let mut r = Request::default();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut ignore_errors = false;
    let mut positional: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        i += 1;
        if w == "--" {
            positional.extend(words[i..].iter().map(String::as_str));
            break;
        }
        let Some(body) = w.strip_prefix("--") else {
            // getopt_long moves non-options to the end; whack then complains about the first.
            positional.push(w);
            continue;
        };
        let (opt, inline) = match body.split_once('=') {
            Some((o, v)) => (o, Some(v)),
            None => (body, None),
        };
        let Some(&(name, arg)) = OPTIONS.iter().find(|(n, _)| *n == opt) else {
            return Err(format!("unrecognized option '--{opt}'"));
        };
        let value = match (arg, inline) {
            (Arg::None, Some(_)) => {
                return Err(format!("option '--{name}' doesn't allow an argument"))
            }
            (Arg::None, None) => None,
            (Arg::Required, Some(v)) => Some(v.to_string()),
            (Arg::Required, None) => {
                let Some(v) = words.get(i) else {
                    return Err(format!("option '--{name}' requires an argument"));
                };
                i += 1;
                Some(v.clone())
            }
        };
        // Each option may be given once; --route and its alias --ondemand share one slot.
        let slot = if name == "ondemand" { "route" } else { name };
        if seen.contains(&slot) {
            return Err(format!("duplicated flag \"{name}\""));
        }
        seen.push(slot);
        let value = value.unwrap_or_default();
        match name {
            "ctlsocket" => socket = PathBuf::from(value),
            "rundir" => socket = PathBuf::from(format!("{value}/pluto.ctl")),
            "name" => r.name = Some(value),
            "remote-host" => r.remote_host = Some(value),
            "asynchronous" => r.asynchronous = true,
            "initiate" => r.initiate = true,
            "terminate" => r.terminate = true,
            "delete" => r.delete = true,
            "route" | "ondemand" => r.route = true,
            "unroute" => r.unroute = true,
            "listen" => r.listen = true,
            "status" => {
                r.status = true;
                ignore_errors = true;
            }
            "rereadsecrets" => r.reread.secrets = true,
            "rereadcrls" => r.reread.crls = true,
            "rereadcerts" => r.reread.certs = true,
            "fetchcrls" => r.reread.fetch_crls = true,
            "rereadall" => r.reread = Reread::ALL,
            "purgeocsp" => r.purge_ocsp = true,
            "utc" => r.list.utc = true,
            other => {
                ignore_errors = true;
                match other {
                    "checkpubkeys" => r.list.check_pubkeys = true,
                    "listpubkeys" => r.list.pubkeys = true,
                    "listcerts" => r.list.certs = true,
                    "listcacerts" => r.list.cacerts = true,
                    "listcrls" => r.list.crls = true,
                    "listpsks" => r.list.psks = true,
                    "listevents" => r.list.events = true,
                    _ => r.list.all = true, // listall
                }
            }
        }
    }
    r.socket_named = seen.iter().any(|s| matches!(*s, "ctlsocket" | "rundir"));
    if let Some(extra) = positional.first() {
        return Err(diag(&r, &format!("unexpected argument \"{extra}\"")));
    }
    let needs_name = r.route || r.unroute || r.initiate || r.terminate || r.delete;
    if needs_name && r.name.is_none() {
        return Err(diag(&r, "missing --name <connection_name>"));
    }
    if !needs_name && r.name.is_some() {
        return Err(diag(&r, "no reason for --name"));
    }
    if r.remote_host.is_some() && !r.initiate {
        return Err(diag(&r, "--remote-host can only be used with --initiate"));
    }
    let l = r.list;
    let listing = l.all
        || l.pubkeys
        || l.check_pubkeys
        || l.certs
        || l.cacerts
        || l.crls
        || l.psks
        || l.events;
    let acts = r.delete
        || r.initiate
        || r.terminate
        || r.route
        || r.unroute
        || r.listen
        || listing
        || r.reread.any()
        || r.status
        || r.purge_ocsp;
    if !acts {
        return Err(diag(&r, "no action specified; try --help for hints"));
    }
    Ok(WhackCall {
        socket,
        request: r,
        ignore_errors,
    })
}

/// whack's diagnostic form: `whack error: "NAME" message`.
fn diag(r: &Request, message: &str) -> String {
    match &r.name {
        Some(n) => format!("\"{n}\" {message}"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn initiate_with_name() {
        let c = parse(&words("--ctlsocket /s --name west --initiate")).unwrap();
        assert_eq!(c.socket, PathBuf::from("/s"));
        assert_eq!(c.request.name.as_deref(), Some("west"));
        assert!(c.request.initiate && c.request.socket_named && !c.ignore_errors);
    }

    #[test]
    fn split_names_are_unexpected_arguments() {
        let e = parse(&words("--ctlsocket /s --name name with spaces --initiate")).unwrap_err();
        assert!(e.contains("unexpected argument \"with\""), "{e}");
    }

    #[test]
    fn name_needs_an_action_and_actions_need_a_name() {
        assert!(parse(&words("--ctlsocket /s --initiate"))
            .unwrap_err()
            .contains("missing --name"));
        assert!(parse(&words("--ctlsocket /s --name x --status"))
            .unwrap_err()
            .contains("no reason"));
        assert!(parse(&words("--ctlsocket /s"))
            .unwrap_err()
            .contains("no action"));
    }

    #[test]
    fn listing_ignores_errors() {
        let c = parse(&words("--ctlsocket /s --utc --listall")).unwrap();
        assert!(c.ignore_errors && c.request.list.all && c.request.list.utc);
    }

    #[test]
    fn options_inside_names_are_options() {
        // `ipsec auto --up "x --delete"` hands whack these words.
        let c = parse(&words("--ctlsocket /s --name x --delete --initiate")).unwrap();
        assert!(c.request.delete && c.request.initiate);
    }
}
