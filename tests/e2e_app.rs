//! The generated app, for real: `tasker-app build` with all three templates and a
//! database, then the app is compiled (and linted, and its own tests run),
//! `fake-api` and `serve` are started, and every workflow runs to completion
//! against the real engine. Also: retries through injected 503s, a permanent
//! failure that names its step, `/health` and `/metrics`, `prune`.
//!
//! Needs PostgreSQL with pgmq (TASKER_APP_TEST_DATABASE_URL, set by
//! scripts/test.sh, else scripts/provision-postgres.sh is run) and protoc. It
//! is never skipped: without them it fails and says what is missing. The app builds into one shared target folder
//! (TASKER_APP_E2E_TARGET_DIR, default target/apps), so a second run is quick.

mod app_support;
mod db_support;
mod tty_support;

use app_support::{
    cargo, completes, config_with_free_ports, count, free_port, run_task, show, spawn, target_dir,
    wait_for_http,
};
use db_support::TestDb;
use postgres::{Client, NoTls};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const APP: &str = "e2e-shop";

#[test]
fn a_generated_app_runs_all_three_workflows_against_the_engine() {
    let test_db = TestDb::new("e2e_app");
    let database_url = test_db.url.clone();
    let work = tempfile::TempDir::new().unwrap();
    let app = work.path().join(APP);

    // 1. Generate the app and prepare its database in one command.
    let out = Command::new(env!("CARGO_BIN_EXE_tasker-app"))
        .args(["build", APP, "--yes", "--database-url", &database_url, "-o"])
        .arg(work.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "build failed\n{}", show(&out));
    let password = database_url
        .split('@')
        .next()
        .and_then(|s| s.rsplit(':').next())
        .unwrap_or("");
    if password.len() >= 4 {
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains(&format!(":{password}@")),
            "password printed"
        );
    }

    // 2. Compile it, lint it, run its own tests.
    cargo(&app, &["build", "--locked"], &database_url);
    cargo(
        &app,
        &["clippy", "--all-targets", "--", "-D", "warnings"],
        &database_url,
    );
    cargo(&app, &["test"], &database_url);
    let bin = target_dir().join("debug").join(APP);

    // 3. `migrate` finds everything applied by build (the engine's own migrator agrees).
    let out = Command::new(&bin)
        .arg("migrate")
        .current_dir(&app)
        .env("DATABASE_URL", &database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "migrate after build failed\n{}",
        show(&out)
    );

    // 4. Start the stand-in API and the engine, on free ports (never 8080:
    // another program may hold it).
    let api_port = free_port().to_string();
    let api_url = format!("http://127.0.0.1:{api_port}");
    let ports = config_with_free_ports(&app, "development", "e2e");
    let config = ports.config.display().to_string();
    let orchestration_url = ports.orchestration_url();
    let env = [
        ("DATABASE_URL", database_url.as_str()),
        ("API_BASE_URL", api_url.as_str()),
        ("TASKER_ENV", "development"),
        ("TASKER_CONFIG_PATH", config.as_str()),
        ("TASKER_ORCHESTRATION_URL", orchestration_url.as_str()),
    ];
    let mut fake_api = spawn(
        "fake-api",
        &bin,
        &["fake-api", "--port", &api_port],
        &app,
        &env,
    );
    let mut serve = spawn("serve", &bin, &["serve"], &app, &env);
    wait_for_http(
        &format!("{api_url}/products/1"),
        Duration::from_secs(60),
        &mut [&mut fake_api],
    );
    wait_for_http(
        &format!("{orchestration_url}/health"),
        Duration::from_secs(180),
        &mut [&mut serve],
    );

    let mut db = Client::connect(&database_url, NoTls).unwrap();

    // 5. Each workflow completes and leaves its domain rows.
    let order = completes(
        &bin,
        &app,
        &env,
        "ecommerce/order_processing",
        r#"{"cart_id": 1, "customer_email": "amara.okafor@example.com"}"#,
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM app.orders WHERE task_uuid::text = $1 AND grand_total > 0",
            &order
        ),
        1
    );
    assert!(
        count(
            &mut db,
            "SELECT count(*) FROM app.order_lines l JOIN app.orders o USING (order_id) WHERE o.task_uuid::text = $1",
            &order
        ) > 0,
        "an order has lines"
    );

    let stock = completes(
        &bin,
        &app,
        &env,
        "inventory/stock_management",
        r#"{"threshold": 10, "warehouse": "main"}"#,
    );
    assert!(
        count(
            &mut db,
            "SELECT count(*) FROM app.purchase_orders WHERE task_uuid::text = $1",
            &stock
        ) > 0,
        "purchase orders for low stock"
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM app.inventory_reports WHERE task_uuid::text = $1",
            &stock
        ),
        1
    );

    let customer = completes(
        &bin,
        &app,
        &env,
        "customer/user_onboarding",
        r#"{"email": "e2e.user@example.com", "username": "e2euser", "plan": "pro"}"#,
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM app.customers c JOIN app.customer_preferences p USING (customer_id) WHERE c.task_uuid::text = $1",
            &customer
        ),
        1,
        "a customer with preferences"
    );

    // 6. Two injected 503s on one step: the task still completes, the step took 3 attempts.
    let resp = ureq::post(&format!("{api_url}/__faults"))
        .send_json(serde_json::json!({"path": "/carts/2", "status": 503, "count": 2}))
        .expect("arm the fault");
    assert_eq!(resp.status(), 201, "the fault is armed");
    let retried = completes(
        &bin,
        &app,
        &env,
        "ecommerce/order_processing",
        r#"{"cart_id": 2, "customer_email": "e2e.retry@example.com"}"#,
    );
    let attempts: i32 = db
        .query_one(
            "SELECT ws.attempts FROM tasker.workflow_steps ws JOIN tasker.named_steps ns USING (named_step_uuid) \
             WHERE ws.task_uuid::text = $1 AND ns.name = 'validate_cart'",
            &[&retried],
        )
        .expect("the validate_cart step")
        .get(0);
    assert_eq!(attempts, 3, "two 503s then success");

    // 7. An unknown cart fails permanently and `run` names the step.
    let out = run_task(
        &bin,
        &app,
        &env,
        "ecommerce/order_processing",
        r#"{"cart_id": 999999, "customer_email": "nobody@example.com"}"#,
    );
    assert!(
        !out.status.success(),
        "an unknown cart must fail\n{}",
        show(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("validate_cart"),
        "the failed step is named\n{}",
        show(&out)
    );

    // 8. Bad context is refused before any task is created.
    let out = run_task(
        &bin,
        &app,
        &env,
        "ecommerce/order_processing",
        r#"{"customer_email": "x@example.com"}"#,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cart_id"),
        "{}",
        show(&out)
    );

    // 9. Health and metrics.
    assert_eq!(
        ureq::get(&format!("{orchestration_url}/health"))
            .call()
            .unwrap()
            .status(),
        200
    );
    let metrics = ureq::get(&format!("{orchestration_url}/metrics"))
        .call()
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(!metrics.into_string().unwrap().is_empty());

    // 10. `bench` (figures are not checked, only that they add up): 6 tasks, 3
    //     at a time, each with its own email through `{i}`.
    let out = Command::new(&bin)
        .args([
            "bench",
            "ecommerce/order_processing",
            "--tasks",
            "6",
            "--concurrency",
            "3",
            "--format",
            "json",
            "--context",
            r#"{"cart_id": 1, "customer_email": "bench{i}@example.com"}"#,
        ])
        .current_dir(&app)
        .envs(env)
        .output()
        .unwrap();
    assert!(out.status.success(), "bench\n{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    assert_eq!(report["completed"], 6, "{report}");
    assert_eq!(report["failures"], serde_json::json!({}), "{report}");
    let steps: i64 = report["steps_by_worker"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(
        steps, 30,
        "5 steps x 6 tasks, on serve's one worker: {report}"
    );
    let latency = &report["latency_ms"];
    assert!(
        latency["min"].as_f64() <= latency["p50"].as_f64()
            && latency["p50"].as_f64() <= latency["max"].as_f64()
    );
    for stage in [
        "task_setup_ms",
        "waiting_for_worker_ms",
        "in_worker_ms",
        "result_to_orchestration_ms",
    ] {
        assert!(
            report["stages"][stage].as_f64().is_some_and(|ms| ms >= 0.0),
            "{stage}: {report}"
        );
    }
    assert_eq!(
        count(
            &mut db,
            "SELECT count(DISTINCT customer_email) FROM app.orders WHERE customer_email LIKE $1",
            "bench%@example.com"
        ),
        6,
        "{{i}} gave every task its own context"
    );
    // A context that is not JSON once {i} is filled in is refused before any task.
    let out = Command::new(&bin)
        .args([
            "bench",
            "ecommerce/order_processing",
            "--tasks",
            "2",
            "--context",
            r#"{"cart_id": {i}"#,
        ])
        .current_dir(&app)
        .envs(env)
        .output()
        .unwrap();
    // A usage error (exit 2) that says where, never echoing the text.
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not valid JSON (task 0)")
            && String::from_utf8_lossy(&out.stderr).contains("line 1, column"),
        "{}",
        show(&out)
    );

    // 11. `prune` (while serve runs): the order "completed 40 days ago" goes
    //     whole from the engine's tables; recent tasks and the order's row in
    //     app.orders stay; the engine carries on.
    db.execute(
        "UPDATE tasker.task_transitions SET created_at = created_at - interval '40 days' \
         WHERE task_uuid::text = $1",
        &[&order],
    )
    .unwrap();
    let engine_rows = "SELECT (SELECT count(*) FROM tasker.tasks WHERE task_uuid::text = $1) \
         + (SELECT count(*) FROM tasker.task_transitions WHERE task_uuid::text = $1) \
         + (SELECT count(*) FROM tasker.workflow_steps WHERE task_uuid::text = $1) \
         + (SELECT count(*) FROM tasker.workflow_step_transitions tr JOIN tasker.workflow_steps ws \
              USING (workflow_step_uuid) WHERE ws.task_uuid::text = $1) \
         + (SELECT count(*) FROM tasker.workflow_step_edges e JOIN tasker.workflow_steps ws \
              ON ws.workflow_step_uuid = e.to_step_uuid WHERE ws.task_uuid::text = $1) \
         + (SELECT count(*) FROM tasker.workflow_step_result_audit WHERE task_uuid::text = $1)";
    let before = count(&mut db, engine_rows, &order);
    assert!(before > 20, "an ecommerce task's engine rows: {before}");
    let tasks_before = count(
        &mut db,
        "SELECT count(*) FROM tasker.tasks WHERE $1::text = ''",
        "",
    );
    let prune = |extra: &[&str]| {
        let out = Command::new(&bin)
            .arg("prune")
            .args(extra)
            .current_dir(&app)
            .envs(env)
            .output()
            .unwrap();
        assert!(out.status.success(), "prune {extra:?}\n{}", show(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dry = prune(&["--dry-run"]);
    assert!(dry.contains("would delete 1 task(s)"), "{dry}");
    assert_eq!(
        count(&mut db, engine_rows, &order),
        before,
        "a dry run deletes nothing"
    );
    let done = prune(&[]);
    assert!(done.contains("deleted 1 task(s)"), "{done}");
    assert_eq!(
        count(&mut db, engine_rows, &order),
        0,
        "the old order's engine rows are gone"
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM tasker.tasks WHERE $1::text = ''",
            ""
        ),
        tasks_before - 1
    );
    assert!(
        count(&mut db, engine_rows, &retried) > 20,
        "a recent task stays"
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM app.orders WHERE task_uuid::text = $1",
            &order
        ),
        1,
        "the business record stays"
    );
    assert!(prune(&[]).contains("deleted 0 task(s)"));
    completes(
        &bin,
        &app,
        &env,
        "ecommerce/order_processing",
        r#"{"cart_id": 3, "customer_email": "e2e.after.prune@example.com"}"#,
    );

    drop(serve);
    drop(fake_api);

    dev_in_a_terminal(&bin, &app);
}

/// `APP dev` as the next steps run it, in a pseudo-terminal: on a database
/// that was never migrated it migrates, starts the fake API, orchestration and
/// a worker, prints one `ready:` line; a workflow run from a second terminal
/// completes; Ctrl-C stops everything and frees the ports.
fn dev_in_a_terminal(bin: &Path, app: &Path) {
    let fresh = TestDb::new("e2e_dev");
    let api_port = free_port();
    let api_url = format!("http://127.0.0.1:{api_port}");
    let ports = config_with_free_ports(app, "development", "e2e-dev");
    let config = ports.config.display().to_string();
    let orchestration_url = ports.orchestration_url();
    let env = [
        ("DATABASE_URL", fresh.url.as_str()),
        ("API_BASE_URL", api_url.as_str()),
        ("TASKER_CONFIG_PATH", config.as_str()),
        ("TASKER_ORCHESTRATION_URL", orchestration_url.as_str()),
    ];
    let tty = tty_support::Tty::start(
        app,
        &format!(
            "'{}' dev --fake-api-port {api_port} --dashboard-port 0",
            bin.display()
        ),
        &env,
    );
    let screen = tty.wait_for_within("ready:", Duration::from_secs(180));
    assert!(
        screen.contains(&format!("fake-api {api_url}")) && screen.contains(&orchestration_url),
        "the ready line names the URLs:\n{screen}"
    );
    assert_eq!(
        screen.lines().filter(|l| l.starts_with("ready:")).count(),
        1,
        "{screen}"
    );
    let mut env_run = env.to_vec();
    env_run.push(("TASKER_ENV", "development"));
    completes(
        bin,
        app,
        &env_run,
        "ecommerce/order_processing",
        r#"{"cart_id": 3, "customer_email": "e2e.dev@example.com"}"#,
    );
    tty.keys(&["C-c"]);
    assert_eq!(
        tty.exit_code(),
        0,
        "dev did not stop cleanly:\n{}",
        tty.screen()
    );
    assert!(tty.screen().contains("stopped"), "{}", tty.screen());
    for port in [ports.orchestration, ports.worker, api_port] {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "port {port} still answers after Ctrl-C"
        );
    }
}
