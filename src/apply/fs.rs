/*!
Writing a planned app to disk without ever leaving it half-written.

A new app is rendered completely into a staging folder (see [`super::staging`]) beside the target and
then renamed into place in one step: an error or Ctrl-C before that leaves no
app folder at all. In an existing app, each changed file is staged beside the
app and renamed over its target (a rename never leaves a half-written file);
backups are taken before, and the manifest is written last, so an interrupted
re-run is simply run again.
*/

use crate::plan::{Action, Plan};
use crate::shell::Shell;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Writes every file the plan says to write; prints one status line per file.
pub fn apply(plan: &Plan, shell: &Shell) -> Result<()> {
    if plan.conflicts().next().is_some() {
        bail!("internal error: the plan still has unresolved conflicts");
    }
    let parent = plan
        .app_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| not_writable(parent, e))?;
    for name in super::staging::clean_stale(parent)? {
        shell.status("remove", format!("{name} (left by an interrupted run)"));
    }
    let staging = super::staging::create(parent).map_err(|e| not_writable(parent, e))?;
    if plan.app_dir.exists() {
        update_in_place(plan, staging.path())?;
    } else {
        create_fresh(plan, staging.path())?;
    }
    for f in &plan.files {
        shell.status(f.action.verb(), &f.path);
    }
    Ok(())
}

fn not_writable(dir: &Path, e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(format!(
        "cannot write into {}; choose another --output-dir or make that folder writable",
        dir.display()
    ))
}

/// New app: everything into `staging/app`, then one rename.
fn create_fresh(plan: &Plan, staging: &Path) -> Result<()> {
    let root = staging.join("app");
    for f in plan.files.iter().filter(|f| f.action.writes()) {
        write_file(&root.join(&f.path), &f.contents)?;
    }
    std::fs::rename(&root, &plan.app_dir).with_context(|| {
        format!(
            "cannot move the generated app into {}",
            plan.app_dir.display()
        )
    })
}

/// Existing app: stage each changed file, back up where asked, rename into place.
fn update_in_place(plan: &Plan, staging: &Path) -> Result<()> {
    let writes: Vec<_> = plan.files.iter().filter(|f| f.action.writes()).collect();
    let mut staged = Vec::with_capacity(writes.len());
    for (i, f) in writes.iter().enumerate() {
        let tmp = staging.join(i.to_string());
        write_file(&tmp, &f.contents)?;
        staged.push((tmp, plan.app_dir.join(&f.path), f.action));
    }
    // The manifest is last in the plan, so it is moved last.
    for (tmp, target, action) in staged {
        if action == Action::Backup {
            let backup = backup_path(&target);
            std::fs::rename(&target, &backup).with_context(|| {
                format!(
                    "cannot back up {} to {}",
                    target.display(),
                    backup.display()
                )
            })?;
        }
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        if target.is_dir() {
            bail!(
                "{} is a folder, but the app needs a file there; move it away and run again",
                target.display()
            );
        }
        std::fs::rename(&tmp, &target)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// `file.bak`, or `file.bak.1`, `file.bak.2`, ... : never overwrites a backup.
pub fn backup_path(target: &Path) -> PathBuf {
    let base = format!("{}.bak", target.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}
