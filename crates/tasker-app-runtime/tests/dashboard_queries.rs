//! The dashboard's reads (`dashboard::queries`) against the engine's real
//! tables, migrated by the runtime's own `migrate`: keyset pages that neither
//! skip nor repeat a run, each filter, the search taking its text literally,
//! a run read whole (steps in order, edges, transitions, the stages), the
//! live version moving when a step does, and a parked run moved on.

mod support;

use sqlx::PgPool;
use tasker_app_runtime::dashboard::actions::resume_blocked;
use tasker_app_runtime::dashboard::queries::{self, RunFilter};
use uuid::Uuid;

/// A workflow `shop/order` with steps a -> b; `n` tasks, one second apart,
/// the last `failed` of them in `error`, the others `complete`. Returns the
/// task ids, oldest first.
async fn seed(db: &PgPool, n: i64, failed: i64) -> Vec<Uuid> {
    sqlx::raw_sql(
        "SET search_path = tasker, public;
         INSERT INTO task_namespaces (name, created_at, updated_at) VALUES ('shop', now(), now());
         INSERT INTO named_tasks (task_namespace_uuid, name, version, created_at, updated_at)
           SELECT task_namespace_uuid, 'order', '1.0.0', now(), now() FROM task_namespaces WHERE name = 'shop';
         INSERT INTO named_steps (name, created_at, updated_at) VALUES ('a', now(), now()), ('b', now(), now());",
    )
    .execute(db)
    .await
    .unwrap();
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "WITH fake AS (
           SELECT g, (now() AT TIME ZONE 'UTC') - make_interval(secs => ($1 - g)) AS at
             FROM generate_series(1, $1) g)
         INSERT INTO tasker.tasks (task_uuid, named_task_uuid, complete, requested_at, initiator, source_system,
                                   reason, context, identity_hash, created_at, updated_at, correlation_id)
           SELECT uuidv7(), nt.named_task_uuid, true, f.at, 't', 't', 't',
                  jsonb_build_object('customer_email', 'buyer' || f.g || '@example.com',
                                     'note', CASE WHEN f.g = 7 THEN '100%_sure' ELSE 'plain' END),
                  'seed-' || f.g, f.at, f.at, gen_random_uuid()
             FROM fake f CROSS JOIN tasker.named_tasks nt
         RETURNING task_uuid",
    )
    .bind(n as i32)
    .fetch_all(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO tasker.task_transitions (task_uuid, to_state, sort_key, most_recent, created_at, updated_at)
           SELECT task_uuid, CASE WHEN row_number() OVER (ORDER BY task_uuid DESC) <= $1 THEN 'error' ELSE 'complete' END,
                  1, true, created_at, created_at
             FROM tasker.tasks",
    )
    .bind(failed)
    .execute(db)
    .await
    .unwrap();
    let mut ids = ids;
    ids.sort();
    ids
}

/// Steps a -> b for `task`, with a's transitions; b still pending.
async fn steps(db: &PgPool, task: Uuid) -> (Uuid, Uuid) {
    let mut made = Vec::new();
    for (name, offset) in [("a", 0), ("b", 1)] {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO tasker.workflow_steps (task_uuid, named_step_uuid, max_attempts, attempts, results, created_at, updated_at)
               SELECT $1, named_step_uuid, 3, $3, $4,
                      (now() AT TIME ZONE 'UTC') + make_interval(secs => $2), now() AT TIME ZONE 'UTC'
                 FROM tasker.named_steps WHERE name = $5
             RETURNING workflow_step_uuid",
        )
        .bind(task)
        .bind(f64::from(offset) / 1000.0)
        .bind(if name == "a" { 1 } else { 0 })
        .bind(if name == "a" {
            Some(serde_json::json!({"success": true, "result": {"total": 12}}))
        } else {
            None
        })
        .bind(name)
        .fetch_one(db)
        .await
        .unwrap();
        made.push(id);
    }
    sqlx::query(
        "INSERT INTO tasker.workflow_step_edges (from_step_uuid, to_step_uuid, name, created_at, updated_at)
         VALUES ($1, $2, 'provides', now(), now())",
    )
    .bind(made[0])
    .bind(made[1])
    .execute(db)
    .await
    .unwrap();
    for (k, state) in [
        "enqueued",
        "in_progress",
        "enqueued_for_orchestration",
        "complete",
    ]
    .into_iter()
    .enumerate()
    {
        transition(db, made[0], state, k as i32 + 1, 0.1 * (k as f64 + 1.0)).await;
    }
    (made[0], made[1])
}

async fn transition(db: &PgPool, step: Uuid, state: &str, sort_key: i32, after_s: f64) {
    sqlx::query("UPDATE tasker.workflow_step_transitions SET most_recent = false WHERE workflow_step_uuid = $1")
        .bind(step)
        .execute(db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO tasker.workflow_step_transitions (workflow_step_uuid, to_state, sort_key, most_recent, created_at, updated_at)
         SELECT $1, $2, $3, true, created_at + make_interval(secs => $4), now() FROM tasker.workflow_steps
          WHERE workflow_step_uuid = $1",
    )
    .bind(step)
    .bind(state)
    .bind(sort_key)
    .bind(after_s)
    .execute(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_dashboard_reads_the_engine_tables_as_they_are() {
    let (settings, _guard) = support::migrated_app("dashboard_queries").await;
    let db = tasker_app_runtime::db::pool(settings.database_url.as_deref().unwrap(), 2)
        .await
        .unwrap();
    let ids = seed(&db, 120, 3).await;

    // Keyset pages: 50, 50, 20, newest first, every run once.
    let mut seen = Vec::new();
    let mut filter = RunFilter::default();
    let mut sizes = Vec::new();
    loop {
        let (rows, next) = queries::runs(&db, &filter).await.unwrap();
        sizes.push(rows.len());
        seen.extend(rows.iter().map(|r| r.task_uuid));
        match next {
            Some(cursor) => filter.before = Some(cursor),
            None => break,
        }
    }
    assert_eq!(sizes, vec![50, 50, 20]);
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "every run once, newest first");

    // Filters: state, workflow, a search taken literally, a task id.
    let only = |state: Option<&str>, workflow: Option<&str>, q: Option<&str>| RunFilter {
        state: state.map(str::to_string),
        workflow: workflow.map(str::to_string),
        q: q.map(str::to_string),
        before: None,
    };
    let (rows, _) = queries::runs(&db, &only(Some("error"), None, None))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.state == "error" && r.workflow == "shop/order")
    );
    let (rows, _) = queries::runs(&db, &only(None, Some("shop/other"), None))
        .await
        .unwrap();
    assert!(rows.is_empty());
    let (rows, _) = queries::runs(&db, &only(None, None, Some("buyer77@")))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let (rows, _) = queries::runs(&db, &only(None, None, Some("100%_")))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "% and _ are literal");
    let (rows, _) = queries::runs(&db, &only(None, None, Some("b%r1")))
        .await
        .unwrap();
    assert!(
        rows.is_empty(),
        "`b%r1` is not a wildcard (buyer1 would match it)"
    );
    let (rows, _) = queries::runs(&db, &only(None, None, Some(&ids[5].to_string())))
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.task_uuid).collect::<Vec<_>>(),
        vec![ids[5]]
    );
    assert_eq!(
        queries::workflow_names(&db).await.unwrap(),
        vec!["shop/order".to_string()]
    );

    // One run whole, and its live version moving with a step.
    let task = ids[0];
    let (a, b) = steps(&db, task).await;
    let before = queries::run_version(&db, task).await.unwrap();
    let run = queries::run(&db, task).await.unwrap().expect("the run");
    assert_eq!(
        run.steps
            .iter()
            .map(|s| (s.name.as_str(), s.state.as_str()))
            .collect::<Vec<_>>(),
        vec![("a", "complete"), ("b", "pending")]
    );
    assert_eq!(run.edges, vec![(a, b)]);
    assert_eq!(run.transitions.len(), 4);
    let step_a = &run.steps[0];
    let ms = |x: Option<chrono::NaiveDateTime>, y: Option<chrono::NaiveDateTime>| {
        (y.unwrap() - x.unwrap()).num_milliseconds()
    };
    assert_eq!(
        ms(step_a.enqueued, step_a.started),
        100,
        "waiting for a worker"
    );
    assert_eq!(ms(step_a.started, step_a.sent), 100, "in the worker");
    assert_eq!(ms(step_a.sent, step_a.done), 100, "in orchestration");
    assert!(
        run.task.completed_at.is_some(),
        "a finished run's end is its final transition"
    );
    transition(&db, b, "enqueued", 1, 0.5).await;
    assert_ne!(queries::run_version(&db, task).await.unwrap(), before);
    assert!(queries::run(&db, Uuid::nil()).await.unwrap().is_none());

    // A run the engine parked in blocked_by_failures, once its failed step
    // is back to pending, is moved on (and only then).
    let parked = ids[119];
    let (_, failed) = steps(&db, parked).await;
    transition(&db, failed, "error", 1, 0.5).await;
    sqlx::query("UPDATE tasker.task_transitions SET most_recent = false WHERE task_uuid = $1;")
        .bind(parked)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO tasker.task_transitions (task_uuid, to_state, sort_key, most_recent, created_at, updated_at)
         VALUES ($1, 'blocked_by_failures', 2, true, now(), now())",
    )
    .bind(parked)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("UPDATE tasker.workflow_steps SET retryable = false, attempts = 3 WHERE workflow_step_uuid = $1")
        .bind(failed)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        resume_blocked(&db, parked, "test").await.unwrap(),
        None,
        "still failed: stays"
    );
    transition(&db, failed, "pending", 2, 0.6).await;
    sqlx::query("UPDATE tasker.workflow_steps SET attempts = 0 WHERE workflow_step_uuid = $1")
        .bind(failed)
        .execute(&db)
        .await
        .unwrap();
    let moved = resume_blocked(&db, parked, "test").await.unwrap();
    assert_eq!(moved.as_deref(), Some("waiting_for_dependencies"));
    let state: String = sqlx::query_scalar(
        "SELECT to_state FROM tasker.task_transitions WHERE task_uuid = $1 AND most_recent",
    )
    .bind(parked)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(state, "waiting_for_dependencies");
}
