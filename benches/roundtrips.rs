//! `cargo bench --bench roundtrips`: how fast imapdoctor reaches a verdict over a slow network,
//! counted in round trips, and what one check costs. The bench itself is in `roundtrips/bench.rs`
//! (Unix only: it reaps children with `wait4` and runs Dovecot).

#[cfg(unix)]
#[path = "roundtrips/bench.rs"]
mod bench;

fn main() {
    #[cfg(unix)]
    bench::main();
    #[cfg(not(unix))]
    eprintln!("roundtrips: skipped: this benchmark needs a Unix (wait4, Dovecot)");
}
