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
