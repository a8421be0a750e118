//! Mailbox responses: LIST matching and rendering, SELECT/EXAMINE and STATUS data.

use super::parse::astring_out;
use super::script::{Mailbox, Script};

/// The hierarchy delimiter.
pub const DELIMITER: char = '/';

/// Untagged `* LIST` lines for `reference` + `patterns`.
pub fn list_lines(
    script: &Script,
    reference: &str,
    patterns: &[String],
    special_use_only: bool,
) -> Vec<String> {
    if patterns.len() == 1 && patterns[0].is_empty() {
        return vec![format!("* LIST (\\Noselect) \"{DELIMITER}\" \"\"")];
    }
    let full: Vec<String> = patterns.iter().map(|p| format!("{reference}{p}")).collect();
    script
        .mailboxes
        .iter()
        .filter(|m| !special_use_only || m.special_use.is_some())
        .filter(|m| full.iter().any(|p| matches_pattern(p, &m.name)))
        .map(|m| {
            let prefix = format!("{}{DELIMITER}", m.name);
            let children = script.mailboxes.iter().any(|o| o.name.starts_with(&prefix));
            let mut attrs = vec![if children {
                "\\HasChildren"
            } else {
                "\\HasNoChildren"
            }];
            if let Some(special) = &m.special_use {
                attrs.push(special);
            }
            format!(
                "* LIST ({}) \"{DELIMITER}\" {}",
                attrs.join(" "),
                astring_out(&m.name)
            )
        })
        .collect()
}

/// Whether LIST pattern `pattern` matches mailbox `name` (`INBOX` case-insensitively).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    if name.eq_ignore_ascii_case("INBOX") {
        let upper = pattern.to_ascii_uppercase();
        return glob(upper.as_bytes(), b"INBOX");
    }
    glob(pattern.as_bytes(), name.as_bytes())
}

/// `*` matches anything, `%` anything but the delimiter. Dynamic programming over the name,
/// O(pattern × name), so a hostile pattern cannot blow up.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    // row[j]: pattern prefix seen so far matches name[..j].
    let mut row = vec![false; name.len() + 1];
    row[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        match p {
            b'*' | b'%' => {
                let mut reachable = false;
                for j in 0..=name.len() {
                    if row[j] {
                        reachable = true;
                    }
                    next[j] = reachable;
                    if p == b'%' && j < name.len() && name[j] == DELIMITER as u8 {
                        // `%` cannot run across a delimiter.
                        reachable = false;
                    }
                }
            }
            _ => {
                for j in 0..name.len() {
                    next[j + 1] = row[j] && name[j] == p;
                }
            }
        }
        row = next;
    }
    row[name.len()]
}

/// Untagged lines of a successful SELECT/EXAMINE.
pub fn select_lines(mailbox: &Mailbox, read_only: bool) -> Vec<String> {
    let flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    let permanent = if read_only {
        "* OK [PERMANENTFLAGS ()] Read-only mailbox.".to_owned()
    } else {
        format!("* OK [PERMANENTFLAGS ({flags} \\*)] Flags permitted.")
    };
    vec![
        format!("* FLAGS ({flags})"),
        permanent,
        format!("* {} EXISTS", mailbox.exists),
        "* 0 RECENT".to_owned(),
        format!("* OK [UIDVALIDITY {}] UIDs valid", mailbox.uidvalidity),
        format!("* OK [UIDNEXT {}] Predicted next UID", mailbox.uidnext),
    ]
}

/// The untagged `* STATUS` line for `items` (already validated, upper-case).
pub fn status_line(mailbox: &Mailbox, items: &[String]) -> String {
    let values: Vec<String> = items
        .iter()
        .map(|item| {
            let value = match item.as_str() {
                "MESSAGES" => mailbox.exists,
                "UIDNEXT" => mailbox.uidnext,
                "UIDVALIDITY" => mailbox.uidvalidity,
                _ => 0, // RECENT, UNSEEN
            };
            format!("{item} {value}")
        })
        .collect();
    format!(
        "* STATUS {} ({})",
        astring_out(&mailbox.name),
        values.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_wildcards() {
        assert!(matches_pattern("*", "Archive/2024"));
        assert!(!matches_pattern("%", "Archive/2024"));
        assert!(matches_pattern("%", "Archive"));
        assert!(matches_pattern("Arch*/20%", "Archive/2024"));
        assert!(matches_pattern("inbox", "INBOX"));
        assert!(matches_pattern("In%", "INBOX"));
        assert!(!matches_pattern("Sent", "sent"));
        assert!(matches_pattern("", ""));
        let hostile = "*".repeat(10_000) + "x";
        assert!(!matches_pattern(&hostile, "Archive"));
    }

    #[test]
    fn list_marks_children_special_use_and_quotes() {
        let mut script = Script::default();
        script.mailboxes.push(Mailbox::new("Archive/2024", None, 1));
        script.mailboxes.push(Mailbox::new("Sent Items", None, 0));
        let lines = list_lines(&script, "", &["*".into()], false);
        assert!(lines.contains(&"* LIST (\\HasNoChildren) \"/\" INBOX".to_owned()));
        assert!(lines.contains(&"* LIST (\\HasNoChildren \\Sent) \"/\" Sent".to_owned()));
        assert!(lines.contains(&"* LIST (\\HasChildren \\Archive) \"/\" Archive".to_owned()));
        assert!(lines.contains(&"* LIST (\\HasNoChildren) \"/\" \"Sent Items\"".to_owned()));
        let special = list_lines(&script, "", &["*".into()], true);
        assert_eq!(special.len(), 5);
    }
}
