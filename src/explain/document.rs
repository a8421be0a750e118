//! `imapdoctor explain` as JSON (`--format json`): the catalogue's entries as data, built from the
//! same [`Entry`] the text is written from, and spelled as the text spells them (summaries as
//! sentences, hints and other causes word for word), so the two cannot drift apart.

use schemars::JsonSchema;
use serde::Serialize;

use crate::diagnose::catalogue::Entry;
use crate::report::{Alternative, Fault, SCHEMA_VERSION};

/// `imapdoctor explain CODE --format json`: one code.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ExplanationDocument {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// What the code means.
    pub explanation: Explanation,
}

/// `imapdoctor explain --list --format json`: every code.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ExplanationListDocument {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// Every verdict code, in the order of `explain --list`.
    pub explanations: Vec<Explanation>,
}

/// What one verdict code means, as `imapdoctor explain CODE` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Explanation {
    /// The code (`tcp.refused`; `<check>.unavailable` for a server response in any check, or
    /// `auth.unavailable` when asked so).
    pub code: String,
    /// Who owns the problem: each side a row of the tables names, without repeats (the human
    /// text's `owner:` line, which joins them with "or").
    pub owners: Vec<Fault>,
    /// The first meaning's summary cut to its first clause: the line `explain --list` shows.
    pub headline: String,
    /// The confidence a verdict with this code has, in words.
    pub confidence: String,
    /// The table rows behind the code (a server response code may come from several wordings).
    pub meanings: Vec<ExplainedMeaning>,
    /// Other sides that may be the cause (as the report's `verdict.alternatives[]`).
    pub alternatives: Vec<Alternative>,
}

/// One table row behind a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ExplainedMeaning {
    /// What the server said, for rows of the server-response table; `null` otherwise.
    pub when: Option<String>,
    /// Who owns the problem in this row.
    pub fault: Fault,
    /// What the code means, as a sentence.
    pub summary: String,
    /// What to do next.
    pub hints: Vec<String>,
}

impl Explanation {
    /// The explanation of `entry`.
    pub fn of(entry: &Entry) -> Self {
        Explanation {
            code: entry.code.clone(),
            owners: entry.faults(),
            headline: super::sentence(super::headline(entry.meanings[0].summary)),
            confidence: entry.confidence.to_string(),
            meanings: entry
                .meanings
                .iter()
                .map(|m| ExplainedMeaning {
                    when: m.when.clone(),
                    fault: m.fault,
                    summary: super::sentence(m.summary),
                    hints: m.hints.iter().map(|h| h.to_string()).collect(),
                })
                .collect(),
            alternatives: entry
                .alternatives
                .iter()
                .map(|(fault, cause)| Alternative {
                    fault: *fault,
                    summary: cause.to_string(),
                })
                .collect(),
        }
    }
}

impl ExplanationDocument {
    /// The document for `entry`.
    pub fn of(entry: &Entry) -> Self {
        ExplanationDocument {
            schema_version: SCHEMA_VERSION,
            explanation: Explanation::of(entry),
        }
    }
}

impl ExplanationListDocument {
    /// The document listing `entries`.
    pub fn of(entries: &[Entry]) -> Self {
        ExplanationListDocument {
            schema_version: SCHEMA_VERSION,
            explanations: entries.iter().map(Explanation::of).collect(),
        }
    }
}
