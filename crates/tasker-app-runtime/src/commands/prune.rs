//! `APP prune [--older-than DAYS] [--dry-run]`: delete the engine's records
//! of tasks that ended well (complete, cancelled, resolved manually) longer
//! than DAYS ago, and queue messages archived that long ago.
//!
//! Why: the engine keeps every task, step and transition forever, and some of
//! its queries grow with that history. One of them runs for every step the
//! orchestration enqueues (the "dependencies met" guard): it reads the current
//! state of every step ever created, 2.8 ms at 2,500 steps and 16.6 ms at
//! 9,000 (measured, pg_stat_statements), inside the orchestration's one
//! command loop. Pruning keeps it, and the tables, at the size of the window.
//!
//! Kept: tasks in `error` or `blocked_by_failures` and any task with a
//! dead-letter entry (someone may still look at them), and every task still
//! running. The app's own tables (orders, customers, ...) are never touched:
//! they are the business record and only hold the task's uuid.
//! Each batch is one transaction: the engine never sees half a task.

use anyhow::{Context, Result};
use clap::Args;
use sqlx::PgPool;

use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep what ended in the last DAYS days (0 to 36500).
    #[arg(long, default_value_t = 30, value_name = "DAYS",
          value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_DAYS)))]
    pub older_than: u32,
    /// Count what would go; delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Tasks per transaction.
    #[arg(long, default_value_t = 500, hide = true)]
    pub batch: i64,
}

/// What a prune removed (or, in a dry run, would remove).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub tasks: i64,
    pub archived_messages: i64,
}

/// The longest `--older-than` (100 years): the cutoff stays a date
/// PostgreSQL can compute. A larger value is a usage error (exit 2).
pub const MAX_DAYS: u32 = 36_500;

/// The final states a task is pruned in.
const PRUNED_STATES: &[&str] = &["complete", "cancelled", "resolved_manually"];

/// The tasks to prune: ended in a pruned state before the cutoff ($1 days
/// ago, the engine's UTC timestamps), no dead-letter entry; at most $3.
const DOOMED: &str = "SELECT t.task_uuid
       FROM tasker.tasks t
       JOIN tasker.task_transitions tt ON tt.task_uuid = t.task_uuid AND tt.most_recent
      WHERE tt.to_state = ANY($2)
        AND tt.created_at < (now() AT TIME ZONE 'UTC') - make_interval(days => $1)
        AND NOT EXISTS (SELECT 1 FROM tasker.tasks_dlq d WHERE d.task_uuid = t.task_uuid)
      LIMIT $3";

pub async fn execute(settings: &Settings, args: PruneArgs) -> Result<()> {
    if args.batch < 1 {
        return Err(super::usage(anyhow::anyhow!("--batch must be at least 1")));
    }
    let pool = crate::db::pool(settings.require_database_url()?, 1).await?;
    let pruned = prune(&pool, args.older_than, args.batch, args.dry_run).await?;
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    println!(
        "prune: {verb} {} task(s) that ended more than {} day(s) ago, and {} archived queue message(s){}",
        pruned.tasks,
        args.older_than,
        pruned.archived_messages,
        if args.dry_run {
            " (dry run: nothing was deleted)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Deletes (or counts, when `dry_run`) in batches of `batch` tasks.
pub async fn prune(
    pool: &PgPool,
    older_than_days: u32,
    batch: i64,
    dry_run: bool,
) -> Result<Pruned> {
    anyhow::ensure!(
        older_than_days <= MAX_DAYS,
        "--older-than {older_than_days} is more than {MAX_DAYS} days (100 years)"
    );
    let days = i32::try_from(older_than_days).context("--older-than is too large")?;
    let states: Vec<String> = PRUNED_STATES.iter().map(|s| s.to_string()).collect();
    let mut pruned = Pruned::default();
    let queues: Vec<String> = sqlx::query_scalar("SELECT queue_name::text FROM pgmq.list_queues()")
        .fetch_all(pool)
        .await
        .context("could not list the engine's queues (pgmq)")?;
    if dry_run {
        pruned.tasks = sqlx::query_scalar(&format!("SELECT count(*) FROM ({DOOMED}) doomed"))
            .bind(days)
            .bind(&states)
            .bind(i64::MAX)
            .fetch_one(pool)
            .await
            .context("could not count the tasks to prune")?;
        for queue in &queues {
            pruned.archived_messages +=
                sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) {}", old_archived(queue)?))
                    .bind(days)
                    .fetch_one(pool)
                    .await
                    .with_context(|| format!("could not count the archived messages of {queue}"))?;
        }
        return Ok(pruned);
    }
    loop {
        let deleted = prune_batch(pool, days, &states, batch).await?;
        pruned.tasks += deleted;
        if deleted < batch {
            break;
        }
    }
    for queue in &queues {
        pruned.archived_messages += sqlx::query(&format!("DELETE {}", old_archived(queue)?))
            .bind(days)
            .execute(pool)
            .await
            .with_context(|| format!("could not delete the archived messages of {queue}"))?
            .rows_affected() as i64;
    }
    Ok(pruned)
}

/// One transaction: up to `batch` tasks and everything of theirs, children
/// first (the engine's foreign keys: audit -> transitions -> steps -> task).
async fn prune_batch(pool: &PgPool, days: i32, states: &[String], batch: i64) -> Result<i64> {
    let mut tx = pool.begin().await?;
    sqlx::query(&format!(
        "CREATE TEMP TABLE prune_tasks ON COMMIT DROP AS {DOOMED}"
    ))
    .bind(days)
    .bind(states)
    .bind(batch)
    .execute(&mut *tx)
    .await
    .context("could not choose the tasks to prune")?;
    let steps = "SELECT workflow_step_uuid FROM tasker.workflow_steps
                  WHERE task_uuid IN (SELECT task_uuid FROM prune_tasks)";
    let statements = [
        "DELETE FROM tasker.workflow_step_result_audit WHERE task_uuid IN (SELECT task_uuid FROM prune_tasks)".to_string(),
        format!("DELETE FROM tasker.workflow_step_edges WHERE from_step_uuid IN ({steps}) OR to_step_uuid IN ({steps})"),
        format!("DELETE FROM tasker.workflow_step_transitions WHERE workflow_step_uuid IN ({steps})"),
        "DELETE FROM tasker.workflow_steps WHERE task_uuid IN (SELECT task_uuid FROM prune_tasks)".to_string(),
        "DELETE FROM tasker.task_transitions WHERE task_uuid IN (SELECT task_uuid FROM prune_tasks)".to_string(),
    ];
    for statement in &statements {
        sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .with_context(|| {
                format!("prune failed, nothing of this batch was deleted: {statement}")
            })?;
    }
    let deleted = sqlx::query(
        "DELETE FROM tasker.tasks WHERE task_uuid IN (SELECT task_uuid FROM prune_tasks)",
    )
    .execute(&mut *tx)
    .await
    .context("prune failed, nothing of this batch was deleted: the tasks")?
    .rows_affected() as i64;
    tx.commit().await.context("could not commit the prune")?;
    Ok(deleted)
}

/// `FROM <archive of queue> WHERE <archived more than $1 days ago>`: what a
/// prune deletes (or, dry, counts) of a queue's archive.
fn old_archived(queue: &str) -> Result<String> {
    Ok(format!(
        "FROM pgmq.{} WHERE archived_at < now() - make_interval(days => $1)",
        archive_table(queue)?
    ))
}

/// pgmq's archive table of `queue`, after checking the name is a plain identifier.
fn archive_table(queue: &str) -> Result<String> {
    Ok(format!("a_{}", crate::db::plain_queue_name(queue)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_tables_are_named_only_for_plain_queue_names() {
        assert_eq!(
            archive_table("orchestration_step_results").unwrap(),
            "a_orchestration_step_results"
        );
        for bad in ["", "x; DROP TABLE t", "a.b", "q\""] {
            assert!(archive_table(bad).is_err(), "{bad}");
        }
    }
}
