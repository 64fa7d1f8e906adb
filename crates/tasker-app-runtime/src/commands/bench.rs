//! `APP bench <namespace/task> --tasks N --concurrency C [--context JSON]`
//!
//! Creates N tasks through the orchestration REST API from this one process,
//! keeping at most C of them unfinished at any time (a closed loop: C = 1
//! measures one task at a time, a large C the throughput), waits until every
//! one has ended, and reports from
//! the engine's own tables: created -> complete latency (p50/p95/p99), tasks
//! per second (first created to last finished), and failures by kind. A
//! context may hold `{i}` (replaced by the task's number, 0..N) to vary tasks.
//! While it waits it samples the engine's queues twice a second: the queue in
//! which messages pile up names the stage that limits throughput
//! (`orchestration_*`: the orchestration process; `<namespace>_queue`: workers).
//! Afterwards the steps' own transitions say where their time went: waiting
//! for a worker, in the worker, and their result waiting for orchestration.
//! Not a test: figures, for scripts/bench-app.sh and for tuning.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use serde_json::{Value, json};
use tasker_client::{OrchestrationApiClient, OrchestrationApiConfig};
use tasker_shared::models::core::task_request::TaskRequest;

use super::run::{RUN_ID_KEY, check_context, orchestration_url};
use crate::settings::Settings;
use crate::workflows;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The workflow, as `namespace/task`.
    pub workflow: String,
    /// How many tasks to create.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub tasks: u32,
    /// How many tasks may be unfinished at once (1: one after the other).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// The tasks' context, as JSON; `{i}` is replaced by the task's number.
    #[arg(long, short, default_value = "{}")]
    pub context: String,
    /// Give up waiting after this many seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// The orchestration API (default: from the engine config, else
    /// http://127.0.0.1:8080). Several, comma-separated, for replicas: the
    /// tasks are created round-robin across them.
    #[arg(long, env = "TASKER_ORCHESTRATION_URL")]
    pub orchestration_url: Option<String>,
}

/// What one bench measured.
#[derive(Debug, serde::Serialize)]
struct Report {
    workflow: String,
    tasks: u32,
    concurrency: u32,
    submitted: usize,
    completed: usize,
    /// Seconds from the first submission to the last answer of the API.
    submit_seconds: f64,
    /// Completed tasks per second, first task created to last task ended.
    tasks_per_second: f64,
    latency_ms: Latency,
    /// Kind of failure -> count: `create: <error>` for refused submissions,
    /// the final state for tasks that did not complete, `timeout` for tasks
    /// still running when --timeout ran out.
    failures: BTreeMap<String, usize>,
    /// Step results per worker (`worker_uuid` of the engine's result audit):
    /// how the steps spread across `APP worker` processes.
    steps_by_worker: BTreeMap<String, i64>,
    /// Task transitions per orchestration process (`processor_uuid` of the
    /// engine's task transitions): how the work spread across replicas.
    transitions_by_orchestration: BTreeMap<String, i64>,
    /// Work done more than once (all 0 when the engine's claims held).
    twice: Twice,
    /// Messages waiting per engine queue while the bench ran (queues that
    /// never held one are left out).
    backlog: BTreeMap<String, Backlog>,
    /// Where the steps' time went (mean ms, from the engine's step transitions).
    stages: Stages,
    /// Tasks of the bench that ended and were then deleted (an `APP prune`
    /// beside the bench): counted above, absent from `stages` and
    /// `steps_by_worker`.
    pruned_meanwhile: usize,
}

/// Mean milliseconds a step of the bench spent in each stage, from its
/// transitions: created task -> its first step enqueued (orchestration sets
/// the task up), enqueued -> in_progress (waiting for a worker), in_progress
/// -> enqueued_for_orchestration (in the worker: the handler and its
/// result), enqueued_for_orchestration -> complete (the result waiting for
/// orchestration and processed by it).
#[derive(Debug, Default, serde::Serialize, sqlx::FromRow)]
struct Stages {
    task_setup_ms: Option<f64>,
    waiting_for_worker_ms: Option<f64>,
    in_worker_ms: Option<f64>,
    result_to_orchestration_ms: Option<f64>,
}

/// Counts of the bench's steps and tasks handled more than once, from the
/// engine's own records: a step with two results in the result audit (two
/// workers ran it), a step or a task that reached `complete` twice.
#[derive(Debug, Default, serde::Serialize, sqlx::FromRow)]
struct Twice {
    steps_with_several_results: i64,
    steps_completed_twice: i64,
    tasks_completed_twice: i64,
}

#[derive(Debug, Default, serde::Serialize)]
struct Backlog {
    mean: f64,
    max: i64,
    #[serde(skip)]
    samples: usize,
}

impl Backlog {
    fn add(&mut self, waiting: i64) {
        self.samples += 1;
        self.mean += (waiting as f64 - self.mean) / self.samples as f64;
        self.max = self.max.max(waiting);
    }
}

#[derive(Debug, serde::Serialize)]
struct Latency {
    min: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

/// The bench's input, checked before anything is created: a bad one is a
/// usage error (exit 2).
fn contexts(settings: &Settings, args: &BenchArgs) -> Result<(workflows::Workflow, Vec<Value>)> {
    let (namespace, name) = args.workflow.split_once('/').ok_or_else(|| {
        anyhow!(
            "`{}` is not a workflow name; write it as namespace/task",
            crate::shown::value(&args.workflow)
        )
    })?;
    let workflow = workflows::find(&settings.template_path, namespace, name)?;
    let contexts = (0..args.tasks)
        .map(|i| {
            let text = args.context.replace("{i}", &i.to_string());
            let context = super::run::parse_context(&text)
                .with_context(|| format!("--context is not valid JSON (task {i})"))?;
            check_context(&workflow, &context)?;
            Ok(context)
        })
        .collect::<Result<Vec<Value>>>()?;
    Ok((workflow, contexts))
}

pub async fn execute(settings: &Settings, args: BenchArgs) -> Result<()> {
    let (workflow, contexts) = contexts(settings, &args).map_err(super::usage)?;
    let (namespace, name) = (
        workflow.template.namespace_name.clone(),
        workflow.template.name.clone(),
    );
    let (namespace, name) = (namespace.as_str(), name.as_str());

    let pool = crate::db::pool(settings.require_database_url()?, 2).await?;
    let clients = Arc::new(clients(settings, args.orchestration_url.as_deref())?);

    let bench_id = format!("bench-{}", uuid::Uuid::now_v7());
    // One permit per unfinished task: taken before a create, given back by the
    // watcher below when the task ends (or at once when the create fails).
    let slots = Arc::new(tokio::sync::Semaphore::new(args.concurrency as usize));
    let started = Instant::now();
    let created = Arc::new(AtomicUsize::new(0));
    // Creates the API refused: task index -> kind of error. An error is not
    // proof that no task exists (an answer lost after the engine created
    // it); the engine's tables decide below.
    let refused: Arc<std::sync::Mutex<BTreeMap<usize, String>>> = Arc::default();
    let submitter = {
        let created = created.clone();
        let refused = refused.clone();
        let slots = slots.clone();
        let clients = clients.clone();
        let workflow_version = workflow.template.version.clone();
        let (namespace, name) = (namespace.to_string(), name.to_string());
        let (source, reason) = (
            settings.package.name.to_string(),
            format!("{} bench {}", settings.package.name, args.workflow),
        );
        let bench_id = bench_id.clone();
        tokio::spawn(async move {
            for (i, mut context) in contexts.into_iter().enumerate() {
                if let Value::Object(map) = &mut context {
                    map.insert(RUN_ID_KEY.to_string(), json!(format!("{bench_id}-{i}")));
                }
                let root =
                    tracing::info_span!("task", otel.name = %format!("task {namespace}/{name}"));
                crate::trace::inject(&root, &mut context);
                let request = TaskRequest::new(name.clone(), namespace.clone())
                    .with_version(workflow_version.clone())
                    .with_context(context)
                    .with_initiator(bench_id.clone())
                    .with_source_system(source.clone())
                    .with_reason(reason.clone());
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                match clients[i % clients.len()].create_task(request).await {
                    Ok(_) => {
                        permit.forget();
                        created.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) => {
                        let kind =
                            format!("create: {}", crate::shown::text(first_line(&e.to_string())));
                        refused.lock().expect("not poisoned").insert(i, kind);
                    }
                }
            }
            started.elapsed().as_secs_f64()
        })
    };

    // The watcher: one query every 50 ms for all of this bench's tasks, the
    // queues' lengths every 500 ms.
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let mut released = 0usize;
    let mut backlog: BTreeMap<String, Backlog> = BTreeMap::new();
    let mut sampled = Instant::now();
    // Every task of the bench seen so far, by uuid: a task that ended stays
    // counted when a `prune` beside the bench deletes its rows.
    let mut seen: BTreeMap<uuid::Uuid, BenchRow> = BTreeMap::new();
    let rows = loop {
        if sampled.elapsed() >= Duration::from_millis(500) {
            sampled = Instant::now();
            for (queue, waiting) in queue_lengths(&pool).await? {
                backlog.entry(queue).or_default().add(waiting);
            }
        }
        let rows = remember(&mut seen, bench_rows(&pool, &bench_id).await?);
        // Only tasks whose create succeeded hold a slot.
        let ended = {
            let refused = refused.lock().expect("not poisoned");
            rows.iter()
                .filter(|r| {
                    is_final(&r.state) && !r.index.is_some_and(|i| refused.contains_key(&i))
                })
                .count()
        };
        if ended > released {
            slots.add_permits(ended - released);
            released = ended;
        }
        if submitter.is_finished() {
            let all_final = rows.iter().all(|r| is_final(&r.state));
            if (ended >= created.load(Ordering::SeqCst) && all_final) || Instant::now() >= deadline
            {
                break rows;
            }
        } else if Instant::now() >= deadline {
            submitter.abort();
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let submit_seconds = submitter
        .await
        .unwrap_or_else(|_| started.elapsed().as_secs_f64());
    // A task in the engine's tables was submitted, whatever the API answered.
    let submitted = rows.len();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused = std::mem::take(&mut *refused.lock().expect("not poisoned"));
    for r in &rows {
        if let Some(i) = r.index {
            refused.remove(&i);
        }
    }
    for kind in refused.into_values() {
        *failures.entry(kind).or_default() += 1;
    }
    let first_created: Option<f64> = rows.iter().map(|r| r.created_at).reduce(f64::min);
    let pruned_meanwhile = rows.iter().filter(|r| r.gone).count();

    let mut latencies: Vec<f64> = Vec::new();
    let mut last_end = 0.0_f64;
    for BenchRow {
        state,
        ms,
        ended_at,
        ..
    } in &rows
    {
        match state.as_str() {
            "complete" => {
                latencies.push(*ms);
                last_end = last_end.max(*ended_at);
            }
            s if is_final(s) => *failures.entry(s.to_string()).or_default() += 1,
            _ => *failures.entry("timeout".to_string()).or_default() += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    let steps_by_worker = counts_by(
        &pool,
        &bench_id,
        "SELECT a.worker_uuid::text, count(*) \
         FROM tasker.workflow_step_result_audit a \
         JOIN tasker.tasks t ON t.task_uuid = a.task_uuid \
         WHERE t.initiator = $1 GROUP BY 1",
        "unknown",
    )
    .await
    .context("could not read the engine's step result audit")?;
    let transitions_by_orchestration = counts_by(
        &pool,
        &bench_id,
        "SELECT tt.processor_uuid::text, count(*) \
         FROM tasker.task_transitions tt \
         JOIN tasker.tasks t ON t.task_uuid = tt.task_uuid \
         WHERE t.initiator = $1 GROUP BY 1",
        "none",
    )
    .await
    .context("could not read the engine's task transitions")?;
    let twice = twice(&pool, &bench_id).await?;
    let stages = stages(&pool, &bench_id).await?;
    let span = first_created.map_or(0.0, |first| last_end - first);
    let report = Report {
        workflow: args.workflow.clone(),
        tasks: args.tasks,
        concurrency: args.concurrency,
        submitted,
        completed: latencies.len(),
        submit_seconds,
        tasks_per_second: if span > 0.0 {
            latencies.len() as f64 / span
        } else {
            0.0
        },
        latency_ms: Latency {
            min: percentile(&latencies, 0.0),
            p50: percentile(&latencies, 0.50),
            p95: percentile(&latencies, 0.95),
            p99: percentile(&latencies, 0.99),
            max: percentile(&latencies, 1.0),
        },
        failures,
        steps_by_worker,
        transitions_by_orchestration,
        twice,
        backlog: backlog.into_iter().filter(|(_, b)| b.max > 0).collect(),
        stages,
        pruned_meanwhile,
    };
    tasker_shared::logging::shutdown_telemetry();
    if args.format == "json" {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(())
}

/// One task of the bench, as the engine's tables have it.
#[derive(Debug, Clone, PartialEq)]
struct BenchRow {
    task_uuid: uuid::Uuid,
    /// When it was created (epoch seconds).
    created_at: f64,
    /// Seen ended, then deleted (by a prune) before the bench ended.
    gone: bool,
    /// Which of the bench's tasks (its `{i}`), from the run id in its context.
    index: Option<usize>,
    /// Final or current state.
    state: String,
    /// Milliseconds from created to that state.
    ms: f64,
    /// When that state was reached (epoch seconds).
    ended_at: f64,
}

async fn bench_rows(pool: &sqlx::PgPool, bench_id: &str) -> Result<Vec<BenchRow>> {
    type Row = (uuid::Uuid, f64, Option<String>, String, f64, f64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.task_uuid, EXTRACT(EPOCH FROM t.created_at)::float8, t.context->>$2, tt.to_state, \
                EXTRACT(EPOCH FROM (tt.created_at - t.created_at))::float8 * 1000.0, \
                EXTRACT(EPOCH FROM tt.created_at)::float8 \
         FROM tasker.tasks t \
         JOIN tasker.task_transitions tt ON tt.task_uuid = t.task_uuid AND tt.most_recent \
         WHERE t.initiator = $1",
    )
    .bind(bench_id)
    .bind(RUN_ID_KEY)
    .fetch_all(pool)
    .await
    .context("could not read the engine's task tables")?;
    let prefix = format!("{bench_id}-");
    Ok(rows
        .into_iter()
        .map(
            |(task_uuid, created_at, run_id, state, ms, ended_at)| BenchRow {
                task_uuid,
                created_at,
                gone: false,
                index: run_id
                    .as_deref()
                    .and_then(|id| id.strip_prefix(&prefix))
                    .and_then(|i| i.parse().ok()),
                state,
                ms,
                ended_at,
            },
        )
        .collect())
}

/// Merges one poll into what the bench has seen and returns all of it: a
/// task that had ended and is missing now was deleted under the bench (a
/// prune) and keeps its last state; one that reached an end stays there.
fn remember(seen: &mut BTreeMap<uuid::Uuid, BenchRow>, polled: Vec<BenchRow>) -> Vec<BenchRow> {
    let present: std::collections::BTreeSet<uuid::Uuid> =
        polled.iter().map(|r| r.task_uuid).collect();
    for row in seen.values_mut() {
        if !present.contains(&row.task_uuid) && is_final(&row.state) {
            row.gone = true;
        }
    }
    for row in polled {
        seen.insert(row.task_uuid, row);
    }
    seen.values().cloned().collect()
}

/// One API client per orchestration URL (comma-separated: replicas).
fn clients(settings: &Settings, flag: Option<&str>) -> Result<Vec<OrchestrationApiClient>> {
    let urls: Vec<Option<&str>> = match flag {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(Some)
            .collect(),
        None => vec![None],
    };
    if urls.is_empty() {
        return Err(super::usage(anyhow!(
            "--orchestration-url is empty; give one URL, or several separated by commas"
        )));
    }
    urls.into_iter()
        .map(|url| {
            let base_url = orchestration_url(settings, url);
            OrchestrationApiClient::new(OrchestrationApiConfig {
                base_url: base_url.clone(),
                timeout_ms: 30_000,
                // No blind resend: a resent create that had succeeded is a 409.
                max_retries: 0,
                auth: None,
            })
            .map_err(|e| {
                super::usage(anyhow!(
                    "bad orchestration URL {}: {e}",
                    crate::shown::url(&base_url)
                ))
            })
        })
        .collect()
}

/// `sql` (binding the bench id as `$1`) gives (key or NULL, count) rows:
/// the counts by key, NULL keys under `unknown`.
async fn counts_by(
    pool: &sqlx::PgPool,
    bench_id: &str,
    sql: &str,
    unknown: &str,
) -> sqlx::Result<BTreeMap<String, i64>> {
    Ok(sqlx::query_as::<_, (Option<String>, i64)>(sql)
        .bind(bench_id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|(key, n)| (key.unwrap_or_else(|| unknown.to_string()), n))
        .collect())
}

/// Work of the bench done more than once (see [`Twice`]).
async fn twice(pool: &sqlx::PgPool, bench_id: &str) -> Result<Twice> {
    sqlx::query_as(
        "WITH bench_steps AS (
           SELECT ws.workflow_step_uuid FROM tasker.workflow_steps ws
             JOIN tasker.tasks t ON t.task_uuid = ws.task_uuid WHERE t.initiator = $1)
         SELECT
           (SELECT count(*) FROM (SELECT a.workflow_step_uuid FROM tasker.workflow_step_result_audit a
              JOIN bench_steps USING (workflow_step_uuid) GROUP BY 1 HAVING count(*) > 1) x)
             AS steps_with_several_results,
           (SELECT count(*) FROM (SELECT st.workflow_step_uuid FROM tasker.workflow_step_transitions st
              JOIN bench_steps USING (workflow_step_uuid)
             WHERE st.to_state = 'complete' GROUP BY 1 HAVING count(*) > 1) x)
             AS steps_completed_twice,
           (SELECT count(*) FROM (SELECT tt.task_uuid FROM tasker.task_transitions tt
              JOIN tasker.tasks t ON t.task_uuid = tt.task_uuid
             WHERE t.initiator = $1 AND tt.to_state = 'complete' GROUP BY 1 HAVING count(*) > 1) x)
             AS tasks_completed_twice",
    )
    .bind(bench_id)
    .fetch_one(pool)
    .await
    .context("could not read the engine's records of the bench's steps")
}

/// Where the bench's steps spent their time (see [`Stages`]).
async fn stages(pool: &sqlx::PgPool, bench_id: &str) -> Result<Stages> {
    sqlx::query_as(
        "WITH steps AS (
           SELECT t.task_uuid, t.created_at AS task_created,
                  min(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued') AS enqueued,
                  max(tr.created_at) FILTER (WHERE tr.to_state = 'in_progress') AS started,
                  max(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued_for_orchestration') AS sent,
                  max(tr.created_at) FILTER (WHERE tr.to_state = 'complete') AS done
             FROM tasker.tasks t
             JOIN tasker.workflow_steps ws ON ws.task_uuid = t.task_uuid
             JOIN tasker.workflow_step_transitions tr ON tr.workflow_step_uuid = ws.workflow_step_uuid
            WHERE t.initiator = $1
            GROUP BY t.task_uuid, ws.workflow_step_uuid),
         setup AS (
           SELECT min(enqueued) - min(task_created) AS wait FROM steps GROUP BY task_uuid)
         SELECT (SELECT avg(EXTRACT(EPOCH FROM wait)) FROM setup)::float8 * 1000 AS task_setup_ms,
                avg(EXTRACT(EPOCH FROM started - enqueued))::float8 * 1000 AS waiting_for_worker_ms,
                avg(EXTRACT(EPOCH FROM sent - started))::float8 * 1000 AS in_worker_ms,
                avg(EXTRACT(EPOCH FROM done - sent))::float8 * 1000 AS result_to_orchestration_ms
           FROM steps",
    )
    .bind(bench_id)
    .fetch_one(pool)
    .await
    .context("could not read the engine's step transitions")
}

/// Messages waiting in each of the engine's queues (pgmq).
async fn queue_lengths(pool: &sqlx::PgPool) -> Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT queue_name::text, COALESCE(queue_length, 0) FROM pgmq.metrics_all()")
        .fetch_all(pool)
        .await
        .context("could not read the engine's queue lengths (pgmq.metrics_all)")
}

fn is_final(state: &str) -> bool {
    matches!(
        state,
        "complete" | "error" | "cancelled" | "resolved_manually" | "blocked_by_failures"
    )
}

/// The value at `q` (0..=1) of sorted `values`, nearest rank; 0 when empty.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// `12 on <worker>, 9 on <worker>`, or `none recorded`.
fn counts_text(counts: &BTreeMap<String, i64>, word: &str) -> String {
    if counts.is_empty() {
        return "none recorded".to_string();
    }
    counts
        .iter()
        .map(|(key, n)| format!("{n} {word} {key}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_text(r: &Report) {
    println!(
        "{}: {} tasks, {} in flight at most: {} created ({:.1} s), {} completed",
        r.workflow, r.tasks, r.concurrency, r.submitted, r.submit_seconds, r.completed
    );
    println!(
        "created -> complete: p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms (min {:.0}, max {:.0})",
        r.latency_ms.p50, r.latency_ms.p95, r.latency_ms.p99, r.latency_ms.min, r.latency_ms.max
    );
    println!("throughput: {:.1} completed tasks/s", r.tasks_per_second);
    println!("steps by worker: {}", counts_text(&r.steps_by_worker, "on"));
    println!(
        "task transitions by orchestration: {}",
        counts_text(&r.transitions_by_orchestration, "by")
    );
    println!(
        "done twice: {} steps with several results, {} steps and {} tasks completed twice",
        r.twice.steps_with_several_results,
        r.twice.steps_completed_twice,
        r.twice.tasks_completed_twice
    );
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} ms"));
    println!(
        "a step's time (mean): waiting for a worker {}, in the worker {}, its result waiting for and in orchestration {}; task setup {}",
        ms(r.stages.waiting_for_worker_ms),
        ms(r.stages.in_worker_ms),
        ms(r.stages.result_to_orchestration_ms),
        ms(r.stages.task_setup_ms)
    );
    let queues: Vec<String> = r
        .backlog
        .iter()
        .map(|(queue, b)| format!("{queue} {:.1} / {}", b.mean, b.max))
        .collect();
    if !queues.is_empty() {
        println!("waiting messages (mean / max): {}", queues.join(", "));
    }
    if r.pruned_meanwhile > 0 {
        println!(
            "note: {} ended task(s) were deleted while the bench ran (a `prune` beside it): \
             counted above, left out of the step figures",
            r.pruned_meanwhile
        );
    }
    if r.failures.is_empty() {
        println!("failures: none");
    } else {
        for (kind, count) in &r.failures {
            println!("failures: {count} x {kind}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_a_list_or_as_none_recorded() {
        let counts = BTreeMap::from([("a".to_string(), 3), ("b".to_string(), 2)]);
        assert_eq!(counts_text(&counts, "on"), "3 on a, 2 on b");
        assert_eq!(counts_text(&BTreeMap::new(), "by"), "none recorded");
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.95), 95.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&values, 0.0), 1.0);
        assert_eq!(percentile(&values, 1.0), 100.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
    }

    fn row(n: u128, state: &str) -> BenchRow {
        BenchRow {
            task_uuid: uuid::Uuid::from_u128(n),
            created_at: n as f64,
            gone: false,
            index: Some(n as usize),
            state: state.to_string(),
            ms: 1.0,
            ended_at: n as f64 + 1.0,
        }
    }

    /// Issue 17: `bench` miscounted when a `prune` beside it deleted tasks
    /// that had ended (its counts came from the tables at the end).
    #[test]
    fn tasks_deleted_under_the_bench_stay_counted() {
        let mut seen = BTreeMap::new();
        let first = remember(&mut seen, vec![row(1, "complete"), row(2, "in_progress")]);
        assert_eq!(first.len(), 2);
        // Task 1 pruned; task 2 completes.
        let rows = remember(&mut seen, vec![row(2, "complete")]);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.state == "complete"));
        assert_eq!(rows.iter().filter(|r| r.gone).count(), 1);
    }

    #[test]
    fn a_backlog_keeps_the_mean_and_the_peak_of_its_samples() {
        let mut backlog = Backlog::default();
        for waiting in [0, 6, 3] {
            backlog.add(waiting);
        }
        assert_eq!((backlog.mean, backlog.max, backlog.samples), (3.0, 6, 3));
    }
}
