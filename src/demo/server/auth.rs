//! STARTTLS, LOGIN and AUTHENTICATE (PLAIN, XOAUTH2, OAUTHBEARER) for a [`Session`].

use super::io::ReadError;
use super::sasl::{self, Credentials, OAUTH_ERROR_JSON};
use super::script::Security;
use super::session::{Flow, Session, State};

/// Dovecot's refusal of authentication before TLS.
const PRIVACY_REQUIRED: &str = "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on \
                                non-secure (SSL/TLS) connections.";

impl Session {
    /// STARTTLS: tagged OK, then the handshake on the same socket.
    pub(super) async fn starttls(&mut self, tag: &str) -> Result<Flow, ReadError> {
        if self.authenticated() {
            self.tagged(tag, "BAD STARTTLS is only valid before login.")
                .await?;
            return Ok(Flow::Continue);
        }
        if self.conn.is_tls() {
            self.tagged(tag, "BAD TLS is already active.").await?;
            return Ok(Flow::Continue);
        }
        let Security::StartTls(config) = &self.script().security else {
            self.tagged(tag, "BAD TLS support isn't enabled.").await?;
            return Ok(Flow::Continue);
        };
        let config = config.clone();
        self.tagged(tag, "OK Begin TLS negotiation now.").await?;
        let handshake = self.conn.start_tls(config);
        match tokio::time::timeout(std::time::Duration::from_secs(30), handshake).await {
            Ok(Ok(())) => Ok(Flow::Continue),
            _ => Ok(Flow::Close),
        }
    }

    /// Whether plaintext authentication is refused: no TLS yet and `LOGINDISABLED` advertised.
    fn plaintext_refused(&self) -> bool {
        !self.conn.is_tls() && self.has_capability("LOGINDISABLED")
    }

    /// Wait for the scripted login delay.
    async fn login_delay(&self) {
        let delay = self.script().login_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Answer with the scripted `login_reply` if there is one; returns whether it did.
    async fn scripted_reply(&mut self, tag: &str) -> Result<bool, ReadError> {
        let Some(reply) = self.script().login_reply.clone() else {
            return Ok(false);
        };
        if !self
            .id
            .is_multiple_of(self.script().login_reply_every.max(1))
        {
            return Ok(false);
        }
        self.login_delay().await;
        self.tagged(tag, &reply).await?;
        if reply.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("OK")) {
            self.state = State::Authenticated;
        }
        Ok(true)
    }

    /// A successful login: tagged OK (with post-login capabilities, like Dovecot).
    async fn logged_in(&mut self, tag: &str) -> Result<(), ReadError> {
        self.login_delay().await;
        self.state = State::Authenticated;
        let text = if self.script().post_login_capabilities_in_ok {
            let caps = self.script().post_login_capabilities().join(" ");
            format!("OK [CAPABILITY {caps}] Logged in")
        } else {
            "OK Logged in".to_owned()
        };
        self.tagged(tag, &text).await?;
        Ok(())
    }

    /// Bad credentials: tagged NO with the scripted text.
    async fn login_failed(&mut self, tag: &str) -> Result<(), ReadError> {
        self.login_delay().await;
        let text = format!("NO {}", self.script().login_failure);
        self.tagged(tag, &text).await?;
        Ok(())
    }

    fn password_ok(&self, user: &str, password: &str) -> bool {
        self.script()
            .accounts
            .iter()
            .any(|(u, p)| u == user && p == password)
    }

    /// Answers a login attempt that cannot proceed (already logged in, or no TLS yet where TLS
    /// is required); `true` when it answered.
    async fn refused_before_login(&mut self, tag: &str) -> Result<bool, ReadError> {
        let refusal = if self.authenticated() {
            "BAD Already logged in."
        } else if self.plaintext_refused() {
            PRIVACY_REQUIRED
        } else {
            return Ok(false);
        };
        self.tagged(tag, refusal).await?;
        Ok(true)
    }

    /// `LOGIN user password`.
    pub(super) async fn login(
        &mut self,
        tag: &str,
        user: &str,
        password: &str,
    ) -> Result<(), ReadError> {
        if self.refused_before_login(tag).await? {
            return Ok(());
        }
        if self.has_capability("LOGINDISABLED") {
            self.tagged(tag, "NO [CANNOT] LOGIN is disabled.").await?;
            return Ok(());
        }
        if self.scripted_reply(tag).await? {
            return Ok(());
        }
        if self.password_ok(user, password) {
            self.logged_in(tag).await
        } else {
            self.login_failed(tag).await
        }
    }

    /// `AUTHENTICATE mechanism [initial-response]`.
    pub(super) async fn authenticate(
        &mut self,
        tag: &str,
        mechanism: &str,
        initial: Option<Vec<u8>>,
    ) -> Result<(), ReadError> {
        if self.refused_before_login(tag).await? {
            return Ok(());
        }
        let known = matches!(mechanism, "PLAIN" | "XOAUTH2" | "OAUTHBEARER");
        if !known || !self.has_capability(&format!("AUTH={mechanism}")) {
            self.tagged(tag, "NO Unsupported authentication mechanism.")
                .await?;
            return Ok(());
        }
        let response = match initial {
            Some(_) if !self.has_capability("SASL-IR") => {
                self.tagged(tag, "BAD SASL-IR is not advertised.").await?;
                return Ok(());
            }
            Some(initial) => initial,
            None => {
                self.conn.send_line("+ ").await?;
                let line = self.conn.read_line().await?;
                if line == b"*" {
                    self.tagged(tag, "BAD Authentication aborted by client.")
                        .await?;
                    return Ok(());
                }
                line
            }
        };
        let Some(message) = sasl::decode_response(&response) else {
            self.tagged(tag, "BAD Invalid base64 data in continued response.")
                .await?;
            return Ok(());
        };
        if self.scripted_reply(tag).await? {
            return Ok(());
        }
        let credentials = match mechanism {
            "PLAIN" => sasl::plain(&message),
            "XOAUTH2" => sasl::xoauth2(&message),
            _ => sasl::oauthbearer(&message),
        };
        match credentials {
            None => {
                let text = format!("BAD Malformed {mechanism} response.");
                self.tagged(tag, &text).await?;
                Ok(())
            }
            Some(Credentials::Password {
                authzid,
                user,
                password,
            }) => {
                if (authzid.is_empty() || authzid == user) && self.password_ok(&user, &password) {
                    self.logged_in(tag).await
                } else {
                    self.login_failed(tag).await
                }
            }
            Some(Credentials::Bearer { user, token }) => {
                let accepted = self
                    .script()
                    .oauth_tokens
                    .iter()
                    .any(|(u, t)| *u == user && *t == token);
                if accepted {
                    return self.logged_in(tag).await;
                }
                // The error challenge; the client must answer with an empty line.
                let challenge = format!("+ {}", sasl::encode_challenge(OAUTH_ERROR_JSON));
                self.conn.send_line(&challenge).await?;
                let answer = self.conn.read_line().await?;
                self.login_delay().await;
                if answer == b"*" {
                    self.tagged(tag, "BAD Authentication aborted by client.")
                        .await?;
                } else {
                    self.tagged(tag, "NO AUTHENTICATE failed.").await?;
                }
                Ok(())
            }
        }
    }
}
