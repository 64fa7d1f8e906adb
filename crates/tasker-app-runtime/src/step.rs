//! The one thing an app's owner implements: [`Step`], one per step of a
//! workflow, and the [`Registry`] that lists them.
//!
//! ```ignore
//! pub struct CreateOrder;
//!
//! impl Step for CreateOrder {
//!     const NAME: &'static str = "ecommerce.create_order"; // handler.callable in the YAML
//!
//!     async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
//!         let cart: ValidatedCart = input.dependency("validate_cart")?;
//!         ...
//!     }
//! }
//!
//! pub fn registry() -> Registry {
//!     Registry::new().step(CreateOrder)
//! }
//! ```
//!
//! The name is stated once, in `NAME`; registering a step never repeats it.
//! One adapter turns every `Step` into the engine's `StepHandler`: it times the
//! attempt and maps the outcome (`finish`) to a success or a retryable or
//! permanent failure.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use tasker_shared::TaskerResult;
use tasker_shared::messaging::StepExecutionResult;
use tasker_shared::types::base::TaskSequenceStep;
use tasker_worker::worker::handlers::{StepHandler, StepHandlerRegistry};
use tracing::Instrument;

use crate::context::AppContext;
use crate::input::StepInput;
use crate::outcome::{StepError, finish};
use crate::workflows::Workflow;

/// What a step returns: its result (what later steps read with
/// `StepInput::dependency`), or why it failed.
pub type StepResult = Result<Value, StepError>;

/// One step of a workflow.
pub trait Step: Send + Sync + 'static {
    /// The step's `handler.callable` in the workflow YAML.
    const NAME: &'static str;

    /// One attempt of the step. `Err` with [`StepError::retryable`] asks the
    /// engine to try again (as the step's `retry` allows); any other error
    /// fails the step for good.
    fn run(
        &self,
        input: StepInput<'_>,
        ctx: &AppContext,
    ) -> impl Future<Output = StepResult> + Send;
}

/// A step's result as JSON: `Ok(output(&placed)?)`.
pub fn output(value: &impl Serialize) -> StepResult {
    serde_json::to_value(value).map_err(|e| StepError::permanent("SERIALIZE", e.to_string()))
}

/// Where an app registers its steps (named in the check's messages).
pub const REGISTRY_FILE: &str = "src/handlers/mod.rs";

/// Every step of the app, by name.
#[derive(Default)]
pub struct Registry {
    steps: BTreeMap<&'static str, Arc<dyn ErasedStep>>,
    duplicates: Vec<&'static str>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Add a step under its [`Step::NAME`].
    #[must_use]
    pub fn step<S: Step>(mut self, step: S) -> Registry {
        if self.steps.insert(S::NAME, Arc::new(step)).is_some() {
            self.duplicates.push(S::NAME);
        }
        self
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.steps.keys().copied().collect()
    }

    /// The one workflow check (`tasker_app_workflow`, the same as
    /// `tasker-app check`): each workflow's DAG, names, retry and input
    /// schema; every step has a handler and every handler a step; no step
    /// registered twice. Every problem at once, with file, line and fix.
    pub fn check(&self, workflows: &[Workflow]) -> Result<()> {
        let mut found = Vec::new();
        if !self.duplicates.is_empty() {
            found.push(tasker_app_workflow::Diagnostic::new(
                REGISTRY_FILE,
                None,
                format!(
                    "these steps are registered twice: {}",
                    self.duplicates.join(", ")
                ),
                "register each step once",
            ));
        }
        let mut parsed = Vec::new();
        for w in workflows {
            let file = w.path.display().to_string();
            match tasker_app_workflow::parse(&file, &w.text) {
                Ok(t) => parsed.push((file, w, t)),
                Err(e) => found.extend(e.0),
            }
        }
        let views: Vec<(&str, &str, &tasker_app_workflow::TaskTemplate)> = parsed
            .iter()
            .map(|(file, w, t)| (file.as_str(), w.text.as_str(), t))
            .collect();
        let registered = self.names().into_iter().map(str::to_string).collect();
        found.extend(tasker_app_workflow::check_handlers(
            &views,
            &registered,
            REGISTRY_FILE,
        ));
        if found.is_empty() {
            Ok(())
        } else {
            Err(tasker_app_workflow::Diagnostics(found).into())
        }
    }

    /// The registry as the engine's worker sees it, every step bound to `ctx`.
    pub fn bind(&self, ctx: Arc<AppContext>) -> Arc<EngineRegistry> {
        let handlers = self
            .steps
            .iter()
            .map(|(name, step)| {
                let adapter: Arc<dyn StepHandler> = Arc::new(Adapter {
                    name,
                    step: step.clone(),
                    ctx: ctx.clone(),
                });
                (name.to_string(), adapter)
            })
            .collect();
        Arc::new(EngineRegistry { handlers })
    }
}

/// `Step` with its future boxed, so steps of different types share a map.
trait ErasedStep: Send + Sync {
    fn run<'a>(
        &'a self,
        input: StepInput<'a>,
        ctx: &'a AppContext,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send + 'a>>;
}

impl<S: Step> ErasedStep for S {
    fn run<'a>(
        &'a self,
        input: StepInput<'a>,
        ctx: &'a AppContext,
    ) -> Pin<Box<dyn Future<Output = StepResult> + Send + 'a>> {
        Box::pin(Step::run(self, input, ctx))
    }
}

/// The one adapter from [`Step`] to the engine's `StepHandler`.
struct Adapter {
    name: &'static str,
    step: Arc<dyn ErasedStep>,
    ctx: Arc<AppContext>,
}

#[async_trait]
impl StepHandler for Adapter {
    async fn call(&self, step: &TaskSequenceStep) -> TaskerResult<StepExecutionResult> {
        let started = Instant::now();
        let span = tracing::info_span!(
            "step",
            otel.name = %format!("step {}", step.workflow_step.name),
            step = %step.workflow_step.name,
            handler = self.name,
            task_uuid = %step.task.task.task_uuid,
        );
        if let Some(context) = &step.task.task.context {
            crate::trace::adopt(&span, context);
        }
        let outcome = self
            .step
            .run(StepInput::new(step), &self.ctx)
            .instrument(span)
            .await;
        finish(step, started, outcome)
    }

    fn name(&self) -> &str {
        self.name
    }
}

/// The engine's view of a [`Registry`]: handlers keyed by `handler.callable`.
pub struct EngineRegistry {
    handlers: BTreeMap<String, Arc<dyn StepHandler>>,
}

#[async_trait]
impl StepHandlerRegistry for EngineRegistry {
    async fn get(&self, step: &TaskSequenceStep) -> Option<Arc<dyn StepHandler>> {
        self.handlers
            .get(&step.step_definition.handler.callable)
            .cloned()
    }

    /// Steps are registered through [`Registry::step`] before the worker
    /// starts; the engine does not add handlers of its own.
    fn register(&self, name: &str, _handler: Arc<dyn StepHandler>) {
        tracing::warn!("ignored a late registration of step handler `{name}`");
    }

    fn handler_available(&self, name: &str) -> bool {
        self.handlers.contains_key(name)
    }

    fn registered_handlers(&self) -> Vec<String> {
        self.handlers.keys().cloned().collect()
    }
}
