//! Key material for tests: raw RSA host keys (`ipsec newhostkey`/`showhostkey`) and a small
//! X.509 PKI made with NSS's certutil and pk12util, installed into pluto's NSS databases.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::oracle::{self, run, run_with_input};

/// Which end of a conn a key is shown for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

/// Makes a new RSA host key in the NSS database `nssdir` and returns its CKAID.
/// Takes about 0.7 s (a 3072-bit key).
pub fn new_host_key(nssdir: &Path) -> String {
    let out = run(&["ipsec", "newhostkey", "--nssdir", path_str(nssdir)]).ok();
    // "Generated RSA key pair with CKAID <hex> was stored in the NSS database"
    let text = format!("{}{}", out.stdout, out.stderr);
    text.split_whitespace()
        .skip_while(|w| *w != "CKAID")
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no CKAID in newhostkey's output:\n{}", out.describe()))
}

/// The `leftrsasigkey=0s...` (or `rightrsasigkey=`) line for key `ckaid` in `nssdir`.
pub fn rsasigkey_line(nssdir: &Path, ckaid: &str, end: End) -> String {
    let flag = match end {
        End::Left => "--left",
        End::Right => "--right",
    };
    let out = run(&[
        "ipsec",
        "showhostkey",
        "--nssdir",
        path_str(nssdir),
        flag,
        "--ckaid",
        ckaid,
    ])
    .ok();
    // The output is a comment line (`# rsakey ...`) and the keyword line, both indented.
    out.stdout
        .lines()
        .map(str::trim)
        .find(|l| l.contains("rsasigkey="))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no rsasigkey line:\n{}", out.describe()))
}

/// Raw RSA keys for a host-to-host conn: a fresh key in each database (made in parallel) and
/// the two lines to put in the conn on both sides.
#[derive(Clone, Debug)]
pub struct RsaPair {
    /// `leftrsasigkey=0s...`, the key in the left host's database.
    pub left: String,
    /// `rightrsasigkey=0s...`, the key in the right host's database.
    pub right: String,
    pub left_ckaid: String,
    pub right_ckaid: String,
}

impl RsaPair {
    pub fn new(left_nss: &Path, right_nss: &Path) -> RsaPair {
        let (l, r) = (left_nss.to_path_buf(), right_nss.to_path_buf());
        let lt = thread::spawn(move || new_host_key(&l));
        let right_ckaid = new_host_key(&r);
        let left_ckaid = lt.join().expect("newhostkey thread");
        RsaPair {
            left: rsasigkey_line(left_nss, &left_ckaid, End::Left),
            right: rsasigkey_line(right_nss, &right_ckaid, End::Right),
            left_ckaid,
            right_ckaid,
        }
    }

    /// Both lines, tab-indented, for a conn section.
    pub fn conn_lines(&self) -> String {
        format!("\t{}\n\t{}\n", self.left, self.right)
    }
}

/// A test CA in a scratch NSS database, issuing host certificates (RSA 2048, SAN DNS:nick)
/// that `install` copies, with their keys and the CA as trusted anchor, into pluto's
/// databases. The scratch directory goes with the value.
#[derive(Debug)]
pub struct Pki {
    pub dir: PathBuf,
    /// The CA's nickname in every database it is installed into.
    pub ca_nick: String,
    /// The CA's subject, as given to certutil.
    pub ca_subject: String,
    /// The CA certificate, PEM.
    pub ca_pem: PathBuf,
    serial: AtomicUsize,
}

/// The transport password of the PKCS#12 files (they never leave the scratch directory).
const P12_PASSWORD: &str = "ipsecauto-test";

impl Pki {
    /// Makes the CA (self-signed, basic constraints CA:true, key usage certSigning) in `dir`.
    pub fn new(dir: &Path) -> Pki {
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let noise = dir.join("noise");
        let mut seed = vec![0u8; 64];
        fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
            .expect("/dev/urandom");
        fs::write(&noise, seed).expect("noise file");
        let pki = Pki {
            dir: dir.to_path_buf(),
            ca_nick: "ipsecauto-ca".into(),
            ca_subject: "CN=ipsecauto test CA, O=ipsecauto".into(),
            ca_pem: dir.join("ca.pem"),
            serial: AtomicUsize::new(1),
        };
        run(&["certutil", "-N", "-d", &pki.db(), "--empty-password"]).ok();
        // -2 asks three questions: is it a CA (y), path length (-1: none), critical (n).
        run_with_input(
            &[
                "certutil",
                "-S",
                "-d",
                &pki.db(),
                "-n",
                &pki.ca_nick,
                "-s",
                &pki.ca_subject,
                "-x",
                "-t",
                "CT,C,C",
                "-k",
                "rsa",
                "-g",
                "2048",
                "-z",
                path_str(&noise),
                "-m",
                &pki.next_serial(),
                "-v",
                "12",
                "-2",
                "--keyUsage",
                "certSigning,crlSigning",
            ],
            b"y\n-1\nn\n",
        )
        .ok();
        let pem = run(&["certutil", "-L", "-d", &pki.db(), "-n", &pki.ca_nick, "-a"]).ok();
        fs::write(&pki.ca_pem, pem.stdout).expect("ca.pem");
        pki
    }

    fn db(&self) -> String {
        format!("sql:{}", self.dir.display())
    }

    fn next_serial(&self) -> String {
        self.serial.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// Issues a host certificate `nick` with subject `subject` (e.g. "CN=west, O=ipsecauto").
    pub fn issue(&self, nick: &str, subject: &str) {
        run(&[
            "certutil",
            "-S",
            "-d",
            &self.db(),
            "-n",
            nick,
            "-s",
            subject,
            "-c",
            &self.ca_nick,
            "-t",
            ",,",
            "-k",
            "rsa",
            "-g",
            "2048",
            "-z",
            path_str(&self.dir.join("noise")),
            "-m",
            &self.next_serial(),
            "-v",
            "12",
            "--extSAN",
            &format!("dns:{nick}"),
        ])
        .ok();
    }

    /// Copies certificate `nick` with its private key into the NSS database `nssdir` (via
    /// PKCS#12), and the CA certificate as a trusted anchor.
    pub fn install(&self, nick: &str, nssdir: &Path) {
        let p12 = self.dir.join(format!("{nick}.p12"));
        let p12 = path_str(&p12);
        let target = format!("sql:{}", nssdir.display());
        run(&[
            "pk12util",
            "-o",
            p12,
            "-n",
            nick,
            "-d",
            &self.db(),
            "-W",
            P12_PASSWORD,
            "-K",
            "",
        ])
        .ok();
        run(&[
            "pk12util",
            "-i",
            p12,
            "-d",
            &target,
            "-W",
            P12_PASSWORD,
            "-K",
            "",
        ])
        .ok();
        self.trust_ca(nssdir);
    }

    /// Adds only the CA certificate, trusted for issuing, to `nssdir`.
    pub fn trust_ca(&self, nssdir: &Path) {
        let target = format!("sql:{}", nssdir.display());
        oracle::run(&[
            "certutil",
            "-A",
            "-d",
            &target,
            "-n",
            &self.ca_nick,
            "-t",
            "CT,,",
            "-a",
            "-i",
            path_str(&self.ca_pem),
        ])
        .ok();
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
