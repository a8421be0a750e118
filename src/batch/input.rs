//! The batch file's lines: `TARGET [USER]`, or a JSON object of [`Settings`] (`target`, `user`,
//! `security`, `mailbox`, `password_env`, … as in the config file; never a password). Blank lines
//! and `#` comments are skipped. Parsing only: the row's settings are layered over the command
//! line's and validated by the runner.

use crate::settings::Settings;

/// Longest line read (a JSON row is a few hundred bytes).
pub const MAX_LINE: usize = 64 * 1024;

/// What one line of the batch file says.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// Blank or a comment.
    Nothing,
    /// A target to check, with its own settings.
    Row(Box<Settings>),
    /// Not understood: why, for a person.
    Bad(String),
}

/// Parses one line (without its line end).
pub fn parse(text: &str) -> Line {
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Line::Nothing;
    }
    if text.starts_with('{') {
        return json_row(text);
    }
    let mut words = text.split_whitespace();
    let target = words.next().map(str::to_string);
    let user = words.next().map(str::to_string);
    // The third word is most likely a password: never shown, not even in part (nothing has
    // registered it for redaction), only its length.
    if let Some(extra) = words.next() {
        return Line::Bad(format!(
            "expected TARGET [USER], found a third word ({} characters, not shown); a password never goes in the batch file: name an environment variable with a JSON row's password_env",
            extra.chars().count()
        ));
    }
    Line::Row(Box::new(Settings {
        target,
        user,
        ..Default::default()
    }))
}

/// A JSON object row: [`Settings`], unknown keys refused, a target required.
fn json_row(text: &str) -> Line {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return Line::Bad(format!("not a JSON object: {e}")),
    };
    if let Some(key) = value.as_object().and_then(|o| {
        o.keys()
            .find(|k| k.to_ascii_lowercase().contains("password") && !k.starts_with("password_"))
    }) {
        return Line::Bad(format!(
            "\"{}\": a password never goes in the batch file; name an environment variable with \"password_env\"",
            crate::sanitize::terminal_text(key)
        ));
    }
    match serde_json::from_value::<Settings>(value) {
        Ok(settings) if settings.target.is_none() => {
            Line::Bad("the JSON row has no \"target\"".into())
        }
        Ok(settings) => Line::Row(Box::new(settings)),
        // serde's message names the unknown key and the expected ones; never a value.
        Err(e) => Line::Bad(format!(
            "JSON row: {}",
            crate::sanitize::terminal_text(&e.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Security;

    fn row(text: &str) -> Settings {
        match parse(text) {
            Line::Row(settings) => *settings,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn bad(text: &str) -> String {
        match parse(text) {
            Line::Bad(why) => why,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn blank_lines_and_comments_are_nothing() {
        assert_eq!(parse(""), Line::Nothing);
        assert_eq!(parse("   \t"), Line::Nothing);
        assert_eq!(parse("# imaps://x alice"), Line::Nothing);
        assert_eq!(parse("  # indented"), Line::Nothing);
    }

    #[test]
    fn plain_lines_are_target_and_optional_user() {
        let alone = row("imaps://mail.example.test");
        assert_eq!(alone.target.as_deref(), Some("imaps://mail.example.test"));
        assert_eq!(alone.user, None);
        let with_user = row("  mail.example.test:993\talice@example.test ");
        assert_eq!(with_user.target.as_deref(), Some("mail.example.test:993"));
        assert_eq!(with_user.user.as_deref(), Some("alice@example.test"));
    }

    #[test]
    fn a_third_word_is_refused_without_showing_it() {
        let why = bad("mail.example.test alice hunter2-pw");
        assert!(why.contains("third word (10 characters"), "{why}");
        assert!(!why.contains("hunter2"), "{why}");
    }

    #[test]
    fn json_rows_are_settings() {
        let settings = row(
            r#"{"target": "imap://mail.example.test", "user": "bob", "security": "starttls", "mailbox": "Archive", "password_env": "BOB_PASSWORD"}"#,
        );
        assert_eq!(settings.target.as_deref(), Some("imap://mail.example.test"));
        assert_eq!(settings.user.as_deref(), Some("bob"));
        assert_eq!(settings.security, Some(Security::Starttls));
        assert_eq!(settings.mailbox.as_deref(), Some("Archive"));
        assert_eq!(settings.password_env.as_deref(), Some("BOB_PASSWORD"));
    }

    #[test]
    fn json_rows_refuse_passwords_unknown_keys_and_no_target() {
        let why = bad(r#"{"target": "x", "password": "Sekr1t-value"}"#);
        assert!(why.contains("password_env"), "{why}");
        assert!(!why.contains("Sekr1t"), "{why}");
        let why = bad(r#"{"target": "x", "Password": "Sekr1t-value"}"#);
        assert!(!why.contains("Sekr1t"), "{why}");
        let why = bad(r#"{"target": "x", "colour": "red"}"#);
        assert!(why.contains("colour"), "{why}");
        let why = bad(r#"{"user": "bob"}"#);
        assert!(why.contains("target"), "{why}");
        let why = bad(r#"{"target": 5}"#);
        assert!(why.starts_with("JSON row"), "{why}");
        let why = bad("{not json");
        assert!(why.starts_with("not a JSON object"), "{why}");
    }
}
