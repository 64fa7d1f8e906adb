/*!
The one check of a workflow (an engine task template), shared by the
`tasker-app` CLI (`build`, `update`, `generate`, `check`) and every app it
generates (`APP check`, and `worker`/`dev` before they start): what a template
may hold ([`template`]), the names the app's code derives from it
([`names`]), and every problem found at once, each with its file, line and
fix ([`check`], [`Diagnostic`]).

The engine itself accepts much that fails later: unknown keys are ignored
(`retry.limit` does nothing), `input_schema` is never checked at task
creation, and a step whose handler is missing only hangs at run time. This
crate turns each of those into an error before anything runs.

Pure: no I/O; callers read the files (by their own path rules) and pass text.
*/

pub mod check;
pub mod diagnostic;
pub mod names;
pub mod template;

pub use check::{check_handlers, parse};
pub use diagnostic::{Diagnostic, Diagnostics};
pub use template::TaskTemplate;

// Read only so that cargo tracks it (rustc records it in the crate's dep-info).
// A generated app's `.cargo/config.toml` sets TASKER_APP_DIR to the app's
// folder; apps share one build folder, where every app's copy of this crate
// has the same name, version and relative path, hence the same compiled unit.
// When the last build there was another app's, cargo now rebuilds this crate
// and everything above it (the runtime, the app) from this app's sources,
// instead of trusting file times and handing it the other app's code.
const _: Option<&str> = option_env!("TASKER_APP_DIR");
