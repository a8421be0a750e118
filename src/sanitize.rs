//! Server text is untrusted: the one sanitizer every string that came off the network passes
//! through before it reaches a report, a terminal or the JSON. It first removes every registered
//! secret ([`crate::secret::redact`]: a server may echo the password), then shows escaped what
//! could make text display differently from what it is: control characters (C0 and C1), format
//! characters (bidirectional overrides and isolates, zero-width characters, the soft hyphen, tag
//! characters), line and paragraph separators, non-ASCII spaces, other invisible fillers and
//! unassigned code points. Overlong text is cut.
//!
//! Applying it twice changes nothing, so a string sanitized where it entered can safely be
//! sanitized again where it is shown.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Longest server-provided string kept in a report field, in characters as shown.
pub const MAX_TEXT: usize = 1000;

/// Makes untrusted bytes safe to print: invalid UTF-8 becomes U+FFFD, secrets `***`, hidden
/// characters `\xNN` / `\u{NNNN}`, and the result is at most [`MAX_TEXT`] characters (marked `…`
/// when cut).
pub fn untrusted(bytes: &[u8]) -> String {
    terminal_text(&String::from_utf8_lossy(bytes))
}

/// Like [`untrusted`] with another length limit (see [`within`]).
pub fn untrusted_within(bytes: &[u8], max_chars: usize) -> String {
    within(&String::from_utf8_lossy(bytes), max_chars)
}

/// Like [`untrusted`] for text already decoded.
pub fn terminal_text(text: &str) -> String {
    within(text, MAX_TEXT)
}

/// Like [`terminal_text`] with another length limit: secrets are removed from the whole text
/// before it is cut, so a cut never leaves part of a secret behind.
pub fn within(text: &str, max_chars: usize) -> String {
    escape(&crate::secret::redact(text), max_chars)
}

/// Shows hidden characters escaped and cuts at `max_chars` characters of output (the `…` marking
/// a cut included). Does not redact: [`within`] does both.
pub fn escape(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut count = 0usize;
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        if c == '\t' {
            piece.push(' ');
        } else if is_hidden(c) {
            let n = c as u32;
            if n < 0x100 {
                piece.push_str(&format!("\\x{n:02x}"));
            } else {
                piece.push_str(&format!("\\u{{{n:04x}}}"));
            }
        } else {
            piece.push(c);
        }
        let len = piece.chars().count();
        if count.saturating_add(len) > max_chars {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        count += len;
    }
    out
}

/// Whether `c` is shown escaped: it controls the terminal, is invisible, or makes text display
/// differently from what it is.
pub fn is_hidden(c: char) -> bool {
    match c.general_category() {
        GeneralCategory::Control
        | GeneralCategory::Format
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator
        | GeneralCategory::Surrogate
        | GeneralCategory::Unassigned => true,
        GeneralCategory::SpaceSeparator => c != ' ',
        _ => matches!(c,
            // Default-ignorable code points outside Cf: combining grapheme joiner, Hangul fillers,
            // Khmer inherent vowels, Mongolian variation selectors, the tag block's unassigned
            // slots (covered by Unassigned, listed for the reader).
            '\u{034f}'
            | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}'
            | '\u{17b4}' | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{e0000}'..='\u{e007f}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(untrusted(b"ok\x1b[31mred\x07"), "ok\\x1b[31mred\\x07");
        assert_eq!(terminal_text("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(terminal_text("a\u{9b}b"), "a\\x9bb");
        assert_eq!(untrusted(b"\xff\xfe"), "\u{fffd}\u{fffd}");
        assert_eq!(terminal_text("Grüße"), "Grüße");
        assert_eq!(terminal_text("a\tb"), "a b");
    }

    #[test]
    fn escapes_every_invisible_or_reordering_character() {
        for (c, shown) in [
            ('\u{e0041}', "\\u{e0041}"),
            ('\u{e0001}', "\\u{e0001}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
            ('\u{061c}', "\\u{061c}"),
            ('\u{00ad}', "\\xad"),
            ('\u{206a}', "\\u{206a}"),
            ('\u{206f}', "\\u{206f}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{00a0}', "\\xa0"),
            ('\u{3164}', "\\u{3164}"),
            ('\u{0085}', "\\x85"),
        ] {
            assert_eq!(terminal_text(&format!("a{c}b")), format!("a{shown}b"));
        }
        for visible in ["Entwürfe", "受信トレイ", "Входящие", "صندوق", "📥"] {
            assert_eq!(terminal_text(visible), visible);
        }
    }

    #[test]
    fn idempotent() {
        let nasty = "x\u{1b}[2J\u{202e}\u{e0041}\u{2028}y\\x1b";
        let once = terminal_text(nasty);
        assert_eq!(terminal_text(&once), once);
    }

    #[test]
    fn cuts_overlong_text_counting_what_is_shown() {
        let long = "A".repeat(MAX_TEXT * 3);
        let cut = terminal_text(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT + 1);
        assert!(cut.ends_with('…'));
        let exact = "A".repeat(MAX_TEXT);
        assert_eq!(terminal_text(&exact), exact);
        let escapes = "\u{e0041}".repeat(MAX_TEXT);
        let cut = terminal_text(&escapes);
        assert!(cut.chars().count() <= MAX_TEXT + 1, "{}", cut.len());
        assert!(cut.ends_with('…'));
    }
}
