//! A worker that is gone, known in seconds (issue 20).
//!
//! The engine (0.1.8) does not record which worker claimed a step, and a
//! killed worker says nothing; so a step it had in progress used to wait for
//! the time limit of [`crate::lost_steps`] (twice the handler timeout, 40 s
//! and more) before anyone dared hand it back, since a slow live worker looks
//! the same.
//!
//! So every worker marks itself alive: before it can claim anything it takes
//! a shared session-level advisory lock, its [`Marker`], on a connection
//! of its own that it holds for its whole life. `class` is derived from the
//! namespaces the worker serves (every worker of an app serves the same
//! ones); `started` is the millisecond, by the database's clock, the worker
//! started. PostgreSQL drops the lock the moment the process's connection
//! goes, however the process ends (`kill -9` included: the kernel closes the
//! socket), and `pg_locks` shows every held lock to every role (advisory
//! locks belong to one database: only this database's count).
//!
//! A step claimed at time T can only have been claimed by a worker that had
//! started by T. If no marker with `started <= T` is held, every worker that
//! could have claimed it is gone: the step is lost now, not after the time
//! limit, and the sweep hands it back at once. A live worker that started
//! before T keeps every such step on the slow rule: slow but alive steps are
//! never handed back early. Two guards keep a blip from looking like a
//! death: the fast rule is off while the server has been up for less than
//! [`SETTLE`] (after a restart every worker is still reconnecting), and
//! while this worker's own marker is not held.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::{PgConnection, PgPool};

/// After a server start, workers reconnect and take their markers again;
/// until then the fast rule would see them as gone.
pub const SETTLE: Duration = Duration::from_secs(30);
/// How often the holder checks its connection (and retakes the lock if lost).
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Milliseconds from the Unix epoch to 2020-01-01: marker times count from
/// there, so 42 bits last 139 years.
const BASE_MS: i64 = 1_577_836_800_000;
const TIME_BITS: u32 = 42;

/// The marker a worker holds: one 64-bit advisory lock key, the namespaces'
/// class in its top bits and the worker's start, in milliseconds by the
/// database's clock, in the low [`TIME_BITS`] (a second's resolution would
/// count a worker that started in the same second as a claim as a possible
/// claimer, and leave the claim on the slow rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// 21 bits: the key stays positive.
    pub class: i64,
    /// Milliseconds since 2020-01-01 (floor).
    pub started: i64,
}

impl Marker {
    pub fn key(self) -> i64 {
        (self.class << TIME_BITS) | self.started
    }
}

/// The lock class of the workers serving `namespaces` (order-free), 21 bits.
pub fn class_of(namespaces: &[String]) -> i64 {
    let mut sorted: Vec<&str> = namespaces.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    // FNV-1a: stable across processes, versions and machines.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in sorted.join("\n").bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i64::from(hash & 0x1f_ffff)
}

/// Takes the marker on a connection of its own (taken out of `db`, so that
/// letting go closes it) and keeps it for as long as the returned task runs:
/// abort the task, or end the process, and the marker is gone.
pub async fn hold(
    db: &PgPool,
    namespaces: &[String],
) -> Result<(Marker, tokio::task::JoinHandle<()>)> {
    let mut conn = db
        .acquire()
        .await
        .context("could not connect to mark this worker alive")?
        .detach();
    let started: i64 = sqlx::query_scalar(&format!(
        "SELECT floor(extract(epoch FROM now()) * 1000)::bigint - {BASE_MS}"
    ))
    .fetch_one(&mut conn)
    .await
    .context("could not read the database's clock")?;
    let marker = Marker {
        class: class_of(namespaces),
        started,
    };
    take(&mut conn, marker).await?;
    let pool = db.clone();
    let task = tokio::spawn(async move {
        let mut conn: Option<PgConnection> = Some(conn);
        loop {
            tokio::time::sleep(CHECK_EVERY).await;
            let alive = match conn.as_mut() {
                // A protocol-level ping (Sync, ReadyForQuery): no statement
                // to parse, plan or count, so an idle worker sends none.
                Some(c) => sqlx::Connection::ping(c).await.is_ok(),
                None => false,
            };
            if alive {
                continue;
            }
            // The connection went (a server restart): take the same marker
            // again on a new one, so the claims it covers stay covered.
            conn = None;
            match pool.acquire().await {
                Ok(c) => {
                    let mut c = c.detach();
                    match take(&mut c, marker).await {
                        Ok(()) => {
                            tracing::info!("this worker's alive marker is held again");
                            conn = Some(c);
                        }
                        Err(e) => {
                            tracing::warn!("could not retake this worker's alive marker: {e:#}")
                        }
                    }
                }
                Err(e) => tracing::warn!(
                    "could not reconnect to retake this worker's alive marker: {e:#}"
                ),
            }
        }
    });
    Ok((marker, task))
}

async fn take(conn: &mut PgConnection, marker: Marker) -> Result<()> {
    sqlx::query("SELECT pg_advisory_lock_shared($1)")
        .bind(marker.key())
        .execute(conn)
        .await
        .context("could not take this worker's alive marker (an advisory lock)")?;
    Ok(())
}

/// SQL: true when step transitions created at `{created}` (a UTC timestamp)
/// could only have been claimed by workers that are gone. `class` and `own`
/// are SQL for this worker's class and marker key. See the module docs.
pub fn gone_sql(created: &str, class: &str, own: &str) -> String {
    // A held marker of this database: its key from pg_locks' two halves.
    let held = "FROM pg_locks l
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";
    let key = "((l.classid::bigint << 32) | l.objid::bigint)";
    format!(
        "(pg_postmaster_start_time() < now() - make_interval(secs => {settle})
          AND EXISTS (SELECT 1 {held} AND {key} = {own})
          AND NOT EXISTS (SELECT 1 {held}
                           AND {key} >> {TIME_BITS} = {class}
                           AND ({key} & {mask}) <= floor(extract(epoch FROM {created}) * 1000)::bigint - {BASE_MS}))",
        settle = SETTLE.as_secs(),
        mask = (1i64 << TIME_BITS) - 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_depends_on_the_namespaces_only() {
        let a = class_of(&["ecommerce".into(), "inventory".into()]);
        assert_eq!(
            a,
            class_of(&["inventory".into(), "ecommerce".into(), "ecommerce".into()])
        );
        assert_ne!(a, class_of(&["ecommerce".into()]));
        assert!(a >= 0);
    }
}
