/*!
The SQL a database step applies, read from an app's `db/` folder, from the
embedded catalog, or from the files of a build plan (for `--dry-run`).

What the folders mean, how a function or view file names its object, and
which files are refused is the protocol of `tasker-app-db`
([`tasker_app_db::layout`]), shared with every generated app's `migrate`;
this module only feeds it files.
*/

use anyhow::{Context, Result};
use std::path::Path;

pub use tasker_app_db::{
    Kind as ObjectKind, Migration as AppMigration, Object as DbObject, Sources as DbSources,
    SqlFile,
};

/// Reads an app's `db/` folder (a missing folder or subfolder is empty).
pub fn from_dir(db_dir: &Path) -> Result<DbSources> {
    let files = tasker_app_db::layout::read_dir(db_dir)
        .with_context(|| format!("cannot read {}", db_dir.display()))?;
    from_files(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
}

/// The SQL embedded in this tasker-app (`database_objects/`).
pub fn embedded() -> Result<DbSources> {
    let files = embedded_files()?;
    from_files(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
}

/// Builds from (path relative to `db/`, bytes) pairs; other paths are ignored.
pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Result<DbSources> {
    Ok(DbSources::from_files(files)?)
}

/// The embedded `database_objects/` files as (path relative to it, bytes).
pub fn embedded_files() -> Result<Vec<(String, Vec<u8>)>> {
    let catalog = crate::catalog::load()?;
    let mut out: Vec<(String, Vec<u8>)> = crate::render::walk(catalog.database_objects)
        .into_iter()
        .map(|f| {
            let rel = f.path().to_string_lossy().replace('\\', "/");
            (rel, f.contents().to_vec())
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_objects_parse() {
        let s = embedded().unwrap();
        assert!(
            s.bootstrap.is_empty(),
            "the tracking schema is tasker-app-db's"
        );
        assert_eq!(s.compat.len(), 1);
        assert!(s.views.iter().all(|v| v.name.schema == "app"));
    }
}
