//! The built-in stand-in for the external API (`APP fake-api`): DummyJSON's
//! carts, products and users from a seed compiled into the binary, plus fault
//! injection (`faults.rs`) to show the workflows' retries offline.
//!
//! Endpoints (the shapes of <https://dummyjson.com/docs>):
//! `GET /products?limit=&skip=&select=`, `/products/search?q=`, `/products/{id}`,
//! `GET /carts?limit=&skip=`, `/carts/{id}`, `/carts/user/{id}`,
//! `GET /users?limit=&skip=&select=`, `/users/search?q=`, `/users/{id}`,
//! `POST /users/add`, `GET /test`, and `/__faults` (see `faults.rs`).

mod catalog;
pub mod faults;
mod routes;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use anyhow::Context;
use axum::Router;
use axum::routing::{get, post};

pub use catalog::Catalog;
use faults::Faults;

/// The fake API's state: its data and its armed faults.
#[derive(Clone)]
pub struct FakeApi {
    catalog: Arc<RwLock<Catalog>>,
    faults: Arc<Mutex<Faults>>,
}

impl FakeApi {
    pub fn new(catalog: Catalog) -> FakeApi {
        FakeApi {
            catalog: Arc::new(RwLock::new(catalog)),
            faults: Arc::new(Mutex::new(Faults::default())),
        }
    }

    fn catalog(&self) -> RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn catalog_mut(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// All routes, with fault injection in front of them.
pub fn router(api: FakeApi) -> Router {
    Router::new()
        .route("/test", get(routes::test))
        .route("/products", get(routes::products))
        .route("/products/search", get(routes::search_products))
        .route("/products/{id}", get(routes::product))
        .route("/carts", get(routes::carts))
        .route("/carts/user/{id}", get(routes::carts_of_user))
        .route("/carts/{id}", get(routes::cart))
        .route("/users", get(routes::users))
        .route("/users/search", get(routes::search_users))
        .route("/users/add", post(routes::add_user))
        .route("/users/{id}", get(routes::user))
        .route(
            faults::ADMIN_PATH,
            post(faults::arm).get(faults::list).delete(faults::clear),
        )
        .fallback(routes::not_found)
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            faults::inject,
        ))
        .with_state(api)
}

/// Listens on `addr`, with a message that names the port when it is taken
/// and the caller's flag that changes it (`--port` for `fake-api`,
/// `--fake-api-port` for `dev`).
pub async fn bind(addr: SocketAddr, port_flag: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!(
            "could not listen on {addr} (is the port taken? choose another with {port_flag} N, \
             or {port_flag} 0 for any free port)"
        )
    })
}

/// Serves the fake API on `listener` until `shutdown` resolves.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let api = FakeApi::new(Catalog::load()?);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "fake API listening");
    }
    axum::serve(listener, router(api))
        .with_graceful_shutdown(shutdown)
        .await
        .context("the fake API stopped")
}
