/*!
Applying everything in ONE transaction, in the order of docs/ARCHITECTURE.md:
bootstrap, compat, engine migrations, app migrations, functions, views. Any
failure rolls the whole transaction back: the database is left exactly as it
was. A second run finds everything recorded and applies nothing.

Which SQL runs, under which search_path, what is recorded and what to do when
a file fails are `tasker-app-db`'s (shared with the app's `migrate`); this
module executes them with the sync `postgres` client.
*/

use super::connect::{self, db_error_text};
use super::deferred::Deferred;
use super::engine::{self, EngineMigration};
use super::interrupt;
use super::objects;
use super::sources::{DbObject, DbSources, SqlFile};
use crate::error::{CliError, Exit};
use crate::shell::Shell;
use anyhow::{Context, Result, anyhow, bail};
use postgres::error::SqlState;
use postgres::{Client, Transaction};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;
use tasker_app_db::decide::{self, MigrationStep, OnError, Round, Status};
use tasker_app_db::{lock, sql};

/// What one apply did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// `host:port/db as user` (never a password).
    pub database: String,
    pub created_database: bool,
    /// `VERSION description` of each engine migration applied now.
    pub engine_migrations: Vec<String>,
    /// `NNNN_name` of each app migration applied now.
    pub app_migrations: Vec<String>,
    /// `kind name` of each function or view (re)installed now.
    pub objects: Vec<String>,
    /// How many migrations and objects were already up to date.
    pub unchanged: usize,
    pub elapsed_ms: u128,
}

impl Report {
    pub fn changed_anything(&self) -> bool {
        self.created_database
            || !self.engine_migrations.is_empty()
            || !self.app_migrations.is_empty()
            || !self.objects.is_empty()
    }
}

/// Everything the apply needs besides the connection.
pub struct Inputs<'a> {
    pub sources: &'a DbSources,
    /// `None` skips the engine step (only for tests of the app objects alone).
    pub engine: Option<&'a [EngineMigration]>,
    pub tool_version: &'a str,
    /// The URL, only to scrub it out of error texts.
    pub url: &'a str,
}

/// Applies all pending steps in one transaction and commits, holding the
/// migration lock every migration path takes (`tasker_app_db::lock`; an
/// app's `migrate` too), and cancelling the server's work on Ctrl-C.
pub fn apply(client: &mut Client, inputs: &Inputs<'_>, shell: &Shell) -> Result<Report> {
    let progress = interrupt::Progress::default();
    let _interrupt = match connect::connector_for(inputs.url) {
        Ok(tls) => Some(interrupt::Guard::install(client, tls, progress.clone())),
        Err(_) => None,
    };
    let started = Instant::now();
    take_migration_lock(client, shell, inputs.url)?;
    let result = apply_locked(client, inputs, shell, &progress);
    // The session ends soon anyway; unlocking now lets a waiting run go on.
    let _ = client.execute(lock::UNLOCK, &[&lock::MIGRATION_LOCK_KEY]);
    let mut report = result?;
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

/// Takes the migration lock, saying who holds it when it has to wait.
fn take_migration_lock(client: &mut Client, shell: &Shell, url: &str) -> Result<()> {
    let failed =
        |e: postgres::Error| anyhow!("cannot take the migration lock: {}", db_error_text(&e, url));
    let key = lock::MIGRATION_LOCK_KEY;
    let taken: bool = client
        .query_one(lock::TRY_LOCK, &[&key])
        .map_err(failed)?
        .get(0);
    if taken {
        return Ok(());
    }
    let holder = client.query_opt(lock::HOLDER, &[&key]).map_err(failed)?;
    let message = match holder {
        Some(row) => lock::waiting_message(Some(row.get(0)), row.get(1), row.get(2), row.get(3)),
        None => lock::waiting_message(None, 0.0, "", ""),
    };
    shell.status("waiting", message);
    client.execute(lock::LOCK, &[&key]).map_err(failed)?;
    shell.status("locked", "the other migration ended; going on");
    Ok(())
}

fn apply_locked(
    client: &mut Client,
    inputs: &Inputs<'_>,
    shell: &Shell,
    progress: &interrupt::Progress,
) -> Result<Report> {
    let shell = &Deferred {
        shell,
        lines: Default::default(),
    };
    let mut report = Report::default();
    let mut tx = client.transaction().context("cannot start a transaction")?;
    let url = inputs.url;

    // The same lock sqlx's migrator takes: `APP migrate` running now waits for us.
    let db: String = tx.query_one("SELECT current_database()", &[])?.get(0);
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&engine::lock_id(&db)])?;

    tx.batch_execute(sql::RESET_SEARCH_PATH)?;
    tx.batch_execute(sql::TRACKING_DDL)
        .map_err(|e| sql_failure("creating the tracking schema tasker_app", &e, url))?;
    for file in inputs
        .sources
        .bootstrap
        .iter()
        .chain(&inputs.sources.compat)
    {
        tx.batch_execute(sql::RESET_SEARCH_PATH)?;
        run_sql(&mut tx, file, url)?;
    }
    if let Some(migrations) = inputs.engine {
        engine_step(&mut tx, migrations, &mut report, shell, url)?;
    }
    app_migrations_step(&mut tx, inputs.sources, &mut report, shell, url)?;
    objects_step(&mut tx, inputs, &mut report, shell)?;

    progress.committing();
    tx.commit()
        .map_err(|e| anyhow!("the database refused to commit: {}", db_error_text(&e, url)))?;
    shell.print();
    Ok(report)
}

/// Runs one user file (migrations, functions, views) under the protocol's
/// search_path; on failure the error names it and says nothing was applied.
fn run_file(tx: &mut Transaction<'_>, file: &SqlFile, url: &str) -> Result<()> {
    tx.batch_execute(sql::USER_SEARCH_PATH)?;
    run_sql(tx, file, url)
}

fn run_sql(tx: &mut Transaction<'_>, file: &SqlFile, url: &str) -> Result<()> {
    tx.batch_execute(&file.sql)
        .map_err(|e| sql_failure(&format!("db/{}", file.rel_path), &e, url))
}

/// A failed statement: which file, the server's words, and that nothing stays.
pub fn sql_failure(what: &str, err: &postgres::Error, url: &str) -> anyhow::Error {
    let text = db_error_text(err, url);
    let rolled_back = "nothing was applied (the transaction was rolled back)";
    if err.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) {
        return CliError::new(
            Exit::EnvironmentNotReady,
            format!("{what} failed: {text}; {rolled_back}"),
        )
        .with_help(PRIVILEGE_HINT)
        .into();
    }
    anyhow!("{what} failed: {text}; {rolled_back}")
}

pub const PRIVILEGE_HINT: &str = "the engine's migrations create extensions (pgmq) and an event trigger, which needs a superuser: connect as one (e.g. postgresql://postgres:...@host/db), or have an administrator run `ALTER ROLE <you> SUPERUSER`, or let an administrator run `tasker-app install-database-objects` once";

fn engine_step(
    tx: &mut Transaction<'_>,
    migrations: &[EngineMigration],
    report: &mut Report,
    shell: &Deferred<'_>,
    url: &str,
) -> Result<()> {
    tx.batch_execute(sql::RESET_SEARCH_PATH)?;
    tx.batch_execute(engine::MIGRATIONS_TABLE_DDL)
        .map_err(|e| sql_failure("creating _sqlx_migrations", &e, url))?;
    if let Some(row) = tx.query_opt(
        "SELECT version FROM _sqlx_migrations WHERE success = false ORDER BY version LIMIT 1",
        &[],
    )? {
        let v: i64 = row.get(0);
        bail!(
            "engine migration {v} is marked as failed (dirty) in _sqlx_migrations; fix the database by hand and delete that row, then run again"
        );
    }
    let applied: HashMap<i64, Vec<u8>> = tx
        .query("SELECT version, checksum FROM _sqlx_migrations", &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for version in applied.keys() {
        if !migrations.iter().any(|m| m.version == *version) {
            bail!(
                "the database has engine migration {version}, which this app's tasker-shared does not know; \
                 it was prepared by a newer engine version: use a fresh database, or the engine version that applied it"
            );
        }
    }
    let superuser: bool = tx
        .query_one(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )?
        .get(0);
    for m in migrations {
        match applied.get(&m.version) {
            Some(sum) if *sum == m.checksum => report.unchanged += 1,
            Some(_) => bail!(
                "engine migration {} ({}) was applied with different contents (checksum mismatch); \
                 the engine's migrator will refuse this database: use the engine version that applied it, or a fresh database",
                m.version,
                m.description
            ),
            None => {
                if m.no_tx {
                    bail!(
                        "engine migration {} must run outside a transaction; run `cargo run -- migrate` in the app instead",
                        m.file_name
                    );
                }
                if !superuser {
                    return Err(CliError::new(
                        Exit::EnvironmentNotReady,
                        format!("engine migration {} needs a superuser, and the database role is not one; nothing was applied", m.file_name),
                    )
                    .with_help(PRIVILEGE_HINT)
                    .into());
                }
                let started = Instant::now();
                tx.batch_execute(&m.sql).map_err(|e| {
                    sql_failure(&format!("engine migration {}", m.file_name), &e, url)
                })?;
                let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
                tx.execute(
                    "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, $4)",
                    &[&m.version, &m.description, &m.checksum, &nanos],
                )?;
                shell.status("migrate", format!("engine {} {}", m.version, m.description));
                report
                    .engine_migrations
                    .push(format!("{} {}", m.version, m.description));
            }
        }
    }
    tx.batch_execute(sql::RESET_SEARCH_PATH)?;
    Ok(())
}

fn app_migrations_step(
    tx: &mut Transaction<'_>,
    sources: &DbSources,
    report: &mut Report,
    shell: &Deferred<'_>,
    url: &str,
) -> Result<()> {
    let applied: HashMap<String, String> = tx
        .query(sql::APPLIED_MIGRATIONS, &[])?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for m in &sources.migrations {
        match decide::migration_step(m, applied.get(&m.version).map(String::as_str)) {
            MigrationStep::AlreadyApplied => report.unchanged += 1,
            MigrationStep::ChangedAfterApply(warning) => {
                shell.warn(warning);
                report.unchanged += 1;
            }
            MigrationStep::Apply => {
                run_file(tx, &m.file, url)?;
                tx.execute(
                    sql::RECORD_MIGRATION,
                    &[&m.version, &m.name, &m.file.sha256],
                )?;
                shell.status("migrate", format!("db/{}", m.file.rel_path));
                report
                    .app_migrations
                    .push(format!("{}_{}", m.version, m.name));
            }
        }
    }
    Ok(())
}

fn objects_step(
    tx: &mut Transaction<'_>,
    inputs: &Inputs<'_>,
    report: &mut Report,
    shell: &Deferred<'_>,
) -> Result<()> {
    let statuses = objects::statuses(tx, inputs.sources)?;
    let mut pending = Vec::new();
    for (object, status) in inputs.sources.objects().zip(statuses) {
        if status.status == Status::Ok {
            report.unchanged += 1;
        } else {
            pending.push((object, status.status));
        }
    }
    // Files run in name order; one that needs an object created by a later
    // file (a view on a view) is retried after the others, until no progress.
    while !pending.is_empty() {
        let tried = pending.len();
        let mut deferred = Vec::new();
        let mut first_error = None;
        for (object, status) in pending {
            match install_object(tx, object, inputs.url)? {
                None => record_object(tx, object, status, inputs, report, shell)?,
                Some(err) => {
                    first_error.get_or_insert((object, err));
                    deferred.push((object, status));
                }
            }
        }
        match decide::after_round(tried, deferred.len()) {
            Round::Done | Round::Again => pending = deferred,
            Round::Stuck => {
                let (object, err) = first_error.expect("a deferred object has an error");
                return Err(sql_failure(
                    &format!("db/{}", object.file.rel_path),
                    &err,
                    inputs.url,
                ));
            }
        }
    }
    Ok(())
}

fn record_object(
    tx: &mut Transaction<'_>,
    object: &DbObject,
    status: Status,
    inputs: &Inputs<'_>,
    report: &mut Report,
    shell: &Deferred<'_>,
) -> Result<()> {
    let fingerprint = objects::fingerprint(tx, object)?;
    if fingerprint.is_none() {
        bail!("{}; nothing was applied", decide::not_created(object));
    }
    tx.execute(
        sql::RECORD_OBJECT,
        &[
            &object.name.key(),
            &object.kind.as_str(),
            &object.file.sha256,
            &fingerprint,
            &inputs.tool_version,
        ],
    )?;
    let verb = if status == Status::Missing {
        "create"
    } else {
        "update"
    };
    shell.status(
        verb,
        format!(
            "{} {} (db/{})",
            object.kind.as_str(),
            object.name,
            object.file.rel_path
        ),
    );
    report
        .objects
        .push(format!("{} {}", object.kind.as_str(), object.name));
    Ok(())
}

/// Runs an object's file in a savepoint. `Ok(Some(err))`: it needs an object
/// that does not exist yet (retry later). A view whose columns changed cannot
/// be replaced in place (PostgreSQL refuses to drop or rename view columns);
/// then it is dropped and created again, inside the same transaction.
fn install_object(
    tx: &mut Transaction<'_>,
    object: &DbObject,
    url: &str,
) -> Result<Option<postgres::Error>> {
    tx.batch_execute(sql::USER_SEARCH_PATH)?;
    let mut attempt = tx.transaction()?;
    let err = match attempt.batch_execute(&object.file.sql) {
        Ok(()) => {
            attempt.commit()?;
            return Ok(None);
        }
        Err(e) => e,
    };
    attempt.rollback()?;
    match decide::on_error(object.kind, err.code().map(SqlState::code)) {
        OnError::Defer => Ok(Some(err)),
        OnError::DropAndRecreate => {
            tx.batch_execute(&sql::drop_view(&object.name))
                .map_err(|e| sql_failure(&format!("replacing view {}", object.name), &e, url))?;
            run_file(tx, &object.file, url)?;
            Ok(None)
        }
        OnError::Fail => Err(sql_failure(
            &format!("db/{}", object.file.rel_path),
            &err,
            url,
        )),
    }
}
