/*!
The workspace crates every generated app vendors, as `vendor/<crate>/`:
- `tasker-app-db` (`crates/tasker-app-db`): the database-object protocol, so the
  app's `migrate` runs the very code `tasker-app install-database-objects` runs;
- `tasker-app-runtime` (`crates/tasker-app-runtime`): the app's commands,
  settings, Step trait and adapter, API client, fake API and test harness;
- `tasker-app-workflow` (`crates/tasker-app-workflow`): the one check of a
  workflow (DAG, handlers, schema), run by `tasker-app check`/`generate` and
  by the app's `check`, `worker` and `dev`.

The app then builds offline with no unpublished crates.io dependency
(docs/ARCHITECTURE.md, "Vendored crates"). tasker-app manages each crate's
files as one unit: each carries a header saying so, and a re-run (or update)
replaces them together (a hand edit is overwritten, never a conflict).
*/

use crate::plan_types::Action;
use crate::render::{RenderedFile, walk};
use include_dir::{Dir, include_dir};

/// One vendored crate: its sources and where they go in the app.
struct Vendored {
    dir: &'static str,
    sources: &'static Dir<'static>,
    what: &'static str,
}

static DB_CRATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/crates/tasker-app-db");
static RUNTIME_CRATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/crates/tasker-app-runtime");
static WORKFLOW_CRATE: Dir<'static> =
    include_dir!("$CARGO_MANIFEST_DIR/crates/tasker-app-workflow");

const CRATES: [Vendored; 3] = [
    Vendored {
        dir: "vendor/tasker-app-db",
        sources: &DB_CRATE,
        what: "the database-object protocol shared with the tasker-app CLI",
    },
    Vendored {
        dir: "vendor/tasker-app-runtime",
        sources: &RUNTIME_CRATE,
        what: "what every tasker-app app shares (commands, Step, harness)",
    },
    Vendored {
        dir: "vendor/tasker-app-workflow",
        sources: &WORKFLOW_CRATE,
        what: "the one check of a workflow shared with the tasker-app CLI",
    },
];

/// True for files a re-run replaces even when edited.
pub fn is_managed(path: &str) -> bool {
    CRATES.iter().any(|c| {
        path.strip_prefix(c.dir)
            .is_some_and(|rest| rest.starts_with('/'))
    })
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

/// Every vendored crate's manifest and sources, with the header, at their app paths.
pub fn files() -> Vec<RenderedFile> {
    let mut out: Vec<RenderedFile> = CRATES
        .iter()
        .flat_map(|c| {
            walk(c.sources).into_iter().filter_map(move |f| {
                let rel = f.path().to_string_lossy().replace('\\', "/");
                let shipped = rel == "Cargo.toml" || rel.starts_with("src/");
                shipped.then(|| RenderedFile {
                    contents: with_header(c, &rel, f.contents()),
                    path: format!("{}/{rel}", c.dir),
                })
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The header as a comment in the file's own syntax; JSON, which has no
/// comments, is shipped as it is (the crate's other files say whose it is).
fn with_header(c: &Vendored, rel: &str, contents: &[u8]) -> Vec<u8> {
    let marker = match rel.rsplit('.').next() {
        Some("rs") => "//",
        Some("sql") => "--",
        Some("json") => return contents.to_vec(),
        _ => "#",
    };
    let name = &c.dir["vendor/".len()..];
    let header = [
        format!("Vendored by tasker-app: {}.", c.what),
        format!(
            "tasker-app manages the files of {}/ as one unit: a re-run or update",
            c.dir
        ),
        format!(
            "of tasker-app replaces them together. Do not edit; change crates/{name} upstream."
        ),
    ];
    let mut out = Vec::new();
    for line in header {
        out.extend_from_slice(format!("{marker} {line}\n").as_bytes());
    }
    out.extend_from_slice(contents);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_crate_ships_its_manifest_and_sources_each_with_the_header() {
        let files = files();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        for path in [
            "vendor/tasker-app-db/Cargo.toml",
            "vendor/tasker-app-db/src/lib.rs",
            "vendor/tasker-app-db/src/tracking.sql",
            "vendor/tasker-app-runtime/Cargo.toml",
            "vendor/tasker-app-runtime/src/lib.rs",
            "vendor/tasker-app-runtime/src/fake_api/seed.json",
            "vendor/tasker-app-workflow/src/check.rs",
        ] {
            assert!(paths.contains(&path), "{path} missing from {paths:?}");
        }
        for f in &files {
            let text = String::from_utf8_lossy(&f.contents);
            if f.path.ends_with(".json") {
                serde_json::from_slice::<serde_json::Value>(&f.contents).expect("JSON stays JSON");
            } else {
                assert!(text.contains("as one unit"), "{}", f.path);
            }
        }
        assert!(is_managed("vendor/tasker-app-db/src/lib.rs"));
        assert!(is_managed("vendor/tasker-app-runtime/src/step.rs"));
        assert!(!is_managed("vendor/tasker-app-dbx/a"));
        let lib = "vendor/tasker-app-runtime/src/lib.rs";
        assert_eq!(managed_action(lib, Action::Conflict), Action::Overwrite);
        assert_eq!(managed_action(lib, Action::Identical), Action::Identical);
        assert_eq!(
            managed_action("src/main.rs", Action::Conflict),
            Action::Conflict
        );
    }

    #[test]
    fn the_runtime_is_versioned_with_tasker_app() {
        let manifest = RUNTIME_CRATE.get_file("Cargo.toml").expect("a manifest");
        let manifest: toml::Value =
            toml::from_str(manifest.contents_utf8().expect("UTF-8")).expect("TOML");
        assert_eq!(
            manifest["package"]["version"].as_str(),
            Some(env!("CARGO_PKG_VERSION")),
            "the runtime records its version as the tasker-app release that vendored it"
        );
        let deps = &manifest["dependencies"];
        for engine in [
            "tasker-shared",
            "tasker-worker",
            "tasker-orchestration",
            "tasker-client",
        ] {
            let version = deps[engine]
                .as_str()
                .or_else(|| deps[engine]["version"].as_str())
                .unwrap_or_default();
            assert_eq!(
                version,
                format!("={}", crate::plan_types::TASKER_VERSION),
                "{engine}: the runtime pins the engine tasker-app generates for"
            );
        }
    }
}
