//! The HTTPS client of the sign-in: rustls verifying against the OS trust store plus
//! `--ca-file` (as the `tls` check does), https only, no redirects, no proxy from the environment
//! (the check itself connects directly, so the sign-in does too), each request bounded by
//! `--timeout` and each answer by [`MAX_ANSWER`] bytes.

use std::time::Duration;

use rustls_pki_types::CertificateDer;

/// The largest answer read from an identity provider (theirs are well under 4 KiB).
pub const MAX_ANSWER: usize = 64 * 1024;

/// An answer: its HTTP status and body.
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, at most [`MAX_ANSWER`] bytes.
    pub body: Vec<u8>,
}

/// A client for the identity provider's endpoints.
pub struct Client {
    inner: reqwest::Client,
}

impl Client {
    /// A client trusting the OS store plus `extra_roots`, each request bounded by `timeout`.
    pub async fn new(
        extra_roots: Vec<CertificateDer<'static>>,
        timeout: Duration,
    ) -> Result<Client, String> {
        let deadline = std::time::Instant::now() + timeout;
        let tls = crate::checks::trust::verifying_config(&extra_roots, deadline);
        let inner = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("imapdoctor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
        Ok(Client { inner })
    }

    /// POSTs `form` (form-encoded) to `url` and reads the answer.
    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Result<Answer, String> {
        let shown = crate::sanitize::terminal_text(url);
        let mut response = self
            .inner
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .map_err(|e| format!("{shown}: {}", describe(&e)))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("{shown}: {}", describe(&e)))?
        {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(format!(
                    "{shown}: the answer is larger than {} KiB",
                    MAX_ANSWER / 1024
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }
}

/// A transport error with its causes (reqwest's own message is only the outermost one).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "no answer within --timeout".to_string()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    crate::sanitize::terminal_text(&text)
}
