/*!
Facts about a database server that decide whether the engine can run on it:
version, pgmq, uuidv7, the role's privileges, what is already applied. Read
only: nothing here changes the database.
*/

use anyhow::Result;
use postgres::Client;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uuidv7 {
    /// PostgreSQL 18+: `pg_catalog.uuidv7()`.
    Native,
    /// The `pg_uuidv7` extension can be (or is) installed.
    Extension,
    /// `public.uuidv7()` exists (tasker-app's compat function or another).
    Function,
    /// None of those: tasker-app's compat file would create `public.uuidv7()`.
    Missing,
}

#[derive(Debug, Clone)]
pub struct ServerFacts {
    /// `server_version_num`, e.g. 150018.
    pub version_num: i32,
    /// `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub version: String,
    pub user: String,
    pub superuser: bool,
    /// May create schemas in the current database.
    pub can_create_schema: bool,
    /// May create objects in schema `public` (where uuidv7() goes).
    pub can_create_in_public: bool,
    /// `default_version` of pgmq if the server can install it.
    pub pgmq_available: Option<String>,
    /// `extversion` of pgmq if installed in this database.
    pub pgmq_installed: Option<String>,
    pub uuidv7: Uuidv7,
    /// Rows in `_sqlx_migrations` (0 when the table does not exist).
    pub engine_migrations_applied: i64,
}

impl ServerFacts {
    pub fn major(&self) -> i32 {
        self.version_num / 10000
    }
}

pub fn inspect(client: &mut Client) -> Result<ServerFacts> {
    let row = client.query_one(
        "SELECT current_setting('server_version_num')::int,
                current_setting('server_version'),
                current_user::text,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                has_database_privilege(current_database(), 'CREATE'),
                has_schema_privilege('public', 'CREATE'),
                (SELECT default_version FROM pg_available_extensions WHERE name = 'pgmq'),
                (SELECT extversion FROM pg_extension WHERE extname = 'pgmq'),
                EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'uuidv7' AND pronargs = 0 AND pronamespace = 'pg_catalog'::regnamespace),
                EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_uuidv7'),
                EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'uuidv7' AND pronargs = 0 AND pronamespace = 'public'::regnamespace),
                to_regclass('_sqlx_migrations') IS NOT NULL",
        &[],
    )?;
    let uuidv7 = if row.get::<_, bool>(8) {
        Uuidv7::Native
    } else if row.get::<_, bool>(9) {
        Uuidv7::Extension
    } else if row.get::<_, bool>(10) {
        Uuidv7::Function
    } else {
        Uuidv7::Missing
    };
    let has_table: bool = row.get(11);
    let engine_migrations_applied = if has_table {
        client
            .query_one("SELECT count(*) FROM _sqlx_migrations WHERE success", &[])?
            .get(0)
    } else {
        0
    };
    Ok(ServerFacts {
        version_num: row.get(0),
        version: row.get(1),
        user: row.get(2),
        superuser: row.get::<_, Option<bool>>(3).unwrap_or(false),
        can_create_schema: row.get(4),
        can_create_in_public: row.get(5),
        pgmq_available: row.get(6),
        pgmq_installed: row.get(7),
        uuidv7,
        engine_migrations_applied,
    })
}
