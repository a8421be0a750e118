//! The redacted protocol transcript's lines.

use schemars::JsonSchema;
use serde::Serialize;

/// Who wrote a transcript line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Sent by imapdoctor.
    Client,
    /// Received from the server.
    Server,
    /// imapdoctor's own remark (connecting, TLS established, …).
    Remark,
}

/// One line of the transcript.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TranscriptLine {
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// Who wrote it.
    pub direction: Direction,
    /// Whether it travelled inside TLS.
    pub tls: bool,
    /// The text, sanitized and redacted.
    pub text: String,
}
