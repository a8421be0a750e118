//! The folders check's findings: LIST, EXAMINE, STATUS and their completions.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

/// A command's tagged result.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Completion {
    /// `OK`, `NO`, `BAD` or `BYE`.
    pub result: &'static str,
    /// Response code, if any.
    pub response_code: Option<String>,
    /// Text (sanitized).
    pub text: String,
    /// Milliseconds from sending the command to its completion.
    pub round_trip_ms: u64,
}

/// Result of LIST "" "*".
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct ListInfo {
    /// Number of mailboxes listed.
    pub count: usize,
    /// Special-use mailboxes (RFC 6154): attribute → mailbox name (decoded).
    pub special_use: BTreeMap<String, String>,
    /// The hierarchy delimiter of the first mailbox listed (`.` for an `INBOX.` namespace).
    pub delimiter: Option<char>,
    /// The tagged result.
    pub completion: Option<Completion>,
    /// The names listed, decoded (the first [`MAX_NAMES`]; used for suggestions, not reported).
    #[serde(skip)]
    pub names: Vec<String>,
}

/// Result of EXAMINE.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct ExamineInfo {
    /// Messages in the mailbox.
    pub exists: Option<u64>,
    /// UIDVALIDITY.
    pub uidvalidity: Option<u64>,
    /// UIDNEXT.
    pub uidnext: Option<u64>,
    /// The tagged result.
    pub completion: Option<Completion>,
}

/// Result of STATUS.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct StatusInfo {
    /// Items returned (MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN).
    pub items: BTreeMap<String, u64>,
    /// The tagged result.
    pub completion: Option<Completion>,
}

/// Facts of the `folders` check.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct FoldersDetails {
    /// The mailbox examined.
    pub mailbox: String,
    /// The name as sent, in modified UTF-7 (only when it differs from `mailbox`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_sent: Option<String>,
    /// When the mailbox does not exist: existing mailboxes with the closest names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<String>,
    /// LIST.
    pub list: ListInfo,
    /// EXAMINE.
    pub examine: ExamineInfo,
    /// STATUS.
    pub status: StatusInfo,
}
