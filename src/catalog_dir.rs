/*!
A template catalog from a folder (`--catalog DIR`, `TASKER_APP_CATALOG`), laid
out like the embedded `templates/`: `skeleton/files/`, `skeleton/Cargo.lock`,
`workflows/<name>/template.toml` and `workflows/<name>/files/`.

The folder is read once into the same in-memory tree the embedded catalog is
(`include_dir::Dir`, leaked: a command runs once), so planning and rendering
have one code path for both. A catalog may come from someone else's
repository: nothing in it is followed (a symlink is refused, never read), only
its `skeleton/` and `workflows/` are read, every name passes the path rule
(`app_path`), special files are refused, and the whole read is bounded (file
count, file size, total size, depth). Every template.toml and workflow YAML
must parse and pass the workflow checks. Rendering it is `catalog_source`'s
(in a limited child process). Every error names the file.

`tasker-app catalog export DIR` writes the embedded catalog out as a start.
*/

use crate::app_path::AppPath;
use crate::catalog::{self, Catalog};
use crate::error::{CliError, Exit};
use anyhow::{Context, Result};
use include_dir::{Dir, DirEntry, File};
use std::path::{Path, PathBuf};

/// Reads and checks the catalog in `dir`.
pub fn load(dir: &Path) -> Result<Catalog> {
    let absolute = std::path::absolute(dir)
        .with_context(|| format!("cannot resolve the catalog folder {}", dir.display()))?;
    if !absolute.is_dir() {
        return Err(CliError::new(
            Exit::Failed,
            format!("the catalog folder {} does not exist or is not a folder", absolute.display()),
        )
        .with_help("pass --catalog (or TASKER_APP_CATALOG) a folder laid out like tasker-app's templates/; `tasker-app catalog export DIR` writes one to start from")
        .into());
    }
    let tree: &'static Dir<'static> = Box::leak(Box::new(read_catalog(&absolute)?));
    let origin = absolute.display().to_string();
    catalog::from_root(tree, origin, Some(absolute))
}

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// What a catalog may hold: far more than tasker-app's own (about 80 files,
/// 1 MB), far less than what would exhaust the machine.
pub const MAX_FILES: usize = 2_000;
pub const MAX_FILE_BYTES: u64 = 4 << 20;
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;
pub const MAX_DEPTH: usize = 24;

/// The top-level folders a catalog is made of; anything else at its root (a
/// README, a licence, its own `.git`) is not read.
const PARTS: [&str; 2] = ["skeleton", "workflows"];

/// How much of the limits a read has used.
#[derive(Default)]
struct Budget {
    files: usize,
    bytes: u64,
}

/// The catalog's folders as an include_dir tree whose paths are relative to `root`.
fn read_catalog(root: &Path) -> Result<Dir<'static>> {
    let mut budget = Budget::default();
    let mut entries = Vec::new();
    for part in PARTS {
        let path = root.join(part);
        match path.symlink_metadata() {
            Ok(m) if m.is_dir() => {
                entries.push(DirEntry::Dir(read_tree(root, &path, 1, &mut budget)?))
            }
            Ok(_) => return Err(refused(&path, "is not a folder (a link or a file)")),
            Err(_) => {} // missing: `catalog::from_root` names what it needs
        }
    }
    Ok(Dir::new("", Box::leak(entries.into_boxed_slice())))
}

/// A catalog file that cannot be used: named, with the fix.
fn refused(path: &Path, why: &str) -> anyhow::Error {
    CliError::new(
        Exit::Failed,
        format!("the catalog file {} {why}; the catalog was not used and nothing was written", path.display()),
    )
    .with_help("a catalog holds plain files and folders only (no symlinks, FIFOs or devices), within tasker-app's limits: replace links with copies, remove what does not belong, then run again")
    .into()
}

/// `dir` (below `root`) as an include_dir tree whose paths are relative to
/// `root`. Nothing is followed: a link anywhere is refused (it could point at
/// a key or a huge folder outside the catalog); so are special files, names
/// the path rule refuses (`.git`, `..`, devices, control characters), and a
/// catalog beyond the limits.
fn read_tree(root: &Path, dir: &Path, depth: usize, budget: &mut Budget) -> Result<Dir<'static>> {
    if depth > MAX_DEPTH {
        return Err(refused(
            dir,
            &format!("is nested deeper than {MAX_DEPTH} folders"),
        ));
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the catalog folder {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read the catalog folder {}", dir.display()))?;
    paths.sort();
    let mut entries = Vec::new();
    for path in paths {
        let rel = relative(root, &path)?;
        let app_path = AppPath::parse(&rel).map_err(|e| {
            refused(
                &path,
                &format!("has a name tasker-app cannot use: {}", e.reason),
            )
        })?;
        let meta = path
            .symlink_metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let to = std::fs::read_link(&path).unwrap_or_default();
            return Err(refused(
                &path,
                &format!("is a symlink (-> {})", to.display()),
            ));
        }
        budget.files += 1;
        if budget.files > MAX_FILES {
            return Err(refused(
                &path,
                &format!("is one more than the {MAX_FILES} files a catalog may hold"),
            ));
        }
        if kind.is_dir() {
            entries.push(DirEntry::Dir(read_tree(root, &path, depth + 1, budget)?));
        } else if kind.is_file() {
            if meta.len() > MAX_FILE_BYTES {
                return Err(refused(
                    &path,
                    &format!("is larger than {MAX_FILE_BYTES} bytes"),
                ));
            }
            budget.bytes += meta.len();
            if budget.bytes > MAX_TOTAL_BYTES {
                return Err(refused(
                    &path,
                    &format!("takes the catalog over {MAX_TOTAL_BYTES} bytes in all"),
                ));
            }
            // Again without following a link, within the limit: it may have
            // changed since it was listed.
            let bytes = crate::app_path::read_confined(root, &app_path, MAX_FILE_BYTES)
                .map_err(|e| refused(&path, &format!("cannot be read as a plain file ({e})")))?
                .ok_or_else(|| refused(&path, "is gone since the catalog was listed"))?;
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            entries.push(DirEntry::File(File::new(leak_str(rel), bytes)));
        } else {
            return Err(refused(
                &path,
                "is not a regular file (a FIFO, socket or device)",
            ));
        }
    }
    let rel = relative(root, dir)?;
    Ok(Dir::new(
        leak_str(rel),
        Box::leak(entries.into_boxed_slice()),
    ))
}

/// `path` relative to `root`, `/`-separated and UTF-8 (it becomes an app path).
fn relative(root: &Path, path: &Path) -> Result<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_str().with_context(|| {
        format!(
            "the catalog file {} has a name that is not UTF-8; rename it",
            path.display()
        )
    })?;
    Ok(text.replace('\\', "/"))
}

/// `tasker-app catalog export DIR`: the embedded catalog, written into a new
/// or empty folder (never over anything).
pub fn export(dir: &Path) -> Result<usize> {
    // Whatever is there, a link too (dangling or not), except an empty folder.
    let taken = match dir.symlink_metadata() {
        Err(_) => false,
        Ok(m) if m.is_dir() => std::fs::read_dir(dir)?.next().is_some(),
        Ok(_) => true,
    };
    if taken {
        return Err(CliError::new(
            Exit::Conflict,
            format!(
                "{} exists and is not an empty folder (a file or a link); nothing was written",
                dir.display()
            ),
        )
        .with_help("choose a new folder (it is created) or an empty one")
        .into());
    }
    let staging = tempfile::Builder::new()
        .prefix(".tasker-app-catalog-")
        .tempdir_in(
            dir.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
        .context("cannot create a staging folder next to the catalog folder")?;
    let root = staging.path().join("catalog");
    let mut count = 0;
    for file in crate::render::walk(catalog::embedded_tree()) {
        let target = root.join(file.path());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, file.contents())
            .with_context(|| format!("cannot write {}", target.display()))?;
        count += 1;
    }
    if dir.symlink_metadata().is_ok() {
        std::fs::remove_dir(dir)?;
    }
    // The staging folder goes when `staging` drops, whether this works or not.
    std::fs::rename(&root, dir)
        .with_context(|| format!("cannot move the catalog into {}", dir.display()))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Answers;

    #[test]
    fn an_exported_catalog_loads_like_the_embedded_one() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("catalog");
        let written = export(&dir).unwrap();
        assert!(written > 20, "{written}");
        let disk = load(&dir).unwrap();
        let embedded = catalog::load().unwrap();
        assert_eq!(disk.names(), embedded.names());
        assert_eq!(disk.app_lock, embedded.app_lock);
        let all: Vec<_> = disk.workflows.iter().collect();
        let from_disk = crate::plan::render_app(&disk, &answers(), &all).unwrap();
        let all: Vec<_> = embedded.workflows.iter().collect();
        let from_binary = crate::plan::render_app(&embedded, &answers(), &all).unwrap();
        assert_eq!(
            from_disk, from_binary,
            "the same catalog renders the same app"
        );
        assert!(export(&dir).is_err(), "never over an existing catalog");
    }

    #[test]
    fn a_missing_catalog_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let err = format!("{:#}", load(&tmp.path().join("missing")).unwrap_err());
        assert!(err.contains("does not exist"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn links_special_files_and_git_folders_in_a_catalog_are_refused() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        type Spoil = fn(&Path);
        let cases: [(&str, Spoil); 3] = [
            ("is a symlink", |d| {
                symlink("/etc/hostname", d.join("skeleton/files/secret.txt")).unwrap()
            }),
            ("cannot use", |d| {
                std::fs::create_dir_all(d.join("skeleton/files/.git/hooks")).unwrap();
                std::fs::write(d.join("skeleton/files/.git/hooks/post-checkout"), "x").unwrap();
            }),
            ("not a folder", |d| {
                std::fs::rename(d.join("workflows"), d.join("real-workflows")).unwrap();
                symlink(d.join("real-workflows"), d.join("workflows")).unwrap();
            }),
        ];
        for (i, (expected, spoil)) in cases.iter().enumerate() {
            let dir = tmp.path().join(format!("c{i}"));
            export(&dir).unwrap();
            spoil(&dir);
            let err = format!("{:#}", load(&dir).unwrap_err());
            assert!(err.contains(expected), "{err}");
        }
        // The catalog's own .git (a catalog kept in a repository) is not read.
        let dir = tmp.path().join("in-git");
        export(&dir).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        symlink("/etc", dir.join(".git/odd-link")).unwrap();
        load(&dir).unwrap();
    }

    fn answers() -> Answers {
        Answers {
            app_name: "shop".into(),
            api_base_url: crate::plan::DEFAULT_API_BASE_URL.into(),
            observability: false,
            no_shared_build: false,
        }
    }
}
