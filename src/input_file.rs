//! The user's own files, read with bounds: `--ca-file`, `--oauth-token-file`, `SSL_CERT_FILE` and
//! the password on standard input. Only regular files are read (a FIFO blocks, `/dev/zero` never
//! ends, a directory is a mistake), each at most a size fit for what it holds, and a file holding
//! a secret is expected to be private.

use std::fs::{File, Metadata};
use std::io::{self, BufRead, Read};
use std::path::Path;

/// Largest `--ca-file` or `SSL_CERT_FILE` read (a full public CA bundle is about 200 KiB).
pub const MAX_CA_BUNDLE: u64 = 16 * 1024 * 1024;
/// Largest `--oauth-token-file` read (a bearer token is a few KiB at most).
pub const MAX_TOKEN: u64 = 64 * 1024;
/// Most bytes of standard input read looking for the password's line.
pub const MAX_PASSWORD: u64 = 4 * 1024;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Not a regular file (what it is instead).
    #[error("not a regular file but {0}: give the path of a file")]
    NotRegular(&'static str),
    /// Larger than the bound.
    #[error("larger than {}, too large for what it should hold", size(*.0))]
    TooLarge(u64),
    /// The first line runs past the bound.
    #[error("no end of line within the first {}", size(*.0))]
    LineTooLong(u64),
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 && b % (1024 * 1024) == 0 => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// Reads the regular file at `path`, at most `limit` bytes. Anything else is refused without
/// being opened (opening a FIFO for reading blocks until a writer comes).
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    check_regular(path, limit)?;
    let file = File::open(path)?;
    // The path may have changed since it was checked: check what was opened, too.
    is_regular(&file.metadata()?)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Checks, without opening it, that `path` is a regular file of at most `limit` bytes.
pub fn check_regular(path: &Path, limit: u64) -> Result<(), InputError> {
    let metadata = std::fs::metadata(path)?;
    is_regular(&metadata)?;
    if metadata.len() > limit {
        return Err(InputError::TooLarge(limit));
    }
    Ok(())
}

fn is_regular(metadata: &Metadata) -> Result<(), InputError> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    if kind.is_dir() {
        return Err(InputError::NotRegular("a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Err(InputError::NotRegular("a FIFO (named pipe)"));
        }
        if kind.is_char_device() {
            return Err(InputError::NotRegular("a character device"));
        }
        if kind.is_block_device() {
            return Err(InputError::NotRegular("a block device"));
        }
        if kind.is_socket() {
            return Err(InputError::NotRegular("a socket"));
        }
    }
    Err(InputError::NotRegular("something else"))
}

/// Whether `path` is a pipe (`<(command)` in a shell, or a named pipe): a stream to read as it
/// comes, as standard input is, never a file to check the size of or read twice.
pub fn is_pipe(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// The first line of `input` (without its line end), reading at most `limit` bytes: `None` when
/// the input is empty.
pub fn first_line(input: impl BufRead, limit: u64) -> Result<Option<String>, InputError> {
    let mut line = Vec::new();
    let read = input.take(limit + 1).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if !line.ends_with(b"\n") && read as u64 > limit {
        return Err(InputError::LineTooLong(limit));
    }
    let line = String::from_utf8(line)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8"))?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

/// Why a file holding a secret should be private, when group or others may read it (Unix; as ssh
/// warns about key files): the warning's text, naming `option` and the file, else `None`.
pub fn exposed(option: &str, path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        let shown = crate::sanitize::terminal_text(&path.display().to_string());
        (mode & 0o044 != 0).then(|| {
            format!(
                "{option} {shown} is readable by other users (mode {mode:04o}): it holds a secret; chmod 600 {shown}"
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (option, path);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_is_bounded() {
        let line = |input: &[u8]| first_line(input, 8).map_err(|e| e.to_string());
        assert_eq!(line(b"secret\nrest"), Ok(Some("secret".into())));
        assert_eq!(line(b"secret\r\n"), Ok(Some("secret".into())));
        assert_eq!(line(b"12345678\n"), Ok(Some("12345678".into())));
        assert_eq!(
            line(b"no newline"),
            Err("no end of line within the first 8 bytes".into())
        );
        assert_eq!(line(b"12345678"), Ok(Some("12345678".into())));
        assert_eq!(line(b""), Ok(None));
    }

    #[test]
    fn only_regular_files_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_regular(&file, 10).unwrap(), b"0123456789");
        let too_large = read_regular(&file, 9).unwrap_err().to_string();
        assert_eq!(
            too_large,
            "larger than 9 bytes, too large for what it should hold"
        );
        let directory = read_regular(dir.path(), 10).unwrap_err().to_string();
        assert!(directory.contains("a directory"), "{directory}");
        assert_eq!(size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
    }
}
