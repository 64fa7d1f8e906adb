/*!
One lock per app for every command that writes it (build re-runs, update,
install-database-objects): two runs at once would each plan from the same
manifest and then interleave their writes, leaving files the manifest does not
know. The lock is an advisory `flock` on the app folder itself, so nothing is
created for it, nothing is left behind, and the kernel releases it when the
process ends however it ends (Ctrl-C, kill -9).

A run that finds the app locked says so and waits; it never fails for it.
Taken before the manifest is read, so the plan and the writes see the same app.
*/

use crate::shell::Shell;
use anyhow::{Context, Result};
use std::fs::{File, TryLockError};
use std::path::Path;

/// Held while a run reads and writes the app; released when dropped.
#[derive(Debug)]
pub struct AppLock {
    _folder: File,
}

impl AppLock {
    /// Locks `app_dir` (which exists), waiting with a message when another
    /// run holds it.
    pub fn acquire(app_dir: &Path, shell: &Shell) -> Result<AppLock> {
        let folder = File::open(app_dir).with_context(|| {
            format!(
                "cannot open the app folder {} to lock it",
                app_dir.display()
            )
        })?;
        match folder.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                shell.status(
                    "Waiting",
                    format!(
                        "for another tasker-app run that is writing {} to finish",
                        app_dir.display()
                    ),
                );
                folder.lock().with_context(|| lock_failed(app_dir))?;
            }
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| lock_failed(app_dir)),
        }
        Ok(AppLock { _folder: folder })
    }

    /// The lock a run that may write `app_dir` holds: none for a dry run
    /// (it writes nothing), none for a folder that does not exist yet (a new
    /// app appears whole, by one rename, or not at all), else the app's lock.
    pub fn for_writing(app_dir: &Path, dry_run: bool, shell: &Shell) -> Result<Option<AppLock>> {
        if dry_run || !app_dir.is_dir() {
            return Ok(None);
        }
        Self::acquire(app_dir, shell).map(Some)
    }
}

fn lock_failed(app_dir: &Path) -> String {
    format!(
        "cannot lock the app folder {} (the file system may not support locks)",
        app_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let shell = Shell::captured();
        let first = AppLock::acquire(tmp.path(), &shell).unwrap();
        let other = File::open(tmp.path()).unwrap();
        assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
        drop(first);
        other.try_lock().unwrap();
    }
}
