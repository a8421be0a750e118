//! The folders check against scripted servers: mailbox names in modified UTF-7, the closest
//! existing names for a missing mailbox, an account without mailboxes, and the command order.
//! Each scenario asserts the failing check, the exit code, the fault and the verdict code.

mod support;

use support::scripted::*;

async fn with_mailboxes(mailboxes: Vec<Mailbox>, extra: &[&str]) -> Run {
    let ca = TestCa::new("t");
    let mut script = tls_script(&leaf(&ca));
    script.mailboxes = mailboxes;
    let f = Fixture::start(script, &ca).await;
    f.check("imaps", extra).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_ascii_mailbox_is_sent_in_modified_utf7_and_shown_decoded() {
    let run = with_mailboxes(
        vec![
            Mailbox::new("INBOX", None, 1),
            Mailbox::new("Entw&APw-rfe 2026", Some("\\Drafts"), 4),
        ],
        &["-v", "--mailbox", "Entwürfe 2026"],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let folders = &run.check("folders")["details"];
    assert_eq!(folders["mailbox"], "Entwürfe 2026");
    assert_eq!(folders["mailbox_sent"], "Entw&APw-rfe 2026");
    assert_eq!(folders["examine"]["exists"], 4);
    assert_eq!(folders["list"]["special_use"]["\\Drafts"], "Entwürfe 2026");
    let transcript = run.json.as_ref().unwrap()["transcript"].to_string();
    assert!(
        transcript.contains("EXAMINE \\\"Entw&APw-rfe 2026\\\""),
        "{transcript}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_goes_before_examine() {
    let run = with_mailboxes(Mailbox::defaults(), &["-v"]).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    let lines: Vec<String> = run.json.as_ref().unwrap()["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["direction"] == "client")
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect();
    let at = |verb: &str| lines.iter().position(|l| l.contains(verb)).unwrap();
    assert!(at(" STATUS ") < at(" EXAMINE "), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_mailbox_names_the_closest_existing_ones() {
    let run = with_mailboxes(
        vec![
            Mailbox::new("INBOX", None, 1),
            Mailbox::new("INBOX/Archive", None, 0),
            Mailbox::new("INBOX/Archiv 2019", None, 0),
            Mailbox::new("Sent", Some("\\Sent"), 0),
        ],
        &["--mailbox", "Archive"],
    )
    .await;
    expect(&run, 15, "folders", "config", "folders.mailbox_missing");
    let closest = &run.check("folders")["details"]["closest"];
    assert_eq!(closest[0], "INBOX/Archive", "{closest}");
    assert!(!closest.to_string().contains("Sent"), "{closest}");
    let hints = run.json.as_ref().unwrap()["verdict"]["hints"].to_string();
    assert!(hints.contains("INBOX/Archive"), "{hints}");
    assert!(run.summary("folders").contains("INBOX/Archive"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_mailbox_with_nothing_like_it_suggests_nothing() {
    let run = with_mailboxes(Mailbox::defaults(), &["--mailbox", "Zzyzx"]).await;
    expect(&run, 15, "folders", "config", "folders.mailbox_missing");
    assert!(run.check("folders")["details"]["closest"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_without_any_mailbox_is_not_provisioned() {
    for extra in [&[][..], &["--mailbox", "Archive"][..]] {
        let run = with_mailboxes(Vec::new(), extra).await;
        expect(&run, 15, "folders", "account", "folders.not_provisioned");
        let verdict = run.json.as_ref().unwrap()["verdict"].to_string();
        assert!(!verdict.contains("--mailbox"), "{verdict}");
    }
}
