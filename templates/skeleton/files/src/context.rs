//! What every step handler gets: the external API's address, a pool on the
//! app's own database, and one shared HTTP client.
//!
//! Built once per worker process and shared (`Arc<AppContext>`) by all handlers.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::postgres::PgPoolOptions;

/// Shared resources for the step handlers.
#[derive(Debug, Clone)]
pub struct AppContext {
    /// Base URL of the external API, without a trailing slash
    /// (`API_BASE_URL`, else the value chosen at generation time).
    pub api_base_url: String,
    /// Pool on the app's database (the same database the engine uses; the
    /// app's objects live in schema `app`).
    pub db: sqlx::PgPool,
    /// HTTP client with connect and request timeouts; clone it freely.
    pub http: reqwest::Client,
}

impl AppContext {
    /// Connect to the database and build the HTTP client.
    pub async fn connect(database_url: &str, api_base_url: &str) -> Result<AppContext> {
        let db = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect(database_url)
            .await
            .with_context(|| {
                format!(
                    "could not connect to the app database at {}",
                    crate::config::redact(database_url)
                )
            })?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!(
                env!("CARGO_PKG_NAME"),
                "/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .context("could not build the HTTP client")?;
        Ok(AppContext {
            api_base_url: api_base_url.trim_end_matches('/').to_string(),
            db,
            http,
        })
    }
}
