//! A minimal blocking IMAP client for the real-server harnesses and their tests: provisioning a
//! server as its administrator, or holding a logged-in session open while imapdoctor runs.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

/// A stream [`ImapSession`] talks over: plain TCP or TLS.
trait Stream: io::Read + io::Write + Send {}
impl<T: io::Read + io::Write + Send> Stream for T {}

/// One IMAP connection, greeting read. Commands are tagged `t1`, `t2`, ….
pub struct ImapSession {
    io: BufReader<Box<dyn Stream>>,
    /// The server's greeting line.
    pub greeting: String,
    next_tag: u32,
}

impl ImapSession {
    /// Connects to a plaintext listener and reads the greeting.
    pub fn plain(addr: SocketAddr) -> io::Result<ImapSession> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        ImapSession::greeted(Box::new(stream))
    }

    /// Connects to an implicit TLS listener (trusting what `config` trusts) and reads the
    /// greeting.
    pub fn tls(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> io::Result<ImapSession> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let connection = rustls::ClientConnection::new(config.clone(), ServerName::from(addr.ip()))
            .map_err(io::Error::other)?;
        ImapSession::greeted(Box::new(rustls::StreamOwned::new(connection, stream)))
    }

    fn greeted(stream: Box<dyn Stream>) -> io::Result<ImapSession> {
        let mut session = ImapSession {
            io: BufReader::new(stream),
            greeting: String::new(),
            next_tag: 1,
        };
        session.greeting = session.read_line()?;
        Ok(session)
    }

    fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.io.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(line)
    }

    /// Sends `<tag> <command>\r\n` (literals in `command` must be non-synchronizing,
    /// `{n+}`); returns the untagged lines and the tagged completion.
    pub fn command(&mut self, command: &[u8]) -> io::Result<(Vec<String>, String)> {
        let tag = format!("t{}", self.next_tag);
        self.next_tag += 1;
        let mut bytes = format!("{tag} ").into_bytes();
        bytes.extend_from_slice(command);
        bytes.extend_from_slice(b"\r\n");
        let stream = self.io.get_mut();
        stream.write_all(&bytes)?;
        stream.flush()?;
        let mut untagged = Vec::new();
        loop {
            let line = self.read_line()?;
            if line.starts_with(&format!("{tag} ")) {
                return Ok((untagged, line));
            }
            untagged.push(line);
        }
    }

    /// As [`ImapSession::command`], and the completion must be `OK` (else an error naming it).
    pub fn ok(&mut self, command: &[u8]) -> io::Result<Vec<String>> {
        let (untagged, done) = self.command(command)?;
        let status = done.split_whitespace().nth(1).unwrap_or_default();
        if status != "OK" {
            return Err(io::Error::other(format!(
                "{} -> {}",
                String::from_utf8_lossy(command)
                    .lines()
                    .next()
                    .unwrap_or_default(),
                done.trim_end()
            )));
        }
        Ok(untagged)
    }
}

/// `LOGIN user {n+}\r\n<password>`: a non-synchronizing literal (LITERAL+), which carries any
/// password, 8-bit or with quotes, unchanged.
pub fn login_literal(user: &str, password: &str) -> Vec<u8> {
    let mut bytes = format!("LOGIN {user} {{{}+}}\r\n", password.len()).into_bytes();
    bytes.extend_from_slice(password.as_bytes());
    bytes
}
