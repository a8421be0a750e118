//! What a run is asked to do, before validation: the one shape every front end fills in (the
//! command line, the config file's defaults and profiles, a batch row, an exporter module).
//! Layers merge field by field ([`Settings::over`]: the nearer layer wins), then
//! [`Settings::into_config`] validates once and reads the secret from where the settings say.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::config::{self, AuthMechanism, Config, Credentials, Security, Target, UsageError};
use crate::discover::{Goal, Request};
use crate::secret::{self, Secret};

/// Default bound on each network step, in seconds.
pub const DEFAULT_TIMEOUT: f64 = 10.0;
/// Default bound on the login, in seconds (servers delay failed logins on purpose).
pub const DEFAULT_LOGIN_TIMEOUT: f64 = 30.0;
/// Default mailbox for the folders check.
pub const DEFAULT_MAILBOX: &str = "INBOX";

/// The settings of one check, every field optional: unset means "the next layer's, else the
/// default". Field names are those of the command-line options (`login_timeout` for
/// `--login-timeout`); secrets are never values here, only where to find them.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The server (`TARGET`), or an e-mail address whose server the discover check finds.
    pub target: Option<String>,
    /// `--provider`: a built-in preset applied to the e-mail address given as TARGET.
    pub provider: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--security`.
    pub security: Option<Security>,
    /// `--user`.
    pub user: Option<String>,
    /// `--auth`.
    pub auth: Option<AuthMechanism>,
    /// `--mailbox`.
    pub mailbox: Option<String>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--insecure`.
    pub insecure: Option<bool>,
    /// `--allow-plaintext-auth`.
    pub allow_plaintext_auth: Option<bool>,
    /// `--timeout`, in seconds.
    pub timeout: Option<f64>,
    /// `--login-timeout`, in seconds.
    pub login_timeout: Option<f64>,
    /// `--max-time`, in seconds.
    pub max_time: Option<f64>,
    /// `--resolve` entries.
    pub resolve: Option<Vec<String>>,
    /// `--control` endpoints; an empty list means none (`--no-control`); unset: the defaults.
    pub control: Option<Vec<String>>,
    /// The name of an environment variable holding the password (default `IMAPDOCTOR_PASSWORD`).
    pub password_env: Option<String>,
    /// A file whose first line is the password.
    pub password_file: Option<PathBuf>,
    /// The name of an environment variable holding an OAuth2 token (default
    /// `IMAPDOCTOR_OAUTH_TOKEN`).
    pub token_env: Option<String>,
    /// A file whose first line is an OAuth2 token (`--oauth-token-file`).
    pub token_file: Option<PathBuf>,
    /// `--oauth`: sign in with this provider for the token (command line only).
    pub oauth: Option<crate::oauth::Provider>,
    /// `--oauth-client-id`.
    pub oauth_client_id: Option<String>,
    /// `--oauth-tenant` (Microsoft).
    pub oauth_tenant: Option<String>,
    /// `--oauth-authority`.
    pub oauth_authority: Option<String>,
    /// `--oauth-flow`: browser (authorization code) or device; unset: the provider's default.
    pub oauth_flow: Option<crate::oauth::Flow>,
}

/// How the password may be asked for when the settings name no source that holds one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Asking {
    /// Never ask (batch rows, exporter probes): no password is a usage error.
    #[default]
    Never,
    /// The command line: the first line of stdin with `--password-stdin`, else the prompt on a
    /// terminal.
    Interactive {
        /// `--password-stdin`.
        password_stdin: bool,
    },
}

impl Settings {
    /// These settings, with every unset field taken from `fallback`.
    pub fn over(self, fallback: Settings) -> Settings {
        Settings {
            target: self.target.or(fallback.target),
            provider: self.provider.or(fallback.provider),
            port: self.port.or(fallback.port),
            security: self.security.or(fallback.security),
            user: self.user.or(fallback.user),
            auth: self.auth.or(fallback.auth),
            mailbox: self.mailbox.or(fallback.mailbox),
            ca_file: self.ca_file.or(fallback.ca_file),
            insecure: self.insecure.or(fallback.insecure),
            allow_plaintext_auth: self.allow_plaintext_auth.or(fallback.allow_plaintext_auth),
            timeout: self.timeout.or(fallback.timeout),
            login_timeout: self.login_timeout.or(fallback.login_timeout),
            max_time: self.max_time.or(fallback.max_time),
            resolve: self.resolve.or(fallback.resolve),
            control: self.control.or(fallback.control),
            password_env: self.password_env.or(fallback.password_env),
            password_file: self.password_file.or(fallback.password_file),
            token_env: self.token_env.or(fallback.token_env),
            token_file: self.token_file.or(fallback.token_file),
            oauth: self.oauth.or(fallback.oauth),
            oauth_client_id: self.oauth_client_id.or(fallback.oauth_client_id),
            oauth_tenant: self.oauth_tenant.or(fallback.oauth_tenant),
            oauth_authority: self.oauth_authority.or(fallback.oauth_authority),
            oauth_flow: self.oauth_flow.or(fallback.oauth_flow),
        }
    }

    /// Validates the settings into a run's [`Config`], reading the secret (never from argv) when
    /// a user is set: the token when one is set up and the mechanism takes one, else the password.
    pub fn into_config(self, asking: Asking, verbose: bool) -> Result<Config, UsageError> {
        self.into_config_signed_in(asking, verbose, None)
    }

    /// As [`Settings::into_config`], with the token of an OAuth sign-in when `oauth` is set
    /// ([`crate::oauth::sign_in`]); without one, `oauth` is a usage error (nothing here signs in).
    pub fn into_config_signed_in(
        self,
        asking: Asking,
        verbose: bool,
        signed_in: Option<crate::oauth::Grant>,
    ) -> Result<Config, UsageError> {
        let input = self.target.as_deref().unwrap_or_default();
        let (target, discovery) = self.target_and_discovery(input)?;
        // An address given as TARGET is the user to log in as, unless --user says otherwise.
        let user_defaulted = self.user.is_none()
            && matches!(&discovery, Some(r) if matches!(r.goal, Goal::Find { .. }));
        let user = self
            .user
            .clone()
            .or_else(|| user_defaulted.then(|| input.to_string()));
        let mailbox = self
            .mailbox
            .clone()
            .unwrap_or_else(|| DEFAULT_MAILBOX.into());
        config::sendable("--mailbox", &mailbox)?;
        if let Some(user) = &user {
            config::sendable("--user", user)?;
        }
        let step_timeout = seconds("--timeout", self.timeout.unwrap_or(DEFAULT_TIMEOUT))?;
        let login_timeout = seconds(
            "--login-timeout",
            self.login_timeout.unwrap_or(DEFAULT_LOGIN_TIMEOUT),
        )?;
        let max_time = self
            .max_time
            .map(|s| seconds("--max-time", s))
            .transpose()?;
        let resolve = self
            .resolve
            .iter()
            .flatten()
            .map(|r| config::parse_resolve(r))
            .collect::<Result<_, _>>()?;
        let controls = match &self.control {
            None => crate::control::default_controls(&target.host),
            Some(list) => list
                .iter()
                .map(|c| config::parse_control(c))
                .collect::<Result<_, _>>()?,
        };
        let extra_roots = match &self.ca_file {
            Some(path) => config::load_ca_file(path)?,
            None => Vec::new(),
        };
        if let Some(provider) = self.oauth
            && signed_in.is_none()
        {
            return Err(UsageError::Credentials(format!(
                "oauth = {:?} needs a person to sign in: only a check from the command line starts it (never batch, serve or --format nagios); give a token instead (token_file, token_env)",
                provider.name()
            )));
        }
        let credentials = match &user {
            None => None,
            // A user taken from the address logs in only when a secret is on hand.
            Some(_) if user_defaulted && signed_in.is_none() && !self.has_secret_source(asking) => {
                None
            }
            Some(user) => Some(self.credentials(user, asking, signed_in)?),
        };
        Ok(Config {
            target,
            user,
            credentials,
            mailbox,
            extra_roots,
            ca_file: self.ca_file.clone(),
            insecure: self.insecure.unwrap_or(false),
            step_timeout,
            login_timeout,
            max_time,
            resolve,
            controls,
            allow_plaintext_auth: self.allow_plaintext_auth.unwrap_or(false),
            verbose,
            discovery,
        })
    }

    /// The target, and what the discover check is to do: for an e-mail address (no URL scheme),
    /// find its server (the target a stand-in: the preset's host with `--provider`, else the
    /// domain); for a server, compare it with the `--user` address's provider.
    fn target_and_discovery(&self, input: &str) -> Result<(Target, Option<Request>), UsageError> {
        let preset = match &self.provider {
            None => None,
            Some(name) => Some(crate::providers::preset_named(name).ok_or_else(|| {
                let names: Vec<&str> = crate::providers::PRESETS.iter().map(|p| p.name).collect();
                UsageError::Provider(crate::sanitize::terminal_text(name), names.join(", "))
            })?),
        };
        let domain = (!input.contains("://"))
            .then(|| crate::discover::address_domain(input))
            .flatten();
        let Some(domain) = domain else {
            if preset.is_some() {
                return Err(UsageError::ProviderWithoutAddress);
            }
            let target = Target::parse(input, self.port, self.security)?;
            let discovery = self
                .user
                .as_deref()
                .and_then(|u| crate::discover::address_domain(u).map(|d| (u, d)))
                .map(|(address, domain)| Request {
                    address: address.to_string(),
                    domain,
                    goal: Goal::Compare,
                });
            return Ok((target, discovery));
        };
        let security = self.security.unwrap_or(Security::Tls);
        let target = Target {
            input: input.to_string(),
            host: preset
                .or_else(|| crate::providers::preset_for_mail_domain(&domain))
                .map_or_else(|| domain.clone(), |p| p.host.to_string()),
            port: self.port.unwrap_or(security.default_port()),
            security,
        };
        let request = Request {
            address: input.to_string(),
            domain,
            goal: Goal::Find {
                preset,
                port: self.port,
                security: self.security,
                default_controls: self.control.is_none(),
            },
        };
        Ok((target, Some(request)))
    }

    /// Whether a password or token can be had without failing: a file, a set variable, stdin,
    /// or a terminal to ask at.
    fn has_secret_source(&self, asking: Asking) -> bool {
        let set = |name: Option<&String>, default: &str| {
            std::env::var_os(name.map_or(default, String::as_str)).is_some()
        };
        let interactive = match asking {
            Asking::Never => false,
            Asking::Interactive { password_stdin } => {
                use std::io::IsTerminal;
                password_stdin || std::io::stdin().is_terminal()
            }
        };
        self.password_file.is_some()
            || self.token_file.is_some()
            || set(self.password_env.as_ref(), secret::PASSWORD_ENV)
            || set(self.token_env.as_ref(), secret::TOKEN_ENV)
            || interactive
    }

    /// The user's credentials: a token when one is set up (and `auth` takes one or is unset),
    /// else the password.
    fn credentials(
        &self,
        user: &str,
        asking: Asking,
        signed_in: Option<crate::oauth::Grant>,
    ) -> Result<Credentials, UsageError> {
        if let Some(grant) = signed_in {
            return Ok(Credentials {
                user: user.to_string(),
                secret: grant.token,
                mechanism: self.auth,
                is_token: true,
                token_origin: Some(grant.origin),
            });
        }
        let wants_token = self.auth.is_some_and(|m| m.uses_token());
        let token = match (&self.token_file, &self.token_env) {
            (Some(path), _) => Some(secret::token_from_file(path)),
            (None, name) => {
                secret::token_from_env(name.as_deref().unwrap_or(secret::TOKEN_ENV)).transpose()
            }
        }
        .transpose()
        .map_err(UsageError::Credentials)?;
        let token = token.filter(|_| self.auth.is_none() || wants_token);
        let (secret, is_token) = match token {
            Some(token) => (token, true),
            None if wants_token => {
                return Err(UsageError::Credentials(format!(
                    "--auth {} needs a token (--oauth-token-file, or {})",
                    if self.auth == Some(AuthMechanism::Oauthbearer) {
                        "oauthbearer"
                    } else {
                        "xoauth2"
                    },
                    self.token_env.as_deref().unwrap_or(secret::TOKEN_ENV)
                )));
            }
            None => (self.password(user, asking)?, false),
        };
        Ok(Credentials {
            user: user.to_string(),
            secret,
            mechanism: self.auth,
            is_token,
            token_origin: None,
        })
    }

    fn password(&self, user: &str, asking: Asking) -> Result<Secret, UsageError> {
        if let Some(path) = &self.password_file {
            return secret::password_from_file(path).map_err(UsageError::Credentials);
        }
        let env = self.password_env.as_deref().unwrap_or(secret::PASSWORD_ENV);
        let (from_stdin, may_prompt) = match asking {
            Asking::Never => (false, false),
            Asking::Interactive { password_stdin } => (password_stdin, true),
        };
        secret::read_password(user, env, from_stdin, may_prompt).map_err(UsageError::Credentials)
    }
}

/// A number of seconds for `option`: above 0, at most a day.
fn seconds(option: &str, s: f64) -> Result<Duration, UsageError> {
    if s.is_finite() && s > 0.0 && s <= 86_400.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(UsageError::Credentials(format!(
            "{option} must be a number of seconds above 0"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearer_layer_wins_field_by_field() {
        let near = Settings {
            timeout: Some(3.0),
            control: Some(vec![]),
            ..Default::default()
        };
        let far = Settings {
            timeout: Some(20.0),
            user: Some("alice".into()),
            control: Some(vec!["ctl.test".into()]),
            ..Default::default()
        };
        let merged = near.over(far);
        assert_eq!(merged.timeout, Some(3.0));
        assert_eq!(merged.user.as_deref(), Some("alice"));
        assert_eq!(merged.control, Some(vec![]));
    }

    #[test]
    fn defaults_apply_when_no_layer_sets_a_field() {
        let settings = Settings {
            target: Some("imaps://127.0.0.1:1".into()),
            control: Some(vec![]),
            ..Default::default()
        };
        let config = settings.into_config(Asking::Never, false).unwrap();
        assert_eq!(config.step_timeout, Duration::from_secs(10));
        assert_eq!(config.login_timeout, Duration::from_secs(30));
        assert_eq!(config.mailbox, "INBOX");
        assert!(config.controls.is_empty());
        assert!(!config.insecure);
    }

    #[test]
    fn unset_control_means_the_default_endpoints() {
        let settings = Settings {
            target: Some("imap.example.test".into()),
            ..Default::default()
        };
        let config = settings.into_config(Asking::Never, false).unwrap();
        assert!(!config.controls.is_empty());
    }

    #[test]
    fn a_password_is_never_asked_for_when_asking_is_never() {
        let settings = Settings {
            target: Some("127.0.0.1".into()),
            user: Some("alice".into()),
            password_env: Some("IMAPDOCTOR_TEST_UNSET_PASSWORD_VARIABLE".into()),
            control: Some(vec![]),
            ..Default::default()
        };
        let error = settings.into_config(Asking::Never, false).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("IMAPDOCTOR_TEST_UNSET_PASSWORD_VARIABLE"),
            "{error}"
        );
    }

    #[test]
    fn oauth_without_a_sign_in_is_refused_where_nobody_signs_in() {
        let settings = Settings {
            target: Some("127.0.0.1".into()),
            user: Some("alice".into()),
            oauth: Some(crate::oauth::Provider::Microsoft),
            control: Some(vec![]),
            ..Default::default()
        };
        let error = settings.into_config(Asking::Never, false).unwrap_err();
        assert!(error.to_string().contains("needs a person"), "{error}");
    }

    #[test]
    fn an_address_as_target_is_discovered_and_is_the_user() {
        let settings = Settings {
            target: Some("alice@Example.test".into()),
            control: Some(vec![]),
            password_env: Some("IMAPDOCTOR_TEST_UNSET_PASSWORD_VARIABLE".into()),
            ..Default::default()
        };
        let config = settings.clone().into_config(Asking::Never, false).unwrap();
        // No password on hand: the login is skipped rather than refused.
        assert_eq!(config.user.as_deref(), Some("alice@Example.test"));
        assert!(config.credentials.is_none());
        let request = config.discovery.unwrap();
        assert_eq!(request.domain, "example.test");
        assert!(matches!(request.goal, Goal::Find { preset: None, .. }));
        let forced = Settings {
            provider: Some("google".into()),
            ..settings.clone()
        };
        let config = forced.into_config(Asking::Never, false).unwrap();
        assert_eq!(config.target.host, "imap.gmail.com");
        let unknown = Settings {
            provider: Some("nope".into()),
            ..settings
        };
        let error = unknown.into_config(Asking::Never, false).unwrap_err();
        assert!(error.to_string().contains("microsoft, google"), "{error}");
    }

    #[test]
    fn a_server_with_an_address_as_user_is_compared() {
        let password = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(password.path(), "x\n").unwrap();
        let settings = Settings {
            target: Some("imap.gmail.com".into()),
            user: Some("alice@contoso.test".into()),
            password_file: Some(password.path().to_path_buf()),
            control: Some(vec![]),
            ..Default::default()
        };
        let config = settings.into_config(Asking::Never, false).unwrap();
        let request = config.discovery.unwrap();
        assert!(matches!(request.goal, Goal::Compare));
        assert_eq!(request.domain, "contoso.test");
    }

    #[test]
    fn seconds_are_above_zero_and_at_most_a_day() {
        assert!(seconds("--timeout", 0.0).is_err());
        assert!(seconds("--timeout", f64::NAN).is_err());
        assert!(seconds("--timeout", 86_400.5).is_err());
        assert_eq!(
            seconds("--timeout", 86_400.0).unwrap(),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            seconds("--timeout", 0.5).unwrap(),
            Duration::from_millis(500)
        );
    }
}
