//! The IMAP wire: a connection (plain or TLS) that reads bounded, framed messages before a deadline,
//! writes commands, and records both directions in the transcript.

pub mod framing;
pub mod mutf7;
pub mod response;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::transcript::Transcript;
use framing::Framed;
pub use response::{Response, StatusKind, StatusResponse};

/// Most bytes accepted in answer to one command (a LIST of a very large account is a few MiB).
pub const MAX_EXCHANGE: usize = 16 * 1024 * 1024;

/// Why talking to the server stopped.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// Nothing (complete) arrived before the deadline.
    #[error("no answer within the time limit")]
    Timeout {
        /// Bytes of an incomplete message that did arrive.
        partial: usize,
    },
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed {
        /// Bytes of an incomplete message that did arrive.
        partial: usize,
    },
    /// A message exceeded the size bound.
    #[error("the server sent a line longer than {} KiB", framing::MAX_MESSAGE / 1024)]
    TooLong,
    /// A socket error.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl WireError {
    /// The stable kind a check's error code ends in: `timeout`, `closed`, `too_long` or `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            WireError::Timeout { .. } => "timeout",
            WireError::Closed { .. } => "closed",
            WireError::TooLong => "too_long",
            WireError::Io(_) => "io",
        }
    }
}

/// A TCP stream that keeps a copy of the first bytes it reads, so a failed TLS handshake can say
/// what the server sent instead (a plaintext greeting, an HTTP error page, …).
#[derive(Debug)]
pub struct Recorded {
    inner: TcpStream,
    /// The first bytes read (at most 512).
    pub first_bytes: Vec<u8>,
}

impl Recorded {
    /// Wraps a connected socket.
    pub fn new(inner: TcpStream) -> Self {
        Recorded {
            inner,
            first_bytes: Vec::new(),
        }
    }
}

impl AsyncRead for Recorded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let room = 512usize.saturating_sub(this.first_bytes.len());
        if room > 0 {
            let new = &buf.filled()[before..];
            this.first_bytes
                .extend_from_slice(&new[..new.len().min(room)]);
        }
        poll
    }
}

impl AsyncWrite for Recorded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A TLS session over a recorded socket.
pub type TlsStream = tokio_rustls::client::TlsStream<Recorded>;

/// The byte stream under the IMAP session.
pub enum Transport {
    /// Plaintext.
    Plain(Recorded),
    /// Inside TLS.
    Tls(Box<TlsStream>),
}

/// An IMAP connection.
pub struct Connection {
    transport: Transport,
    /// Bytes read from the socket; the first `taken` of them were already handed out.
    buf: Vec<u8>,
    taken: usize,
    transcript: Transcript,
    next_tag: u32,
}

/// The answer to one command. Its untagged responses are handed to the caller one by one as they
/// arrive (see [`Connection::complete`]) and never collected here, so a flood of them costs no
/// memory beyond what the caller chooses to keep.
#[derive(Debug)]
pub struct Exchange {
    /// How many untagged responses arrived before the completion.
    pub untagged: usize,
    /// The tagged OK / NO / BAD, or an untagged BYE that ended the session.
    pub completion: StatusResponse,
    /// Milliseconds from sending to the completion.
    pub elapsed_ms: u64,
}

impl Connection {
    /// An IMAP session over `transport`.
    pub fn new(transport: Transport, transcript: Transcript) -> Self {
        Connection {
            transport,
            buf: Vec::with_capacity(8192),
            taken: 0,
            transcript,
            next_tag: 1,
        }
    }

    /// Whether the session is inside TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.transport, Transport::Tls(_))
    }

    /// The transcript this connection writes to.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The TLS session, when inside TLS.
    pub fn tls(&self) -> Option<&TlsStream> {
        match &self.transport {
            Transport::Tls(t) => Some(t),
            Transport::Plain(_) => None,
        }
    }

    /// Gives back the plaintext socket for a STARTTLS handshake. Fails if the server already sent
    /// bytes after its STARTTLS reply (they would be injected into the TLS session: CVE-2011-0411).
    /// The tag counter comes along, so tags stay unique across the upgrade.
    pub fn into_plain(self) -> Result<(Recorded, u32), Box<Self>> {
        match self.transport {
            Transport::Plain(p) if self.unread().is_empty() => Ok((p, self.next_tag)),
            transport => Err(Box::new(Connection { transport, ..self })),
        }
    }

    /// Continues tag numbering from an earlier connection (after STARTTLS).
    pub fn continuing_tags_from(mut self, next_tag: u32) -> Self {
        self.next_tag = next_tag;
        self
    }

    /// A fresh command tag.
    pub fn tag(&mut self) -> String {
        let tag = format!("a{}", self.next_tag);
        self.next_tag += 1;
        tag
    }

    /// Reads one complete message before `deadline`.
    pub async fn read_message(&mut self, deadline: Instant) -> Result<Vec<u8>, WireError> {
        loop {
            match framing::next_message(self.unread()) {
                Framed::Complete(len) => {
                    let message = self.unread()[..len].to_vec();
                    self.taken += len;
                    self.transcript.server(self.is_tls(), &message);
                    return Ok(message);
                }
                Framed::TooLong => {
                    self.transcript
                        .server_within(self.is_tls(), self.unread(), 200);
                    self.transcript.remark("line too long: stopped reading");
                    return Err(WireError::TooLong);
                }
                Framed::Incomplete => {}
            }
            // Handed-out bytes go once per socket read, not once per message (a flood of tiny
            // messages would otherwise move the buffer for each).
            self.buf.drain(..self.taken);
            self.taken = 0;
            let mut chunk = [0u8; 16 * 1024];
            let read = tokio::time::timeout_at(deadline, self.read_some(&mut chunk)).await;
            let partial = self.buf.len();
            match read {
                Err(_) => {
                    self.note_partial();
                    return Err(WireError::Timeout { partial });
                }
                Ok(Ok(0)) => {
                    self.note_partial();
                    return Err(WireError::Closed { partial });
                }
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) if is_reset(&e) => {
                    self.note_partial();
                    return Err(WireError::Closed { partial });
                }
                Ok(Err(e)) => return Err(WireError::Io(e)),
            }
        }
    }

    /// Bytes read but not yet handed out.
    fn unread(&self) -> &[u8] {
        &self.buf[self.taken..]
    }

    fn note_partial(&self) {
        if !self.buf.is_empty() {
            self.transcript.server_within(self.is_tls(), &self.buf, 200);
            self.transcript.remark(&format!(
                "incomplete line ({} bytes, no CRLF)",
                self.buf.len()
            ));
        }
    }

    async fn read_some(&mut self, chunk: &mut [u8]) -> io::Result<usize> {
        match &mut self.transport {
            Transport::Plain(p) => p.read(chunk).await,
            Transport::Tls(t) => t.read(chunk).await,
        }
    }

    /// Reads one message and parses it.
    pub async fn read_response(&mut self, deadline: Instant) -> Result<Response, WireError> {
        Ok(response::parse(&self.read_message(deadline).await?))
    }

    /// Writes `line` plus CRLF; the transcript shows `shown` instead (secrets replaced by `***`).
    pub async fn send(
        &mut self,
        line: &str,
        shown: &str,
        deadline: Instant,
    ) -> Result<(), WireError> {
        self.transcript.client(self.is_tls(), shown);
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        let write = async {
            match &mut self.transport {
                Transport::Plain(p) => {
                    p.write_all(&bytes).await?;
                    p.flush().await
                }
                Transport::Tls(t) => {
                    t.write_all(&bytes).await?;
                    t.flush().await
                }
            }
        };
        match tokio::time::timeout_at(deadline, write).await {
            Err(_) => Err(WireError::Timeout { partial: 0 }),
            Ok(Err(e)) if is_reset(&e) => Err(WireError::Closed { partial: 0 }),
            Ok(r) => Ok(r?),
        }
    }

    /// Reads responses until the completion of `tag` (or a BYE), handing each untagged response
    /// to `each` as it arrives. Bounded by [`MAX_EXCHANGE`] bytes and by `deadline`.
    pub async fn complete(
        &mut self,
        tag: &str,
        sent_at: Instant,
        deadline: Instant,
        mut each: impl FnMut(Response),
    ) -> Result<Exchange, WireError> {
        let mut untagged = 0;
        let mut received = 0usize;
        loop {
            let message = self.read_message(deadline).await?;
            received += message.len();
            if received > MAX_EXCHANGE {
                self.transcript
                    .remark("too many responses to one command: stopped reading");
                return Err(WireError::TooLong);
            }
            match response::parse(&message) {
                Response::Status(s)
                    if s.tag.as_deref() == Some(tag) || s.kind == StatusKind::Bye =>
                {
                    return Ok(Exchange {
                        untagged,
                        completion: s,
                        elapsed_ms: sent_at.elapsed().as_millis() as u64,
                    });
                }
                other => {
                    untagged += 1;
                    each(other);
                }
            }
        }
    }

    /// Sends a command (tag added) and waits for its completion, handing each untagged response
    /// to `each`.
    pub async fn command(
        &mut self,
        command: &str,
        deadline: Instant,
        each: impl FnMut(Response),
    ) -> Result<Exchange, WireError> {
        let tag = self.tag();
        let line = format!("{tag} {command}");
        let sent_at = Instant::now();
        self.send(&line, &line, deadline).await?;
        self.complete(&tag, sent_at, deadline, each).await
    }

    /// Closes the write side without waiting for anything.
    pub async fn shutdown(&mut self) {
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), async {
            match &mut self.transport {
                Transport::Plain(p) => p.shutdown().await,
                Transport::Tls(t) => t.shutdown().await,
            }
        })
        .await;
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// Quotes a string for IMAP (RFC 9051 quoted), or `None` when it needs a literal (CR, LF, NUL).
pub fn quoted(s: &str) -> Option<String> {
    if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return None;
    }
    Some(format!(
        "\"{}\"",
        s.replace('\\', "\\\\").replace('"', "\\\"")
    ))
}
