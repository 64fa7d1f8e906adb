/*!
The exact SQL text both sides execute, so the CLI (the sync `postgres`
client) and an app's `migrate` (sqlx) cannot disagree about how user SQL
runs or what the tracking tables hold. Parameters are `$1, $2, ...` in both
drivers; each constant says what to bind.
*/

use crate::name::{Kind, ObjectName};

/// Creates (idempotently) schema `tasker_app`: `applied_migrations`,
/// `database_objects` and `object_fingerprint(kind, name)`. Run first, every
/// time, before any file of `db/`.
pub const TRACKING_DDL: &str = include_str!("tracking.sql");

/// Before the SQL that runs every time (the tracking DDL, `bootstrap/`,
/// `compat/`) and the engine's migrations: the server's default path,
/// whatever a previous file set.
pub const RESET_SEARCH_PATH: &str = "RESET search_path";

/// Before every file of `migrations/`, `functions/` and `views/`, inside the transaction: an unqualified name means schema `app`
/// (where [`crate::name::UNQUALIFIED_SCHEMA`] says the object is), and
/// `public` (extensions, `uuidv7()`) stays visible. If schema `app` does not
/// exist yet, PostgreSQL would create an unqualified object in `public`; the
/// check after each file ([`crate::decide::not_created`]) refuses that.
pub const USER_SEARCH_PATH: &str = "SET LOCAL search_path TO app, public";

/// One row: true when the tracking schema is installed (`--check` on a
/// database tasker-app never touched must not fail on a missing table).
pub const TRACKING_INSTALLED: &str = "SELECT to_regclass('tasker_app.database_objects') IS NOT NULL \
     AND to_regprocedure('tasker_app.object_fingerprint(text,text)') IS NOT NULL";

/// One text-or-NULL column. Bind `$1` kind ([`Kind::as_str`]), `$2` name
/// ([`ObjectName::key`]). NULL: the object does not exist.
pub const FINGERPRINT: &str = "SELECT tasker_app.object_fingerprint($1, $2)";

/// Rows (name text, sha256 text, fingerprint text NULL).
pub const RECORDED_OBJECTS: &str =
    "SELECT name, sha256, fingerprint FROM tasker_app.database_objects";

/// Bind `$1` name (key), `$2` kind, `$3` file sha256, `$4` fingerprint right
/// after applying, `$5` the tasker-app version that wrote the file.
pub const RECORD_OBJECT: &str = "INSERT INTO tasker_app.database_objects \
     (name, kind, sha256, fingerprint, tool_version, installed_at) \
     VALUES ($1, $2, $3, $4, $5, now()) \
     ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, sha256 = EXCLUDED.sha256, \
     fingerprint = EXCLUDED.fingerprint, tool_version = EXCLUDED.tool_version, installed_at = now()";

/// Rows (version text, sha256 text).
pub const APPLIED_MIGRATIONS: &str = "SELECT version, sha256 FROM tasker_app.applied_migrations";

/// Bind `$1` version, `$2` name, `$3` file sha256.
pub const RECORD_MIGRATION: &str =
    "INSERT INTO tasker_app.applied_migrations (version, name, sha256) VALUES ($1, $2, $3)";

/// One boolean; bind `$1` schema, `$2` name. Existence without the tracking
/// schema (then `--check` can still say `missing` or `drifted`).
pub fn exists(kind: Kind) -> &'static str {
    match kind {
        Kind::Function => {
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n \
             ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2)"
        }
        Kind::View => {
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('v','m'))"
        }
    }
}

/// A view whose columns changed cannot be replaced in place (PostgreSQL
/// refuses to drop or rename view columns): it is dropped, then its file runs
/// again, in the same transaction. Without CASCADE: a view that depends on it
/// makes this fail, and the user decides.
pub fn drop_view(name: &ObjectName) -> String {
    format!("DROP VIEW IF EXISTS {}", name.quoted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_view_quotes_each_part() {
        let name = ObjectName {
            schema: "app".into(),
            name: "Mixed".into(),
        };
        assert_eq!(drop_view(&name), "DROP VIEW IF EXISTS \"app\".\"Mixed\"");
    }

    #[test]
    fn the_tracking_ddl_is_idempotent_sql() {
        for stmt in [
            "CREATE SCHEMA IF NOT EXISTS tasker_app",
            "CREATE TABLE IF NOT EXISTS tasker_app.database_objects",
            "CREATE OR REPLACE FUNCTION tasker_app.object_fingerprint",
        ] {
            assert!(TRACKING_DDL.contains(stmt), "{stmt}");
        }
    }
}
