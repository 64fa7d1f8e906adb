//! `db/functions/*.sql` and `db/views/*.sql`: one object per file, named by
//! its first `CREATE [OR REPLACE] FUNCTION|VIEW schema.name` (an unqualified
//! name means schema `app`), tracked in `tasker_app.database_objects` with the
//! file's sha256 and the live definition's fingerprint
//! (`tasker_app.object_fingerprint(kind, name)`).
//!
//! A file is (re)applied when its object is missing, the file changed, or the
//! object was changed in the database by hand. Files run in name order; one
//! that needs an object a later file creates (a view on a view) is retried
//! after the others. A view whose columns changed cannot be replaced in place,
//! so it is dropped and created again. All inside the caller's transaction.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::{file_stem, read, sha256, sql_files, status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Function,
    View,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::View => "view",
        }
    }
}

/// A file that has to be applied, and why.
struct Pending {
    file: PathBuf,
    sql: String,
    name: String,
    sha: String,
    verb: &'static str,
}

/// Apply the files in `dir` that need it; returns how many were applied.
pub async fn install(conn: &mut PgConnection, dir: &Path, kind: Kind) -> Result<usize> {
    let mut pending = Vec::new();
    for file in sql_files(dir)? {
        let sql = read(&file)?;
        let name = object_name(&sql, kind).unwrap_or_else(|| qualify(&file_stem(&file)));
        let sha = sha256(&sql);
        let recorded: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT sha256, fingerprint FROM tasker_app.database_objects WHERE name = $1",
        )
        .bind(&name)
        .fetch_optional(&mut *conn)
        .await
        .context("could not read tasker_app.database_objects (is db/bootstrap there?)")?;
        let live = fingerprint(conn, kind, &name).await?;
        let verb = match (&recorded, &live) {
            (Some((recorded_sha, recorded_fp)), Some(live_fp))
                if *recorded_sha == sha && recorded_fp.as_deref() == Some(live_fp.as_str()) =>
            {
                continue;
            }
            (None, _) => "create",
            (Some((recorded_sha, _)), _) if *recorded_sha != sha => "update",
            // Unchanged on disk, but missing or edited in the database.
            _ => "repair",
        };
        pending.push(Pending {
            file,
            sql,
            name,
            sha,
            verb,
        });
    }

    let mut applied = 0;
    while !pending.is_empty() {
        let before = pending.len();
        let mut deferred = Vec::new();
        let mut last_error = None;
        for object in pending {
            match apply(conn, &object, kind).await? {
                None => {
                    record(conn, &object, kind).await?;
                    applied += 1;
                }
                Some(error) => {
                    last_error = Some(error);
                    deferred.push(object);
                }
            }
        }
        if deferred.len() == before {
            let error = last_error.unwrap_or_else(|| anyhow!("no progress"));
            return Err(error.context(format!(
                "{} failed; nothing was applied",
                deferred[0].file.display()
            )));
        }
        pending = deferred;
    }
    Ok(applied)
}

/// Run one file in a savepoint. `Ok(Some(error))`: it needs an object that
/// does not exist yet, so try again after the other files.
async fn apply(
    conn: &mut PgConnection,
    object: &Pending,
    kind: Kind,
) -> Result<Option<anyhow::Error>> {
    let mut attempt = conn.begin().await?;
    let outcome = sqlx::raw_sql(&object.sql).execute(&mut *attempt).await;
    let error = match outcome {
        Ok(_) => {
            attempt.commit().await?;
            return Ok(None);
        }
        Err(error) => error,
    };
    attempt.rollback().await?;
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
        .unwrap_or_default();
    match code.as_str() {
        // undefined table / function / object: maybe created by a later file
        "42P01" | "42883" | "42704" => Ok(Some(error.into())),
        // a view's columns changed: CREATE OR REPLACE cannot do that
        "42P16" if kind == Kind::View => {
            let (schema, name) = object.name.split_once('.').unwrap_or(("app", &object.name));
            let drop = format!(
                "DROP VIEW IF EXISTS {}.{}",
                quote_ident(schema),
                quote_ident(name)
            );
            sqlx::raw_sql(&drop)
                .execute(&mut *conn)
                .await
                .with_context(|| format!("could not replace view {}", object.name))?;
            sqlx::raw_sql(&object.sql)
                .execute(&mut *conn)
                .await
                .with_context(|| format!("{} failed", object.file.display()))?;
            Ok(None)
        }
        _ => Err(anyhow!(error).context(format!("{} failed", object.file.display()))),
    }
}

/// Remember what was installed: the file's hash and the live definition's.
async fn record(conn: &mut PgConnection, object: &Pending, kind: Kind) -> Result<()> {
    let fingerprint = fingerprint(conn, kind, &object.name).await?;
    if fingerprint.is_none() {
        bail!(
            "{} ran, but no {} named {} exists afterwards; name the object in the file as \
             `schema.name`",
            object.file.display(),
            kind.as_str(),
            object.name
        );
    }
    sqlx::query(
        "INSERT INTO tasker_app.database_objects (name, kind, sha256, fingerprint, tool_version) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, sha256 = EXCLUDED.sha256, \
         fingerprint = EXCLUDED.fingerprint, tool_version = EXCLUDED.tool_version, \
         installed_at = now()",
    )
    .bind(&object.name)
    .bind(kind.as_str())
    .bind(&object.sha)
    .bind(&fingerprint)
    .bind(crate::defaults::TOOL_VERSION)
    .execute(&mut *conn)
    .await?;
    status(object.verb, &format!("{} {}", kind.as_str(), object.name));
    Ok(())
}

/// The live definition's fingerprint. PostgreSQL prints a view's definition
/// with names qualified or not depending on the search path, so it is asked
/// with only `pg_catalog` on the path (every name comes out qualified, whatever
/// the database's default path), then the path the app's files run with is
/// restored.
async fn fingerprint(conn: &mut PgConnection, kind: Kind, name: &str) -> Result<Option<String>> {
    sqlx::raw_sql("SET LOCAL search_path TO pg_catalog")
        .execute(&mut *conn)
        .await?;
    let fingerprint = sqlx::query_scalar("SELECT tasker_app.object_fingerprint($1, $2)")
        .bind(kind.as_str())
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .with_context(|| format!("could not fingerprint {} {name}", kind.as_str()));
    sqlx::raw_sql(super::APP_SEARCH_PATH)
        .execute(&mut *conn)
        .await?;
    fingerprint
}

/// The object a file defines: its first `CREATE [OR REPLACE] [MATERIALIZED]
/// FUNCTION|PROCEDURE|VIEW name`, as `schema.name`.
fn object_name(sql: &str, kind: Kind) -> Option<String> {
    let code: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = code.split_whitespace().collect();
    let keywords: &[&str] = match kind {
        Kind::Function => &["function", "procedure"],
        Kind::View => &["view"],
    };
    let start = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("create"))?;
    let keyword_at = words[start..]
        .iter()
        .position(|w| keywords.iter().any(|k| w.eq_ignore_ascii_case(k)))?;
    let raw = words.get(start + keyword_at + 1)?;
    let name = raw
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

fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_come_from_the_create_statement() {
        let function = "-- reserves stock\nCREATE OR REPLACE FUNCTION app.reserve_stock(p_id int)\nRETURNS void";
        assert_eq!(
            object_name(function, Kind::Function).as_deref(),
            Some("app.reserve_stock")
        );
        let view = "create or replace view order_totals as select 1";
        assert_eq!(
            object_name(view, Kind::View).as_deref(),
            Some("app.order_totals")
        );
        let quoted = "CREATE VIEW \"app\".\"low_stock\" AS SELECT 1";
        assert_eq!(
            object_name(quoted, Kind::View).as_deref(),
            Some("app.low_stock")
        );
        assert_eq!(object_name("SELECT 1", Kind::View), None);
    }
}
