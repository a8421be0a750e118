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

use std::ffi::{CStr, c_char, c_int};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use imapdoctor::demo::pki::{LeafSpec, TestCa};
use rustls::pki_types::ServerName;
use tempfile::TempDir;

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
pub const INBOX_MESSAGES: usize = 2;
/// Mailboxes besides INBOX, each created at first login with its SPECIAL-USE flag.
pub const SPECIAL_MAILBOXES: [(&str, &str); 3] = [
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
];

/// Set to `1` to make a missing Dovecot a test failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "IMAPDOCTOR_REQUIRE_DOVECOT";

/// The temp dir's name starts with this (in `$TMPDIR`).
const TEMP_PREFIX: &str = "imapdoctor-dovecot-";
/// How long Dovecot may take to answer on both ports.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts when a chosen port was taken before Dovecot could bind it.
const START_ATTEMPTS: usize = 5;
/// How long a SIGTERMed Dovecot may take before the process group is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Serializes "pick free ports → spawn → wait until bound" within this test binary, so parallel
/// tests never hand the same free port to two instances (other processes are covered by retries).
static START_LOCK: Mutex<()> = Mutex::new(());

/// A running private Dovecot. Dropping it stops it and removes its directory.
pub struct Dovecot {
    /// The loopback address both listeners bind (normally 127.0.0.2, see the module docs).
    pub host: IpAddr,
    /// Implicit TLS listener.
    pub imaps_port: u16,
    /// Plaintext listener offering STARTTLS (and LOGINDISABLED before it).
    pub imap_port: u16,
    /// The test CA certificate, PEM (for `--ca-file`). The server certificate is valid for
    /// `localhost`, 127.0.0.1 and [`Dovecot::host`].
    pub ca_file: PathBuf,
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
    child: Child,
    // Dropped after `Drop::drop` has stopped the processes.
    dir: TempDir,
}

/// Why an attempt to start did not produce a ready server.
enum StartFailure {
    /// A port was taken between choosing it and Dovecot binding it: try other ports.
    PortTaken,
    /// Anything else: give up with this message.
    Fatal(String),
}

impl Dovecot {
    /// Starts a private Dovecot, or returns `None` (after printing "skipped: dovecot not
    /// installed" to stderr) when it isn't installed. With `IMAPDOCTOR_REQUIRE_DOVECOT=1` its
    /// absence panics instead. Panics, with the tail of Dovecot's log, if it does not come up.
    ///
    /// Call it on the thread that owns the result (the test's own thread): on Linux Dovecot gets
    /// SIGTERM when the thread that started it exits, so a killed test run leaves nothing behind.
    pub fn start() -> Option<Dovecot> {
        let Some(binary) = find_dovecot() else {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                panic!("dovecot not installed (needed because {REQUIRE_ENV}=1)");
            }
            eprintln!("skipped: dovecot not installed");
            return None;
        };
        let identity = Identity::current();
        let (host, login_disabled_before_tls) = loopback_host();

        let ca = TestCa::new("imapdoctor test CA");
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        if host != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            names.push(host.to_string());
        }
        let leaf = ca.issue(&LeafSpec::valid_for(names));
        let tls = Arc::new(client_config(&ca));

        let _serial = START_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempdir()
                .expect("creating the Dovecot temp dir");
            let root = dir.path().to_path_buf();
            // Unique per instance (so a port taken over by another instance is never mistaken
            // for ours), and free of the account names (tests search output for them).
            let name = root.file_name().unwrap().to_string_lossy();
            let greeting = format!(
                "Test server {} ready.",
                name.trim_start_matches(TEMP_PREFIX)
            );
            let ca_file = root.join("ca.pem");
            fs::write(&ca_file, &ca.cert_pem).unwrap();
            write_file(&root.join("server-chain.pem"), &leaf.chain_pem(), 0o644);
            write_file(&root.join("server-key.pem"), &leaf.key_pem, 0o600);
            write_file(
                &root.join("users"),
                &format!(
                    "{USER}:{{PLAIN}}{CANARY_PASSWORD}\n{QUOTER_USER}:{{PLAIN}}{QUOTER_PASSWORD}\n"
                ),
                0o644,
            );
            for user in [USER, QUOTER_USER] {
                write_maildir(&root.join("mail").join(user));
            }
            if identity.root {
                // Dovecot's unprivileged processes (auth as `dovecot`, the mail processes as the
                // mail user) must traverse the directory and read the passwd-file.
                fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
                chown_tree(&root.join("mail"), identity.mail_uid, identity.mail_gid);
            }

            let (imap_port, imaps_port) = free_ports(host);
            let conf = root.join("dovecot.conf");
            fs::write(
                &conf,
                config(&root, host, imap_port, imaps_port, &greeting, &identity),
            )
            .unwrap();

            let child = spawn(&binary, &conf, &root);
            let mut dovecot = Dovecot {
                host,
                imaps_port,
                imap_port,
                ca_file,
                user: USER.to_string(),
                password: CANARY_PASSWORD.to_string(),
                quoter_user: QUOTER_USER.to_string(),
                quoter_password: QUOTER_PASSWORD.to_string(),
                login_disabled_before_tls,
                greeting,
                child,
                dir,
            };
            match dovecot.wait_ready(&tls) {
                Ok(()) => return Some(dovecot),
                Err(StartFailure::PortTaken) => last = dovecot.diagnostics(),
                Err(StartFailure::Fatal(why)) => {
                    panic!("Dovecot did not start: {why}\n{}", dovecot.diagnostics())
                }
            }
        }
        panic!("Dovecot could not bind free ports in {START_ATTEMPTS} attempts\n{last}");
    }

    /// `imaps://HOST:PORT` for the implicit TLS listener.
    pub fn imaps_url(&self) -> String {
        format!("imaps://{}:{}", self.host, self.imaps_port)
    }

    /// `imap://HOST:PORT` for the STARTTLS listener.
    pub fn imap_url(&self) -> String {
        format!("imap://{}:{}", self.host, self.imap_port)
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
        let stderr = fs::read_to_string(self.dir().join("dovecot.stderr")).unwrap_or_default();
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!("--- dovecot stderr ---\n{stderr}\n--- dovecot.log (tail) ---\n{tail}")
    }

    /// Polls both ports until each greets with this instance's greeting (the imaps one after a
    /// handshake that trusts only the test CA).
    fn wait_ready(&mut self, tls: &Arc<rustls::ClientConfig>) -> Result<(), StartFailure> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let (mut plain_ok, mut tls_ok) = (false, false);
        let mut last_error = String::from("no attempt yet");
        loop {
            if let Some(status) = self.child.try_wait().expect("polling the Dovecot process") {
                let text = self.diagnostics();
                return Err(if text.contains("Address already in use") {
                    StartFailure::PortTaken
                } else {
                    StartFailure::Fatal(format!("dovecot exited early ({status})"))
                });
            }
            let ours = |line: &str| line.starts_with("* OK") && line.contains(&self.greeting);
            if !plain_ok {
                match greeting_plain(SocketAddr::new(self.host, self.imap_port)) {
                    Ok(line) if ours(&line) => plain_ok = true,
                    Ok(line) => last_error = format!("imap port greeted {line:?}"),
                    Err(e) => last_error = format!("imap port: {e}"),
                }
            }
            if plain_ok && !tls_ok {
                match greeting_tls(SocketAddr::new(self.host, self.imaps_port), tls) {
                    Ok(line) if ours(&line) => tls_ok = true,
                    Ok(line) => last_error = format!("imaps port greeted {line:?}"),
                    Err(e) => last_error = format!("imaps port: {e}"),
                }
            }
            if plain_ok && tls_ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(StartFailure::Fatal(format!(
                    "not ready after {READY_TIMEOUT:?} (last: {last_error})"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // `dovecot -F` leads its own process group (see `spawn`): SIGTERM the master and all its
        // children at once, then SIGKILL whatever is left.
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: plain syscalls on a process group this harness created.
        unsafe { libc::killpg(pgid, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_GRACE;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        // SAFETY: as above; ESRCH (nothing left) is fine.
        unsafe { libc::killpg(pgid, libc::SIGKILL) };
        // `dir` (a TempDir) is removed when the fields drop, right after this.
    }
}

/// Who Dovecot's processes run as.
struct Identity {
    root: bool,
    /// `default_internal_user`, `default_internal_group`, `default_login_user` (None: Dovecot's
    /// defaults `dovecot`/`dovecot`/`dovenull`).
    internal: Option<(String, String, String)>,
    mail_uid: u32,
    mail_gid: u32,
}

impl Identity {
    fn current() -> Identity {
        // SAFETY: geteuid/getegid cannot fail.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        if euid == 0 {
            // The mail processes run as the `dovecot` system user (created with Dovecot; the
            // mail uid must not be root, and first_valid_uid is lowered to admit it).
            let (_, uid, gid) = passwd_by_name("dovecot")
                .expect("the `dovecot` system user (created by the dovecot-core package)");
            Identity {
                root: true,
                internal: None,
                mail_uid: uid,
                mail_gid: gid,
            }
        } else {
            let (user, _, _) = passwd_by_uid(euid)
                .unwrap_or_else(|| panic!("uid {euid} has no passwd entry (Dovecot needs a name)"));
            let group = group_name(egid)
                .unwrap_or_else(|| panic!("gid {egid} has no group entry (Dovecot needs a name)"));
            Identity {
                root: false,
                internal: Some((user.clone(), group, user)),
                mail_uid: euid,
                mail_gid: egid,
            }
        }
    }
}

/// The Dovecot configuration (a complete one: `/etc/dovecot` is never read).
fn config(
    root: &Path,
    host: IpAddr,
    imap_port: u16,
    imaps_port: u16,
    greeting: &str,
    identity: &Identity,
) -> String {
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
    if let Some((user, group, login)) = &identity.internal {
        // Not root: every process runs as the current user, and nothing can chroot.
        conf.push_str(&format!(
            r#"
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login}
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
        .replace("@HOST@", &host.to_string())
        .replace("@GREETING@", greeting)
        .replace("@IMAP_PORT@", &imap_port.to_string())
        .replace("@IMAPS_PORT@", &imaps_port.to_string())
        .replace("@UID@", &identity.mail_uid.to_string())
        .replace("@GID@", &identity.mail_gid.to_string())
}

/// Runs `dovecot -F -c <conf>` in its own process group, output to files in `root`.
fn spawn(binary: &Path, conf: &Path, root: &Path) -> Child {
    let stdout = File::create(root.join("dovecot.stdout")).unwrap();
    let stderr = File::create(root.join("dovecot.stderr")).unwrap();
    let mut command = Command::new(binary);
    command
        .arg("-F")
        .arg("-c")
        .arg(conf)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe; this runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", binary.display()))
}

/// `dovecot` on PATH or in the usual sbin directories (not on an ordinary user's PATH).
fn find_dovecot() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("dovecot"))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// 127.0.0.2 if a client connecting to it arrives from another address (Linux: from 127.0.0.1),
/// else 127.0.0.1. The flag says whether Dovecot will see the connection as not "secured".
fn loopback_host() -> (IpAddr, bool) {
    let alt = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let distinct = (|| -> io::Result<bool> {
        let listener = TcpListener::bind((alt, 0))?;
        let client = TcpStream::connect_timeout(&listener.local_addr()?, Duration::from_secs(1))?;
        Ok(client.local_addr()?.ip() != alt)
    })()
    .unwrap_or(false);
    if distinct {
        (alt, true)
    } else {
        (IpAddr::V4(Ipv4Addr::LOCALHOST), false)
    }
}

/// Two distinct ports free on `host` right now (both probes are held until both are chosen).
fn free_ports(host: IpAddr) -> (u16, u16) {
    let a = TcpListener::bind((host, 0)).expect("binding a free port");
    let b = TcpListener::bind((host, 0)).expect("binding a free port");
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

fn greeting_plain(addr: SocketAddr) -> io::Result<String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line)
}

fn greeting_tls(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> io::Result<String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let connection = rustls::ClientConnection::new(config.clone(), ServerName::from(addr.ip()))
        .map_err(io::Error::other)?;
    let mut line = String::new();
    BufReader::new(rustls::StreamOwned::new(connection, stream)).read_line(&mut line)?;
    Ok(line)
}

/// A rustls client trusting only the test CA.
fn client_config(ca: &TestCa) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der.clone()).expect("the test CA");
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

fn write_file(path: &Path, contents: &str, mode: u32) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `<home>/Maildir` with [`INBOX_MESSAGES`] messages (the special-use folders are created by
/// Dovecot at first login: `auto = subscribe`).
fn write_maildir(home: &Path) {
    let maildir = home.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let message = |subject: &str, date: &str| {
        format!(
            "From: Alice <alice@example.test>\nTo: Doctor <doctor@example.test>\n\
             Subject: {subject}\nDate: {date}\nMessage-ID: <{}@example.test>\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n\
             This message was put here by imapdoctor's test harness.\n",
            subject.to_lowercase().replace(' ', "-"),
        )
    };
    fs::write(
        maildir.join("cur/1700000000.M1P1.imapdoctor-test:2,S"),
        message("Welcome", "Tue, 14 Nov 2023 22:13:20 +0000"),
    )
    .unwrap();
    fs::write(
        maildir.join("new/1700000100.M2P1.imapdoctor-test"),
        message("Second message", "Tue, 14 Nov 2023 22:15:00 +0000"),
    )
    .unwrap();
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid, gid);
        }
    }
}

/// (name, uid, gid) of a user, via the reentrant NSS lookups (tests run on many threads).
fn passwd_by_uid(uid: u32) -> Option<(String, u32, u32)> {
    // SAFETY: the callback passes valid buffers of the stated length.
    passwd_lookup(|pwd, buf, len, result| unsafe { libc::getpwuid_r(uid, pwd, buf, len, result) })
}

fn passwd_by_name(name: &str) -> Option<(String, u32, u32)> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: as above; `name` is NUL-terminated and outlives the call.
    passwd_lookup(|pwd, buf, len, result| unsafe {
        libc::getpwnam_r(name.as_ptr(), pwd, buf, len, result)
    })
}

fn passwd_lookup(
    lookup: impl FnOnce(*mut libc::passwd, *mut c_char, usize, *mut *mut libc::passwd) -> c_int,
) -> Option<(String, u32, u32)> {
    // SAFETY: an all-zero passwd is a valid out-parameter.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as c_char; 16 * 1024];
    let mut result = std::ptr::null_mut();
    if lookup(&mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) != 0 || result.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points into `buf`, NUL-terminated.
    let name = unsafe { CStr::from_ptr(pwd.pw_name) };
    Some((name.to_string_lossy().into_owned(), pwd.pw_uid, pwd.pw_gid))
}

fn group_name(gid: u32) -> Option<String> {
    // SAFETY: as for passwd_lookup.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as c_char; 16 * 1024];
    let mut result = std::ptr::null_mut();
    // SAFETY: valid buffers of the stated length.
    let rc = unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() {
        return None;
    }
    // SAFETY: on success gr_name points into `buf`, NUL-terminated.
    Some(
        unsafe { CStr::from_ptr(grp.gr_name) }
            .to_string_lossy()
            .into_owned(),
    )
}
