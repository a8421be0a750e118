//! `imapdoctor explain`: what a verdict code means, from the decision tables
//! ([`crate::diagnose::catalogue`]), wrapped for an 80-column terminal, or with `--format json`
//! as one JSON document ([`document`]). `demo --list` is written the same way ([`run_list`]).

use serde::Serialize;

use crate::cli::{Command, Format, OutputArgs};
use crate::diagnose::catalogue::{self, Entry};
use crate::exit_code::ExitCode;

pub mod document;

/// The width the text is wrapped to.
const WIDTH: usize = 80;

/// Writes the entry for `code`, or every code with `list`, as text or (`--format json`) as one
/// JSON document ([`document`]); another format, or an unknown code, is a usage error (the
/// latter naming the closest known codes), written as the usage-error document too with JSON.
pub fn run(code: Option<&str>, list: bool, output: &OutputArgs) -> ExitCode {
    let json = match output.format() {
        Format::Human => false,
        Format::Json => true,
        other => return crate::app::usage_error(output, &refused("explain", other)),
    };
    let Some(code) = code.filter(|_| !list) else {
        let entries = catalogue::entries();
        return if json {
            write_json(&document::ExplanationListDocument::of(&entries), output)
        } else {
            write_text(&list_all(), output)
        };
    };
    match catalogue::find(code) {
        Some(entry) if json => write_json(&document::ExplanationDocument::of(&entry), output),
        Some(entry) => write_text(&describe(&entry), output),
        None => {
            let closest = catalogue::closest(code);
            let mut message = format!("unknown verdict code {:?}", code.trim());
            if !closest.is_empty() {
                message.push_str(&format!("; did you mean {}?", closest.join(", ")));
            }
            crate::app::usage_error(
                output,
                &format!("{message} (imapdoctor explain --list shows them all)"),
            )
        }
    }
}

/// Writes a list for people (`demo --list`) as `text`, or with `--format json` as `document`;
/// another format is a usage error.
pub fn run_list(
    mode: &str,
    text: &str,
    document: &impl Serialize,
    output: &OutputArgs,
) -> ExitCode {
    match output.format() {
        Format::Human => write_text(text, output),
        Format::Json => write_json(document, output),
        other => crate::app::usage_error(output, &refused(mode, other)),
    }
}

/// Why `command` cannot write `format`, for `explain` and `demo --list` (which write text or
/// JSON only); `None` when it can, or for other commands.
pub fn refusal(command: &Command, format: Format) -> Option<String> {
    let mode = match command {
        Command::Explain(_) => "explain",
        Command::Demo(demo) if demo.list => "demo --list",
        _ => return None,
    };
    (!matches!(format, Format::Human | Format::Json)).then(|| refused(mode, format))
}

/// The usage error for `imapdoctor MODE --format FORMAT`.
fn refused(mode: &str, format: Format) -> String {
    format!(
        "{mode} writes text (--format human) or one JSON document (--format json): --format {} does not apply",
        format!("{format:?}").to_lowercase()
    )
}

/// Writes `document` as one JSON document (nothing with `--quiet`).
fn write_json(document: &impl Serialize, output: &OutputArgs) -> ExitCode {
    let mut rendered = Vec::new();
    if let Err(e) = crate::render::json::write(document, &mut rendered) {
        crate::stderr::say(format_args!("cannot write: {e}"));
        return ExitCode::Internal;
    }
    write_text(&String::from_utf8_lossy(&rendered), output)
}

/// Writes `text` to stdout (nothing with `--quiet`): a closed pipe is not an error, any other
/// failure is.
fn write_text(text: &str, output: &OutputArgs) -> ExitCode {
    if output.quiet {
        return ExitCode::Success;
    }
    match crate::app::write_stdout(text, false) {
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
