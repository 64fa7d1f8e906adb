//! Who the app is ([`Package`], filled by [`package!`](crate::package) from
//! the app's own Cargo metadata): below the settings and the commands that
//! read it, and the [`App`](crate::App) that carries it.

/// What an app's `main` hands the runtime: who it is and its steps.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    /// The app's crate name (`CARGO_PKG_NAME`): worker ids, logs, user agent.
    pub name: &'static str,
    /// The app's version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// The app's one-line description (`CARGO_PKG_DESCRIPTION`): `--help`.
    pub description: &'static str,
    /// The folder the app was built from (`CARGO_MANIFEST_DIR`): found again
    /// when the binary runs elsewhere (`cargo run --manifest-path`).
    pub dir: &'static str,
}

/// The calling crate's [`Package`].
#[macro_export]
macro_rules! package {
    () => {
        $crate::Package {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            description: env!("CARGO_PKG_DESCRIPTION"),
            dir: env!("CARGO_MANIFEST_DIR"),
        }
    };
}
