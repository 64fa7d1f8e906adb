/*!
`tasker-app list-templates`: the catalog (embedded, or `--catalog DIR`) as text or the contract's JSON.
*/

use crate::catalog::Workflow;
use crate::cli::{Format, ListArgs};
use crate::shell::Shell;
use anyhow::Result;
use serde_json::{Value, json};

pub fn run(args: ListArgs, shell: &Shell) -> Result<()> {
    let catalog = crate::catalog_source::choose(args.catalog.as_deref())?;
    match args.format {
        Format::Json => {
            let templates: Vec<Value> = catalog.workflows.iter().map(to_json).collect();
            shell.data(serde_json::to_string_pretty(
                &json!({ "templates": templates }),
            )?);
        }
        Format::Text => shell.data(to_text(&catalog.workflows)),
    }
    Ok(())
}

pub fn to_json(w: &Workflow) -> Value {
    let steps: Vec<Value> = w
        .template
        .steps
        .iter()
        .map(|s| json!({ "name": s.name, "depends_on": s.dependencies }))
        .collect();
    json!({
        "name": w.name,
        "aliases": w.aliases,
        "description": w.description,
        "namespace": w.namespace(),
        "task_name": w.task_name(),
        "version": w.template.version,
        "steps": steps,
        "required_context": w.template.required_context(),
    })
}

fn to_text(workflows: &[Workflow]) -> String {
    let mut out = String::new();
    for (i, w) in workflows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let aliases = if w.aliases.is_empty() {
            String::new()
        } else {
            format!(" (alias: {})", w.aliases.join(", "))
        };
        out.push_str(&format!(
            "{}{aliases}  {}/{}\n",
            w.name,
            w.namespace(),
            w.task_name()
        ));
        out.push_str(&format!("  {}\n", w.description));
        out.push_str(&format!(
            "  context: {}\n",
            w.template.required_context().join(", ")
        ));
        let width = w
            .template
            .steps
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(0);
        for (j, s) in w.template.steps.iter().enumerate() {
            let label = if j == 0 { "  steps:  " } else { "          " };
            if s.dependencies.is_empty() {
                out.push_str(&format!("{label} {}\n", s.name));
            } else {
                out.push_str(&format!(
                    "{label} {:<width$}  <- {}\n",
                    s.name,
                    s.dependencies.join(", ")
                ));
            }
        }
    }
    out.trim_end().to_string()
}
