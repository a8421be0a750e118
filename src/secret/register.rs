//! The register of secret forms. Every [`super::Secret`] adds itself when created, with each form it
//! can take in text: raw (and so inside an IMAP literal), IMAP-quoted (`pa\"ss\\word`),
//! JSON-escaped, and as the sanitizer would show it. Values built from secrets (the base64 SASL
//! initial responses of PLAIN, XOAUTH2 and OAUTHBEARER) are `Secret`s too, so they register the
//! same way. [`redact`] replaces every registered form with [`REDACTED`].
//!
//! The register is process-wide on purpose: redaction must not depend on each output path being
//! handed the right list. It only grows by the secrets a run reads, so it stays small.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "***";

/// Forms shorter than this are redacted only as whole words: a two-letter password must not turn
/// every "ab" of a server's text into `***`, but an echoed `ab` on its own still goes.
const MIN_SUBSTRING: usize = 4;

/// Every registered form, longest first (so a longer form is never left half-redacted by a
/// shorter one it contains).
static FORMS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers `value` and the forms it takes when quoted or escaped.
pub(super) fn add(value: &str) {
    if value.is_empty() {
        return;
    }
    let imap = value.replace('\\', "\\\\").replace('"', "\\\"");
    let mut forms = Vec::new();
    for form in [value.to_string(), imap] {
        forms.push(json_escaped(&form));
        forms.push(crate::sanitize::escape(&form, usize::MAX));
        forms.push(form);
    }
    let mut all = FORMS.write().unwrap_or_else(|p| p.into_inner());
    for form in forms {
        if !form.is_empty() && !all.contains(&form) {
            all.push(form);
        }
    }
    all.sort_by_key(|f| std::cmp::Reverse(f.len()));
}

fn json_escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_string()
}

/// `text` with every registered secret form replaced by [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let forms = FORMS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = Cow::Borrowed(text);
    for form in forms.iter() {
        if !out.contains(form.as_str()) {
            continue;
        }
        let replaced = if form.len() >= MIN_SUBSTRING {
            out.replace(form.as_str(), REDACTED)
        } else {
            replace_words(&out, form)
        };
        out = Cow::Owned(replaced);
    }
    out
}

/// Replaces the occurrences of `form` not joined to a letter or digit on either side.
fn replace_words(text: &str, form: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(form) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + form.len()..].chars().next();
        let joined = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        out.push_str(if joined(before) || joined(after) {
            form
        } else {
            REDACTED
        });
        rest = &rest[at + form.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_redacted() {
        add("reg-pa\"ss\\word\t1");
        for shown in [
            "reg-pa\"ss\\word\t1",
            "reg-pa\\\"ss\\\\word\t1",
            "reg-pa\\\"ss\\\\word\\t1",
            "reg-pa\"ss\\word 1",
            "reg-pa\\\\\\\"ss\\\\\\\\word\\t1",
        ] {
            let text = format!("NO [x] you sent {shown}.");
            assert_eq!(redact(&text), "NO [x] you sent ***.", "{shown:?}");
        }
        assert!(matches!(redact("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_secrets_go_only_as_whole_words() {
        add("q7");
        assert_eq!(redact("wrong password q7."), "wrong password ***.");
        assert_eq!(redact("q7"), "***");
        assert_eq!(redact("aq7 q7b q7"), "aq7 q7b ***");
    }

    #[test]
    fn a_longer_form_wins_over_a_shorter_one_it_contains() {
        add("reg-long-secret-xyz");
        add("long-secret");
        assert_eq!(redact("got reg-long-secret-xyz"), "got ***");
    }
}
