//! One module per subcommand of the app's binary (see `main.rs`), plus the
//! shutdown signal the long-running ones share.

pub mod bench;
pub mod check;
pub mod dev;
pub mod fake_api;
pub mod migrate;
pub mod orchestration;
pub mod prune;
pub mod run;
pub mod serve;
pub mod worker;

/// A usage error: a bad value, an unknown workflow, input that does not fit.
/// `App::main` exits 2 for it (1 for any other failure), wherever in the
/// error's chain it sits.
#[derive(Debug)]
pub struct Usage(pub anyhow::Error);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Usage {}

/// `error` marked as a usage error (exit 2).
pub fn usage(error: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(Usage(error))
}

/// The exit code of a failed command: 2 for a usage error, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|e| e.is::<Usage>()) {
        2
    } else {
        1
    }
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
