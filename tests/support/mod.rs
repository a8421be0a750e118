//! Shared helpers for the integration tests. Each test binary uses only part of them.
#![allow(dead_code, unused_imports)]

pub mod dovecot;
pub mod latency;
pub mod netns;
pub mod scripted;
