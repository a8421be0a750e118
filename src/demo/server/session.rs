//! One client connection: the opening, the bounded command reader and the command dispatch.
//! Login commands live in [`super::auth`].

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::command::Command;
use super::io::{Conn, ReadError};
use super::mailboxes::{list_lines, select_lines, status_line};
use super::parse::{LiteralSpec, MAX_LITERAL, SyntaxError, Token, tokenize, valid_tag};
use super::script::{AfterLogin, Opening, Script, Security, is_cap};
use super::{Received, Shared};

/// Longest command accepted, all lines and literals together.
const MAX_COMMAND: usize = 256 * 1024;
/// How long an implicit-TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Untagged BAD text of Dovecot's login process for anything it does not understand.
pub(super) const DOVECOT_BAD: &str = "Error in IMAP command received by server.";

/// Where the connection is in the IMAP state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum State {
    NotAuthenticated,
    Authenticated,
    Selected(String),
}

/// Whether to keep serving after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Continue,
    Close,
}

/// The outcome of reading one command.
enum Incoming {
    /// An empty line (ignored).
    Empty,
    /// A syntax error; `tag` is `*` if none could be recovered.
    Bad { tag: String, error: SyntaxError },
    /// A well-formed command line.
    Command {
        tag: String,
        name: String,
        args: Vec<Token>,
    },
}

/// One connection's state.
pub(super) struct Session {
    pub(super) conn: Conn,
    pub(super) shared: Arc<Shared>,
    pub(super) id: u64,
    pub(super) state: State,
}

/// Serve one accepted connection until it ends; errors just end it.
pub(super) async fn run(tcp: TcpStream, shared: Arc<Shared>, id: u64) {
    let _ = tcp.set_nodelay(true);
    let mut conn = Conn::plain(tcp);
    if let Security::ImplicitTls(config) = &shared.script.security {
        let handshake = conn.start_tls(Arc::clone(config));
        if !matches!(
            tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await,
            Ok(Ok(()))
        ) {
            return;
        }
    }
    let mut session = Session {
        conn,
        shared,
        id,
        state: State::NotAuthenticated,
    };
    let _ = session.serve().await;
}

impl Session {
    pub(super) fn script(&self) -> &Script {
        &self.shared.script
    }

    pub(super) fn authenticated(&self) -> bool {
        self.state != State::NotAuthenticated
    }

    /// Capabilities for the current state.
    pub(super) fn capabilities(&self) -> Vec<String> {
        if self.authenticated() {
            self.script().post_login_capabilities()
        } else {
            self.script().pre_login_capabilities(self.conn.is_tls())
        }
    }

    pub(super) fn has_capability(&self, name: &str) -> bool {
        self.capabilities().iter().any(|c| is_cap(c, name))
    }

    /// Send `<tag> <status> <text>`.
    pub(super) async fn tagged(&mut self, tag: &str, status_text: &str) -> std::io::Result<()> {
        self.conn.send_line(&format!("{tag} {status_text}")).await
    }

    async fn serve(&mut self) -> Result<(), ReadError> {
        let opening = self.script().opening.clone();
        match opening {
            Opening::Standard => {
                let line = self.standard_greeting();
                self.conn.send_line(&line).await?;
            }
            Opening::Greet(line) => {
                self.conn.send_line(&line).await?;
                if self.after_custom_greeting(&line).await == Flow::Close {
                    return Ok(());
                }
            }
            Opening::Drip { line, interval } => {
                for byte in line.bytes().chain(*b"\r\n") {
                    self.conn.send(&[byte]).await?;
                    tokio::time::sleep(interval).await;
                }
                if self.after_custom_greeting(&line).await == Flow::Close {
                    return Ok(());
                }
            }
            Opening::Silent => {
                self.conn.drain_until_eof().await;
                return Ok(());
            }
            Opening::Close => return Ok(()),
            Opening::Raw(bytes) => {
                self.conn.send(&bytes).await?;
                self.conn.drain_until_eof().await;
                return Ok(());
            }
            Opening::RawThenClose(bytes) => {
                self.conn.send(&bytes).await?;
                return Ok(());
            }
            Opening::EndlessLine => {
                self.conn.send(b"* OK ").await?;
                let chunk = [b'A'; 8192];
                loop {
                    self.conn.send(&chunk).await?;
                }
            }
        }
        self.command_loop().await
    }

    fn standard_greeting(&self) -> String {
        let script = self.script();
        if script.greeting_carries_capabilities {
            let caps = self.capabilities().join(" ");
            format!("* OK [CAPABILITY {caps}] {}", script.greeting_text)
        } else {
            format!("* OK {}", script.greeting_text)
        }
    }

    /// A custom greeting: `* BYE` closes, `* PREAUTH` authenticates.
    async fn after_custom_greeting(&mut self, line: &str) -> Flow {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("* BYE") {
            self.conn.close().await;
            return Flow::Close;
        }
        if upper.starts_with("* PREAUTH") {
            self.state = State::Authenticated;
        }
        Flow::Continue
    }

    async fn command_loop(&mut self) -> Result<(), ReadError> {
        loop {
            if self.authenticated() {
                match self.script().after_login {
                    AfterLogin::Hang => {
                        self.conn.drain_until_eof().await;
                        return Ok(());
                    }
                    AfterLogin::Close => {
                        self.conn.close().await;
                        return Ok(());
                    }
                    AfterLogin::Flood => {
                        let line =
                            b"* OK [ALERT] the same untagged line, over and over\r\n".repeat(256);
                        loop {
                            self.conn.send(&line).await?;
                        }
                    }
                    AfterLogin::Serve | AfterLogin::Bad(_) | AfterLogin::Bye(_) => {}
                }
            }
            let result = match self.read_command().await {
                Ok(incoming) => self.handle(incoming).await,
                Err(err) => Err(err),
            };
            match result {
                Ok(Flow::Continue) => {}
                Ok(Flow::Close) | Err(ReadError::Eof) => return Ok(()),
                Err(ReadError::TooLong) => {
                    self.conn.send_line("* BYE line too long").await?;
                    self.conn.close().await;
                    return Ok(());
                }
                Err(err @ ReadError::Io(_)) => return Err(err),
            }
        }
    }

    /// Whether a non-synchronizing literal of `len` bytes is allowed by the capabilities.
    fn literal_plus_ok(&self, len: usize) -> bool {
        self.has_capability("LITERAL+") || (self.has_capability("LITERAL-") && len <= 4096)
    }

    /// Read one command: its lines and literals, bounded.
    async fn read_command(&mut self) -> Result<Incoming, ReadError> {
        let mut tokens = Vec::new();
        let mut total = 0usize;
        let mut after_token = false;
        let mut error: Option<SyntaxError> = None;
        loop {
            let line = self.conn.read_line().await?;
            total += line.len() + 2;
            if total > MAX_COMMAND {
                return Err(ReadError::TooLong);
            }
            if !after_token && line.is_empty() {
                return Ok(Incoming::Empty);
            }
            let spec = match tokenize(&line, after_token, &mut tokens) {
                Ok(Some(spec)) => spec,
                Ok(None) => break,
                Err(err) => {
                    error.get_or_insert(err);
                    break;
                }
            };
            let LiteralSpec { len, synchronizing } = spec;
            if len > MAX_LITERAL || total + len > MAX_COMMAND {
                if synchronizing {
                    // The client waits for our go-ahead, so refusing keeps us in sync.
                    error.get_or_insert(SyntaxError("literal too big"));
                    break;
                }
                return Err(ReadError::TooLong);
            }
            if synchronizing {
                self.conn.send_line("+ Ready for literal data").await?;
            } else if !self.literal_plus_ok(len) {
                // Read it anyway to stay in sync, then refuse the command.
                error.get_or_insert(SyntaxError("non-synchronizing literal not advertised"));
            }
            let data = self.conn.read_exact(len).await?;
            total += len;
            tokens.push(Token::Str(data));
            after_token = true;
        }
        let tag = match tokens.first() {
            Some(Token::Atom(tag)) if valid_tag(tag) => tag.clone(),
            _ => {
                let error = error.unwrap_or(SyntaxError("invalid tag"));
                return Ok(Incoming::Bad {
                    tag: "*".to_owned(),
                    error,
                });
            }
        };
        if let Some(error) = error {
            return Ok(Incoming::Bad { tag, error });
        }
        match tokens.get(1) {
            Some(Token::Atom(name)) => Ok(Incoming::Command {
                tag,
                name: name.to_ascii_uppercase(),
                args: tokens.split_off(2),
            }),
            _ => Ok(Incoming::Bad {
                tag,
                error: SyntaxError("missing command name"),
            }),
        }
    }

    async fn handle(&mut self, incoming: Incoming) -> Result<Flow, ReadError> {
        let (tag, name, args) = match incoming {
            Incoming::Empty => return Ok(Flow::Continue),
            Incoming::Bad { tag, error } => {
                let text = format!("BAD {DOVECOT_BAD} ({})", error.0);
                self.tagged(&tag, &text).await?;
                return Ok(Flow::Continue);
            }
            Incoming::Command { tag, name, args } => (tag, name, args),
        };
        self.shared.record(Received {
            connection: self.id,
            tls: self.conn.is_tls(),
            tag: tag.clone(),
            command: name.clone(),
        });
        if self.authenticated()
            && let AfterLogin::Bye(text) = &self.script().after_login
        {
            let line = format!("* BYE {text}");
            self.conn.send_line(&line).await?;
            self.conn.close().await;
            return Ok(Flow::Close);
        }
        if self.authenticated()
            && name != "LOGOUT"
            && let AfterLogin::Bad(text) = &self.script().after_login
        {
            let text = format!("BAD {text}");
            self.tagged(&tag, &text).await?;
            return Ok(Flow::Continue);
        }
        let command = match Command::parse(&name, &args) {
            Ok(command) => command,
            Err(error) => {
                let text = if self.authenticated() {
                    format!("BAD Error in IMAP command {name}: {}.", error.0)
                } else {
                    format!("BAD {DOVECOT_BAD} ({})", error.0)
                };
                self.tagged(&tag, &text).await?;
                return Ok(Flow::Continue);
            }
        };
        self.dispatch(&tag, command).await
    }

    async fn dispatch(&mut self, tag: &str, command: Command) -> Result<Flow, ReadError> {
        match command {
            Command::Capability => {
                let line = format!("* CAPABILITY {}", self.capabilities().join(" "));
                self.conn.send_line(&line).await?;
                let done = if self.authenticated() {
                    "OK Capability completed."
                } else {
                    "OK Pre-login capabilities listed, post-login capabilities have more."
                };
                self.tagged(tag, done).await?;
            }
            Command::Noop => self.tagged(tag, "OK NOOP completed.").await?,
            Command::Logout => {
                self.conn.send_line("* BYE Logging out").await?;
                self.tagged(tag, "OK Logout completed.").await?;
                self.conn.close().await;
                return Ok(Flow::Close);
            }
            Command::Id => {
                self.conn
                    .send_line("* ID (\"name\" \"imapdoctor-demo\")")
                    .await?;
                self.tagged(tag, "OK ID completed.").await?;
            }
            Command::StartTls => return self.starttls(tag).await,
            Command::Login { user, password } => self.login(tag, &user, &password).await?,
            Command::Authenticate { mechanism, initial } => {
                self.authenticate(tag, &mechanism, initial).await?;
            }
            _ if !self.authenticated() => self.tagged(tag, &format!("BAD {DOVECOT_BAD}")).await?,
            command => self.dispatch_authenticated(tag, command).await?,
        }
        Ok(Flow::Continue)
    }

    async fn dispatch_authenticated(
        &mut self,
        tag: &str,
        command: Command,
    ) -> Result<(), ReadError> {
        match command {
            Command::List {
                reference,
                patterns,
                special_use_only,
            } => {
                for line in list_lines(self.script(), &reference, &patterns, special_use_only) {
                    self.conn.send_line(&line).await?;
                }
                self.tagged(tag, "OK List completed.").await?;
            }
            Command::Select { mailbox, read_only } => {
                let (verb, code) = if read_only {
                    ("EXAMINE", "READ-ONLY")
                } else {
                    ("SELECT", "READ-WRITE")
                };
                let Some(found) = self.script().mailbox(&mailbox).cloned() else {
                    self.state = State::Authenticated;
                    return self.nonexistent(tag, &mailbox).await;
                };
                for line in select_lines(&found, read_only) {
                    self.conn.send_line(&line).await?;
                }
                self.state = State::Selected(found.name);
                self.tagged(tag, &format!("OK [{code}] {verb} completed."))
                    .await?;
            }
            Command::Status { mailbox, items } => {
                let Some(found) = self.script().mailbox(&mailbox) else {
                    return self.nonexistent(tag, &mailbox).await;
                };
                let line = status_line(found, &items);
                self.conn.send_line(&line).await?;
                self.tagged(tag, "OK Status completed.").await?;
            }
            Command::Namespace => {
                self.conn
                    .send_line("* NAMESPACE ((\"\" \"/\")) NIL NIL")
                    .await?;
                self.tagged(tag, "OK Namespace completed.").await?;
            }
            Command::Enable => {
                self.conn.send_line("* ENABLED").await?;
                self.tagged(tag, "OK Enabled.").await?;
            }
            Command::Idle => {
                self.conn.send_line("+ idling").await?;
                let line = self.conn.read_line().await?;
                if line.eq_ignore_ascii_case(b"DONE") {
                    self.tagged(tag, "OK Idle completed.").await?;
                } else {
                    self.tagged(tag, "BAD Expected DONE.").await?;
                }
            }
            Command::Close | Command::Unselect => {
                if matches!(self.state, State::Selected(_)) {
                    self.state = State::Authenticated;
                    self.tagged(tag, "OK Completed.").await?;
                } else {
                    self.tagged(tag, "BAD No mailbox selected.").await?;
                }
            }
            _ => self.tagged(tag, "BAD Unknown command.").await?,
        }
        Ok(())
    }

    async fn nonexistent(&mut self, tag: &str, mailbox: &str) -> Result<(), ReadError> {
        // The name may come from a literal: keep CR/LF out of the response line.
        let shown: String = mailbox
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        let text = format!("NO [NONEXISTENT] Mailbox doesn't exist: {shown}");
        self.tagged(tag, &text).await?;
        Ok(())
    }
}
