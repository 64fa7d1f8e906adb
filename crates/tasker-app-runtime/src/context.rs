//! What every step gets: a pool on the app's own database and a client for the
//! external API.
//!
//! Built once per worker process and shared by all steps (`Step::run` gets `&AppContext`).

use std::time::Duration;

use anyhow::{Context, Result};

use crate::api::ApiClient;

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
    /// The external API at `api_base_url`, on `http`.
    pub api: ApiClient,
}

impl AppContext {
    /// Connect to the database and build the HTTP client.
    pub async fn connect(database_url: &str, api_base_url: &str) -> Result<AppContext> {
        let db = crate::db::pool(database_url, 10).await?;
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
        let api_base_url = api_base_url.trim_end_matches('/').to_string();
        Ok(AppContext {
            api: ApiClient::new(http.clone(), &api_base_url),
            api_base_url,
            db,
            http,
        })
    }
}
