//! Protocol tests: a raw TCP (or tokio-rustls) client talks to a spawned server.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::*;
use crate::demo::pki::{LeafSpec, TestCa};

/// Upper bound for any single wait in these tests.
pub(super) const WAIT: Duration = Duration::from_secs(5);

/// A line-oriented test client.
pub(super) struct Client<S> {
    pub(super) io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub(super) fn new(io: S) -> Self {
        Self {
            io: BufReader::new(io),
        }
    }

    /// Next line without CRLF; panics on EOF or timeout.
    pub(super) async fn line(&mut self) -> String {
        self.try_line().await.expect("a line before EOF")
    }

    /// Next line, or `None` at EOF.
    pub(super) async fn try_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        let n = tokio::time::timeout(WAIT, self.io.read_until(b'\n', &mut buf))
            .await
            .expect("server answered in time")
            .ok()?;
        if n == 0 {
            return None;
        }
        assert!(buf.ends_with(b"\r\n"), "line ends with CRLF: {buf:?}");
        buf.truncate(buf.len() - 2);
        Some(String::from_utf8(buf).expect("UTF-8 response"))
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) {
        let io = self.io.get_mut();
        io.write_all(bytes).await.expect("write");
        io.flush().await.expect("flush");
    }

    /// Send `tag command` and collect lines up to and including the tagged one.
    pub(super) async fn cmd(&mut self, tag: &str, command: &str) -> Vec<String> {
        self.send(format!("{tag} {command}\r\n").as_bytes()).await;
        self.until_tagged(tag).await
    }

    pub(super) async fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let prefix = format!("{tag} ");
        let mut lines = Vec::new();
        loop {
            let line = self.line().await;
            let done = line.starts_with(&prefix);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Whether the server closes the connection within [`WAIT`] (ignoring any data).
    pub(super) async fn closes(&mut self) -> bool {
        let mut sink = Vec::new();
        matches!(
            tokio::time::timeout(WAIT, self.io.read_to_end(&mut sink)).await,
            Ok(Ok(_)) | Ok(Err(_))
        )
    }

    /// Whether nothing arrives (and no close happens) within `quiet`.
    pub(super) async fn stays_silent(&mut self, quiet: Duration) -> bool {
        let mut byte = [0u8; 1];
        tokio::time::timeout(quiet, self.io.read(&mut byte))
            .await
            .is_err()
    }
}

pub(super) async fn connect(server: &ServerHandle) -> Client<TcpStream> {
    Client::new(TcpStream::connect(server.addr()).await.expect("connect"))
}

/// A CA, and a server config with a valid leaf for localhost issued by it.
pub(super) fn pki() -> (TestCa, Arc<rustls::ServerConfig>) {
    let ca = TestCa::new("imapdoctor test CA");
    let leaf = ca.issue(&LeafSpec::valid_for(["localhost", "127.0.0.1"]));
    let config = leaf.server_config();
    (ca, config)
}

pub(super) async fn tls_upgrade(
    ca: &TestCa,
    tcp: TcpStream,
) -> std::io::Result<TlsStream<TcpStream>> {
    let config = ca.client_config();
    let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn login_line() -> String {
    format!("LOGIN {DEMO_USER} \"{DEMO_PASSWORD}\"")
}

#[tokio::test]
async fn greeting_carries_capabilities() {
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    assert_eq!(
        c.line().await,
        "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] \
         imapdoctor demo server ready."
    );
    let lines = c.cmd("a", "CAPABILITY").await;
    assert!(lines[0].starts_with("* CAPABILITY IMAP4rev1 "));
    assert!(lines[1].starts_with("a OK Pre-login capabilities listed"));

    let plain = Script {
        greeting_carries_capabilities: false,
        ..Script::default()
    };
    let server = spawn(plain).await.unwrap();
    let mut c = connect(&server).await;
    assert_eq!(c.line().await, "* OK imapdoctor demo server ready.");
}

#[tokio::test]
async fn login_fails_then_succeeds_and_logout_closes() {
    let server = spawn(Script::dovecot_like()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let lines = c.cmd("a1", &format!("LOGIN {DEMO_USER} wrong")).await;
    assert_eq!(
        lines,
        ["a1 NO [AUTHENTICATIONFAILED] Authentication failed."]
    );
    let lines = c.cmd("a2", "LIST \"\" \"*\"").await;
    assert_eq!(lines, ["a2 BAD Error in IMAP command received by server."]);
    let lines = c.cmd("a3", &login_line()).await;
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("a3 OK [CAPABILITY IMAP4rev1 "),
        "{lines:?}"
    );
    assert!(lines[0].contains(" SPECIAL-USE"));
    assert!(!lines[0].contains("AUTH="));
    assert!(lines[0].ends_with("] Logged in"));
    let lines = c.cmd("a4", "FETCH 1 FLAGS").await;
    assert_eq!(lines, ["a4 BAD Unknown command."]);
    let lines = c.cmd("a5", "LOGOUT").await;
    assert_eq!(lines, ["* BYE Logging out", "a5 OK Logout completed."]);
    assert!(c.closes().await);
    let commands: Vec<String> = server.received().into_iter().map(|r| r.command).collect();
    assert_eq!(commands, ["LOGIN", "LIST", "LOGIN", "FETCH", "LOGOUT"]);
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let mut script = Script::default();
    script.mailboxes.push(Mailbox::new("Sent Items", None, 7));
    let server = spawn(script).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let batch = format!(
        "p1 {}\r\np2 LIST \"\" \"*\"\r\np3 EXAMINE INBOX\r\np4 STATUS \"Sent Items\" \
         (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\np5 SELECT Nope\r\n",
        login_line()
    );
    c.send(batch.as_bytes()).await;
    assert!(c.until_tagged("p1").await[0].starts_with("p1 OK"));
    let list = c.until_tagged("p2").await;
    assert_eq!(
        list,
        [
            "* LIST (\\HasNoChildren) \"/\" INBOX",
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
            "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
            "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
            "* LIST (\\HasNoChildren) \"/\" \"Sent Items\"",
            "p2 OK List completed.",
        ]
    );
    let examine = c.until_tagged("p3").await;
    assert!(examine.contains(&"* 3 EXISTS".to_owned()));
    assert!(examine.contains(&"* 0 RECENT".to_owned()));
    assert!(examine.contains(&"* OK [UIDVALIDITY 1700000000] UIDs valid".to_owned()));
    assert!(examine.contains(&"* OK [UIDNEXT 4] Predicted next UID".to_owned()));
    assert_eq!(
        examine.last().unwrap(),
        "p3 OK [READ-ONLY] EXAMINE completed."
    );
    assert_eq!(
        c.until_tagged("p4").await,
        [
            "* STATUS \"Sent Items\" (MESSAGES 7 UIDNEXT 8 UIDVALIDITY 1700000000 UNSEEN 0)",
            "p4 OK Status completed.",
        ]
    );
    assert_eq!(
        c.until_tagged("p5").await,
        ["p5 NO [NONEXISTENT] Mailbox doesn't exist: Nope"]
    );
    let select = c.cmd("p6", "select inbox").await;
    assert_eq!(
        select.last().unwrap(),
        "p6 OK [READ-WRITE] SELECT completed."
    );
}

#[tokio::test]
async fn starttls_upgrade_then_login() {
    let (ca, config) = pki();
    let server = spawn(Script::healthy(Security::StartTls(config)))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    let greeting = c.line().await;
    assert!(greeting.contains(" STARTTLS LOGINDISABLED]"), "{greeting}");
    assert_eq!(
        c.cmd("a", &login_line()).await,
        [
            "a NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) \
          connections."
        ]
    );
    let ir = b64(format!("\0{DEMO_USER}\0{DEMO_PASSWORD}").as_bytes());
    let lines = c.cmd("b", &format!("AUTHENTICATE PLAIN {ir}")).await;
    assert!(lines[0].starts_with("b NO [PRIVACYREQUIRED]"));
    assert_eq!(
        c.cmd("c", "STARTTLS").await,
        ["c OK Begin TLS negotiation now."]
    );
    let tcp = c.io.into_inner();
    let mut c = Client::new(tls_upgrade(&ca, tcp).await.expect("TLS handshake"));
    let caps = c.cmd("d", "CAPABILITY").await;
    assert!(!caps[0].contains("STARTTLS") && !caps[0].contains("LOGINDISABLED"));
    assert!(caps[0].contains("AUTH=PLAIN"));
    assert_eq!(
        c.cmd("e", "STARTTLS").await,
        ["e BAD TLS is already active."]
    );
    assert!(c.cmd("f", &login_line()).await[0].starts_with("f OK [CAPABILITY "));
    let logins: Vec<bool> = server
        .received()
        .into_iter()
        .filter(|r| r.command == "LOGIN")
        .map(|r| r.tls)
        .collect();
    assert_eq!(logins, [false, true]);
}

#[tokio::test]
async fn implicit_tls_serves_after_handshake() {
    let (ca, config) = pki();
    let server = spawn(Script::healthy(Security::ImplicitTls(config)))
        .await
        .unwrap();
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let mut c = Client::new(tls_upgrade(&ca, tcp).await.expect("TLS handshake"));
    let greeting = c.line().await;
    assert!(greeting.starts_with("* OK [CAPABILITY ") && !greeting.contains("STARTTLS"));
    assert_eq!(
        c.cmd("a", "STARTTLS").await,
        ["a BAD TLS is already active."]
    );
    assert!(c.cmd("b", &login_line()).await[0].starts_with("b OK "));

    let plain = spawn(Script::default()).await.unwrap();
    let mut c = connect(&plain).await;
    c.line().await;
    assert_eq!(
        c.cmd("a", "STARTTLS").await,
        ["a BAD TLS support isn't enabled."]
    );
}

#[tokio::test]
async fn literals_in_login() {
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    c.send(format!("a LOGIN {{{}}}\r\n", DEMO_USER.len()).as_bytes())
        .await;
    assert_eq!(c.line().await, "+ Ready for literal data");
    c.send(format!("{DEMO_USER} {{{}}}\r\n", DEMO_PASSWORD.len()).as_bytes())
        .await;
    assert_eq!(c.line().await, "+ Ready for literal data");
    c.send(format!("{DEMO_PASSWORD}\r\n").as_bytes()).await;
    assert!(c.until_tagged("a").await[0].starts_with("a OK "));

    // LITERAL+ (advertised by default): no continuation requests.
    let mut c = connect(&server).await;
    c.line().await;
    let line = format!(
        "b LOGIN {{{}+}}\r\n{DEMO_USER} {{{}+}}\r\n{DEMO_PASSWORD}\r\n",
        DEMO_USER.len(),
        DEMO_PASSWORD.len()
    );
    c.send(line.as_bytes()).await;
    assert!(c.until_tagged("b").await[0].starts_with("b OK "));

    // Without LITERAL+ advertised, a non-synchronizing literal is consumed but refused.
    let mut script = Script::default();
    script.capabilities.retain(|c| c != "LITERAL+");
    let server = spawn(script).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    c.send(b"c LOGIN {4+}\r\nuser pass\r\nd NOOP\r\n").await;
    let bad = c.until_tagged("c").await;
    assert!(bad[0].starts_with("c BAD "), "{bad:?}");
    assert_eq!(c.until_tagged("d").await, ["d OK NOOP completed."]);
}

#[tokio::test]
async fn authenticate_plain_with_and_without_initial_response() {
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let good = b64(format!("\0{DEMO_USER}\0{DEMO_PASSWORD}").as_bytes());
    let bad = b64(format!("\0{DEMO_USER}\0nope").as_bytes());
    assert_eq!(
        c.cmd("a", &format!("AUTHENTICATE PLAIN {bad}")).await,
        ["a NO [AUTHENTICATIONFAILED] Authentication failed."]
    );
    c.send(b"b AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ ");
    c.send(b"*\r\n").await;
    assert_eq!(
        c.until_tagged("b").await,
        ["b BAD Authentication aborted by client."]
    );
    c.send(b"c AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ ");
    c.send(b"not base64!\r\n").await;
    assert!(c.until_tagged("c").await[0].starts_with("c BAD Invalid base64"));
    assert_eq!(
        c.cmd("d", "AUTHENTICATE CRAM-MD5").await,
        ["d NO Unsupported authentication mechanism."]
    );
    let ok = c.cmd("e", &format!("AUTHENTICATE PLAIN {good}")).await;
    assert!(ok[0].starts_with("e OK [CAPABILITY "), "{ok:?}");

    let mut c = connect(&server).await;
    c.line().await;
    c.send(b"f AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.line().await, "+ ");
    c.send(format!("{good}\r\n").as_bytes()).await;
    assert!(c.until_tagged("f").await[0].starts_with("f OK "));
}

#[tokio::test]
async fn oauth_mechanisms() {
    let script = Script::default().with_oauth(DEMO_USER, DEMO_TOKEN);
    let server = spawn(script).await.unwrap();
    let mut c = connect(&server).await;
    assert!(c.line().await.contains("AUTH=XOAUTH2 AUTH=OAUTHBEARER"));
    let wrong = b64(format!("user={DEMO_USER}\x01auth=Bearer expired\x01\x01").as_bytes());
    c.send(format!("a AUTHENTICATE XOAUTH2 {wrong}\r\n").as_bytes())
        .await;
    let challenge = c.line().await;
    let json = challenge.strip_prefix("+ ").expect("continuation");
    assert_eq!(STANDARD.decode(json).unwrap(), OAUTH_ERROR_JSON.as_bytes());
    c.send(b"\r\n").await;
    assert_eq!(c.until_tagged("a").await, ["a NO AUTHENTICATE failed."]);

    let good = b64(format!("user={DEMO_USER}\x01auth=Bearer {DEMO_TOKEN}\x01\x01").as_bytes());
    let ok = c.cmd("b", &format!("AUTHENTICATE XOAUTH2 {good}")).await;
    assert!(ok[0].starts_with("b OK "), "{ok:?}");

    let mut c = connect(&server).await;
    c.line().await;
    let bearer = format!(
        "n,a={DEMO_USER},\x01host=localhost\x01port=993\x01auth=Bearer {DEMO_TOKEN}\x01\x01"
    );
    let ok = c
        .cmd(
            "c",
            &format!("AUTHENTICATE OAUTHBEARER {}", b64(bearer.as_bytes())),
        )
        .await;
    assert!(ok[0].starts_with("c OK "), "{ok:?}");

    // Not advertised by default.
    let server = spawn(Script::default()).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    let lines = c.cmd("d", &format!("AUTHENTICATE XOAUTH2 {good}")).await;
    assert_eq!(lines, ["d NO Unsupported authentication mechanism."]);
}

#[tokio::test]
async fn an_intermittent_login_reply_comes_on_every_nth_connection_only() {
    let reply = "NO [UNAVAILABLE] Temporary authentication failure.";
    let server = spawn(Script::default().with_login_reply_every(2, reply))
        .await
        .unwrap();
    for n in 1..=4 {
        let mut c = connect(&server).await;
        c.line().await;
        let answer = c.cmd("a", &login_line()).await;
        if n % 2 == 0 {
            assert_eq!(answer, [format!("a {reply}")], "connection {n}");
        } else {
            assert!(answer[0].starts_with("a OK "), "connection {n}: {answer:?}");
        }
    }
}

#[tokio::test]
async fn scripted_login_replies_and_after_login_modes() {
    let reply = "NO [UNAVAILABLE] Temporary authentication failure.";
    let server = spawn(Script::default().with_login_reply(reply))
        .await
        .unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    assert_eq!(c.cmd("a", &login_line()).await, [format!("a {reply}")]);
    let ir = b64(format!("\0{DEMO_USER}\0{DEMO_PASSWORD}").as_bytes());
    assert_eq!(
        c.cmd("b", &format!("AUTHENTICATE PLAIN {ir}")).await,
        [format!("b {reply}")]
    );

    let text = "User is authenticated but not connected.";
    let script = Script::default().with_after_login(AfterLogin::Bad(text.to_owned()));
    let server = spawn(script).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    assert!(c.cmd("a", &login_line()).await[0].starts_with("a OK "));
    assert_eq!(c.cmd("b", "LIST \"\" *").await, [format!("b BAD {text}")]);
    assert_eq!(c.cmd("c", "NOOP").await, [format!("c BAD {text}")]);
    assert_eq!(c.cmd("d", "LOGOUT").await[1], "d OK Logout completed.");

    let script = Script {
        post_login_capabilities_in_ok: false,
        ..Script::default()
    };
    let server = spawn(script).await.unwrap();
    let mut c = connect(&server).await;
    c.line().await;
    assert_eq!(c.cmd("a", &login_line()).await, ["a OK Logged in"]);
}

#[tokio::test]
async fn list_variants_and_preauth() {
    let server = spawn(Script::default().with_opening(Opening::Greet(
        "* PREAUTH [CAPABILITY IMAP4rev1] Logged in as demo".to_owned(),
    )))
    .await
    .unwrap();
    let mut c = connect(&server).await;
    assert!(c.line().await.starts_with("* PREAUTH"));
    assert_eq!(
        c.cmd("a", "LIST \"\" \"\"").await,
        ["* LIST (\\Noselect) \"/\" \"\"", "a OK List completed."]
    );
    let special = c.cmd("b", "LIST (SPECIAL-USE) \"\" \"*\"").await;
    assert_eq!(special.len(), 6);
    assert!(special.iter().all(|l| !l.contains("INBOX")));
    let inbox = c.cmd("c", "LIST \"\" inbox").await;
    assert_eq!(inbox[0], "* LIST (\\HasNoChildren) \"/\" INBOX");
    let bad = c.cmd("d", "STATUS INBOX (BOGUS)").await;
    assert!(
        bad[0].starts_with("d BAD Error in IMAP command STATUS"),
        "{bad:?}"
    );
    assert_eq!(
        c.cmd("e", "STATUS Nope (MESSAGES)").await,
        ["e NO [NONEXISTENT] Mailbox doesn't exist: Nope"]
    );
    assert_eq!(c.cmd("f", "LOGIN a b").await, ["f BAD Already logged in."]);
}
