//! Messages on standard error that can never end the program: a full disk or a closed stream
//! (`2>/dev/full`) loses the message, where `eprintln!` would panic.

use std::fmt::Display;
use std::io::Write;

/// Writes `imapdoctor: {message}` and a newline to standard error, ignoring write errors. Any
/// registered secret in the message is redacted, as on stdout.
pub fn say(message: impl Display) {
    let message = message.to_string();
    let message = crate::secret::redact(&message);
    let _ = writeln!(std::io::stderr().lock(), "imapdoctor: {message}");
}

/// Writes `imapdoctor: warning: {message}`, as [`say`] does.
pub fn warn(message: impl Display) {
    say(format_args!("warning: {message}"));
}
