//! A stand-in for `ipsec auto --add NAME` until the real CLI exists: enough of ipsec auto's
//! flags for conformance.py's addconn mode (`--ctlsocket S --config F --add NAME`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use ipsecauto::addconn::{self, Args, ConfigSource};

fn main() {
    let mut ctlsocket = None;
    let mut config = PathBuf::from(addconn::DEFAULT_CONFIG);
    let mut names = Vec::new();
    let mut verbose = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--ctlsocket" => ctlsocket = it.next().map(PathBuf::from),
            "--config" => config = it.next().map(PathBuf::from).unwrap_or(config),
            "--verbose" => verbose = true,
            "--add" => names.extend(it.next()),
            other => names.push(other.to_string()),
        }
    }
    let source = ConfigSource::File(config);
    let mut args = Args::new(source.clone(), names);
    if let Some(s) = ctlsocket {
        args.ctlsocket = s;
    }
    args.verbose = verbose;
    args.echo = std::io::stdout().is_terminal();
    let mut out = std::io::stdout();
    let status = addconn::run_with_diagnostics(
        &args,
        &mut |l| {
            let _ = out.write_all(&l.output);
        },
        &mut |d| eprintln!("{d}"),
        &mut |_| None,
    );
    std::process::exit(match status {
        Ok(s) => s,
        Err(e) => {
            match e {
                ipsecauto::Error::Config { .. } => {
                    eprintln!("{}", addconn::load_failure_message(&source, &e))
                }
                _ => eprintln!("{e}"),
            }
            addconn::exit_status_for(&e)
        }
    });
}
