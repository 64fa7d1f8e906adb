//! The dashboard's reads of the engine's tables (`tasker.*`, pgmq), all
//! read-only. Changes go through the engine's REST API ([`super::actions`]).
//!
//! The runs list is paged by keyset on `task_uuid` (UUIDv7, so newest first
//! is descending UUID order, and the primary key serves it): a page costs
//! the same at task 100,000 as at task 1, where OFFSET would read every
//! row before the page.

use anyhow::{Context, Result};
use chrono::NaiveDateTime;
use serde_json::Value;
use sqlx::{PgPool, QueryBuilder};
use uuid::Uuid;

/// Rows on one page of the runs list.
pub const PAGE: i64 = 50;

/// The states a task can be in (the engine's check constraint).
pub const TASK_STATES: [&str; 12] = [
    "pending",
    "initializing",
    "enqueuing_steps",
    "steps_in_process",
    "evaluating_results",
    "waiting_for_dependencies",
    "waiting_for_retry",
    "blocked_by_failures",
    "complete",
    "error",
    "cancelled",
    "resolved_manually",
];

/// What the runs list is narrowed to.
#[derive(Debug, Default, Clone)]
pub struct RunFilter {
    /// `namespace/name`.
    pub workflow: Option<String>,
    pub state: Option<String>,
    /// Text searched for in the context (or a task UUID).
    pub q: Option<String>,
    /// Keyset cursor: rows with a smaller `task_uuid` (older).
    pub before: Option<Uuid>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    // `completed_at`: the engine (0.1.8) leaves the task's column empty, so
    // it is the time of the task's final transition.
    pub task_uuid: Uuid,
    pub workflow: String,
    pub version: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub steps_total: i64,
    pub steps_done: i64,
    pub steps_failed: i64,
}

/// `LIKE` pattern matching `text` anywhere, its wildcards taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of runs, newest first, and the cursor of the next page.
pub async fn runs(db: &PgPool, filter: &RunFilter) -> Result<(Vec<RunRow>, Option<Uuid>)> {
    let mut sql = QueryBuilder::new(
        "SELECT t.task_uuid, (ns.name || '/' || nt.name)::text AS workflow, nt.version::text AS version,
                COALESCE(tt.to_state, 'pending')::text AS state, t.created_at,
                COALESCE(t.completed_at, CASE WHEN tt.to_state IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN tt.created_at END) AS completed_at,
                s.total AS steps_total, s.done AS steps_done, s.failed AS steps_failed
           FROM tasker.tasks t
           JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
           JOIN tasker.task_namespaces ns ON ns.task_namespace_uuid = nt.task_namespace_uuid
           LEFT JOIN tasker.task_transitions tt ON tt.task_uuid = t.task_uuid AND tt.most_recent
           CROSS JOIN LATERAL (
             SELECT count(*) AS total,
                    count(*) FILTER (WHERE st.to_state IN ('complete', 'resolved_manually')) AS done,
                    count(*) FILTER (WHERE st.to_state IN ('error', 'waiting_for_retry')) AS failed
               FROM tasker.workflow_steps ws
               LEFT JOIN tasker.workflow_step_transitions st
                 ON st.workflow_step_uuid = ws.workflow_step_uuid AND st.most_recent
              WHERE ws.task_uuid = t.task_uuid) s
          WHERE true",
    );
    if let Some(before) = filter.before {
        sql.push(" AND t.task_uuid < ").push_bind(before);
    }
    if let Some((namespace, name)) = filter.workflow.as_deref().and_then(|w| w.split_once('/')) {
        sql.push(" AND ns.name = ").push_bind(namespace.to_string());
        sql.push(" AND nt.name = ").push_bind(name.to_string());
    }
    if let Some(state) = &filter.state {
        sql.push(" AND COALESCE(tt.to_state, 'pending') = ")
            .push_bind(state.clone());
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        match Uuid::parse_str(q) {
            Ok(uuid) => {
                sql.push(" AND (t.task_uuid = ").push_bind(uuid);
                sql.push(" OR t.correlation_id = ")
                    .push_bind(uuid)
                    .push(")");
            }
            Err(_) => {
                sql.push(" AND t.context::text ILIKE ")
                    .push_bind(contains_pattern(q));
            }
        }
    }
    sql.push(" ORDER BY t.task_uuid DESC LIMIT ")
        .push_bind(PAGE + 1);
    let mut rows: Vec<RunRow> = sql
        .build_query_as()
        .fetch_all(db)
        .await
        .context("could not read the engine's tasks")?;
    let next = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| r.task_uuid)
    } else {
        None
    };
    Ok((rows, next))
}

/// The workflows the engine knows (`namespace/name`), for the filter.
pub async fn workflow_names(db: &PgPool) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT (ns.name || '/' || nt.name)::text
           FROM tasker.named_tasks nt
           JOIN tasker.task_namespaces ns ON ns.task_namespace_uuid = nt.task_namespace_uuid
          ORDER BY 1",
    )
    .fetch_all(db)
    .await
    .context("could not read the engine's workflows")
}

/// Changes whenever any task or step changes state: the live runs list
/// asks for this (two index lookups) and reloads when it moves.
pub async fn list_version(db: &PgPool) -> Result<String> {
    sqlx::query_scalar(
        "SELECT COALESCE((SELECT max(task_transition_uuid)::text FROM tasker.task_transitions), '')
             || '/' ||
             COALESCE((SELECT max(workflow_step_transition_uuid)::text FROM tasker.workflow_step_transitions), '')",
    )
    .fetch_one(db)
    .await
    .context("could not read the engine's transitions")
}

/// Changes whenever the task or one of its steps changes (state, attempts, results).
pub async fn run_version(db: &PgPool, task: Uuid) -> Result<String> {
    sqlx::query_scalar(
        "SELECT COALESCE((SELECT count(*) FROM tasker.task_transitions WHERE task_uuid = $1), 0)::text
             || '/' || COALESCE((SELECT count(*) FROM tasker.workflow_step_transitions st
                                   JOIN tasker.workflow_steps ws USING (workflow_step_uuid)
                                  WHERE ws.task_uuid = $1), 0)::text
             || '/' || COALESCE((SELECT max(updated_at)::text FROM tasker.workflow_steps
                                  WHERE task_uuid = $1), '')",
    )
    .bind(task)
    .fetch_one(db)
    .await
    .context("could not read the task's transitions")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    pub task_uuid: Uuid,
    pub namespace: String,
    pub name: String,
    pub version: String,
    pub state: String,
    pub context: Option<Value>,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub initiator: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Step {
    pub step_uuid: Uuid,
    pub name: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub retryable: bool,
    pub results: Option<Value>,
    pub created_at: NaiveDateTime,
    /// First `enqueued`: handed to the workers' queue.
    pub enqueued: Option<NaiveDateTime>,
    /// Last `in_progress`: a worker took it.
    pub started: Option<NaiveDateTime>,
    /// Last hand-back to orchestration (success or error).
    pub sent: Option<NaiveDateTime>,
    /// Last final state.
    pub done: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Transition {
    pub step_uuid: Uuid,
    pub to_state: String,
    pub at: NaiveDateTime,
    pub metadata: Option<Value>,
}

/// One run whole: the task, its steps (in creation order, which is the
/// template's), the DAG's edges (from, to) and every step transition.
pub struct Run {
    pub task: Task,
    pub steps: Vec<Step>,
    pub edges: Vec<(Uuid, Uuid)>,
    pub transitions: Vec<Transition>,
}

pub async fn run(db: &PgPool, task_uuid: Uuid) -> Result<Option<Run>> {
    let task: Option<Task> = sqlx::query_as(
        "SELECT t.task_uuid, ns.name::text AS namespace, nt.name::text AS name, nt.version::text AS version,
                COALESCE(tt.to_state, 'pending')::text AS state, t.context, t.created_at,
                COALESCE(t.completed_at, CASE WHEN tt.to_state IN ('complete', 'error', 'cancelled', 'resolved_manually') THEN tt.created_at END) AS completed_at,
                t.initiator::text AS initiator, t.reason::text AS reason
           FROM tasker.tasks t
           JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
           JOIN tasker.task_namespaces ns ON ns.task_namespace_uuid = nt.task_namespace_uuid
           LEFT JOIN tasker.task_transitions tt ON tt.task_uuid = t.task_uuid AND tt.most_recent
          WHERE t.task_uuid = $1",
    )
    .bind(task_uuid)
    .fetch_optional(db)
    .await
    .context("could not read the task")?;
    let Some(task) = task else {
        return Ok(None);
    };
    let steps: Vec<Step> = sqlx::query_as(
        "SELECT ws.workflow_step_uuid AS step_uuid, ns.name::text AS name,
                COALESCE(cur.to_state, 'pending')::text AS state,
                COALESCE(ws.attempts, 0) AS attempts, COALESCE(ws.max_attempts, 0) AS max_attempts,
                ws.retryable, ws.results, ws.created_at,
                min(tr.created_at) FILTER (WHERE tr.to_state = 'enqueued') AS enqueued,
                max(tr.created_at) FILTER (WHERE tr.to_state = 'in_progress') AS started,
                max(tr.created_at) FILTER (WHERE tr.to_state IN
                    ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')) AS sent,
                max(tr.created_at) FILTER (WHERE tr.to_state IN
                    ('complete', 'error', 'resolved_manually', 'cancelled')) AS done
           FROM tasker.workflow_steps ws
           JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
           LEFT JOIN tasker.workflow_step_transitions cur
             ON cur.workflow_step_uuid = ws.workflow_step_uuid AND cur.most_recent
           LEFT JOIN tasker.workflow_step_transitions tr ON tr.workflow_step_uuid = ws.workflow_step_uuid
          WHERE ws.task_uuid = $1
          GROUP BY ws.workflow_step_uuid, ns.name, cur.to_state
          ORDER BY ws.created_at, ws.workflow_step_uuid",
    )
    .bind(task_uuid)
    .fetch_all(db)
    .await
    .context("could not read the task's steps")?;
    let edges: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT e.from_step_uuid, e.to_step_uuid
           FROM tasker.workflow_step_edges e
           JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = e.to_step_uuid
          WHERE ws.task_uuid = $1",
    )
    .bind(task_uuid)
    .fetch_all(db)
    .await
    .context("could not read the task's DAG")?;
    let transitions: Vec<Transition> = sqlx::query_as(
        "SELECT tr.workflow_step_uuid AS step_uuid, tr.to_state::text AS to_state,
                tr.created_at AS at, tr.metadata
           FROM tasker.workflow_step_transitions tr
           JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = tr.workflow_step_uuid
          WHERE ws.task_uuid = $1
          ORDER BY tr.workflow_step_uuid, tr.sort_key",
    )
    .bind(task_uuid)
    .fetch_all(db)
    .await
    .context("could not read the steps' transitions")?;
    Ok(Some(Run {
        task,
        steps,
        edges,
        transitions,
    }))
}

/// Messages waiting in each of the engine's queues.
pub async fn queues(db: &PgPool) -> Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "SELECT queue_name::text, COALESCE(queue_length, 0)::bigint FROM pgmq.metrics_all() ORDER BY 1",
    )
    .fetch_all(db)
    .await
    .context("could not read the engine's queue lengths (pgmq.metrics_all)")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DlqEntry {
    pub task_uuid: Uuid,
    pub original_state: String,
    pub reason: String,
    pub resolution: String,
    pub at: NaiveDateTime,
    pub notes: Option<String>,
}

/// The newest entries of the engine's dead-letter queue.
pub async fn dlq(db: &PgPool) -> Result<Vec<DlqEntry>> {
    sqlx::query_as(
        "SELECT task_uuid, original_state::text, dlq_reason::text AS reason,
                resolution_status::text AS resolution, dlq_timestamp AS at, resolution_notes AS notes
           FROM tasker.tasks_dlq ORDER BY dlq_timestamp DESC LIMIT 50",
    )
    .fetch_all(db)
    .await
    .context("could not read the dead-letter queue (tasker.tasks_dlq)")
}

/// Failed attempts in the last 24 hours, by workflow and step.
pub async fn recent_failures(db: &PgPool) -> Result<Vec<(String, String, i64, NaiveDateTime)>> {
    sqlx::query_as(
        "SELECT (tns.name || '/' || nt.name)::text, ns.name::text, count(*)::bigint, max(tr.created_at)
           FROM tasker.workflow_step_transitions tr
           JOIN tasker.workflow_steps ws ON ws.workflow_step_uuid = tr.workflow_step_uuid
           JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
           JOIN tasker.tasks t ON t.task_uuid = ws.task_uuid
           JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
           JOIN tasker.task_namespaces tns ON tns.task_namespace_uuid = nt.task_namespace_uuid
          WHERE tr.to_state IN ('error', 'enqueued_as_error_for_orchestration')
            AND tr.created_at > (now() AT TIME ZONE 'UTC') - interval '24 hours'
          GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 50",
    )
    .fetch_all(db)
    .await
    .context("could not read recent step failures")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_taken_literally() {
        assert_eq!(contains_pattern("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
        assert_eq!(contains_pattern("amara@example.com"), "%amara@example.com%");
    }
}
