//! `--json`: the report as one JSON document (schema in the README).
//!
//! Strings entered the report sanitized; the writer checks again on the way out, so no string or
//! key can carry a hidden character whatever path it took: a control character that JSON would
//! escape as `\u001b` (and a reader would turn back into ESC) is written as the text `\x1b`, and a
//! bidi override or other hidden character as `\u{202e}`, as the sanitizer shows them.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

use super::Render;
use crate::report::Report;
use crate::sanitize;

/// The JSON renderer.
pub struct Json;

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        write(report, out)
    }
}

/// Writes `value` as one guarded, pretty JSON document and a line break.
pub fn write(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, Guarded(PrettyFormatter::new()));
    value.serialize(&mut serializer)?;
    writeln!(out)
}

/// Writes `value` as one guarded JSON document on one line (JSON Lines), and a line break.
pub fn write_line(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, Guarded(CompactFormatter));
    value.serialize(&mut serializer)?;
    writeln!(out)
}

/// serde_json's layout `F` (pretty or compact), with every string fragment shown as the
/// sanitizer shows it.
struct Guarded<F>(F);

impl<F: Formatter> Formatter for Guarded<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        text: &str,
    ) -> io::Result<()> {
        if !text.chars().any(|c| c == '\t' || sanitize::is_hidden(c)) {
            return w.write_all(text.as_bytes());
        }
        // The sanitizer's `\u{…}` needs its backslash escaped inside a JSON string.
        let shown = sanitize::escape(text, usize::MAX).replace('\\', "\\\\");
        w.write_all(shown.as_bytes())
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        esc: CharEscape,
    ) -> io::Result<()> {
        let shown: &[u8] = match esc {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Tab => b" ",
            CharEscape::Backspace => b"\\\\x08",
            CharEscape::FormFeed => b"\\\\x0c",
            CharEscape::LineFeed => b"\\\\x0a",
            CharEscape::CarriageReturn => b"\\\\x0d",
            CharEscape::AsciiControl(byte) => {
                return write!(w, "\\\\x{byte:02x}");
            }
        };
        w.write_all(shown)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_of(value: &impl Serialize) -> String {
        let mut out = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut out, Guarded(PrettyFormatter::new()));
        value.serialize(&mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn no_hidden_character_survives_in_strings_or_keys() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(
            "KEY\u{202e}\u{9b}",
            "a\u{1b}[2J\u{2028}b\"c\\d\te\u{e0041}\n",
        );
        let json = json_of(&map);
        assert_eq!(
            json,
            "{\n  \"KEY\\\\u{202e}\\\\x9b\": \"a\\\\x1b[2J\\\\u{2028}b\\\"c\\\\d e\\\\u{e0041}\\\\x0a\"\n}"
        );
        let back: std::collections::BTreeMap<String, String> = serde_json::from_str(&json).unwrap();
        let (key, value) = back.into_iter().next().unwrap();
        assert_eq!(key, "KEY\\u{202e}\\x9b");
        assert_eq!(value, "a\\x1b[2J\\u{2028}b\"c\\d e\\u{e0041}\\x0a");
    }
}
