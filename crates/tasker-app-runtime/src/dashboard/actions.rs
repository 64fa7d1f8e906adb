//! What the dashboard changes, it changes through the engine's REST API, as
//! any other client would (the engine keeps its own rules and audit trail):
//! create a task (`POST /v1/tasks`), cancel one (`DELETE /v1/tasks/{id}`),
//! retry or resolve a step (`PATCH /v1/tasks/{id}/workflow_steps/{step}`).
//! Each returns a sentence for the page: what happened, or why not, in the
//! engine's words.

use std::time::Duration;

use serde_json::{Value, json};
use tasker_shared::models::core::task_request::TaskRequest;
use uuid::Uuid;

/// The engine's API, as the dashboard calls it.
#[derive(Clone)]
pub struct Engine {
    pub http: reqwest::Client,
    /// `http://127.0.0.1:8080`.
    pub base_url: String,
    /// The header the engine reads an API key from (`X-API-Key` unless
    /// `orchestration.web.auth.api_key_header` says otherwise).
    pub api_key_header: String,
}

/// Who the engine records as having acted.
const ACTOR: &str = "dashboard";

impl Engine {
    pub fn new(base_url: String, api_key_header: String) -> anyhow::Result<Engine> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Engine {
            http,
            base_url,
            api_key_header,
        })
    }

    /// `req` carrying `token` the way the engine reads it: a JWT (three
    /// dot-separated parts) as a Bearer token, anything else as an API key.
    /// (The engine tries a Bearer token first and never falls back to the
    /// key, so an API key sent as Bearer would be refused.)
    pub fn with_token(
        &self,
        req: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(t) if is_jwt(t) => req.bearer_auth(t),
            Some(t) => req.header(self.api_key_header.as_str(), t),
            None => req,
        }
    }

    async fn answer(
        response: Result<reqwest::Response, reqwest::Error>,
        base: &str,
    ) -> Result<Value, String> {
        let response = response.map_err(|e| {
            crate::shown::text(&format!(
                "the engine's API at {} did not answer: {e}",
                crate::shown::url(base)
            ))
        })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        if status.is_success() {
            Ok(value)
        } else {
            let why = value
                .get("message")
                .or_else(|| value.get("error"))
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
                .unwrap_or_else(|| value.to_string());
            Err(crate::shown::text(&format!(
                "the engine refused (HTTP {}): {why}",
                status.as_u16()
            )))
        }
    }

    /// `POST /v1/tasks`; the new task's id.
    pub async fn create(&self, request: &TaskRequest, token: Option<&str>) -> Result<Uuid, String> {
        let url = format!("{}/v1/tasks", self.base_url);
        let sent = self
            .with_token(self.http.post(&url).json(request), token)
            .send()
            .await;
        let value = Self::answer(sent, &self.base_url).await?;
        value
            .get("task_uuid")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| {
                format!("the engine created a task but its answer has no task_uuid: {value}")
            })
    }

    /// `DELETE /v1/tasks/{task}`.
    pub async fn cancel(&self, task: Uuid, token: Option<&str>) -> Result<String, String> {
        let url = format!("{}/v1/tasks/{task}", self.base_url);
        let sent = self.with_token(self.http.delete(&url), token).send().await;
        Self::answer(sent, &self.base_url).await?;
        Ok("The run was cancelled: steps not yet finished will not run.".to_string())
    }

    /// `PATCH .../workflow_steps/{step}` with `action` (`retry` or `resolve`).
    pub async fn step(
        &self,
        task: Uuid,
        step: Uuid,
        action: StepAction,
        token: Option<&str>,
    ) -> Result<String, String> {
        let url = format!("{}/v1/tasks/{task}/workflow_steps/{step}", self.base_url);
        let body = action.body();
        let sent = self
            .with_token(self.http.patch(&url).json(&body), token)
            .send()
            .await;
        let value = Self::answer(sent, &self.base_url).await?;
        let name = value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("the step");
        let state = value
            .get("current_state")
            .and_then(Value::as_str)
            .unwrap_or("?");
        Ok(match action {
            StepAction::Retry => format!(
                "Step {name} was reset for retry (now {state}): the engine runs it again with fresh attempts."
            ),
            StepAction::Resolve => format!(
                "Step {name} was marked resolved by hand (now {state}): the steps after it go on."
            ),
        })
    }
}

/// After a step of a task parked in `blocked_by_failures` was retried or
/// resolved, the task itself must move again: the engine (0.1.8) has no
/// way back from that state (its state machine only gives up or resolves
/// the whole task), so the step would wait forever. The task is moved with
/// the engine's own compare-and-set transition
/// (`tasker.transition_task_state_atomic`, as the lost-task sweep does) to
/// the state from which the engine carries it on, chosen by the engine's
/// view of its steps. Returns the state it moved to, if it moved.
pub async fn resume_blocked(
    db: &sqlx::PgPool,
    task: Uuid,
    after: &str,
) -> anyhow::Result<Option<String>> {
    let moved: Option<String> = sqlx::query_scalar(
        "WITH target AS (
           SELECT CASE ctx.execution_status
                       WHEN 'processing' THEN 'steps_in_process'
                       WHEN 'all_complete' THEN 'pending'
                       ELSE 'waiting_for_dependencies'
                  END AS moved_to
             FROM tasker.task_transitions tt
             CROSS JOIN LATERAL tasker.get_task_execution_context(tt.task_uuid) ctx
            WHERE tt.task_uuid = $1 AND tt.most_recent AND tt.to_state = 'blocked_by_failures'
              AND ctx.execution_status <> 'blocked_by_failures')
         SELECT moved_to FROM target
          WHERE tasker.transition_task_state_atomic(
                  $1, 'blocked_by_failures', moved_to, NULL,
                  jsonb_build_object('resumed_by', 'tasker-app dashboard', 'after', $2::text))",
    )
    .bind(task)
    .bind(after)
    .fetch_optional(db)
    .await?;
    Ok(moved)
}

/// Whether `token` has a JWT's shape (`header.payload.signature`).
pub fn is_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        })
}

/// A change to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAction {
    Retry,
    Resolve,
}

impl StepAction {
    pub fn parse(word: &str) -> Option<StepAction> {
        match word {
            "retry" => Some(StepAction::Retry),
            "resolve" => Some(StepAction::Resolve),
            _ => None,
        }
    }

    /// The engine's `StepManualAction` as JSON.
    pub fn body(self) -> Value {
        match self {
            StepAction::Retry => json!({
                "action_type": "reset_for_retry",
                "reason": "retried from the dashboard",
                "reset_by": ACTOR,
            }),
            StepAction::Resolve => json!({
                "action_type": "resolve_manually",
                "reason": "resolved by hand from the dashboard",
                "resolved_by": ACTOR,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tasker_shared::types::api::orchestration::StepManualAction;

    #[test]
    fn a_jwt_goes_as_bearer_anything_else_as_the_api_key() {
        assert!(is_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"));
        assert!(!is_jwt("dash-test-key-123"));
        assert!(!is_jwt("a.b"));
        assert!(!is_jwt("a..c"));
        let engine = Engine::new("http://127.0.0.1:1".into(), "X-API-Key".into()).unwrap();
        let key = engine
            .with_token(engine.http.get("http://127.0.0.1:1/"), Some("k3y"))
            .build()
            .unwrap();
        assert_eq!(key.headers()["x-api-key"], "k3y");
        assert!(key.headers().get("authorization").is_none());
        let jwt = engine
            .with_token(engine.http.get("http://127.0.0.1:1/"), Some("a.b.c"))
            .build()
            .unwrap();
        assert_eq!(jwt.headers()["authorization"], "Bearer a.b.c");
    }

    /// The bodies are the engine's own type, as its API reads them.
    #[test]
    fn step_action_bodies_are_what_the_engine_parses() {
        for action in [StepAction::Retry, StepAction::Resolve] {
            let parsed: StepManualAction = serde_json::from_value(action.body()).unwrap();
            match (action, parsed) {
                (StepAction::Retry, StepManualAction::ResetForRetry { .. })
                | (StepAction::Resolve, StepManualAction::ResolveManually { .. }) => {}
                (a, p) => panic!("{a:?} became {p:?}"),
            }
        }
    }
}
