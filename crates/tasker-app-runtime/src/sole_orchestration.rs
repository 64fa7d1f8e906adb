//! One orchestration process per database, and a loud warning otherwise.
//!
//! Engine 0.1.8 hands a queue message under 7 KB (every step result) to every
//! listening process inside PostgreSQL's NOTIFY, unclaimed, so two
//! orchestration processes on one database both handle each step result:
//! `scripts/bench-scale.sh` counted 63 of 1,000 steps completed twice with two
//! replicas and 87 (and a task) with three (docs/cost.md). So the app runs one:
//! each orchestration process takes an exclusive advisory lock on a connection
//! of its own and holds it while it runs; one that cannot take it says that
//! another is running, what that costs and what to do. It still starts (a
//! rolling restart overlaps two processes for a moment).

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::task::JoinHandle;

/// The lock's key, per database. Negative: worker markers are positive
/// ([`crate::worker_marker`]), the migration lock is another constant.
pub const KEY: i64 = -0x7461_736b_6572_2d6f;

/// How often the holder pings its connection, so that no idle timeout ends it.
const PING_EVERY: Duration = Duration::from_secs(60);

/// What [`hold`] found.
#[derive(Debug)]
pub enum Sole {
    /// This process is the database's orchestration; the lock is held until the
    /// task is aborted or the process ends.
    Alone(JoinHandle<()>),
    /// Another orchestration process holds the lock.
    Another,
}

/// Takes the lock on a connection of its own (taken out of `db`).
pub async fn hold(db: &PgPool) -> Result<Sole> {
    let mut conn: PgConnection = db
        .acquire()
        .await
        .context("could not connect to mark this orchestration process")?
        .detach();
    let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(KEY)
        .fetch_one(&mut conn)
        .await
        .context("could not take the orchestration lock")?;
    if !taken {
        return Ok(Sole::Another);
    }
    Ok(Sole::Alone(tokio::spawn(async move {
        loop {
            tokio::time::sleep(PING_EVERY).await;
            if conn.ping().await.is_err() {
                // The server went: the lock went with it. A restart of this
                // process takes it again; a second process started meanwhile
                // will not have been warned, which is all this costs.
                return;
            }
        }
    })))
}

/// The warning for [`Sole::Another`].
pub const ANOTHER: &str = "another orchestration process is running on this database. \
With engine 0.1.8 both handle every step result (bench-scale: 63 of 1,000 steps completed \
twice with two), and on one host they are slower than one. Run one orchestration per \
database; stop the other, unless this is a restart that overlaps it for a moment";
