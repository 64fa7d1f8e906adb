//! `APP dev`: everything a developer needs, in one process. It prepares the
//! database when something is pending (as `migrate` would), then starts the
//! fake API, orchestration, a worker and the dashboard (on 127.0.0.1), prints
//! one `ready` line with the URLs, and on Ctrl-C (or SIGTERM) stops all of
//! them and frees their ports.

use std::net::{IpAddr, SocketAddr};

use anyhow::{Context, Result};
use tokio::sync::oneshot;

use crate::settings::Settings;
use crate::step::Registry;

/// The flag of `dev` that sets the fake API's port (named in its errors).
pub const PORT_FLAG: &str = "--fake-api-port";

pub async fn execute(
    settings: &Settings,
    registry: Registry,
    fake_api: Option<SocketAddr>,
    dashboard: Option<SocketAddr>,
) -> Result<()> {
    settings.require_database_url()?;
    settings.require_engine_files()?;
    super::migrate::execute(settings).await?;

    // The fake API first: its port is the one most likely to be taken, and
    // nothing else has started yet if it is.
    let fake = match fake_api {
        Some(addr) => Some(FakeApi::start(addr).await?),
        None => None,
    };
    let orchestration = super::orchestration::start(settings).await?;
    let worker = match super::worker::start(settings, &registry).await {
        Ok(worker) => worker,
        Err(e) => {
            super::orchestration::stop(orchestration).await;
            if let Some(fake) = fake {
                fake.stop().await;
            }
            return Err(e);
        }
    };

    let dashboard = match dashboard {
        Some(addr) => match crate::dashboard::Dashboard::start(settings, addr).await {
            Ok(d) => Some(d),
            Err(e) => {
                worker.stop().await;
                super::orchestration::stop(orchestration).await;
                if let Some(fake) = fake {
                    fake.stop().await;
                }
                return Err(e);
            }
        },
        None => None,
    };

    let api = orchestration
        .handle
        .tasker_config
        .orchestration
        .as_ref()
        .and_then(|o| o.web.as_ref())
        .filter(|web| web.enabled)
        .map_or_else(
            || "disabled".to_string(),
            |web| format!("http://{}", web.bind_address),
        );
    let fake_line = fake
        .as_ref()
        .map_or_else(|| "off".to_string(), |f| format!("http://{}", f.addr));
    let api = crate::shown::url(&api);
    let dashboard_line = dashboard
        .as_ref()
        .map_or_else(|| "off".to_string(), |d| d.url());
    eprintln!(
        "ready: dashboard {dashboard_line} · API {api} · fake-api {fake_line} · handlers call {} · Ctrl-C stops",
        crate::shown::url(&settings.api_base_url)
    );

    super::shutdown_signal().await;

    if let Some(dashboard) = dashboard {
        dashboard.stop().await;
    }
    worker.stop().await;
    super::orchestration::stop(orchestration).await;
    if let Some(fake) = fake {
        fake.stop().await;
    }
    tasker_shared::logging::shutdown_telemetry();
    eprintln!("stopped");
    Ok(())
}

/// The fake API running as a task of this process.
struct FakeApi {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl FakeApi {
    async fn start(addr: SocketAddr) -> Result<FakeApi> {
        let listener = crate::fake_api::bind(addr, PORT_FLAG).await?;
        let addr = listener.local_addr().context("the fake API's address")?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(crate::fake_api::serve_on(listener, async {
            let _ = stopped.await;
        }));
        Ok(FakeApi { addr, stop, task })
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("the fake API stopped with an error: {e:#}"),
            Err(e) => tracing::warn!("the fake API task failed: {e}"),
        }
    }
}

/// `--fake-api-port 0` picks a free port; `--no-fake-api` turns it off.
pub fn fake_api_addr(host: IpAddr, port: u16, off: bool) -> Option<SocketAddr> {
    (!off).then(|| SocketAddr::new(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: `dev` suggested `--port`, a flag only `fake-api` has.
    #[tokio::test]
    async fn a_taken_port_names_the_flag_dev_has() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = FakeApi::start(taken.local_addr().unwrap())
            .await
            .err()
            .expect("the port is taken");
        let err = format!("{err:#}");
        assert!(err.contains("--fake-api-port"), "{err}");
        assert!(!err.contains("--port "), "{err}");
        assert!(
            crate::app::has_flag("dev", &PORT_FLAG[2..]),
            "`dev` has no {PORT_FLAG}"
        );
    }
}
