//! A real, private Courier-IMAP 5.0 on loopback for integration tests.
//!
//! Courier-IMAP is a set of small programs: `couriertcpd` listens and runs `imaplogin` per
//! connection (through `couriertls` on the implicit TLS port), `imaplogin` asks `authdaemond`
//! over a unix socket and then execs `imapd`, the IMAP session proper. [`Courier::start`] runs
//! `authdaemond` and two `couriertcpd` (STARTTLS on `imap_port`, implicit TLS on `imaps_port`) as
//! children, with a userdb, Maildirs, a test PKI and logs in a fresh temporary directory.
//!
//! Where things are: `.ci/install-courier` installs Courier's dependencies (couriertcpd,
//! couriertls, authdaemond, the userdb module; Debian packages that coexist with Dovecot) and
//! unpacks the `courier-imap` package, which conflicts with `dovecot-imapd`, into
//! `$IMAPDOCTOR_SERVERS_DIR/courier` (default `/var/cache/imapdoctor/servers/courier`), where
//! `imaplogin` and `imapd` are found.
//!
//! Privacy, and why root: authlib's paths are compiled in (Debian: the daemon socket
//! `/run/courier/authdaemon/socket`, `/etc/courier/authdaemonrc`, `/etc/courier/userdb.dat`);
//! no environment variable or configuration moves them (`authdaemonrc`'s `authdaemonvar` is only
//! read by the init script). So every process starts in a private mount namespace (`unshare(2)`)
//! where the instance's `etc/` is bind-mounted on `/etc/courier` and its `authdaemon/` on
//! `/run/courier/authdaemon`: each instance has its own daemon and users, the system's are never
//! touched, and tests run in parallel. That needs root (CAP_SYS_ADMIN); as an ordinary user the
//! tests are skipped. The mail processes run as the `courier` system user.
//!
//! Logging: Courier's programs log to standard error (Debian's init scripts pipe it through
//! `courierlogger` into syslog); here it goes to `<dir>/authdaemond.stderr`, `imap.stderr` and
//! `imaps.stderr` ([`Courier::log`]), so no `/dev/log` is needed.
//!
//! Like the Dovecot harness, the listeners bind 127.0.0.2 (see
//! [`loopback_server::loopback_host`]). Dropping the [`Courier`] stops every process group and
//! removes the directory.

use std::ffi::CString;
use std::fs;
use std::io;
use std::net::IpAddr;
use std::ops::Deref;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tempfile::TempDir;

use super::loopback_server::{
    Endpoint, Identity, InstanceDir, Listeners, ServerProcess, StartFailure, TestPki, chown_tree,
    find_executable, loopback_host, required, start_attempts, start_lock, tail, wait_greetings,
    write_file,
};
use super::maildir;

/// The main test account.
pub const USER: &str = "doctor";
/// Its password: a canary that must never appear in imapdoctor's output (non-ASCII: LOGIN sends
/// it as a literal).
pub const CANARY_PASSWORD: &str = "Canary-c0e41b-pässword";
/// An account whose userdb entry says `disableimap=1`: the password is right, IMAP is not
/// allowed for it.
pub const LOCKED_USER: &str = "locked";
/// The locked account's password (also a canary).
pub const LOCKED_PASSWORD: &str = "canary-locked-a7d95f";
/// Mailboxes besides INBOX, as IMAP names them (Courier's `INBOX.` namespace, `.` separator).
/// On disk Courier-IMAP 5 keeps folder names in UTF-8 (`Maildir/.Entwürfe 2026`); on the wire
/// they are modified UTF-7 (`INBOX.Entw&APw-rfe 2026`) unless the client enabled UTF8=ACCEPT.
pub const MAILBOXES: [&str; 2] = ["INBOX.Archive", "INBOX.Entwürfe 2026"];
/// The text of Courier's greeting (`* OK [CAPABILITY …] <this> Copyright 1998-2019 …`).
pub const GREETING: &str = "Courier-IMAP ready.";

/// Set to `1` to make a missing Courier a test failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "IMAPDOCTOR_REQUIRE_COURIER";
/// Overrides the parent of the unpacked `courier` directory (as in `.ci/install-courier`).
pub const SERVERS_DIR_ENV: &str = "IMAPDOCTOR_SERVERS_DIR";

/// Where `.ci/install-courier` unpacks courier-imap, below the servers directory.
const DEFAULT_SERVERS_DIR: &str = "/var/cache/imapdoctor/servers";
/// The temp dir's name starts with this (in `$TMPDIR`).
const TEMP_PREFIX: &str = "imapdoctor-courier-";
/// How long Courier may take to answer on both ports.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts when a chosen port was taken before couriertcpd could bind it.
const START_ATTEMPTS: usize = 5;
/// Debian's `IMAP_CAPABILITY` (`/etc/courier/imapd`); Courier adds STARTTLS, LOGINDISABLED,
/// ENABLE and UTF8=ACCEPT itself.
const CAPABILITY: &str =
    "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE";
/// The paths authlib has compiled in, each replaced by a directory of the instance.
const AUTHLIB_ETC: &str = "/etc/courier";
const AUTHLIB_RUN: &str = "/run/courier/authdaemon";

/// How a test wants its Courier configured; `Options::default()` is Debian's packaged setup.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `IMAP_TLS_REQUIRED=1`: the plaintext port advertises LOGINDISABLED and answers a login
    /// before STARTTLS with `NO STARTTLS required` (Debian's default is 0).
    pub tls_required: bool,
    /// couriertcpd's `-maxperip` (Debian: 20): connections beyond it from one address are
    /// accepted and closed at once.
    pub max_per_ip: Option<u32>,
    /// Maintenance: an access file denying every address and couriertcpd's `-denymsg=<this>`,
    /// which couriertcpd sends (plaintext, even on the TLS port) before closing.
    pub deny_message: Option<String>,
    /// couriertcpd runs `imapd` directly as [`USER`], without `imaplogin`: the greeting is
    /// `* PREAUTH Ready.` (how Courier serves pre-authenticated sessions, e.g. over ssh).
    pub preauth: bool,
}

/// A running private Courier-IMAP. Dropping it stops it and removes its directory. Derefs to
/// its [`Endpoint`] (`host`, `imaps_port`, `imap_port`, `ca_file`, `imaps_url()`, `imap_url()`).
pub struct Courier {
    /// Where it listens: implicit TLS (couriertcpd → couriertls → imaplogin) and plaintext
    /// offering STARTTLS (couriertcpd → imaplogin).
    pub endpoint: Endpoint,
    /// The options it was started with.
    pub options: Options,
    // Fields drop in order: the processes stop before the directory is removed.
    auth: Option<ServerProcess>,
    imap: ServerProcess,
    imaps: ServerProcess,
    dir: TempDir,
}

impl Deref for Courier {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

/// The installed programs.
struct Programs {
    couriertcpd: PathBuf,
    couriertls: PathBuf,
    authdaemond: PathBuf,
    makeuserdb: PathBuf,
    makedat: PathBuf,
    imaplogin: PathBuf,
    imapd: PathBuf,
}

impl Courier {
    /// Starts a private Courier with Debian's default settings; see [`Courier::start_with`].
    pub fn start() -> Option<Courier> {
        Courier::start_with(Options::default())
    }

    /// Starts a private Courier, or returns `None` (after printing "skipped: courier not
    /// installed (…)", or "skipped: courier needs root (…)", to stderr). With
    /// `IMAPDOCTOR_REQUIRE_COURIER=1` that panics instead. Panics, with the tail of Courier's
    /// logs, if it does not come up.
    ///
    /// Call it on the thread that owns the result: on Linux the processes get SIGTERM when the
    /// thread that started them exits.
    pub fn start_with(options: Options) -> Option<Courier> {
        // SAFETY: geteuid cannot fail.
        let is_root = unsafe { libc::geteuid() } == 0;
        let programs = match find_programs() {
            Ok(programs) if is_root => programs,
            found => {
                let why = match found {
                    Err(why) => format!("courier not installed ({why})"),
                    Ok(_) => "courier needs root (authlib's socket path is compiled in and is \
                              made private with a mount namespace)"
                        .to_string(),
                };
                if required(REQUIRE_ENV) {
                    panic!("{why}, needed because {REQUIRE_ENV}=1");
                }
                eprintln!("skipped: {why}");
                return None;
            }
        };
        let identity = Identity::current("courier");
        let (host, _) = loopback_host();
        let pki = TestPki::new(host);
        // authlib's compiled-in socket directory (normally created by courier-authdaemon's
        // init script) must exist to be mounted over.
        fs::create_dir_all(AUTHLIB_RUN).expect("creating /run/courier/authdaemon");
        let _serial = start_lock();
        Some(start_attempts("Courier", START_ATTEMPTS, || {
            let mut courier = Courier::spawn(&programs, &identity, &options, host, &pki);
            match courier.wait_ready(&pki.tls) {
                Ok(()) => Ok(courier),
                Err(failure) => Err((failure, tail(&courier.log(), 40))),
            }
        }))
    }

    /// Writes a new instance's files and runs its processes (not yet waiting for them).
    fn spawn(
        programs: &Programs,
        identity: &Identity,
        options: &Options,
        host: IpAddr,
        pki: &TestPki,
    ) -> Courier {
        let instance = InstanceDir::new(TEMP_PREFIX, host, pki);
        let root = instance.path();
        prepare(&root, programs, identity, options);
        // couriertls reads the key as the `courier` user.
        let pem = root.join("etc/imapd.pem");
        write_file(&pem, &format!("{}{}", pki.key_pem, pki.chain_pem), 0o600);
        std::os::unix::fs::chown(&pem, Some(identity.uid), Some(identity.gid)).unwrap();
        let endpoint = instance.endpoint;
        let launch = Launch {
            root: &root,
            programs,
            identity,
            options,
            host,
        };
        Courier {
            auth: Some(launch.authdaemond()),
            imap: launch.couriertcpd(endpoint.imap_port, false),
            imaps: launch.couriertcpd(endpoint.imaps_port, true),
            endpoint,
            options: options.clone(),
            dir: instance.dir,
        }
    }

    /// The instance's temporary directory (`etc/`, `mail/<user>/Maildir`, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every log so far (authdaemond, then each listener's sessions), for assertion messages.
    pub fn log(&self) -> String {
        log_in(self.dir())
    }

    /// Stops authdaemond (and waits until it has exited): logins then find nobody on the
    /// daemon socket, as when the authentication backend is down.
    pub fn stop_auth_daemon(&mut self) {
        drop(self.auth.take());
    }

    /// Freezes authdaemond (SIGSTOP): the socket still accepts, nothing answers, as when the
    /// authentication backend hangs. Undone when the [`Courier`] is dropped.
    pub fn pause_auth_daemon(&self) {
        if let Some(auth) = &self.auth {
            signal_group(auth, libc::SIGSTOP);
        }
    }

    /// Shuts both listeners down as `/etc/init.d/courier-imap stop` does (SIGTERM to
    /// couriertcpd, which passes it on to its sessions), without waiting.
    pub fn shut_down(&self) {
        for tcpd in [&self.imap, &self.imaps] {
            // SAFETY: a plain syscall on a process this harness started.
            unsafe { libc::kill(tcpd.id() as libc::pid_t, libc::SIGTERM) };
        }
    }

    /// Polls both ports until each greets as this configuration should (a process that exits
    /// first is a taken port or a fatal error).
    fn wait_ready(&mut self, tls: &Arc<rustls::ClientConfig>) -> Result<(), StartFailure> {
        let (greeting, tls) = match (&self.options.deny_message, self.options.preauth) {
            // A denying couriertcpd answers before any TLS: read it as plaintext.
            (Some(message), _) => (message.as_str(), None),
            (None, true) => ("* PREAUTH Ready.", Some(tls)),
            (None, false) => (GREETING, Some(tls)),
        };
        let listeners = Listeners {
            endpoint: &self.endpoint,
            tls,
            greeting,
            timeout: READY_TIMEOUT,
        };
        let mut processes = vec![
            ("couriertcpd", &mut self.imap),
            ("couriertcpd", &mut self.imaps),
        ];
        processes.extend(self.auth.as_mut().map(|auth| ("authdaemond", auth)));
        wait_greetings(&mut processes, &listeners, || log_in(self.dir.path()))
    }
}

impl Drop for Courier {
    fn drop(&mut self) {
        // A paused authdaemond would sit out SIGTERM until the grace period ends.
        if let Some(auth) = &self.auth {
            signal_group(auth, libc::SIGCONT);
        }
        // The fields' drops stop every process group, then remove the directory.
    }
}

/// Every log in `root`: authdaemond's, then each listener's sessions.
fn log_in(root: &Path) -> String {
    ["authdaemond", "imap", "imaps"]
        .iter()
        .map(|name| {
            let text = fs::read_to_string(root.join(format!("{name}.stderr")));
            format!("--- {name}.stderr ---\n{}", text.unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sends `signal` to the process group `process` leads (couriertcpd makes itself the leader of
/// a group holding its sessions).
fn signal_group(process: &ServerProcess, signal: libc::c_int) {
    // SAFETY: a plain syscall on a process group this harness created.
    unsafe { libc::killpg(process.id() as libc::pid_t, signal) };
}

/// The programs, or why Courier cannot run here.
fn find_programs() -> Result<Programs, String> {
    let servers = std::env::var_os(SERVERS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SERVERS_DIR));
    let unpacked = servers.join("courier");
    let file = |path: PathBuf| {
        fs::metadata(&path)
            .is_ok_and(|m| m.is_file())
            .then_some(path.clone())
            .ok_or_else(|| format!("no {}: run .ci/install-courier", path.display()))
    };
    let system = |name: &str| {
        let dirs = ["/usr/sbin", "/usr/bin", "/usr/lib/courier/courier-authlib"];
        find_executable(name, dirs.map(PathBuf::from))
            .ok_or_else(|| format!("no {name}: run .ci/install-courier"))
    };
    let programs = Programs {
        imaplogin: file(unpacked.join("usr/lib/courier/courier/imaplogin"))?,
        imapd: file(unpacked.join("usr/bin/imapd"))?,
        couriertcpd: system("couriertcpd")?,
        couriertls: system("couriertls")?,
        authdaemond: file(PathBuf::from(
            "/usr/lib/courier/courier-authlib/authdaemond",
        ))?,
        makeuserdb: system("makeuserdb")?,
        makedat: file(PathBuf::from("/usr/lib/courier/makedat"))?,
    };
    if !Path::new(AUTHLIB_ETC).is_dir() {
        return Err(format!("no {AUTHLIB_ETC}: run .ci/install-courier"));
    }
    Ok(programs)
}

/// Writes the instance's `etc/` (authdaemonrc, userdb), the Maildirs and the access file.
fn prepare(root: &Path, programs: &Programs, identity: &Identity, options: &Options) {
    let etc = root.join("etc");
    fs::create_dir_all(etc.join("shared")).unwrap();
    fs::create_dir_all(root.join("authdaemon")).unwrap();
    // The `courier` user traverses to the Maildirs and the certificate.
    for dir in [root, &etc] {
        fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    write_file(
        &etc.join("authdaemonrc"),
        "# A private authdaemond for imapdoctor's tests (tests/support/courier.rs).\n\
         authmodulelist=\"authuserdb\"\n\
         daemons=2\n\
         authdaemonvar=/run/courier/authdaemon\n\
         # 1 logs each lookup's outcome, never a password (2 would).\n\
         DEBUG_LOGIN=1\n\
         DEFAULTOPTIONS=\"\"\n\
         LOGGEROPTS=\"\"\n",
        0o644,
    );
    let mut userdb = String::new();
    for (user, password, extra) in [
        (USER, CANARY_PASSWORD, ""),
        (LOCKED_USER, LOCKED_PASSWORD, "|options=disableimap=1"),
    ] {
        let home = root.join("mail").join(user);
        // Courier-IMAP 5 names folders on disk in UTF-8: `.Entwürfe 2026`.
        let folders = MAILBOXES.map(|mailbox| mailbox.trim_start_matches("INBOX"));
        maildir::write(&home.join("Maildir"), &folders);
        // authlib's {SHA256}: base64 of the digest of the password.
        let digest = ring::digest::digest(&ring::digest::SHA256, password.as_bytes());
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        userdb.push_str(&format!(
            "{user}\tuid={}|gid={}|home={}|systempw={{SHA256}}{hash}{extra}\n",
            identity.uid,
            identity.gid,
            home.display(),
        ));
    }
    chown_tree(&root.join("mail"), identity.uid, identity.gid);
    write_file(&etc.join("userdb"), &userdb, 0o600);
    run(Command::new(&programs.makeuserdb)
        .arg("-f")
        .arg(etc.join("userdb")));
    if options.deny_message.is_some() {
        write_file(&etc.join("imapaccess"), "*\tdeny\n", 0o644);
        run(Command::new(&programs.makedat)
            .arg(format!("-src={}", etc.join("imapaccess").display()))
            .arg(format!("-file={}", etc.join("imapaccess.dat").display()))
            .arg(format!("-tmp={}", etc.join("imapaccess.tmp").display()))
            .arg("-cidr"));
    }
}

/// Runs a setup command to completion; panics with its output if it fails.
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What the processes of one instance are started from.
struct Launch<'a> {
    root: &'a Path,
    programs: &'a Programs,
    identity: &'a Identity,
    options: &'a Options,
    host: IpAddr,
}

impl Launch<'_> {
    /// authdaemond in the foreground (it no longer daemonizes itself), logging to stderr.
    fn authdaemond(&self) -> ServerProcess {
        let mut command = Command::new(&self.programs.authdaemond);
        command
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        self.spawn(command, "authdaemond")
    }

    /// One couriertcpd: the plaintext (STARTTLS) listener, or with `tls` the implicit TLS one,
    /// configured as Debian's `/usr/lib/courier/imapd` and `imapd-ssl` scripts do.
    fn couriertcpd(&self, port: u16, tls: bool) -> ServerProcess {
        let (root, programs, options) = (self.root, self.programs, self.options);
        let mut command = Command::new(&programs.couriertcpd);
        let capability_tls = format!("{CAPABILITY} AUTH=PLAIN");
        let shared_index = root.join("etc/shared/index");
        let certificate = root.join("etc/imapd.pem");
        let couriertls = programs.couriertls.as_os_str();
        let tls_required = if options.tls_required { "1" } else { "0" };
        let (mode, on) = if tls {
            ("IMAP_TLS", "1")
        } else {
            ("IMAP_STARTTLS", "YES")
        };
        command.env_clear().envs([
            ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin".as_ref()),
            ("IMAP_CAPABILITY", CAPABILITY.as_ref()),
            ("IMAP_CAPABILITY_TLS", capability_tls.as_ref()),
            ("IMAP_KEYWORDS", "1".as_ref()),
            ("IMAP_ACL", "1".as_ref()),
            ("IMAP_PROXY", "0".as_ref()),
            ("IMAP_IDLE_TIMEOUT", "60".as_ref()),
            ("IMAP_MAILBOX_SANITY_CHECK", "1".as_ref()),
            ("IMAP_USELOCKS", "1".as_ref()),
            ("IMAP_SHAREDINDEXFILE", shared_index.as_os_str()),
            ("IMAP_TRASHFOLDERNAME", "Trash".as_ref()),
            ("IMAP_EMPTYTRASH", "Trash:7".as_ref()),
            ("COURIERTLS", couriertls),
            ("TLS_CERTFILE", certificate.as_os_str()),
            ("TLS_VERIFYPEER", "NONE".as_ref()),
            ("IMAP_TLS_REQUIRED", tls_required.as_ref()),
            (mode, on.as_ref()),
        ] as [(&str, &std::ffi::OsStr); 17]);
        command
            .arg(format!("-address={}", self.host))
            .arg("-maxprocs=40")
            .arg(format!("-maxperip={}", options.max_per_ip.unwrap_or(20)))
            .args(["-nodnslookup", "-noidentlookup"]);
        if let Some(message) = &options.deny_message {
            let access = root.join("etc/imapaccess.dat");
            command
                .arg(format!("-access={}", access.display()))
                .arg(format!("-denymsg={message}"));
        }
        let (user, group) = (&self.identity.user, &self.identity.group);
        if options.preauth {
            // Nothing between couriertcpd and imapd drops privileges: couriertcpd itself does.
            command
                .arg(format!("-user={user}"))
                .arg(format!("-group={group}"));
        }
        command.arg(port.to_string());
        if tls {
            command.arg(couriertls).args(["-server", "-tcpd"]);
            if !options.preauth {
                command.arg(format!("-user={user}"));
            }
        }
        if options.preauth {
            // imapd without imaplogin: logged in as USER from the start.
            let home = root.join("mail").join(USER);
            command
                .env("AUTHENTICATED", USER)
                .env("HOME", &home)
                .arg(&programs.imapd)
                .arg(home.join("Maildir"));
        } else {
            let imapd = [programs.imapd.as_os_str(), "Maildir".as_ref()];
            command.arg(&programs.imaplogin).args(imapd);
        }
        self.spawn(command, if tls { "imaps" } else { "imap" })
    }

    /// Spawns `command` in its own process group inside a private mount namespace where the
    /// instance's `etc/` and `authdaemon/` hide the system's.
    fn spawn(&self, mut command: Command, name: &str) -> ServerProcess {
        let binds: Vec<(CString, CString)> = [("etc", AUTHLIB_ETC), ("authdaemon", AUTHLIB_RUN)]
            .iter()
            .map(|(source, target)| {
                let source = self.root.join(source);
                (
                    CString::new(source.as_os_str().as_bytes()).unwrap(),
                    CString::new(*target).unwrap(),
                )
            })
            .collect();
        // SAFETY: unshare and mount are plain syscalls, async-signal-safe; the strings were
        // allocated before the fork. This runs between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::unshare(libc::CLONE_NEWNS) == -1 {
                    return Err(io::Error::last_os_error());
                }
                // Keep the bind mounts below out of the parent namespace.
                let flags = libc::MS_REC | libc::MS_PRIVATE;
                let none = std::ptr::null();
                if libc::mount(c"none".as_ptr(), c"/".as_ptr(), none, flags, none.cast()) == -1 {
                    return Err(io::Error::last_os_error());
                }
                for (source, target) in &binds {
                    let rc = libc::mount(
                        source.as_ptr(),
                        target.as_ptr(),
                        none,
                        libc::MS_BIND,
                        none.cast(),
                    );
                    if rc == -1 {
                        return Err(io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        ServerProcess::spawn(command, self.root, name)
    }
}
