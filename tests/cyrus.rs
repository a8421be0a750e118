//! Integration tests against a real Cyrus IMAP (see `support/cyrus.rs`).

#![cfg(unix)]

mod support;

use std::time::Instant;

use support::cyrus::Cyrus;

#[test]
fn harness_starts() {
    let started = Instant::now();
    let Some(cy) = Cyrus::start() else { return };
    eprintln!("cyrus ready in {:?}\n{}", started.elapsed(), cy.log());
}
