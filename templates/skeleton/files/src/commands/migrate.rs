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
//!    definition's fingerprint; re-applied when either changed.
//!
//! Steps 3 and 4 run in one transaction: all of them apply, or none.
//! A second run applies nothing and says so.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnection, PgPoolOptions};
use sqlx::{PgPool, Row};
use tasker_shared::database::migrator::MIGRATOR;

use crate::config::{Settings, redact};

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
    changes += app_migrations(&mut tx, &db_dir.join("migrations")).await?;
    changes += database_objects(&mut tx, &db_dir.join("functions"), "function").await?;
    changes += database_objects(&mut tx, &db_dir.join("views"), "view").await?;
    tx.commit().await.context("could not commit the app's migrations")?;

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
        status("unchanged", &format!("engine migrations ({} applied)", applied.len()));
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

/// Apply the function or view files that are new, changed, or drifted in the
/// database; returns how many were applied.
async fn database_objects(conn: &mut PgConnection, dir: &Path, kind: &str) -> Result<usize> {
    let mut count = 0;
    for file in sql_files(dir)? {
        let sql = read(&file)?;
        let name = object_name(&sql, kind).unwrap_or_else(|| qualify(&file_stem(&file)));
        let sha = sha256(&sql);

        let recorded: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT sha256, fingerprint FROM tasker_app.database_objects WHERE name = $1",
        )
        .bind(&name)
        .fetch_optional(&mut *conn)
        .await?;
        let live = fingerprint(conn, kind, &name).await?;

        let verb = match (&recorded, &live) {
            (Some((recorded_sha, recorded_fp)), Some(live_fp))
                if *recorded_sha == sha && recorded_fp.as_deref() == Some(live_fp) =>
            {
                continue;
            }
            (None, _) => "create",
            (Some((recorded_sha, _)), _) if *recorded_sha != sha => "update",
            // Recorded and unchanged on disk, but missing or edited in the database.
            _ => "repair",
        };

        sqlx::raw_sql(&sql)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("{kind} {} failed", file.display()))?;
        let applied_fp = fingerprint(conn, kind, &name).await?;
        if applied_fp.is_none() {
            bail!(
                "{} ran but {kind} {name} does not exist afterwards; \
                 name the file after the object it creates",
                file.display()
            );
        }
        sqlx::query(
            "INSERT INTO tasker_app.database_objects (name, kind, sha256, fingerprint, tool_version) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, sha256 = EXCLUDED.sha256, \
             fingerprint = EXCLUDED.fingerprint, tool_version = EXCLUDED.tool_version, \
             installed_at = now()",
        )
        .bind(&name)
        .bind(kind)
        .bind(&sha)
        .bind(&applied_fp)
        .bind(crate::defaults::TOOL_VERSION)
        .execute(&mut *conn)
        .await?;
        status(verb, &format!("{kind} {name}"));
        count += 1;
    }
    Ok(count)
}

async fn fingerprint(conn: &mut PgConnection, kind: &str, name: &str) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT tasker_app.object_fingerprint($1, $2)")
        .bind(kind)
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("could not fingerprint {kind} {name}"))
}

/// The object a `CREATE [OR REPLACE] FUNCTION|VIEW` file defines, as
/// `schema.name` (unqualified names live in schema `app`).
fn object_name(sql: &str, kind: &str) -> Option<String> {
    let code: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = code.split_whitespace().collect();
    let keywords: &[&str] = if kind == "function" {
        &["function", "procedure"]
    } else {
        &["view"]
    };
    let start = words.iter().position(|w| w.eq_ignore_ascii_case("create"))?;
    let keyword_at = words[start..]
        .iter()
        .position(|w| keywords.iter().any(|k| w.eq_ignore_ascii_case(k)))?;
    let raw = words.get(start + keyword_at + 1)?;
    let name: String = raw
        .split('(')
        .next()
        .unwrap_or(raw)
        .replace('"', "")
        .to_lowercase();
    (!name.is_empty()).then(|| qualify(&name))
}

fn qualify(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("app.{name}")
    }
}

/// `*.sql` files directly in `dir`, sorted by name; none when `dir` is absent.
fn sql_files(dir: &Path) -> Result<Vec<PathBuf>> {
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

fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("could not read {}", file.display()))
}

fn file_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn relative(file: &Path, base: &Path) -> String {
    file.strip_prefix(base).unwrap_or(file).display().to_string()
}

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// One status line on stderr, Rails-style.
fn status(verb: &str, what: &str) {
    eprintln!("{verb:>12}  {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_come_from_the_create_statement() {
        let function = "-- reserves stock\nCREATE OR REPLACE FUNCTION app.reserve_stock(p_id int)\nRETURNS void";
        assert_eq!(object_name(function, "function").as_deref(), Some("app.reserve_stock"));
        let view = "create or replace view order_totals as select 1";
        assert_eq!(object_name(view, "view").as_deref(), Some("app.order_totals"));
        let quoted = "CREATE VIEW \"app\".\"low_stock\" AS SELECT 1";
        assert_eq!(object_name(quoted, "view").as_deref(), Some("app.low_stock"));
        assert_eq!(object_name("SELECT 1", "view"), None);
    }
}
