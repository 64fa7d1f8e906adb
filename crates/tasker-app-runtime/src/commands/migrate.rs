//! `APP migrate`: prepares the database, idempotently, in this order:
//!
//! 1. The `tasker_app` tracking schema, then `db/bootstrap/*.sql` and
//!    `db/compat/*.sql` (`uuidv7()` where PostgreSQL lacks it): safe to run
//!    every time.
//! 2. The engine's migrations (embedded in `tasker-shared`, tracked by sqlx in
//!    `_sqlx_migrations`). They need a superuser: one creates an event trigger.
//! 3. `db/migrations/NNNN_name.sql`, each applied once, tracked in
//!    `tasker_app.applied_migrations`.
//! 4. `db/functions/*.sql`, then `db/views/*.sql`, tracked in
//!    `tasker_app.database_objects`; (re)applied when missing, changed on disk
//!    or changed in the database by hand (see `objects`).
//!
//! Steps 3 and 4 run in one transaction: all of them apply, or none.
//! All of it runs in one session holding the migration lock every migration
//! path shares (`tasker_app_db::lock`, taken by `tasker-app` too): a second
//! run waits, saying for whom, and never fails on it. Ctrl-C (or SIGTERM)
//! cancels the statement on the server, then exits 130.
//! `APP migrate --check` applies nothing and reports drift (exit 5).
//!
//! What the files mean, which are refused, the SQL and the decisions are the
//! protocol of `tasker-app-db` (vendor/tasker-app-db), the same code
//! `tasker-app install-database-objects` runs: the two always agree.

mod objects;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, PgPool, Row};
use tasker_app_db::decide::{self, MigrationStep};
use tasker_app_db::{Sources, lock, sql};
use tasker_shared::database::migrator::MIGRATOR;

use crate::settings::Settings;

pub async fn execute(settings: &Settings) -> Result<()> {
    let url = settings.require_database_url()?;
    let sources = read_sources(&settings.app_dir)?;
    let pool = connect(url).await?;
    // One session does all of it: the lock every migration path shares is
    // a session lock, held from before the tracking schema to the end.
    let mut conn = pool
        .acquire()
        .await
        .context("could not open a connection")?;
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await?;
    let work = async {
        take_lock(&mut conn).await?;
        let result = apply(&mut conn, &sources).await;
        // The session ends soon anyway; unlocking now lets a waiting run go on.
        let _ = sqlx::query(lock::UNLOCK)
            .bind(lock::MIGRATION_LOCK_KEY)
            .execute(&mut *conn)
            .await;
        result
    };
    let changes = tokio::select! {
        result = work => result?,
        () = super::shutdown_signal() => interrupted(&pool, pid).await,
    };
    if changes == 0 {
        eprintln!("migrate: the database is up to date; nothing new to apply");
    } else {
        eprintln!("migrate: applied {changes} change(s)");
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: the server stops the statement it runs for us (the
/// client going away would not stop it), then the process exits 130.
async fn interrupted(pool: &PgPool, pid: i32) -> ! {
    eprintln!("interrupted: cancelling the statement running on the server ...");
    let cancelled = sqlx::query_scalar::<_, bool>("SELECT pg_cancel_backend($1)")
        .bind(pid)
        .fetch_one(pool)
        .await;
    if let Err(e) = cancelled {
        eprintln!(
            "warning: the cancel request failed ({e}); the server ends the statement when it notices the connection is gone"
        );
    }
    eprintln!(
        "interrupted: the statement running on the server was cancelled; the step in progress was rolled back (the steps printed above stay applied; run migrate again to finish)"
    );
    std::process::exit(130)
}

/// Takes the migration lock, saying who holds it when it has to wait.
async fn take_lock(conn: &mut PgConnection) -> Result<()> {
    let key = lock::MIGRATION_LOCK_KEY;
    let taken: bool = sqlx::query_scalar(lock::TRY_LOCK)
        .bind(key)
        .fetch_one(&mut *conn)
        .await
        .context("could not take the migration lock")?;
    if taken {
        return Ok(());
    }
    let holder: Option<(i32, f64, String, String)> = sqlx::query_as(lock::HOLDER)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .context("could not ask who holds the migration lock")?;
    let message = match holder {
        Some((pid, seconds, app, query)) => lock::waiting_message(Some(pid), seconds, &app, &query),
        None => lock::waiting_message(None, 0.0, "", ""),
    };
    status("waiting", &message);
    sqlx::query(lock::LOCK)
        .bind(key)
        .execute(&mut *conn)
        .await
        .context("could not take the migration lock")?;
    status("locked", "the other migration ended; going on");
    Ok(())
}

/// Everything after the lock; returns how many changes were applied.
async fn apply(conn: &mut PgConnection, sources: &Sources) -> Result<usize> {
    let mut tx = conn.begin().await.context("could not open a transaction")?;
    sqlx::raw_sql(sql::RESET_SEARCH_PATH)
        .execute(&mut *tx)
        .await?;
    sqlx::raw_sql(sql::TRACKING_DDL)
        .execute(&mut *tx)
        .await
        .context("creating the tracking schema tasker_app failed")?;
    for file in sources.bootstrap.iter().chain(&sources.compat) {
        sqlx::raw_sql(sql::RESET_SEARCH_PATH)
            .execute(&mut *tx)
            .await?;
        sqlx::raw_sql(&file.sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("db/{} failed; nothing was applied", file.rel_path))?;
    }
    tx.commit()
        .await
        .context("could not commit db/bootstrap and db/compat")?;

    let mut changes = engine_migrations(conn).await?;

    let mut tx = conn.begin().await.context("could not open a transaction")?;
    changes += app_migrations(&mut tx, sources).await?;
    changes += objects::install(&mut tx, sources).await?;
    tx.commit()
        .await
        .context("could not commit the app's migrations")?;
    Ok(changes)
}

/// `migrate --check`: every function and view of `db/` against the
/// database, `ok | missing | drifted`. True when all are ok.
pub async fn check(settings: &Settings) -> Result<bool> {
    let url = settings.require_database_url()?;
    let sources = read_sources(&settings.app_dir)?;
    let pool = connect(url).await?;
    let mut conn = pool.acquire().await?;
    let statuses = objects::statuses(&mut conn, &sources).await?;
    let mut differ = 0;
    for (object, verdict) in &statuses {
        let mut line = format!(
            "{:>9}  {} {}",
            verdict.status.as_str(),
            object.kind.as_str(),
            object.name
        );
        if !verdict.reason.is_empty() {
            line.push_str(&format!(" ({})", verdict.reason));
            differ += 1;
        }
        println!("{line}");
    }
    println!("{} object(s), {differ} differ", statuses.len());
    Ok(differ == 0)
}

/// `db/`, read and classified by the protocol (a refused file stops here,
/// before any connection, with the same words the tasker-app CLI uses).
fn read_sources(app_dir: &Path) -> Result<Sources> {
    let db_dir = app_dir.join("db");
    let files = tasker_app_db::layout::read_dir(&db_dir)
        .with_context(|| format!("could not read {}", db_dir.display()))?;
    Ok(Sources::from_files(
        files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
    )?)
}

async fn connect(url: &str) -> Result<PgPool> {
    crate::db::pool(url, 2).await
}

/// Apply the engine's pending migrations; returns how many there were.
async fn engine_migrations(conn: &mut PgConnection) -> Result<usize> {
    let table_exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut *conn)
            .await?;
    let applied: std::collections::HashSet<i64> = if table_exists {
        sqlx::query_scalar("SELECT version FROM public._sqlx_migrations WHERE success")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect()
    } else {
        Default::default()
    };
    let pending: Vec<_> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .collect();

    if pending.is_empty() {
        status(
            "unchanged",
            &format!("engine migrations ({} applied)", applied.len()),
        );
        return Ok(0);
    }
    MIGRATOR.run(&mut *conn).await.context(
        "the engine's migrations failed. They need a superuser (one creates an event \
         trigger) and the pgmq extension installable on the server",
    )?;
    for migration in &pending {
        status(
            "engine",
            &format!("{} {}", migration.version, migration.description),
        );
    }
    Ok(pending.len())
}

/// Apply `db/migrations/*.sql` files not yet recorded; returns how many.
async fn app_migrations(conn: &mut PgConnection, sources: &Sources) -> Result<usize> {
    let applied: HashMap<String, String> = sqlx::query(sql::APPLIED_MIGRATIONS)
        .fetch_all(&mut *conn)
        .await
        .context("could not read tasker_app.applied_migrations")?
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();

    let mut count = 0;
    for m in &sources.migrations {
        match decide::migration_step(m, applied.get(&m.version).map(String::as_str)) {
            MigrationStep::AlreadyApplied => {}
            MigrationStep::ChangedAfterApply(warning) => eprintln!("warning: {warning}"),
            MigrationStep::Apply => {
                sqlx::raw_sql(sql::USER_SEARCH_PATH)
                    .execute(&mut *conn)
                    .await?;
                sqlx::raw_sql(&m.file.sql)
                    .execute(&mut *conn)
                    .await
                    .with_context(|| {
                        format!("db/{} failed; nothing was applied", m.file.rel_path)
                    })?;
                sqlx::query(sql::RECORD_MIGRATION)
                    .bind(&m.version)
                    .bind(&m.name)
                    .bind(&m.file.sha256)
                    .execute(&mut *conn)
                    .await?;
                status("migrate", &format!("db/{}", m.file.rel_path));
                count += 1;
            }
        }
    }
    Ok(count)
}

/// One status line on stderr, Rails-style.
pub(super) fn status(verb: &str, what: &str) {
    eprintln!("{verb:>12}  {what}");
}
