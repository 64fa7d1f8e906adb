//! A step's outcome in the engine's terms.
//!
//! Handlers return `Result<serde_json::Value, StepError>`. `finish` turns it into
//! a `StepExecutionResult`: the value becomes the step's result (what later steps
//! read as `dependency_results[step].result`); a `StepError` becomes a failure the
//! engine retries (up to the step's `retry.max_attempts`, with its backoff, or
//! after the server's Retry-After) or does not retry at all.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use serde_json::{Value, json};
use tasker_shared::TaskerResult;
use tasker_shared::messaging::StepExecutionResult;
use tasker_shared::messaging::message::{BackoffHint, BackoffHintType, OrchestrationMetadata};
use tasker_shared::types::base::TaskSequenceStep;

use crate::api::ApiError;

/// Why a step did not succeed, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// Bad input, a refused request, a business rule: the same attempt would
    /// fail the same way, so the step fails at once.
    Permanent { code: String, message: String },
    /// A passing condition (API down, rate limited, database busy): the engine
    /// tries again, after `retry_after` seconds when the server asked for that.
    Retryable {
        code: String,
        message: String,
        retry_after: Option<u32>,
    },
}

impl StepError {
    pub fn permanent(code: &str, message: impl Into<String>) -> StepError {
        StepError::Permanent {
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn retryable(code: &str, message: impl Into<String>) -> StepError {
        StepError::Retryable {
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }

    /// The task's context (or a step's input) is not what the workflow needs.
    pub fn bad_input(message: impl Into<String>) -> StepError {
        StepError::permanent("INVALID_INPUT", message)
    }

    /// A failed call to the app's database, classified by SQLSTATE: broken
    /// data and rule violations (classes 22, 23, P0) and missing objects (42,
    /// the app database is not migrated) are permanent; everything else
    /// (connection loss, pool exhaustion, deadlocks, shutdowns) is retryable.
    pub fn database(what: &str, error: sqlx::Error) -> StepError {
        let code = match &error {
            sqlx::Error::Database(db) => db.code().map(|c| c.to_string()),
            _ => None,
        };
        match (code.as_deref(), &error) {
            (Some(c), _) if c.starts_with("42") => StepError::permanent(
                "DATABASE_NOT_MIGRATED",
                format!("{what}: {error} (run `migrate` to create the app's database objects)"),
            ),
            (Some(c), _) if c.starts_with("22") || c.starts_with("23") || c.starts_with("P0") => {
                StepError::permanent("DATABASE_REJECTED", format!("{what}: {error}"))
            }
            (
                None,
                sqlx::Error::RowNotFound
                | sqlx::Error::ColumnNotFound(_)
                | sqlx::Error::ColumnDecode { .. }
                | sqlx::Error::Decode(_)
                | sqlx::Error::TypeNotFound { .. },
            ) => StepError::permanent("DATABASE_REJECTED", format!("{what}: {error}")),
            _ => StepError::retryable("DATABASE_UNAVAILABLE", format!("{what}: {error}")),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            StepError::Permanent { code, .. } | StepError::Retryable { code, .. } => code,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            StepError::Permanent { message, .. } | StepError::Retryable { message, .. } => message,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, StepError::Retryable { .. })
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code(), self.message())
    }
}

impl std::error::Error for StepError {}

impl From<ApiError> for StepError {
    fn from(error: ApiError) -> StepError {
        match &error {
            ApiError::Unavailable {
                status,
                retry_after,
                ..
            } => StepError::Retryable {
                code: match status {
                    Some(429) => "API_RATE_LIMITED",
                    Some(_) => "API_UNAVAILABLE",
                    None => "API_UNREACHABLE",
                }
                .to_string(),
                message: error.to_string(),
                retry_after: *retry_after,
            },
            ApiError::Rejected { status: 404, .. } => {
                StepError::permanent("API_NOT_FOUND", error.to_string())
            }
            ApiError::Rejected { .. } => StepError::permanent("API_REJECTED", error.to_string()),
            ApiError::Malformed { .. } => {
                StepError::permanent("API_BAD_RESPONSE", error.to_string())
            }
        }
    }
}

/// The engine's result for one attempt of `step`.
pub fn finish(
    step: &TaskSequenceStep,
    started: Instant,
    outcome: Result<Value, StepError>,
) -> TaskerResult<StepExecutionResult> {
    let step_uuid = step.workflow_step.workflow_step_uuid;
    let elapsed_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let result = match outcome {
        Ok(value) => {
            tracing::debug!(step = %step.workflow_step.name, %step_uuid, elapsed_ms, "step succeeded");
            StepExecutionResult::success(step_uuid, value, elapsed_ms, None)
        }
        Err(error) => {
            let attempt = step.workflow_step.attempts.unwrap_or(0) + 1;
            tracing::warn!(
                step = %step.workflow_step.name,
                %step_uuid,
                attempt,
                retryable = error.is_retryable(),
                code = error.code(),
                "step failed: {}",
                error.message()
            );
            failure(step_uuid, elapsed_ms, &error)
        }
    };
    Ok(result)
}

/// A failed attempt. A server-requested delay travels as a `retry-after`
/// header plus a backoff hint in the orchestration metadata: the engine's
/// backoff calculator prefers it to its own exponential delay.
fn failure(step_uuid: uuid::Uuid, elapsed_ms: i64, error: &StepError) -> StepExecutionResult {
    let (error_type, retry_after) = match error {
        StepError::Permanent { .. } => ("permanent_error", None),
        StepError::Retryable { retry_after, .. } => ("retryable_error", *retry_after),
    };
    let mut context = HashMap::from([("error_code".to_string(), json!(error.code()))]);
    if let Some(seconds) = retry_after {
        context.insert("retry_after_seconds".to_string(), json!(seconds));
    }
    let mut result = StepExecutionResult::failure(
        step_uuid,
        error.message().to_string(),
        Some(error.code().to_string()),
        Some(error_type.to_string()),
        error.is_retryable(),
        elapsed_ms,
        Some(context),
    );
    let mut metadata = OrchestrationMetadata::new().with_error_context(error.to_string());
    if let Some(seconds) = retry_after {
        metadata = metadata
            .with_header("retry-after".to_string(), seconds.to_string())
            .with_backoff_hint(BackoffHint {
                backoff_type: BackoffHintType::ServerRequested,
                delay_seconds: seconds,
                context: Some("Retry-After from the external API".to_string()),
            });
    }
    result.orchestration_metadata = Some(metadata);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_map_to_step_errors() {
        let rate_limited: StepError = ApiError::Unavailable {
            url: "http://api/carts/1".into(),
            status: Some(429),
            retry_after: Some(2),
            detail: "slow down".into(),
        }
        .into();
        assert!(rate_limited.is_retryable());
        assert_eq!(rate_limited.code(), "API_RATE_LIMITED");
        assert!(matches!(
            rate_limited,
            StepError::Retryable {
                retry_after: Some(2),
                ..
            }
        ));

        let timeout: StepError = ApiError::Unavailable {
            url: "u".into(),
            status: None,
            retry_after: None,
            detail: "no answer".into(),
        }
        .into();
        assert_eq!(timeout.code(), "API_UNREACHABLE");
        assert!(timeout.is_retryable());

        let missing: StepError = ApiError::Rejected {
            url: "u".into(),
            status: 404,
            detail: "Cart with id '9' not found".into(),
        }
        .into();
        assert_eq!(missing.code(), "API_NOT_FOUND");
        assert!(!missing.is_retryable());

        let bad: StepError = ApiError::Rejected {
            url: "u".into(),
            status: 400,
            detail: "bad".into(),
        }
        .into();
        assert_eq!(bad.code(), "API_REJECTED");
        assert!(!bad.is_retryable());
    }

    #[test]
    fn database_errors_without_sqlstate_are_classified() {
        assert!(StepError::database("q", sqlx::Error::PoolTimedOut).is_retryable());
        assert!(!StepError::database("q", sqlx::Error::RowNotFound).is_retryable());
    }

    #[test]
    fn a_retryable_failure_carries_retry_after_for_the_engine() {
        let error = StepError::Retryable {
            code: "API_RATE_LIMITED".into(),
            message: "slow down".into(),
            retry_after: Some(3),
        };
        let result = failure(uuid::Uuid::nil(), 12, &error);
        assert!(!result.success);
        assert!(result.metadata.retryable);
        assert_eq!(
            result.metadata.error_code.as_deref(),
            Some("API_RATE_LIMITED")
        );
        let metadata = result.orchestration_metadata.expect("metadata");
        assert_eq!(
            metadata.headers.get("retry-after").map(String::as_str),
            Some("3")
        );
        assert_eq!(metadata.backoff_hint.map(|h| h.delay_seconds), Some(3));
    }

    #[test]
    fn a_permanent_failure_is_not_retryable() {
        let result = failure(
            uuid::Uuid::nil(),
            1,
            &StepError::bad_input("cart_id is missing"),
        );
        assert!(!result.metadata.retryable);
        assert_eq!(
            result.metadata.error_type.as_deref(),
            Some("permanent_error")
        );
        let error = result.error.expect("error");
        assert_eq!(error.message, "cart_id is missing");
    }
}
