//! The app's dashboard: its runs, one run's DAG and timeline, actions on a
//! run, a start-a-run form, and the engine's health, served as plain HTML
//! (every asset inline: it works offline) by the app's own process.
//!
//! `APP dev` always serves it, on 127.0.0.1 (`--dashboard-port`, printed in
//! the `ready:` line). Under `serve` and `orchestration` it is off unless
//! the engine config's `[dashboard]` table says `enabled = true` (and where:
//! `bind_address`). When the engine's API requires authentication, so does
//! the dashboard ([`routes`]: a sign-in page takes a token, the engine
//! checks it, the browser gets a random session cookie, the token stays in
//! the process) and it passes the token on to every action (a JWT as a
//! Bearer token, anything else in the engine's API-key header).
//!
//! Reads come from the engine's tables ([`queries`], read-only); changes go
//! through the engine's REST API ([`actions`]). Pages are rendered by hand
//! ([`html`]: one escaping rule) and kept live over server-sent events
//! ([`live`]).

pub mod actions;
mod assets;
pub mod dag;
pub mod form;
pub mod health;
pub mod html;
mod live;
pub mod mask;
pub mod queries;
pub mod routes;
pub mod run_page;
pub mod runs_page;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use serde::Deserialize;
use sqlx::PgPool;
use tokio::sync::oneshot;

use crate::settings::Settings;

/// The dashboard's port under `dev` unless `--dashboard-port` says otherwise.
pub const DEV_PORT: u16 = 8082;

/// The `[dashboard]` table of the engine config (the engine ignores it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardConfig {
    /// Serve the dashboard under `serve` and `orchestration`.
    #[serde(default)]
    pub enabled: bool,
    /// Where; loopback unless you mean to expose it.
    #[serde(default = "default_bind")]
    pub bind_address: String,
}

fn default_bind() -> String {
    format!("127.0.0.1:{DEV_PORT}")
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            enabled: false,
            bind_address: default_bind(),
        }
    }
}

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    dashboard: Option<DashboardConfig>,
}

impl DashboardConfig {
    /// The `[dashboard]` table of `text` (a config file's contents); absent: off.
    pub fn parse(text: &str) -> Result<DashboardConfig> {
        let file: ConfigFile = toml::from_str(text)?;
        Ok(file.dashboard.unwrap_or_default())
    }

    /// The `[dashboard]` table of the config file at `path`.
    pub fn load(path: &Path) -> Result<DashboardConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?;
        DashboardConfig::parse(&text)
            .with_context(|| format!("the [dashboard] table of {} is not valid", path.display()))
    }

    /// The bind address, checked.
    pub fn addr(&self) -> Result<SocketAddr> {
        self.bind_address.parse().with_context(|| {
            format!(
                "[dashboard] bind_address `{}` is not an address and port (e.g. 127.0.0.1:{DEV_PORT})",
                crate::shown::value(&self.bind_address)
            )
        })
    }
}

/// Everything a request needs.
pub(crate) struct Inner {
    pub app: &'static str,
    pub db: PgPool,
    pub engine: actions::Engine,
    pub worker_url: Option<String>,
    pub template_path: PathBuf,
    /// The engine's API requires a token; so does the dashboard.
    pub auth: bool,
    /// Signed-in browsers: a random session id (the cookie) -> the token
    /// the engine accepted (never sent back to the browser).
    pub sessions: Mutex<HashMap<String, String>>,
    /// What the last actions did, shown once on the page they lead to.
    pub notices: Mutex<VecDeque<(u64, &'static str, String)>>,
    pub next_notice: AtomicU64,
}

pub(crate) type State = Arc<Inner>;

/// The running dashboard.
pub struct Dashboard {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Dashboard {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Bind `addr` and serve the dashboard of the app `settings` describe.
    pub async fn start(settings: &Settings, addr: SocketAddr) -> Result<Dashboard> {
        let url = settings.require_database_url()?;
        let db = crate::db::pool(url, 4).await?;
        let config =
            tasker_shared::config::ConfigLoader::load_from_path(&settings.config_path).ok();
        let auth_config = config
            .as_ref()
            .and_then(|c| c.orchestration.as_ref())
            .and_then(|o| o.web.as_ref())
            .and_then(|w| w.auth.as_ref())
            .filter(|a| a.enabled);
        let auth = auth_config.is_some();
        let api_key_header = auth_config
            .map(|a| a.api_key_header.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "X-API-Key".to_string());
        let worker_url = config
            .as_ref()
            .and_then(|c| c.worker.as_ref())
            .and_then(|w| w.web.as_ref())
            .filter(|w| w.enabled)
            .map(|w| format!("http://{}", w.bind_address.replace("0.0.0.0", "127.0.0.1")));
        let engine = actions::Engine::new(
            crate::commands::run::orchestration_url(settings, None),
            api_key_header,
        )?;
        let state = Arc::new(Inner {
            app: settings.package.name,
            db,
            engine,
            worker_url,
            template_path: settings.template_path.clone(),
            auth,
            sessions: Mutex::new(HashMap::new()),
            notices: Mutex::new(VecDeque::new()),
            next_notice: AtomicU64::new(1),
        });
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!(
                "the dashboard cannot listen on {addr}: is another program using the port? \
                 Pick another with --dashboard-port (0: any free port) or [dashboard] bind_address"
            )
        })?;
        let addr = listener.local_addr().context("the dashboard's address")?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = routes::router(state);
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::warn!("the dashboard stopped with an error: {e}");
            }
        });
        Ok(Dashboard { addr, stop, task })
    }

    /// Stop serving (open event streams are dropped).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Under `serve`/`orchestration`: the dashboard when the config enables it.
pub async fn start_if_enabled(settings: &Settings) -> Result<Option<Dashboard>> {
    let config = DashboardConfig::load(&settings.config_path)?;
    if !config.enabled {
        return Ok(None);
    }
    let dashboard = Dashboard::start(settings, config.addr()?).await?;
    eprintln!("dashboard on {}", dashboard.url());
    Ok(Some(dashboard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_is_off_unless_the_config_enables_it() {
        let off = DashboardConfig::parse("[common]\nx = 1\n").unwrap();
        assert_eq!(off, DashboardConfig::default());
        assert!(!off.enabled);
        let on = DashboardConfig::parse(
            "[dashboard]\nenabled = true\nbind_address = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        assert!(on.enabled);
        assert_eq!(on.addr().unwrap().port(), 9000);
        let bad = DashboardConfig::parse("[dashboard]\nenabeld = true\n").unwrap_err();
        assert!(format!("{bad:#}").contains("enabeld"), "{bad:#}");
        let addr = DashboardConfig {
            enabled: true,
            bind_address: "localhost".into(),
        }
        .addr();
        assert!(format!("{:#}", addr.unwrap_err()).contains("127.0.0.1:8082"));
    }
}
