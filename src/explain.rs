//! `imapdoctor explain`: what a verdict code means, from the decision tables
//! ([`crate::diagnose::catalogue`]), wrapped for an 80-column terminal.

use std::io::Write;

use crate::diagnose::catalogue::{self, Entry};
use crate::exit_code::ExitCode;

/// The width the text is wrapped to.
const WIDTH: usize = 80;

/// Writes the entry for `code`, or every code with `list`; an unknown code is a usage error
/// that names the closest known codes.
pub fn run(code: Option<&str>, list: bool) -> ExitCode {
    let text = match code {
        _ if list => list_all(),
        Some(code) => match catalogue::find(code) {
            Some(entry) => describe(&entry),
            None => {
                let closest = catalogue::closest(code);
                let mut message = format!("unknown verdict code {:?}", code.trim());
                if !closest.is_empty() {
                    message.push_str(&format!("; did you mean {}?", closest.join(", ")));
                }
                crate::stderr::say(format_args!(
                    "{message} (imapdoctor explain --list shows them all)"
                ));
                return ExitCode::Usage;
            }
        },
        None => list_all(),
    };
    print(&text)
}

/// Writes `text` to stdout: a closed pipe is not an error, any other failure is.
pub(crate) fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            crate::stderr::say(format_args!("cannot write: {e}"));
            ExitCode::Internal
        }
        _ => ExitCode::Success,
    }
}

/// One line per code: code, owner, the summary's first clause.
pub fn list_all() -> String {
    let entries = catalogue::entries();
    let width = entries.iter().map(|e| e.code.len()).max().unwrap_or(0);
    let mut out = String::new();
    for entry in &entries {
        let summary = entry.meanings[0].summary;
        out.push_str(&format!(
            "{:width$}  {:7}  {}\n",
            entry.code,
            entry.owners(),
            sentence(headline(summary))
        ));
    }
    out
}

/// The whole entry: owner, confidence, meaning, what to do, other possible causes.
pub fn describe(entry: &Entry) -> String {
    let mut out = format!(
        "{}\n  owner: {}\n  confidence: {}\n",
        entry.code,
        entry.owners(),
        entry.confidence
    );
    for meaning in &entry.meanings {
        out.push('\n');
        // Rows of the response table go under what the server said.
        let indent = match &meaning.when {
            Some(when) => {
                let owner = catalogue::owner(meaning.fault);
                out.push_str(&paragraph(
                    &format!("When {when} (owner: {owner}):"),
                    "",
                    "",
                ));
                "  "
            }
            None => "",
        };
        out.push_str(&paragraph(&sentence(meaning.summary), indent, indent));
        out.push_str(&format!("{indent}What to do:\n"));
        let (bullet, rest) = (format!("{indent}  - "), format!("{indent}    "));
        for hint in meaning.hints {
            out.push_str(&paragraph(hint, &bullet, &rest));
        }
    }
    if !entry.alternatives.is_empty() {
        out.push_str("\nOther possible causes:\n");
        for (fault, cause) in entry.alternatives {
            let cause = format!("{}: {cause}.", catalogue::owner(*fault));
            out.push_str(&paragraph(&cause, "  - ", "    "));
        }
    }
    out
}

/// `text` wrapped to [`WIDTH`] as the human report wraps ([`crate::render::layout::hanging`]:
/// words never broken), its first line after `first`, the others indented as wide as `rest`.
fn paragraph(text: &str, first: &str, rest: &str) -> String {
    let mut out = crate::render::layout::hanging(Some(WIDTH), first, text, rest.chars().count());
    out.push('\n');
    out
}

/// The summary up to its first sentence, colon, parenthesis or semicolon.
fn headline(summary: &str) -> &str {
    let end = [". ", ": ", " (", "; "]
        .iter()
        .filter_map(|stop| summary.find(stop))
        .min()
        .unwrap_or(summary.len());
    summary[..end].trim_end_matches('.')
}

/// `text` with a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_is_the_first_clause() {
        assert_eq!(
            headline("the host answers, but nothing listens (the service is down)."),
            "the host answers, but nothing listens"
        );
        assert_eq!(headline("the mailbox is locked."), "the mailbox is locked");
        assert_eq!(sentence("the mailbox is locked"), "The mailbox is locked.");
    }
}
