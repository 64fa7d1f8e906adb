//! Test harness for whole workflows: runs a task template's steps in DAG order
//! the way the engine does (each step sees its ancestors' results; a retryable
//! failure is tried again up to the step's `retry.max_attempts`), with the
//! registry's real steps, the fake API in-process on a free port, and the
//! database at `DATABASE_URL` (prepared with `cargo run -- migrate`).
//!
//! ```ignore
//! let Some(h) = Harness::start(crate::handlers::registry()).await else { return };
//! let run = h.run("ecommerce/order_processing.yaml", json!({"cart_id": 1})).await;
//! assert!(run.completed(), "{:?}", run.failure());
//! ```
//!
//! Without `DATABASE_URL` the workflow tests say so and pass: the handler unit
//! tests still run everywhere.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use tasker_shared::messaging::StepExecutionResult;
use tasker_shared::models::core::task_template::TaskTemplate;
use tasker_shared::types::base::TaskSequenceStep;
use tasker_worker::worker::handlers::StepHandlerRegistry;
use uuid::Uuid;

use crate::context::AppContext;
use crate::fake_api::faults::Fault;
use crate::fake_api::{Catalog, FakeApi, router};
use crate::step::{EngineRegistry, Registry};

/// The app's task templates, relative to the package folder: `cargo test`
/// runs tests there.
const WORKFLOWS: &str = "workflows";

/// One test's world: app context, registry, fake API.
pub struct Harness {
    pub ctx: Arc<AppContext>,
    registry: Arc<EngineRegistry>,
    api: FakeApi,
    workflows: PathBuf,
}

/// What happened to one task.
#[derive(Debug)]
pub struct Run {
    pub task_uuid: Uuid,
    /// Results of the steps that succeeded, by step name.
    pub results: HashMap<String, Value>,
    /// Attempts per step that ran.
    pub attempts: HashMap<String, u32>,
    /// The step that failed for good, with its last result.
    pub failed: Option<(String, StepExecutionResult)>,
}

impl Run {
    pub fn completed(&self) -> bool {
        self.failed.is_none()
    }

    /// The failed step's name and error code.
    pub fn failure(&self) -> Option<(&str, &str)> {
        self.failed.as_ref().map(|(step, result)| {
            (
                step.as_str(),
                result.metadata.error_code.as_deref().unwrap_or(""),
            )
        })
    }
}

impl Harness {
    /// `None` (after saying why) when `DATABASE_URL` is not set. Panics when
    /// `registry` lacks a step of the app's `workflows/`, as the worker refuses to start.
    pub async fn start(registry: Registry) -> Option<Harness> {
        let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
            eprintln!("DATABASE_URL is not set: skipping this workflow test");
            return None;
        };
        Some(Harness::connect(&url, Path::new(WORKFLOWS), registry).await)
    }

    /// The harness on the database at `database_url` (prepared by `migrate`)
    /// for the task templates under `workflows`.
    pub async fn connect(database_url: &str, workflows: &Path, registry: Registry) -> Harness {
        let api = FakeApi::new(Catalog::load().expect("the fake API's seed loads"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr = listener.local_addr().expect("a bound address");
        let app = router(api.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let ctx = Arc::new(
            AppContext::connect(database_url, &format!("http://{addr}"))
                .await
                .expect("DATABASE_URL accepts connections"),
        );
        let templates = crate::workflows::load_all(workflows).unwrap_or_else(|e| panic!("{e:#}"));
        if let Err(e) = registry.check(&templates) {
            panic!("{e:#}");
        }
        let migrated: bool =
            sqlx::query_scalar("SELECT to_regclass('tasker_app.database_objects') IS NOT NULL")
                .fetch_one(&ctx.db)
                .await
                .expect("the database answers");
        assert!(
            migrated,
            "the database at DATABASE_URL lacks the app's objects: run `cargo run -- migrate`"
        );
        Harness {
            registry: registry.bind(ctx.clone()),
            ctx,
            api,
            workflows: workflows.to_path_buf(),
        }
    }

    /// Arm a fault in the fake API (see `fake_api/faults.rs`).
    pub fn arm(&self, fault: Fault) {
        self.api.faults().arm(fault);
    }

    /// Run `<workflows>/<file>` as a new task with `context`.
    pub async fn run(&self, file: &str, context: Value) -> Run {
        self.run_task(file, Uuid::now_v7(), context).await
    }

    /// Run `workflows/<file>` for `task_uuid`: run it twice with the same uuid
    /// to see what a retried task does.
    pub async fn run_task(&self, file: &str, task_uuid: Uuid, context: Value) -> Run {
        let path = self.workflows.join(file).display().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let template: TaskTemplate =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let now = chrono::Utc::now().naive_utc();
        let task = json!({
            "task": {
                "task_uuid": task_uuid, "named_task_uuid": Uuid::nil(), "complete": false,
                "requested_at": now, "initiator": "test", "source_system": "test", "reason": "test",
                "tags": null, "context": context, "identity_hash": task_uuid.to_string(),
                "priority": 0, "created_at": now, "updated_at": now,
                "correlation_id": task_uuid, "parent_correlation_id": null,
            },
            "task_name": template.name,
            "task_version": template.version,
            "namespace_name": template.namespace_name,
        });

        let mut run = Run {
            task_uuid,
            results: HashMap::new(),
            attempts: HashMap::new(),
            failed: None,
        };
        let mut done: BTreeSet<String> = BTreeSet::new();
        while done.len() < template.steps.len() {
            let ready: Vec<_> = template
                .steps
                .iter()
                .filter(|s| {
                    !done.contains(&s.name) && s.dependencies.iter().all(|d| done.contains(d))
                })
                .collect();
            assert!(
                !ready.is_empty(),
                "{path}: the steps' dependencies form a cycle"
            );
            for definition in ready {
                let mut dependency_results = serde_json::Map::new();
                for ancestor in ancestors(&template, &definition.name) {
                    let value = &run.results[&ancestor];
                    let result = StepExecutionResult::success(Uuid::nil(), value.clone(), 0, None);
                    dependency_results.insert(
                        ancestor,
                        serde_json::to_value(result).expect("serialisable"),
                    );
                }
                let max_attempts = definition.retry.max_attempts.max(1);
                let mut attempt = 0;
                let result = loop {
                    let step: TaskSequenceStep = serde_json::from_value(json!({
                        "task": task,
                        "workflow_step": {
                            "workflow_step_uuid": Uuid::now_v7(), "task_uuid": task_uuid,
                            "named_step_uuid": Uuid::nil(), "name": definition.name,
                            "template_step_name": definition.name, "retryable": definition.retry.retryable,
                            "max_attempts": max_attempts, "in_process": true, "processed": false,
                            "processed_at": null, "attempts": attempt, "last_attempted_at": null,
                            "backoff_request_seconds": null, "inputs": null, "results": null,
                            "checkpoint": null, "created_at": now, "updated_at": now,
                        },
                        "dependency_results": dependency_results,
                        "step_definition": definition,
                    }))
                    .expect("a TaskSequenceStep");
                    let handler = self.registry.get(&step).await.unwrap_or_else(|| {
                        panic!("no handler for {}", definition.handler.callable)
                    });
                    attempt += 1;
                    let result = handler
                        .call(&step)
                        .await
                        .expect("handlers report failures as results");
                    let again = !result.success
                        && result.metadata.retryable
                        && definition.retry.retryable
                        && attempt < max_attempts;
                    if !again {
                        break result;
                    }
                };
                run.attempts.insert(definition.name.clone(), attempt);
                if !result.success {
                    run.failed = Some((definition.name.clone(), result));
                    return run;
                }
                run.results.insert(definition.name.clone(), result.result);
                done.insert(definition.name.clone());
            }
        }
        run
    }
}

/// Every step `step` depends on, directly or not.
fn ancestors(template: &TaskTemplate, step: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo = vec![step.to_string()];
    while let Some(name) = todo.pop() {
        if let Some(definition) = template.steps.iter().find(|s| s.name == name) {
            for dependency in &definition.dependencies {
                if found.insert(dependency.clone()) {
                    todo.push(dependency.clone());
                }
            }
        }
    }
    found
}

/// A fault for `path`: `status` `count` times.
pub fn fault(path: &str, status: u16, count: u32, retry_after: Option<u32>) -> Fault {
    Fault {
        path: path.to_string(),
        status: Some(status),
        count: Some(count),
        seconds: None,
        retry_after,
        delay_ms: None,
    }
}

/// A short random suffix, so tests sharing a database do not collide.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &Uuid::new_v4().simple().to_string()[..10])
}
