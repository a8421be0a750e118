//! The OAuth 2.0 authorization code grant with PKCE (RFC 7636) and a loopback redirect
//! (RFC 8252 §7.3), as Google and Microsoft document it for desktop applications: listen on
//! `127.0.0.1:0`, print the authorization URL for the person to open (no browser is launched),
//! take exactly one redirect on the listener (`code` and `state`, or `error`), answer the browser
//! with a short page, then exchange the code with its verifier at the token endpoint.
//!
//! Bounded like the device flow: the wait by [`WAIT`], `--max-time` and Ctrl-C; each loopback
//! request by [`MAX_REQUEST`] bytes and `--timeout`; at most [`MAX_CONNECTIONS`] browser
//! connections at once. The code, the verifier and the token are [`Secret`]s.

use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::device::{self, Granted, Request};
use super::http::Client;
use super::pkce;
use super::providers::Provider;
use super::refusal::{self, SignInError};
use crate::secret::Secret;

/// How long the person has to finish in the browser (Google's and Microsoft's sign-in pages
/// expire well within this).
pub const WAIT: Duration = Duration::from_secs(600);
/// The largest request accepted on the loopback listener (a redirect is well under 2 KiB).
pub const MAX_REQUEST: usize = 8 * 1024;
/// The most loopback connections read at once (browsers open a few speculatively).
pub const MAX_CONNECTIONS: usize = 16;

/// What the person must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// The authorization URL to open in a browser on this machine.
    pub url: String,
    /// How long the redirect is waited for.
    pub expires_in: Duration,
}

/// What the browser brought back to the redirect URI.
enum Redirect {
    /// The authorization code (a secret).
    Code(Secret),
    /// The provider's `error` (sanitized) and `error_description`.
    Error(String, Option<String>),
}

/// Runs the grant for `login_hint` (the user); `show` is told the URL once the listener is up.
/// `timeout` bounds each loopback request and each HTTPS request.
pub async fn sign_in(
    client: &Client,
    request: &Request,
    login_hint: &str,
    timeout: Duration,
    deadline: Option<Instant>,
    interrupt: impl Future<Output = ()>,
    show: impl FnOnce(&Prompt),
) -> Result<Granted, SignInError> {
    let transport = SignInError::Transport;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| transport(format!("cannot listen on 127.0.0.1 for the redirect: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| transport(format!("the redirect listener: {e}")))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/");
    let pkce = pkce::new().map_err(transport)?;
    let state = pkce::state().map_err(transport)?;
    let url = authorization_url(request, &redirect_uri, &state, &pkce.challenge, login_hint)?;
    let bounded = async {
        show(&Prompt {
            url,
            expires_in: WAIT,
        });
        let waited = tokio::time::timeout(WAIT, redirect(&listener, &state, timeout)).await;
        drop(listener);
        let code = match waited {
            Err(_) => return Err(SignInError::Expired(device::lifetime(WAIT))),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(Redirect::Error(error, _))) if error == "access_denied" => {
                return Err(SignInError::Declined);
            }
            Ok(Ok(Redirect::Error(error, description))) => {
                return Err(refusal::refused(
                    request.provider,
                    &error,
                    description.as_deref(),
                ));
            }
            Ok(Ok(Redirect::Code(code))) => code,
        };
        exchange(client, request, &code, &redirect_uri, &pkce.verifier).await
    };
    super::within(bounded, deadline, interrupt).await
}

/// The URL the person opens (RFC 6749 §4.1.1 with RFC 7636 §4.3).
fn authorization_url(
    request: &Request,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
    login_hint: &str,
) -> Result<String, SignInError> {
    let mut query = vec![
        ("response_type", "code"),
        ("client_id", request.client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("scope", request.scope),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("login_hint", login_hint),
    ];
    if request.provider == Provider::Google {
        query.push(("access_type", "online"));
    }
    let url = &request.endpoints.authorization;
    reqwest::Url::parse_with_params(url, &query)
        .map(String::from)
        .map_err(|e| {
            SignInError::Usage(format!(
                "{}: not a URL: {e}",
                crate::sanitize::terminal_text(url)
            ))
        })
}

/// Waits for the one request to the redirect URI (other paths get 404 and the wait goes on),
/// checks its `state` and answers the browser.
async fn redirect(
    listener: &TcpListener,
    state: &str,
    timeout: Duration,
) -> Result<Redirect, SignInError> {
    let mut reading = tokio::task::JoinSet::new();
    let (mut stream, target) = loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted
                    && reading.len() < MAX_CONNECTIONS
                {
                    reading.spawn(tokio::time::timeout(timeout, read_request(stream)));
                }
            }
            Some(done) = reading.join_next() => {
                if let Ok(Ok(Some(found))) = done {
                    break found;
                }
            }
        }
    };
    drop(reading);
    let outcome = parse_redirect(&target, state);
    let page = match &outcome {
        Ok(Redirect::Code(_)) => {
            "Signed in. You can close this tab and return to imapdoctor in the terminal."
        }
        _ => "Sign-in did not succeed. The terminal running imapdoctor says why.",
    };
    let _ = tokio::time::timeout(timeout, answer(&mut stream, "200 OK", page)).await;
    outcome
}

/// Reads one request's head; `Some` with the stream and the target when it is a `GET` of the
/// redirect URI (`/`, with a query), else answers it and gives `None`.
async fn read_request(mut stream: TcpStream) -> Option<(TcpStream, String)> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        if head.len() + n > MAX_REQUEST {
            answer(
                &mut stream,
                "431 Request Header Fields Too Large",
                "Too large.",
            )
            .await;
            return None;
        }
        head.extend_from_slice(&buffer[..n]);
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let (method, target) = (words.next()?, words.next()?.to_string());
    if method != "GET" {
        answer(&mut stream, "405 Method Not Allowed", "Not allowed.").await;
        return None;
    }
    if target != "/" && !target.starts_with("/?") {
        answer(&mut stream, "404 Not Found", "Not found.").await;
        return None;
    }
    Some((stream, target))
}

/// The code or error the redirect carries, once its `state` is this run's.
fn parse_redirect(target: &str, state: &str) -> Result<Redirect, SignInError> {
    let url = reqwest::Url::parse(&format!("http://127.0.0.1{target}"))
        .map_err(|_| SignInError::Transport("the browser's redirect is not a URL".into()))?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // The code is a secret from the moment it is read, whatever else the redirect says.
    let code = field("code").map(|c| Secret::new(c.to_string()));
    if field("state") != Some(state) {
        return Err(SignInError::Refused(
            "sign-in refused: the redirect to imapdoctor did not carry this run's state (a tab of an earlier run, or another program): nothing was exchanged; run again and open the URL just printed".into(),
        ));
    }
    if let Some(error) = field("error") {
        let description = field("error_description")
            .map(|d| crate::sanitize::within(d.lines().next().unwrap_or_default(), 400));
        return Ok(Redirect::Error(
            crate::sanitize::within(error, 100),
            description,
        ));
    }
    match code {
        Some(code) if !code.expose().is_empty() => Ok(Redirect::Code(code)),
        _ => Err(SignInError::Transport(
            "the browser's redirect carried neither a code nor an error".into(),
        )),
    }
}

/// Answers a loopback request with a short plain HTML page and closes the connection.
async fn answer(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>imapdoctor</title></head><body><p>{text}</p></body></html>\n"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Exchanges the code for a token (RFC 6749 §4.1.3, RFC 7636 §4.5).
async fn exchange(
    client: &Client,
    request: &Request,
    code: &Secret,
    redirect_uri: &str,
    verifier: &Secret,
) -> Result<Granted, SignInError> {
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.expose()),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.expose()),
    ];
    let url = &request.endpoints.token;
    let answer = device::post_as_client(client, request, url, &grant).await?;
    if answer.status == 200 {
        device::granted(url, &answer)
    } else {
        Err(device::error_answer(request.provider, url, &answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::providers;

    #[test]
    fn the_url_carries_the_challenge_the_state_and_the_hint() {
        let request = Request {
            provider: Provider::Google,
            endpoints: providers::endpoints(Provider::Google, None, None).unwrap(),
            client_id: "id.apps.googleusercontent.com".into(),
            client_secret: None,
            scope: Provider::Google.scope(),
        };
        let url = authorization_url(
            &request,
            "http://127.0.0.1:5555/",
            "st",
            "ch",
            "a+b@example.com",
        )
        .unwrap();
        assert_eq!(
            url,
            "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=id.apps.googleusercontent.com&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2F&scope=https%3A%2F%2Fmail.google.com%2F&state=st&code_challenge=ch&code_challenge_method=S256&login_hint=a%2Bb%40example.com&access_type=online"
        );
    }

    #[test]
    fn a_redirect_is_taken_only_with_this_runs_state() {
        assert!(matches!(
            parse_redirect("/?code=unit-code-a7f1&state=s", "s"),
            Ok(Redirect::Code(c)) if c.expose() == "unit-code-a7f1"
        ));
        assert!(matches!(
            parse_redirect("/?code=unit-code-b7f2&state=other", "s"),
            Err(SignInError::Refused(m)) if m.contains("state")
        ));
        assert!(matches!(
            parse_redirect("/?code=unit-code-c7f3", "s"),
            Err(SignInError::Refused(_))
        ));
        assert!(matches!(
            parse_redirect("/?error=access_denied&state=s", "s"),
            Ok(Redirect::Error(e, None)) if e == "access_denied"
        ));
        assert!(matches!(
            parse_redirect("/?state=s", "s"),
            Err(SignInError::Transport(_))
        ));
    }
}
