//! A real, private Cyrus IMAP (3.6, Debian's `cyrus-imapd`) on loopback for integration tests.
//!
//! Cyrus conflicts with Dovecot as Debian's `imap-server`, so it is not installed: `.ci/install-
//! cyrus` unpacks the `cyrus-common` and `cyrus-imapd` packages into
//! `$IMAPDOCTOR_SERVERS_DIR/cyrus` (default `/var/cache/imapdoctor/servers/cyrus`) and installs
//! only their libraries and Cyrus SASL (`saslpasswd2`, the PLAIN/LOGIN and sasldb modules).
//!
//! [`Cyrus::start`] writes `imapd.conf` and `cyrus.conf`, a test PKI and a sasldb (made with
//! `saslpasswd2 -f`, the password on its stdin) into a fresh temporary directory, runs `master
//! -C imapd.conf -M cyrus.conf` as a child process with two listeners on 127.0.0.2 (plaintext
//! with STARTTLS, `imap_port`; implicit TLS, `imaps_port`; why 127.0.0.2: see
//! [`loopback_host`]), then logs in as its administrator and creates the account's mailboxes
//! (INBOX with [`INBOX_MESSAGES`] messages, and [`UNICODE_MAILBOX`], stored in modified UTF-7).
//! Like real servers it has `allowplaintext: no` (LOGINDISABLED before STARTTLS) and the default
//! `failedloginpause` of 3 s. Every instance is independent (own ports, configdirectory, spool,
//! sasldb, CA), so tests may start one each and run in parallel. Dropping the [`Cyrus`] stops the
//! whole process group and removes the directory.
//!
//! As root, master and imapd drop privileges to the `cyrus` system user (created by the install
//! script) and the directory is chowned to it; as an ordinary user everything runs as that user
//! (`cyrus_user` is set to it).
//!
//! Logging: Cyrus logs only through syslog(3), i.e. to `/dev/log`; glibc has no way to point one
//! process elsewhere, and Cyrus has no log-file option (`syslog_prefix` only renames the ident:
//! it is set to `imapdoctor-test` so a system log can tell these instances apart). Without
//! `/dev/log` the messages are dropped and Cyrus works all the same. [`Cyrus::log`] shows what
//! the instance does keep: master's stdout/stderr and the protocol telemetry Cyrus writes for
//! the test account after login (`<configdirectory>/log/doctor/<pid>`).

use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use super::imap_session::{ImapSession, login_literal};
use super::loopback_server::{
    Endpoint, Identity, InstanceDir, Listeners, ServerProcess, StartFailure, TestPki, chown_tree,
    find_executable, installed_or_skip, loopback_host, start_attempts, start_lock, tail,
    wait_greetings, write_file,
};

/// The test account.
pub const USER: &str = "doctor";
/// Its password: a canary that must never appear in imapdoctor's output (non-ASCII on purpose).
pub const CANARY_PASSWORD: &str = "Canary-5c81e0-pässword";
/// An existing mailbox whose name has a non-ASCII character and a space; on the wire (and in
/// Cyrus's mailboxes.db) it is [`UNICODE_MAILBOX_MUTF7`].
pub const UNICODE_MAILBOX: &str = "Entwürfe 2026";
/// [`UNICODE_MAILBOX`] in modified UTF-7 (RFC 3501 section 5.1.3).
pub const UNICODE_MAILBOX_MUTF7: &str = "Entw&APw-rfe 2026";
/// Messages put into the account's INBOX.
pub const INBOX_MESSAGES: usize = 2;

/// Set to `1` to make a missing Cyrus a test failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "IMAPDOCTOR_REQUIRE_CYRUS";
/// Overrides `/var/cache/imapdoctor/servers`, the parent of the unpacked `cyrus` directory.
pub const SERVERS_DIR_ENV: &str = "IMAPDOCTOR_SERVERS_DIR";

/// The administrator the harness provisions with (never used by the tests' imapdoctor runs).
const ADMIN: &str = "cyrusadmin";
const ADMIN_PASSWORD: &str = "admin-e41b07";
/// The temp dir's name starts with this (in `$TMPDIR`).
const TEMP_PREFIX: &str = "imapdoctor-cyrus-";
/// How long Cyrus may take to answer on both ports.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts when a chosen port was taken before Cyrus could bind it.
const START_ATTEMPTS: usize = 3;

/// How to misconfigure an instance for the failure-mode tests. `Default` is a healthy server.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Authenticate through saslauthd (`sasl_pwcheck_method: saslauthd`) at a socket nothing
    /// listens on: the authentication backend is down. No mailboxes are created (nobody can log
    /// in, the administrator included).
    pub auth_backend_down: bool,
    /// `maxlogins_per_host`: logged-in sessions allowed per client address (unset: no limit).
    pub max_logins_per_host: Option<u32>,
}

/// A running private Cyrus. Dropping it stops it and removes its directory. Derefs to its
/// [`Endpoint`] (`host`, `imaps_port`, `imap_port`, `ca_file`, `imaps_url()`, `imap_url()`).
pub struct Cyrus {
    /// Where it listens: implicit TLS (`imapd -s`) and plaintext with STARTTLS (and
    /// LOGINDISABLED before it).
    pub endpoint: Endpoint,
    /// The account ([`USER`]).
    pub user: String,
    /// Its password ([`CANARY_PASSWORD`]).
    pub password: String,
    /// The instance's `servername`, unique to it; the greeting is `* OK [CAPABILITY …]
    /// <servername> Cyrus IMAP <version> server ready`.
    pub greeting: String,
    tls: Arc<rustls::ClientConfig>,
    // Declared before `dir`: the processes stop (on drop) before the directory is removed.
    process: ServerProcess,
    dir: TempDir,
}

impl Deref for Cyrus {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

/// Where the unpacked packages are, and the programs the harness runs.
struct Installation {
    master: PathBuf,
    imapd: PathBuf,
    ctl_cyrusdb: PathBuf,
    /// The directory holding `libcyrus*.so.0` (for LD_LIBRARY_PATH: nothing else finds them).
    libdir: PathBuf,
    saslpasswd2: PathBuf,
}

impl Cyrus {
    /// Starts a healthy private Cyrus, or returns `None` (after printing "skipped: cyrus not
    /// installed (…)" to stderr) when it isn't installed. With `IMAPDOCTOR_REQUIRE_CYRUS=1` its
    /// absence panics instead. Panics, with Cyrus's output, if it does not come up.
    ///
    /// Call it on the thread that owns the result (the test's own thread): on Linux Cyrus gets
    /// SIGTERM when the thread that started it exits, so a killed test run leaves nothing behind.
    pub fn start() -> Option<Cyrus> {
        Cyrus::start_with(Options::default())
    }

    /// As [`Cyrus::start`], configured by `options`.
    pub fn start_with(options: Options) -> Option<Cyrus> {
        let installation = installed_or_skip("cyrus", REQUIRE_ENV, Installation::find())?;
        let identity = Identity::current("cyrus");
        let (host, _) = loopback_host();
        let pki = TestPki::new(host);
        let _serial = start_lock();
        Some(start_attempts("Cyrus", START_ATTEMPTS, || {
            let (ready, cyrus) = Cyrus::spawn(&installation, &identity, &options, host, &pki);
            let provisioned = ready.and_then(|()| match options.auth_backend_down {
                true => Ok(()),
                false => cyrus
                    .provision()
                    .map_err(|e| StartFailure::Fatal(format!("provisioning Cyrus: {e}"))),
            });
            match provisioned {
                Ok(()) => Ok(cyrus),
                Err(failure) => Err((failure, cyrus.log())),
            }
        }))
    }

    /// Writes a new instance's files, runs master and waits for both listeners.
    fn spawn(
        installation: &Installation,
        identity: &Identity,
        options: &Options,
        host: IpAddr,
        pki: &TestPki,
    ) -> (Result<(), StartFailure>, Cyrus) {
        let instance = InstanceDir::new(TEMP_PREFIX, host, pki);
        let root = instance.path();
        // Unique per instance, free of the account name (tests search output for it), and in
        // lower case: the SASL realm (the servername) is matched case-sensitively.
        let servername = format!("cyrus-{}.test", instance.suffix.to_ascii_lowercase());
        for sub in ["conf/msg", "conf/log/doctor", "spool", "saslauthd"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        let sasldb = root.join("sasldb2");
        for (user, password) in [(USER, CANARY_PASSWORD), (ADMIN, ADMIN_PASSWORD)] {
            saslpasswd(
                &installation.saslpasswd2,
                &sasldb,
                &servername,
                user,
                password,
            );
        }
        let conf = root.join("imapd.conf");
        fs::write(&conf, imapd_conf(&root, &servername, identity, options)).unwrap();
        let master_conf = root.join("cyrus.conf");
        let endpoint = instance.endpoint;
        fs::write(&master_conf, cyrus_conf(installation, &conf, &endpoint)).unwrap();
        if identity.root {
            chown_tree(&root, identity.uid, identity.gid);
        }
        let process = spawn(installation, &conf, &master_conf, &root);
        let mut cyrus = Cyrus {
            endpoint,
            user: USER.to_string(),
            password: CANARY_PASSWORD.to_string(),
            greeting: servername,
            tls: pki.tls.clone(),
            process,
            dir: instance.dir,
        };
        (cyrus.wait_ready(), cyrus)
    }

    /// The instance's temporary directory (configs, certificates, `conf/`, `spool/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Master's output and the account's session telemetry so far: for assertion messages.
    pub fn log(&self) -> String {
        log_in(self.dir())
    }

    /// Puts Cyrus into maintenance: writes `<configdirectory>/msg/shutdown`, whose first line
    /// imapd sends as `* BYE [ALERT] <text>` to every logged-in non-admin session.
    pub fn set_shutdown_message(&self, text: &str) {
        let path = self.dir().join("conf/msg/shutdown");
        write_file(&path, &format!("{text}\n"), 0o644);
    }

    /// A new implicit TLS session (greeting read), trusting only the test CA.
    pub fn tls_session(&self) -> io::Result<ImapSession> {
        ImapSession::tls(SocketAddr::new(self.host, self.imaps_port), &self.tls)
    }

    /// A new implicit TLS session logged in as [`USER`].
    pub fn logged_in_session(&self) -> io::Result<ImapSession> {
        let mut session = self.tls_session()?;
        session.ok(&login_literal(&self.user, &self.password))?;
        Ok(session)
    }

    fn wait_ready(&mut self) -> Result<(), StartFailure> {
        let listeners = Listeners {
            endpoint: &self.endpoint,
            tls: Some(&self.tls),
            greeting: &self.greeting,
            timeout: READY_TIMEOUT,
        };
        // master logs bind failures only to syslog and keeps running without the service: a
        // port taken by another server shows as that server's greeting.
        let processes = &mut [("master", &mut self.process)];
        match wait_greetings(processes, &listeners, || log_in(self.dir.path())) {
            Err(StartFailure::Fatal(why)) if why.contains("greeted") => {
                Err(StartFailure::PortTaken)
            }
            other => other,
        }
    }

    /// As the administrator: the account's INBOX with messages, and [`UNICODE_MAILBOX`].
    fn provision(&self) -> io::Result<()> {
        let mut admin = self.tls_session()?;
        admin.ok(&login_literal(ADMIN, ADMIN_PASSWORD))?;
        let inbox = format!("user/{USER}");
        admin.ok(format!("CREATE {inbox}").as_bytes())?;
        admin.ok(format!("CREATE \"{inbox}/{UNICODE_MAILBOX_MUTF7}\"").as_bytes())?;
        // Administrators hold only the `a` right on users' mailboxes: grant insert to append.
        admin.ok(format!("SETACL {inbox} {ADMIN} lrsi").as_bytes())?;
        for (n, subject) in ["Welcome", "Second message"].iter().enumerate() {
            let message = format!(
                "From: Alice <alice@example.test>\r\nTo: Doctor <{USER}@example.test>\r\n\
                 Subject: {subject}\r\nDate: Tue, 14 Nov 2023 22:1{n}:00 +0000\r\n\
                 Message-ID: <m{n}@example.test>\r\n\r\n\
                 This message was put here by imapdoctor's test harness.\r\n"
            );
            let flags = if n == 0 { "(\\Seen) " } else { "" };
            let mut append = format!("APPEND {inbox} {flags}{{{}+}}\r\n", message.len());
            append.push_str(&message);
            admin.ok(append.as_bytes())?;
        }
        admin.ok(format!("DELETEACL {inbox} {ADMIN}").as_bytes())?;
        admin.ok(b"LOGOUT")?;
        Ok(())
    }
}

impl Installation {
    /// The unpacked packages and saslpasswd2, or why they are not usable.
    fn find() -> Result<Installation, String> {
        let servers = std::env::var_os(SERVERS_DIR_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/imapdoctor/servers"));
        let cache = servers.join("cyrus");
        let hint = "run .ci/install-cyrus as root";
        let bin = cache.join("usr/lib/cyrus/bin");
        let program = |name: &str| {
            find_executable(name, [bin.clone()])
                .ok_or_else(|| format!("no {}; {hint}", bin.join(name).display()))
        };
        let (master, imapd, ctl_cyrusdb) = (
            program("master")?,
            program("imapd")?,
            program("ctl_cyrusdb")?,
        );
        let libdir = fs::read_dir(cache.join("usr/lib"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .find(|dir| dir.join("libcyrus.so.0").exists())
            .ok_or_else(|| format!("no libcyrus.so.0 in {}; {hint}", cache.display()))?;
        let path = std::env::var_os("PATH").unwrap_or_default();
        let sbin = ["/usr/sbin", "/sbin"].map(PathBuf::from);
        let saslpasswd2 = find_executable("saslpasswd2", std::env::split_paths(&path).chain(sbin))
            .ok_or_else(|| format!("no saslpasswd2 (package sasl2-bin); {hint}"))?;
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } == 0
            && super::loopback_server::passwd_by_name("cyrus").is_none()
        {
            return Err(format!("no `cyrus` system user; {hint}"));
        }
        Ok(Installation {
            master,
            imapd,
            ctl_cyrusdb,
            libdir,
            saslpasswd2,
        })
    }
}

/// Adds `user@realm` to the sasldb at `db` (created if missing), the password on stdin.
fn saslpasswd(program: &Path, db: &Path, realm: &str, user: &str, password: &str) {
    let mut child = Command::new(program)
        .args(["-p", "-c", "-f"])
        .arg(db)
        .args(["-u", realm, user])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    // `-p`: the password is the whole of stdin, no newline.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(password.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "saslpasswd2 for {user}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `imapd.conf`, read by master, ctl_cyrusdb and imapd (`/etc/imapd.conf` is never read).
fn imapd_conf(root: &Path, servername: &str, identity: &Identity, options: &Options) -> String {
    let mut conf = format!(
        "# A private Cyrus for imapdoctor's integration tests (tests/support/cyrus.rs).
configdirectory: @ROOT@/conf
defaultpartition: default
partition-default: @ROOT@/spool
servername: {servername}
cyrus_user: {user}
cyrus_group: {group}
syslog_prefix: imapdoctor-test
admins: {ADMIN}
# Like real servers: no plaintext login before STARTTLS (LOGINDISABLED in the greeting).
allowplaintext: no
tls_server_cert: @ROOT@/server-chain.pem
tls_server_key: @ROOT@/server-key.pem
sasl_mech_list: PLAIN LOGIN
",
        user = identity.user,
        group = identity.group,
    );
    if options.auth_backend_down {
        conf.push_str(
            "# The authentication backend is down: nothing listens on this socket.
sasl_pwcheck_method: saslauthd
sasl_saslauthd_path: @ROOT@/saslauthd/mux
",
        );
    } else {
        conf.push_str(
            "sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: @ROOT@/sasldb2
",
        );
    }
    if let Some(max) = options.max_logins_per_host {
        conf.push_str(&format!("maxlogins_per_host: {max}\n"));
    }
    conf.replace("@ROOT@", &root.display().to_string())
}

/// `cyrus.conf`, master's services: database recovery at start, then the two listeners.
fn cyrus_conf(installation: &Installation, conf: &Path, endpoint: &Endpoint) -> String {
    let (imapd, ctl, conf) = (
        installation.imapd.display(),
        installation.ctl_cyrusdb.display(),
        conf.display(),
    );
    format!(
        "# A private Cyrus for imapdoctor's integration tests (tests/support/cyrus.rs).
START {{
  recover cmd=\"{ctl} -C {conf} -r\"
}}
SERVICES {{
  imap  cmd=\"{imapd} -C {conf}\" listen=\"{host}:{imap}\" prefork=0
  imaps cmd=\"{imapd} -s -C {conf}\" listen=\"{host}:{imaps}\" prefork=0
}}
EVENTS {{
}}
",
        host = endpoint.host,
        imap = endpoint.imap_port,
        imaps = endpoint.imaps_port,
    )
}

/// Runs `master -C imapd.conf -M cyrus.conf` in its own process group, output to files in
/// `root`.
fn spawn(
    installation: &Installation,
    conf: &Path,
    master_conf: &Path,
    root: &Path,
) -> ServerProcess {
    let mut command = Command::new(&installation.master);
    command
        .arg("-C")
        .arg(conf)
        .arg("-M")
        .arg(master_conf)
        .arg("-p")
        .arg(root.join("master.pid"))
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LD_LIBRARY_PATH", &installation.libdir);
    ServerProcess::spawn(command, root, "master")
}

/// Master's stdout and stderr, and the tail of each telemetry file, in `root`.
fn log_in(root: &Path) -> String {
    let read = |name: &str| fs::read_to_string(root.join(name)).unwrap_or_default();
    let mut log = format!(
        "--- master stdout ---\n{}\n--- master stderr ---\n{}\n",
        read("master.stdout"),
        read("master.stderr")
    );
    let telemetry = root.join("conf/log").join(USER);
    let mut files: Vec<PathBuf> = fs::read_dir(telemetry)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .collect();
    files.sort();
    for file in files {
        let text = String::from_utf8_lossy(&fs::read(&file).unwrap_or_default()).into_owned();
        log.push_str(&format!(
            "--- telemetry {} (tail) ---\n{}\n",
            file.display(),
            tail(&text, 30)
        ));
    }
    log
}
