/*!
The decisions, without a database: given what the tracking tables recorded
and what the server reports, what must be applied, what has drifted, what to
do when a file fails. Each side asks the questions (with the statements of
[`crate::sql`]) and follows the answers.
*/

use crate::layout::{Migration, Object};
use crate::name::Kind;

/// A row of `tasker_app.database_objects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub sha256: String,
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Ok,
    Missing,
    Drifted,
}

impl Status {
    /// The word of `--check`'s output (`ok | missing | drifted`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Drifted => "drifted",
        }
    }
}

/// How one object compares with its file, and why (empty when ok).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub reason: String,
}

impl Verdict {
    /// The status-line verb when applying: `create` for a missing object,
    /// `update` for a drifted one, `None` when nothing is to be done.
    pub fn verb(&self) -> Option<&'static str> {
        match self.status {
            Status::Ok => None,
            Status::Missing => Some("create"),
            Status::Drifted => Some("update"),
        }
    }
}

/// An object is `missing` when the server has no such function or view;
/// `drifted` when it exists but was never recorded, when its live
/// fingerprint differs from the one recorded at install (changed by hand),
/// or when the file differs from the one installed (not yet applied);
/// `ok` otherwise. `live` is the [`crate::sql::FINGERPRINT`] answer (or any
/// `Some` for an existing object when the tracking schema is absent).
pub fn object_status(object: &Object, recorded: Option<&Recorded>, live: Option<&str>) -> Verdict {
    let (status, reason) = match (live, recorded) {
        (None, _) => (Status::Missing, "not in the database".to_string()),
        (Some(_), None) => (
            Status::Drifted,
            "exists, but was not installed by tasker-app".to_string(),
        ),
        (Some(live), Some(rec)) if rec.fingerprint.as_deref() != Some(live) => (
            Status::Drifted,
            "changed in the database since tasker-app installed it".to_string(),
        ),
        (Some(_), Some(rec)) if rec.sha256 != object.file.sha256 => (
            Status::Drifted,
            format!("differs from db/{}", object.file.rel_path),
        ),
        _ => (Status::Ok, String::new()),
    };
    Verdict { status, reason }
}

/// What to do when an object's file fails with this SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Roll back to the savepoint and try again after the other files: it
    /// may need an object a later file creates (a view on a later view).
    Defer,
    /// Roll back, run [`crate::sql::drop_view`], then the file once more.
    DropAndRecreate,
    /// Stop: the transaction is rolled back, nothing is applied.
    Fail,
}

pub fn on_error(kind: Kind, sqlstate: Option<&str>) -> OnError {
    match (sqlstate, kind) {
        // undefined_table, undefined_function, undefined_object
        (Some("42P01" | "42883" | "42704"), _) => OnError::Defer,
        // invalid_table_definition: CREATE OR REPLACE VIEW cannot change columns
        (Some("42P16"), Kind::View) => OnError::DropAndRecreate,
        _ => OnError::Fail,
    }
}

/// After one pass over the pending objects (in file-name order): retry the
/// deferred ones while a pass makes progress. A pass that defers everything
/// it tried is stuck: the first deferred file's error is the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    Done,
    Again,
    Stuck,
}

pub fn after_round(tried: usize, deferred: usize) -> Round {
    match deferred {
        0 => Round::Done,
        d if d >= tried => Round::Stuck,
        _ => Round::Again,
    }
}

/// What to do with an app migration, given its recorded sha256 (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationStep {
    Apply,
    AlreadyApplied,
    /// Applied, but the file changed since: migrations run once; warn with
    /// this text and apply nothing.
    ChangedAfterApply(String),
}

pub fn migration_step(migration: &Migration, recorded_sha256: Option<&str>) -> MigrationStep {
    match recorded_sha256 {
        None => MigrationStep::Apply,
        Some(sha) if sha == migration.file.sha256 => MigrationStep::AlreadyApplied,
        Some(_) => MigrationStep::ChangedAfterApply(format!(
            "db/{} changed after it was applied; migrations run once, so write the change as a new migration",
            migration.file.rel_path
        )),
    }
}

/// The refusal when a file ran but its object is not there afterwards (for
/// example an unqualified name while schema `app` did not exist: PostgreSQL
/// then puts it in `public`).
pub fn not_created(object: &Object) -> String {
    format!(
        "db/{} ran, but no {} named {} exists afterwards; name the object in the file as `schema.name` (and create its schema in a migration)",
        object.file.rel_path,
        object.kind.as_str(),
        object.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Sources;

    fn view() -> Object {
        let s = Sources::from_files([("views/v.sql", &b"create view v as select 1"[..])]).unwrap();
        s.views[0].clone()
    }

    fn rec(sha: &str, fp: Option<&str>) -> Recorded {
        Recorded {
            sha256: sha.into(),
            fingerprint: fp.map(str::to_string),
        }
    }

    #[test]
    fn statuses_follow_the_live_definition_and_the_file() {
        let v = view();
        let sha = v.file.sha256.clone();
        let status = |r: Option<&Recorded>, live| object_status(&v, r, live).status;
        assert_eq!(status(Some(&rec(&sha, Some("f"))), None), Status::Missing);
        assert_eq!(status(None, Some("f")), Status::Drifted);
        assert_eq!(
            status(Some(&rec(&sha, Some("f"))), Some("g")),
            Status::Drifted
        );
        assert_eq!(
            status(Some(&rec("old", Some("f"))), Some("f")),
            Status::Drifted
        );
        let ok = object_status(&v, Some(&rec(&sha, Some("f"))), Some("f"));
        assert_eq!(
            (ok.status, ok.verb(), ok.reason.as_str()),
            (Status::Ok, None, "")
        );
        let changed = object_status(&v, Some(&rec("old", Some("f"))), Some("f"));
        assert_eq!(changed.reason, "differs from db/views/v.sql");
        assert_eq!(changed.verb(), Some("update"));
    }

    #[test]
    fn errors_that_a_later_file_may_cure_are_deferred() {
        assert_eq!(on_error(Kind::View, Some("42P01")), OnError::Defer);
        assert_eq!(on_error(Kind::Function, Some("42883")), OnError::Defer);
        assert_eq!(
            on_error(Kind::View, Some("42P16")),
            OnError::DropAndRecreate
        );
        assert_eq!(on_error(Kind::Function, Some("42P16")), OnError::Fail);
        assert_eq!(on_error(Kind::View, Some("42601")), OnError::Fail);
        assert_eq!(on_error(Kind::View, None), OnError::Fail);
    }

    #[test]
    fn rounds_go_on_while_they_make_progress() {
        assert_eq!(after_round(3, 0), Round::Done);
        assert_eq!(after_round(3, 1), Round::Again);
        assert_eq!(after_round(1, 1), Round::Stuck);
    }

    #[test]
    fn a_migration_runs_once() {
        let s = Sources::from_files([("migrations/0001_a.sql", &b"select 1"[..])]).unwrap();
        let m = &s.migrations[0];
        assert_eq!(migration_step(m, None), MigrationStep::Apply);
        assert_eq!(
            migration_step(m, Some(&m.file.sha256)),
            MigrationStep::AlreadyApplied
        );
        assert!(
            matches!(migration_step(m, Some("x")), MigrationStep::ChangedAfterApply(t) if t.contains("db/migrations/0001_a.sql"))
        );
    }
}
