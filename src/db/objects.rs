/*!
Drift: how each view and function in the database compares with its file.
The rule (`ok | missing | drifted`, and why) is
[`tasker_app_db::decide::object_status`], shared with the app's `migrate`;
this module asks the database with the protocol's statements.
*/

use super::sources::{DbObject, DbSources};
use anyhow::{Context, Result};
use postgres::GenericClient;
use serde::Serialize;
use std::collections::HashMap;
use tasker_app_db::{Recorded, decide, sql};

pub use tasker_app_db::Status;

#[derive(Debug, Clone, Serialize)]
pub struct ObjectStatus {
    pub name: String,
    pub kind: String,
    #[serde(serialize_with = "status_word")]
    pub status: Status,
    /// Why it is not ok (empty when ok). Not part of the contract's fields.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

fn status_word<S: serde::Serializer>(status: &Status, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.as_str())
}

/// True when tasker-app's tracking schema is installed in this database.
pub fn tracking_installed(client: &mut impl GenericClient) -> Result<bool> {
    Ok(client.query_one(sql::TRACKING_INSTALLED, &[])?.get(0))
}

/// The live fingerprint of one object (NULL = missing). Needs the tracking schema.
pub fn fingerprint(client: &mut impl GenericClient, object: &DbObject) -> Result<Option<String>> {
    let row = client
        .query_one(
            sql::FINGERPRINT,
            &[&object.kind.as_str(), &object.name.key()],
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
        for row in client.query(sql::RECORDED_OBJECTS, &[])? {
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
            let exists: bool = client
                .query_one(
                    sql::exists(object.kind),
                    &[&object.name.schema, &object.name.name],
                )?
                .get(0);
            exists.then(String::new)
        };
        let verdict =
            decide::object_status(object, recorded.get(&object.name.key()), live.as_deref());
        out.push(ObjectStatus {
            name: object.name.key(),
            kind: object.kind.as_str().to_string(),
            status: verdict.status,
            reason: verdict.reason,
        });
    }
    Ok(out)
}
