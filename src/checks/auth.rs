//! The `auth` check: LOGIN, AUTHENTICATE PLAIN, XOAUTH2 or OAUTHBEARER, chosen from the
//! capabilities (or forced with `--auth`). Credentials never travel unencrypted unless the user
//! asked for exactly that, and never reach the transcript.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tokio::time::Instant;

use super::capability::CapabilityDetails;
use crate::config::{AuthMechanism, Config, Credentials, Security};
use crate::imap::{Connection, Response, StatusKind, StatusResponse, WireError, quoted};
pub use crate::report::auth::AuthDetails;
use crate::report::{Check, CheckId, Details};
use crate::sanitize;

fn fail(code: &str, message: String, details: &AuthDetails) -> Check {
    Check::failed(CheckId::Auth, code, message, Details::Auth(details.clone()))
}

/// Why no mechanism could be chosen.
#[derive(Debug, PartialEq, Eq)]
pub enum NoMechanism {
    /// LOGINDISABLED and no password mechanism: the server wants encryption first.
    EncryptionRequired,
    /// A token, but the server offers neither XOAUTH2 nor OAUTHBEARER.
    NoTokenMechanism,
}

/// Chooses the mechanism from what the user forced and what the server offers.
pub fn choose(creds: &Credentials, caps: &CapabilityDetails) -> Result<AuthMechanism, NoMechanism> {
    let offers = |m: &str| caps.auth_mechanisms.iter().any(|a| a == m);
    if let Some(m) = creds.mechanism {
        return Ok(m);
    }
    if creds.is_token {
        return match (offers("XOAUTH2"), offers("OAUTHBEARER")) {
            (true, _) => Ok(AuthMechanism::Xoauth2),
            (false, true) => Ok(AuthMechanism::Oauthbearer),
            (false, false) => Err(NoMechanism::NoTokenMechanism),
        };
    }
    let sasl_ir = caps.has("SASL-IR");
    if offers("PLAIN") && (sasl_ir || caps.login_disabled) {
        Ok(AuthMechanism::Plain)
    } else if !caps.login_disabled {
        Ok(AuthMechanism::Login)
    } else {
        Err(NoMechanism::EncryptionRequired)
    }
}

/// The mechanisms the server offers, for messages (`LOGIN` unless LOGINDISABLED).
pub fn offered(caps: &CapabilityDetails) -> String {
    let mut all: Vec<&str> = caps.auth_mechanisms.iter().map(String::as_str).collect();
    if !caps.login_disabled {
        all.push("LOGIN command");
    }
    if all.is_empty() {
        "none".into()
    } else {
        all.join(", ")
    }
}

/// Logs in.
pub async fn run(
    config: &Config,
    creds: &Credentials,
    caps: &CapabilityDetails,
    conn: &mut Connection,
    deadline: Instant,
) -> Check {
    let started = Instant::now();
    let facts = creds.is_token.then(|| {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        super::token::lint(creds.secret.expose(), &creds.user, now)
    });
    let mut check = login(config, creds, caps, conn, deadline).await;
    if let Some(facts) = facts {
        for finding in &facts.findings {
            let message = format!("token: {}", finding.message);
            if check.status == crate::report::Status::Fail {
                check.notes.push(message);
            } else {
                check.warn(&format!("token_{}", finding.code), message);
            }
        }
        if let Details::Auth(details) = &mut check.details {
            details.token = Some(facts);
        }
    }
    if let Some(origin) = &creds.token_origin {
        let tenant = origin
            .tenant
            .as_deref()
            .map(|t| format!(", tenant {t}"))
            .unwrap_or_default();
        let flow = match origin.flow {
            "authorization_code" => "browser, authorization code",
            _ => "device code",
        };
        check.notes.push(format!(
            "token from the {} sign-in ({flow}{tenant}), granted: {}",
            origin.provider,
            origin.scopes.join(" ")
        ));
        if let Details::Auth(details) = &mut check.details {
            details.token_origin = Some(origin.clone());
        }
    }
    check.duration_ms = started.elapsed().as_millis() as u64;
    check
}

async fn login(
    config: &Config,
    creds: &Credentials,
    caps: &CapabilityDetails,
    conn: &mut Connection,
    deadline: Instant,
) -> Check {
    let mut details = AuthDetails {
        user: sanitize::terminal_text(&creds.user),
        ..Default::default()
    };
    let plaintext_allowed = config.target.security == Security::None && config.allow_plaintext_auth;
    let encryption_required = || {
        fail(
            "encryption_required",
            "the server requires encryption before login: it advertises LOGINDISABLED on this unencrypted connection".into(),
            &details,
        )
    };
    if !conn.is_tls() && !plaintext_allowed {
        if caps.login_disabled {
            return encryption_required();
        }
        let message = "refusing to send credentials over an unencrypted connection (use TLS, or --security none --allow-plaintext-auth if you really mean it)".to_string();
        return fail("plaintext_refused", message, &details);
    }
    let mechanism = match choose(creds, caps) {
        Ok(m) => m,
        Err(NoMechanism::EncryptionRequired) if !conn.is_tls() => return encryption_required(),
        Err(NoMechanism::EncryptionRequired) => {
            let message = format!(
                "cannot log in: the server advertises LOGINDISABLED and no password mechanism (it offers: {})",
                offered(caps)
            );
            return fail("no_mechanism", message, &details);
        }
        Err(NoMechanism::NoTokenMechanism) => {
            let message = format!(
                "an OAuth2 token was given, but the server offers neither XOAUTH2 nor OAUTHBEARER (it offers: {}); the token was not sent",
                offered(caps)
            );
            return fail("mechanism_not_offered", message, &details);
        }
    };
    if mechanism.uses_token() != creds.is_token {
        let message = if creds.is_token {
            "--auth login/plain needs a password, but only an OAuth2 token was given"
        } else {
            "--auth xoauth2/oauthbearer needs a token in IMAPDOCTOR_OAUTH_TOKEN"
        };
        return fail("no_mechanism", message.to_string(), &details);
    }
    let tag = conn.tag();
    let user = &creds.user;
    let secret = creds.secret.expose();
    let sent_at = Instant::now();
    let (first_line, shown, payload) = match mechanism {
        AuthMechanism::Login => {
            details.mechanism = Some("LOGIN");
            let Some(u) = quoted(user) else {
                return fail(
                    "no_mechanism",
                    "the user name contains a line break".into(),
                    &details,
                );
            };
            match quoted(secret).filter(|_| secret.is_ascii()) {
                Some(p) => (
                    format!("{tag} LOGIN {u} {p}"),
                    format!("{tag} LOGIN {u} ***"),
                    None,
                ),
                None => {
                    let line = format!("{tag} LOGIN {u} {{{}}}", secret.len());
                    (line.clone(), line, Some(secret.to_string()))
                }
            }
        }
        sasl => {
            let (name, raw) = match sasl {
                AuthMechanism::Plain => ("PLAIN", format!("\0{user}\0{secret}")),
                AuthMechanism::Xoauth2 => (
                    "XOAUTH2",
                    format!("user={user}\x01auth=Bearer {secret}\x01\x01"),
                ),
                _ => (
                    "OAUTHBEARER",
                    format!(
                        "n,a={user},\x01host={}\x01port={}\x01auth=Bearer {secret}\x01\x01",
                        config.target.host, config.target.port
                    ),
                ),
            };
            details.mechanism = Some(name);
            // A Secret registers itself: a server echoing the initial response is redacted too.
            let encoded = crate::secret::Secret::new(B64.encode(raw.as_bytes()));
            let encoded = encoded.expose();
            if caps.has("SASL-IR") {
                (
                    format!("{tag} AUTHENTICATE {name} {encoded}"),
                    format!("{tag} AUTHENTICATE {name} ***"),
                    None,
                )
            } else {
                let line = format!("{tag} AUTHENTICATE {name}");
                (line.clone(), line, Some(encoded.to_string()))
            }
        }
    };
    let result = exchange(
        conn,
        &tag,
        &first_line,
        &shown,
        payload,
        &mut details,
        deadline,
    )
    .await;
    details.round_trip_ms = Some(sent_at.elapsed().as_millis() as u64);
    match result {
        Err(e) => wire_failure(e, &details),
        Ok(status) => judge(status, details, mechanism, caps),
    }
}

/// Sends the first line, answers continuations (the payload once, then empty lines to SASL error
/// challenges), and returns the completion.
async fn exchange(
    conn: &mut Connection,
    tag: &str,
    first_line: &str,
    shown: &str,
    mut payload: Option<String>,
    details: &mut AuthDetails,
    deadline: Instant,
) -> Result<StatusResponse, WireError> {
    conn.send(first_line, shown, deadline).await?;
    let mut challenges = 0;
    loop {
        match conn.read_response(deadline).await? {
            Response::Status(s) if s.tag.as_deref() == Some(tag) || s.kind == StatusKind::Bye => {
                return Ok(s);
            }
            Response::Continuation(text) => {
                challenges += 1;
                if challenges > 3 {
                    conn.send("*", "*", deadline).await?;
                    continue;
                }
                match payload.take() {
                    Some(p) => conn.send(&p, "***", deadline).await?,
                    None => {
                        if let Ok(bytes) = B64.decode(text.trim()) {
                            details.sasl_error = Some(sanitize::untrusted(&bytes));
                        }
                        conn.send("", "", deadline).await?;
                    }
                }
            }
            _ => {}
        }
    }
}

fn wire_failure(e: WireError, details: &AuthDetails) -> Check {
    let message = match &e {
        WireError::Timeout { .. } => "no answer to the login within the time limit".into(),
        WireError::Closed { .. } => "the server closed the connection during login".into(),
        WireError::TooLong => "the server's reply to the login is endless".into(),
        WireError::Io(e) => format!("login failed on the socket: {e}"),
    };
    fail(e.kind(), message, details)
}

fn judge(
    status: StatusResponse,
    mut details: AuthDetails,
    mechanism: AuthMechanism,
    caps: &CapabilityDetails,
) -> Check {
    let text = status.text.clone();
    details.result = Some(status.kind.as_str());
    details.response_code = status.code_name().map(str::to_string);
    details.text = Some(text.clone());
    let mech = details.mechanism.unwrap_or("?");
    let user = details.user.clone();
    // A SASL mechanism the server does not advertise (forced with --auth), refused: that, not
    // the credentials, is what failed.
    let unoffered = mech != "LOGIN" && !caps.auth_mechanisms.iter().any(|m| m == mech);
    match status.kind {
        StatusKind::No | StatusKind::Bad if unoffered => {
            let message = format!(
                "the server refused AUTHENTICATE {mech}, which it does not offer (it offers: {}): {}",
                offered(caps),
                sanitize::terminal_text(&status.describe())
            );
            fail("mechanism_not_offered", message, &details)
        }
        StatusKind::Ok => Check::passed(
            CheckId::Auth,
            format!("logged in as {user} with {mech}"),
            Details::Auth(details),
        ),
        StatusKind::No => {
            let shown = sanitize::terminal_text(&status.describe());
            let what = if mechanism.uses_token() {
                "token"
            } else {
                "login"
            };
            fail(
                "rejected",
                format!("the server rejected the {what} for {user}: {shown}"),
                &details,
            )
        }
        StatusKind::Bye => {
            let shown = sanitize::terminal_text(&status.describe());
            fail(
                "bye",
                format!("the server ended the session during login: {shown}"),
                &details,
            )
        }
        _ => {
            let shown = sanitize::terminal_text(&status.describe());
            fail(
                "bad",
                format!("the server called the login command invalid: {shown}"),
                &details,
            )
        }
    }
}

/// The check for a PREAUTH greeting: already logged in.
pub fn preauthenticated(user: &str) -> Check {
    let details = AuthDetails {
        mechanism: Some("PREAUTH"),
        user: sanitize::terminal_text(user),
        result: Some("OK"),
        ..Default::default()
    };
    let mut check = Check::passed(
        CheckId::Auth,
        "pre-authenticated by the server (PREAUTH greeting)",
        Details::Auth(details),
    );
    check.warn(
        "preauth",
        "the server logged this connection in by itself (PREAUTH): no credentials were sent, so no password was checked",
    );
    check
}
