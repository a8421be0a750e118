//! `imapdoctor demo`: an in-process IMAP server on loopback and a full check against it.

pub mod pki;
pub mod server;
