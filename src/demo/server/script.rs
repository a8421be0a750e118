//! What a scripted server does: transport security, opening, capabilities, accounts, login
//! outcome, behaviour after login and the mailboxes it serves.

use std::sync::Arc;
use std::time::Duration;

/// The demo account's user name (present in [`Script::default`]).
pub const DEMO_USER: &str = "demo@example.test";
/// The demo account's password (present in [`Script::default`]).
pub const DEMO_PASSWORD: &str = "correct horse battery staple";
/// A bearer token for [`DEMO_USER`]; accepted only once added with [`Script::with_oauth`].
pub const DEMO_TOKEN: &str = "ya29.demo-access-token";

/// Pre-login capabilities of the default script (Dovecot 2.3's, without `STARTTLS`).
pub const DOVECOT_CAPABILITIES: &[&str] = &[
    "IMAP4rev1",
    "SASL-IR",
    "LOGIN-REFERRALS",
    "ID",
    "ENABLE",
    "IDLE",
    "LITERAL+",
    "AUTH=PLAIN",
];

/// Capabilities the server adds after login when [`Script::post_login_capabilities`] is `None`.
const POST_LOGIN_EXTRAS: &[&str] = &[
    "NAMESPACE",
    "UNSELECT",
    "CHILDREN",
    "LIST-EXTENDED",
    "SPECIAL-USE",
];

/// Everything a scripted server does. `Default` is a healthy Dovecot-like server on plain TCP.
#[derive(Clone, Debug)]
pub struct Script {
    /// Transport security.
    pub security: Security,
    /// What happens right after the TCP accept (after the handshake for implicit TLS).
    pub opening: Opening,
    /// Pre-login capabilities. For [`Security::StartTls`] the server adds `STARTTLS` and
    /// `LOGINDISABLED` before the TLS upgrade and removes both after it; for the other kinds of
    /// security the list is advertised verbatim.
    pub capabilities: Vec<String>,
    /// Capabilities after login; `None` derives them from [`Script::capabilities`] (without
    /// `AUTH=`, `STARTTLS`, `LOGINDISABLED`, plus `NAMESPACE UNSELECT CHILDREN LIST-EXTENDED
    /// SPECIAL-USE`).
    pub post_login_capabilities: Option<Vec<String>>,
    /// Whether the standard greeting is `* OK [CAPABILITY ...] <text>` rather than `* OK <text>`.
    pub greeting_carries_capabilities: bool,
    /// Text of the standard greeting.
    pub greeting_text: String,
    /// Accepted (user, password) pairs for LOGIN and AUTHENTICATE PLAIN.
    pub accounts: Vec<(String, String)>,
    /// Text of the tagged `NO` on bad credentials.
    pub login_failure: String,
    /// If set, every LOGIN/AUTHENTICATE is answered with this status and text verbatim (e.g.
    /// `NO [UNAVAILABLE] Temporary authentication failure.`); a reply starting with `OK` logs in.
    pub login_reply: Option<String>,
    /// With [`Script::login_reply`]: answer it only on every Nth connection (the Nth, 2Nth, …
    /// in accept order), the others log in as usual; 1 (the default) answers it on every one.
    pub login_reply_every: u64,
    /// Delay before the tagged reply to LOGIN/AUTHENTICATE.
    pub login_delay: Duration,
    /// What the server does once the client is authenticated.
    pub after_login: AfterLogin,
    /// Whether the tagged `OK` of a successful login carries `[CAPABILITY ...]`, as Dovecot's does.
    pub post_login_capabilities_in_ok: bool,
    /// Mailboxes served after login.
    pub mailboxes: Vec<Mailbox>,
    /// Accepted (user, bearer token) pairs for XOAUTH2 and OAUTHBEARER.
    pub oauth_tokens: Vec<(String, String)>,
}

/// Transport security of a scripted server.
#[derive(Clone, Debug)]
pub enum Security {
    /// TLS from the first byte (port 993 style).
    ImplicitTls(Arc<rustls::ServerConfig>),
    /// Plain TCP, upgraded by the STARTTLS command.
    StartTls(Arc<rustls::ServerConfig>),
    /// Plain TCP, no TLS at all.
    Plain,
}

/// What happens right after the TCP accept (after the TLS handshake for implicit TLS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opening {
    /// The standard greeting built from [`Script::greeting_text`],
    /// [`Script::greeting_carries_capabilities`] and the capabilities; then serve commands.
    Standard,
    /// This greeting line (without CRLF), then serve commands. A line starting with `* BYE` is
    /// followed by a close, one starting with `* PREAUTH` leaves the client authenticated.
    Greet(String),
    /// Accept, never send anything, keep the socket open until the client leaves.
    Silent,
    /// Close immediately.
    Close,
    /// Send these bytes verbatim, then behave as [`Opening::Silent`].
    Raw(Vec<u8>),
    /// Send these bytes verbatim, then close (a greeting and an immediate close, a TLS alert, …).
    RawThenClose(Vec<u8>),
    /// Stream `* OK ` followed by `A` bytes forever without CRLF (until the client leaves).
    EndlessLine,
    /// Send `line` and CRLF one byte per `interval`, then serve commands as after
    /// [`Opening::Greet`].
    Drip {
        /// The greeting line, without CRLF.
        line: String,
        /// Pause between bytes.
        interval: Duration,
    },
}

/// What the server does once the client is authenticated (after the tagged `OK` of the login,
/// or right after a `* PREAUTH` greeting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterLogin {
    /// Serve mailbox commands normally.
    Serve,
    /// Read and ignore everything, never answer, keep the socket open until the client leaves.
    Hang,
    /// Close the connection (no `BYE`).
    Close,
    /// Send untagged responses forever, never completing a command.
    Flood,
    /// Answer every following command except LOGOUT with `<tag> BAD <text>` (Exchange's
    /// "User is authenticated but not connected.").
    Bad(String),
    /// Answer the first command with `* BYE <text>` and close (Courier's "IMAP access disabled
    /// for this account.").
    Bye(String),
}

/// One mailbox the server serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// Full name, `/`-delimited (`INBOX` matches case-insensitively).
    pub name: String,
    /// Special-use attribute, e.g. `\Sent`.
    pub special_use: Option<String>,
    /// Number of messages.
    pub exists: u32,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
}

impl Mailbox {
    /// A mailbox with `exists` messages (UIDs 1..=exists) and a fixed UIDVALIDITY.
    pub fn new(name: &str, special_use: Option<&str>, exists: u32) -> Self {
        Self {
            name: name.to_owned(),
            special_use: special_use.map(str::to_owned),
            exists,
            uidvalidity: 1_700_000_000,
            uidnext: exists.saturating_add(1),
        }
    }

    /// The default set: INBOX with 3 messages, Sent, Drafts, Trash, Junk, Archive.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new("INBOX", None, 3),
            Self::new("Sent", Some("\\Sent"), 0),
            Self::new("Drafts", Some("\\Drafts"), 0),
            Self::new("Trash", Some("\\Trash"), 0),
            Self::new("Junk", Some("\\Junk"), 0),
            Self::new("Archive", Some("\\Archive"), 0),
        ]
    }
}

impl Default for Script {
    fn default() -> Self {
        Self {
            security: Security::Plain,
            opening: Opening::Standard,
            capabilities: DOVECOT_CAPABILITIES
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            post_login_capabilities: None,
            greeting_carries_capabilities: true,
            greeting_text: "imapdoctor demo server ready.".to_owned(),
            accounts: vec![(DEMO_USER.to_owned(), DEMO_PASSWORD.to_owned())],
            login_failure: "[AUTHENTICATIONFAILED] Authentication failed.".to_owned(),
            login_reply: None,
            login_reply_every: 1,
            login_delay: Duration::ZERO,
            after_login: AfterLogin::Serve,
            post_login_capabilities_in_ok: true,
            mailboxes: Mailbox::defaults(),
            oauth_tokens: Vec::new(),
        }
    }
}

impl Script {
    /// The default: a healthy Dovecot-like server on plain TCP.
    pub fn dovecot_like() -> Self {
        Self::default()
    }

    /// A healthy Dovecot-like server with this transport security.
    pub fn healthy(security: Security) -> Self {
        Self {
            security,
            ..Self::default()
        }
    }

    /// Replace the opening.
    pub fn with_opening(mut self, opening: Opening) -> Self {
        self.opening = opening;
        self
    }

    /// Add an accepted account.
    pub fn with_account(mut self, user: &str, password: &str) -> Self {
        self.accounts.push((user.to_owned(), password.to_owned()));
        self
    }

    /// Answer every LOGIN/AUTHENTICATE with this status and text.
    pub fn with_login_reply(mut self, reply: &str) -> Self {
        self.login_reply = Some(reply.to_owned());
        self
    }

    /// Answer LOGIN/AUTHENTICATE with this status and text on every `nth` connection only (an
    /// intermittent failure); the other connections log in as usual.
    pub fn with_login_reply_every(mut self, nth: u64, reply: &str) -> Self {
        self.login_reply = Some(reply.to_owned());
        self.login_reply_every = nth.max(1);
        self
    }

    /// Replace the behaviour after login.
    pub fn with_after_login(mut self, after_login: AfterLogin) -> Self {
        self.after_login = after_login;
        self
    }

    /// Accept `token` for `user` over XOAUTH2 and OAUTHBEARER, and advertise both mechanisms.
    pub fn with_oauth(mut self, user: &str, token: &str) -> Self {
        self.oauth_tokens.push((user.to_owned(), token.to_owned()));
        for mech in ["AUTH=XOAUTH2", "AUTH=OAUTHBEARER"] {
            if !self
                .capabilities
                .iter()
                .any(|c| c.eq_ignore_ascii_case(mech))
            {
                self.capabilities.push(mech.to_owned());
            }
        }
        self
    }

    /// Capabilities advertised before login, given whether TLS is active on the connection.
    pub fn pre_login_capabilities(&self, tls_active: bool) -> Vec<String> {
        let mut caps = self.capabilities.clone();
        if let Security::StartTls(_) = self.security {
            caps.retain(|c| !is_cap(c, "STARTTLS") && !is_cap(c, "LOGINDISABLED"));
            if !tls_active {
                caps.push("STARTTLS".to_owned());
                caps.push("LOGINDISABLED".to_owned());
            }
        }
        caps
    }

    /// Capabilities advertised after login.
    pub fn post_login_capabilities(&self) -> Vec<String> {
        if let Some(caps) = &self.post_login_capabilities {
            return caps.clone();
        }
        let mut caps: Vec<String> = self
            .capabilities
            .iter()
            .filter(|c| {
                !is_cap(c, "STARTTLS")
                    && !is_cap(c, "LOGINDISABLED")
                    && !c.to_ascii_uppercase().starts_with("AUTH=")
            })
            .cloned()
            .collect();
        for extra in POST_LOGIN_EXTRAS {
            if !caps.iter().any(|c| is_cap(c, extra)) {
                caps.push((*extra).to_owned());
            }
        }
        caps
    }

    /// Look a mailbox up by name (`INBOX` case-insensitively).
    pub fn mailbox(&self, name: &str) -> Option<&Mailbox> {
        self.mailboxes.iter().find(|m| same_mailbox(&m.name, name))
    }
}

/// Whether capability `cap` is `name` (case-insensitive).
pub(crate) fn is_cap(cap: &str, name: &str) -> bool {
    cap.eq_ignore_ascii_case(name)
}

/// Whether two mailbox names denote the same mailbox (`INBOX` is case-insensitive).
pub(crate) fn same_mailbox(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case("INBOX") && b.eq_ignore_ascii_case("INBOX") {
        return true;
    }
    a == b
}
