//! The `folders` check: LIST, EXAMINE (read-only: the check never changes a mailbox) and STATUS,
//! pipelined in one round trip with each response timed, then LOGOUT without waiting for it.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio::time::Instant;

use crate::imap::{Connection, Response, StatusKind, StatusResponse, WireError, quoted};
use crate::report::{Check, CheckId, Details};
use crate::sanitize;

/// A command's tagged result.
#[derive(Clone, Debug, Serialize)]
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
#[derive(Clone, Debug, Default, Serialize)]
pub struct ListInfo {
    /// Number of mailboxes listed.
    pub count: usize,
    /// Special-use mailboxes (RFC 6154): attribute → mailbox name.
    pub special_use: BTreeMap<String, String>,
    /// The tagged result.
    pub completion: Option<Completion>,
}

/// Result of EXAMINE.
#[derive(Clone, Debug, Default, Serialize)]
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
#[derive(Clone, Debug, Default, Serialize)]
pub struct StatusInfo {
    /// Items returned (MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN).
    pub items: BTreeMap<String, u64>,
    /// The tagged result.
    pub completion: Option<Completion>,
}

/// Facts of the `folders` check.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FoldersDetails {
    /// The mailbox examined.
    pub mailbox: String,
    /// LIST.
    pub list: ListInfo,
    /// EXAMINE.
    pub examine: ExamineInfo,
    /// STATUS.
    pub status: StatusInfo,
}

const SPECIAL_USE: [&str; 7] = [
    "\\All",
    "\\Archive",
    "\\Drafts",
    "\\Flagged",
    "\\Junk",
    "\\Sent",
    "\\Trash",
];

fn completion(s: &StatusResponse, round_trip_ms: u64) -> Completion {
    Completion {
        result: s.kind.as_str(),
        response_code: s.code_name().map(str::to_string),
        text: sanitize::terminal_text(&s.text),
        round_trip_ms,
    }
}

/// Runs LIST, EXAMINE and STATUS, then LOGOUT.
pub async fn run(conn: &mut Connection, mailbox: &str, deadline: Instant) -> Check {
    let started = Instant::now();
    let mut details = FoldersDetails {
        mailbox: sanitize::terminal_text(mailbox),
        ..Default::default()
    };
    let result = pipeline(conn, mailbox, &mut details, deadline).await;
    let logout = conn.tag();
    let _ = conn
        .send(
            &format!("{logout} LOGOUT"),
            &format!("{logout} LOGOUT"),
            deadline,
        )
        .await;
    conn.shutdown().await;
    let mut check = match result {
        Err(e) => wire_failure(e, &details),
        Ok(()) => judge(details),
    };
    check.duration_ms = started.elapsed().as_millis() as u64;
    check
}

async fn pipeline(
    conn: &mut Connection,
    mailbox: &str,
    details: &mut FoldersDetails,
    deadline: Instant,
) -> Result<(), WireError> {
    let name = quoted(mailbox).unwrap_or_else(|| "INBOX".into());
    let commands = [
        "LIST \"\" \"*\"".to_string(),
        format!("EXAMINE {name}"),
        format!("STATUS {name} (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"),
    ];
    let sent_at = Instant::now();
    let mut tags = Vec::new();
    for command in &commands {
        let tag = conn.tag();
        let line = format!("{tag} {command}");
        conn.send(&line, &line, deadline).await?;
        tags.push(tag);
    }
    for (index, tag) in tags.iter().enumerate() {
        let exchange = conn.complete(tag, sent_at, deadline).await?;
        let done = Some(completion(&exchange.completion, exchange.elapsed_ms));
        let ended = exchange.completion.kind == StatusKind::Bye;
        for response in exchange.untagged {
            match response {
                Response::List { attributes, name } => {
                    details.list.count += 1;
                    for a in attributes {
                        if let Some(known) = SPECIAL_USE.iter().find(|s| s.eq_ignore_ascii_case(&a))
                        {
                            details
                                .list
                                .special_use
                                .insert(known.to_string(), sanitize::terminal_text(&name));
                        }
                    }
                }
                Response::Exists(n) => details.examine.exists = Some(n),
                Response::Status(s) => {
                    let value = s.code.as_ref().and_then(|c| c.args.trim().parse().ok());
                    match s.code_name() {
                        Some("UIDVALIDITY") => details.examine.uidvalidity = value,
                        Some("UIDNEXT") => details.examine.uidnext = value,
                        _ => {}
                    }
                }
                Response::MailboxStatus { items, .. } => details.status.items.extend(items),
                _ => {}
            }
        }
        match index {
            0 => details.list.completion = done,
            1 => details.examine.completion = done,
            _ => details.status.completion = done,
        }
        if ended {
            break;
        }
    }
    Ok(())
}

fn wire_failure(e: WireError, details: &FoldersDetails) -> Check {
    let message = match &e {
        WireError::Timeout { .. } => "no answer to LIST / EXAMINE / STATUS within the time limit (the session hangs after login)".into(),
        WireError::Closed { .. } => "the server closed the connection after login".into(),
        WireError::TooLong => "the server's reply to LIST / EXAMINE / STATUS is endless".into(),
        WireError::Io(e) => format!("reading the mailbox replies failed: {e}"),
    };
    Check::failed(
        CheckId::Folders,
        e.kind(),
        message,
        Details::Folders(details.clone()),
    )
}

fn judge(details: FoldersDetails) -> Check {
    let steps = [
        ("LIST", &details.list.completion),
        ("EXAMINE", &details.examine.completion),
        ("STATUS", &details.status.completion),
    ];
    for (command, done) in steps {
        let Some(done) = done else { continue };
        if done.result == "OK" {
            continue;
        }
        let code = match (command, done.result, done.response_code.as_deref()) {
            (_, "BYE", _) => "bye",
            (_, "BAD", _) => "bad",
            ("EXAMINE" | "STATUS", _, Some("NONEXISTENT")) => "mailbox_missing",
            ("EXAMINE" | "STATUS", _, None) if done.text.to_ascii_lowercase().contains("exist") => {
                "mailbox_missing"
            }
            _ => "refused",
        };
        let shown = match &done.response_code {
            Some(c) => format!("{} [{c}] {}", done.result, done.text),
            None => format!("{} {}", done.result, done.text),
        };
        let message = if code == "mailbox_missing" {
            format!("mailbox {:?} does not exist: {shown}", details.mailbox)
        } else {
            format!("{command} failed: {shown}")
        };
        return Check::failed(
            CheckId::Folders,
            code,
            message,
            Details::Folders(details.clone()),
        );
    }
    if details.list.completion.is_none() || details.examine.completion.is_none() {
        return Check::failed(
            CheckId::Folders,
            "incomplete",
            "the server did not answer every mailbox command",
            Details::Folders(details),
        );
    }
    let summary = format!(
        "{} mailboxes ({} special-use); {} has {} messages",
        details.list.count,
        details.list.special_use.len(),
        details.mailbox,
        details
            .examine
            .exists
            .or(details.status.items.get("MESSAGES").copied())
            .map_or("?".into(), |n| n.to_string())
    );
    let mut check = Check::passed(CheckId::Folders, summary, Details::Folders(details));
    if let Details::Folders(d) = &check.details
        && d.list.count == 0
    {
        check.notes.push("LIST returned no mailboxes".into());
    }
    check
}
