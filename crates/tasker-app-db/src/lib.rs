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

Order of a run (one transaction where the driver allows it):
1. [`sql::TRACKING_DDL`], `bootstrap/`, `compat/` (with [`sql::RESET_SEARCH_PATH`])
2. the engine's migrations (not this crate's business: sqlx's table)
3. `migrations/` not yet in `tasker_app.applied_migrations` ([`decide::migration_step`])
4. `functions/` then `views/`, each file under [`sql::USER_SEARCH_PATH`] in a
   savepoint, when [`decide::object_status`] is not ok; failures handled by
   [`decide::on_error`] and [`decide::after_round`]; after each, the live
   fingerprint is recorded with [`sql::RECORD_OBJECT`].
*/

pub mod decide;
pub mod layout;
pub mod name;
pub mod redact;
pub mod sql;

pub use decide::{OnError, Recorded, Round, Status, Verdict};
pub use layout::{Migration, Object, Refusal, Sources, SqlFile};
pub use name::{Kind, ObjectName};
