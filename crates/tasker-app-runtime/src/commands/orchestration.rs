//! `APP orchestration`: the engine's orchestration core and its REST API
//! (`/health`, `/metrics`, `/v1/tasks`; 127.0.0.1:8080 unless the config says
//! otherwise), without a worker. Run one or more `APP worker` beside it, and
//! one orchestration per database (a second one is warned about:
//! [`crate::sole_orchestration`]).
//! Beside the engine runs this app's sweep for tasks the engine left behind
//! ([`crate::lost_tasks`]).

use anyhow::{Result, anyhow};
use tasker_orchestration::orchestration::bootstrap::{
    OrchestrationBootstrap, OrchestrationSystemHandle,
};

use crate::settings::Settings;
use crate::sole_orchestration::Sole;

/// The running orchestration: the engine's, the lost-task sweep and the lock
/// that makes it the database's one orchestration ([`crate::sole_orchestration`]).
pub struct Orchestration {
    pub handle: OrchestrationSystemHandle,
    sweep: tokio::task::JoinHandle<()>,
    sole: Option<tokio::task::JoinHandle<()>>,
}

/// Start the orchestration system; it runs until [`stop`] is called.
pub async fn start(settings: &Settings) -> Result<Orchestration> {
    let url = settings.require_database_url()?;
    settings.require_engine_files()?;
    let sweep_db = crate::db::pool(url, 1).await?;
    let sole = match crate::sole_orchestration::hold(&sweep_db).await? {
        Sole::Alone(lock) => Some(lock),
        Sole::Another => {
            tracing::warn!("{}", crate::sole_orchestration::ANOTHER);
            None
        }
    };
    tracing::info!(
        environment = %settings.environment,
        config = %settings.config_path.display(),
        templates = %settings.template_path.display(),
        "starting orchestration"
    );
    let handle = OrchestrationBootstrap::bootstrap()
        .await
        .map_err(|e| anyhow!("orchestration failed to start: {e}"))?;
    match handle
        .tasker_config
        .orchestration
        .as_ref()
        .and_then(|o| o.web.as_ref())
        .filter(|web| web.enabled)
    {
        Some(web) => tracing::info!(
            "orchestration API on http://{} (/health, /metrics, /v1/tasks)",
            web.bind_address
        ),
        None => tracing::info!("orchestration running; its REST API is disabled in the config"),
    }
    tracing::info!(
        lost_after_s = crate::lost_tasks::LOST_AFTER.as_secs(),
        "tasks left in an orchestration state longer than this are given back to the engine"
    );
    Ok(Orchestration {
        handle,
        sweep: tokio::spawn(crate::lost_tasks::run(sweep_db)),
        sole,
    })
}

/// Stop the orchestration system, logging (not failing on) an unclean stop.
pub async fn stop(orchestration: Orchestration) {
    let Orchestration {
        mut handle,
        sweep,
        sole,
    } = orchestration;
    sweep.abort();
    if let Some(lock) = sole {
        lock.abort();
    }
    if let Err(e) = handle.stop().await {
        tracing::warn!("orchestration did not stop cleanly: {e}");
    }
}

pub async fn execute(settings: &Settings) -> Result<()> {
    let handle = start(settings).await?;
    // The dashboard only when the config enables it ([dashboard] enabled).
    let dashboard = match crate::dashboard::start_if_enabled(settings).await {
        Ok(dashboard) => dashboard,
        Err(e) => {
            stop(handle).await;
            return Err(e);
        }
    };
    eprintln!("orchestration running; press Ctrl-C to stop");
    super::shutdown_signal().await;
    if let Some(dashboard) = dashboard {
        dashboard.stop().await;
    }
    stop(handle).await;
    tasker_shared::logging::shutdown_telemetry();
    Ok(())
}
