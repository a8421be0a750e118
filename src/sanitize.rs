//! Server text is untrusted: before it reaches a terminal or a report, control characters, escape
//! sequences and bidirectional overrides are made visible instead of being interpreted, and
//! overlong text is cut.

/// Longest server-provided string kept in a report field.
pub const MAX_TEXT: usize = 1000;

/// Makes untrusted bytes safe to print: invalid UTF-8 becomes U+FFFD, control characters become
/// `\xNN` / `\u{NNNN}`, and the result is at most [`MAX_TEXT`] characters (marked `…` when cut).
pub fn untrusted(bytes: &[u8]) -> String {
    terminal_text(&String::from_utf8_lossy(bytes))
}

/// Like [`untrusted`] for text already decoded.
pub fn terminal_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT));
    for (count, c) in text.chars().enumerate() {
        if count >= MAX_TEXT {
            out.push('…');
            break;
        }
        if c == '\t' {
            out.push(' ');
        } else if c.is_control() {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:04x}}}"));
            }
        } else if is_format_control(c) {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Bidirectional overrides, isolates and other invisible formatting characters that can make
/// text display differently from what it is.
fn is_format_control(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
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
    }

    #[test]
    fn cuts_overlong_text() {
        let long = "A".repeat(MAX_TEXT * 3);
        let cut = terminal_text(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT + 1);
        assert!(cut.ends_with('…'));
    }
}
