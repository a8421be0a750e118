//! The password prompt, safe to interrupt. rpassword reads the password with the terminal's echo
//! off, and on a typed Ctrl-C raises SIGINT *before* it puts the terminal back: with the default
//! disposition the process dies right there and leaves the shell without echo. Here Ctrl-C (typed,
//! or a SIGINT sent from elsewhere) is listened for while the prompt is up, the terminal is put
//! back as it was, and the program ends with exit code 130.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::pin;
use std::task::Poll;

use crate::exit_code::ExitCode;

/// How the prompt ended.
enum Outcome {
    /// The password was typed (or reading it failed).
    Typed(io::Result<String>),
    /// Ctrl-C: the terminal is back as it was.
    Interrupted,
}

/// Shows `prompt` on the terminal and reads a password without echo. Ctrl-C puts the terminal
/// back and ends the process with [`ExitCode::Interrupted`]. Call it outside async code.
pub fn password(prompt: &str) -> io::Result<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(ask(prompt.to_string())) {
        Outcome::Typed(typed) => typed,
        Outcome::Interrupted => std::process::exit(ExitCode::Interrupted as i32),
    }
}

async fn ask(prompt: String) -> Outcome {
    let mut interrupt = pin!(tokio::signal::ctrl_c());
    // The first poll installs the handler: before the prompt, so that rpassword's own SIGINT is
    // caught instead of ending the process.
    match poll_fn(|cx| Poll::Ready(interrupt.as_mut().poll(cx))).await {
        Poll::Pending => {}
        Poll::Ready(Ok(())) => return Outcome::Interrupted,
        // No way to listen: prompt as before.
        Poll::Ready(Err(_)) => return Outcome::Typed(rpassword::prompt_password(prompt)),
    }
    let terminal = Terminal::save();
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A thread of its own: a read from the terminal cannot be cancelled.
    std::thread::spawn(move || {
        let _ = tx.send(rpassword::prompt_password(prompt));
    });
    let mut typed = pin!(rx);
    let reader_finished = tokio::select! {
        biased;
        _ = &mut interrupt => false,
        typed = &mut typed => match typed {
            Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => true,
            Ok(typed) => return Outcome::Typed(typed),
            Err(_) => return Outcome::Typed(Err(io::Error::other("the prompt thread ended"))),
        },
    };
    terminal.restore(reader_finished, typed).await;
    Outcome::Interrupted
}

/// The terminal's settings from before the prompt (Unix: its termios).
#[cfg(unix)]
struct Terminal(Option<(std::fs::File, libc::termios)>);

#[cfg(unix)]
impl Terminal {
    fn save() -> Self {
        use std::os::fd::AsRawFd;
        let Ok(tty) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
        else {
            return Terminal(None);
        };
        let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: `tty` is an open descriptor and `saved` is a valid place for one termios.
        if unsafe { libc::tcgetattr(tty.as_raw_fd(), saved.as_mut_ptr()) } != 0 {
            return Terminal(None);
        }
        // SAFETY: tcgetattr succeeded, so it filled `saved`.
        Terminal(Some((tty, unsafe { saved.assume_init() })))
    }

    /// Puts the saved settings back at once (the reader may still be blocked in its read).
    async fn restore<T>(self, _reader_finished: bool, _reader: T) {
        use std::os::fd::AsRawFd;
        if let Some((tty, saved)) = self.0 {
            // SAFETY: `tty` is open and `saved` came from tcgetattr on the same terminal.
            unsafe { libc::tcsetattr(tty.as_raw_fd(), libc::TCSANOW, &saved) };
        }
    }
}

/// Elsewhere rpassword puts the console back itself when its read returns (right after a typed
/// Ctrl-C): wait a moment for that.
#[cfg(not(unix))]
struct Terminal;

#[cfg(not(unix))]
impl Terminal {
    fn save() -> Self {
        Terminal
    }

    async fn restore<T: Future>(self, reader_finished: bool, reader: T) {
        if !reader_finished {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), reader).await;
        }
    }
}
