//! A hostile line server for the secret and sanitizer tests: it greets, then answers each command
//! with whatever its responder returns, typically the client's own bytes (password, SASL initial
//! response, token) echoed back in some response kind. Plaintext or implicit TLS, on loopback.

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One command as the server read it.
#[derive(Clone, Debug, Default)]
pub struct Command {
    /// The tag.
    pub tag: String,
    /// The command name, upper-cased.
    pub name: String,
    /// The whole command as sent, literals included, without the final CRLF.
    pub raw: Vec<u8>,
    /// Lines the client sent in answer to continuation requests, in order.
    pub continued: Vec<Vec<u8>>,
}

impl Command {
    /// The whole command as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The last continuation line as text (lossy).
    pub fn last_continued(&self) -> String {
        String::from_utf8_lossy(self.continued.last().map(Vec::as_slice).unwrap_or_default())
            .into_owned()
    }
}

/// What to do after sending a reply's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    /// Read the next command.
    Next,
    /// Read one continuation line, then ask the responder again.
    AwaitLine,
    /// Close the connection.
    Close,
}

/// The lines to send (CRLF added) and what follows.
pub struct Reply {
    /// Lines, without CRLF.
    pub lines: Vec<Vec<u8>>,
    /// What follows.
    pub then: Then,
}

impl Reply {
    /// Send these lines, then read the next command.
    pub fn lines<I: IntoIterator<Item = S>, S: Into<Vec<u8>>>(lines: I) -> Reply {
        Reply {
            lines: lines.into_iter().map(Into::into).collect(),
            then: Then::Next,
        }
    }

    /// Send these lines, then `then`.
    pub fn then(mut self, then: Then) -> Reply {
        self.then = then;
        self
    }
}

/// Decides the answer to a command (called again after each continuation line).
pub type Responder = Arc<dyn Fn(&Command) -> Reply + Send + Sync>;

/// A running hostile server.
pub struct Hostile {
    /// Its loopback port.
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Capabilities for a plain greeting that allows every login mechanism.
pub const CAPS: &str = "IMAP4rev1 SASL-IR AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER";

/// Calls `f` on every string of a JSON document, object keys included.
pub fn every_string(value: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    use serde_json::Value;
    match value {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|v| every_string(v, f)),
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            f(k);
            every_string(v, f)
        }),
        _ => {}
    }
}

/// Starts a server that greets with `greeting` and answers with `responder`; with `tls`, the
/// connection is TLS from the first byte.
pub async fn spawn(
    greeting: &str,
    tls: Option<Arc<rustls::ServerConfig>>,
    responder: Responder,
) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let greeting = greeting.as_bytes().to_vec();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (greeting, responder, tls) = (greeting.clone(), responder.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    None => serve(socket, &greeting, &responder).await,
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        if let Ok(stream) = acceptor.accept(socket).await {
                            serve(stream, &greeting, &responder).await;
                        }
                    }
                }
            });
        }
    });
    Hostile { port, task }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    greeting: &[u8],
    responder: &Responder,
) {
    let mut stream = BufReader::new(stream);
    if send(&mut stream, greeting).await.is_err() {
        return;
    }
    loop {
        let Some(mut command) = read_command(&mut stream).await else {
            return;
        };
        loop {
            let reply = responder(&command);
            for line in &reply.lines {
                if send(&mut stream, line).await.is_err() {
                    return;
                }
            }
            match reply.then {
                Then::Next => break,
                Then::Close => {
                    let _ = stream.get_mut().shutdown().await;
                    return;
                }
                Then::AwaitLine => match read_line(&mut stream).await {
                    Some(line) => command.continued.push(line),
                    None => return,
                },
            }
        }
    }
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    line: &[u8],
) -> std::io::Result<()> {
    let mut bytes = line.to_vec();
    bytes.extend_from_slice(b"\r\n");
    stream.get_mut().write_all(&bytes).await?;
    stream.get_mut().flush().await
}

/// One line without its CRLF (at most 64 KiB).
async fn read_line<S: AsyncRead + Unpin>(stream: &mut BufReader<S>) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let read = (&mut *stream)
        .take(64 * 1024)
        .read_until(b'\n', &mut line)
        .await
        .ok()?;
    if read == 0 || !line.ends_with(b"\n") {
        return None;
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Some(line)
}

/// A command with its literals: after a synchronizing `{n}` the server sends `+ go ahead`.
async fn read_command<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
) -> Option<Command> {
    let mut raw = read_line(stream).await?;
    let mut last = raw.clone();
    while let Some((n, sync)) = literal(&last) {
        if sync {
            send(stream, b"+ go ahead").await.ok()?;
        }
        let mut body = vec![0u8; n.min(64 * 1024)];
        stream.read_exact(&mut body).await.ok()?;
        last = read_line(stream).await?;
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&body);
        raw.extend_from_slice(&last);
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let mut words = text.split(' ');
    Some(Command {
        tag: words.next().unwrap_or_default().to_string(),
        name: words.next().unwrap_or_default().to_ascii_uppercase(),
        raw,
        continued: Vec::new(),
    })
}

/// `{n}` or `{n+}` at the end of a line (without its CRLF): the length, read by the client's own
/// framing, and whether it waits for `+`.
fn literal(line: &[u8]) -> Option<(usize, bool)> {
    let framed = [line, b"\r\n"].concat();
    let length = imapdoctor::imap::framing::literal_length(&framed)?;
    Some((length, !line.ends_with(b"+}")))
}

/// `ca`'s certificate in a PEM file, for `--ca-file` or a module's `ca_file`.
pub fn ca_file(ca: &imapdoctor::demo::pki::TestCa) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &ca.cert_pem).unwrap();
    file
}

/// A batch file and the CA file its servers need, on disk while the batch runs.
pub struct BatchFiles {
    rows: tempfile::NamedTempFile,
    ca: tempfile::NamedTempFile,
}

impl BatchFiles {
    /// Writes `rows`, one per line, and `ca`'s certificate.
    pub fn new(rows: &[String], ca: &imapdoctor::demo::pki::TestCa) -> BatchFiles {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), rows.join("\n")).unwrap();
        BatchFiles {
            rows: file,
            ca: ca_file(ca),
        }
    }

    /// `imapdoctor batch` on the file: no control probe, each step and each target's run
    /// bounded, the CA trusted.
    pub fn args(&self) -> Vec<String> {
        let (ca, rows) = (self.ca.path().display(), self.rows.path().display());
        [
            "batch",
            "--no-control",
            "--timeout",
            "3",
            "--max-time",
            "10",
            "--ca-file",
            &ca.to_string(),
            &rows.to_string(),
        ]
        .map(String::from)
        .to_vec()
    }
}

/// Each line of a batch's JSON Lines output, parsed.
pub fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
