//! Reading what a step is given: the task's context (the JSON passed to
//! `run --context`) and the results of the steps it depends on. A missing or
//! mistyped value is a permanent `INVALID_INPUT` failure that names the key.

use serde::de::DeserializeOwned;
use serde_json::Value;
use tasker_shared::types::base::TaskSequenceStep;
use uuid::Uuid;

use crate::outcome::StepError;

/// A step's inputs.
#[derive(Debug, Clone, Copy)]
pub struct StepInput<'a> {
    step: &'a TaskSequenceStep,
}

impl<'a> StepInput<'a> {
    pub fn new(step: &'a TaskSequenceStep) -> StepInput<'a> {
        StepInput { step }
    }

    /// The task this step belongs to: the idempotency key of the app's
    /// database functions.
    pub fn task_uuid(&self) -> Uuid {
        self.step.task.task.task_uuid
    }

    /// `namespace/task` for messages.
    pub fn task_label(&self) -> String {
        format!(
            "{}/{}",
            self.step.task.namespace_name, self.step.task.task_name
        )
    }

    /// A value of the task's context, if present and not null.
    pub fn context(&self, key: &str) -> Option<&'a Value> {
        self.step
            .task
            .task
            .context
            .as_ref()
            .and_then(|context| context.get(key))
            .filter(|value| !value.is_null())
    }

    /// A required, non-blank string from the context (trimmed).
    pub fn required_str(&self, key: &str) -> Result<&'a str, StepError> {
        match self.context(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
            Some(Value::String(_)) => {
                Err(StepError::bad_input(format!("context `{key}` is empty")))
            }
            Some(other) => Err(StepError::bad_input(format!(
                "context `{key}` must be a string, got {other}"
            ))),
            None => Err(StepError::bad_input(format!("context `{key}` is missing"))),
        }
    }

    /// An optional string from the context (trimmed; blank counts as absent).
    pub fn optional_str(&self, key: &str) -> Result<Option<&'a str>, StepError> {
        match self.context(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim())),
            Some(other) => Err(StepError::bad_input(format!(
                "context `{key}` must be a string, got {other}"
            ))),
        }
    }

    /// A required integer from the context. A string of digits is accepted
    /// too (`"cart_id": "3"`), since shells and forms often send those.
    pub fn required_int(&self, key: &str) -> Result<i64, StepError> {
        let value = self
            .context(key)
            .ok_or_else(|| StepError::bad_input(format!("context `{key}` is missing")))?;
        integer(value).ok_or_else(|| {
            StepError::bad_input(format!("context `{key}` must be an integer, got {value}"))
        })
    }

    /// The result of an earlier step of this task (direct or transitive
    /// dependency), decoded into `T`.
    ///
    /// A direct dependency of the step in the task template whose result the
    /// engine did not hand over is a retryable failure: the template is
    /// right, the result was not there when the step was claimed (seen once
    /// around a PostgreSQL restart, tests/drills.rs drill 4), and the next
    /// attempt reads the results again. Any other name is a mistake in the
    /// handler or the template: permanent.
    pub fn dependency<T: DeserializeOwned>(&self, step_name: &str) -> Result<T, StepError> {
        let this = &self.step.workflow_step.name;
        let result = self.step.dependency_results.get(step_name).ok_or_else(|| {
            if self
                .step
                .step_definition
                .dependencies
                .iter()
                .any(|d| d == step_name)
            {
                StepError::retryable(
                    "DEPENDENCY_RESULT_NOT_READY",
                    format!(
                        "step `{this}` needs the result of `{step_name}`, its dependency, and \
                         the engine handed over none; trying again"
                    ),
                )
            } else {
                StepError::permanent(
                    "MISSING_DEPENDENCY_RESULT",
                    format!(
                        "step `{this}` needs the result of `{step_name}`, which is not among its \
                         dependencies in the task template"
                    ),
                )
            }
        })?;
        serde_json::from_value(result.result.clone()).map_err(|e| {
            StepError::permanent(
                "BAD_DEPENDENCY_RESULT",
                format!("the result of `{step_name}` has an unexpected shape: {e}"),
            )
        })
    }
}

/// A plausible email address: one `@`, something before it, a dotted domain
/// after it, no spaces, at most 254 characters. Whether it exists is for the
/// mail server to say.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

/// An integer given as a JSON number (without fraction) or a string of digits.
pub fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(plausible_email("amara.okafor@example.com"));
        assert!(plausible_email("a+tag@mail.example.co.uk"));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@b..com",
            "a@.com",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }

    /// A step `check` whose template names `validate` as its dependency,
    /// handed the dependency results `results`.
    fn step_with(results: Value) -> TaskSequenceStep {
        let now = chrono::Utc::now().naive_utc();
        let id = uuid::Uuid::now_v7();
        serde_json::from_value(json!({
            "task": {
                "task": {
                    "task_uuid": id, "named_task_uuid": id, "complete": false,
                    "requested_at": now, "initiator": "test", "source_system": "test",
                    "reason": "test", "tags": null, "context": {}, "identity_hash": "x",
                    "priority": 0, "created_at": now, "updated_at": now,
                    "correlation_id": id, "parent_correlation_id": null,
                },
                "task_name": "t", "task_version": "1.0.0", "namespace_name": "n",
            },
            "workflow_step": {
                "workflow_step_uuid": id, "task_uuid": id, "named_step_uuid": id,
                "name": "check", "template_step_name": "check", "retryable": true,
                "max_attempts": 3, "in_process": true, "processed": false,
                "processed_at": null, "attempts": 0, "last_attempted_at": null,
                "backoff_request_seconds": null, "inputs": null, "results": null,
                "checkpoint": null, "created_at": now, "updated_at": now,
            },
            "dependency_results": results,
            "step_definition": {
                "name": "check", "handler": {"callable": "n.check"},
                "dependencies": ["validate"],
            },
        }))
        .expect("a TaskSequenceStep")
    }

    #[test]
    fn a_missing_result_of_a_declared_dependency_is_retried_an_undeclared_one_is_not() {
        let step = step_with(json!({}));
        let input = StepInput::new(&step);
        match input.dependency::<Value>("validate") {
            Err(StepError::Retryable { code, .. }) => {
                assert_eq!(code, "DEPENDENCY_RESULT_NOT_READY")
            }
            other => panic!("a declared dependency without its result must be retried: {other:?}"),
        }
        match input.dependency::<Value>("elsewhere") {
            Err(StepError::Permanent { code, .. }) => assert_eq!(code, "MISSING_DEPENDENCY_RESULT"),
            other => panic!("an undeclared dependency is the handler's mistake: {other:?}"),
        }
    }

    #[test]
    fn integers_come_as_numbers_or_digit_strings() {
        assert_eq!(integer(&json!(3)), Some(3));
        assert_eq!(integer(&json!(" 42 ")), Some(42));
        assert_eq!(integer(&json!(2.5)), None);
        assert_eq!(integer(&json!("two")), None);
        assert_eq!(integer(&json!(true)), None);
    }
}
