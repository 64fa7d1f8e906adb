/*!
Writing a planned app to disk without ever leaving it half-written.

A new app is rendered completely into a staging folder (see [`super::staging`]) beside the target and
then renamed into place in one step: an error or Ctrl-C before that leaves no
app folder at all. In an existing app, each changed file is staged beside the
app and renamed over its target (a rename never leaves a half-written file);
backups are taken before, files no longer generated are removed after, and
the manifest is written last, so an interrupted re-run is simply run again.

Beside each generated file goes its base, `.tasker-app/base/<path>`: exactly
what was generated, the ancestor of the next update's three-way merge.
Vendored crates have none (they are replaced, never merged).
*/

use crate::app_path::{AppPath, Expect, check_on_disk, read_confined};
use crate::plan_types::{Action, BASE_DIR, FilePlan, Plan};
use crate::shell::Shell;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Writes every file the plan says to write; prints one status line per file.
/// The caller has run [`refuse_links`] first, before any conflict question.
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
    let changed = if plan.app_dir.exists() {
        update_in_place(plan, staging.path())?
    } else {
        create_fresh(plan, staging.path())?;
        Vec::new()
    };
    for f in &plan.files {
        match f.action {
            Action::Remove if changed.contains(&f.path) => shell.status(
                "keep",
                format!("{} (changed since this run read it, so it stays)", f.path),
            ),
            Action::Keep | Action::Remove => match &f.note {
                Some(note) => shell.status(f.action.verb(), format!("{} ({note})", f.path)),
                None => shell.status(f.action.verb(), &f.path),
            },
            Action::Conflicted => shell.status(
                "conflicted",
                format!("{} (conflict markers written: resolve them)", f.path),
            ),
            action => shell.status(action.verb(), &f.path),
        }
    }
    Ok(())
}

/// Refuses (before anything is written) a plan any of whose paths passes
/// through a symlink inside the app, or meets a folder or special file where
/// a file goes: see [`super::links`]. Every planned path counts, not only
/// the ones written: planning reads nothing through a link, so a file behind
/// one would otherwise look deleted and be kept with the wrong reason.
pub fn refuse_links(plan: &Plan) -> Result<()> {
    let files = plan.files.iter().map(|f| f.path.clone());
    let bases = plan.files.iter().map(|f| format!("{BASE_DIR}/{}", f.path));
    let paths: Vec<String> = files.chain(bases).collect();
    super::links::refuse_links(&plan.app_dir, paths.iter().map(String::as_str))
}

/// The bases to write: the rendering of every generated file that is not
/// vendored (and not the manifest), where it is not already the base.
fn bases(plan: &Plan) -> Vec<(String, &[u8])> {
    plan.files
        .iter()
        .filter(|f| has_base(f))
        .map(|f| (format!("{BASE_DIR}/{}", f.path), f.rendered.as_slice()))
        .filter(|(path, bytes)| {
            std::fs::read(plan.app_dir.join(path)).map_or(true, |old| old != *bytes)
        })
        .collect()
}

fn has_base(f: &FilePlan) -> bool {
    !matches!(f.action, Action::Keep | Action::Remove)
        && f.path != crate::manifest::PATH
        && !crate::vendor::is_managed(&f.path)
}

fn not_writable(dir: &Path, e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context(format!(
        "cannot write into {}; make that folder writable (or, for a new app, choose another --output-dir)",
        dir.display()
    ))
}

/// New app: everything into `staging/app`, then one rename.
fn create_fresh(plan: &Plan, staging: &Path) -> Result<()> {
    let root = staging.join("app");
    for f in plan.files.iter().filter(|f| f.action.writes()) {
        write_file(&root.join(&f.path), &f.contents)?;
    }
    for (path, bytes) in bases(plan) {
        write_file(&root.join(path), bytes)?;
    }
    std::fs::rename(&root, &plan.app_dir).with_context(|| {
        format!(
            "cannot move the generated app into {}",
            plan.app_dir.display()
        )
    })
}

/// Existing app: stage each changed file, back up where asked, rename into place.
/// Returns the files planned for removal that changed since the plan (kept).
fn update_in_place(plan: &Plan, staging: &Path) -> Result<Vec<String>> {
    let (manifest, files): (Vec<&FilePlan>, Vec<&FilePlan>) = plan
        .files
        .iter()
        .filter(|f| f.action.writes())
        .partition(|f| f.path == crate::manifest::PATH);
    let mut writes: Vec<(String, &[u8], Action)> = files
        .iter()
        .map(|f| (f.path.clone(), f.contents.as_slice(), f.action))
        .collect();
    writes.extend(bases(plan).into_iter().map(|(p, b)| (p, b, Action::Update)));
    let mut staged = Vec::with_capacity(writes.len() + 1);
    for (i, (path, contents, action)) in writes.into_iter().enumerate() {
        let tmp = staging.join(i.to_string());
        write_file(&tmp, contents)?;
        staged.push((tmp, plan.app_dir.join(path), action));
    }
    let mut last = Vec::new();
    for f in &manifest {
        let tmp = staging.join("manifest");
        write_file(&tmp, &f.contents)?;
        last.push((tmp, plan.app_dir.join(&f.path), f.action));
    }
    // Files that are no longer generated go before the manifest that forgets them.
    move_into_place(staged)?;
    let mut changed = Vec::new();
    for f in plan.files.iter().filter(|f| f.action == Action::Remove) {
        if !remove_generated(&plan.app_dir, f)? {
            changed.push(f.path.clone());
        }
    }
    move_into_place(last)?;
    Ok(changed)
}

/// A file tasker-app no longer generates, its base, and the folders that
/// leaves empty (never above the app folder). The file goes only when its
/// bytes are still the ones the manifest recorded (`f.sha256`), read without
/// following a link; otherwise it stays and `false` says so.
fn remove_generated(app_dir: &Path, f: &FilePlan) -> Result<bool> {
    let path = AppPath::parse(&f.path)?;
    let removed = match read_confined(app_dir, &path, REMOVE_LIMIT) {
        Ok(Some(bytes)) if crate::manifest::sha256_hex(&bytes) == f.sha256 => {
            remove_file_and_empty_folders(app_dir, &path)?;
            true
        }
        Ok(None) => true,
        Ok(Some(_)) | Err(_) => false,
    };
    let base = AppPath::parse(&format!("{BASE_DIR}/{path}"))?;
    if check_on_disk(app_dir, &base, Expect::File).is_ok() {
        remove_file_and_empty_folders(app_dir, &base)?;
    }
    Ok(removed)
}

/// Files recorded bigger than this were never generated by tasker-app.
const REMOVE_LIMIT: u64 = 64 << 20;

fn remove_file_and_empty_folders(app_dir: &Path, path: &AppPath) -> Result<()> {
    let target = path.under(app_dir);
    match std::fs::remove_file(&target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", target.display())),
    }
    for folder in path.ancestors() {
        if std::fs::remove_dir(app_dir.join(folder)).is_err() {
            break; // not empty (or not ours to remove): stop climbing
        }
    }
    Ok(())
}

/// Renames staged files over their targets, taking backups first where asked.
fn move_into_place(staged: Vec<(PathBuf, PathBuf, Action)>) -> Result<()> {
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
