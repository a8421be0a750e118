//! The browser of the OAuth browser-flow tests: reads the authorization URL imapdoctor prints on
//! stderr, GETs it from the test provider over HTTPS, and follows its 302 to imapdoctor's loopback
//! listener (plain HTTP/1.1, by hand, so nothing in between follows or rewrites a redirect).

use std::sync::Arc;
use std::time::Instant;

use crate::support::scripted::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr};

/// One HTTP/1.1 GET over `stream` (`Connection: close`): the status and the whole answer.
async fn get<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    host: &str,
    target: &str,
) -> (u16, String) {
    let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

/// GETs `url` (`https://127.0.0.1:PORT/...` on the test provider, trusted through `ca`)
/// and gives the `Location` of its 302.
pub async fn open(ca: &TestCa, url: &str) -> String {
    let rest = url.strip_prefix("https://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let config = ca.client_config();
    let tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    let (status, answer) = get(tls, host, path).await;
    assert_eq!(status, 302, "{answer}");
    answer
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("a Location")
        .trim()
        .to_string()
}

/// GETs a plain `http://127.0.0.1:PORT/...` URL (imapdoctor's loopback listener).
pub async fn follow(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    assert!(host.starts_with("127.0.0.1:"), "{url}");
    let tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    get(tcp, host, path).await
}

/// A running sign-in: the child, its stderr so far.
pub struct Signing {
    pub child: Child,
    stderr: BufReader<ChildStderr>,
    pub seen: String,
}

impl Signing {
    /// Starts imapdoctor (clean environment, `IMAPDOCTOR_CONFIG=""`) with `args` and `env`.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Signing {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
        cmd.env_clear()
            .env("IMAPDOCTOR_CONFIG", "")
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        Signing {
            child,
            stderr,
            seen: String::new(),
        }
    }

    /// The authorization URL printed on stderr (the line after "open this URL").
    pub async fn url(&mut self) -> String {
        let read = async {
            loop {
                let mut line = String::new();
                let n = self.stderr.read_line(&mut line).await.unwrap();
                assert!(n > 0, "stderr ended without a URL:\n{}", self.seen);
                self.seen.push_str(&line);
                if let Some(url) = line.trim().strip_prefix("imapdoctor:   ") {
                    return url.to_string();
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .expect("no URL on stderr")
    }

    /// Waits for the exit: the run, stderr whole.
    pub async fn finish(mut self) -> Run {
        let started = Instant::now();
        let mut rest = String::new();
        let mut stdout = self.child.stdout.take().unwrap();
        let mut out = Vec::new();
        let waited = async {
            let _ = self.stderr.read_to_string(&mut rest).await;
            let _ = stdout.read_to_end(&mut out).await;
            self.child.wait().await.unwrap()
        };
        let status = tokio::time::timeout(Duration::from_secs(20), waited)
            .await
            .expect("imapdoctor hung");
        let stdout = String::from_utf8_lossy(&out).into_owned();
        let json = crate::support::schema::conforming_document(&stdout);
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: self.seen + &rest,
            json,
            elapsed: started.elapsed(),
        }
    }
}
