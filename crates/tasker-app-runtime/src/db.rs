//! Opening the app's own connection pools (the engine opens its own from its
//! config): one way to do it, and one way to say why it failed, with the
//! password hidden.

use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::settings::redact;

/// A pool of at most `max_connections` to `url`; gives up after 10 s.
pub async fn pool(url: &str, max_connections: u32) -> Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .with_context(|| {
            format!(
                "could not connect to the database at {} (is PostgreSQL running, and is DATABASE_URL right?)",
                redact(url)
            )
        })
}

/// `queue` when it is a plain identifier (letters, digits, `_`), so that
/// pgmq's tables for it (`q_<queue>`, `a_<queue>`) can be named in SQL.
pub fn plain_queue_name(queue: &str) -> Result<&str> {
    anyhow::ensure!(
        !queue.is_empty() && queue.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "unexpected queue name `{queue}`"
    );
    Ok(queue)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_failed_connection_names_the_database_not_the_password() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("postgresql://app:hunter22@{closed}/shop");
        let err = format!("{:#}", super::pool(&url, 1).await.unwrap_err());
        assert!(err.contains(&format!("app:****@{closed}/shop")), "{err}");
        assert!(
            err.contains("is PostgreSQL running") && !err.contains("hunter22"),
            "{err}"
        );
    }
}
