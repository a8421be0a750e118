//! Integration tests against a real Courier-IMAP (see `support/courier.rs`).

#![cfg(target_os = "linux")]

mod support;

use std::time::Instant;

use support::courier::Courier;

#[test]
fn harness_starts() {
    let started = Instant::now();
    let Some(c) = Courier::start() else { return };
    eprintln!(
        "courier ready in {:?} at {}",
        started.elapsed(),
        c.imaps_url()
    );
    eprintln!("{}", c.log());
}
