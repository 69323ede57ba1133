//! The life of a connection, driven only through the library, against two real plutos
//! (`west` and `east`, set up by scripts/scene.sh). Prints a transcript; exits 0 only if
//! every step did what it says.
//!
//!   demo WEST_CTL EAST_CTL

use std::path::PathBuf;
use std::process::exit;

use ipsecauto::{ConfigSource, Operation, Session};

/// The connection, as a NetworkManager-style plugin would hand it over: text in memory.
const CONN: &str = "conn demo
\tauthby=secret
\tleft=198.51.100.45
\tleftid=@west
\tright=198.51.100.23
\trightid=@east
\tikev2=insist
\tauto=add
";

struct Side {
    name: &'static str,
    session: Session,
}

impl Side {
    fn new(name: &'static str, ctl: PathBuf) -> Side {
        let mut session = Session::with_socket(ctl);
        session.options.config = ConfigSource::Text {
            name: format!("<{name} demo config>"),
            text: format!("config setup\n\n{CONN}"),
            include_dir: PathBuf::from("/"),
        };
        Side { name, session }
    }

    /// Runs `op`, printing pluto's lines; returns (exit status, all text).
    fn run(&self, op: Operation, conn: &str) -> (i32, String) {
        println!("\n[{}] ipsec auto --{} {}", self.name, op.flag(), conn);
        let mut text = String::new();
        match self.session.run(op, conn, |l| {
            let line = l.text();
            // Status is long: show the connection and the SA totals only.
            let shown = op != Operation::Status
                || (line.contains("\"demo\"") && (line.starts_with('#') || line.contains("...")))
                || line.starts_with("IKE SAs")
                || line.starts_with("IPsec SAs");
            if shown {
                println!("    {:03} {}", l.rc, line);
            }
            text.push_str(&line);
            text.push('\n');
        }) {
            Ok(out) => {
                println!("    -> exit status {}", out.exit_status);
                (out.exit_status, text)
            }
            Err(e) => {
                println!("    -> error: {e}");
                (-1, text)
            }
        }
    }
}

fn check(what: &str, ok: bool, failures: &mut Vec<String>) {
    println!("    {} {what}", if ok { "ok:" } else { "FAILED:" });
    if !ok {
        failures.push(what.to_string());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 {
        eprintln!("usage: demo WEST_CTL EAST_CTL");
        exit(2);
    }
    let west = Side::new("west", args[0].clone().into());
    let east = Side::new("east", args[1].clone().into());
    let mut failures = Vec::new();
    let f = &mut failures;

    for side in [&east, &west] {
        let (st, _) = side.run(Operation::Add, "demo");
        check("the connection is added from text in memory", st == 0, f);
        let (st, _) = side.run(Operation::RereadSecrets, "");
        check("secrets re-read", st == 0, f);
    }

    let (_, text) = west.run(Operation::Up, "demo");
    check(
        "west initiated and the IKE SA is established",
        text.contains("established IKE SA"),
        f,
    );

    for side in [&west, &east] {
        let (st, text) = side.run(Operation::Status, "");
        let ike = text
            .lines()
            .any(|l| l.contains("\"demo\"") && l.contains("ESTABLISHED_IKE_SA"));
        check("status shows the established IKE SA", st == 0 && ike, f);
    }

    let (st, _) = west.run(Operation::Down, "demo");
    check("down", st == 0, f);
    let (_, text) = west.run(Operation::Status, "");
    let gone = !text
        .lines()
        .any(|l| l.contains("\"demo\"") && l.contains("ESTABLISHED_IKE_SA"));
    check("status no longer shows an IKE SA on west", gone, f);

    for side in [&west, &east] {
        let (st, _) = side.run(Operation::Delete, "demo");
        check("deleted", st == 0, f);
    }

    println!();
    if failures.is_empty() {
        println!("demo: every step did what it says");
    } else {
        println!(
            "demo: {} step(s) failed: {}",
            failures.len(),
            failures.join("; ")
        );
        exit(1);
    }
}
