//! The JSON Lines `imapdoctor batch` writes: a [`ReportLine`] per target as it finishes, an
//! [`ErrorLine`] per bad line, and one [`SummaryLine`] last. Each is a document of the schema
//! (`schema/report.schema.json`) by itself, told apart by its fields (`report`, `error`,
//! `summary`), and carries `schema_version` as every document imapdoctor writes does.

use schemars::JsonSchema;
use serde::Serialize;

use super::summary::Summary;
use crate::report::{Report, RunError, SCHEMA_VERSION};

/// A target's line: `{"schema_version":1,"line":N,"report":{…}}`.
#[derive(Serialize, JsonSchema)]
pub struct ReportLine<'a> {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// The row's line number in the batch file.
    pub line: u64,
    /// Its report, as `--json` writes it.
    pub report: &'a Report,
}

/// A bad line's line: `{"schema_version":1,"line":N,"error":{"code":"usage",…}}`.
#[derive(Serialize, JsonSchema)]
pub struct ErrorLine {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// The line number in the batch file.
    pub line: u64,
    /// `usage`, and why the line was skipped.
    pub error: RunError,
}

/// The last line: `{"schema_version":1,"summary":{…}}`.
#[derive(Serialize, JsonSchema)]
pub struct SummaryLine<'a> {
    /// Layout version ([`SCHEMA_VERSION`]), as in a report.
    pub schema_version: u32,
    /// The fleet view.
    pub summary: &'a Summary,
}

impl<'a> ReportLine<'a> {
    /// The line for `report`, the row at `line`.
    pub fn new(line: u64, report: &'a Report) -> Self {
        ReportLine {
            schema_version: SCHEMA_VERSION,
            line,
            report,
        }
    }
}

impl ErrorLine {
    /// The line for the bad line `line`, skipped because of `message`.
    pub fn new(line: u64, message: String) -> Self {
        ErrorLine {
            schema_version: SCHEMA_VERSION,
            line,
            error: RunError {
                code: "usage",
                message,
            },
        }
    }
}

impl<'a> SummaryLine<'a> {
    /// The line for `summary`.
    pub fn new(summary: &'a Summary) -> Self {
        SummaryLine {
            schema_version: SCHEMA_VERSION,
            summary,
        }
    }
}
