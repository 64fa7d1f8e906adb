//! `APP fake-api`: the built-in stand-in for the external API the workflows
//! call (DummyJSON-compatible carts, products and users, with fault
//! injection), so everything runs offline. Point `API_BASE_URL` elsewhere to
//! use a real API instead.

use std::net::{IpAddr, SocketAddr};

use anyhow::Result;

pub async fn execute(host: IpAddr, port: u16) -> Result<()> {
    let listener = crate::fake_api::bind(SocketAddr::new(host, port), "--port").await?;
    eprintln!(
        "fake API on http://{}; press Ctrl-C to stop",
        listener.local_addr()?
    );
    crate::fake_api::serve_on(listener, super::shutdown_signal()).await
}
