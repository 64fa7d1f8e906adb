//! A running app under faults: drills that run a generated app's
//! `orchestration` and `worker` as separate processes on a real database,
//! break something, and check that every task still completes with nothing
//! lost or done twice. Each drill prints how long recovery took (eprintln;
//! times are figures for docs/recovery.md, never asserted beyond bounds that
//! only stop a hang).
//!
//! 1. 30 tasks in flight, `kill -9` of the worker, a new worker started.
//! 2. The fake API answering 500 to everything for 10 s.
//! 3. A burst of 50 simultaneous task creations.
//! 4. PostgreSQL restarted mid-run (a private cluster, never the shared one).
//! 5. Tasks left behind by orchestration: set back (in the database, as a
//!    command dying half-way leaves them) to `initializing`, to
//!    `enqueuing_steps` with their first step never enqueued, and to
//!    `evaluating_results` with every step done.
//!
//! The drills run one after another in one test (they share the app and its
//! processes). The app listens on ports of its own (a drill config written
//! beside the app's test.toml), so e2e_app.rs or another checkout's tests on
//! 8080/8081 do not meet it. It builds into the shared target folder
//! (TASKER_APP_E2E_TARGET_DIR), like e2e_app.rs. Needs what e2e_app.rs needs.

mod app_support;
mod db_support;

use app_support::{Running, app_binary, cargo, free_port, generate, show, spawn, wait_for_http};
use db_support::TestDb;
use postgres::{Client, NoTls};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const APP: &str = "drill-shop";
const ORDER: &str = "ecommerce/order_processing";
/// Carts of the fake API whose products have stock for hundreds of orders.
const CARTS: [u32; 6] = [1, 2, 3, 4, 5, 6];

/// The generated app, its ports and its environment.
#[derive(Clone)]
struct App {
    dir: PathBuf,
    bin: PathBuf,
    database_url: String,
    api_url: String,
    orchestration_url: String,
    worker_url: String,
    config: PathBuf,
}

impl App {
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", self.database_url.clone()),
            ("API_BASE_URL", self.api_url.clone()),
            ("TASKER_ENV", "test".to_string()),
            ("TASKER_CONFIG_PATH", self.config.display().to_string()),
            ("TASKER_ORCHESTRATION_URL", self.orchestration_url.clone()),
            ("RUST_LOG", "info".to_string()),
        ]
    }

    fn spawn(&self, name: &'static str, args: &[&str]) -> Running {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        spawn(name, &self.bin, args, &self.dir, &env)
    }

    fn orchestration(&self, name: &'static str) -> Running {
        let mut p = self.spawn(name, &["orchestration"]);
        wait_for_http(
            &format!("{}/health", self.orchestration_url),
            Duration::from_secs(120),
            &mut [&mut p],
        );
        p
    }

    fn worker(&self, name: &'static str) -> Running {
        let mut p = self.spawn(name, &["worker"]);
        wait_for_http(
            &format!("{}/health", self.worker_url),
            Duration::from_secs(120),
            &mut [&mut p],
        );
        p
    }

    /// `n` tasks created by `n` `run` processes, `at_once` at a time; their
    /// UUIDs, how long the slowest `run` took, and how many `run`s were told
    /// "busy" and tried again.
    fn create_tasks(&self, label: &str, n: usize, at_once: usize) -> Created {
        let mut uuids = Vec::new();
        let mut slowest = Duration::ZERO;
        let mut retried = 0;
        let indices: Vec<usize> = (0..n).collect();
        for chunk in indices.chunks(at_once) {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&i| {
                    let bin = self.bin.clone();
                    let dir = self.dir.clone();
                    let env = self.env();
                    let context = format!(
                        r#"{{"cart_id": {}, "customer_email": "{label}.{i}@example.com"}}"#,
                        CARTS[i % CARTS.len()]
                    );
                    std::thread::spawn(move || {
                        let started = Instant::now();
                        let out = Command::new(bin)
                            .args(["run", ORDER, "--context", &context])
                            .current_dir(dir)
                            .envs(env)
                            .output()
                            .expect("run the app's `run` command");
                        (out, started.elapsed())
                    })
                })
                .collect();
            for handle in handles {
                let (out, took) = handle.join().expect("a `run` thread");
                assert!(
                    out.status.success(),
                    "`run` failed to create a task\n{}",
                    show(&out)
                );
                slowest = slowest.max(took);
                if String::from_utf8_lossy(&out.stderr).contains("busy") {
                    retried += 1;
                }
                uuids.push(app_support::task_uuid(&out));
            }
        }
        Created {
            uuids,
            slowest,
            retried,
        }
    }
}

/// What [`App::create_tasks`] did.
struct Created {
    uuids: Vec<String>,
    slowest: Duration,
    retried: usize,
}

/// Builds the app (shared target folder) and writes its drill config.
fn build_app(work: &Path, database_url: &str) -> App {
    generate(APP, database_url, work);
    let dir = work.join(APP);
    cargo(&dir, &["build", "--locked"], database_url);
    let orchestration_port = free_port();
    let worker_port = free_port();
    let api_port = free_port();
    let config = dir.join("config/tasker/drill.toml");
    let test_config = std::fs::read_to_string(dir.join("config/tasker/test.toml")).unwrap();
    let mut drill_config = test_config.clone();
    for (from, to) in [
        (
            "\"${TASKER_WEB_BIND_ADDRESS:-127.0.0.1:8080}\"".to_string(),
            format!("\"127.0.0.1:{orchestration_port}\""),
        ),
        (
            "bind_address = \"127.0.0.1:${TASKER_INSTANCE_PORT:-8081}\"".to_string(),
            format!("bind_address = \"127.0.0.1:{worker_port}\""),
        ),
        (
            "base_url = \"http://127.0.0.1:8080\"".to_string(),
            format!("base_url = \"http://127.0.0.1:{orchestration_port}\""),
        ),
    ] {
        assert_eq!(
            drill_config.matches(&from).count(),
            1,
            "test.toml has one `{from}`"
        );
        drill_config = drill_config.replace(&from, &to);
    }
    std::fs::write(&config, drill_config).unwrap();
    App {
        bin: app_binary(APP),
        dir,
        database_url: database_url.to_string(),
        api_url: format!("http://127.0.0.1:{api_port}"),
        orchestration_url: format!("http://127.0.0.1:{orchestration_port}"),
        worker_url: format!("http://127.0.0.1:{worker_port}"),
        config,
    }
}

fn fault(api_url: &str, rule: serde_json::Value) {
    let resp = ureq::post(&format!("{api_url}/__faults"))
        .send_json(rule.clone())
        .unwrap_or_else(|e| panic!("arm {rule}: {e}"));
    assert_eq!(resp.status(), 201, "armed {rule}");
}

fn clear_faults(api_url: &str) {
    ureq::delete(&format!("{api_url}/__faults"))
        .call()
        .expect("clear the faults");
}

/// The tasks' current states, counted.
fn task_states(db: &mut Client, uuids: &[String]) -> BTreeMap<String, i64> {
    db.query(
        "SELECT tt.to_state::text, count(*) FROM tasker.tasks t \
         JOIN tasker.task_transitions tt ON tt.task_uuid = t.task_uuid AND tt.most_recent \
         WHERE t.task_uuid::text = ANY($1) GROUP BY 1",
        &[&uuids],
    )
    .expect("task states")
    .iter()
    .map(|row| (row.get(0), row.get(1)))
    .collect()
}

/// Steps of these tasks in a state, counted.
fn steps_in(db: &mut Client, uuids: &[String], state: &str) -> i64 {
    db.query_one(
        "SELECT count(*) FROM tasker.workflow_steps ws \
         JOIN tasker.workflow_step_transitions tr ON tr.workflow_step_uuid = ws.workflow_step_uuid AND tr.most_recent \
         WHERE ws.task_uuid::text = ANY($1) AND tr.to_state = $2",
        &[&uuids, &state],
    )
    .expect("step states")
    .get(0)
}

/// The step errors of tasks that did not complete, for a failure message.
fn step_errors(db: &mut Client, uuids: &[String]) -> String {
    db.query(
        "SELECT ws.task_uuid::text, ns.name::text, tr.to_state::text, ws.attempts, coalesce(ws.results::text, '') \
         FROM tasker.workflow_steps ws \
         JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid \
         JOIN tasker.workflow_step_transitions tr ON tr.workflow_step_uuid = ws.workflow_step_uuid AND tr.most_recent \
         WHERE ws.task_uuid::text = ANY($1) AND tr.to_state <> 'complete' ORDER BY 1, 2",
        &[&uuids],
    )
    .map(|rows| {
        rows.iter()
            .map(|r| {
                let results: String = r.get(4);
                format!(
                    "{} {} {} attempts={:?} {}",
                    r.get::<_, String>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                    r.get::<_, Option<i32>>(3),
                    &results[..results.len().min(300)]
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
    .unwrap_or_else(|e| format!("(could not read the steps: {e})"))
}

/// Waits until every task is complete; panics at once on a task that failed,
/// and after `within`. Returns how long it took.
fn all_complete(
    db: &mut Client,
    uuids: &[String],
    within: Duration,
    procs: &mut [&mut Running],
) -> Duration {
    let started = Instant::now();
    loop {
        let states = task_states(db, uuids);
        if states.get("complete").copied().unwrap_or(0) == uuids.len() as i64 {
            return started.elapsed();
        }
        let failed: i64 = ["error", "blocked_by_failures", "cancelled"]
            .iter()
            .filter_map(|s| states.get(*s))
            .sum();
        assert!(
            failed == 0 && started.elapsed() < within,
            "not every task completed within {within:?}: {states:?}\n{}",
            step_errors(db, uuids)
        );
        for p in procs.iter_mut() {
            p.assert_alive();
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Exactly one order per task (no order lost, none placed twice).
fn one_order_each(db: &mut Client, uuids: &[String]) {
    let rows = db
        .query(
            "SELECT t, count(o.order_id) FROM unnest($1::text[]) t \
             LEFT JOIN app.orders o ON o.task_uuid::text = t GROUP BY t HAVING count(o.order_id) <> 1",
            &[&uuids],
        )
        .expect("orders per task");
    let wrong: Vec<String> = rows
        .iter()
        .map(|r| format!("{}: {} orders", r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect();
    assert!(
        wrong.is_empty(),
        "tasks without exactly one order:\n{}",
        wrong.join("\n")
    );
}

/// A task's enqueued first step back to `pending` with its queue message
/// gone: an enqueue that never happened.
fn first_step_never_enqueued(db: &mut Client, task: &str) {
    let mut tx = db.transaction().unwrap();
    let removed = tx
        .execute(
            "DELETE FROM pgmq.q_worker_ecommerce_queue WHERE message::text LIKE '%' || $1 || '%'",
            &[&task],
        )
        .unwrap();
    assert_eq!(removed, 1, "one enqueued step of {task}");
    tx.execute(
        "DELETE FROM tasker.workflow_step_transitions tr USING tasker.workflow_steps ws \
         WHERE tr.workflow_step_uuid = ws.workflow_step_uuid AND ws.task_uuid::text = $1 \
           AND tr.to_state <> 'pending'",
        &[&task],
    )
    .unwrap();
    tx.execute(
        "UPDATE tasker.workflow_step_transitions tr SET most_recent = true \
         FROM tasker.workflow_steps ws \
         WHERE tr.workflow_step_uuid = ws.workflow_step_uuid AND ws.task_uuid::text = $1",
        &[&task],
    )
    .unwrap();
    tx.commit().unwrap();
}

/// A task back in `state` (its last transition to it), entered ten minutes
/// ago, as a command that died there leaves it.
fn set_back(db: &mut Client, task: &str, state: &str) {
    let mut tx = db.transaction().unwrap();
    let last = "(SELECT max(sort_key) FROM tasker.task_transitions \
                 WHERE task_uuid::text = $1 AND to_state = $2)";
    let dropped = tx
        .execute(
            &format!(
                "DELETE FROM tasker.task_transitions WHERE task_uuid::text = $1 \
                 AND sort_key > {last}"
            ),
            &[&task, &state],
        )
        .unwrap();
    assert!(dropped > 0, "{task} had moved on from {state}");
    let set = tx
        .execute(
            &format!(
                "UPDATE tasker.task_transitions \
                    SET most_recent = true, created_at = created_at - interval '10 minutes' \
                  WHERE task_uuid::text = $1 AND sort_key = {last}"
            ),
            &[&task, &state],
        )
        .unwrap();
    assert_eq!(set, 1, "{task} was once in {state}");
    tx.execute(
        "UPDATE tasker.tasks SET complete = false WHERE task_uuid::text = $1",
        &[&task],
    )
    .unwrap();
    tx.commit().unwrap();
}

fn dlq_entries(db: &mut Client, uuids: &[String]) -> i64 {
    db.query_one(
        "SELECT count(*) FROM tasker.tasks_dlq WHERE task_uuid::text = ANY($1)",
        &[&uuids],
    )
    .expect("the DLQ")
    .get(0)
}

#[test]
fn a_running_app_survives_faults() {
    let whole = Instant::now();
    let test_db = TestDb::new("drills");
    // TASKER_APP_DRILLS_KEEP=1 keeps the app and its processes' logs.
    let work = tempfile::TempDir::new().unwrap();
    let (_work, work_dir) = if std::env::var_os("TASKER_APP_DRILLS_KEEP").is_some() {
        let dir = work.keep();
        eprintln!("keeping the app and its logs in {}", dir.display());
        (None, dir)
    } else {
        let dir = work.path().to_path_buf();
        (Some(work), dir)
    };
    let app = build_app(&work_dir, &test_db.url);
    let api_port = app.api_url.rsplit(':').next().unwrap().to_string();
    let mut fake_api = app.spawn("fake-api", &["fake-api", "--port", &api_port]);
    wait_for_http(
        &format!("{}/products/1", app.api_url),
        Duration::from_secs(60),
        &mut [&mut fake_api],
    );
    let mut orchestration = app.orchestration("orchestration");
    let mut db = Client::connect(&app.database_url, NoTls).unwrap();

    // ---- 1. kill -9 of the worker with 30 tasks in flight ----------------
    let drill = Instant::now();
    let mut worker = app.worker("worker-1");
    // Slow product look-ups keep check_inventory in progress for a while
    // (cleared at the kill; the time limit is only a backstop).
    fault(
        &app.api_url,
        serde_json::json!({"path": "/products/*", "delay_ms": 1500, "seconds": 180}),
    );
    let tasks = app.create_tasks("kill9", 30, 10).uuids;
    let waiting = Instant::now();
    while steps_in(&mut db, &tasks, "in_progress") < 3 {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "no step got in progress"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    worker.kill_hard();
    let killed = Instant::now();
    let lost = steps_in(&mut db, &tasks, "in_progress");
    let states = task_states(&mut db, &tasks);
    clear_faults(&app.api_url);
    let mut worker = app.worker("worker-2");
    let mut lost_back = None;
    let started = Instant::now();
    loop {
        let states = task_states(&mut db, &tasks);
        if lost_back.is_none() && steps_in(&mut db, &tasks, "in_progress") == 0 {
            lost_back = Some(killed.elapsed());
        }
        if states.get("complete").copied().unwrap_or(0) == tasks.len() as i64 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not every task completed 300 s after the kill: {states:?}\n{}",
            step_errors(&mut db, &tasks)
        );
        let failed: i64 = ["error", "blocked_by_failures", "cancelled"]
            .iter()
            .filter_map(|s| states.get(*s))
            .sum();
        assert_eq!(failed, 0, "{states:?}\n{}", step_errors(&mut db, &tasks));
        worker.assert_alive();
        orchestration.assert_alive();
        std::thread::sleep(Duration::from_millis(500));
    }
    let recovered = killed.elapsed();
    // Where the time went: the transitions of the step that finished last.
    let rows = db
        .query(
            "WITH last AS (
               SELECT ws.workflow_step_uuid FROM tasker.workflow_steps ws
                 JOIN tasker.workflow_step_transitions tr USING (workflow_step_uuid)
                WHERE ws.task_uuid::text = ANY($1) AND tr.to_state = 'complete'
                ORDER BY tr.created_at DESC LIMIT 1)
             SELECT ns.name::text, tr.to_state::text,
                    to_char(tr.created_at, 'HH24:MI:SS.MS')
               FROM tasker.workflow_step_transitions tr
               JOIN tasker.workflow_steps ws USING (workflow_step_uuid)
               JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
              WHERE tr.workflow_step_uuid = (SELECT workflow_step_uuid FROM last)
              ORDER BY tr.created_at",
            &[&tasks],
        )
        .unwrap();
    let timeline: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            )
        })
        .collect();
    eprintln!("drill 1: the last step to complete: {timeline:?}");
    one_order_each(&mut db, &tasks);
    assert_eq!(dlq_entries(&mut db, &tasks), 0, "nothing in the DLQ");
    eprintln!(
        "drill 1 (kill -9 of the worker): 30 tasks, {lost} step(s) in progress at the kill \
         (tasks then {states:?}); those steps moved on {:.1}s after the kill; all 30 complete \
         {:.1}s after the kill, one order each, none in the DLQ (drill took {:.1}s)",
        lost_back.unwrap_or(recovered).as_secs_f64(),
        recovered.as_secs_f64(),
        drill.elapsed().as_secs_f64()
    );

    // ---- 2. the fake API answers 500 to everything for 10 s ----------------
    let drill = Instant::now();
    fault(
        &app.api_url,
        serde_json::json!({"path": "/*", "status": 500, "seconds": 10}),
    );
    let outage = Instant::now();
    let tasks = app.create_tasks("outage", 10, 10).uuids;
    let took = all_complete(
        &mut db,
        &tasks,
        Duration::from_secs(240),
        &mut [&mut worker, &mut orchestration],
    );
    let since_outage = outage.elapsed();
    let retried: i64 = db
        .query_one(
            "SELECT count(*) FROM tasker.workflow_steps WHERE task_uuid::text = ANY($1) AND attempts > 1",
            &[&tasks],
        )
        .unwrap()
        .get(0);
    assert!(retried > 0, "steps retried through the outage");
    one_order_each(&mut db, &tasks);
    eprintln!(
        "drill 2 (fake API 500 for 10 s): 10 tasks, {retried} step(s) retried; all complete \
         {:.1}s after the outage began ({:.1}s after it ended; {:.1}s after the last task \
         was created), one order each (drill took {:.1}s)",
        since_outage.as_secs_f64(),
        since_outage.as_secs_f64() - 10.0,
        took.as_secs_f64(),
        drill.elapsed().as_secs_f64()
    );

    // ---- 3. a burst of 50 simultaneous task creations ----------------------
    let drill = Instant::now();
    let burst = app.create_tasks("burst", 50, 50);
    let created = drill.elapsed();
    let tasks = burst.uuids;
    let took = all_complete(
        &mut db,
        &tasks,
        Duration::from_secs(300),
        &mut [&mut worker, &mut orchestration],
    );
    one_order_each(&mut db, &tasks);
    eprintln!(
        "drill 3 (50 simultaneous creations): all 50 created in {:.1}s (slowest `run` {:.1}s, \
         {} of 50 were told busy and tried again); all complete {:.1}s later, one order each",
        created.as_secs_f64(),
        burst.slowest.as_secs_f64(),
        burst.retried,
        took.as_secs_f64()
    );

    // ---- 4. PostgreSQL restarted mid-run (a private cluster) ---------------
    drop(worker);
    drop(orchestration);
    let drill = Instant::now();
    let cluster = Cluster::start();
    let on_cluster = App {
        database_url: cluster.database_url(),
        ..app.clone()
    };
    let out = Command::new(&on_cluster.bin)
        .arg("migrate")
        .current_dir(&on_cluster.dir)
        .env("DATABASE_URL", &on_cluster.database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "migrate on the drill cluster\n{}",
        show(&out)
    );
    let mut orchestration = on_cluster.orchestration("orchestration-pg");
    let mut worker = on_cluster.worker("worker-pg");
    let mut db = cluster.client(Duration::from_secs(10));
    fault(
        &app.api_url,
        serde_json::json!({"path": "/products/*", "delay_ms": 1000, "seconds": 180}),
    );
    let tasks = on_cluster.create_tasks("pgrestart", 20, 10).uuids;
    let waiting = Instant::now();
    while steps_in(&mut db, &tasks, "in_progress") < 2 {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "no step got in progress"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = task_states(&mut db, &tasks);
    drop(db);
    let restarting = Instant::now();
    cluster.restart();
    clear_faults(&app.api_url);
    let restart_took = restarting.elapsed();
    let mut db = cluster.client(Duration::from_secs(60));
    let took = all_complete(
        &mut db,
        &tasks,
        Duration::from_secs(300),
        &mut [&mut worker, &mut orchestration],
    );
    let recovered = restarting.elapsed();
    one_order_each(&mut db, &tasks);
    assert_eq!(dlq_entries(&mut db, &tasks), 0, "nothing in the DLQ");
    eprintln!(
        "drill 4 (PostgreSQL restarted): 20 tasks (then {before:?}); the restart took {:.1}s; \
         all complete {:.1}s after it began, one order each, none in the DLQ, both servers still \
         running (waited {:.1}s; drill took {:.1}s)",
        restart_took.as_secs_f64(),
        recovered.as_secs_f64(),
        took.as_secs_f64(),
        drill.elapsed().as_secs_f64()
    );
    drop(worker);
    drop(orchestration);
    drop(cluster);

    // ---- 5. tasks left behind by orchestration -----------------------------
    let drill = Instant::now();
    let mut db = Client::connect(&app.database_url, NoTls).unwrap();
    let mut orchestration = app.orchestration("orchestration-5");
    let mut worker = app.worker("worker-5");
    let finished = app.create_tasks("lostdone", 1, 1).uuids;
    all_complete(
        &mut db,
        &finished,
        Duration::from_secs(120),
        &mut [&mut worker, &mut orchestration],
    );
    // No worker: the new tasks' first steps stay enqueued.
    drop(worker);
    let unstarted = app.create_tasks("lost", 3, 3).uuids;
    let waiting = Instant::now();
    while task_states(&mut db, &unstarted).get("steps_in_process") != Some(&3) {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "the tasks did not reach steps_in_process"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(orchestration);
    for task in &unstarted {
        first_step_never_enqueued(&mut db, task);
    }
    set_back(&mut db, &unstarted[0], "enqueuing_steps");
    set_back(&mut db, &unstarted[1], "initializing");
    // Left in steps_in_process with its ready first step never enqueued,
    // nothing touched for two minutes (more than the sweep's 60 s, less than
    // the engine's 5-minute staleness limit, which would dead-letter it).
    db.execute(
        "UPDATE tasker.task_transitions SET created_at = created_at - interval '2 minutes' \
          WHERE task_uuid::text = $1 AND most_recent",
        &[&unstarted[2]],
    )
    .unwrap();
    db.execute(
        "UPDATE tasker.workflow_step_transitions tr \
            SET created_at = tr.created_at - interval '2 minutes' \
           FROM tasker.workflow_steps ws \
          WHERE tr.workflow_step_uuid = ws.workflow_step_uuid AND ws.task_uuid::text = $1",
        &[&unstarted[2]],
    )
    .unwrap();
    set_back(&mut db, &finished[0], "evaluating_results");
    let tasks: Vec<String> = unstarted.iter().chain(&finished).cloned().collect();
    let before = task_states(&mut db, &tasks);
    let mut orchestration = app.orchestration("orchestration-6");
    let mut worker = app.worker("worker-6");
    let took = all_complete(
        &mut db,
        &tasks,
        Duration::from_secs(120),
        &mut [&mut worker, &mut orchestration],
    );
    one_order_each(&mut db, &tasks);
    let recovered: i64 = db
        .query_one(
            "SELECT count(*) FROM tasker.task_transitions \
             WHERE task_uuid::text = ANY($1) AND transition_metadata ? 'recovered_by'",
            &[&tasks],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        recovered, 4,
        "each task was given back by the lost-task sweep"
    );
    eprintln!(
        "drill 5 (tasks left behind by orchestration, {before:?}): all complete {:.1}s after \
         orchestration restarted, one order each (drill took {:.1}s)",
        took.as_secs_f64(),
        drill.elapsed().as_secs_f64()
    );
    drop(worker);
    drop(orchestration);
    drop(fake_api);
    eprintln!("drills took {:.1}s", whole.elapsed().as_secs_f64());
}

/// A PostgreSQL 15 cluster of the drill's own (Debian's postgresql-common),
/// so restarting it disturbs no one: the shared server on 5432 is never
/// touched. It is named after this process (`tasker_app_drill_<pid>`), so two
/// checkouts running the drills at once do not drop each other's; clusters
/// left by killed runs (their process gone) are dropped first, and this one
/// when the drill ends.
struct Cluster {
    name: String,
    port: u16,
}

const CLUSTER_PREFIX: &str = "tasker_app_drill_";

impl Cluster {
    fn start() -> Cluster {
        drop_leftover_clusters();
        let name = format!("{CLUSTER_PREFIX}{}", std::process::id());
        let port = free_port();
        must(
            Command::new("pg_createcluster")
                .args(["15", &name, "-p", &port.to_string(), "--start"])
                .args(["-o", "max_connections=200"]),
        );
        let cluster = Cluster { name, port };
        must(Command::new("runuser").args([
            "-u",
            "postgres",
            "--",
            "psql",
            "-p",
            &port.to_string(),
            "-c",
            "ALTER USER postgres PASSWORD 'postgres'",
            "-c",
            "CREATE DATABASE drill",
        ]));
        cluster
    }

    fn database_url(&self) -> String {
        format!(
            "postgresql://postgres:postgres@127.0.0.1:{}/drill",
            self.port
        )
    }

    /// A connection, trying for up to `within` (the server may be starting).
    fn client(&self, within: Duration) -> Client {
        let started = Instant::now();
        loop {
            match Client::connect(&self.database_url(), NoTls) {
                Ok(client) => return client,
                Err(_) if started.elapsed() < within => {
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => panic!("the drill cluster does not answer: {e}"),
            }
        }
    }

    fn restart(&self) {
        must(Command::new("pg_ctlcluster").args(["15", &self.name, "restart"]));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("pg_dropcluster")
            .args(["--stop", "15", &self.name])
            .output();
    }
}

/// Drops the drill clusters whose test process no longer runs.
fn drop_leftover_clusters() {
    let Ok(out) = Command::new("pg_lsclusters").arg("-h").output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut fields = line.split_whitespace();
        let (Some("15"), Some(name)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(pid) = name.strip_prefix(CLUSTER_PREFIX) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = Command::new("pg_dropcluster")
                .args(["--stop", "15", name])
                .output();
        }
    }
}

/// Runs a command that must succeed.
fn must(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed\n{}", show(&out));
}
