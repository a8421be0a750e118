//! The `folders` check: LIST, STATUS and EXAMINE (read-only: the check never changes a mailbox),
//! pipelined in one round trip with each response timed, then LOGOUT without waiting for it.
//! STATUS goes before EXAMINE: STATUS on the mailbox just selected is a client error (RFC 3501
//! §6.3.10; Dovecot answers it with `[CLIENTBUG]`). Mailbox names travel in modified UTF-7 and
//! are shown decoded.

use tokio::time::Instant;

use crate::imap::{Connection, Response, StatusKind, StatusResponse, WireError, mutf7, quoted};
pub use crate::report::folders::{Completion, ExamineInfo, FoldersDetails, ListInfo, StatusInfo};
use crate::report::{Check, CheckId, Details};
use crate::sanitize;

/// How many listed names are kept for suggestions; the rest are only counted.
pub const MAX_NAMES: usize = 1000;

const SPECIAL_USE: [&str; 7] = [
    "\\All",
    "\\Archive",
    "\\Drafts",
    "\\Flagged",
    "\\Junk",
    "\\Sent",
    "\\Trash",
];

/// The STATUS items asked for (and the only ones kept).
const STATUS_ITEMS: [&str; 4] = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];

fn completion(s: &StatusResponse, round_trip_ms: u64) -> Completion {
    Completion {
        result: s.kind.as_str(),
        response_code: s.code_name().map(str::to_string),
        text: s.text.clone(),
        round_trip_ms,
    }
}

/// Runs LIST, STATUS and EXAMINE, then LOGOUT.
pub async fn run(conn: &mut Connection, mailbox: &str, deadline: Instant) -> Check {
    let started = Instant::now();
    let wire = mutf7::encode(mailbox);
    let mut details = FoldersDetails {
        mailbox: sanitize::terminal_text(mailbox),
        mailbox_sent: (wire != mailbox).then(|| sanitize::terminal_text(&wire)),
        ..Default::default()
    };
    let result = pipeline(conn, &wire, &mut details, deadline).await;
    let logout = conn.tag();
    let _ = conn
        .send(
            &format!("{logout} LOGOUT"),
            &format!("{logout} LOGOUT"),
            deadline,
        )
        .await;
    // Bounded by the step's (and so the run's) deadline too, not only by shutdown's own 200 ms.
    let _ = tokio::time::timeout_at(deadline, conn.shutdown()).await;
    let mut check = match result {
        Err(e) => wire_failure(e, &details),
        Ok(()) => judge(details),
    };
    check.duration_ms = started.elapsed().as_millis() as u64;
    check
}

async fn pipeline(
    conn: &mut Connection,
    wire_name: &str,
    details: &mut FoldersDetails,
    deadline: Instant,
) -> Result<(), WireError> {
    let name = quoted(wire_name).unwrap_or_else(|| "INBOX".into());
    let commands = [
        "LIST \"\" \"*\"".to_string(),
        format!("STATUS {name} ({})", STATUS_ITEMS.join(" ")),
        format!("EXAMINE {name}"),
    ];
    let sent_at = Instant::now();
    let mut tags = Vec::new();
    for command in &commands {
        let tag = conn.tag();
        let line = format!("{tag} {command}");
        conn.send(&line, &line, deadline).await?;
        tags.push(tag);
    }
    let mut utf8 = false;
    for (index, tag) in tags.iter().enumerate() {
        let each = |response| absorb(response, details, &mut utf8);
        let exchange = conn.complete(tag, sent_at, deadline, each).await?;
        let done = Some(completion(&exchange.completion, exchange.elapsed_ms));
        let ended = exchange.completion.kind == StatusKind::Bye;
        match index {
            0 => details.list.completion = done,
            1 => details.status.completion = done,
            _ => details.examine.completion = done,
        }
        if ended {
            break;
        }
    }
    Ok(())
}

/// Takes what the check needs from one untagged response as it arrives: counts, the first
/// [`MAX_NAMES`] names, the special-use names, and only the STATUS items asked for, so a flood
/// of responses costs no memory.
fn absorb(response: Response, details: &mut FoldersDetails, utf8: &mut bool) {
    match response {
        Response::List {
            attributes,
            delimiter,
            name,
        } => {
            let shown = sanitize::terminal_text(&mutf7::display(&name, *utf8));
            let list = &mut details.list;
            list.count += 1;
            list.delimiter = list.delimiter.or(delimiter);
            for a in attributes {
                if let Some(known) = SPECIAL_USE.iter().find(|s| s.eq_ignore_ascii_case(&a)) {
                    list.special_use.insert(known.to_string(), shown.clone());
                }
            }
            if list.names.len() < MAX_NAMES {
                list.names.push(shown);
            }
        }
        Response::OtherData(data) if enables_utf8(&data) => *utf8 = true,
        Response::Exists(n) => details.examine.exists = Some(n),
        Response::Status(s) => {
            let value = s.code.as_ref().and_then(|c| c.args.trim().parse().ok());
            match s.code_name() {
                Some("UIDVALIDITY") => details.examine.uidvalidity = value,
                Some("UIDNEXT") => details.examine.uidnext = value,
                _ => {}
            }
        }
        Response::MailboxStatus { items, .. } => {
            let asked = items
                .into_iter()
                .filter(|(item, _)| STATUS_ITEMS.contains(&item.as_str()));
            details.status.items.extend(asked);
        }
        _ => {}
    }
}

/// `ENABLED UTF8=ACCEPT` (RFC 6855): from then on the server sends names in UTF-8.
fn enables_utf8(data: &str) -> bool {
    let mut words = data.split_ascii_whitespace();
    words
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("ENABLED"))
        && words.any(|w| w.eq_ignore_ascii_case("UTF8=ACCEPT"))
}

/// Existing mailboxes whose names are closest to `wanted`: the same name in another case or
/// under a namespace prefix (`INBOX.Archive` for `Archive`) first, then near misses.
pub fn closest(wanted: &str, names: &[String], delimiter: Option<char>) -> Vec<String> {
    let wanted = wanted.to_lowercase();
    let leaf = |name: &str| -> String {
        let lower = name.to_lowercase();
        match delimiter {
            Some(d) => lower.rsplit(d).next().unwrap_or_default().to_string(),
            None => lower,
        }
    };
    let mut scored: Vec<(u8, f64, &String)> = names
        .iter()
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let similarity = strsim::normalized_damerau_levenshtein(&wanted, &leaf(name));
            if lower == wanted {
                Some((0, 1.0, name))
            } else if leaf(name) == wanted {
                Some((1, 1.0, name))
            } else if similarity >= 0.6 {
                Some((2, similarity, name))
            } else {
                None
            }
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, _, n)| n.clone())
        .collect()
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

fn judge(mut details: FoldersDetails) -> Check {
    let steps = [
        ("LIST", details.list.completion.clone()),
        ("STATUS", details.status.completion.clone()),
        ("EXAMINE", details.examine.completion.clone()),
    ];
    let listed_nothing = details
        .list
        .completion
        .as_ref()
        .is_some_and(|c| c.result == "OK")
        && details.list.count == 0;
    for (command, done) in steps {
        let Some(done) = done else { continue };
        if done.result == "OK" {
            continue;
        }
        let code = match (command, done.result, done.response_code.as_deref()) {
            (_, "BYE", _) => "bye",
            (_, "BAD", _) => "bad",
            ("EXAMINE" | "STATUS", "NO", _) if listed_nothing => "not_provisioned",
            ("EXAMINE" | "STATUS", _, Some("NONEXISTENT")) => "mailbox_missing",
            ("EXAMINE" | "STATUS", _, None) if says_missing(&done.text) => "mailbox_missing",
            _ => "refused",
        };
        let shown = match &done.response_code {
            Some(c) => format!("{} [{c}] {}", done.result, done.text),
            None => format!("{} {}", done.result, done.text),
        };
        let message = match code {
            "mailbox_missing" => {
                details.closest = closest(
                    &details.mailbox,
                    &details.list.names,
                    details.list.delimiter,
                );
                let hint = match details.closest.as_slice() {
                    [] => String::new(),
                    names => format!(
                        " (existing mailboxes with a similar name: {})",
                        names.join(", ")
                    ),
                };
                format!(
                    "mailbox {:?} does not exist{hint}: {shown}",
                    details.mailbox
                )
            }
            "not_provisioned" => format!(
                "the account has no mailboxes at all (LIST is empty) and {:?} cannot be opened: {shown}",
                details.mailbox
            ),
            _ => format!("{command} failed: {shown}"),
        };
        return Check::failed(CheckId::Folders, code, message, Details::Folders(details));
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

/// Wording of servers that say "no such mailbox" without `[NONEXISTENT]` (Cyrus: `Mailbox does
/// not exist`; Courier: `Mailbox does not exist, or must be subscribed to.`).
fn says_missing(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    ["exist", "not found", "no such mailbox", "unknown mailbox"]
        .iter()
        .any(|w| text.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn closest_prefers_case_then_namespace_then_near_misses() {
        let listed = names(&[
            "INBOX",
            "INBOX.Archive",
            "archive",
            "INBOX.Archives",
            "INBOX.Sent",
        ]);
        assert_eq!(
            closest("Archive", &listed, Some('.')),
            names(&["archive", "INBOX.Archive", "INBOX.Archives"])
        );
        assert_eq!(closest("Snet", &listed, Some('.')), names(&["INBOX.Sent"]));
        assert!(closest("Zzyzx", &listed, Some('.')).is_empty());
        // Without a delimiter the whole name is compared.
        assert_eq!(
            closest("Archive", &names(&["INBOX.Archive"]), None),
            Vec::<String>::new()
        );
    }

    #[test]
    fn recognises_enabled_utf8_and_missing_mailbox_wording() {
        assert!(enables_utf8("ENABLED UTF8=ACCEPT"));
        assert!(enables_utf8("enabled CONDSTORE utf8=accept"));
        assert!(!enables_utf8("ENABLED CONDSTORE"));
        assert!(!enables_utf8("FLAGS (UTF8=ACCEPT)"));
        for text in [
            "Mailbox does not exist",
            "Mailbox doesn't exist: Foo",
            "Folder not found",
        ] {
            assert!(says_missing(text), "{text}");
        }
        assert!(!says_missing("Permission denied"));
    }

    /// Found by the `greeting` fuzz target (the same field in the greeting): the response code is
    /// server text too, and reaches the failure message.
    #[test]
    fn completion_sanitizes_the_response_code() {
        let crate::imap::Response::Status(s) =
            crate::imap::response::parse(b"a2 NO [IN\x1b[2JUSE] Mailbox is locked\r\n")
        else {
            panic!("not a status response");
        };
        let done = completion(&s, 0);
        assert_eq!(done.response_code.as_deref(), Some("IN\\x1b[2JUSE"));
    }
}
