//! imapdoctor: a layered IMAP connectivity diagnostic.
//!
//! Data flows one way: [`cli`] (or a config file, a batch row, an exporter module) →
//! [`settings::Settings`] → [`config::Config`] → [`engine`] ([`checks`] → [`report::Report`] →
//! [`diagnose`]) → [`render`]. [`report`] is the bottom layer: plain data every part uses, importing
//! none of them. The binary (`main.rs`) only parses, runs, renders and exits.

pub mod app;
pub mod batch;
pub mod checks;
pub mod cli;
pub mod config;
pub mod config_file;
pub mod control;
pub mod demo;
pub mod diagnose;
pub mod discover;
pub mod engine;
pub mod environment;
pub mod exit_code;
pub mod explain;
pub mod host;
pub mod imap;
pub mod input_file;
pub mod man;
pub mod metrics;
pub mod plugin;
pub mod prompt;
pub mod providers;
pub mod render;
pub mod repeat;
pub mod report;
pub mod sanitize;
pub mod schema;
pub mod secret;
pub mod serve;
pub mod settings;
pub mod stderr;
pub mod transcript;
