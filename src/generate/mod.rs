/*!
`tasker-app generate`: the owner's own workflows and steps, written into an
app the way the built-in ones are (task template, one step file per step,
the namespace's `mod.rs`, the registry, a harness test), checked by the one
workflow check before anything is written.

- [`spec`]: the request, checked (names, DAG) — usage errors, exit 2;
- [`files`]: the texts to write and the lines to add (pure);
- [`plan`]: what is on disk decides create / edit / conflict (exit 3).

The files `generate` writes are the owner's: they are not in the manifest, so
`update` and a `build` re-run never treat them as template files; the lines
it adds to generated files (`src/handlers/mod.rs`) are owner edits, which
`update` merges like any other.
*/

pub mod files;
pub mod plan;
pub mod spec;
