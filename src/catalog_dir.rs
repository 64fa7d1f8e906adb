/*!
A template catalog from a folder (`--catalog DIR`, `TASKER_APP_CATALOG`), laid
out like the embedded `templates/`: `skeleton/files/`, `skeleton/Cargo.lock`,
`workflows/<name>/template.toml` and `workflows/<name>/files/`.

The folder is read once into the same in-memory tree the embedded catalog is
(`include_dir::Dir`, leaked: a command runs once), so planning and rendering
have one code path for both. It is then checked as the embedded one is by the
tests: every template.toml and workflow YAML parses and passes the workflow
checks, and every workflow renders in strict Tera (an undefined variable is an
error) with the skeleton. Every error names the file.

`tasker-app catalog export DIR` writes the embedded catalog out as a start.
*/

use crate::catalog::{self, Catalog};
use crate::error::{CliError, Exit};
use crate::manifest::Answers;
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
    let tree: &'static Dir<'static> = Box::leak(Box::new(read_tree(&absolute, &absolute)?));
    let origin = absolute.display().to_string();
    let catalog = catalog::from_root(tree, origin, Some(absolute))?;
    trial_render(&catalog)?;
    Ok(catalog)
}

/// Every workflow rendered alone with the skeleton, with default answers, so a
/// broken template is reported now and by file, not halfway through a build.
fn trial_render(catalog: &Catalog) -> Result<()> {
    let answers = Answers {
        app_name: "catalog-check".to_string(),
        api_base_url: crate::plan::DEFAULT_API_BASE_URL.to_string(),
        observability: true,
    };
    for w in &catalog.workflows {
        crate::plan::render_app(catalog, &answers, &[w])
            .with_context(|| format!("the catalog's template `{}` does not render", w.name))?;
    }
    Ok(())
}

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// `dir` (below `root`) as an include_dir tree whose paths are relative to `root`.
fn read_tree(root: &Path, dir: &Path) -> Result<Dir<'static>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the catalog folder {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read the catalog folder {}", dir.display()))?;
    paths.sort();
    let mut entries = Vec::new();
    for path in paths {
        let rel = relative(root, &path)?;
        if path.is_dir() {
            entries.push(DirEntry::Dir(read_tree(root, &path)?));
        } else {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            entries.push(DirEntry::File(File::new(leak_str(rel), bytes)));
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
    if dir.exists() && (!dir.is_dir() || std::fs::read_dir(dir)?.next().is_some()) {
        return Err(CliError::new(
            Exit::Conflict,
            format!(
                "{} exists and is not an empty folder; nothing was written",
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
    let mut count = 0;
    for file in crate::render::walk(catalog::embedded_tree()) {
        let target = staging.path().join(file.path());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, file.contents())
            .with_context(|| format!("cannot write {}", target.display()))?;
        count += 1;
    }
    if dir.exists() {
        std::fs::remove_dir(dir)?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir)
        .with_context(|| format!("cannot move the catalog into {}", dir.display()))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_broken_catalog_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("catalog");
        export(&dir).unwrap();
        let main = dir.join("skeleton/files/src/main.rs.tera");
        std::fs::write(&main, "fn main() { {{ no_such_value }} }").unwrap();
        let err = format!("{:#}", load(&dir).unwrap_err());
        assert!(err.contains("main.rs.tera"), "{err}");
        assert!(err.contains("no_such_value"), "{err}");

        export(&tmp.path().join("c2")).unwrap();
        let yaml = tmp
            .path()
            .join("c2/workflows/inventory/files/workflows/inventory/stock_management.yaml");
        let text = std::fs::read_to_string(&yaml).unwrap();
        std::fs::write(
            &yaml,
            text.replace(
                "callable: inventory.notify_warehouse",
                "callable: inventory.nope",
            ),
        )
        .unwrap();
        let err = format!("{:#}", load(&tmp.path().join("c2")).unwrap_err());
        assert!(err.contains("stock_management.yaml"), "{err}");
        assert!(err.contains("inventory.nope"), "{err}");

        let err = format!("{:#}", load(&tmp.path().join("missing")).unwrap_err());
        assert!(err.contains("does not exist"), "{err}");
    }

    fn answers() -> Answers {
        Answers {
            app_name: "shop".into(),
            api_base_url: crate::plan::DEFAULT_API_BASE_URL.into(),
            observability: false,
        }
    }
}
