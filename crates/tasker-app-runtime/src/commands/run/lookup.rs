//! Does the task of this run exist? Asked when the answer to a create was
//! lost (the connection broke, the server died or timed out after the
//! request went out) and when the engine refuses a create as a repeat (409).
//!
//! Every create of `run` carries its run id (a fresh UUID, or
//! `--idempotency-key`) as the request's idempotency key, in the task's
//! context (`_run_id`) and, when it is a UUID, as its correlation id. The
//! engine keeps at most one task per identity hash (a unique index; a
//! duplicate is its 409). Its documented identity is hash(named task, key);
//! engine 0.1.8 in fact stores hash(named task, context) whatever the key
//! (`Task::sanitize_new_task`), which the run id in the context makes unique
//! per run. The tables are asked, for the run's workflow version, by the
//! key's identity hash (the engine's own function) or the correlation id
//! (both indexed), then by the run id in the context (a user's key that is
//! no UUID). Without a database URL, the orchestration API's task list is
//! searched (newest first, this source and initiator), which can say "found"
//! but never "absent".

use serde_json::Value;
use sqlx::PgPool;
use tasker_shared::errors::TaskerError;
use tasker_shared::models::core::identity_strategy::IdentityStrategy;
use tasker_shared::models::core::task::Task;
use tasker_shared::models::core::task_request::TaskRequest;
use tasker_shared::types::api::orchestration::TaskListResponse;
use uuid::Uuid;

use super::RUN_ID_KEY;

/// The task a run created, as its tables or its API have it.
#[derive(Debug, Clone, PartialEq)]
pub struct Existing {
    pub task_uuid: Uuid,
    /// The context it was created with.
    pub context: Value,
}

/// What a lookup came to.
#[derive(Debug)]
pub enum Answer {
    /// It exists.
    Found(Existing),
    /// The engine's tables have no task with this key.
    Absent,
    /// Nobody could say (no database, and the API could not be asked or did
    /// not list it): why.
    Unknown(String),
}

/// Where to ask.
pub struct Sources<'a> {
    pub http: &'a reqwest::Client,
    pub base_url: &'a str,
    pub database_url: Option<&'a str>,
}

/// The task `request` (with its idempotency key) created, if any.
pub async fn find(sources: &Sources<'_>, request: &TaskRequest) -> Answer {
    let Some(key) = request.idempotency_key.as_deref() else {
        return Answer::Unknown("the request had no idempotency key".to_string());
    };
    let database = match sources.database_url {
        Some(url) => match crate::db::pool(url, 1).await {
            Ok(pool) => {
                let found = in_database(&pool, request, key).await;
                pool.close().await;
                match found {
                    Ok(Some(existing)) => return Answer::Found(existing),
                    Ok(None) => return Answer::Absent,
                    Err(e) => format!("the database: {}", crate::shown::error(&e)),
                }
            }
            Err(e) => crate::shown::error(&e),
        },
        None => "DATABASE_URL is not set".to_string(),
    };
    match in_api(sources, request, key).await {
        Some(existing) => Answer::Found(existing),
        None => Answer::Unknown(format!(
            "{database}; the orchestration API's task list does not show it either"
        )),
    }
}

/// The engine's tables: the task by its identity hash (the unique index the
/// engine's 409 comes from), computed with the engine's own code, else by the
/// run id in its context (a repeat with another trace context or another
/// context under the same key).
pub async fn in_database(
    pool: &PgPool,
    request: &TaskRequest,
    key: &str,
) -> anyhow::Result<Option<Existing>> {
    let resolved = match request.resolve(pool).await {
        Ok(resolved) => resolved,
        // No such namespace or named task (version): no task of it exists.
        Err(TaskerError::ValidationError(_)) => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    };
    let named_task_uuid = resolved.named_task.named_task_uuid;
    // The engine's documented identity with a key; `run` also sends a run id
    // that is a UUID as the correlation id. Both are indexed.
    let by_key =
        Task::compute_identity_hash(IdentityStrategy::Strict, named_task_uuid, &None, Some(key))
            .unwrap_or_default();
    let row: Option<(Uuid, Option<Value>)> = sqlx::query_as(
        "SELECT task_uuid, context FROM tasker.tasks \
          WHERE named_task_uuid = $1 AND (identity_hash = $2 OR correlation_id = $3) \
          ORDER BY created_at LIMIT 1",
    )
    .bind(named_task_uuid)
    .bind(&by_key)
    .bind(Uuid::parse_str(key).ok())
    .fetch_optional(pool)
    .await?;
    let row = match row {
        Some(row) => Some(row),
        None => {
            sqlx::query_as(
                "SELECT task_uuid, context FROM tasker.tasks \
                  WHERE named_task_uuid = $1 AND context->>$2 = $3 \
                  ORDER BY created_at LIMIT 1",
            )
            .bind(named_task_uuid)
            .bind(RUN_ID_KEY)
            .bind(key)
            .fetch_optional(pool)
            .await?
        }
    };
    Ok(row.map(|(task_uuid, context)| Existing {
        task_uuid,
        context: context.unwrap_or(Value::Null),
    }))
}

/// The orchestration API's newest tasks of this namespace, initiator and
/// source, searched for the run id.
async fn in_api(sources: &Sources<'_>, request: &TaskRequest, key: &str) -> Option<Existing> {
    for page in 1..=3 {
        let page = page.to_string();
        let listed: TaskListResponse = sources
            .http
            .get(format!("{}/v1/tasks", sources.base_url))
            .query(&[
                ("namespace", request.namespace.as_str()),
                ("initiator", request.initiator.as_str()),
                ("source_system", request.source_system.as_str()),
                ("per_page", "100"),
                ("page", page.as_str()),
            ])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        if let Some(task) = listed.tasks.iter().find(|t| {
            t.name == request.name && t.context.get(RUN_ID_KEY).and_then(Value::as_str) == Some(key)
        }) {
            return Some(Existing {
                task_uuid: Uuid::parse_str(&task.task_uuid).ok()?,
                context: task.context.clone(),
            });
        }
        if listed.tasks.len() < 100 {
            break;
        }
    }
    None
}

/// Whether `existing` was created with `sent` (what the engine stored may
/// hold the template's default context too; the trace context differs
/// between runs and is left out).
pub fn same_context(existing: &Value, sent: &Value) -> bool {
    let Some(sent) = sent.as_object() else {
        return existing == sent;
    };
    sent.iter()
        .filter(|(key, _)| key.as_str() != crate::trace::TRACE_KEY)
        .all(|(key, value)| existing.get(key) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_context_is_the_same_whatever_the_trace_and_the_template_defaults() {
        let stored = json!({"cart_id": 1, "_run_id": "k", "_trace": {"traceparent": "a"}, "warehouse": "main"});
        let sent = json!({"cart_id": 1, "_run_id": "k", "_trace": {"traceparent": "b"}});
        assert!(same_context(&stored, &sent));
        assert!(!same_context(
            &stored,
            &json!({"cart_id": 2, "_run_id": "k"})
        ));
    }
}
