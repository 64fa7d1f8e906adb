//! `APP migrate`: prepares the database, idempotently, in this order:
//!
//! 1. `db/bootstrap/*.sql` (the `tasker_app` tracking schema) and
//!    `db/compat/*.sql` (`uuidv7()` where PostgreSQL lacks it). Written to be
//!    safe to run every time.
//! 2. The engine's migrations (embedded in `tasker-shared`, tracked by sqlx in
//!    `_sqlx_migrations`). They need a superuser: one creates an event trigger.
//! 3. `db/migrations/NNNN_name.sql`, each applied once, tracked in
//!    `tasker_app.applied_migrations` (version `NNNN`, name `name`).
//! 4. `db/functions/*.sql`, then `db/views/*.sql` (`CREATE OR REPLACE`), tracked
//!    in `tasker_app.database_objects` with the file's sha256 and the live
//!    definition's fingerprint; re-applied when either changed (see `objects`).
//!
//! Steps 3 and 4 run in one transaction: all of them apply, or none.
//! A second run applies nothing and says so.

mod objects;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::{PgPool, Row};
use tasker_shared::database::migrator::MIGRATOR;

use crate::config::{Settings, redact};

/// The app's SQL files run with this path: unqualified names mean schema `app`.
const APP_SEARCH_PATH: &str = "SET LOCAL search_path TO app, public";

pub async fn execute(settings: &Settings) -> Result<()> {
    let url = settings.require_database_url()?;
    let db_dir = settings.app_dir.join("db");
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .with_context(|| format!("could not connect to {}", redact(url)))?;

    let mut changes = 0;
    for folder in ["bootstrap", "compat"] {
        for file in sql_files(&db_dir.join(folder))? {
            let sql = read(&file)?;
            sqlx::raw_sql(&sql)
                .execute(&pool)
                .await
                .with_context(|| format!("{} failed", file.display()))?;
            status("prepare", &relative(&file, &settings.app_dir));
        }
    }

    changes += engine_migrations(&pool).await?;

    let mut tx = pool.begin().await.context("could not open a transaction")?;
    sqlx::raw_sql(APP_SEARCH_PATH).execute(&mut *tx).await?;
    changes += app_migrations(&mut tx, &db_dir.join("migrations")).await?;
    changes +=
        objects::install(&mut tx, &db_dir.join("functions"), objects::Kind::Function).await?;
    changes += objects::install(&mut tx, &db_dir.join("views"), objects::Kind::View).await?;
    tx.commit()
        .await
        .context("could not commit the app's migrations")?;

    if changes == 0 {
        eprintln!("migrate: the database is up to date; nothing new to apply");
    } else {
        eprintln!("migrate: applied {changes} change(s)");
    }
    Ok(())
}

/// Apply the engine's pending migrations; returns how many there were.
async fn engine_migrations(pool: &PgPool) -> Result<usize> {
    let table_exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(pool)
            .await?;
    let applied: HashSet<i64> = if table_exists {
        sqlx::query_scalar("SELECT version FROM public._sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
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
    MIGRATOR.run(pool).await.context(
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
async fn app_migrations(conn: &mut PgConnection, dir: &Path) -> Result<usize> {
    let applied: HashMap<String, String> =
        sqlx::query("SELECT version, sha256 FROM tasker_app.applied_migrations")
            .fetch_all(&mut *conn)
            .await
            .context("could not read tasker_app.applied_migrations (is db/bootstrap there?)")?
            .into_iter()
            .map(|row| (row.get("version"), row.get("sha256")))
            .collect();

    let mut count = 0;
    let mut versions_seen = HashSet::new();
    for file in sql_files(dir)? {
        let stem = file_stem(&file);
        let (version, name) = stem.split_once('_').unwrap_or((stem.as_str(), ""));
        if !versions_seen.insert(version.to_string()) {
            bail!(
                "two migrations share version {version} in {}; give each file its own number",
                dir.display()
            );
        }
        let sql = read(&file)?;
        let sha = sha256(&sql);
        match applied.get(version) {
            Some(recorded) if *recorded == sha => {}
            Some(_) => eprintln!(
                "warning: db/migrations/{stem}.sql changed after it was applied; \
                 migrations run once, so add a new migration for the change"
            ),
            None => {
                sqlx::raw_sql(&sql)
                    .execute(&mut *conn)
                    .await
                    .with_context(|| format!("migration {} failed", file.display()))?;
                sqlx::query(
                    "INSERT INTO tasker_app.applied_migrations (version, name, sha256) \
                     VALUES ($1, $2, $3)",
                )
                .bind(version)
                .bind(name)
                .bind(&sha)
                .execute(&mut *conn)
                .await?;
                status("migration", &stem);
                count += 1;
            }
        }
    }
    Ok(count)
}

/// `*.sql` files directly in `dir`, sorted by name; none when `dir` is absent.
pub(super) fn sql_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("could not list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    Ok(files)
}

pub(super) fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))
}

pub(super) fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn relative(file: &Path, base: &Path) -> String {
    file.strip_prefix(base)
        .unwrap_or(file)
        .display()
        .to_string()
}

pub(super) fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// One status line on stderr, Rails-style.
pub(super) fn status(verb: &str, what: &str) {
    eprintln!("{verb:>12}  {what}");
}
