/*!
The database-object protocol of tasker-app, in one place: the CLI
(`tasker-app install-database-objects`, `build --database-url`, with the
sync `postgres` client) and every generated app's `migrate` (sqlx) follow it,
so they accept the same `db/` files into the same schema, refuse the same
files for the same reason, and each one's `--check` agrees with what the
other applied.

It does no database I/O and has no driver: it says which files there are
([`layout`]), what object each creates ([`name`]), which SQL to run
([`sql`]) and what to decide from the answers ([`decide`]). The callers
execute.

Also the rules both sides follow around that: one lock for every migration
run ([`lock`]), user SQL that would end the run's transaction refused before
anything runs ([`statements`]), only regular files of bounded size read
from user-chosen paths ([`files`]), and one rule for database URLs
([`url`]): what the CLI accepts, the app accepts.

Order of a run (one transaction where the driver allows it):
0. [`lock::LOCK`] (waiting, with [`lock::waiting_message`], when another run holds it)
1. [`sql::TRACKING_DDL`], `bootstrap/`, `compat/` (with [`sql::RESET_SEARCH_PATH`])
2. the engine's migrations (not this crate's business: sqlx's table)
3. `migrations/` not yet in `tasker_app.applied_migrations` ([`decide::migration_step`])
4. `functions/` then `views/`, each file under [`sql::USER_SEARCH_PATH`] in a
   savepoint, when [`decide::object_status`] is not ok; failures handled by
   [`decide::on_error`] and [`decide::after_round`]; after each, the live
   fingerprint is recorded with [`sql::RECORD_OBJECT`].
*/

// Read only so that cargo tracks it (rustc records it in the crate's dep-info).
// A generated app's `.cargo/config.toml` sets TASKER_APP_DIR to the app's
// folder; apps share one build folder, where every app's copy of this crate
// has the same name, version and relative path, hence the same compiled unit.
// When the last build there was another app's, cargo now rebuilds this crate
// and everything above it (the runtime, the app) from this app's sources,
// instead of trusting file times and handing it the other app's code.
const _: Option<&str> = option_env!("TASKER_APP_DIR");

pub mod decide;
pub mod files;
pub mod layout;
pub mod lock;
pub mod name;
pub mod redact;
pub mod sql;
pub mod statements;
pub mod url;

pub use decide::{OnError, Recorded, Round, Status, Verdict};
pub use layout::{Migration, Object, Refusal, Sources, SqlFile};
pub use name::{Kind, ObjectName};
