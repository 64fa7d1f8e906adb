//! Steps lost with their worker, given back to the engine.
//!
//! A worker claims a step by moving it to `in_progress` and deleting its queue
//! message; only the worker's result moves it on. When the worker dies in
//! between (`kill -9`, OOM, a lost host) or its result never reaches the
//! database (PostgreSQL restarted while it was being sent), the engine
//! (0.1.8) has nothing that notices: the step stays `in_progress` and the
//! task waits until staleness detection moves it to `error` and the DLQ
//! (`steps_in_process_minutes`, 30 min by default). Nothing is retried.
//!
//! So every worker of this app sweeps for such steps in its namespaces: a step
//! whose every possible claimer is gone ([`crate::worker_marker`]: known in
//! seconds), or `in_progress` for longer than [`lost_after`] (twice the handler timeout plus
//! a grace: a live worker has reported a result, or a timeout failure, long
//! before) is handed to the engine as a retryable failure, exactly as a
//! handler timeout would be, through the worker's own completion channel. The
//! engine then records it and retries the step after its backoff, within its
//! `max_attempts` (the lost attempt counts, as the engine counts a claim as an
//! attempt). Handlers are idempotent, so a step that did its work before its
//! worker died does it again without a second effect.
//!
//! A result can also be lost after it was recorded: the worker moves the step
//! to `enqueued_for_orchestration` (or `..._as_error_...`) and then sends
//! orchestration a message; when that send fails (PostgreSQL restarting), the
//! engine logs it and drops it, and the step waits forever. The sweeper sends
//! that message again for such a step older than the same limit when none is
//! in the orchestration's step-results queue.
//!
//! The worker records a result in two statements: the state transition
//! (whose metadata holds the whole event, result included), then
//! `workflow_steps.results`. A worker killed between the two leaves the new
//! state without its results (or with an earlier attempt's), and
//! orchestration, sent the message again, finds "no results" and waits. So
//! before resending, the sweeper writes `results` from the transition's event,
//! exactly as the engine's own action (`handle_move_to_enqueued_for_orchestration`
//! in tasker-shared 0.1.8) would have.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use tasker_shared::messaging::StepExecutionResult;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::worker_marker::Marker;

/// How often a worker looks for lost steps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// A step whose workers all look gone is looked at again after this, and
/// handed back only if they still do.
const CONFIRM_AFTER: Duration = Duration::from_secs(2);
/// Added to twice the handler timeout: time for a live worker's result to
/// reach the database after its handler finished or timed out.
const GRACE: Duration = Duration::from_secs(10);
/// At most this many steps per sweep.
const BATCH: i64 = 100;

/// How long a step may stay `in_progress` before it is taken for lost. A live
/// worker ends every handler within the handler timeout (then reports a
/// timeout failure); a claimed step may first wait for a free handler slot,
/// which load shedding keeps to about one handler's time; hence twice.
pub fn lost_after(handler_timeout: Duration) -> Duration {
    handler_timeout * 2 + GRACE
}

/// Gives lost steps back to the engine (see the module docs).
pub struct Sweeper {
    pub db: PgPool,
    /// The namespaces this worker serves; steps of others are left alone.
    pub namespaces: Vec<String>,
    pub lost_after: Duration,
    /// The worker's completion channel (what the handler dispatch reports to).
    pub completions: mpsc::Sender<StepExecutionResult>,
    /// The orchestration's step-results queue (`[common.queues.orchestration_queues]`).
    pub step_results_queue: String,
    /// This worker's alive marker: with it, a step whose workers are all
    /// gone is handed back at once ([`crate::worker_marker`]).
    pub marker: Option<Marker>,
}

impl Sweeper {
    /// Sweep every [`SWEEP_EVERY`] until the completion channel closes.
    pub async fn run(self) {
        let mut tick = tokio::time::interval(SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.completions.is_closed() {
                return;
            }
            match self.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    steps = n,
                    lost_after_s = self.lost_after.as_secs(),
                    "gave {n} lost step(s) back to the engine for a retry"
                ),
                // The database may be restarting: the next sweep tries again.
                Err(e) => tracing::warn!("looking for lost steps failed: {e:#}"),
            }
        }
    }

    /// One sweep: how many lost steps were handed back.
    pub async fn sweep(&self) -> Result<usize> {
        let resent = resend_lost_results(
            &self.db,
            &self.namespaces,
            self.lost_after,
            &self.step_results_queue,
            self.marker,
        )
        .await?;
        for step in &resent {
            tracing::warn!(
                step_uuid = %step.step_uuid,
                task_uuid = %step.task_uuid,
                step = %step.name,
                waiting_s = step.seconds as u64,
                results_rewritten = step.repaired,
                "a step's result never reached orchestration; sent it again"
            );
        }
        let mut lost = find_lost(&self.db, &self.namespaces, self.lost_after, self.marker).await?;
        if lost.iter().any(|s| s.worker_gone) {
            // Seen gone once; gone still a moment later (a connection that
            // blinked has its marker back by then)?
            tokio::time::sleep(CONFIRM_AFTER).await;
            let again = find_lost(&self.db, &self.namespaces, self.lost_after, self.marker).await?;
            lost.retain(|s| !s.worker_gone || again.iter().any(|a| a.step_uuid == s.step_uuid));
        }
        for step in &lost {
            tracing::warn!(
                step_uuid = %step.step_uuid,
                task_uuid = %step.task_uuid,
                step = %step.name,
                in_progress_s = step.seconds as u64,
                worker_gone = step.worker_gone,
                "step lost with its worker; reporting a retryable failure"
            );
            let result = lost_result(step, self.lost_after);
            if self.completions.send(result).await.is_err() {
                break; // the worker is stopping
            }
        }
        Ok(lost.len() + resent.len())
    }
}

/// A step found `in_progress` for too long.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LostStep {
    pub step_uuid: Uuid,
    pub task_uuid: Uuid,
    pub name: String,
    /// Seconds since it was claimed (or its result recorded).
    pub seconds: f64,
    /// A resent result whose `results` had to be written from its transition.
    #[sqlx(default)]
    pub repaired: bool,
    /// Lost because every worker that could have claimed it is gone (not
    /// by the time limit).
    #[sqlx(default)]
    pub worker_gone: bool,
}

/// Each step's current state (`tr`) with its step (`ws`, `ns`), task (`t`) and
/// namespace, kept to states entered longer than `$1` seconds ago in the
/// namespaces `$2`; both sweeps add the states they look for.
/// The current transitions of the steps of `$2`'s namespaces.
const CURRENT_STEPS: &str = "FROM tasker.workflow_step_transitions tr
           JOIN tasker.workflow_steps ws USING (workflow_step_uuid)
           JOIN tasker.named_steps ns ON ns.named_step_uuid = ws.named_step_uuid
           JOIN tasker.tasks t ON t.task_uuid = ws.task_uuid
           JOIN tasker.named_tasks nt ON nt.named_task_uuid = t.named_task_uuid
           JOIN tasker.task_namespaces tn ON tn.task_namespace_uuid = nt.task_namespace_uuid
          WHERE tr.most_recent
            AND tn.name = ANY($2)";

/// Steps of these namespaces `in_progress` for longer than `lost_after`
/// (database clock on both sides; the engine stores UTC without a zone).
/// Steps `in_progress` for longer than `lost_after`, or (with this worker's
/// `marker`) claimed when only workers now gone were running
/// ([`crate::worker_marker`]): lost either way.
pub async fn find_lost(
    db: &PgPool,
    namespaces: &[String],
    lost_after: Duration,
    marker: Option<Marker>,
) -> Result<Vec<LostStep>> {
    let gone = match marker {
        Some(_) => crate::worker_marker::gone_sql("tr.created_at", "$4", "$5"),
        None => "false".to_string(),
    };
    let sql = format!(
        "SELECT ws.workflow_step_uuid AS step_uuid, ws.task_uuid, ns.name::text AS name,
                EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - tr.created_at))::float8 AS seconds,
                NOT (tr.created_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)) AS worker_gone
           {CURRENT_STEPS}
            AND tr.to_state = 'in_progress'
            AND (tr.created_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1) OR {gone})
          ORDER BY tr.created_at
          LIMIT $3"
    );
    let marker = marker.unwrap_or(Marker {
        class: 0,
        started: 0,
    });
    sqlx::query_as::<_, LostStep>(&sql)
        .bind(lost_after.as_secs_f64())
        .bind(namespaces)
        .bind(BATCH)
        .bind(marker.class)
        .bind(marker.key())
        .fetch_all(db)
        .await
        .context("could not look for lost steps in tasker.workflow_step_transitions")
}

/// Sends orchestration the step-result message again for steps of these
/// namespaces whose result was recorded longer than `lost_after` ago while
/// no message for them is in `queue`; returns those steps. A step whose
/// `results` were never written (its worker died between the transition and
/// that write) first gets them from the transition's event (`repaired`).
pub async fn resend_lost_results(
    db: &PgPool,
    namespaces: &[String],
    lost_after: Duration,
    queue: &str,
    marker: Option<Marker>,
) -> Result<Vec<LostStep>> {
    let queue = crate::db::plain_queue_name(queue)?;
    // The worker that recorded the result (alive then, so started by then)
    // sends the message right after; when every such worker is gone, nobody
    // will: resend now rather than after the time limit.
    let gone = match marker {
        Some(_) => crate::worker_marker::gone_sql("tr.created_at", "$5", "$6"),
        None => "false".to_string(),
    };
    // `recorded`: the result as the worker recorded it in the transition; the
    // event is `{"type": "EnqueueForOrchestration", "data": <result>}`.
    let sql = format!(
        "WITH stuck AS (
           SELECT ws.workflow_step_uuid, ws.task_uuid, t.correlation_id, ns.name::text AS name,
                  EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - tr.created_at))::float8 AS seconds,
                  CASE WHEN tr.metadata->>'event' LIKE '{{%'
                       THEN (tr.metadata->>'event')::jsonb -> 'data' END AS recorded,
                  ws.results AS written
             {CURRENT_STEPS}
              AND (tr.created_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1) OR {gone})
              AND tr.to_state IN ('enqueued_for_orchestration', 'enqueued_as_error_for_orchestration')
              AND NOT EXISTS (SELECT 1 FROM pgmq.q_{queue} q
                               WHERE q.message->>'step_uuid' = ws.workflow_step_uuid::text)
            ORDER BY tr.created_at
            LIMIT $3),
         repaired AS (
           UPDATE tasker.workflow_steps ws
              SET results = stuck.recorded, in_process = false, updated_at = now()
             FROM stuck
            WHERE ws.workflow_step_uuid = stuck.workflow_step_uuid
              AND stuck.recorded IS NOT NULL
              AND stuck.written IS DISTINCT FROM stuck.recorded
           RETURNING ws.workflow_step_uuid)
         SELECT workflow_step_uuid AS step_uuid, task_uuid, name, seconds,
                workflow_step_uuid IN (SELECT workflow_step_uuid FROM repaired) AS repaired
           FROM stuck
          WHERE tasker.pgmq_send_with_notify($4, jsonb_build_object(
                  'task_uuid', task_uuid, 'step_uuid', workflow_step_uuid,
                  'correlation_id', correlation_id), 0) IS NOT NULL"
    );
    sqlx::query_as::<_, LostStep>(&sql)
        .bind(lost_after.as_secs_f64())
        .bind(namespaces)
        .bind(BATCH)
        .bind(queue)
        .bind(marker.map_or(0, |m| m.class))
        .bind(marker.map_or(0, |m| m.key()))
        .fetch_all(db)
        .await
        .with_context(|| format!("could not resend lost step results to {queue}"))
}

/// The failure reported for a lost step: retryable, like a handler timeout.
fn lost_result(step: &LostStep, lost_after: Duration) -> StepExecutionResult {
    StepExecutionResult::failure(
        step.step_uuid,
        if step.worker_gone {
            format!(
                "the worker running step `{}` was lost: it is gone (no live worker that \
                 could have claimed it, {:.0}s after the claim); retrying",
                step.name, step.seconds
            )
        } else {
            format!(
                "the worker running step `{}` was lost: no result after {:.0}s in progress \
                 (limit {}s); retrying",
                step.name,
                step.seconds,
                lost_after.as_secs()
            )
        },
        Some("WORKER_LOST".to_string()),
        Some("worker_lost".to_string()),
        true,
        (step.seconds * 1000.0) as i64,
        Some(std::collections::HashMap::from([(
            "task_uuid".to_string(),
            serde_json::json!(step.task_uuid.to_string()),
        )])),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_lost_after_twice_the_handler_timeout_and_a_grace() {
        assert_eq!(lost_after(Duration::from_secs(30)), Duration::from_secs(70));
        assert_eq!(lost_after(Duration::from_secs(10)), Duration::from_secs(30));
    }

    #[test]
    fn a_lost_step_is_reported_as_a_retryable_failure_that_names_it() {
        let step = LostStep {
            step_uuid: Uuid::now_v7(),
            task_uuid: Uuid::now_v7(),
            name: "create_order".to_string(),
            seconds: 41.2,
            repaired: false,
            worker_gone: false,
        };
        let result = lost_result(&step, Duration::from_secs(40));
        assert!(!result.success);
        assert!(result.metadata.retryable);
        assert_eq!(result.step_uuid, step.step_uuid);
        let message = result.error.map(|e| e.message).unwrap_or_default();
        assert!(message.contains("create_order"), "{message}");
        assert!(message.contains("lost"), "{message}");
    }
}
