//! The `ipsec addconn` steps of `ipsec auto`: the words the script hands addconn, read as
//! addconn reads them, then run in-process.

use std::path::PathBuf;

use crate::addconn::{self, Args};
use crate::client::Xauth;
use crate::error::Error;
use crate::ops::{ConfigSource, Options, Sink, StepOutcome};
use crate::reply::Line;

/// addconn's status when its command line is wrong (it prints its usage).
const USAGE_STATUS: i32 = 10;
/// addconn's status when the configuration cannot be loaded.
const CONFIG_STATUS: i32 = 3;

/// The configuration as addconn takes it.
pub fn source(c: &ConfigSource) -> addconn::ConfigSource {
    match c {
        ConfigSource::Default => addconn::ConfigSource::File(addconn::DEFAULT_CONFIG.into()),
        ConfigSource::File(p) => addconn::ConfigSource::File(p.clone()),
        ConfigSource::Text {
            name,
            text,
            include_dir,
        } => addconn::ConfigSource::Text {
            text: text.clone(),
            name: name.clone(),
            include_base: include_dir.clone(),
        },
    }
}

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
        (text @ ConfigSource::Text { .. }, Some(_)) => source(text),
        (_, Some(path)) => addconn::ConfigSource::File(path),
        (_, None) => source(&ConfigSource::Default),
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
        return StepOutcome {
            exit_status: USAGE_STATUS,
            error: Some(Error::Usage(
                "Usage: addconn [--config file] [--ctlsocket socketfile] [--verbose] names".into(),
            )),
            unterminated: false,
        };
    };
    let mut notes = Vec::new();
    let result = addconn::run_with_diagnostics(
        &args,
        &mut |l: &Line| sink.line(l),
        &mut |d: &str| notes.push(d.to_string()),
        xauth,
    );
    for n in &notes {
        sink.note(n);
    }
    match result {
        Ok(status) => StepOutcome {
            exit_status: status,
            error: None,
            unterminated: false,
        },
        Err(e) => {
            let status = match e {
                Error::Config { .. } | Error::ConfigIo { .. } => CONFIG_STATUS,
                Error::Usage(_) => USAGE_STATUS,
                _ => 255,
            };
            StepOutcome {
                exit_status: status,
                error: Some(e),
                unterminated: false,
            }
        }
    }
}
