/*!
PostgreSQL: connect (TLS: [`tls`]), preflight, objects, engine migrations, drift.

# API (what the commands call)

```text
db::plan_steps(files, tasker_version) -> Vec<String>
    Pure. The database steps for `--dry-run` / JSON `database.steps`, from the
    files a plan would write (paths relative to the app: `db/views/x.sql`).
db::plan_steps_for_plan(&Plan) -> Vec<String>
    The same, for a build plan.
db::apply_app_dir(url, app_dir, &Shell) -> Result<Report>
    After build or install-database-objects wrote the files: finds the engine migrations (Cargo registry,
    `cargo fetch` if needed), connects (creating the database if it does not
    exist), applies everything pending in ONE transaction, prints one status
    line per change, or one line saying nothing was applied.
db::check(url, &DbSources) -> Result<Vec<ObjectStatus>>
    Drift: every function and view, `ok | missing | drifted`.
environment::checks_for_build(Some(url)) / environment::preflight_for_build(url, &Shell)
    The checks that matter before build touches a database (exit 4 on failure).
```

Errors are `anyhow::Error`s; those that are "environment not ready"
(unreachable server, refused login, missing privileges) carry
`CliError { exit: EnvironmentNotReady }` (exit 4); drift is reported by the
command with exit 5. No message ever contains a password: URLs are shown
through [`url::describe`] / [`url::redact`], driver texts through [`url::scrub`].

# Order (docs/ARCHITECTURE.md)
the tracking schema `tasker_app` (`tasker-app-db`), bootstrap, compat (`uuidv7()`), engine migrations
(`_sqlx_migrations`, exactly as sqlx 0.8 records them: see [`engine`]), app
migrations (`tasker_app.applied_migrations`), functions, views
(`tasker_app.database_objects`). All in one transaction.
*/

pub mod apply;
pub mod connect;
pub mod deferred;
pub mod engine;
pub mod interrupt;
pub mod objects;
pub mod preflight;
pub mod sources;
pub mod tls;
pub mod url;

pub use apply::Report;
pub use objects::{ObjectStatus, Status};
pub use sources::DbSources;

use crate::shell::Shell;
use anyhow::{Context, Result};
use std::path::Path;

/// Pure: what a database step would do with these files (paths relative to
/// the app, only `db/...` ones are looked at). Nothing is read from disk or
/// from a database, so it lists every step that runs when needed.
pub fn plan_steps<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    tasker_version: &str,
) -> Vec<String> {
    let db_files: Vec<(&str, &[u8])> = files
        .into_iter()
        .filter_map(|(p, b)| p.strip_prefix("db/").map(|r| (r, b)))
        .collect();
    let sources = match sources::from_files(db_files) {
        Ok(s) => s,
        Err(e) => return vec![format!("error: {e:#}")],
    };
    let mut steps =
        vec!["connect (10 s timeout); create the database if it does not exist".to_string()];
    steps.push("begin one transaction".into());
    steps.push("tracking schema tasker_app (tasker-app-db)".into());
    for f in &sources.bootstrap {
        steps.push(format!("bootstrap: db/{}", f.rel_path));
    }
    for f in &sources.compat {
        steps.push(format!(
            "compat: db/{} (only where uuidv7() is missing)",
            f.rel_path
        ));
    }
    steps.push(format!(
        "engine migrations: tasker-shared {tasker_version} migrations/*.sql not yet in _sqlx_migrations (recorded as sqlx does)"
    ));
    for m in &sources.migrations {
        steps.push(format!("app migration: db/{} (once)", m.file.rel_path));
    }
    for o in sources.objects() {
        steps.push(format!(
            "{} {}: db/{} (when missing or changed)",
            o.kind.as_str(),
            o.name,
            o.file.rel_path
        ));
    }
    steps.push("commit".into());
    steps
}

/// [`plan_steps`] for a build plan.
pub fn plan_steps_for_plan(plan: &crate::plan::Plan) -> Vec<String> {
    plan_steps(
        plan.files
            .iter()
            .map(|f| (f.path.as_str(), f.contents.as_slice())),
        &plan.manifest.tasker_version,
    )
}

/// Applies `APP/db` and the engine migrations of the app's pinned tasker-shared.
pub fn apply_app_dir(url: &str, app_dir: &Path, shell: &Shell) -> Result<Report> {
    let sources = sources::from_dir(&app_dir.join("db"))?;
    let mut fetching = None;
    let located = engine::locate(app_dir, |v| {
        shell.status(
            "fetch",
            format!("tasker-shared {v} (cargo fetch: download only, to read its migrations)"),
        );
        fetching = Some(shell.spinner("downloading the engine crates"));
    });
    drop(fetching);
    let (dir, version) = located?;
    let migrations = engine::load_dir(&dir)?;
    if migrations.is_empty() {
        anyhow::bail!(
            "no engine migrations found in {} (tasker-shared {version})",
            dir.display()
        );
    }
    let target = url::describe(url);
    let (mut client, created) = connect::connect_or_create(url)?;
    if created {
        shell.status("create", format!("database {target}"));
    }
    let inputs = apply::Inputs {
        sources: &sources,
        engine: Some(&migrations),
        tool_version: crate::plan::TOOL_VERSION,
        url,
    };
    let mut report = apply::apply(&mut client, &inputs, shell)
        .with_context(|| format!("preparing the database {target}"))?;
    report.database = target.clone();
    report.created_database = created;
    if report.changed_anything() {
        shell.status(
            "Finished",
            format!(
                "database {target} ready: {} engine migration(s), {} app migration(s), {} object(s) applied in {} ms",
                report.engine_migrations.len(),
                report.app_migrations.len(),
                report.objects.len(),
                report.elapsed_ms
            ),
        );
    } else {
        shell.status(
            "unchanged",
            format!(
                "database {target}: nothing to apply, all {} steps already applied",
                report.unchanged
            ),
        );
    }
    Ok(report)
}

/// Drift of every function and view of `sources` in the database at `url`.
pub fn check(url: &str, sources: &DbSources) -> Result<Vec<ObjectStatus>> {
    let mut client = connect::connect(url)?;
    objects::statuses(&mut client, sources)
        .map_err(|e| connect::explain_privilege(e, url, "cannot check the database objects"))
        .with_context(|| format!("checking the database {}", url::describe(url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_steps_list_every_step_in_order_from_the_files_alone() {
        let files = [
            ("src/main.rs", &b"fn main() {}"[..]),
            (
                "db/views/v.sql",
                b"CREATE OR REPLACE VIEW app.v AS SELECT 1",
            ),
            (
                "db/functions/f.sql",
                b"CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'select 1'",
            ),
            ("db/migrations/0001_t.sql", b"CREATE TABLE app.t ()"),
            ("db/bootstrap/0001_b.sql", b"select 1"),
        ];
        let steps = plan_steps(files.iter().map(|(p, b)| (*p, *b)), "0.1.8");
        let pos = |needle: &str| {
            steps
                .iter()
                .position(|s| s.contains(needle))
                .unwrap_or_else(|| panic!("{needle}: {steps:?}"))
        };
        assert!(
            pos("bootstrap: db/bootstrap/0001_b.sql")
                < pos("engine migrations: tasker-shared 0.1.8")
        );
        assert!(pos("engine migrations") < pos("app migration: db/migrations/0001_t.sql"));
        assert!(pos("app migration") < pos("function app.f"));
        assert!(pos("function app.f") < pos("view app.v"));
        assert_eq!(steps.last().map(String::as_str), Some("commit"));
    }
}
