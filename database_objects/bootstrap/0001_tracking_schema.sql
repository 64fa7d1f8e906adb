-- tasker-app tracking schema: what tasker-app applied to this database, so a
-- second run applies nothing and `install-database-objects --check` can tell
-- drift. Safe to run again: every statement is idempotent.
CREATE SCHEMA IF NOT EXISTS tasker_app;

COMMENT ON SCHEMA tasker_app IS 'tasker-app bookkeeping: applied app migrations and installed database objects';

-- One row per app migration file (db/migrations/NNNN_name.sql), applied once.
CREATE TABLE IF NOT EXISTS tasker_app.applied_migrations (
    version    text        PRIMARY KEY,
    name       text        NOT NULL,
    sha256     text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text        NOT NULL DEFAULT current_user
);

-- One row per view or function file (db/functions/*.sql, db/views/*.sql).
-- sha256 is the file as applied; fingerprint is tasker_app.object_fingerprint()
-- of the live definition right after applying it.
CREATE TABLE IF NOT EXISTS tasker_app.database_objects (
    name         text        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('function', 'view')),
    sha256       text        NOT NULL,
    fingerprint  text,
    tool_version text        NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);
