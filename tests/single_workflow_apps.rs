//! Each workflow alone makes an app that compiles with warnings denied: code
//! that only some workflows use must not turn into dead code (or an unused
//! import) when the others are left out. Built and linted in the shared
//! target folder of tests/e2e_app.rs, so only the app crate itself compiles.
//! The app's own tests need a database; tests/e2e_app.rs runs them for the
//! three-workflow app.

mod app_support;

use app_support::{cargo, generate_offline};

#[test]
fn each_workflow_alone_builds_and_passes_clippy() {
    for template in ["ecommerce", "inventory", "customer-onboarding"] {
        let work = tempfile::TempDir::new().unwrap();
        let name = format!("solo-{template}");
        generate_offline(&name, template, work.path());
        let app = work.path().join(&name);
        // No database is needed to compile: the engine's queries are checked
        // offline (SQLX_OFFLINE, in the app's .cargo/config.toml).
        cargo(
            &app,
            &[
                "clippy",
                "--locked",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            "",
        );
    }
}
