//! The binary on a pseudo-terminal that is its controlling terminal, as when a person runs it
//! (the password prompt reads `/dev/tty`): wait for what it writes there, type into it, read the
//! terminal's settings, collect how it ended.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for anything before it fails (a hang guard, not a measurement).
const PATIENCE: Duration = Duration::from_secs(20);

/// A running `imapdoctor` with a pseudo-terminal as its stdin and controlling terminal.
pub struct OnTerminal {
    child: Child,
    /// The terminal's other side: what is typed goes in here.
    tty: std::fs::File,
    /// Each time "Password" has appeared on the terminal.
    prompted: Receiver<()>,
    /// Everything written on the terminal so far.
    screen: Arc<Mutex<Vec<u8>>>,
    /// The thread reading the terminal; it ends when the process and its children have closed it.
    reader: Option<std::thread::JoinHandle<()>>,
}

/// How a run on the terminal ended.
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl OnTerminal {
    /// Starts the binary in a clean environment (PATH only) with `args`; stdout and stderr are
    /// pipes.
    pub fn spawn(args: &[&str]) -> OnTerminal {
        OnTerminal::spawn_with(args, &[], false, false)
    }

    /// As [`OnTerminal::spawn`], with `env` added and stdout and/or stderr on the terminal too (a
    /// stream on the terminal is not collected by [`OnTerminal::ended`]: read
    /// [`OnTerminal::screen`]).
    pub fn spawn_with(
        args: &[&str],
        env: &[(&str, &str)],
        stdout_on_terminal: bool,
        stderr_on_terminal: bool,
    ) -> OnTerminal {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: both out-pointers are valid; null name, termios and window size are allowed.
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty returned two fresh descriptors that nothing else owns.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_imapdoctor"));
        cmd.env_clear()
            .env("IMAPDOCTOR_CONFIG", "")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .args(args)
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(if stdout_on_terminal {
                Stdio::from(slave.try_clone().unwrap())
            } else {
                Stdio::piped()
            })
            .stderr(if stderr_on_terminal {
                Stdio::from(slave.try_clone().unwrap())
            } else {
                Stdio::piped()
            });
        // A new session whose controlling terminal is the pty (rpassword reads /dev/tty).
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd);
        drop(slave);
        let tty = std::fs::File::from(master);
        let mut reader = tty.try_clone().unwrap();
        let (prompted_tx, prompted) = std::sync::mpsc::channel();
        let screen = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&screen);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                let mut seen = seen.lock().unwrap();
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(8).any(|w| w == b"Password") {
                    let _ = prompted_tx.send(());
                }
            }
        });
        OnTerminal {
            child,
            tty,
            prompted,
            screen,
            reader: Some(reader),
        }
    }

    /// As [`OnTerminal::spawn_with`], run to its end: everything written on the terminal, and how
    /// it ended.
    pub fn run(
        args: &[&str],
        env: &[(&str, &str)],
        stdout_on_terminal: bool,
        stderr_on_terminal: bool,
    ) -> (String, Ended) {
        let mut terminal =
            OnTerminal::spawn_with(args, env, stdout_on_terminal, stderr_on_terminal);
        let ended = terminal.ended();
        (terminal.final_screen(), ended)
    }

    /// Everything written on the terminal so far, as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits until `text` has appeared on the terminal.
    pub fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "{text:?} never appeared on the terminal; it shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Everything written on the terminal, once the process has ended and closed it.
    pub fn final_screen(&mut self) -> String {
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.screen()
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits until the password prompt is on the terminal.
    pub fn wait_for_prompt(&self) {
        self.prompted
            .recv_timeout(PATIENCE)
            .expect("no password prompt on the terminal");
    }

    /// Whether the terminal echoes what is typed (its termios has ECHO).
    pub fn echoes(&self) -> bool {
        let mut settings = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: the descriptor is open and `settings` has room for one termios.
        let got = unsafe { libc::tcgetattr(self.tty.as_raw_fd(), settings.as_mut_ptr()) };
        assert_eq!(got, 0, "tcgetattr: {}", std::io::Error::last_os_error());
        // SAFETY: tcgetattr succeeded and filled it.
        let settings = unsafe { settings.assume_init() };
        settings.c_lflag & libc::ECHO != 0
    }

    /// Waits until the prompt has turned the echo off (it reads the password then).
    pub fn wait_for_echo_off(&self) {
        let deadline = Instant::now() + PATIENCE;
        while self.echoes() {
            assert!(
                Instant::now() < deadline,
                "the prompt never turned the echo off"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `keys` on the terminal.
    pub fn type_keys(&mut self, keys: &[u8]) {
        self.tty.write_all(keys).unwrap();
    }

    /// Waits for the process to end (killing it after a while) and collects its output; the
    /// terminal stays open to be looked at.
    pub fn ended(&mut self) -> Ended {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                panic!("imapdoctor did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        let mut stderr = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            out.read_to_string(&mut stdout).unwrap();
        }
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut stderr).unwrap();
        }
        Ended {
            status,
            stdout,
            stderr,
        }
    }
}
