//! A real, private Dovecot on loopback for integration tests.
//!
//! [`Dovecot::start`] writes a configuration, a test PKI, a passwd-file and a maildir into a fresh
//! temporary directory and runs `dovecot -F -c <conf>` as a child process with two listeners of
//! its own: STARTTLS (`imap_port`) and implicit TLS (`imaps_port`). Every instance is independent
//! (own ports, base_dir, state_dir, log, CA), so tests may start one each and run in parallel.
//! Dropping the [`Dovecot`] stops the whole process group and removes the directory.
//!
//! Works as root (Dovecot drops privileges to its `dovecot`/`dovenull` system users, so the
//! directory is made world-traversable and the mail home is chowned to the mail user) and as an
//! ordinary user (every service, the login processes and the mail processes run as that user,
//! without chroot).
//!
//! The listeners bind 127.0.0.2, not 127.0.0.1: Dovecot treats a connection whose remote and
//! local addresses are equal as "secured" and then neither advertises LOGINDISABLED nor refuses
//! plaintext LOGIN before STARTTLS. Connecting to 127.0.0.2 from Linux comes from 127.0.0.1, so
//! Dovecot behaves as a real server would. (Where 127.0.0.2 is unusable the harness falls back to
//! 127.0.0.1 and [`Dovecot::login_disabled_before_tls`] is false.)

use std::fs;
use std::net::IpAddr;
use std::ops::Deref;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use super::loopback_server::{
    Endpoint, Identity, InstanceDir, Listeners, ServerProcess, StartFailure, TestPki, chown_tree,
    find_executable, installed_or_skip, loopback_host, start_attempts, start_lock, tail,
    wait_greetings, write_file,
};
use super::maildir;

/// The main test account.
pub const USER: &str = "doctor";
/// Its password: a canary that must never appear in imapdoctor's output. Non-ASCII on purpose
/// (LOGIN must send it as a literal or 8-bit quoted string; Dovecot accepts both).
pub const CANARY_PASSWORD: &str = "Canary-7f3a9c-pässword";
/// A second account whose password needs IMAP quoting (a space and double quotes).
pub const QUOTER_USER: &str = "quoter";
/// The quoting account's password (also a canary).
pub const QUOTER_PASSWORD: &str = "canary \"quoted\" 9d2b41e7";
/// Messages pre-loaded into each account's INBOX (one seen, one recent/unseen).
pub const INBOX_MESSAGES: usize = maildir::INBOX_MESSAGES;
/// Mailboxes besides INBOX, each created at first login with its SPECIAL-USE flag.
pub const SPECIAL_MAILBOXES: [(&str, &str); 3] = [
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
];

/// An existing mailbox besides the special-use ones.
pub const ARCHIVE: &str = "Archive";
/// An existing mailbox whose name needs modified UTF-7 (non-ASCII and a space).
pub const NON_ASCII_MAILBOX: &str = "Entwürfe 2026";

/// Set to `1` to make a missing Dovecot a test failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "IMAPDOCTOR_REQUIRE_DOVECOT";

/// The temp dir's name starts with this (in `$TMPDIR`).
const TEMP_PREFIX: &str = "imapdoctor-dovecot-";
/// How long Dovecot may take to answer on both ports.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts when a chosen port was taken before Dovecot could bind it.
const START_ATTEMPTS: usize = 5;
/// Folders besides INBOX and the special-use ones (which Dovecot creates at first login: `auto
/// = subscribe`), as Maildir++ directories named in modified UTF-7: [`ARCHIVE`] and
/// [`NON_ASCII_MAILBOX`] (`Entw&APw-rfe 2026` on the wire).
const EXTRA_MAILBOXES_ON_DISK: [&str; 2] = [".Archive", ".Entw&APw-rfe 2026"];

/// A running private Dovecot. Dropping it stops it and removes its directory. Derefs to its
/// [`Endpoint`] (`host`, `imaps_port`, `imap_port`, `ca_file`, `imaps_url()`, `imap_url()`).
pub struct Dovecot {
    /// Where it listens: implicit TLS, and plaintext offering STARTTLS (and LOGINDISABLED before
    /// it). The host is normally 127.0.0.2, see the module docs.
    pub endpoint: Endpoint,
    /// The main account ([`USER`]).
    pub user: String,
    /// Its password ([`CANARY_PASSWORD`]).
    pub password: String,
    /// The quoting account ([`QUOTER_USER`]).
    pub quoter_user: String,
    /// Its password ([`QUOTER_PASSWORD`]).
    pub quoter_password: String,
    /// Whether the plaintext port advertises LOGINDISABLED before STARTTLS (false only in the
    /// 127.0.0.1 fallback, where Dovecot considers loopback connections secured).
    pub login_disabled_before_tls: bool,
    /// The greeting text unique to this instance (`* OK [CAPABILITY …] <greeting>`).
    pub greeting: String,
    // Declared before `dir`: the processes stop (on drop) before the directory is removed.
    process: ServerProcess,
    dir: TempDir,
}

impl Deref for Dovecot {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl Dovecot {
    /// Starts a private Dovecot, or returns `None` (after printing "skipped: dovecot not
    /// installed (…)" to stderr) when it isn't installed. With `IMAPDOCTOR_REQUIRE_DOVECOT=1` its
    /// absence panics instead. Panics, with the tail of Dovecot's log, if it does not come up.
    ///
    /// Call it on the thread that owns the result (the test's own thread): on Linux Dovecot gets
    /// SIGTERM when the thread that started it exits, so a killed test run leaves nothing behind.
    pub fn start() -> Option<Dovecot> {
        Dovecot::start_with("")
    }

    /// As [`start`](Dovecot::start), with `extra` appended to the configuration (later settings
    /// win: a benchmark raises the per-user and per-service connection limits this way).
    pub fn start_with(extra: &str) -> Option<Dovecot> {
        let binary = installed_or_skip("dovecot", REQUIRE_ENV, find_dovecot())?;
        // As root, the mail processes run as the `dovecot` system user (created with Dovecot;
        // the mail uid must not be root, and first_valid_uid is lowered to admit it).
        let identity = Identity::current("dovecot");
        let loopback = loopback_host();
        let pki = TestPki::new(loopback.0);
        let _serial = start_lock();
        Some(start_attempts("Dovecot", START_ATTEMPTS, || {
            let mut dovecot = Dovecot::spawn(&binary, &identity, loopback, &pki, extra);
            match dovecot.wait_ready(&pki.tls) {
                Ok(()) => Ok(dovecot),
                Err(failure) => Err((failure, dovecot.diagnostics())),
            }
        }))
    }

    /// Writes a new instance's files and runs Dovecot (not yet waiting for it), listening on
    /// `loopback` as [`loopback_host`] chose it.
    fn spawn(
        binary: &Path,
        identity: &Identity,
        loopback: (IpAddr, bool),
        pki: &TestPki,
        extra: &str,
    ) -> Dovecot {
        let (host, login_disabled_before_tls) = loopback;
        let instance = InstanceDir::new(TEMP_PREFIX, host, pki);
        let root = instance.path();
        // Unique per instance (so a port taken over by another instance is never mistaken for
        // ours), and free of the account names (tests search output for them).
        let greeting = format!("Test server {} ready.", instance.suffix);
        write_file(
            &root.join("users"),
            &format!(
                "{USER}:{{PLAIN}}{CANARY_PASSWORD}\n{QUOTER_USER}:{{PLAIN}}{QUOTER_PASSWORD}\n"
            ),
            0o644,
        );
        for user in [USER, QUOTER_USER] {
            let maildir = root.join("mail").join(user).join("Maildir");
            maildir::write(&maildir, &EXTRA_MAILBOXES_ON_DISK);
        }
        if identity.root {
            // Dovecot's unprivileged processes (auth as `dovecot`, the mail processes as the
            // mail user) must traverse the directory and read the passwd-file.
            fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
            chown_tree(&root.join("mail"), identity.uid, identity.gid);
        }
        let endpoint = instance.endpoint;
        let conf = root.join("dovecot.conf");
        let text = config(&root, &endpoint, &greeting, identity) + extra;
        fs::write(&conf, text).unwrap();
        Dovecot {
            endpoint,
            user: USER.to_string(),
            password: CANARY_PASSWORD.to_string(),
            quoter_user: QUOTER_USER.to_string(),
            quoter_password: QUOTER_PASSWORD.to_string(),
            login_disabled_before_tls,
            greeting,
            process: spawn(binary, &conf, &root),
            dir: instance.dir,
        }
    }

    /// The instance's temporary directory (config, certificates, `mail/<user>/Maildir`, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Dovecot's log so far (logins, auth failures, errors): handy in assertion messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir().join("dovecot.log")).unwrap_or_default()
    }

    /// Dovecot's stderr and the tail of its log, for panic messages.
    fn diagnostics(&self) -> String {
        diagnostics(self.dir())
    }

    /// Polls both ports until each greets with this instance's greeting (the imaps one after a
    /// handshake that trusts only the test CA).
    fn wait_ready(&mut self, tls: &Arc<rustls::ClientConfig>) -> Result<(), StartFailure> {
        let listeners = Listeners {
            endpoint: &self.endpoint,
            tls: Some(tls),
            greeting: &self.greeting,
            timeout: READY_TIMEOUT,
        };
        let processes = &mut [("dovecot", &mut self.process)];
        wait_greetings(processes, &listeners, || diagnostics(self.dir.path()))
    }
}

/// Dovecot's stderr and the tail of its log in `dir`.
fn diagnostics(dir: &Path) -> String {
    let stderr = fs::read_to_string(dir.join("dovecot.stderr")).unwrap_or_default();
    let log = fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default();
    let tail = tail(&log, 40);
    format!("--- dovecot stderr ---\n{stderr}\n--- dovecot.log (tail) ---\n{tail}")
}

/// The Dovecot configuration (a complete one: `/etc/dovecot` is never read).
fn config(root: &Path, endpoint: &Endpoint, greeting: &str, identity: &Identity) -> String {
    let mut conf = String::from(
        r#"# A private Dovecot for imapdoctor's integration tests (tests/support/dovecot.rs).
instance_name = imapdoctor-test
base_dir = @ROOT@/run
state_dir = @ROOT@/state
log_path = @ROOT@/dovecot.log
login_greeting = @GREETING@
listen = @HOST@
protocols = imap

ssl = yes
ssl_cert = <@ROOT@/server-chain.pem
ssl_key = <@ROOT@/server-key.pem
# No ssl_dh: the key is ECDSA and Dovecot 2.3 negotiates ECDHE; DHE suites are simply unused.

# Like real servers: no plaintext auth before STARTTLS (LOGINDISABLED in the greeting).
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Dovecot normally waits 2 s before answering a failed login; keep the behaviour, skip the wait
# so wrong-password tests are fast. (Failures are still answered on a 0.5 s tick, and after one
# the same instance may delay the next login from 127.0.0.1 by its auth penalty, seconds: give a
# test that logs in after a failure its own instance.)
auth_failure_delay = 0s
# Logs "password mismatch" and the like (never the password itself).
auth_verbose = yes

passdb {
  driver = passwd-file
  args = @ROOT@/users
}
userdb {
  driver = static
  args = uid=@UID@ gid=@GID@ home=@ROOT@/mail/%u
}
first_valid_uid = @UID@
first_valid_gid = @GID@
mail_location = maildir:~/Maildir

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}

# Pre-started login processes, as busy production servers run ("high-performance mode"): without
# them Dovecot forks imap-login per connection, ~10 ms the benchmark would count against us.
service imap-login {
  process_min_avail = 2
  inet_listener imap {
    address = @HOST@
    port = @IMAP_PORT@
  }
  inet_listener imaps {
    address = @HOST@
    port = @IMAPS_PORT@
    ssl = yes
  }
}
"#,
    );
    if !identity.root {
        // Not root: every process runs as the current user, and nothing can chroot.
        let (user, group) = (&identity.user, &identity.group);
        conf.push_str(&format!(
            r#"
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
service imap-login {{
  chroot =
}}
service anvil {{
  chroot =
}}
service auth-worker {{
  user = $default_internal_user
}}
"#
        ));
    }
    conf.replace("@ROOT@", &root.display().to_string())
        .replace("@HOST@", &endpoint.host.to_string())
        .replace("@GREETING@", greeting)
        .replace("@IMAP_PORT@", &endpoint.imap_port.to_string())
        .replace("@IMAPS_PORT@", &endpoint.imaps_port.to_string())
        .replace("@UID@", &identity.uid.to_string())
        .replace("@GID@", &identity.gid.to_string())
}

/// Runs `dovecot -F -c <conf>` in its own process group, output to files in `root`.
fn spawn(binary: &Path, conf: &Path, root: &Path) -> ServerProcess {
    let mut command = Command::new(binary);
    command
        .arg("-F")
        .arg("-c")
        .arg(conf)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    ServerProcess::spawn(command, root, "dovecot")
}

/// `dovecot` on PATH or in the usual sbin directories (not on an ordinary user's PATH).
fn find_dovecot() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let sbin = ["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from);
    find_executable("dovecot", std::env::split_paths(&path).chain(sbin))
        .ok_or_else(|| "no dovecot on PATH or in /usr/sbin, /usr/local/sbin, /sbin".to_string())
}
