//! Parses a generated config of N conns (default 100,000) and prints time and peak memory.
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let text = ipsecauto::config::gen::many_conns(n);
    let t = Instant::now();
    let cfg = ipsecauto::config::load_str(&text, "gen.conf", std::path::Path::new("/")).unwrap();
    let took = t.elapsed();
    // SAFETY: getrusage fills the struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    println!(
        "{} conns, {} bytes: {:.3}s, peak RSS {} MiB",
        cfg.conns.len(),
        text.len(),
        took.as_secs_f64(),
        ru.ru_maxrss / 1024
    );
}
