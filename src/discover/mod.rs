//! Discovery: from an e-mail address to the IMAP server, the way mail clients find it.

pub mod autoconfig;
