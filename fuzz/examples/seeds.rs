//! Writes the checked-in seed corpora under `fuzz/seeds/<target>/`: what real servers say
//! (Dovecot, Cyrus, Courier, Exchange Online, Gmail, iCloud; see the sources noted below), DER
//! certificate chains from the demo PKI, JWTs for the token lint, and the strings users type as
//! TARGET, `--resolve` and `--control`. Run it again only to change the seeds:
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```
//!
//! The certificates get fresh keys on every run, so their files change each time.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use imapdoctor::demo::pki::{Leaf, LeafSpec, TestCa};
use imapdoctor::imap::framing::{Framed, next_message};
use serde_json::json;

/// What servers sent, one session per entry (server side only, CRLF-terminated lines). Sources:
/// a packaged Dovecot 2.3 answering on 143, the transcripts quoted in tests/courier.rs,
/// tests/cyrus.rs and tests/faults_*.rs (from the real servers), and
/// the failure-mode notes gathered from public issue trackers and vendor documentation (Exchange
/// Online, Gmail, iCloud, Dovecot).
fn sessions() -> Vec<(&'static str, Vec<u8>)> {
    let lines = |ls: &[&str]| -> Vec<u8> {
        ls.iter()
            .flat_map(|l| format!("{l}\r\n").into_bytes())
            .collect()
    };
    let front_end: Vec<u8> = "LO4P123CA0233.GBRP123.PROD.OUTLOOK.COM"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let exchange_greeting = format!(
        "* OK The Microsoft Exchange IMAP4 service is ready. [{}]",
        STANDARD.encode(front_end)
    );
    let xoauth2_error = STANDARD
        .encode(r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#);
    vec![
        // A packaged Dovecot 2.3.19 (Debian) on 143: CAPABILITY, a wrong password, a broken
        // AUTHENTICATE PLAIN, LOGOUT.
        (
            "dovecot-debian-login-failed",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.",
                "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN",
                "a1 OK Pre-login capabilities listed, post-login capabilities have more.",
                "a2 NO [AUTHENTICATIONFAILED] Authentication failed.",
                "+ ",
                "a3 NO [ALERT] Invalid base64 in response",
                "* BYE Logging out",
                "a5 OK Logout completed.",
            ]),
        ),
        (
            "dovecot-starttls-logindisabled",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot ready.",
                "a1 OK Begin TLS negotiation now.",
            ]),
        ),
        // Dovecot after a login: LIST (with a literal and a modified UTF-7 name), STATUS, EXAMINE.
        (
            "dovecot-folders",
            [
                lines(&[
                    "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.",
                    "a1 OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE] Logged in",
                    "* LIST (\\HasNoChildren) \"/\" INBOX",
                    "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"",
                    "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
                    "* LIST (\\HasNoChildren) \"/\" &AMQ-hnliche",
                ]),
                b"* LIST (\\HasNoChildren) \"/\" {12}\r\nWeird \"name\"\r\n".to_vec(),
                lines(&[
                    "a2 OK List completed (0.001 + 0.000 + 0.001 secs).",
                    "* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UNSEEN 0)",
                    "a3 OK Status completed (0.001 + 0.000 secs).",
                    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                    "* OK [PERMANENTFLAGS ()] Read-only mailbox.",
                    "* 3 EXISTS",
                    "* 0 RECENT",
                    "* OK [UIDVALIDITY 1700000000] UIDs valid",
                    "* OK [UIDNEXT 4] Predicted next UID",
                    "a4 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).",
                    "* BYE Logging out",
                    "a5 OK Logout completed (0.001 + 0.000 secs).",
                ]),
            ]
            .concat(),
        ),
        (
            "dovecot-plaintext-refused",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.",
                "* BAD [ALERT] Plaintext authentication not allowed without SSL/TLS, but your client did it anyway. If anyone was listening, the password was exposed.",
                "a1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
            ]),
        ),
        (
            "dovecot-auth-backend-down",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.",
                "a1 NO [UNAVAILABLE] Temporary authentication failure. [mail.example.com:2024-05-01 10:00:00]",
            ]),
        ),
        (
            "dovecot-too-many-connections",
            lines(&["* BYE Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)"]),
        ),
        // Cyrus IMAP 3.6 (tests/cyrus.rs).
        (
            "cyrus-starttls",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE STARTTLS LOGINDISABLED] imap.example.com Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready",
                "a1 NO Login only available under a layer",
                "a2 OK Begin TLS negotiation now",
            ]),
        ),
        (
            "cyrus-shutdown",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE AUTH=PLAIN SASL-IR] imap.example.com Cyrus IMAP 3.6.1-Debian-3.6.1-4+deb12u5 server ready",
                "a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE ACL RIGHTS=kxten QUOTA MAILBOX-REFERRALS NAMESPACE UIDPLUS NO_ATOMIC_RENAME UNSELECT CHILDREN MULTIAPPEND BINARY CATENATE CONDSTORE ESEARCH SORT SORT=MODSEQ SORT=DISPLAY SORT=UID THREAD=ORDEREDSUBJECT THREAD=REFERENCES ANNOTATEMORE ANNOTATE-EXPERIMENT-1 METADATA LIST-EXTENDED LIST-STATUS LIST-MYRIGHTS WITHIN QRESYNC SCAN XLIST XMOVE MOVE SPECIAL-USE CREATE-SPECIAL-USE DIGEST=SHA1 X-REPLICATION URLAUTH URLAUTH=BINARY LOGINDISABLED COMPRESS=DEFLATE X-QUOTA=STORAGE X-QUOTA=MESSAGE X-QUOTA=X-ANNOTATION-STORAGE X-QUOTA=X-NUM-FOLDERS IDLE] User logged in SESSIONID=<cyrus-1234-1700000000-1-123456789>",
                "* BYE [ALERT] Down for maintenance until 06:00 UTC",
            ]),
        ),
        // Courier-IMAP (tests/courier.rs).
        (
            "courier-login",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE AUTH=PLAIN ACL ACL2=UNION ENABLE UTF8=ACCEPT] Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information.",
                "+ OK",
                "a1 OK LOGIN Ok.",
                "* BYE IMAP access disabled for this account.",
            ]),
        ),
        (
            "courier-tls-required",
            lines(&[
                "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION STARTTLS LOGINDISABLED ENABLE UTF8=ACCEPT] Courier-IMAP ready. Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information.",
                "a1 NO STARTTLS required",
                "* BYE Temporary problem, please try again later",
            ]),
        ),
        ("courier-preauth", lines(&["* PREAUTH Ready.", "* BYE Courier-IMAP server shut down by signal."])),
        // Exchange Online (reference notes; tests/faults_greeting.rs).
        (
            "exchange-oauth-rejected",
            lines(&[
                &exchange_greeting,
                "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+",
                "a1 OK CAPABILITY completed.",
                "a2 NO AUTHENTICATE failed.",
            ]),
        ),
        (
            "exchange-not-connected",
            lines(&[
                "* OK The Microsoft Exchange IMAP4 service is ready.",
                "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+",
                "a1 OK CAPABILITY completed.",
                "a2 OK AUTHENTICATE completed.",
                "a3 BAD User is authenticated but not connected.",
                "* BYE Connection closed. 14",
            ]),
        ),
        (
            "exchange-basic-auth-off",
            lines(&["* OK The Microsoft Exchange IMAP4 service is ready.", "a1 NO LOGIN failed."]),
        ),
        // Gmail (reference notes; tests/faults_greeting.rs).
        (
            "gmail-app-password",
            lines(&[
                "* OK Gimap ready for requests from 203.0.113.7 h12mb123456lfb",
                "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER AUTH=XOAUTH",
                "a1 OK Thats all she wrote! h12mb123456lfb",
                "a2 NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)",
            ]),
        ),
        (
            "gmail-xoauth2-error",
            lines(&[
                "* OK Gimap ready for requests from 2001:db8::7 h12mb123456lfb",
                "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 XYZZY SASL-IR AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER AUTH=XOAUTH",
                "a1 OK Thats all she wrote! h12mb123456lfb",
                &format!("+ {xoauth2_error}"),
                "a2 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
                "* NO [WEBALERT https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbs] Web login required.",
                "a3 NO [ALERT] Too many simultaneous connections. (Failure)",
                "* BYE [OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)",
            ]),
        ),
        // iCloud (reference notes).
        (
            "icloud",
            lines(&[
                "* OK [CAPABILITY st11p00mm-iscream009 1S XAPPLEPUSHSERVICE IMAP4 IMAP4rev1 SASL-IR AUTH=ATOKEN AUTH=PLAIN] iSCREAM ready to rumble (1S:1234) st11p00mm-iscream009 [1S]",
                "a1 NO [AUTHENTICATIONFAILED] Authentication failed",
            ]),
        ),
        // Hostile servers (tests/faults_greeting.rs): escapes in the greeting, bare LF, a literal
        // announced in the greeting, a NUL.
        (
            "hostile-escapes",
            b"* BYE \x1b]0;pwned\x07\x1b[2J\xe2\x80\xaegnp.exe\r\n".to_vec(),
        ),
        (
            "hostile-literal-greeting",
            b"* OK [ALERT {5}\r\nAB\r\nC] ready\n* CAPABILITY IMAP4rev1 AUTH=PL\0AIN\r\na1 OK done\n".to_vec(),
        ),
    ]
}

/// Text seeds for the sanitizer beyond the sessions: escapes, bidi and invisible characters.
fn untrusted_texts() -> Vec<(&'static str, String)> {
    vec![
        (
            "csi-osc",
            "ok\x1b[31mred\x07\x1b]8;;http://x\x1b\\link".into(),
        ),
        ("c1", "a\u{9b}31mb\u{85}c".into()),
        ("bidi", "invoice\u{202e}fdp.exe \u{2066}x\u{2069}".into()),
        (
            "invisible",
            "pay\u{200b}pal\u{feff}\u{00ad}\u{061c}\u{206a}".into(),
        ),
        ("tags", "flag\u{e0067}\u{e0062}\u{e007f}".into()),
        ("separators", "line\u{2028}para\u{2029}end".into()),
        ("unicode", "Grüße 日本語 🎃".into()),
    ]
}

fn chains() -> Vec<(&'static str, Vec<u8>)> {
    let ca = TestCa::new("imapdoctor test CA");
    let chain = |leaf: Leaf| {
        leaf.chain
            .iter()
            .flat_map(|c| c.to_vec())
            .collect::<Vec<u8>>()
    };
    let shield = TestCa::new("Avast Web/Mail Shield Root");
    vec![
        (
            "valid",
            chain(ca.issue(&LeafSpec::valid_for([
                "imap.example.com",
                "mail.example.com",
            ]))),
        ),
        (
            "expired",
            chain(ca.issue(&LeafSpec::expired(["imap.example.com"]))),
        ),
        (
            "not-yet-valid",
            chain(ca.issue(&LeafSpec::not_yet_valid(["imap.example.com"]))),
        ),
        (
            "ip-and-idn",
            chain(ca.issue(&LeafSpec::valid_for([
                "127.0.0.1",
                "::1",
                "xn--bcher-kva.example",
            ]))),
        ),
        (
            "self-signed",
            chain(Leaf::self_signed(&LeafSpec::valid_for(["localhost"]))),
        ),
        (
            "interception",
            chain(shield.issue(&LeafSpec::valid_for(["imap.gmail.com"]))),
        ),
        ("ca-only", ca.cert_der.to_vec()),
    ]
}

fn jwt(claims: serde_json::Value) -> String {
    let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(&json!({"typ": "JWT", "alg": "RS256"})),
        enc(&claims)
    )
}

fn tokens() -> Vec<(&'static str, String)> {
    const ISS: &str = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/";
    let delegated = |aud: &str, exp: i64| {
        json!({"aud": aud, "iss": ISS, "nbf": 1_749_990_000, "exp": exp,
               "scp": "IMAP.AccessAsUser.All offline_access", "upn": "alice@contoso.com"})
    };
    vec![
        (
            "exchange-delegated",
            jwt(delegated("https://outlook.office.com", 1_750_003_600)) + "\nalice@contoso.com",
        ),
        (
            "graph-audience",
            jwt(delegated("https://graph.microsoft.com", 1_750_003_600)) + "\nalice@contoso.com",
        ),
        (
            "expired-other-user",
            jwt(delegated("https://outlook.office.com", 1_749_000_000)) + "\nbob@contoso.com",
        ),
        (
            "app-only-no-role",
            jwt(
                json!({"aud": "https://outlook.office365.com", "iss": ISS, "exp": 1_750_003_600,
                       "roles": ["Mail.Read"], "oid": "0000"}),
            ),
        ),
        (
            "audience-list",
            jwt(
                json!({"aud": ["https://outlook.office.com", "x"], "iss": "https://login.microsoftonline.com/t/v2.0",
                       "exp": 1_750_003_600, "scp": "IMAP.AccessAsUser.All", "preferred_username": "Alice@Contoso.com"}),
            ) + "\nalice@contoso.com",
        ),
        (
            "google-opaque",
            "ya29.a0AfB_byC3Rm9x-EXAMPLE-opaque-token".into(),
        ),
        // Bare claims: the target wraps them into a JWT.
        (
            "claims-delegated",
            delegated("https://outlook.office.com", 1_750_003_600).to_string()
                + "\nalice@contoso.com",
        ),
        (
            "claims-app-only",
            json!({"aud": "00000002-0000-0ff1-ce00-000000000000", "iss": ISS, "exp": 1_750_003_600,
                   "nbf": 1_750_000_100, "roles": ["IMAP.AccessAsApp"]})
            .to_string(),
        ),
    ]
}

fn targets() -> Vec<(&'static str, &'static str)> {
    vec![
        ("host", "imap.example.com"),
        ("host-port", "imap.example.com:993"),
        ("imaps-url", "imaps://imap.example.com:993"),
        ("imap-url", "imap://IMAP.Example.COM/"),
        ("trailing-dot", "outlook.office365.com."),
        ("ipv4", "192.0.2.1:143"),
        ("ipv6", "2001:db8::1"),
        ("ipv6-bracketed", "[2001:db8::1]:993"),
        ("idn", "bücher.example"),
        ("a-label", "xn--bcher-kva.example"),
        ("idn-cjk", "メール.例え.jp:993"),
        ("underscore", "mail_01.corp.internal"),
        ("resolve", "imap.example.com:993:192.0.2.1,[2001:db8::1]"),
        ("resolve-idn", "bücher.example:993:127.0.0.1"),
        ("control", "imap.gmail.com:993"),
        ("control-v6", "[::1]:10993"),
    ]
}

/// Autoconfig documents in the shapes Thunderbird's ISPDB and hosting providers publish.
fn autoconfig_documents() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "ispdb-imap-pop3-smtp",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="fastmail.com">
    <domain>fastmail.com</domain>
    <displayName>Fastmail</displayName>
    <incomingServer type="imap">
      <hostname>imap.fastmail.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.fastmail.com</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.fastmail.com</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"#,
        ),
        (
            "template-starttls-plain",
            r#"<clientConfig version="1.1"><emailProvider id="example.test">
<incomingServer type="imap"><hostname>imap.%EMAILDOMAIN%</hostname><port>143</port><socketType>STARTTLS</socketType><username>%EMAILLOCALPART%</username></incomingServer>
<incomingServer type="imap"><hostname>mail.%EMAILDOMAIN%</hostname><port>143</port><socketType>plain</socketType></incomingServer>
</emailProvider></clientConfig>"#,
        ),
        (
            "html",
            "<!DOCTYPE html><html><head><title>404</title></head><body>Not Found</body></html>",
        ),
    ]
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    fs::create_dir_all(&dir).expect("creating the seed directory");
    fs::write(dir.join(name), bytes).expect("writing a seed");
}

/// The messages of a session, as the framer splits them.
fn messages(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Framed::Complete(len) = next_message(data) {
        out.push(&data[..len]);
        data = &data[len..];
    }
    out
}

fn main() {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("clearing the old seeds");
    }
    for (name, session) in sessions() {
        for target in ["framing", "stream", "greeting", "sanitize"] {
            write(&dir, target, name, &session);
        }
        for (i, message) in messages(&session).into_iter().enumerate() {
            write(&dir, "response", &format!("{name}-{i}"), message);
        }
    }
    for (name, text) in untrusted_texts() {
        write(&dir, "sanitize", name, text.as_bytes());
    }
    for (name, der) in chains() {
        write(&dir, "certificate", name, &der);
    }
    for (name, token) in tokens() {
        write(&dir, "token", name, token.as_bytes());
    }
    for (name, target) in targets() {
        write(&dir, "target", name, target.as_bytes());
    }
    for (name, document) in autoconfig_documents() {
        write(&dir, "autoconfig", name, document.as_bytes());
    }
    println!("seeds written to {}", dir.display());
}
