-- The tasker_app tracking schema: what tasker-app (the CLI) or an app's `migrate`
-- applied to this database, so a second run applies nothing and `--check` can
-- tell drift. Both sides run this first, every time: every statement is idempotent.
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

-- Fingerprint of the LIVE definition of a function or view, as PostgreSQL
-- prints it back (so whitespace in the source file does not matter, but any
-- change made by hand does). NULL when the object does not exist.
--   kind: 'function' or 'view'
--   name: 'schema.object', each part exactly as stored (case kept), as
--         tasker_app_db::ObjectName::key() writes it
-- A function name covers all its overloads. Not covered: owners and grants
-- (CREATE OR REPLACE keeps the owner, so a re-apply could never heal them;
-- they are the administrator's, see docs/database.md).
-- The function fixes its own search_path: how PostgreSQL prints a view depends
-- on the caller's search_path, and the fingerprint must not.
CREATE OR REPLACE FUNCTION tasker_app.object_fingerprint(kind text, name text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog
AS $body$
DECLARE
    schema_name text := CASE WHEN position('.' IN name) > 0 THEN split_part(name, '.', 1) ELSE 'app' END;
    object_name text := CASE WHEN position('.' IN name) > 0 THEN substr(name, position('.' IN name) + 1) ELSE name END;
    definition  text;
BEGIN
    IF kind = 'function' THEN
        SELECT string_agg(pg_get_functiondef(p.oid), E'\n' ORDER BY pg_get_function_identity_arguments(p.oid))
          INTO definition
          FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = schema_name
           AND p.proname = object_name
           AND p.prokind IN ('f', 'p');
    ELSIF kind = 'view' THEN
        -- The view's options (security_barrier, check_option, security_invoker)
        -- count too; appended only when set, so the fingerprint of a view
        -- without options is what earlier releases recorded.
        SELECT c.relkind::text || E'\n' || pg_get_viewdef(c.oid, true)
               || COALESCE(E'\noptions: ' || array_to_string(c.reloptions, ','), '')
          INTO definition
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = schema_name
           AND c.relname = object_name
           AND c.relkind IN ('v', 'm');
    ELSE
        RAISE EXCEPTION 'tasker_app.object_fingerprint: unknown kind %, expected function or view', kind;
    END IF;
    RETURN md5(definition);
END;
$body$;

COMMENT ON FUNCTION tasker_app.object_fingerprint(text, text) IS
    'md5 of the live definition of a function (all overloads) or view; NULL when missing';
