//! imapdoctor: a layered IMAP connectivity diagnostic.
//!
//! Data flows one way: [`cli`] → [`config::Config`] → checks → [`report::Report`] → diagnose →
//! render. The binary (`main.rs`) only parses, runs, renders and exits.

pub mod demo;
