/*!
The one rule for a path that comes from a file someone else may have written:
a manifest's `files` keys, a catalog's file names, the bases under
`.tasker-app/base/`. A cloned repository is enough to put any text there, so
before such a path is read, written or removed it must be an [`AppPath`]:

- relative, `/`-separated, UTF-8 with no control character;
- no `..` (`.` and repeated `/` are normalised away), no absolute path, no
  drive letter or `\` (a Windows separator);
- no `.git` component in any letter case (a file there is a hook or a config
  that git runs);
- no component that is a Windows device name (`con`, `lpt5.txt`...), ends in a
  dot or a space, or is longer than 255 bytes.

Lexical checks say where a path points; [`check_on_disk`] then says what is
on the way there: no symlink, no file where a folder should be, and at the
end a regular file (or nothing), never a FIFO or a device.
*/

use std::fmt;
use std::path::{Path, PathBuf};

/// A path checked by the rule: relative, normalised, inside its root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppPath(String);

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: String,
    pub reason: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.path.escape_debug(), self.reason)
    }
}

impl std::error::Error for Refused {}

impl AppPath {
    /// Checks and normalises `raw`.
    pub fn parse(raw: &str) -> Result<AppPath, Refused> {
        let refuse = |reason| {
            Err(Refused {
                path: raw.to_string(),
                reason,
            })
        };
        if raw.chars().any(char::is_control) {
            return refuse("holds a control character");
        }
        if raw.starts_with('/') || raw.contains('\\') || has_drive(raw) {
            return refuse("is not a relative path inside the folder");
        }
        let mut parts = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => continue,
                ".." => return refuse("goes up with `..`, out of the folder"),
                _ => {}
            }
            if part.eq_ignore_ascii_case(".git") {
                return refuse("is inside a `.git` folder, which belongs to git");
            }
            if is_device_name(part) {
                return refuse("names a reserved device on Windows");
            }
            if part.ends_with('.') || part.ends_with(' ') {
                return refuse("has a name ending in a dot or a space");
            }
            if part.len() > 255 {
                return refuse("has a name longer than 255 bytes");
            }
            parts.push(part);
        }
        if parts.is_empty() {
            return refuse("names no file");
        }
        Ok(AppPath(parts.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `root/self`: inside `root` by construction.
    pub fn under(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }

    /// The folders from `root` down to this path's parent, nearest first
    /// (`a/b/c` -> `a/b`, `a`): where an empty-folder clean-up may climb.
    pub fn ancestors(&self) -> impl Iterator<Item = &str> {
        let s = self.0.as_str();
        s.rmatch_indices('/').map(move |(i, _)| &s[..i])
    }
}

impl fmt::Display for AppPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn has_drive(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Windows device names (`con`, `nul`, `com0`..`com9`, `lpt0`..`lpt9`,
/// also with superscript digits), with any extension, in any case: a file or
/// folder so named cannot be created or checked out there. The one list,
/// also used for app names (`names`).
pub fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    let lower = stem.to_ascii_lowercase();
    if ["con", "prn", "aux", "nul", "conin$", "conout$"].contains(&lower.as_str()) {
        return true;
    }
    let digit = |rest: &str| {
        matches!(rest, "¹" | "²" | "³") || (rest.len() == 1 && rest.as_bytes()[0].is_ascii_digit())
    };
    ["com", "lpt"]
        .iter()
        .any(|p| lower.strip_prefix(p).is_some_and(digit))
}

/// What kind of thing a path is allowed to be at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A regular file, or nothing yet.
    FileOrNothing,
    /// A regular file.
    File,
}

/// What stands in the way of using `path` under `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obstacle {
    /// A symlink at or above the path (the link, where it points).
    Link(PathBuf, PathBuf),
    /// A file (or other non-folder) where a folder is needed.
    NotAFolder(PathBuf),
    /// A folder where a file is needed.
    Folder(PathBuf),
    /// A FIFO, socket or device where a file is needed.
    Special(PathBuf),
    /// Nothing there where a file is needed.
    Missing(PathBuf),
}

impl fmt::Display for Obstacle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Obstacle::Link(at, to) => {
                write!(f, "{} is a symlink (-> {})", at.display(), to.display())
            }
            Obstacle::NotAFolder(at) => {
                write!(f, "{} is a file where a folder is needed", at.display())
            }
            Obstacle::Folder(at) => {
                write!(f, "{} is a folder where a file is needed", at.display())
            }
            Obstacle::Special(at) => {
                write!(
                    f,
                    "{} is not a regular file (a FIFO, socket or device)",
                    at.display()
                )
            }
            Obstacle::Missing(at) => write!(f, "{} does not exist", at.display()),
        }
    }
}

/// Walks `root/path` one component at a time, without following links.
pub fn check_on_disk(root: &Path, path: &AppPath, expect: Expect) -> Result<(), Obstacle> {
    let mut at = root.to_path_buf();
    let parts: Vec<&str> = path.as_str().split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        let meta = match at.symlink_metadata() {
            Ok(m) => m,
            Err(_) if expect == Expect::FileOrNothing => return Ok(()),
            Err(_) => return Err(Obstacle::Missing(at)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let to = std::fs::read_link(&at).unwrap_or_default();
            return Err(Obstacle::Link(at, to));
        }
        if !last {
            if !kind.is_dir() {
                return Err(Obstacle::NotAFolder(at));
            }
        } else if kind.is_dir() {
            return Err(Obstacle::Folder(at));
        } else if !kind.is_file() {
            return Err(Obstacle::Special(at));
        }
    }
    Ok(())
}

/// Reads `root/path` when it is a regular file of at most `limit` bytes,
/// reached without a link; `Ok(None)` when there is nothing there.
pub fn read_confined(root: &Path, path: &AppPath, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    match check_on_disk(root, path, Expect::File) {
        Ok(()) => {}
        Err(Obstacle::Missing(_)) => return Ok(None),
        Err(other) => return Err(std::io::Error::other(other.to_string())),
    }
    let file = open_no_follow(&path.under(root))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "{} is larger than {limit} bytes",
            path.under(root).display()
        )));
    }
    Ok(Some(bytes))
}

/// Opens a file for reading without following a link at its last component
/// and without blocking on a FIFO (whose open would wait for a writer).
pub fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_are_normalised() {
        for (raw, want) in [
            ("src/main.rs", "src/main.rs"),
            ("./src//main.rs", "src/main.rs"),
            ("a/./b/", "a/b"),
            (".tasker-app/base/src/x.rs", ".tasker-app/base/src/x.rs"),
            (".gitignore", ".gitignore"),
            ("docs/.github/x", "docs/.github/x"),
            ("console.rs", "console.rs"),
            ("com10", "com10"),
        ] {
            assert_eq!(AppPath::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn paths_out_of_the_folder_or_into_git_are_refused() {
        for raw in [
            "",
            ".",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "vendor/tasker-app-db/../../../x",
            "a/..",
            ".git/HEAD",
            "src/.GIT/config",
            ".Git",
            "C:/x",
            "c:x",
            "a\\..\\x",
            "a\u{1b}[2Jb",
            "a\nb",
            "lpt5",
            "src/COM9.rs",
            "nul.txt",
            "Aux",
            "com²",
            "x.",
            "x ",
        ] {
            assert!(AppPath::parse(raw).is_err(), "{raw:?} was accepted");
        }
        let long = "a".repeat(256);
        assert!(AppPath::parse(&long).is_err());
    }

    #[test]
    fn ancestors_stay_inside() {
        let p = AppPath::parse("a/b/c.rs").unwrap();
        assert_eq!(p.ancestors().collect::<Vec<_>>(), ["a/b", "a"]);
        assert_eq!(AppPath::parse("c.rs").unwrap().ancestors().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn the_disk_check_sees_links_files_in_the_way_and_special_files() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(root.join("file"), "x").unwrap();
        symlink("/etc", root.join("link")).unwrap();
        let p = |s| AppPath::parse(s).unwrap();
        let check = |s, e| check_on_disk(root, &p(s), e);
        assert_eq!(check("new/file", Expect::FileOrNothing), Ok(()));
        assert_eq!(check("file", Expect::File), Ok(()));
        assert!(matches!(
            check("link/passwd", Expect::FileOrNothing),
            Err(Obstacle::Link(..))
        ));
        assert!(matches!(
            check("file/x", Expect::FileOrNothing),
            Err(Obstacle::NotAFolder(_))
        ));
        assert!(matches!(
            check("dir", Expect::FileOrNothing),
            Err(Obstacle::Folder(_))
        ));
        assert!(matches!(
            check("none", Expect::File),
            Err(Obstacle::Missing(_))
        ));
        let fifo = root.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            check("fifo", Expect::File),
            Err(Obstacle::Special(_))
        ));
        assert!(
            read_confined(root, &p("fifo"), 10).is_err(),
            "a FIFO is never opened for reading"
        );
        assert!(read_confined(root, &p("link/passwd"), 1 << 20).is_err());
        assert_eq!(read_confined(root, &p("none"), 10).unwrap(), None);
        assert!(
            read_confined(root, &p("file"), 0).is_err(),
            "over the limit"
        );
    }
}
