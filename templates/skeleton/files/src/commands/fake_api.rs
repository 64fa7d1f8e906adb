//! `APP fake-api`: the built-in stand-in for the external API the workflows
//! call (DummyJSON-compatible carts, products and users, with fault
//! injection), so everything runs offline. Point `API_BASE_URL` elsewhere to
//! use a real API instead.

use std::net::{IpAddr, SocketAddr};

use anyhow::Result;

pub async fn execute(host: IpAddr, port: u16) -> Result<()> {
    let addr = SocketAddr::new(host, port);
    eprintln!("fake API on http://{addr}; press Ctrl-C to stop");
    tokio::select! {
        result = crate::fake_api::serve(addr) => result,
        () = super::shutdown_signal() => Ok(()),
    }
}
