/*!
Reading a file whose path a user (or someone else's repository) chose: a
`db/` SQL file, a CA certificate named by `sslrootcert=`, a `.env`. Only a
regular file of bounded size is read: `/dev/zero` would fill the memory, a
FIFO or a terminal would block forever, a folder is no file. Every refusal
names the path, what it is, and what is expected.

Symbolic links are followed here (the files of `/etc/ssl/certs` are links); where
links must not be followed (`db/` inside an app), the caller says so with
[`read_regular_no_follow`].
*/

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// The largest `db/` SQL file read (a schema dump of a large app fits).
pub const MAX_SQL_FILE: u64 = 16 * 1024 * 1024;
/// The largest certificate or key file read.
pub const MAX_CERT_FILE: u64 = 1024 * 1024;
/// The largest `.env` read.
pub const MAX_ENV_FILE: u64 = 1024 * 1024;

/// Reads `path` (links followed) when it is a regular file of at most `max` bytes.
pub fn read_regular(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| with_path(e, path))?;
    read_checked(path, &meta, max)
}

/// Reads `path` when it is itself a regular file (not a link to one) of at
/// most `max` bytes.
pub fn read_regular_no_follow(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| with_path(e, path))?;
    if meta.file_type().is_symlink() {
        return Err(refused(
            path,
            "is a symbolic link; only regular files are read here: replace the link by the file itself",
        ));
    }
    read_checked(path, &meta, max)
}

/// Checks, without reading, that `path` (links followed) is a regular file of
/// at most `max` bytes: for files another library reads (sqlx's `sslrootcert`).
pub fn check_regular(path: &Path, max: u64) -> io::Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| with_path(e, path))?;
    check_meta(path, &meta, max)
}

fn read_checked(path: &Path, meta: &Metadata, max: u64) -> io::Result<Vec<u8>> {
    check_meta(path, meta, max)?;
    let file = File::open(path).map_err(|e| with_path(e, path))?;
    // The path may have been replaced since the check: look at what was opened.
    let opened = file.metadata().map_err(|e| with_path(e, path))?;
    check_meta(path, &opened, max)?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| with_path(e, path))?;
    if bytes.len() as u64 > max {
        return Err(too_large(path, max));
    }
    Ok(bytes)
}

fn check_meta(path: &Path, meta: &Metadata, max: u64) -> io::Result<()> {
    if !meta.is_file() {
        return Err(refused(
            path,
            &format!(
                "is {}, not a regular file; name a regular file",
                kind_of(meta)
            ),
        ));
    }
    if meta.len() > max {
        return Err(too_large(path, max));
    }
    Ok(())
}

fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

fn too_large(path: &Path, max: u64) -> io::Error {
    refused(
        path,
        &format!(
            "is larger than {} MiB, more than such a file ever needs; name the right file",
            max / (1024 * 1024)
        ),
    )
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} {why}", path.display()),
    )
}

/// The OS error with the path in front (`std::fs` leaves it out).
fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read() {
        let dir = std::env::temp_dir().join(format!("tasker-app-db-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.sql");
        std::fs::write(&f, "select 1").unwrap();
        assert_eq!(read_regular(&f, 100).unwrap(), b"select 1");
        let err = read_regular(&f, 3).unwrap_err().to_string();
        assert!(err.contains("a.sql is larger than"), "{err}");
        let err = read_regular(&dir, 100).unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_before_reading() {
        let err = read_regular(Path::new("/dev/zero"), MAX_CERT_FILE)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "/dev/zero is a character device, not a regular file; name a regular file"
        );
        let err = read_regular(Path::new("/nonexistent/x.pem"), 10)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/nonexistent/x.pem: "), "{err}");
    }
}
