//! imapdoctor: a layered IMAP connectivity diagnostic.
//!
//! Data flows one way: [`cli`] → [`config::Config`] → [`checks`] → [`report::Report`] →
//! [`diagnose`] → [`render`]. The binary (`main.rs`) only parses, runs, renders and exits.

pub mod app;
pub mod checks;
pub mod cli;
pub mod config;
pub mod control;
pub mod demo;
pub mod diagnose;
pub mod environment;
pub mod exit_code;
pub mod explain;
pub mod host;
pub mod imap;
pub mod input_file;
pub mod man;
pub mod prompt;
pub mod providers;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod schema;
pub mod secret;
pub mod stderr;
pub mod transcript;
