//! The connection's byte stream (plain TCP, or TLS on top of it) with a bounded line reader.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Longest command line accepted, CRLF excluded.
pub const MAX_LINE: usize = 64 * 1024;
/// How long [`Conn::close`] keeps reading after closing the write side.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// Why a line or a block of bytes could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The client closed the connection (possibly in the middle of a line).
    #[error("the client closed the connection")]
    Eof,
    /// The line exceeds [`MAX_LINE`].
    #[error("line too long")]
    TooLong,
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Plain TCP or TLS over TCP.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Transiently, during a STARTTLS handshake (or after a failed one).
    Gone,
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection gone")
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Gone => Poll::Ready(Err(gone())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Gone => Poll::Ready(Ok(())),
        }
    }
}

/// One client connection: the stream plus a read buffer.
pub struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    /// How much of `buf` is known to contain no LF.
    scanned: usize,
}

impl Conn {
    /// Wrap an accepted TCP connection.
    pub fn plain(tcp: TcpStream) -> Self {
        Self {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            scanned: 0,
        }
    }

    /// Whether TLS is active.
    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// Run a server-side TLS handshake over the TCP stream. Anything the client sent before
    /// the handshake and that is still buffered is discarded (no plaintext injection).
    pub async fn start_tls(&mut self, config: Arc<rustls::ServerConfig>) -> io::Result<()> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            return Err(io::Error::other("TLS is already active"));
        };
        self.buf.clear();
        self.scanned = 0;
        let tls = TlsAcceptor::from(config).accept(tcp).await?;
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }

    /// Write all of `bytes` and flush.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Write one line, appending CRLF.
    pub async fn send_line(&mut self, line: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.send(&bytes).await
    }

    /// Close the write side (best effort; TLS sends close_notify), then keep reading for a
    /// moment: closing a socket with unread input makes the kernel send a reset, which can
    /// destroy the last response (a `BYE`) before the client reads it.
    pub async fn close(&mut self) {
        let _ = self.stream.shutdown().await;
        let _ = tokio::time::timeout(LINGER, self.drain_until_eof()).await;
    }

    /// Read more bytes into the buffer; `Eof` when the client closed.
    async fn fill(&mut self) -> Result<(), ReadError> {
        self.buf.reserve(8192);
        match self.stream.read_buf(&mut self.buf).await? {
            0 => Err(ReadError::Eof),
            _ => Ok(()),
        }
    }

    /// Read one line, without its CRLF (a bare LF is tolerated).
    pub async fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(pos) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
                let end = self.scanned + pos;
                self.scanned = 0;
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > MAX_LINE {
                    return Err(ReadError::TooLong);
                }
                return Ok(line);
            }
            self.scanned = self.buf.len();
            if self.buf.len() > MAX_LINE + 1 {
                return Err(ReadError::TooLong);
            }
            self.fill().await?;
        }
    }

    /// Read exactly `n` bytes (a literal's contents).
    pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        self.scanned = 0;
        Ok(self.buf.drain(..n).collect())
    }

    /// Read and discard everything until the client leaves.
    pub async fn drain_until_eof(&mut self) {
        self.buf.clear();
        self.scanned = 0;
        let mut scratch = vec![0u8; 8192];
        while let Ok(n) = self.stream.read(&mut scratch).await {
            if n == 0 {
                break;
            }
        }
    }
}
