//! Issue 17: the app's commands. Their regression tests live with the
//! runtime crate, where the behaviour is (they run in CI through
//! `cargo test --workspace`, and need no generated app compiled):
//!
//! - finding 4 (URL passwords, control characters) and 15 (a context file
//!   echoed), and the low ones (`bench` usage exit 2, `prune --older-than`
//!   range, `1e308` as an integer id): `crates/tasker-app-runtime/tests/app_output.rs`,
//!   the app's real command line (`App::main_with`) in a child process;
//! - finding 14 (a lost create answer): `crates/tasker-app-runtime/tests/lost_answer.rs`,
//!   on a migrated database with the engine's own task creation;
//! - `dev` naming `--port`: `commands::dev::tests`; `bench` beside `prune`:
//!   `commands::bench::tests`; the integer rule: `context_check::tests`;
//!   escaping and secrets: `shown::tests`.
//! - the end-to-end test on free ports: `tests/e2e_app.rs` (`app_support::config_with_free_ports`).

#[allow(unused_imports)]
use super::*;
