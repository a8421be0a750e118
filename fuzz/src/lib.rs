//! What the fuzz targets share: the property every piece of server text must have once it has
//! been sanitized, checked against Unicode's own General_Category (ICU4X data) rather than the
//! sanitizer's tables, so the two can disagree and the fuzzer can say so.

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

/// Characters that must never survive sanitizing: controls (Cc), invisible format characters
/// (Cf: bidi overrides and isolates, zero-width characters, soft hyphen, tag characters, …) and
/// the line and paragraph separators (Zl, Zp), which break lines like a newline.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// Panics (a fuzz finding) when sanitized text `what` still holds an unsafe character.
pub fn assert_safe(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| is_unsafe(c)) {
        panic!("{what}: U+{:04X} survived sanitizing in {text:?}", c as u32);
    }
}

/// Splits fuzz input into messages the way the connection does: complete messages as
/// [`imapdoctor::imap::framing::next_message`] finds them, stopping at an incomplete or overlong
/// one. Checks the framer's promise on the way: a complete message is non-empty, within the
/// buffer and within the size bound.
pub fn messages(mut data: &[u8]) -> Vec<&[u8]> {
    use imapdoctor::imap::framing::{Framed, MAX_MESSAGE, next_message};
    let mut out = Vec::new();
    while let Framed::Complete(len) = next_message(data) {
        assert!(
            len > 0 && len <= data.len() && len <= MAX_MESSAGE,
            "framed {len} of {}",
            data.len()
        );
        let (message, rest) = data.split_at(len);
        out.push(message);
        data = rest;
    }
    out
}

/// Panics when any string of `value`'s JSON form (what `--json` would print) holds an unsafe
/// character: everything a server sent reaches the report sanitized.
pub fn assert_json_safe(what: &str, value: &impl serde::Serialize) {
    fn walk(what: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::String(s) => assert_safe(what, s),
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(what, i)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
                assert_safe(what, k);
                walk(what, v);
            }),
            _ => {}
        }
    }
    let json = serde_json::to_value(value).expect("report values serialize");
    walk(what, &json);
}
