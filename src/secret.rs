//! Passwords and tokens: where they may come from (never argv), a wrapper that never prints them,
//! and the process-wide register of every form a secret can take on the wire, which
//! [`redact`] removes from any text (the sanitizer calls it on everything a server sent).

mod register;

use std::fmt;
use std::io::IsTerminal;

pub use register::{REDACTED, redact};

/// A password or token. `Debug` and `Display` print `***`; there is no `Serialize`. Creating one
/// registers it (and its quoted and escaped forms) for redaction, so no path that prints server
/// text can forget it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value and registers it for redaction.
    pub fn new(value: String) -> Self {
        register::add(&value);
        Secret(value)
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Environment variable holding the password.
pub const PASSWORD_ENV: &str = "IMAPDOCTOR_PASSWORD";
/// Environment variable holding an OAuth2 bearer token.
pub const TOKEN_ENV: &str = "IMAPDOCTOR_OAUTH_TOKEN";

/// Where a password comes from, in order of preference: the first line of stdin
/// (`--password-stdin`), the environment variable `env` (`IMAPDOCTOR_PASSWORD` unless a profile
/// or batch row names another), the prompt (only when `may_prompt`). A password given explicitly
/// but empty (an empty first line on stdin, `IMAPDOCTOR_PASSWORD=""`, Enter at the prompt) is a
/// usage error: no server accepts it, and sending it would only blame the account. With
/// `--password-stdin` on a terminal (nothing piped), the password is asked with the echo off
/// rather than read as an ordinary line the terminal would show.
pub fn read_password(
    user: &str,
    env: &str,
    from_stdin: bool,
    may_prompt: bool,
) -> Result<Secret, String> {
    let empty = |source: &str| format!("empty password ({source})");
    if from_stdin && !std::io::stdin().is_terminal() {
        let stdin = std::io::stdin().lock();
        let value = crate::input_file::first_line(stdin, crate::input_file::MAX_PASSWORD)
            .map_err(|e| format!("--password-stdin: standard input: {e}"))?
            .ok_or("--password-stdin: standard input held no password")?;
        if value.is_empty() {
            return Err(empty("the first line of standard input is empty"));
        }
        return Ok(Secret::new(value));
    }
    if let Some(value) = std::env::var_os(env).filter(|_| !from_stdin) {
        let value = value
            .into_string()
            .map_err(|_| format!("{env} is not valid UTF-8"))?;
        if value.is_empty() {
            return Err(empty(&format!("{env} is set but empty")));
        }
        return Ok(Secret::new(value));
    }
    if !may_prompt {
        return Err(format!(
            "no password for {}: set {env} (a password is never asked for here)",
            crate::sanitize::terminal_text(user)
        ));
    }
    if std::io::stdin().is_terminal() {
        let prompt = format!("Password for {}: ", crate::sanitize::terminal_text(user));
        let value =
            crate::prompt::password(&prompt).map_err(|e| format!("password prompt: {e}"))?;
        if value.is_empty() {
            return Err(empty("nothing was typed at the prompt"));
        }
        return Ok(Secret::new(value));
    }
    Err(format!(
        "--user needs a password: set {env}, pipe it with --password-stdin, or run on a terminal to be asked"
    ))
}

/// The password from a file (its first line, kept as it is but for the line ending).
pub fn password_from_file(path: &std::path::Path) -> Result<Secret, String> {
    use crate::input_file;
    let bytes = input_file::read_regular(path, input_file::MAX_PASSWORD)
        .map_err(|e| format!("password file {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("password file {}: not UTF-8 text", path.display()))?;
    if let Some(warning) = input_file::exposed("password file", path) {
        crate::stderr::warn(warning);
    }
    let password = text.lines().next().unwrap_or_default();
    if password.is_empty() {
        return Err(format!(
            "password file {}: the first line is empty",
            path.display()
        ));
    }
    Ok(Secret::new(password.to_string()))
}

/// The OAuth2 token from a file (first line, trimmed).
pub fn token_from_file(path: &std::path::Path) -> Result<Secret, String> {
    use crate::input_file;
    let bytes = input_file::read_regular(path, input_file::MAX_TOKEN)
        .map_err(|e| format!("--oauth-token-file {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("--oauth-token-file {}: not UTF-8 text", path.display()))?;
    if let Some(warning) = input_file::exposed("--oauth-token-file", path) {
        crate::stderr::warn(warning);
    }
    let token = text.lines().next().unwrap_or_default().trim().to_string();
    if token.is_empty() {
        return Err(format!(
            "--oauth-token-file {}: the file holds no token",
            path.display()
        ));
    }
    Ok(Secret::new(token))
}

/// The OAuth2 token from the environment variable `name` (`IMAPDOCTOR_OAUTH_TOKEN` unless a
/// profile names another), if set. Set but empty is an error, not "no token": it is what
/// `IMAPDOCTOR_OAUTH_TOKEN=$(get-token)` leaves when the command failed, and falling back to a
/// password would test something else than the user meant.
pub fn token_from_env(name: &str) -> Result<Option<Secret>, String> {
    let Some(value) = std::env::var_os(name) else {
        return Ok(None);
    };
    let value = value
        .into_string()
        .map_err(|_| format!("{name} is not valid UTF-8"))?;
    let token = value.trim();
    if token.is_empty() {
        return Err(format!(
            "{name} is set but empty (did the command that should produce the token fail?); unset it to log in with a password"
        ));
    }
    Ok(Some(Secret::new(token.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }
}
