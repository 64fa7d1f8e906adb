//! The `tasker-app` command line, end to end: every command, exit code and
//! conflict mode, run as a user runs it (the real binary, real folders).

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The binary with a clean environment: no DATABASE_URL, no colour.
fn tasker_app() -> Command {
    let mut cmd = Command::cargo_bin("tasker-app").unwrap();
    cmd.env_remove("DATABASE_URL").env("NO_COLOR", "1");
    cmd
}

/// `build NAME --skip-db --yes -o DIR ARGS...`
fn build(dir: &Path, name: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    tasker_app()
        .args(["build", name, "--skip-db", "--yes", "-o"])
        .arg(dir)
        .args(args)
        .assert()
}

/// Every file below `root` as (relative path, bytes), sorted.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn paths(root: &Path) -> Vec<String> {
    tree(root).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn help_lists_every_command() {
    tasker_app().arg("--help").assert().success().stdout(
        predicate::str::contains("build")
            .and(predicate::str::contains("list-templates"))
            .and(predicate::str::contains("validate-environment"))
            .and(predicate::str::contains("install-database-objects"))
            .and(predicate::str::contains("completions")),
    );
    tasker_app()
        .args(["build", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--on-conflict"));
}

#[test]
fn usage_errors_exit_2() {
    tasker_app().arg("frobnicate").assert().code(2);
    tasker_app()
        .args(["build", "--on-conflict", "sometimes"])
        .assert()
        .code(2);
    tasker_app()
        .args(["list-templates", "--format", "xml"])
        .assert()
        .code(2);
    tasker_app().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn invalid_app_names_are_refused_with_a_fix() {
    let dir = TempDir::new().unwrap();
    for (name, why) in [
        ("", "empty"),
        ("1shop", "digit"),
        ("..", "outside"),
        ("../escape", "`..`"),
        ("a/b", "separator"),
        ("my shop", "space"),
        ("self", "reserved"),
        ("test", "reserved"),
    ] {
        build(dir.path(), name, &[])
            .code(2)
            .stderr(predicate::str::contains(why).and(predicate::str::contains("help:")));
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing may be written"
    );
    assert!(!dir.path().parent().unwrap().join("escape").exists());
}

#[test]
fn an_unknown_template_lists_the_valid_ones_and_suggests_the_closest() {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "shop", &["-t", "ecomerce"])
        .code(2)
        .stderr(
            predicate::str::contains("unknown template `ecomerce`")
                .and(predicate::str::contains("did you mean `ecommerce`"))
                .and(predicate::str::contains("customer-onboarding")),
        );
    assert!(!dir.path().join("shop").exists());
}

#[test]
fn list_templates_prints_text_and_the_contract_json() {
    tasker_app()
        .arg("list-templates")
        .assert()
        .success()
        .stdout(
            predicate::str::contains("ecommerce/order_processing")
                .and(predicate::str::contains("<- validate_cart")),
        );
    let out = tasker_app()
        .args(["list-templates", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let templates = doc["templates"].as_array().unwrap();
    assert_eq!(templates.len(), 3);
    let ecommerce = templates.iter().find(|t| t["name"] == "ecommerce").unwrap();
    assert_eq!(ecommerce["namespace"], "ecommerce");
    assert_eq!(ecommerce["task_name"], "order_processing");
    assert!(ecommerce["description"].as_str().unwrap().len() > 10);
    assert_eq!(
        ecommerce["required_context"],
        serde_json::json!(["cart_id", "customer_email"])
    );
    let steps = ecommerce["steps"].as_array().unwrap();
    let deps = |name: &str| steps.iter().find(|s| s["name"] == name).unwrap()["depends_on"].clone();
    assert_eq!(deps("validate_cart"), serde_json::json!([]));
    assert_eq!(
        deps("create_order").as_array().unwrap().len(),
        2,
        "a diamond, not a chain"
    );
    let customer = templates
        .iter()
        .find(|t| t["name"] == "customer-onboarding")
        .unwrap();
    assert_eq!(customer["namespace"], "customer");
    assert_eq!(customer["task_name"], "user_onboarding");
    let inventory = templates.iter().find(|t| t["name"] == "inventory").unwrap();
    assert_eq!(inventory["task_name"], "stock_management");
}

#[test]
fn completions_for_every_shell_match_the_committed_files() {
    for (shell, file) in [
        ("bash", "tasker-app.bash"),
        ("zsh", "_tasker-app"),
        ("fish", "tasker-app.fish"),
        ("elvish", "tasker-app.elv"),
        ("powershell", "_tasker-app.ps1"),
    ] {
        let out = tasker_app().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        assert!(out.stdout.len() > 500, "{shell} completions are too short");
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file);
        if std::env::var_os("UPDATE_COMPLETIONS").is_some() {
            std::fs::write(&committed, &out.stdout).unwrap();
        }
        let on_disk = std::fs::read(&committed).unwrap_or_default();
        assert!(
            on_disk == out.stdout,
            "completions/{file} is stale: run `UPDATE_COMPLETIONS=1 cargo test --test cli completions`"
        );
    }
}

#[test]
fn build_writes_the_app_and_its_manifest() {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "shop", &["--template", "ecommerce"])
        .success()
        .stderr(
            predicate::str::contains("create  Cargo.toml")
                .and(predicate::str::contains("Next steps")),
        );
    let app = dir.path().join("shop");
    let files = paths(&app);
    for expected in [
        "Cargo.toml",
        "src/main.rs",
        "workflows/ecommerce/order_processing.yaml",
        ".tasker-app/manifest.toml",
    ] {
        assert!(files.iter().any(|f| f == expected), "{expected} missing");
    }
    assert!(
        !files.iter().any(|f| f.starts_with("workflows/inventory")),
        "only the chosen template"
    );
    let cargo_toml = std::fs::read_to_string(app.join("Cargo.toml")).unwrap();
    assert!(
        cargo_toml.contains("name = \"shop\"")
            && cargo_toml.contains("path = \"vendor/tasker-app-runtime\""),
        "{cargo_toml}"
    );
    let runtime =
        std::fs::read_to_string(app.join("vendor/tasker-app-runtime/Cargo.toml")).unwrap();
    assert!(
        runtime.contains("tasker-worker = { version = \"=0.1.8\""),
        "{runtime}"
    );
    let manifest = std::fs::read_to_string(app.join(".tasker-app/manifest.toml")).unwrap();
    assert!(
        manifest.contains("templates = [\"ecommerce\"]"),
        "{manifest}"
    );
    assert!(manifest.contains("\"src/main.rs\" = "), "{manifest}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["shop"], "no staging folder may be left behind");
}

#[test]
fn comma_separated_and_repeated_templates_give_identical_apps() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    build(a.path(), "shop", &["-t", "ecommerce,inventory"]).success();
    build(
        b.path(),
        "shop",
        &["-t", "inventory", "--template", "ecommerce"],
    )
    .success();
    assert_eq!(tree(&a.path().join("shop")), tree(&b.path().join("shop")));
}

#[test]
fn the_alias_customer_selects_customer_onboarding() {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "crm", &["-t", "customer"]).success();
    assert!(
        dir.path()
            .join("crm/workflows/customer/user_onboarding.yaml")
            .is_file()
    );
}

#[test]
fn the_same_inputs_give_byte_identical_files() {
    let a = TempDir::new().unwrap();
    let b = TempDir::new().unwrap();
    build(a.path(), "shop", &[]).success();
    build(b.path(), "shop", &[]).success();
    assert_eq!(tree(&a.path().join("shop")), tree(&b.path().join("shop")));
}

#[test]
fn a_rerun_is_identical_and_reuses_the_answers() {
    let dir = TempDir::new().unwrap();
    build(
        dir.path(),
        "shop",
        &["-t", "inventory", "--api-base-url", "https://dummyjson.com"],
    )
    .success();
    let before = tree(&dir.path().join("shop"));
    build(dir.path(), "shop", &[]).success().stderr(
        predicate::str::contains("identical  Cargo.toml")
            .and(predicate::str::contains("      create  ").not()),
    );
    assert_eq!(before, tree(&dir.path().join("shop")));
}

#[test]
fn dry_run_writes_nothing_and_prints_the_plan_as_json() {
    let dir = TempDir::new().unwrap();
    let out = tasker_app()
        .args([
            "build",
            "shop",
            "--skip-db",
            "--dry-run",
            "--format",
            "json",
            "-o",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "a dry run writes nothing"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("exactly one JSON document");
    assert_eq!(
        doc["app_dir"],
        dir.path().join("shop").to_string_lossy().as_ref()
    );
    assert_eq!(doc["templates"].as_array().unwrap().len(), 3);
    let files = doc["files"].as_array().unwrap();
    assert!(
        files
            .iter()
            .all(|f| f["action"] == "create" && f["sha256"].as_str().unwrap().len() == 64)
    );
    assert!(doc["database"]["steps"].is_array());
    tasker_app()
        .args(["build", "shop", "--skip-db", "--dry-run", "-o"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("create  Cargo.toml"));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

/// A generated app whose src/main.rs the user edited, and one generated file deleted.
fn edited_app() -> (TempDir, PathBuf, Vec<u8>) {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "shop", &["-t", "ecommerce"]).success();
    let app = dir.path().join("shop");
    let original = std::fs::read(app.join("src/main.rs")).unwrap();
    std::fs::write(app.join("src/main.rs"), b"// my own main\nfn main() {}\n").unwrap();
    std::fs::remove_file(app.join("README.md")).unwrap();
    (dir, app, original)
}

#[test]
fn a_user_edit_aborts_by_default_and_nothing_is_written() {
    let (dir, app, _) = edited_app();
    build(dir.path(), "shop", &[]).code(3).stderr(
        predicate::str::contains("conflict  src/main.rs")
            .and(predicate::str::contains("nothing was written"))
            .and(predicate::str::contains("--on-conflict")),
    );
    assert_eq!(
        std::fs::read(app.join("src/main.rs")).unwrap(),
        b"// my own main\nfn main() {}\n"
    );
    assert!(
        !app.join("README.md").exists(),
        "abort writes nothing, not even missing files"
    );
    tasker_app()
        .args(["build", "shop", "--skip-db", "-o"])
        .arg(dir.path())
        .write_stdin("")
        .assert()
        .code(3);
}

#[test]
fn on_conflict_skip_keeps_the_edit_and_restores_the_rest() {
    let (dir, app, _) = edited_app();
    build(dir.path(), "shop", &["--on-conflict", "skip"])
        .success()
        .stderr(
            predicate::str::contains("skip  src/main.rs")
                .and(predicate::str::contains("create  README.md")),
        );
    assert_eq!(
        std::fs::read(app.join("src/main.rs")).unwrap(),
        b"// my own main\nfn main() {}\n"
    );
    assert!(app.join("README.md").is_file());
    build(dir.path(), "shop", &[]).code(3);
}

#[test]
fn on_conflict_overwrite_replaces_the_edit() {
    let (dir, app, original) = edited_app();
    build(dir.path(), "shop", &["--on-conflict", "overwrite"])
        .success()
        .stderr(predicate::str::contains("overwrite  src/main.rs"));
    assert_eq!(std::fs::read(app.join("src/main.rs")).unwrap(), original);
    assert!(!app.join("src/main.rs.bak").exists());
}

#[test]
fn on_conflict_backup_keeps_the_edit_beside_the_new_file() {
    let (dir, app, original) = edited_app();
    build(dir.path(), "shop", &["--on-conflict", "backup"])
        .success()
        .stderr(predicate::str::contains("backup  src/main.rs"));
    assert_eq!(std::fs::read(app.join("src/main.rs")).unwrap(), original);
    assert_eq!(
        std::fs::read(app.join("src/main.rs.bak")).unwrap(),
        b"// my own main\nfn main() {}\n"
    );
    std::fs::write(app.join("src/main.rs"), b"// second edit\n").unwrap();
    build(dir.path(), "shop", &["--on-conflict", "backup"]).success();
    assert_eq!(
        std::fs::read(app.join("src/main.rs.bak.1")).unwrap(),
        b"// second edit\n",
        "backups are never overwritten"
    );
}

#[test]
fn a_file_unchanged_since_generation_is_updated_without_asking() {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "shop", &["-t", "ecommerce"]).success();
    let app = dir.path().join("shop");
    // Pretend an older tasker-app generated README.md differently: change the
    // file and record the change in the manifest, as that older build would have.
    let old = b"# an older generated readme\n";
    std::fs::write(app.join("README.md"), old).unwrap();
    let manifest_path = app.join(".tasker-app/manifest.toml");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let current = tasker_app::manifest::Manifest::parse(&manifest).unwrap();
    let mut older = current.clone();
    older
        .files
        .insert("README.md".into(), tasker_app::manifest::sha256_hex(old));
    std::fs::write(&manifest_path, older.to_toml()).unwrap();
    build(dir.path(), "shop", &[])
        .success()
        .stderr(predicate::str::contains("update  README.md"));
    assert_ne!(std::fs::read(app.join("README.md")).unwrap(), old);
}

#[test]
fn bad_output_locations_fail_with_the_path_and_a_fix() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    build(&file, "shop", &[])
        .code(1)
        .stderr(predicate::str::contains("is a file").and(predicate::str::contains("help:")));
    std::fs::write(dir.path().join("shop"), b"x").unwrap();
    build(dir.path(), "shop", &[])
        .code(1)
        .stderr(predicate::str::contains("is not a folder"));
    // Not writable even for root: /proc does not accept new folders.
    build(Path::new("/proc/tasker-app-test"), "shop", &[])
        .code(1)
        .stderr(predicate::str::contains("cannot write into"));
}

#[test]
fn build_json_is_one_document_on_stdout() {
    let dir = TempDir::new().unwrap();
    let out = tasker_app()
        .args([
            "build",
            "shop",
            "-t",
            "inventory",
            "--skip-db",
            "--format",
            "json",
            "-o",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["templates"], serde_json::json!(["inventory"]));
    assert_eq!(doc["dry_run"], false);
}

#[test]
fn output_without_a_terminal_has_no_colour_codes() {
    let dir = TempDir::new().unwrap();
    let out = Command::cargo_bin("tasker-app")
        .unwrap()
        .env_remove("DATABASE_URL")
        .env_remove("NO_COLOR")
        .args(["build", "shop", "--skip-db", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stderr.contains(&0x1b), "escape codes in piped output");
}

#[test]
fn bad_api_urls_are_usage_errors() {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "shop", &["--api-base-url", "dummyjson.com"])
        .code(2)
        .stderr(predicate::str::contains("https://dummyjson.com"));
    assert!(!dir.path().join("shop").exists());
}

/// Golden listing of the generated tree: every path with its sha256, for all
/// three templates. A template change shows up here as a reviewed diff;
/// refresh with `UPDATE_SNAPSHOTS=1 cargo test --test cli golden`.
#[test]
fn golden_tree_of_an_app_with_all_templates() {
    let dir = TempDir::new().unwrap();
    build(dir.path(), "golden", &[]).success();
    let listing: String = tree(&dir.path().join("golden"))
        .into_iter()
        .map(|(path, bytes)| format!("{}  {path}\n", tasker_app::manifest::sha256_hex(&bytes)))
        .collect();
    let snapshot =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/golden-all-templates.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &listing).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        expected == listing,
        "the generated tree changed; review, then `UPDATE_SNAPSHOTS=1 cargo test --test cli golden`\n--- expected\n{expected}\n--- got\n{listing}"
    );
}

#[test]
fn an_unreachable_database_keeps_the_files_exits_4_and_hides_the_password() {
    let dir = TempDir::new().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://postgres:s3cret-pw@127.0.0.1:{port}/shop");
    tasker_app()
        .args([
            "build",
            "shop",
            "-t",
            "ecommerce",
            "--yes",
            "--database-url",
            &url,
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("cannot reach the database")
                .and(predicate::str::contains("cargo run -- migrate"))
                .and(predicate::str::contains("s3cret-pw").not()),
        );
    assert!(
        dir.path().join("shop/Cargo.toml").is_file(),
        "the generated files stay"
    );
    // DATABASE_URL from the environment is used the same way; --skip-db ignores it.
    tasker_app()
        .env("DATABASE_URL", &url)
        .args(["build", "shop", "--yes", "--skip-db", "-o"])
        .arg(dir.path())
        .assert()
        .success();
}
