//! The task templates (workflow YAML files) under `TASKER_TEMPLATE_PATH`, as the
//! app itself reads them: `run` looks up a workflow's version and input schema,
//! and `worker` checks every step has a handler before it starts.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use tasker_shared::models::core::task_template::TaskTemplate;

/// One task template and the file it came from.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub path: PathBuf,
    /// The file's text, for the workflow check's line numbers.
    pub text: String,
    pub template: TaskTemplate,
}

impl Workflow {
    /// `namespace/name`, the way `run` names it.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.template.namespace_name, self.template.name)
    }
}

/// Every `*.yaml` / `*.yml` under `dir` (recursively), sorted by path.
pub fn load_all(dir: &Path) -> Result<Vec<Workflow>> {
    let mut files = Vec::new();
    collect_yaml_files(dir, &mut files)
        .with_context(|| format!("could not read the task template folder {}", dir.display()))?;
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("could not read {}", path.display()))?;
            let template: TaskTemplate = match serde_yaml::from_str(&text) {
                Ok(template) => template,
                // The workflow check names the line and the fix.
                Err(e) => match tasker_app_workflow::parse(&path.display().to_string(), &text) {
                    Err(found) => return Err(found.into()),
                    Ok(_) => {
                        return Err(anyhow::Error::new(e)
                            .context(format!("{} is not a valid task template", path.display())));
                    }
                },
            };
            Ok(Workflow {
                path,
                text,
                template,
            })
        })
        .collect()
}

/// The workflow called `namespace/name`, or an error listing the ones there are.
pub fn find(dir: &Path, namespace: &str, name: &str) -> Result<Workflow> {
    let all = load_all(dir)?;
    let known: Vec<String> = all.iter().map(Workflow::full_name).collect();
    match all
        .into_iter()
        .find(|w| w.template.namespace_name == namespace && w.template.name == name)
    {
        Some(workflow) => Ok(workflow),
        None if known.is_empty() => bail!(
            "no workflow `{namespace}/{name}`: {} holds no task templates",
            dir.display()
        ),
        None => bail!(
            "no workflow `{namespace}/{name}` in {}; known workflows: {}",
            dir.display(),
            known.join(", ")
        ),
    }
}

fn collect_yaml_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_yaml_files(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            out.push(path);
        }
    }
    Ok(())
}
