//! The engine's task template, as far as tasker-app reads it. Every key the
//! engine knows is listed; any other is an error (`deny_unknown_fields`), since
//! the engine would silently ignore it.

use serde::Deserialize;

/// The parts of the engine's task template that `tasker-app` checks and reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    pub name: String,
    pub namespace_name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_yaml::Value>,
    #[serde(default)]
    pub system_dependencies: Option<serde_yaml::Value>,
    #[serde(default)]
    pub input_schema: Option<serde_json::Value>,
    #[serde(default)]
    pub domain_events: Option<serde_yaml::Value>,
    #[serde(default)]
    pub lifecycle: Option<serde_yaml::Value>,
    #[serde(default)]
    pub environments: Option<serde_yaml::Value>,
    pub steps: Vec<StepTemplate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTemplate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub handler: HandlerRef,
    #[serde(default, alias = "depends_on")]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub retry: Option<Retry>,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub publishes_events: Option<serde_yaml::Value>,
    #[serde(default, rename = "type", alias = "step_type")]
    pub step_type: Option<String>,
    #[serde(default)]
    pub system_dependency: Option<String>,
    #[serde(default)]
    pub batch_config: Option<serde_yaml::Value>,
    #[serde(default)]
    pub result_schema: Option<serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerRef {
    pub callable: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub resolver: Option<String>,
    #[serde(default)]
    pub initialization: Option<serde_yaml::Value>,
}

/// Retry policy. `deny_unknown_fields` catches `limit:` and friends, which the
/// engine would silently ignore.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(default)]
    pub retryable: Option<bool>,
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub backoff: Option<String>,
    #[serde(default)]
    pub backoff_base_ms: Option<u64>,
    #[serde(default)]
    pub max_backoff_ms: Option<u64>,
}

pub const BACKOFFS: &[&str] = &["none", "linear", "exponential", "fibonacci"];

impl TaskTemplate {
    /// The keys a task's context must have (`input_schema.required`).
    pub fn required_context(&self) -> Vec<String> {
        self.input_schema
            .as_ref()
            .and_then(|s| s.get("required"))
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}
