//! `tasker-app update`, `--catalog` and `catalog export`, end to end with the
//! real binary: an app is built from a copy of the catalog, the owner edits
//! it, the catalog changes, and update brings the two together.

mod app_support;
mod db_support;
mod tty_support;

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const STEP: &str = "src/handlers/ecommerce/create_order.rs";

fn tasker_app() -> Command {
    let mut cmd = Command::cargo_bin("tasker-app").unwrap();
    cmd.env_remove("DATABASE_URL")
        .env_remove("TASKER_APP_CATALOG")
        .env("NO_COLOR", "1");
    cmd
}

/// A catalog exported from the binary, and an app built from it.
struct World {
    _tmp: TempDir,
    catalog: PathBuf,
    app: PathBuf,
}

impl World {
    fn new(templates: &str) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let catalog = tmp.path().join("catalog");
        tasker_app()
            .args(["catalog", "export"])
            .arg(&catalog)
            .assert()
            .success();
        tasker_app()
            .args(["build", "shop", "--skip-db", "--yes", "-t", templates, "-o"])
            .arg(tmp.path())
            .arg("--catalog")
            .arg(&catalog)
            .assert()
            .success();
        World {
            app: tmp.path().join("shop"),
            catalog,
            _tmp: tmp,
        }
    }

    /// The catalog's source of an app file (`.tera` when it is a template).
    fn template(&self, app_path: &str) -> PathBuf {
        let candidates = [
            format!("skeleton/files/{app_path}"),
            format!("skeleton/files/{app_path}.tera"),
            format!("workflows/ecommerce/files/{app_path}"),
            format!("workflows/inventory/files/{app_path}"),
            format!("workflows/customer-onboarding/files/{app_path}"),
        ];
        candidates
            .iter()
            .map(|c| self.catalog.join(c))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no template for {app_path}"))
    }

    fn edit(path: &Path, from: &str, to: &str) {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains(from), "{} lacks {from:?}", path.display());
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    fn edit_app(&self, rel: &str, from: &str, to: &str) {
        World::edit(&self.app.join(rel), from, to);
    }

    fn edit_catalog(&self, app_path: &str, from: &str, to: &str) {
        World::edit(&self.template(app_path), from, to);
    }

    fn append_to_catalog(&self, app_path: &str, tail: &str) {
        let path = self.template(app_path);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(tail);
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.app.join(rel)).unwrap()
    }

    fn update_with_db(&self, url: &str) -> assert_cmd::assert::Assert {
        tasker_app()
            .arg("update")
            .arg(&self.app)
            .args(["--yes", "--database-url", url])
            .assert()
    }

    /// `tasker-app build` again over the app (its catalog from the manifest).
    fn rebuild(&self, templates: &str) -> assert_cmd::assert::Assert {
        tasker_app()
            .args(["build", "shop", "--skip-db", "--yes", "-t", templates, "-o"])
            .arg(self.app.parent().unwrap())
            .assert()
    }

    fn update(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        tasker_app()
            .arg("update")
            .arg(&self.app)
            .args(["--skip-db"])
            .args(args)
            .assert()
    }

    /// Every file of the app with its bytes: "nothing written" is checked on this.
    fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<_> = walkdir::WalkDir::new(&self.app)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(&self.app).unwrap();
                (rel.display().to_string(), std::fs::read(e.path()).unwrap())
            })
            .collect();
        out.sort();
        out
    }
}

#[test]
fn an_edit_at_the_top_and_a_template_change_at_the_bottom_merge_cleanly() {
    let w = World::new("ecommerce");
    w.edit_app(
        STEP,
        "//! `create_order`:",
        "//! MY NOTE: orders are audited.\n//! `create_order`:",
    );
    w.append_to_catalog(
        STEP,
        "\n/// Added by the new template version.\npub const AUDITED: bool = true;\n",
    );

    w.update(&["--yes"])
        .success()
        .stderr(predicate::str::contains(format!("merge  {STEP}")));
    let text = w.read(STEP);
    assert!(
        text.starts_with("//! MY NOTE: orders are audited.\n"),
        "{text}"
    );
    assert!(
        text.ends_with("pub const AUDITED: bool = true;\n"),
        "{text}"
    );

    // Nothing new: a second update changes nothing and keeps the edit.
    let before = w.snapshot();
    w.update(&["--yes"]).success();
    assert_eq!(w.snapshot(), before, "a second update is a no-op");
}

#[test]
fn overlapping_edits_abort_with_exit_3_and_nothing_written_or_merge_with_markers() {
    let w = World::new("ecommerce");
    w.edit_app(STEP, "RESERVATION_MISMATCH", "MY_RESERVATION_CODE");
    w.edit_catalog(STEP, "RESERVATION_MISMATCH", "NEW_RESERVATION_CODE");
    // A change elsewhere that does not conflict: applied only when update goes ahead.
    w.edit_catalog(
        "workflows/ecommerce/order_processing.yaml",
        "description: Validate a cart",
        "description: Check a cart",
    );

    let before = w.snapshot();
    w.update(&[])
        .code(3)
        .stderr(predicate::str::contains(format!("conflict  {STEP}")))
        .stderr(predicate::str::contains("nothing was written"))
        .stderr(predicate::str::contains("--on-conflict merge"));
    assert_eq!(w.snapshot(), before, "abort writes nothing at all");

    w.update(&["--on-conflict", "merge"])
        .success()
        .stderr(predicate::str::contains(format!("conflicted  {STEP}")))
        .stderr(predicate::str::contains("Resolve the conflict markers"));
    let text = w.read(STEP);
    assert!(text.contains("<<<<<<< yours\n"), "{text}");
    assert!(text.contains("MY_RESERVATION_CODE"), "{text}");
    assert!(text.contains("NEW_RESERVATION_CODE"), "{text}");
    assert!(text.contains(">>>>>>> tasker-app "), "{text}");
    assert!(
        w.read("workflows/ecommerce/order_processing.yaml")
            .contains("description: Check a cart"),
        "the other updates are applied"
    );
}

#[test]
fn dry_run_prints_unified_diffs_and_writes_nothing() {
    let w = World::new("ecommerce");
    w.edit_catalog(STEP, "RESERVATION_MISMATCH", "NEW_RESERVATION_CODE");
    let before = w.snapshot();
    w.update(&["--dry-run"])
        .success()
        .stdout(predicate::str::contains(format!(
            "--- a/{STEP}\n+++ b/{STEP}\n"
        )))
        .stdout(predicate::str::contains(
            "-                    \"RESERVATION_MISMATCH\",",
        ))
        .stdout(predicate::str::contains(
            "+                    \"NEW_RESERVATION_CODE\",",
        ))
        .stdout(predicate::str::contains("(dry run: nothing was written)"));
    assert_eq!(w.snapshot(), before);

    let out = w.update(&["--dry-run", "--format", "json"]).success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let action = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == STEP)
        .map(|f| f["action"].clone());
    assert_eq!(action, Some(serde_json::json!("update")));
    assert_eq!(doc["dry_run"], true);
    assert_eq!(w.snapshot(), before);
}

#[test]
fn removing_a_workflow_deletes_its_unchanged_files_and_keeps_the_edited_one() {
    let w = World::new("ecommerce,inventory");
    w.edit_app(STEP, "RESERVATION_MISMATCH", "MY_RESERVATION_CODE");
    w.update(&["--remove", "ecommerce", "--yes"])
        .success()
        .stderr(predicate::str::contains(format!(
            "keep  {STEP} (no longer generated; you changed it"
        )))
        .stderr(predicate::str::contains(
            "remove  src/handlers/ecommerce/validate_cart.rs",
        ));
    assert!(w.app.join(STEP).is_file(), "the edited file stays");
    assert!(
        !w.app
            .join("src/handlers/ecommerce/validate_cart.rs")
            .exists()
    );
    assert!(
        !w.app.join("workflows/ecommerce").exists(),
        "emptied folders go too"
    );
    let registry = w.read("src/handlers/mod.rs");
    assert!(!registry.contains("ecommerce::"), "{registry}");
    let manifest = w.read(".tasker-app/manifest.toml");
    assert!(
        manifest.contains("templates = [\"inventory\"]"),
        "{manifest}"
    );
    assert!(
        manifest.contains(STEP),
        "the kept file stays in the manifest: {manifest}"
    );

    // And back: --add writes the workflow again; the edited file is merged, not lost.
    w.update(&["--add", "ecommerce", "--yes", "--on-conflict", "skip"])
        .success();
    assert!(
        w.app
            .join("src/handlers/ecommerce/validate_cart.rs")
            .is_file()
    );
    assert!(w.read(STEP).contains("MY_RESERVATION_CODE"));
    assert!(
        w.read("src/handlers/mod.rs")
            .contains(".step(ecommerce::ValidateCart)")
    );
}

#[test]
fn a_build_rerun_with_fewer_templates_says_what_it_keeps() {
    let w = World::new("ecommerce,inventory");
    w.rebuild("inventory")
        .success()
        .stderr(predicate::str::contains(format!(
            "keep  {STEP} (no longer generated; left as it is (`tasker-app update` removes it))"
        )));
    assert!(w.app.join(STEP).is_file());
    assert!(
        w.read(".tasker-app/manifest.toml").contains(STEP),
        "nothing leaves the manifest silently"
    );
}

#[test]
fn bad_update_inputs_are_refused_with_the_fix_and_change_nothing() {
    let w = World::new("ecommerce");
    let before = w.snapshot();
    w.update(&["--add", "ecomerce"])
        .code(2)
        .stderr(predicate::str::contains("did you mean `ecommerce`"));
    w.update(&["--remove", "inventory"])
        .code(2)
        .stderr(predicate::str::contains(
            "the app has no `inventory` workflow",
        ));
    w.update(&["--remove", "ecommerce"])
        .code(2)
        .stderr(predicate::str::contains("at least one workflow"));
    // The same workflow both ways (an alias counts as its name), and empty
    // names (which must not read as "every workflow").
    w.update(&["--add", "customer", "--remove", "customer-onboarding"])
        .code(2)
        .stderr(predicate::str::contains(
            "`customer-onboarding` is both added and removed",
        ));
    for flag in ["--add", "--remove"] {
        w.update(&[flag, ","])
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{flag} was given an empty name"
            )));
    }
    assert_eq!(w.snapshot(), before);

    let not_an_app = tempfile::tempdir().unwrap();
    tasker_app()
        .arg("update")
        .arg(not_an_app.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not an app tasker-app generated"));

    // The manifest remembers the catalog; a moved catalog is named.
    let moved = w.catalog.with_file_name("moved");
    std::fs::rename(&w.catalog, &moved).unwrap();
    w.update(&[])
        .code(1)
        .stderr(predicate::str::contains("generated from the catalog"))
        .stderr(predicate::str::contains("--catalog"));
    tasker_app()
        .arg("update")
        .arg(&w.app)
        .args(["--skip-db", "--catalog"])
        .arg(&moved)
        .assert()
        .success();
}

#[cfg(unix)]
#[test]
fn a_symlink_inside_the_app_is_never_written_through_or_replaced() {
    let w = World::new("ecommerce");
    // The owner keeps the handlers in a shared checkout, linked into the app,
    // and links Cargo.toml to a file of their own.
    let shared = w.app.with_file_name("shared-handlers");
    std::fs::rename(w.app.join("src/handlers"), &shared).unwrap();
    std::os::unix::fs::symlink(&shared, w.app.join("src/handlers")).unwrap();
    w.append_to_catalog(STEP, "\n// new in the template\n");
    let shared_before = std::fs::read(shared.join("ecommerce/create_order.rs")).unwrap();
    let before = w.snapshot();

    for run in [
        w.update(&["--yes"]),
        // A build re-run that adds a workflow writes into src/handlers/ too.
        w.rebuild("ecommerce,inventory"),
    ] {
        run.code(1)
            .stderr(predicate::str::contains("src/handlers (->"))
            .stderr(predicate::str::contains("nothing was written"))
            .stderr(predicate::str::contains("replace each link"));
    }
    assert_eq!(w.snapshot(), before);
    assert_eq!(
        std::fs::read(shared.join("ecommerce/create_order.rs")).unwrap(),
        shared_before
    );
    assert!(!shared.join("inventory").exists());
    assert!(
        w.app
            .join("src/handlers")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A linked file is the owner's too: not replaced by a plain file.
    std::fs::remove_file(w.app.join("src/handlers")).unwrap();
    std::fs::rename(&shared, w.app.join("src/handlers")).unwrap();
    let mine = w.app.with_file_name("my-step.rs");
    std::fs::rename(w.app.join(STEP), &mine).unwrap();
    std::os::unix::fs::symlink(&mine, w.app.join(STEP)).unwrap();
    w.update(&["--yes"])
        .code(1)
        .stderr(predicate::str::contains(format!("{STEP} (->")));
    assert!(
        w.app
            .join(STEP)
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // Without links, the same update goes through.
    std::fs::remove_file(w.app.join(STEP)).unwrap();
    std::fs::rename(&mine, w.app.join(STEP)).unwrap();
    w.update(&["--yes"]).success();
    assert!(w.read(STEP).ends_with("// new in the template\n"));
}

#[test]
fn a_broken_catalog_is_refused_naming_the_file() {
    let w = World::new("ecommerce");
    w.edit_catalog(
        "src/main.rs",
        "mod handlers;",
        "mod handlers; {{ undefined_value }}",
    );
    let before = w.snapshot();
    w.update(&[])
        .code(1)
        .stderr(predicate::str::contains("main.rs.tera"))
        .stderr(predicate::str::contains("undefined_value"));
    assert_eq!(w.snapshot(), before);
    tasker_app()
        .args(["list-templates", "--catalog"])
        .arg(&w.catalog)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("main.rs.tera"));
}

/// The runtime is replaced as one unit, even when someone edited it.
#[test]
fn the_vendored_runtime_is_replaced_as_a_unit() {
    let w = World::new("inventory");
    let step = "vendor/tasker-app-runtime/src/step.rs";
    let original = w.read(step);
    std::fs::write(w.app.join(step), "// hand edit\n").unwrap();
    w.update(&["--yes"])
        .success()
        .stderr(predicate::str::contains(format!("overwrite  {step}")));
    assert_eq!(w.read(step), original);
}

/// After a catalog change to Cargo.toml.tera, the updated app still compiles
/// (offline, with its pinned lock, in the shared warm target folder).
#[test]
fn an_update_after_a_cargo_toml_change_still_compiles() {
    let w = World::new("inventory");
    w.edit_catalog(
        "Cargo.toml",
        "observability = [\"tasker-app-runtime/observability\"]",
        "observability = [\"tasker-app-runtime/observability\"]\n# Added by the new catalog\naudit = []",
    );
    w.edit_app(
        "src/main.rs",
        "mod handlers;",
        "mod handlers; // the owner's note",
    );
    w.update(&["--yes"]).success();
    let cargo_toml = w.read("Cargo.toml");
    assert!(cargo_toml.contains("audit = []"), "{cargo_toml}");
    assert!(w.read("src/main.rs").contains("the owner's note"));
    app_support::cargo(
        &w.app,
        &["build", "--locked", "--offline", "--features", "audit"],
        "",
    );
}

/// In a terminal, a conflict shows the diff and offers merge / keep mine /
/// take new / backup; the pick is carried out and the rest applied.
#[test]
fn in_a_terminal_a_conflict_shows_the_diff_and_asks() {
    let w = World::new("ecommerce");
    w.edit_app(STEP, "RESERVATION_MISMATCH", "MY_RESERVATION_CODE");
    w.edit_catalog(STEP, "RESERVATION_MISMATCH", "NEW_RESERVATION_CODE");
    w.edit_catalog(
        "workflows/ecommerce/order_processing.yaml",
        "description: Validate a cart",
        "description: Check a cart",
    );
    let args = format!("update '{}' --skip-db", w.app.display());

    // "keep mine": the second choice; nothing of the file changes.
    let tty = tty_support::Tty::tasker_app(w.app.parent().unwrap(), &args, &[]);
    let screen = tty.wait_for("was changed since it was generated");
    assert!(screen.contains(&format!("--- a/{STEP}")), "{screen}");
    assert!(
        screen.contains("-                    \"MY_RESERVATION_CODE\","),
        "{screen}"
    );
    assert!(
        screen.contains("+                    \"NEW_RESERVATION_CODE\","),
        "{screen}"
    );
    for choice in ["merge", "keep mine", "take new", "back mine up"] {
        assert!(screen.contains(choice), "{choice} not offered:\n{screen}");
    }
    tty.keys(&["Down"]);
    tty.keys(&["Enter"]);
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    assert!(w.read(STEP).contains("MY_RESERVATION_CODE"));
    assert!(!w.read(STEP).contains("<<<<<<<"));
    assert!(
        w.read("workflows/ecommerce/order_processing.yaml")
            .contains("description: Check a cart")
    );

    // The template changed again: "merge" (the default) writes the markers.
    w.edit_catalog(STEP, "NEW_RESERVATION_CODE", "NEWER_RESERVATION_CODE");
    let tty = tty_support::Tty::tasker_app(w.app.parent().unwrap(), &args, &[]);
    tty.wait_for("was changed since it was generated");
    tty.keys(&["Enter"]);
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    let text = w.read(STEP);
    assert!(
        text.contains("<<<<<<< yours") && text.contains("NEWER_RESERVATION_CODE"),
        "{text}"
    );
}

/// With a database URL, update applies what is new there, as build does: the
/// engine's migrations, the app's own, its functions and views.
#[test]
fn update_with_a_database_url_prepares_the_database() {
    let w = World::new("inventory");
    let db = db_support::TestDb::new("update");
    w.update_with_db(&db.url)
        .success()
        .stderr(predicate::str::contains("Finished"));
    let mut client = db.client();
    let views: i64 = client
        .query_one(
            "SELECT count(*) FROM tasker_app.database_objects WHERE kind = 'view'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(views > 0, "the app's views are installed and tracked");
    let engine: i64 = client
        .query_one("SELECT count(*) FROM _sqlx_migrations", &[])
        .unwrap()
        .get(0);
    assert!(engine >= 8, "the engine's migrations are applied: {engine}");
}
