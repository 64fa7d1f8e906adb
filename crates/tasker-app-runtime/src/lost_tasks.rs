//! Tasks lost by orchestration, given back to the engine.
//!
//! Orchestration moves a task through three states of its own within one
//! command: `initializing` (just created), `enqueuing_steps` (sending ready
//! steps to the workers) and `evaluating_results` (after a step result). Each
//! lasts milliseconds. When the command dies half-way (PostgreSQL restarted,
//! the process killed) the task stays in that state, and the engine (0.1.8)
//! never looks at it again: its fallback poller takes only `pending` and
//! waiting tasks, and its staleness detection only waiting tasks and
//! `steps_in_process`. Found by the PostgreSQL-restart drill
//! (tests/drills.rs): a task left in `enqueuing_steps` with its steps never
//! enqueued.
//!
//! The same death can leave a task in `steps_in_process` with ready steps
//! that were never enqueued (its command died between evaluating a result
//! and enqueuing the next steps; found by the PostgreSQL-restart drill in a
//! clean-clone CI rehearsal): nothing in flight, no step touched for
//! [`LOST_AFTER`], and steps ready to run. Nothing in the engine looks at such
//! a task again; the sweep moves it to `waiting_for_dependencies`, which the
//! fallback poller evaluates and enqueues.
//!
//! So the orchestration process of this app sweeps for tasks in one of those
//! states for longer than [`LOST_AFTER`] and moves each, with the engine's own
//! compare-and-set transition (`tasker.transition_task_state_atomic`, row
//! locked, so a live command cannot interleave), to the state from which the
//! engine's own code carries it on, chosen by the engine's view of its steps
//! (`tasker.get_task_execution_context`):
//! - ready steps (or steps still waiting for a retry): `waiting_for_dependencies`,
//!   which the fallback poller evaluates and enqueues;
//! - steps in flight: `steps_in_process`, where their results move it on;
//! - every step complete: `pending`, which the poller starts and, finding no
//!   step to run, completes (the engine's own `NoStepsFound` path);
//! - a step failed for good: `blocked_by_failures`, as the engine's evaluation
//!   would have.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use uuid::Uuid;

/// How often orchestration looks for lost tasks: a lost task moves on
/// between [`LOST_AFTER`] and that plus this; an idle app sends one
/// statement per sweep (scripts/bench-cost.sh).
pub const SWEEP_EVERY: Duration = Duration::from_secs(15);
/// How long a task may stay in one of orchestration's own states. A command
/// takes milliseconds; a task's state is written when its command runs, not
/// while the command waits in the queue.
pub const LOST_AFTER: Duration = Duration::from_secs(60);
/// At most this many tasks per sweep.
const BATCH: i64 = 100;

/// A task given back to the engine.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LostTask {
    pub task_uuid: Uuid,
    /// The state it was lost in.
    pub lost_in: String,
    /// The state it was moved to.
    pub moved_to: String,
    /// Seconds it had been in `lost_in`.
    pub seconds: f64,
}

/// Sweeps every [`SWEEP_EVERY`] until the task is aborted.
pub async fn run(db: PgPool) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sweep(&db, LOST_AFTER).await {
            Ok(lost) => {
                for task in lost {
                    tracing::warn!(
                        task_uuid = %task.task_uuid,
                        lost_in = %task.lost_in,
                        moved_to = %task.moved_to,
                        seconds = task.seconds as u64,
                        "a task was left behind by orchestration; gave it back to the engine"
                    );
                }
            }
            // The database may be restarting: the next sweep tries again.
            Err(e) => tracing::warn!("looking for lost tasks failed: {e:#}"),
        }
    }
}

/// One sweep, one statement (so one transaction, and nothing else sent to
/// the database while nothing is lost): the tasks moved on.
pub async fn sweep(db: &PgPool, lost_after: Duration) -> Result<Vec<LostTask>> {
    // The engine stores UTC without a zone (see lost_steps.rs).
    sqlx::query_as::<_, LostTask>(
        "WITH stuck AS (
           -- In one of orchestration's own states for too long.
           SELECT tt.task_uuid, tt.to_state::text AS lost_in,
                  EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - tt.created_at))::float8 AS seconds
             FROM tasker.task_transitions tt
            WHERE tt.most_recent
              AND tt.to_state IN ('initializing', 'enqueuing_steps', 'evaluating_results')
              AND tt.created_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)
            ORDER BY tt.created_at
            LIMIT $2
              FOR UPDATE OF tt SKIP LOCKED),
         quiet AS (
           -- In steps_in_process with no step touched for too long.
           SELECT tt.task_uuid, tt.to_state::text AS lost_in,
                  EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'UTC') - tt.created_at))::float8 AS seconds
             FROM tasker.task_transitions tt
            WHERE tt.most_recent
              AND tt.to_state = 'steps_in_process'
              AND tt.created_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)
              AND NOT EXISTS (
                    SELECT 1 FROM tasker.workflow_steps ws
                      JOIN tasker.workflow_step_transitions st USING (workflow_step_uuid)
                     WHERE ws.task_uuid = tt.task_uuid
                       AND st.created_at >= (now() AT TIME ZONE 'UTC') - make_interval(secs => $1))
            ORDER BY tt.created_at
            LIMIT $2
              FOR UPDATE OF tt SKIP LOCKED),
         moves AS (
           SELECT stuck.task_uuid, stuck.lost_in, stuck.seconds,
                  CASE ctx.execution_status
                       WHEN 'processing' THEN 'steps_in_process'
                       WHEN 'all_complete' THEN 'pending'
                       WHEN 'blocked_by_failures' THEN 'blocked_by_failures'
                       ELSE 'waiting_for_dependencies'
                  END AS moved_to
             FROM stuck
             CROSS JOIN LATERAL tasker.get_task_execution_context(stuck.task_uuid) ctx
           UNION ALL
           -- Only with ready steps and none in flight: nobody enqueued them.
           SELECT quiet.task_uuid, quiet.lost_in, quiet.seconds, 'waiting_for_dependencies'
             FROM quiet
             CROSS JOIN LATERAL tasker.get_task_execution_context(quiet.task_uuid) ctx
            WHERE ctx.execution_status = 'has_ready_steps'
              AND ctx.in_progress_steps = 0)
         SELECT task_uuid, lost_in, moved_to, seconds
           FROM moves
          WHERE tasker.transition_task_state_atomic(
                  task_uuid, lost_in, moved_to, NULL,
                  jsonb_build_object('recovered_by', 'tasker-app lost-task sweep',
                                     'lost_in', lost_in, 'seconds', round(seconds)))",
    )
    .bind(lost_after.as_secs_f64())
    .bind(BATCH)
    .fetch_all(db)
    .await
    .context("could not look for lost tasks in tasker.task_transitions")
}
