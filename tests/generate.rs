//! `tasker-app generate` and `tasker-app check` (issue 18), with the real
//! binary: every refusal exits with its code and writes nothing; a generated
//! workflow survives `update` and a `build` re-run; and, for real, a 5-step
//! diamond with two inputs generated into a fresh app compiles, passes
//! clippy -D warnings and its own harness test, and runs to completion under
//! `dev` through `run --wait`.

mod app_support;
mod db_support;
mod tty_support;

use app_support::{
    cargo, completes, config_with_free_ports, free_port, show, spawn, target_dir, wait_for_http,
};
use db_support::{Output, TestDb, run, tasker_app};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DIAMOND: [&str; 5] = [
    "--step=fetch",
    "--step=price:fetch",
    "--step=charge:price",
    "--step=notify:charge",
    "--step=audit:price,charge",
];

fn app(parent: &Path, name: &str) -> PathBuf {
    let out = run(tasker_app()
        .args(["build", name, "-t", "ecommerce", "--skip-db", "--yes", "-o"])
        .arg(parent));
    assert_eq!(out.code, 0, "{}", out.stderr);
    parent.join(name)
}

fn generate(app: &Path, args: &[&str]) -> Output {
    run(tasker_app()
        .arg("generate")
        .args(args)
        .arg("--app")
        .arg(app))
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_refusal_has_its_exit_code_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    let ok = generate(
        &app,
        &[&["workflow", "billing/refund"][..], &DIAMOND].concat(),
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let before = snapshot(tmp.path());
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["workflow", "billing/cyc", "--step", "a:b", "--step", "b:a"],
            2,
            "cycle",
        ),
        (
            vec!["workflow", "billing/x", "--step", "a:nope"],
            2,
            "not a step of this workflow",
        ),
        (
            vec!["workflow", "billing/x", "--step", "a", "--step", "a"],
            2,
            "twice",
        ),
        (
            vec!["workflow", "Billing/x", "--step", "a"],
            2,
            "lower-case",
        ),
        (vec!["workflow", "bill-ing/x", "--step", "a"], 2, "`-`"),
        (
            vec!["workflow", "billing/x", "--step", "type"],
            2,
            "keyword",
        ),
        (
            vec!["workflow", "billing", "--step", "a"],
            2,
            "NAMESPACE/NAME",
        ),
        (
            vec!["workflow", "billing/x", "--step", "a", "--input", "n:money"],
            2,
            "not a type",
        ),
        (vec!["workflow", "billing/x"], 2, "no steps"),
        (
            vec!["workflow", "billing/refund", "--step", "a"],
            3,
            "exists",
        ),
        (
            vec!["workflow", "billing/other", "--step", "fetch"],
            3,
            "already has a step `fetch`",
        ),
        (
            vec!["workflow", "ecommerce/again", "--step", "validate_cart"],
            3,
            "validate_cart",
        ),
        (
            vec!["step", "billing/refund.fetch"],
            3,
            "already has a step",
        ),
        (
            vec!["step", "billing/refund.extra", "--after", "nope"],
            2,
            "not a step",
        ),
        (vec!["step", "billing/nothing.extra"], 1, "no workflow"),
        (vec!["step", "billing/refund"], 2, "NAMESPACE/NAME.STEP"),
    ];
    for (args, code, expected) in cases {
        let out = generate(&app, &args);
        assert_eq!(out.code, code, "{args:?}\n{}", out.stderr);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        assert_eq!(snapshot(tmp.path()), before, "{args:?} wrote something");
    }
    // Outside an app: exit 1, nothing written.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = generate(&empty, &["workflow", "billing/refund", "--step", "a"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a tasker-app app"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    // A registry the owner rewrote so generate cannot tell where steps go: exit 1.
    let registry = app.join("src/handlers/mod.rs");
    let text = std::fs::read_to_string(&registry).unwrap();
    std::fs::write(
        &registry,
        text.replace("Registry::new()", "Registry::default()")
            .replace("fn yours(", "fn theirs("),
    )
    .unwrap();
    let before = snapshot(tmp.path());
    let out = generate(&app, &["workflow", "billing/y", "--step", "a"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(".step(billing::A)"),
        "names the lines to add: {}",
        out.stderr
    );
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn dry_run_and_json_print_the_plan_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    let before = snapshot(&app);
    let out = generate(
        &app,
        &[
            &[
                "workflow",
                "billing/refund",
                "--dry-run",
                "--format",
                "json",
            ][..],
            &DIAMOND,
        ]
        .concat(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["target"], "billing/refund");
    let files: Vec<(&str, &str)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["action"].as_str().unwrap()))
        .collect();
    assert!(
        files.contains(&("workflows/billing/refund.yaml", "create")),
        "{files:?}"
    );
    assert!(
        files.contains(&("src/handlers/billing/audit.rs", "create")),
        "{files:?}"
    );
    assert!(
        files.contains(&("src/handlers/mod.rs", "edit")),
        "{files:?}"
    );
    assert_eq!(snapshot(&app), before);
}

#[test]
fn a_generated_workflow_survives_update_and_a_build_rerun_and_passes_check() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    let out = generate(
        &app,
        &[
            &["workflow", "billing/refund", "--input", "order_id:integer"][..],
            &DIAMOND,
        ]
        .concat(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = generate(
        &app,
        &["step", "billing/refund.archive", "--after", "notify,audit"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let archive = std::fs::read_to_string(app.join("src/handlers/billing/archive.rs")).unwrap();
    assert!(
        archive.contains("let after_notify: NotifyOutput = input.dependency(\"notify\")?;"),
        "{archive}"
    );
    let ours: Vec<_> = snapshot(&app.join("src/handlers/billing"))
        .into_iter()
        .chain(snapshot(&app.join("workflows/billing")))
        .collect();
    let out = run(tasker_app().arg("check").arg(&app));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("2 workflow(s), 11 steps"),
        "{}",
        out.stderr
    );

    for step in [
        run(tasker_app().arg("update").arg(&app).args([
            "--skip-db",
            "--yes",
            "--add",
            "inventory",
        ])),
        // A build re-run sees the registry as edited (generate's lines are
        // the owner's): like any edit, it merges it when asked to.
        run(tasker_app()
            .args([
                "build",
                "shop",
                "--skip-db",
                "--yes",
                "--on-conflict",
                "merge",
                "-o",
            ])
            .arg(tmp.path())),
    ] {
        assert_eq!(step.code, 0, "{}", step.stderr);
        let now: Vec<_> = snapshot(&app.join("src/handlers/billing"))
            .into_iter()
            .chain(snapshot(&app.join("workflows/billing")))
            .collect();
        assert_eq!(now, ours, "the generated files are untouched");
        let registry = std::fs::read_to_string(app.join("src/handlers/mod.rs")).unwrap();
        assert!(registry.contains(".step(billing::Archive)"), "{registry}");
        assert!(registry.contains("pub mod billing;"), "{registry}");
        let out = run(tasker_app().arg("check").arg(&app));
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let manifest = std::fs::read_to_string(app.join(".tasker-app/manifest.toml")).unwrap();
    assert!(
        !manifest.contains("billing"),
        "generated files are the owner's: {manifest}"
    );
}

#[test]
fn from_a_task_template_the_steps_and_schema_are_taken_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    let source = app.join("workflows/ecommerce/order_processing.yaml");
    let out = generate(
        &app,
        &[
            "workflow",
            "sales/orders",
            "--from",
            source.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let yaml = std::fs::read_to_string(app.join("workflows/sales/orders.yaml")).unwrap();
    assert!(yaml.contains("callable: sales.create_order"), "{yaml}");
    assert!(
        yaml.contains("dependencies: [check_inventory, calculate_pricing]"),
        "{yaml}"
    );
    assert!(
        yaml.contains("customer_email"),
        "the input schema is taken: {yaml}"
    );
    let out = run(tasker_app().arg("check").arg(&app));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A template that does not pass the check is refused, naming its problem.
    let bad = tmp.path().join("bad.yaml");
    let text = std::fs::read_to_string(&source).unwrap();
    std::fs::write(
        &bad,
        text.replace("dependencies: [validate_cart]", "dependencies: [nope]"),
    )
    .unwrap();
    let before = snapshot(&app);
    let out = generate(
        &app,
        &["workflow", "sales/bad", "--from", bad.to_str().unwrap()],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("depends on `nope`"), "{}", out.stderr);
    assert_eq!(snapshot(&app), before);
}

#[test]
fn check_names_the_file_the_line_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    let yaml = app.join("workflows/ecommerce/order_processing.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    let broken = text.replacen(
        "dependencies: [validate_cart]",
        "dependencies: [validate_kart]",
        1,
    );
    std::fs::write(&yaml, &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("- name: check_inventory"))
        .unwrap()
        + 1;
    let out = run(tasker_app().arg("check").arg(&app));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("workflows/ecommerce/order_processing.yaml:{line}: step `check_inventory` depends on `validate_kart`")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `validate_cart`"),
        "{}",
        out.stderr
    );
    // A registered handler no step uses, and a step without a handler.
    std::fs::write(
        &yaml,
        text.replace(
            "callable: ecommerce.send_confirmation",
            "callable: ecommerce.send_it",
        ),
    )
    .unwrap();
    let out = run(tasker_app().args(["check", "--format", "json"]).arg(&app));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let messages: Vec<&str> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("uses handler `ecommerce.send_it`")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("handler `ecommerce.send_confirmation` is registered, but no step")), "{messages:?}");
    // A step registered twice.
    std::fs::write(&yaml, &text).unwrap();
    let registry = app.join("src/handlers/mod.rs");
    let reg = std::fs::read_to_string(&registry).unwrap();
    std::fs::write(
        &registry,
        reg.replace(
            ".step(ecommerce::CreateOrder)",
            ".step(ecommerce::CreateOrder)\n        .step(ecommerce::CreateOrder)",
        ),
    )
    .unwrap();
    let out = run(tasker_app().arg("check").arg(&app));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`.step(ecommerce::CreateOrder)` is registered twice"),
        "{}",
        out.stderr
    );
}

/// The whole path a new workflow takes, for real: generate -> clippy -> its
/// harness test -> `dev` -> `run --wait` completes.
#[test]
fn a_generated_diamond_compiles_passes_its_test_and_runs_under_dev() {
    const APP: &str = "gen-shop";
    let db = TestDb::new("generate_e2e");
    let work = tempfile::tempdir().unwrap();
    app_support::generate_with(APP, &db.url, work.path(), &["-t", "ecommerce"]);
    let app = work.path().join(APP);
    let t0 = std::time::Instant::now();
    let out = generate(
        &app,
        &[
            &[
                "workflow",
                "billing/refund",
                "--input",
                "order_id:integer",
                "--input",
                "email:email",
            ][..],
            &DIAMOND,
        ]
        .concat(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    cargo(
        &app,
        &["clippy", "--all-targets", "--", "-D", "warnings"],
        &db.url,
    );
    cargo(&app, &["test"], &db.url);
    cargo(&app, &["build"], &db.url);
    let bin = target_dir().join("debug").join(APP);
    let out = std::process::Command::new(&bin)
        .arg("check")
        .current_dir(&app)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));

    let api_port = free_port().to_string();
    let ports = config_with_free_ports(&app, "development", "generate");
    let config = ports.config.display().to_string();
    let orchestration_url = ports.orchestration_url();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("TASKER_CONFIG_PATH", config.as_str()),
        ("TASKER_ENV", "development"),
        ("TASKER_ORCHESTRATION_URL", orchestration_url.as_str()),
    ];
    let mut args = vec!["dev", "--fake-api-port", &api_port];
    let help = std::process::Command::new(&bin)
        .args(["dev", "--help"])
        .output()
        .unwrap();
    if String::from_utf8_lossy(&help.stdout).contains("--dashboard-port") {
        args.extend(["--dashboard-port", "0"]);
    }
    let mut dev = spawn("dev", &bin, &args, &app, &env);
    wait_for_http(
        &format!("{orchestration_url}/health"),
        Duration::from_secs(180),
        &mut [&mut dev],
    );
    let started = std::time::Instant::now();
    completes(
        &bin,
        &app,
        &env,
        "billing/refund",
        r#"{"order_id": 7, "email": "ada@example.com"}"#,
    );
    eprintln!(
        "generate e2e: billing/refund completed {} ms after `run` started, {:.1} s after `generate` (clippy, cargo test, build and dev's start included)",
        started.elapsed().as_millis(),
        t0.elapsed().as_secs_f64()
    );
    dev.assert_alive();
    dev.kill_hard();
}

/// In a terminal with no --step, generate asks for the steps one by one (a
/// real pseudo-terminal), refuses a bad name or parent on the spot, and
/// writes the workflow the answers describe.
#[test]
fn in_a_terminal_it_asks_for_the_steps() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(tmp.path(), "shop");
    let tty = tty_support::Tty::start(
        &app,
        &format!(
            "'{}' generate workflow ops/sync",
            env!("CARGO_BIN_EXE_tasker-app")
        ),
        &[],
    );
    tty.wait_for("First step's name");
    tty.line("Bad-Name");
    tty.wait_for("lower-case");
    tty.line("pull");
    tty.wait_for("Next step's name");
    tty.line("push");
    tty.wait_for("`push` waits for");
    tty.line("nope");
    tty.wait_for("`nope` is not a step yet");
    tty.line("pull");
    tty.wait_for("Next step's name");
    tty.line("");
    tty.wait_for("Input field");
    tty.line("since:integer");
    tty.line("");
    assert_eq!(tty.exit_code(), 0, "{}", tty.screen());
    let yaml = std::fs::read_to_string(app.join("workflows/ops/sync.yaml")).unwrap();
    assert!(yaml.contains("  - name: push"), "{yaml}");
    assert!(yaml.contains("dependencies: [pull]"), "{yaml}");
    assert!(yaml.contains("required: [since]"), "{yaml}");

    // Ctrl-C at a question: exit 130, nothing written.
    let before = snapshot(&app);
    let tty = tty_support::Tty::start(
        &app,
        &format!(
            "'{}' generate workflow ops/other",
            env!("CARGO_BIN_EXE_tasker-app")
        ),
        &[],
    );
    tty.wait_for("First step's name");
    tty.line("one");
    tty.wait_for("Next step's name");
    tty.keys(&["C-c"]);
    assert_eq!(tty.exit_code(), 130, "{}", tty.screen());
    assert_eq!(snapshot(&app), before);
}
