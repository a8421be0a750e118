//! A scripted HTTPS server for the autoconfig tests: real TCP, real TLS (the test CA's leaf),
//! HTTP/1.1 answers chosen per request path by the test, one request per connection. Besides
//! documents it can redirect, stream an endless body (counting what it managed to send), or read
//! the request and never answer.
//!
//! It takes a bound `std::net::TcpListener`, so it serves on loopback (`start`) or on a socket
//! bound inside a lab namespace (`serve_on` with `netns::bind_in`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use imapdoctor::demo::pki::Leaf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the server answers to one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A status, a content type and a body (sent with its Content-Length).
    Document {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `302 Found` to this location.
    Redirect(String),
    /// `200 OK` without a length, then bytes until the client hangs up.
    Endless,
    /// Reads the request, then never answers (the connection stays open).
    Silent,
}

impl Reply {
    /// `200 OK` with an XML document.
    pub fn xml(body: &str) -> Reply {
        Reply::Document {
            status: 200,
            content_type: "application/xml",
            body: body.as_bytes().to_vec(),
        }
    }

    /// `404 Not Found`.
    pub fn not_found() -> Reply {
        Reply::Document {
            status: 404,
            content_type: "text/html",
            body: b"<html><body>Not Found</body></html>".to_vec(),
        }
    }
}

type Routes = dyn Fn(&str) -> Reply + Send + Sync;

/// A running server; it stops when dropped.
pub struct HttpsServer {
    addr: SocketAddr,
    /// The request targets (path and query) received, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Body bytes written by [`Reply::Endless`] answers.
    pub endless_written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpsServer {
    /// Serves on a fresh loopback port.
    pub async fn start(
        leaf: &Leaf,
        routes: impl Fn(&str) -> Reply + Send + Sync + 'static,
    ) -> HttpsServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Self::serve_on(listener, leaf, routes)
    }

    /// Serves on an already bound socket (call from within a tokio runtime).
    pub fn serve_on(
        listener: std::net::TcpListener,
        leaf: &Leaf,
        routes: impl Fn(&str) -> Reply + Send + Sync + 'static,
    ) -> HttpsServer {
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(leaf.server_config());
        let routes: Arc<Routes> = Arc::new(routes);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let endless_written = Arc::new(AtomicU64::new(0));
        let (seen, written) = (requests.clone(), endless_written.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, routes) = (acceptor.clone(), routes.clone());
                let (seen, written) = (seen.clone(), written.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        let _ = answer(tls, &*routes, &seen, &written).await;
                    }
                });
            }
        });
        HttpsServer {
            addr,
            requests,
            endless_written,
            task,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

/// Reads one request head and answers it.
async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    routes: &Routes,
    seen: &Mutex<Vec<String>>,
    written: &AtomicU64,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    seen.lock().unwrap().push(target.clone());
    match routes(&target) {
        Reply::Document {
            status,
            content_type,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reason(status),
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::Redirect(location) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n<clientConfig>";
            stream.write_all(head.as_bytes()).await?;
            let chunk = [b' '; 16 * 1024];
            loop {
                stream.write_all(&chunk).await?;
                written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
        Reply::Silent => {
            std::future::pending::<()>().await;
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}
