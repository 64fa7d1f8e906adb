/*!
Staging folders: where a build renders files before renaming them into place.

A staging folder sits beside the app (so the final rename never crosses a
file system), is named `.tasker-app-staging-<pid>-<random>`, and holds a
marker file with the pid of the run that made it. A run that is killed
cannot remove its own; the next run removes every staging folder whose
marker names a process that no longer exists. Folders without the marker
(not ours), those of live processes (a concurrent run) and those made on
another machine (the marker also names the host) are left alone.
*/

use anyhow::Result;
use std::path::Path;

pub const PREFIX: &str = ".tasker-app-staging-";
/// The marker file inside a staging folder; it holds the owner's pid.
pub const MARKER: &str = ".tasker-app-staging-owner";

/// A new staging folder in `parent`, removed when dropped.
pub fn create(parent: &Path) -> std::io::Result<tempfile::TempDir> {
    let pid = std::process::id();
    let dir = tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{pid}-"))
        .tempdir_in(parent)?;
    std::fs::write(dir.path().join(MARKER), format!("{pid} {}\n", host()))?;
    Ok(dir)
}

/// Removes the staging folders in `parent` left by runs that are gone;
/// returns their names.
pub fn clean_stale(parent: &Path) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(owner) = std::fs::read_to_string(entry.path().join(MARKER)) else {
            continue; // not ours, or still being set up
        };
        let mut words = owner.split_whitespace();
        let Some(Ok(pid)) = words.next().map(str::parse::<u32>) else {
            continue;
        };
        // A folder shared between machines: only this machine's pids can be checked.
        if words.next().is_some_and(|h| h != host()) {
            continue;
        }
        if !is_alive(pid) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed.push(name);
        }
    }
    Ok(removed)
}

/// This machine's name (empty when unknown), recorded next to the pid.
fn host() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname(2) writes at most buf.len() bytes into buf.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).replace(char::is_whitespace, "_");
        }
    }
    String::new()
}

/// Does process `pid` exist? When unsure, yes (a folder is then kept).
fn is_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return true;
        };
        // SAFETY: kill(2) with signal 0 only checks that the process exists.
        let rc = unsafe { libc::kill(pid, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_marked_folders_of_dead_processes_are_removed() {
        let parent = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let make = |name: &str, owner: Option<u32>| {
            let dir = parent.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            if let Some(pid) = owner {
                std::fs::write(dir.join(MARKER), format!("{pid}\n")).unwrap();
            }
        };
        make(&format!("{PREFIX}{dead}-a"), Some(dead));
        make(&format!("{PREFIX}1-b"), Some(std::process::id()));
        make(&format!("{PREFIX}mine"), None);
        let other_host = parent.path().join(format!("{PREFIX}{dead}-c"));
        std::fs::create_dir(&other_host).unwrap();
        std::fs::write(other_host.join(MARKER), format!("{dead} some-other-host\n")).unwrap();
        let live = create(parent.path()).unwrap();
        let removed = clean_stale(parent.path()).unwrap();
        assert_eq!(removed, vec![format!("{PREFIX}{dead}-a")]);
        assert!(parent.path().join(format!("{PREFIX}1-b")).is_dir());
        assert!(parent.path().join(format!("{PREFIX}mine")).is_dir());
        assert!(other_host.is_dir());
        assert!(live.path().is_dir());
    }
}
