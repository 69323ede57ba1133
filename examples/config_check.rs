//! Prints our check pass for a config file (development aid).
fn main() {
    for a in std::env::args().skip(1) {
        for d in ipsecauto::config::check_file(std::path::Path::new(&a)) {
            println!("{d}");
        }
    }
}
