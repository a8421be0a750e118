//! What every real IMAP server harness (Dovecot, Cyrus, Courier) needs to run a private instance
//! on loopback: the loopback address and free ports, the identity the server runs as, a child
//! in its own process group that dies with the test ([`ServerProcess`]), a readiness probe that
//! waits for both listeners to greet ([`wait_greetings`]), and small file helpers.
//!
//! Why 127.0.0.2: see [`loopback_host`].

use std::ffi::{CStr, c_char, c_int};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use imapdoctor::demo::pki::{LeafSpec, TestCa};
use rustls::pki_types::ServerName;
use tempfile::TempDir;

/// How long a SIGTERMed server may take before its process group is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Serializes "pick free ports → spawn → wait until bound" within one test binary, so parallel
/// tests never hand the same free port to two instances (other processes are covered by retries).
static START_LOCK: Mutex<()> = Mutex::new(());

/// Holds [`START_LOCK`] (poisoning ignored) for as long as the guard lives.
pub fn start_lock() -> MutexGuard<'static, ()> {
    START_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why an attempt to start did not produce a ready server.
pub enum StartFailure {
    /// A port was taken between choosing it and the server binding it: try other ports.
    PortTaken,
    /// Anything else: give up with this message.
    Fatal(String),
}

/// Returns true when `IMAPDOCTOR_REQUIRE_<X>` (`var`) is `1`.
pub fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// `found`'s value, or `None` after printing "skipped: <server> not installed (<why>)" to
/// stderr; when `require_env` is `1` (CI), a panic instead of the skip.
pub fn installed_or_skip<T>(
    server: &str,
    require_env: &str,
    found: Result<T, String>,
) -> Option<T> {
    match found {
        Ok(found) => Some(found),
        Err(why) if required(require_env) => {
            panic!("{server} not installed ({why}; needed because {require_env}=1)")
        }
        Err(why) => {
            eprintln!("skipped: {server} not installed ({why})");
            None
        }
    }
}

/// Who a server's processes run as: as root, the server's own system user (to which it drops
/// privileges); otherwise the current user, which every process then runs as.
pub struct Identity {
    /// Whether the tests run as root.
    pub root: bool,
    /// The user name the server's unprivileged processes run as.
    pub user: String,
    /// That user's primary group name.
    pub group: String,
    /// Its uid.
    pub uid: u32,
    /// Its gid.
    pub gid: u32,
}

impl Identity {
    /// As root: `system_user` (created by the server's package; panics if it does not exist).
    /// Otherwise: the effective user and group.
    pub fn current(system_user: &str) -> Identity {
        // SAFETY: geteuid/getegid cannot fail.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let (user, uid, gid, root) = if euid == 0 {
            let (user, uid, gid) = passwd_by_name(system_user).unwrap_or_else(|| {
                panic!("no `{system_user}` system user (created by the server's package)")
            });
            (user, uid, gid, true)
        } else {
            let (user, _, _) = passwd_by_uid(euid)
                .unwrap_or_else(|| panic!("uid {euid} has no passwd entry (servers need a name)"));
            (user, euid, egid, false)
        };
        let group = group_name(gid)
            .unwrap_or_else(|| panic!("gid {gid} has no group entry (servers need a name)"));
        Identity {
            root,
            user,
            group,
            uid,
            gid,
        }
    }
}

/// 127.0.0.2 if a client connecting to it arrives from another address (Linux: from 127.0.0.1),
/// else 127.0.0.1. The flag says whether the server sees the connection as coming from
/// elsewhere: servers treat a connection whose remote and local addresses are equal as
/// "secured" (Dovecot) or local and then allow plaintext logins a real server would refuse.
pub fn loopback_host() -> (IpAddr, bool) {
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
pub fn free_ports(host: IpAddr) -> (u16, u16) {
    let a = TcpListener::bind((host, 0)).expect("binding a free port");
    let b = TcpListener::bind((host, 0)).expect("binding a free port");
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// Where a server instance listens, and the CA its certificate comes from. Harness types
/// `Deref` to it, so tests write `server.host`, `server.imaps_url()`.
pub struct Endpoint {
    /// The loopback address both listeners bind (normally 127.0.0.2, see [`loopback_host`]).
    pub host: IpAddr,
    /// Implicit TLS listener.
    pub imaps_port: u16,
    /// Plaintext listener offering STARTTLS.
    pub imap_port: u16,
    /// The test CA certificate, PEM (for `--ca-file`). The server certificate is valid for
    /// `localhost`, 127.0.0.1 and [`Endpoint::host`].
    pub ca_file: PathBuf,
}

impl Endpoint {
    /// `imaps://HOST:PORT` for the implicit TLS listener.
    pub fn imaps_url(&self) -> String {
        format!("imaps://{}:{}", self.host, self.imaps_port)
    }

    /// `imap://HOST:PORT` for the STARTTLS listener.
    pub fn imap_url(&self) -> String {
        format!("imap://{}:{}", self.host, self.imap_port)
    }
}

/// A new instance's directory, name and endpoint, before its server-specific files.
pub struct InstanceDir {
    /// `$TMPDIR/<prefix>XXXXXX`, removed on drop.
    pub dir: TempDir,
    /// The random `XXXXXX`: unique per instance (for greetings and server names).
    pub suffix: String,
    /// Free ports on `host`, and `ca.pem` in the directory.
    pub endpoint: Endpoint,
}

impl InstanceDir {
    /// Creates the directory with `ca.pem` (the test CA), `server-chain.pem` (0644) and
    /// `server-key.pem` (0600) from `pki`, and picks two free ports on `host`.
    pub fn new(prefix: &str, host: IpAddr, pki: &TestPki) -> InstanceDir {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("creating the server's temp dir");
        let root = dir.path();
        let name = root.file_name().unwrap().to_string_lossy();
        let suffix = name.trim_start_matches(prefix).to_string();
        let ca_file = root.join("ca.pem");
        write_file(&ca_file, &pki.ca.cert_pem, 0o644);
        write_file(&root.join("server-chain.pem"), &pki.chain_pem, 0o644);
        write_file(&root.join("server-key.pem"), &pki.key_pem, 0o600);
        let (imap_port, imaps_port) = free_ports(host);
        let endpoint = Endpoint {
            host,
            imaps_port,
            imap_port,
            ca_file,
        };
        InstanceDir {
            dir,
            suffix,
            endpoint,
        }
    }

    /// The directory's path.
    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// Calls `attempt` until it returns a ready server: again (with new ports) while it fails with
/// [`StartFailure::PortTaken`], at most `attempts` times. Panics, with the diagnostics that come
/// with the failure, on [`StartFailure::Fatal`] or when every attempt found a port taken.
/// Hold [`start_lock`] around it.
pub fn start_attempts<T>(
    server: &str,
    attempts: usize,
    mut attempt: impl FnMut() -> Result<T, (StartFailure, String)>,
) -> T {
    let mut last = String::new();
    for _ in 0..attempts {
        match attempt() {
            Ok(ready) => return ready,
            Err((StartFailure::PortTaken, diagnostics)) => last = diagnostics,
            Err((StartFailure::Fatal(why), diagnostics)) => {
                panic!("{server} did not start: {why}\n{diagnostics}")
            }
        }
    }
    panic!("{server} could not bind free ports in {attempts} attempts\n{last}");
}

/// A test CA and a server certificate from it.
pub struct TestPki {
    /// The CA.
    pub ca: TestCa,
    /// The server's certificate chain, PEM.
    pub chain_pem: String,
    /// The server's private key, PEM.
    pub key_pem: String,
    /// A rustls client trusting only the CA.
    pub tls: Arc<rustls::ClientConfig>,
}

impl TestPki {
    /// A CA and a server certificate for `localhost`, 127.0.0.1 and `host`.
    pub fn new(host: IpAddr) -> TestPki {
        let ca = TestCa::new("imapdoctor test CA");
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        if host != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            names.push(host.to_string());
        }
        let leaf = ca.issue(&LeafSpec::valid_for(names));
        let tls = Arc::new(ca.client_config());
        TestPki {
            chain_pem: leaf.chain_pem(),
            key_pem: leaf.key_pem.clone(),
            ca,
            tls,
        }
    }
}

/// The first line a plaintext listener sends (bounded waits).
pub fn greeting_plain(addr: SocketAddr) -> io::Result<String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line)
}

/// The first line an implicit TLS listener sends after a handshake with `config`.
pub fn greeting_tls(addr: SocketAddr, config: &Arc<rustls::ClientConfig>) -> io::Result<String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    let connection = rustls::ClientConnection::new(config.clone(), ServerName::from(addr.ip()))
        .map_err(io::Error::other)?;
    let mut line = String::new();
    BufReader::new(rustls::StreamOwned::new(connection, stream)).read_line(&mut line)?;
    Ok(line)
}

/// Writes `contents` to `path` with permission bits `mode`.
pub fn write_file(path: &Path, contents: &str, mode: u32) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `chown -R uid:gid path`.
pub fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), uid, gid);
        }
    }
}

/// The first executable file `name` in `dirs`.
pub fn find_executable(name: &str, dirs: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| {
            fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A server's master process, leader of its own process group. Dropping it SIGTERMs the whole
/// group, waits up to [`STOP_GRACE`], then SIGKILLs whatever is left.
pub struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    /// Spawns `command` (its program, arguments and environment already set) in a new process
    /// group, stdin from /dev/null, stdout and stderr to `<root>/<name>.stdout` and `.stderr`.
    /// On Linux the server gets SIGTERM when the thread that spawned it exits
    /// (`PR_SET_PDEATHSIG`), so a killed test run leaves nothing behind: spawn on the thread
    /// that owns the result (the test's own thread).
    pub fn spawn(mut command: Command, root: &Path, name: &str) -> ServerProcess {
        let stdout = File::create(root.join(format!("{name}.stdout"))).unwrap();
        let stderr = File::create(root.join(format!("{name}.stderr"))).unwrap();
        command
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
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("running {:?}: {e}", command.get_program()));
        ServerProcess { child }
    }

    /// The exit status if the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("polling the server process")
    }

    /// The process id (also the process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
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
    }
}

/// What [`wait_greetings`] polls.
pub struct Listeners<'a> {
    /// The address and the two ports (`imap_port` plaintext, `imaps_port` implicit TLS).
    pub endpoint: &'a Endpoint,
    /// A client trusting only the test CA, for the TLS port; `None` when that port answers in
    /// plaintext before any handshake (a server refusing every connection).
    pub tls: Option<&'a Arc<rustls::ClientConfig>>,
    /// Text unique to this instance's greeting (`* OK … <greeting>`): the first line on each
    /// port starts with `* ` and contains it.
    pub greeting: &'a str,
    /// How long to wait in all.
    pub timeout: Duration,
}

/// Polls both ports until each greets with this instance's greeting (the TLS one after a
/// handshake trusting only the test CA). If one of the named `processes` exits first,
/// `diagnostics()` decides: "Address already in use" in it means [`StartFailure::PortTaken`].
pub fn wait_greetings(
    processes: &mut [(&str, &mut ServerProcess)],
    listeners: &Listeners,
    diagnostics: impl Fn() -> String,
) -> Result<(), StartFailure> {
    let (endpoint, deadline) = (listeners.endpoint, Instant::now() + listeners.timeout);
    let (mut plain_ok, mut tls_ok) = (false, false);
    let mut last_error = String::from("no attempt yet");
    let ours = |line: &str| line.starts_with("* ") && line.contains(listeners.greeting);
    loop {
        let exited = processes
            .iter_mut()
            .find_map(|(name, process)| Some((*name, process.try_wait()?)));
        if let Some((name, status)) = exited {
            return Err(if diagnostics().contains("Address already in use") {
                StartFailure::PortTaken
            } else {
                StartFailure::Fatal(format!("{name} exited early ({status})"))
            });
        }
        if !plain_ok {
            match greeting_plain(SocketAddr::new(endpoint.host, endpoint.imap_port)) {
                Ok(line) if ours(&line) => plain_ok = true,
                Ok(line) => last_error = format!("plaintext port greeted {line:?}"),
                Err(e) => last_error = format!("plaintext port: {e}"),
            }
        }
        if plain_ok && !tls_ok {
            let addr = SocketAddr::new(endpoint.host, endpoint.imaps_port);
            let greeting = match listeners.tls {
                Some(config) => greeting_tls(addr, config),
                None => greeting_plain(addr),
            };
            match greeting {
                Ok(line) if ours(&line) => tls_ok = true,
                Ok(line) => last_error = format!("TLS port greeted {line:?}"),
                Err(e) => last_error = format!("TLS port: {e}"),
            }
        }
        if plain_ok && tls_ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(StartFailure::Fatal(format!(
                "not ready after {:?} (last: {last_error})",
                listeners.timeout
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (name, uid, gid) of a user, via the reentrant NSS lookups (tests run on many threads).
pub fn passwd_by_uid(uid: u32) -> Option<(String, u32, u32)> {
    // SAFETY: the callback passes valid buffers of the stated length.
    passwd_lookup(|pwd, buf, len, result| unsafe { libc::getpwuid_r(uid, pwd, buf, len, result) })
}

/// (name, uid, gid) of the user called `name`.
pub fn passwd_by_name(name: &str) -> Option<(String, u32, u32)> {
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

/// The name of group `gid`.
pub fn group_name(gid: u32) -> Option<String> {
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
