//! `APP worker`: the engine's worker with this app's step handlers, without
//! orchestration (which must run elsewhere: `APP orchestration`). Its own REST
//! API (health, templates) listens on 127.0.0.1:8081 unless the config says
//! otherwise.
//!
//! The wiring: the engine's worker claims steps from the queues and hands
//! each one to a dispatch channel; `HandlerDispatchService` takes them off that
//! channel, looks up the handler by the step's `handler.callable` in
//! the app's `Registry` (src/handlers/mod.rs), runs it (bounded concurrency, timeout) and
//! sends the result back to the engine. Beside it, a sweeper gives steps lost
//! with a dead worker back to the engine for a retry (`crate::lost_steps`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use tasker_shared::config::tasker::TaskerConfig;
use tasker_worker::worker::handlers::{
    CapacityChecker, HandlerDispatchConfig, HandlerDispatchService, LoadSheddingConfig,
    StepHandlerRegistry,
};
use tasker_worker::{WorkerBootstrap, WorkerSystemHandle};
use tokio::task::JoinHandle;

use crate::context::AppContext;
use crate::lost_steps::{self, Sweeper};
use crate::settings::Settings;
use crate::step::Registry;
use crate::workflows;

/// How long in-flight handlers get to finish when the worker stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A started worker: the engine's handle plus the task running our handlers.
pub struct RunningWorker {
    handle: WorkerSystemHandle,
    dispatch: JoinHandle<()>,
    sweeper: JoinHandle<()>,
    capacity: CapacityChecker,
    /// Holds this worker's alive marker; let go last.
    marker: JoinHandle<()>,
}

impl RunningWorker {
    /// Stop claiming steps, let the handlers already running finish (up to
    /// [`DRAIN_TIMEOUT`]) so their results reach the engine, then stop.
    pub async fn stop(self) {
        let RunningWorker {
            mut handle,
            dispatch,
            sweeper,
            capacity,
            marker,
        } = self;
        sweeper.abort();
        if let Err(e) = handle.stop().await {
            tracing::warn!("worker did not stop cleanly: {e}");
        }
        let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
        loop {
            let (running, _, _) = capacity.get_usage();
            if running == 0 {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!("{running} step handler(s) still running; stopping anyway");
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // A finished handler releases its slot just before handing over its result.
        tokio::time::sleep(Duration::from_millis(200)).await;
        dispatch.abort();
        marker.abort();
    }
}

/// Start the worker and the handler dispatch for this app's step handlers.
pub async fn start(settings: &Settings, registry: &Registry) -> Result<RunningWorker> {
    let database_url = settings.require_database_url()?;
    settings.require_engine_files()?;
    tracing::info!(
        environment = %settings.environment,
        config = %settings.config_path.display(),
        templates = %settings.template_path.display(),
        "starting worker"
    );

    let templates = workflows::load_all(&settings.template_path)?;
    registry.check(&templates)?;
    // Alive, before anything can be claimed: a step this worker claims is
    // never taken for lost while the marker is held (crate::worker_marker).
    let marker_db = crate::db::pool(database_url, 2).await?;
    let (marker, marker_task) =
        crate::worker_marker::hold(&marker_db, &served_namespaces(&templates)).await?;
    let ctx = Arc::new(AppContext::connect(database_url, &settings.api_base_url).await?);
    let db = ctx.db.clone();
    let registry = registry.bind(ctx);

    let mut handle = WorkerBootstrap::bootstrap()
        .await
        .map_err(|e| anyhow!("worker failed to start: {e}"))?;
    let channels = handle
        .take_dispatch_handles()
        .context("the worker's dispatch channels were already taken")?;
    let config = dispatch_config(&handle.tasker_config, settings.package.name);
    tracing::info!(
        handlers = registry.registered_handlers().len(),
        max_concurrent = config.max_concurrent_handlers,
        timeout_ms = config.handler_timeout.as_millis() as u64,
        "step handlers registered"
    );
    let sweeper = Sweeper {
        db,
        namespaces: served_namespaces(&templates),
        lost_after: lost_steps::lost_after(config.handler_timeout),
        completions: channels.completion_sender.clone(),
        step_results_queue: handle
            .tasker_config
            .common
            .queues
            .orchestration_queues
            .step_results
            .clone(),
        marker: Some(marker),
    };
    tracing::info!(
        lost_after_s = sweeper.lost_after.as_secs(),
        namespaces = ?sweeper.namespaces,
        "steps in progress longer than this are taken for lost and retried"
    );
    let (service, capacity) = HandlerDispatchService::new(
        channels.dispatch_receiver,
        channels.completion_sender,
        registry,
        config,
    );
    let dispatch = tokio::spawn(service.run());
    let sweeper = tokio::spawn(sweeper.run());

    if let Some(web) = handle
        .tasker_config
        .worker
        .as_ref()
        .and_then(|w| w.web.as_ref())
        .filter(|web| web.enabled)
    {
        tracing::info!("worker API on http://{}", web.bind_address);
    }
    tracing::info!(
        "worker serving namespaces {:?}",
        handle.supported_namespaces().await
    );
    Ok(RunningWorker {
        handle,
        dispatch,
        sweeper,
        capacity,
        marker: marker_task,
    })
}

pub async fn execute(settings: &Settings, registry: Registry) -> Result<()> {
    let worker = start(settings, &registry).await?;
    eprintln!("worker running; press Ctrl-C to stop");
    super::shutdown_signal().await;
    worker.stop().await;
    tasker_shared::logging::shutdown_telemetry();
    Ok(())
}

/// The namespaces of this app's workflows (the ones its worker serves).
fn served_namespaces(templates: &[workflows::Workflow]) -> Vec<String> {
    let mut namespaces: Vec<String> = templates
        .iter()
        .map(|w| w.template.namespace_name.clone())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    namespaces
}

/// Handler concurrency and timeout from `[worker.mpsc_channels.handler_dispatch]`.
fn dispatch_config(config: &TaskerConfig, app_name: &str) -> HandlerDispatchConfig {
    let Some(worker) = config.worker.as_ref() else {
        return HandlerDispatchConfig::default();
    };
    let dispatch = &worker.mpsc_channels.handler_dispatch;
    HandlerDispatchConfig::with_load_shedding(
        dispatch.max_concurrent_handlers as usize,
        u64::from(dispatch.handler_timeout_ms),
        format!("{app_name}-handlers"),
        LoadSheddingConfig {
            enabled: dispatch.load_shedding.enabled,
            capacity_threshold_percent: dispatch.load_shedding.capacity_threshold_percent,
            warning_threshold_percent: dispatch.load_shedding.warning_threshold_percent,
        },
    )
}
