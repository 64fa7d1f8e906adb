/*!
The database-object protocol crate (`crates/tasker-app-db`), vendored into
every generated app as `vendor/tasker-app-db/`: the app's `migrate` then runs
the very code `tasker-app install-database-objects` runs, and the app builds
offline with no unpublished crates.io dependency (docs/ARCHITECTURE.md,
"Vendored crates").

tasker-app manages these files as one unit: each carries a header saying so,
and a re-run replaces them (a hand edit is overwritten, never a conflict).
*/

use crate::plan::Action;
use crate::render::{RenderedFile, walk};
use include_dir::{Dir, include_dir};

static DB_CRATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/crates/tasker-app-db");

/// Where the crate goes in the app.
pub const DB_CRATE_DIR: &str = "vendor/tasker-app-db";

const HEADER: [&str; 3] = [
    "Vendored by tasker-app: the database-object protocol shared with the tasker-app CLI.",
    "tasker-app manages the files of vendor/tasker-app-db/ as one unit: a re-run of",
    "tasker-app replaces them together. Do not edit; change crates/tasker-app-db upstream.",
];

/// True for files a re-run replaces even when edited.
pub fn is_managed(path: &str) -> bool {
    path.starts_with(DB_CRATE_DIR) && path[DB_CRATE_DIR.len()..].starts_with('/')
}

/// A vendored file the user edited is not a conflict: the unit is
/// tasker-app's, so the edit is overwritten (and the status line says so).
pub fn managed_action(path: &str, action: Action) -> Action {
    if action == Action::Conflict && is_managed(path) {
        Action::Overwrite
    } else {
        action
    }
}

/// The crate's manifest and sources, with the header, at their app paths.
pub fn files() -> Vec<RenderedFile> {
    let mut out: Vec<RenderedFile> = walk(&DB_CRATE)
        .into_iter()
        .filter_map(|f| {
            let rel = f.path().to_string_lossy().replace('\\', "/");
            let shipped = rel == "Cargo.toml" || rel.starts_with("src/");
            shipped.then(|| RenderedFile {
                contents: with_header(&rel, f.contents()),
                path: format!("{DB_CRATE_DIR}/{rel}"),
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The header as a comment in the file's own syntax.
fn with_header(rel: &str, contents: &[u8]) -> Vec<u8> {
    let marker = match rel.rsplit('.').next() {
        Some("rs") => "//",
        Some("sql") => "--",
        _ => "#",
    };
    let mut out = Vec::new();
    for line in HEADER {
        out.extend_from_slice(format!("{marker} {line}\n").as_bytes());
    }
    out.extend_from_slice(contents);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crate_ships_its_manifest_and_sources_each_with_the_header() {
        let files = files();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert!(
            paths.contains(&"vendor/tasker-app-db/Cargo.toml"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"vendor/tasker-app-db/src/lib.rs"),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"vendor/tasker-app-db/src/tracking.sql"),
            "{paths:?}"
        );
        for f in &files {
            let text = String::from_utf8_lossy(&f.contents);
            assert!(text.contains("as one unit"), "{}", f.path);
        }
        assert!(is_managed("vendor/tasker-app-db/src/lib.rs"));
        assert!(!is_managed("vendor/tasker-app-dbx/a"));
        let lib = "vendor/tasker-app-db/src/lib.rs";
        assert_eq!(managed_action(lib, Action::Conflict), Action::Overwrite);
        assert_eq!(managed_action(lib, Action::Identical), Action::Identical);
        assert_eq!(
            managed_action("src/main.rs", Action::Conflict),
            Action::Conflict
        );
    }
}
