//! `ipsec-auto`: a drop-in for libreswan's `ipsec auto`, run in-process through the library.

use std::io::Write;
use std::path::PathBuf;

use ipsecauto::cli::{self, Command};
use ipsecauto::client::Xauth;
use ipsecauto::error::Error;
use ipsecauto::ops::{self, Sink};
use ipsecauto::reply::{Line, Prompt};

/// Prints pluto's lines to stdout as whack does: as they arrive, byte for byte.
struct Stdout(std::io::Stdout);

impl Sink for Stdout {
    fn line(&mut self, line: &Line) {
        let mut out = self.0.lock();
        let _ = out.write_all(&line.output);
        let _ = out.flush();
    }
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.0.lock(), "{text}");
    }
    fn note(&mut self, text: &str) {
        eprintln!("{text}");
    }
    fn print(&mut self, text: &str) {
        print!("{text}");
    }
}

/// Answers XAUTH prompts from the terminal, as whack does.
struct TerminalXauth;

impl Xauth for TerminalXauth {
    fn answer(&mut self, prompt: Prompt) -> Option<String> {
        match prompt {
            Prompt::Username => {
                eprint!("Enter username:   ");
                let mut s = String::new();
                std::io::stdin().read_line(&mut s).ok()?;
                Some(s.trim_end_matches('\n').to_string())
            }
            Prompt::Password => read_secret("Enter passphrase: "),
        }
    }
}

/// Reads a line from the terminal with echo off.
fn read_secret(prompt: &str) -> Option<String> {
    eprint!("{prompt}");
    let fd = 0;
    // SAFETY: termios calls on stdin with a properly sized, zeroed struct.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let is_tty = unsafe { libc::tcgetattr(fd, &mut saved) } == 0;
    if is_tty {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    }
    let mut s = String::new();
    let got = std::io::stdin().read_line(&mut s);
    if is_tty {
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
        eprintln!();
    }
    got.ok()?;
    Some(s.trim_end_matches('\n').to_string())
}

/// The wording whack or addconn would print on stderr for an error.
fn describe(e: &Error) -> String {
    match e {
        Error::Usage(m) => format!("whack error: {m}"),
        Error::Config { .. } | Error::ConfigIo { .. } | Error::UnknownConnection(_) => {
            e.to_string()
        }
        Error::Protocol { line } => format!(
            "whack: log line missing NNN prefix: {}",
            line.trim_end_matches('\n')
        ),
        other => format!("whack: {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let version = std::env::var("IPSEC_VERSION")
        .unwrap_or_else(|_| ipsecauto::Profile::V4_10.release().to_string());
    let rundir = std::env::var("IPSEC_RUNDIR").unwrap_or_else(|_| "/run/pluto".to_string());
    let socket = PathBuf::from(format!("{rundir}/pluto.ctl"));
    let (op, names, options, showonly, warnings) = match cli::parse(&args, &version, socket) {
        Command::Print(text) => {
            println!("{text}");
            return;
        }
        Command::Fail { message, status } => {
            eprintln!("{message}");
            std::process::exit(status);
        }
        Command::Run {
            op,
            names,
            options,
            showonly,
            warnings,
        } => (op, names, options, showonly, warnings),
    };
    for w in warnings {
        eprintln!("{w}");
    }
    let mut options = options;
    // SAFETY: isatty only inspects the descriptor.
    options.addconn_echo = unsafe { libc::isatty(1) } == 1;
    let steps = ops::plan(op, &names, &options);
    let mut stdout = Stdout(std::io::stdout());
    if showonly {
        let mut status = 0;
        for s in &steps {
            match s {
                ops::Step::Say { text, status: st } => {
                    stdout.say(text);
                    status = *st;
                }
                run => {
                    stdout.say(&run.command_line());
                    status = 0;
                }
            }
        }
        std::process::exit(status);
    }
    let outcome = ops::execute(&steps, &options, &mut stdout, &mut TerminalXauth);
    for step in &outcome.steps {
        if step.unterminated {
            eprintln!("whack: last line from pluto too long or unterminated");
        }
        if let Some(e) = &step.error {
            eprintln!("{}", describe(e));
        }
    }
    std::process::exit(outcome.exit_status);
}
