//! `db/functions/*.sql` and `db/views/*.sql`: one object per file, tracked in
//! `tasker_app.database_objects`. Which file is pending, what a failure means
//! and the order of retries are `tasker_app_db::decide`'s; this module runs
//! the protocol's statements with sqlx, inside the caller's transaction.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};
use tasker_app_db::decide::{self, OnError, Round};
use tasker_app_db::{Object, Recorded, Sources, Verdict, sql};

use super::status;

/// Recorded with every object installed: the tasker-app release that vendored
/// this runtime (the two are versioned together).
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Apply the objects that need it (missing, changed, drifted); returns how many.
pub async fn install(conn: &mut PgConnection, sources: &Sources) -> Result<usize> {
    let mut pending: Vec<(&Object, &'static str)> = Vec::new();
    for (object, verdict) in statuses(conn, sources).await? {
        if let Some(verb) = verdict.verb() {
            pending.push((object, verb));
        }
    }

    let mut applied = 0;
    while !pending.is_empty() {
        let tried = pending.len();
        let mut deferred = Vec::new();
        let mut first_error = None;
        for (object, verb) in pending {
            match attempt(conn, object).await? {
                None => {
                    record(conn, object, verb).await?;
                    applied += 1;
                }
                Some(error) => {
                    first_error.get_or_insert((object, error));
                    deferred.push((object, verb));
                }
            }
        }
        match decide::after_round(tried, deferred.len()) {
            Round::Done | Round::Again => pending = deferred,
            Round::Stuck => {
                let (object, error) = first_error.expect("a deferred object has an error");
                return Err(anyhow!(error).context(format!(
                    "db/{} failed; nothing was applied",
                    object.file.rel_path
                )));
            }
        }
    }
    Ok(applied)
}

/// Every object of `sources` with its verdict, in apply order.
pub async fn statuses<'a>(
    conn: &mut PgConnection,
    sources: &'a Sources,
) -> Result<Vec<(&'a Object, Verdict)>> {
    let tracked: bool = sqlx::query_scalar(sql::TRACKING_INSTALLED)
        .fetch_one(&mut *conn)
        .await?;
    let mut recorded: HashMap<String, Recorded> = HashMap::new();
    if tracked {
        for row in sqlx::query(sql::RECORDED_OBJECTS)
            .fetch_all(&mut *conn)
            .await?
        {
            recorded.insert(
                row.get(0),
                Recorded {
                    sha256: row.get(1),
                    fingerprint: row.get(2),
                },
            );
        }
    }
    let mut out = Vec::new();
    for object in sources.objects() {
        let live = if tracked {
            fingerprint(conn, object).await?
        } else {
            let exists: bool = sqlx::query_scalar(sql::exists(object.kind))
                .bind(&object.name.schema)
                .bind(&object.name.name)
                .fetch_one(&mut *conn)
                .await?;
            exists.then(String::new)
        };
        let verdict =
            decide::object_status(object, recorded.get(&object.name.key()), live.as_deref());
        out.push((object, verdict));
    }
    Ok(out)
}

/// Run one file in a savepoint. `Ok(Some(error))`: it needs an object that
/// does not exist yet, so try again after the other files.
async fn attempt(conn: &mut PgConnection, object: &Object) -> Result<Option<sqlx::Error>> {
    sqlx::raw_sql(sql::USER_SEARCH_PATH)
        .execute(&mut *conn)
        .await?;
    let mut savepoint = conn.begin().await?;
    let error = match sqlx::raw_sql(&object.file.sql)
        .execute(&mut *savepoint)
        .await
    {
        Ok(_) => {
            savepoint.commit().await?;
            return Ok(None);
        }
        Err(error) => error,
    };
    savepoint.rollback().await?;
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    match decide::on_error(object.kind, code.as_deref()) {
        OnError::Defer => Ok(Some(error)),
        OnError::DropAndRecreate => {
            sqlx::raw_sql(&sql::drop_view(&object.name))
                .execute(&mut *conn)
                .await
                .with_context(|| format!("could not replace view {}", object.name))?;
            sqlx::raw_sql(&object.file.sql)
                .execute(&mut *conn)
                .await
                .with_context(|| {
                    format!("db/{} failed; nothing was applied", object.file.rel_path)
                })?;
            Ok(None)
        }
        OnError::Fail => Err(anyhow!(error).context(format!(
            "db/{} failed; nothing was applied",
            object.file.rel_path
        ))),
    }
}

/// Remember what was installed: the file's hash and the live definition's.
async fn record(conn: &mut PgConnection, object: &Object, verb: &str) -> Result<()> {
    let fingerprint = fingerprint(conn, object).await?;
    if fingerprint.is_none() {
        bail!("{}; nothing was applied", decide::not_created(object));
    }
    sqlx::query(sql::RECORD_OBJECT)
        .bind(object.name.key())
        .bind(object.kind.as_str())
        .bind(&object.file.sha256)
        .bind(&fingerprint)
        .bind(TOOL_VERSION)
        .execute(&mut *conn)
        .await?;
    status(
        verb,
        &format!(
            "{} {} (db/{})",
            object.kind.as_str(),
            object.name,
            object.file.rel_path
        ),
    );
    Ok(())
}

/// The live definition's fingerprint (`None`: the object does not exist).
async fn fingerprint(conn: &mut PgConnection, object: &Object) -> Result<Option<String>> {
    sqlx::query_scalar(sql::FINGERPRINT)
        .bind(object.kind.as_str())
        .bind(object.name.key())
        .fetch_one(&mut *conn)
        .await
        .with_context(|| {
            format!(
                "could not fingerprint {} {}",
                object.kind.as_str(),
                object.name
            )
        })
}
