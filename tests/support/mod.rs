//! Shared helpers for the integration tests. Each test binary uses only part of them.
#![allow(dead_code, unused_imports)]

pub mod cli;
#[cfg(target_os = "linux")]
pub mod courier;
#[cfg(unix)]
pub mod cyrus;
#[cfg(unix)]
pub mod dovecot;
pub mod exporter;
pub mod exposition;
pub mod hostile;
pub mod https_server;
pub mod imap_session;
pub mod latency;
#[cfg(unix)]
pub mod loopback_server;
pub mod maildir;
#[cfg(unix)]
pub mod measured;
#[cfg(target_os = "linux")]
pub mod netns;
pub mod offline;
#[cfg(target_os = "linux")]
pub mod pty;
pub mod schema;
pub mod scripted;
