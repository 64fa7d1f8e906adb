//! `APP check`: the app's workflows against its handlers, by the one check
//! `tasker-app check` and `tasker-app generate` run too (`tasker_app_workflow`):
//! each workflow's DAG (no cycle, every dependency a step, no step twice),
//! retry settings, input schema, and every step with a handler, every handler
//! with a step. `worker`, `serve` and `dev` run it before they start.

use anyhow::Result;

use crate::settings::Settings;
use crate::step::Registry;
use crate::workflows;

/// What was checked, when all is well.
pub struct Checked {
    pub workflows: usize,
    pub steps: usize,
}

/// Runs the check; every problem is in the error, with file, line and fix.
pub fn run(settings: &Settings, registry: &Registry) -> Result<Checked> {
    let found = workflows::load_all(&settings.template_path)?;
    registry.check(&found)?;
    Ok(Checked {
        workflows: found.len(),
        steps: found.iter().map(|w| w.template.steps.len()).sum(),
    })
}

pub fn execute(settings: &Settings, registry: &Registry) -> Result<()> {
    let checked = run(settings, registry)?;
    println!(
        "ok: {} workflow(s) in {}, {} steps; every step has a handler and every handler a step",
        checked.workflows,
        settings.template_path.display(),
        checked.steps
    );
    Ok(())
}
