/*!
Drift: how each view and function in the database compares with its file.

An object is
- `missing` when the database has no such function or view;
- `drifted` when its live definition no longer matches what tasker-app recorded
  when installing it (changed by hand), when the file's sha256 differs from the
  recorded one (a newer definition not yet installed), or when it exists but
  tasker-app never installed it;
- `ok` otherwise.

The live definition is `tasker_app.object_fingerprint(kind, name)`
(database_objects/bootstrap/0002_object_fingerprint.sql).
*/

use super::sources::{DbObject, DbSources};
use anyhow::{Context, Result};
use postgres::GenericClient;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Missing,
    Drifted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Drifted => "drifted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ObjectStatus {
    pub name: String,
    pub kind: String,
    pub status: Status,
    /// Why it is not ok (empty when ok). Not part of the contract's fields.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

struct Recorded {
    sha256: String,
    fingerprint: Option<String>,
}

/// True when tasker-app's tracking schema is installed in this database.
pub fn tracking_installed(client: &mut impl GenericClient) -> Result<bool> {
    let row = client.query_one(
        "SELECT to_regclass('tasker_app.database_objects') IS NOT NULL
            AND to_regprocedure('tasker_app.object_fingerprint(text,text)') IS NOT NULL",
        &[],
    )?;
    Ok(row.get(0))
}

/// The live fingerprint of one object (NULL = missing). Needs the tracking schema.
pub fn fingerprint(client: &mut impl GenericClient, object: &DbObject) -> Result<Option<String>> {
    let row = client
        .query_one(
            "SELECT tasker_app.object_fingerprint($1, $2)",
            &[&object.kind.as_str(), &object.name],
        )
        .with_context(|| {
            format!(
                "cannot read the definition of {} {}",
                object.kind.as_str(),
                object.name
            )
        })?;
    Ok(row.get(0))
}

/// Status of every function and view of `sources`, in apply order.
pub fn statuses(client: &mut impl GenericClient, sources: &DbSources) -> Result<Vec<ObjectStatus>> {
    let tracked = tracking_installed(client)?;
    let mut recorded: HashMap<String, Recorded> = HashMap::new();
    if tracked {
        for row in client.query(
            "SELECT name, sha256, fingerprint FROM tasker_app.database_objects",
            &[],
        )? {
            recorded.insert(
                row.get(0),
                Recorded {
                    sha256: row.get(1),
                    fingerprint: row.get(2),
                },
            );
        }
    }
    let mut out = Vec::new();
    for object in sources.objects() {
        let live = if tracked {
            fingerprint(client, object)?
        } else {
            exists(client, object)?.then(String::new)
        };
        let (status, reason) = match (live, recorded.get(&object.name)) {
            (None, _) => (Status::Missing, "not in the database".to_string()),
            (Some(_), None) => (
                Status::Drifted,
                "exists, but was not installed by tasker-app".to_string(),
            ),
            (Some(live), Some(rec)) if rec.fingerprint.as_deref() != Some(live.as_str()) => (
                Status::Drifted,
                "changed in the database since tasker-app installed it".to_string(),
            ),
            (Some(_), Some(rec)) if rec.sha256 != object.file.sha256 => (
                Status::Drifted,
                format!("differs from db/{}", object.file.rel_path),
            ),
            _ => (Status::Ok, String::new()),
        };
        out.push(ObjectStatus {
            name: object.name.clone(),
            kind: object.kind.as_str().to_string(),
            status,
            reason,
        });
    }
    Ok(out)
}

/// Existence without the tracking schema (a database tasker-app never touched).
fn exists(client: &mut impl GenericClient, object: &DbObject) -> Result<bool> {
    let (schema, name) = object
        .name
        .split_once('.')
        .unwrap_or(("app", object.name.as_str()));
    let sql = match object.kind {
        super::sources::ObjectKind::Function => {
            "SELECT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2)"
        }
        super::sources::ObjectKind::View => {
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('v','m'))"
        }
    };
    Ok(client.query_one(sql, &[&schema, &name])?.get(0))
}
