//! The `ipsec addconn` steps of `ipsec auto`: the words the script hands addconn, read as
//! addconn reads them, then run in-process.

use std::path::PathBuf;

use crate::addconn::{self, Args};
use crate::client::Xauth;
use crate::error::Error;
use crate::ops::{ConfigSource, Options, Sink, StepOutcome};
use crate::reply::Line;

/// Reads addconn's words: `--ctlsocket S`, `--verbose`, `--config F`, names (getopt moves
/// them after the options). `None` when addconn would print its usage.
fn parse(words: &[String], o: &Options) -> Option<Args> {
    let mut ctlsocket = PathBuf::from(crate::client::DEFAULT_CTL_SOCKET);
    let mut verbose = false;
    let mut autoall = false;
    let mut config: Option<PathBuf> = None;
    let mut names = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--ctlsocket" => ctlsocket = it.next()?.into(),
            "--config" => config = Some(it.next()?.into()),
            "--verbose" => verbose = true,
            "--autoall" => autoall = true,
            "--" => names.extend(it.by_ref().cloned()),
            s if s.starts_with('-') && s.len() > 1 => return None,
            _ => names.push(w.clone()),
        }
    }
    if names.is_empty() && !autoall {
        return None;
    }
    // In-memory text stands in for the file the words name.
    let source = match (&o.config, config) {
        (text @ ConfigSource::Text { .. }, Some(_)) => text.clone(),
        (_, Some(path)) => ConfigSource::File(path),
        (_, None) => ConfigSource::Default,
    };
    let mut args = Args::new(source, names);
    args.ctlsocket = ctlsocket;
    args.verbose = verbose;
    args.autoall = autoall;
    args.echo = o.addconn_echo;
    args.timeout = o.timeout;
    Some(args)
}

/// Runs `ipsec addconn WORDS...` in-process.
pub fn run(
    words: &[String],
    o: &Options,
    sink: &mut dyn Sink,
    xauth: &mut dyn Xauth,
) -> StepOutcome {
    let Some(args) = parse(words, o) else {
        let e = Error::Usage(
            "Usage: addconn [--config file] [--ctlsocket socketfile] [--verbose] names".into(),
        );
        return StepOutcome {
            exit_status: addconn::exit_status_for(&e),
            error: Some(e),
            unterminated: false,
        };
    };
    let mut notes = Vec::new();
    // pluto's lines and addconn's own stdout interleave on the one sink.
    let sink = std::cell::RefCell::new(sink);
    let result = addconn::run_with_output(
        &args,
        &mut |l: &Line| sink.borrow_mut().line(l),
        &mut |d: &str| notes.push(d.to_string()),
        &mut |t: &str| sink.borrow_mut().print(t),
        xauth,
    );
    let sink = sink.into_inner();
    for n in &notes {
        sink.note(n);
    }
    match result {
        Ok(status) => StepOutcome {
            exit_status: status,
            error: None,
            unterminated: false,
        },
        Err(e) => StepOutcome {
            exit_status: addconn::exit_status_for(&e),
            error: Some(e),
            unterminated: false,
        },
    }
}
