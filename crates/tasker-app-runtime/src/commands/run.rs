//! `APP run <namespace>/<task> --context JSON [--wait] [--timeout SECS]`
//!
//! Checks the context against the workflow's `input_schema` (the engine does
//! not), creates the task through the orchestration REST API and prints its
//! UUID on stdout. With `--wait` it follows the task, printing every step's
//! state changes on stderr, and exits 0 only when the task completed.
//!
//! When the answer to the create is lost (the server died mid-request), the
//! engine's tables are asked whether the task exists (`create`, `lookup`):
//! `run` then shows it, says it was not created, or says it may exist and
//! which retry is safe (`--idempotency-key RUN_ID`). Nothing `run` prints
//! shows a URL's password or a raw control character (`crate::shown`).
//!
//! Exit codes: 0 done (completed, or created without `--wait`; also a repeat
//! of an `--idempotency-key` whose task exists); 1 the task failed: it ended
//! in `error`, or a step failed for good so the engine parked the task in
//! `blocked_by_failures` (the failed step and its error are named), or the
//! API could not be reached, or whether the task exists is unknown (the
//! message says so); 2 bad input (unknown workflow, context that is not JSON
//! or does not fit the input schema, a bad orchestration URL); 3 still
//! running when `--timeout` ran out.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use serde_json::Value;
use tasker_client::{OrchestrationApiClient, OrchestrationApiConfig};
use tasker_shared::config::ConfigLoader;
use tasker_shared::models::core::task_request::TaskRequest;
use tasker_shared::types::api::orchestration::{StepResponse, TaskResponse};
use tracing::Instrument;

use crate::settings::Settings;
use crate::workflows::{self, Workflow};
use create::{Created, Failure};

pub mod create;
pub mod lookup;

/// Context key carrying the run id (see `run`); handlers ignore it.
pub(crate) const RUN_ID_KEY: &str = "_run_id";
/// How often `--wait` asks for the task's state.
const POLL_INTERVAL: Duration = Duration::from_millis(400);
/// How often `--wait` asks during a task's first seconds, when most tasks end:
/// a 400 ms poll alone added 200 ms to the average wait (the issue measured a
/// client p50 of 0.54 s for a 0.43 s task).
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How long `--wait` polls at [`FIRST_POLL_INTERVAL`].
const FIRST_POLLS_FOR: Duration = Duration::from_secs(5);
/// How long `--wait` tolerates the orchestration API being unreachable.
const UNREACHABLE_GRACE: Duration = Duration::from_secs(15);

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workflow, as `namespace/task` (e.g. `ecommerce/order_processing`).
    pub workflow: String,
    /// The task's input, as JSON (or `@file.json` to read it from a file).
    #[arg(long, short, default_value = "{}")]
    pub context: String,
    /// Follow the task to its end; exit 0 only if it completed.
    #[arg(long, short)]
    pub wait: bool,
    /// With --wait: give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Use KEY as the run id: a `run` with the same key and context creates
    /// nothing and shows the task the first one created (another context is
    /// refused). Without it, every `run` creates a new task.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// The orchestration API (default: from the engine config, else http://127.0.0.1:8080).
    #[arg(long, env = "TASKER_ORCHESTRATION_URL")]
    pub orchestration_url: Option<String>,
}

/// A failure that maps to a specific exit code.
struct Exit(u8, anyhow::Error);

pub async fn execute(settings: &Settings, args: RunArgs) -> Result<ExitCode> {
    // The task's root span: its steps' spans are its children (see `trace`).
    let root = tracing::info_span!(
        "task",
        otel.name = %format!("task {}", args.workflow),
        workflow = %args.workflow,
    );
    let outcome = run(settings, &args, &root).instrument(root.clone()).await;
    drop(root);
    tasker_shared::logging::shutdown_telemetry();
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Exit(code, error)) => {
            eprintln!("error: {}", crate::shown::error(&error));
            Ok(ExitCode::from(code))
        }
    }
}

async fn run(settings: &Settings, args: &RunArgs, root: &tracing::Span) -> Result<(), Exit> {
    let bad_input = |e: anyhow::Error| Exit(2, e);
    let (namespace, name) = args.workflow.split_once('/').ok_or_else(|| {
        bad_input(anyhow!(
            "`{}` is not a workflow name; write it as namespace/task, e.g. ecommerce/order_processing",
            crate::shown::value(&args.workflow)
        ))
    })?;
    let workflow = workflows::find(&settings.template_path, namespace, name).map_err(bad_input)?;
    let mut context = read_context(&args.context).map_err(bad_input)?;
    check_context(&workflow, &context).map_err(bad_input)?;
    // The engine (0.1.8) refuses a task whose context equals an earlier task's,
    // whatever the idempotency key says; a run id in the context makes each
    // `run` a new task, and a given key a repeatable one.
    let run_id = args
        .idempotency_key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    if let Value::Object(map) = &mut context {
        map.insert(RUN_ID_KEY.to_string(), Value::String(run_id.clone()));
    }
    crate::trace::inject(root, &mut context);

    let base_url = orchestration_url(settings, args.orchestration_url.as_deref());
    let shown_url = crate::shown::url(&base_url);
    let client = OrchestrationApiClient::new(OrchestrationApiConfig {
        base_url: base_url.clone(),
        timeout_ms: 15_000,
        max_retries: 2,
        auth: None,
    })
    .map_err(|e| Exit(2, anyhow!("bad orchestration URL {shown_url}: {e}")))?;

    let request = TaskRequest::new(name.to_string(), namespace.to_string())
        .with_version(workflow.template.version.clone())
        .with_context(context)
        .with_initiator(std::env::var("USER").unwrap_or_else(|_| "cli".to_string()))
        .with_source_system(settings.package.name.to_string())
        .with_reason(format!("{} run {}", settings.package.name, args.workflow))
        .with_idempotency_key(run_id.clone());
    // The run id as correlation id too: an indexed way to find the task
    // when the answer to its create is lost (see `lookup`).
    let request = match uuid::Uuid::parse_str(&run_id) {
        Ok(id) => request.with_correlation_id(id),
        Err(_) => request,
    };
    let http = reqwest::Client::builder()
        .timeout(create::REQUEST_TIMEOUT)
        .build()
        .map_err(|e| Exit(1, anyhow!("could not build the HTTP client: {e}")))?;
    let sources = lookup::Sources {
        http: &http,
        base_url: &base_url,
        database_url: settings.database_url.as_deref(),
    };
    let options = create::Options {
        unreachable_patience: create::UNREACHABLE_PATIENCE,
        key_from_user: args.idempotency_key.is_some(),
    };
    let created = create::create(&sources, &request, &args.workflow, &options)
        .await
        .map_err(|failure| Exit(1, failure_message(failure, &shown_url, &run_id, settings)))?;
    let repeat = matches!(created, Created::Repeat(_));
    let created = match created {
        Created::New(task) => *task,
        Created::AnswerLost(existing) | Created::Repeat(existing) => {
            let how = if args.idempotency_key.is_some() {
                "idempotency key"
            } else {
                "run id"
            };
            eprintln!(
                "{}",
                crate::shown::message(&format!(
                    "task {} exists ({} with {how} {}): {}; nothing new was created",
                    existing.task_uuid,
                    args.workflow,
                    run_id,
                    if repeat {
                        "an earlier run created it"
                    } else {
                        "the answer to the create was lost, but the task was created"
                    }
                ))
            );
            println!("{}", existing.task_uuid);
            if !args.wait {
                return Ok(());
            }
            client.get_task(existing.task_uuid).await.map_err(|e| {
                Exit(
                    1,
                    anyhow!(
                        "could not read task {} at {shown_url}: {e}",
                        existing.task_uuid
                    ),
                )
            })?
        }
    };
    println!("{}", created.task_uuid);
    eprintln!(
        "created task {} ({} v{}, {} steps)",
        created.task_uuid, args.workflow, workflow.template.version, created.total_steps
    );
    if !args.wait {
        return Ok(());
    }
    follow(
        &client,
        &workflow,
        &created,
        Duration::from_secs(args.timeout),
        &shown_url,
    )
    .await
}

/// What `run` says when it has no task to show: whether one exists, as far
/// as the engine can tell, and what a retry does.
fn failure_message(
    failure: Failure,
    shown_url: &str,
    run_id: &str,
    settings: &Settings,
) -> anyhow::Error {
    let app = settings.package.name;
    let retry = format!(
        "running the same command again with `--idempotency-key {}` is safe: \
         it creates the task only if it does not exist, and shows it if it does",
        crate::shown::value(run_id)
    );
    match failure {
        Failure::Refused(message) => {
            let hint = if message.starts_with("HTTP 409") {
                "\na task with this --idempotency-key exists already".to_string()
            } else if message.starts_with("HTTP ") {
                String::new()
            } else {
                format!("\nis the app serving? start it with `{app} serve`")
            };
            anyhow!("could not create the task at {shown_url}: {message}{hint}")
        }
        Failure::KeyTaken(existing) => anyhow!(
            "the idempotency key {} belongs to task {}, created with another context; \
             nothing was created. Use another key for another task",
            crate::shown::value(run_id),
            existing.task_uuid
        ),
        Failure::NotCreated(message) => anyhow!(
            "could not create the task at {shown_url}: {message}\n\
             the request went out but its answer was lost; the engine's tables have no task \
             with run id {}: it was not created.\n{retry}",
            crate::shown::value(run_id)
        ),
        Failure::Unknown { message, why } => anyhow!(
            "the request to create the task went out to {shown_url} but its answer was lost \
             ({message}): the task MAY EXIST, and it could not be checked ({why}).\n\
             Do not run it again without the key: {retry}"
        ),
    }
}

/// `--context`: JSON, or `@path` to read it from a file. A parse error says
/// where (file, line, column) and what, never the text itself: a context
/// file can be megabytes, and hold secrets.
pub fn read_context(raw: &str) -> Result<Value> {
    match raw.strip_prefix('@') {
        Some(path) => {
            let shown = crate::shown::value(path);
            let text = std::fs::read_to_string(PathBuf::from(path)).with_context(|| {
                format!("could not read the context file {shown} (--context @FILE reads a JSON file)")
            })?;
            parse_context(&text).with_context(|| {
                format!("the context file {shown} is not valid JSON; fix the file there (`jq . {shown}` shows the same place)")
            })
        }
        None => parse_context(raw).context(
            "--context is not valid JSON; quote it for the shell, e.g. --context '{\"cart_id\": 1}', or pass --context @file.json",
        ),
    }
}

/// `text` as JSON; the error names the line, column and kind of mistake only.
pub fn parse_context(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => {
                "the JSON ends too early (an unclosed brace, bracket or string)"
            }
            serde_json::error::Category::Syntax => "a syntax error",
            serde_json::error::Category::Data => "a value of the wrong kind",
            serde_json::error::Category::Io => "a read error",
        };
        anyhow!("{what} at line {}, column {}", e.line(), e.column())
    })
}

pub(crate) fn check_context(workflow: &Workflow, context: &Value) -> Result<()> {
    let Some(schema) = workflow.template.input_schema.as_ref() else {
        return Ok(());
    };
    let problems = crate::context_check::violations(schema, context);
    if problems.is_empty() {
        return Ok(());
    }
    Err(anyhow!(
        "the context does not fit the input schema of {} ({}):\n  {}\nnothing was created",
        workflow.full_name(),
        workflow.path.display(),
        problems.join("\n  ")
    ))
}

/// `--orchestration-url`, else the engine config's bind address, else the default.
pub(crate) fn orchestration_url(settings: &Settings, flag: Option<&str>) -> String {
    if let Some(url) = flag {
        return url.trim_end_matches('/').to_string();
    }
    let bind = ConfigLoader::load_from_path(&settings.config_path)
        .ok()
        .and_then(|config| config.orchestration)
        .and_then(|o| o.web)
        .map(|web| web.bind_address);
    match bind {
        Some(addr) => format!("http://{}", addr.replace("0.0.0.0", "127.0.0.1")),
        None => "http://127.0.0.1:8080".to_string(),
    }
}

/// Poll the task until it ends, printing step state changes as they happen.
async fn follow(
    client: &OrchestrationApiClient,
    workflow: &Workflow,
    created: &TaskResponse,
    timeout: Duration,
    base_url: &str,
) -> Result<(), Exit> {
    let task_uuid = uuid::Uuid::parse_str(&created.task_uuid)
        .map_err(|e| Exit(1, anyhow!("the API returned a bad task UUID: {e}")))?;
    let started = Instant::now();
    let order: HashMap<&str, usize> = workflow
        .template
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| (step.name.as_str(), i))
        .collect();
    let width = order.keys().map(|name| name.len()).max().unwrap_or(10);
    let mut seen: HashMap<String, (String, i32)> = HashMap::new();
    let mut last_status = String::new();
    let mut unreachable_since: Option<Instant> = None;
    let mut blocked_polls = 0;

    loop {
        let polled = tokio::try_join!(
            client.get_task(task_uuid),
            client.list_task_steps(task_uuid)
        );
        let (task, mut steps) = match polled {
            Ok(found) => {
                unreachable_since = None;
                found
            }
            Err(e) => {
                let since = *unreachable_since.get_or_insert_with(Instant::now);
                if since.elapsed() > UNREACHABLE_GRACE {
                    return Err(Exit(
                        1,
                        anyhow!(
                            "lost the orchestration API at {base_url}: {e}; task {task_uuid} is not followed any more, not stopped"
                        ),
                    ));
                }
                tokio::time::sleep(POLL_INTERVAL).await;
                continue;
            }
        };
        steps.sort_by_key(|s| order.get(s.name.as_str()).copied().unwrap_or(usize::MAX));

        let elapsed = started.elapsed().as_secs_f64();
        if task.status != last_status {
            eprintln!("  {elapsed:>6.1}s  {:<width$}  {}", "(task)", task.status);
            last_status.clone_from(&task.status);
        }
        for step in &steps {
            let now = (step.current_state.clone(), step.attempts);
            if seen.get(&step.step_uuid) != Some(&now) {
                eprintln!(
                    "  {elapsed:>6.1}s  {:<width$}  {}",
                    step.name,
                    describe_step(step)
                );
                seen.insert(step.step_uuid.clone(), now);
            }
        }

        // A step in `error` has failed for good (retryable failures wait in
        // `waiting_for_retry`); the engine then parks the task in
        // `blocked_by_failures`. Seen on two polls in a row, that is the end.
        let blocked = task.status == "blocked_by_failures"
            || steps.iter().any(|s| s.current_state == "error");
        blocked_polls = if blocked { blocked_polls + 1 } else { 0 };
        if blocked_polls >= 2 {
            return Err(Exit(1, failure_report(&task, &steps)));
        }

        match task.status.as_str() {
            "complete" | "completed" => {
                eprintln!(
                    "task {} completed in {:.1}s ({}/{} steps)",
                    task.task_uuid, elapsed, task.completed_steps, task.total_steps
                );
                return Ok(());
            }
            "error" | "failed" | "cancelled" | "resolved_manually" => {
                return Err(Exit(1, failure_report(&task, &steps)));
            }
            _ => {}
        }
        if started.elapsed() >= timeout {
            return Err(Exit(
                3,
                anyhow!(
                    "timed out after {}s; task {} is still `{}` and keeps running. \
                     Follow it at {base_url}/v1/tasks/{}",
                    timeout.as_secs(),
                    task.task_uuid,
                    task.status,
                    task.task_uuid
                ),
            ));
        }
        let interval = if started.elapsed() < FIRST_POLLS_FOR {
            FIRST_POLL_INTERVAL
        } else {
            POLL_INTERVAL
        };
        tokio::time::sleep(interval).await;
    }
}

fn describe_step(step: &StepResponse) -> String {
    let attempts = if step.attempts > 0 {
        format!(" (attempt {} of {})", step.attempts, step.max_attempts)
    } else {
        String::new()
    };
    match step.current_state.as_str() {
        "error" | "waiting_for_retry" => match step_error(step) {
            Some(message) => format!("{}{attempts}: {message}", step.current_state),
            None => format!("{}{attempts}", step.current_state),
        },
        state => format!("{state}{attempts}"),
    }
}

/// Which steps failed and why, for a task that ended without completing.
fn failure_report(task: &TaskResponse, steps: &[StepResponse]) -> anyhow::Error {
    let failed: Vec<String> = steps
        .iter()
        .filter(|s| s.current_state == "error")
        .map(|s| {
            format!(
                "step `{}` failed after {} attempt(s): {}",
                s.name,
                s.attempts,
                step_error(s).unwrap_or_else(|| "no error message recorded".to_string())
            )
        })
        .collect();
    if failed.is_empty() {
        anyhow!("task {} ended as `{}`", task.task_uuid, task.status)
    } else {
        anyhow!(
            "task {} failed ({}):\n  {}",
            task.task_uuid,
            task.status,
            failed.join("\n  ")
        )
    }
}

/// The error message recorded in a step's results, wherever the result shape put it.
fn step_error(step: &StepResponse) -> Option<String> {
    step.results
        .as_ref()
        .and_then(|results| find_error(results, 0))
}

fn find_error(value: &Value, depth: usize) -> Option<String> {
    if depth > 4 {
        return None;
    }
    let map = value.as_object()?;
    for key in ["error", "error_message", "message"] {
        match map.get(key) {
            Some(Value::String(text)) if !text.is_empty() => return Some(text.clone()),
            Some(nested @ Value::Object(_)) => {
                if let Some(found) = find_error(nested, depth + 1) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    map.values()
        .filter(|v| v.is_object())
        .find_map(|v| find_error(v, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_are_found_in_the_usual_result_shapes() {
        let shapes = [
            json!({"error": {"message": "cart 99 not found", "retryable": false}}),
            json!({"success": false, "result": {"error_message": "cart 99 not found"}}),
            json!({"error": "cart 99 not found"}),
        ];
        for shape in shapes {
            assert_eq!(find_error(&shape, 0).as_deref(), Some("cart 99 not found"));
        }
        assert_eq!(find_error(&json!({"total": 3}), 0), None);
    }
}
