/*!
The one lock every migration path takes: `tasker-app build` /
`install-database-objects` (the CLI) and every app's `migrate`. Taken
before anything else, the tracking schema's creation included, and held
until the run ends, so two runs against one database take turns instead
of racing (`CREATE SCHEMA IF NOT EXISTS` run twice at once fails with a
unique violation; two engine migrations at once fail worse).

A session-level advisory lock ([`LOCK`]): it outlives the transactions of a
run (the app commits its steps separately) and is released by
[`UNLOCK`], or by the server when the session ends. Advisory locks belong
to one database, so one key serves every database. A run first tries
([`TRY_LOCK`]); when another run holds the lock it says who ([`HOLDER`],
[`waiting_message`]) and waits ([`LOCK`]): never fails on it.

Distinct from sqlx's own migration lock (the engine's `MIGRATOR` takes that
one itself, inside our turn) and from the CLI's database-creation lock.
*/

/// `"tasker-a"` in ASCII, big-endian: a fixed key no other code of ours uses.
pub const MIGRATION_LOCK_KEY: i64 = 0x7461_736b_6572_2d61;

/// One boolean: true when this session now holds the lock. Bind `$1` [`MIGRATION_LOCK_KEY`].
pub const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1)";

/// Waits for the lock. Bind `$1` [`MIGRATION_LOCK_KEY`].
pub const LOCK: &str = "SELECT pg_advisory_lock($1)";

/// One boolean. Bind `$1` [`MIGRATION_LOCK_KEY`].
pub const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";

/// Who holds the lock: at most one row (pid int4, seconds float8, its
/// `application_name` text, what it runs now text). Bind `$1` [`MIGRATION_LOCK_KEY`].
/// A bigint key is stored as classid (high 32 bits), objid (low), objsubid 1.
pub const HOLDER: &str = "SELECT l.pid, \
     COALESCE(EXTRACT(EPOCH FROM now() - a.backend_start), 0)::float8, \
     COALESCE(a.application_name, ''), COALESCE(a.query, '') \
     FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
     AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
     AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid \
     LIMIT 1";

/// What a run prints before it waits: who holds the lock, since when, doing
/// what (the statement cut short), and how to stop waiting.
pub fn waiting_message(pid: Option<i32>, seconds: f64, application: &str, query: &str) -> String {
    let who = match pid {
        Some(pid) => {
            let app = if application.is_empty() {
                String::new()
            } else {
                format!(" {application},")
            };
            let mut doing: String = query.split_whitespace().collect::<Vec<_>>().join(" ");
            if doing.chars().count() > 60 {
                doing = doing.chars().take(57).collect::<String>() + "...";
            }
            // A `query` is the server's text: escape what a terminal would act on.
            let doing: String = doing.chars().flat_map(char::escape_debug).collect();
            let doing = if doing.is_empty() {
                String::new()
            } else {
                format!(", now running `{doing}`")
            };
            format!("pid {pid},{app} connected {seconds:.0} s ago{doing}")
        }
        None => "it has just finished or is starting".to_string(),
    };
    format!(
        "waiting for another migration of this database to finish ({who}); \
         this run goes on when it ends. Ctrl-C stops waiting"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_fixed_and_ours() {
        assert_eq!(MIGRATION_LOCK_KEY.to_be_bytes(), *b"tasker-a");
    }

    #[test]
    fn the_waiting_message_names_the_holder() {
        let m = waiting_message(Some(42), 3.4, "tasker-app", "SELECT pg_sleep(60)\n");
        assert!(m.starts_with("waiting for another migration"), "{m}");
        assert!(
            m.contains("pid 42, tasker-app, connected 3 s ago, now running `SELECT pg_sleep(60)`"),
            "{m}"
        );
        let long = "x".repeat(200);
        assert!(waiting_message(Some(1), 0.0, "", &long).contains("xxx...`"));
        assert!(waiting_message(Some(1), 0.0, "", "a\u{1b}[2Jb").contains("\\u{1b}"));
    }
}
