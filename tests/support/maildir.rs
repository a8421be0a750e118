//! Maildirs for the test servers that read them (Dovecot, Courier): INBOX with
//! [`INBOX_MESSAGES`] messages and Maildir++ folders (`.Name` directories beside it).

use std::fs;
use std::path::Path;

/// Messages [`write`] puts into INBOX: one seen (`cur/…:2,S`), one new (`new/`).
pub const INBOX_MESSAGES: usize = 2;

/// Creates `maildir` (cur, new, tmp) with the INBOX messages, and each of `folders` (directory
/// names as the server keeps them on disk, e.g. `.Archive`) empty, with its `maildirfolder`
/// marker.
pub fn write(maildir: &Path, folders: &[&str]) {
    let mut dirs = vec![maildir.to_path_buf()];
    dirs.extend(folders.iter().map(|folder| maildir.join(folder)));
    for dir in &dirs {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
    }
    for folder in &dirs[1..] {
        fs::write(folder.join("maildirfolder"), "").unwrap();
    }
    let messages = [
        (
            "cur/1700000000.M1P1.imapdoctor-test:2,S",
            "Welcome",
            "Tue, 14 Nov 2023 22:13:20 +0000",
        ),
        (
            "new/1700000100.M2P1.imapdoctor-test",
            "Second message",
            "Tue, 14 Nov 2023 22:15:00 +0000",
        ),
    ];
    for (name, subject, date) in messages {
        fs::write(maildir.join(name), message(subject, date)).unwrap();
    }
}

/// A small RFC 5322 message from Alice to Doctor.
pub fn message(subject: &str, date: &str) -> String {
    let id = subject.to_lowercase().replace(' ', "-");
    format!(
        "From: Alice <alice@example.test>\nTo: Doctor <doctor@example.test>\n\
         Subject: {subject}\nDate: {date}\nMessage-ID: <{id}@example.test>\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
         This message was put here by imapdoctor's test harness.\n"
    )
}
