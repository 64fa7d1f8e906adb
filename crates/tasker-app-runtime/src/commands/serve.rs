//! `APP serve`: orchestration and a worker in one process, the simplest way to
//! run the app. Stops both cleanly on Ctrl-C or SIGTERM.

use anyhow::Result;

use crate::settings::Settings;
use crate::step::Registry;

pub async fn execute(settings: &Settings, registry: Registry) -> Result<()> {
    let orchestration = super::orchestration::start(settings).await?;
    let worker = match super::worker::start(settings, &registry).await {
        Ok(worker) => worker,
        Err(e) => {
            super::orchestration::stop(orchestration).await;
            return Err(e);
        }
    };
    // The dashboard only when the config enables it ([dashboard] enabled).
    let dashboard = match crate::dashboard::start_if_enabled(settings).await {
        Ok(dashboard) => dashboard,
        Err(e) => {
            worker.stop().await;
            super::orchestration::stop(orchestration).await;
            return Err(e);
        }
    };
    eprintln!(
        "{} serving: orchestration and worker running; press Ctrl-C to stop",
        settings.package.name
    );

    super::shutdown_signal().await;

    if let Some(dashboard) = dashboard {
        dashboard.stop().await;
    }

    // Stop taking new steps first, then let orchestration wind down.
    worker.stop().await;
    super::orchestration::stop(orchestration).await;
    tasker_shared::logging::shutdown_telemetry();
    eprintln!("stopped");
    Ok(())
}
