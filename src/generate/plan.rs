//! What `generate` will do to the app: every file it creates or edits, with
//! its new text, decided from what is on disk. Every refusal happens here,
//! before anything is written: a file that exists (exit 3), a workflow or
//! step that exists (exit 3), a path through a link, a registry that cannot
//! be edited safely (exit 1).

use super::files::{self, RegistryEdit};
use super::spec::{StepSpec, WorkflowSpec};
use crate::app_path::{AppPath, Expect, check_on_disk, read_confined};
use crate::error::{CliError, Exit};
use anyhow::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tasker_app_workflow::names::type_name;

/// Larger than any source file or workflow an app holds.
const READ_LIMIT: u64 = 8 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Create,
    Edit,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    pub action: Change,
    #[serde(skip)]
    pub contents: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GeneratePlan {
    pub app_dir: PathBuf,
    /// `namespace/name` (and `.step` for `generate step`).
    pub target: String,
    pub files: Vec<FileChange>,
    /// The commands that come next.
    pub next: Vec<String>,
}

/// Reads `rel` inside the app: a regular file reached without a link.
pub fn read(app: &Path, rel: &str) -> Result<Option<String>> {
    let path = AppPath::parse(rel)?;
    match read_confined(app, &path, READ_LIMIT) {
        Ok(Some(bytes)) => Ok(Some(String::from_utf8(bytes).map_err(|_| {
            CliError::new(
                Exit::Failed,
                format!("{} is not UTF-8 text", path.under(app).display()),
            )
        })?)),
        Ok(None) => Ok(None),
        Err(e) => Err(CliError::new(
            Exit::Failed,
            format!("cannot use {}: {e}", path.under(app).display()),
        )
        .with_help("generate writes only plain files inside the app, never through a link")
        .into()),
    }
}

fn exists(app: &Path, rel: &str) -> Result<bool> {
    let path = AppPath::parse(rel)?;
    match check_on_disk(app, &path, Expect::FileOrNothing) {
        Ok(()) => Ok(path.under(app).exists()),
        Err(o) => Err(CliError::new(
            Exit::Failed,
            format!("cannot write {}: {o}", path.under(app).display()),
        )
        .with_help("move it away, then run again; nothing was written")
        .into()),
    }
}

fn conflict(what: String, help: &str) -> anyhow::Error {
    CliError::new(Exit::Conflict, format!("{what}; nothing was written"))
        .with_help(help.to_string())
        .into()
}

/// The registry edit, or why it cannot be made (naming the lines to add by hand).
fn registry(app: &Path, ns: &str, comment: &str, steps: &[&str]) -> Result<FileChange> {
    let existing = read(app, files::REGISTRY)?.ok_or_else(|| {
        CliError::new(Exit::Failed, format!("{} has no {}", app.display(), files::REGISTRY))
            .with_help("generate adds each step to the app's registry there; restore it (`tasker-app build` re-creates it)")
    })?;
    match files::extend_registry(&existing, ns, comment, steps) {
        RegistryEdit::Done(contents) => Ok(FileChange {
            path: files::REGISTRY.to_string(),
            action: Change::Edit,
            contents,
        }),
        RegistryEdit::NotFound(n) => {
            let lines: Vec<String> = steps
                .iter()
                .map(|s| format!(".step({ns}::{})", type_name(s)))
                .collect();
            Err(CliError::new(
                Exit::Failed,
                format!(
                    "{} has neither a `fn yours(registry: Registry)` section nor one `Registry::new()` ({n} found), so generate cannot tell where its steps go; nothing was written",
                    files::REGISTRY
                ),
            )
            .with_help(format!(
                "add these lines to the registry's chain by hand (and `pub mod {ns};`): {}",
                lines.join(" ")
            ))
            .into())
        }
    }
}

/// The namespace's `mod.rs`: created, or extended at its end.
fn namespace_mod(
    app: &Path,
    ns: &str,
    what: &str,
    steps: &[&str],
    test: Option<&str>,
) -> Result<FileChange> {
    let path = files::mod_path(ns);
    Ok(match read(app, &path)? {
        Some(existing) => FileChange {
            contents: files::extend_mod(&existing, what, steps, test),
            path,
            action: Change::Edit,
        },
        None => FileChange {
            contents: files::new_mod(ns, steps, test),
            path,
            action: Change::Create,
        },
    })
}

/// `generate workflow`.
pub fn workflow(app: &Path, spec: &WorkflowSpec, app_name: &str) -> Result<GeneratePlan> {
    let (ns, name) = (&spec.namespace, &spec.name);
    let yaml_path = files::workflow_path(ns, name);
    if exists(app, &yaml_path)? {
        return Err(conflict(
            format!("the workflow {ns}/{name} exists ({yaml_path})"),
            "choose another name, or add steps to it with `tasker-app generate step`",
        ));
    }
    let mut changes = Vec::new();
    let yaml = files::workflow_yaml(spec, app_name);
    // The one workflow check, on exactly what will be written.
    tasker_app_workflow::parse(&yaml_path, &yaml).map_err(|e| {
        CliError::new(
            Exit::Failed,
            format!("internal error: the generated workflow does not pass the check:\n{e}"),
        )
    })?;
    changes.push(FileChange {
        path: yaml_path.clone(),
        action: Change::Create,
        contents: yaml,
    });
    for step in &spec.steps {
        let path = files::step_path(ns, &step.name);
        if exists(app, &path)? {
            return Err(conflict(
                format!(
                    "{path} exists: the namespace `{ns}` already has a step `{}` (handler `{ns}.{}`)",
                    step.name, step.name
                ),
                "rename the step (handler names are unique in a namespace), or use another namespace",
            ));
        }
        let parents: Vec<(String, Option<String>)> = step
            .after
            .iter()
            .map(|p| (p.clone(), Some(format!("{}Output", type_name(p)))))
            .collect();
        changes.push(FileChange {
            path,
            action: Change::Create,
            contents: files::step_file(ns, name, step, &parents, &spec.inputs),
        });
    }
    let test = format!("{name}_tests");
    let test_path = files::test_path(ns, name);
    if exists(app, &test_path)? {
        return Err(conflict(
            format!("{test_path} exists"),
            "move it away, or choose another workflow name",
        ));
    }
    changes.push(FileChange {
        path: test_path,
        action: Change::Create,
        contents: files::test_file(spec),
    });
    let steps: Vec<&str> = spec.steps.iter().map(|s| s.name.as_str()).collect();
    changes.push(namespace_mod(
        app,
        ns,
        &format!("{ns}/{name} ({yaml_path})"),
        &steps,
        Some(&test),
    )?);
    changes.push(registry(app, ns, &yaml_path, &steps)?);
    let context = serde_json::to_string(&files::example_context(&spec.inputs))?;
    Ok(GeneratePlan {
        app_dir: app.to_path_buf(),
        target: format!("{ns}/{name}"),
        files: changes,
        next: vec![
            format!(
                "cargo test {name}_runs_every_step_to_completion   (the harness runs it end to end; needs DATABASE_URL)"
            ),
            "cargo run -- check".to_string(),
            format!(
                "cargo run -- run {ns}/{name} --context '{context}' --wait   (with `cargo run -- dev` running)"
            ),
        ],
    })
}

/// `generate step NS/NAME.STEP --after A,B`.
pub fn step(app: &Path, ns: &str, name: &str, step: &StepSpec) -> Result<GeneratePlan> {
    let yaml_path = files::workflow_path(ns, name);
    let yaml = read(app, &yaml_path)?.ok_or_else(|| {
        CliError::new(
            Exit::Failed,
            format!("there is no workflow {ns}/{name} ({yaml_path} does not exist)"),
        )
        .with_help(format!(
            "create it first: tasker-app generate workflow {ns}/{name} --step ..."
        ))
    })?;
    let template = tasker_app_workflow::parse(&yaml_path, &yaml).map_err(|e| {
        CliError::new(
            Exit::Failed,
            format!(
                "{yaml_path} does not pass the workflow check, so generate leaves it alone:\n{e}"
            ),
        )
        .with_help("fix it first (`tasker-app check` lists every problem)")
    })?;
    if template.steps.iter().any(|s| s.name == step.name) {
        return Err(conflict(
            format!(
                "the workflow {ns}/{name} already has a step `{}`",
                step.name
            ),
            "choose another step name",
        ));
    }
    let mut all = super::spec::steps_of(&template);
    all.push(step.clone());
    super::spec::check_dag(&all)?;
    if !steps_is_last(&yaml) {
        return Err(CliError::new(
            Exit::Failed,
            format!("in {yaml_path}, `steps:` is not the last top-level key, so generate cannot add a step at its end; nothing was written"),
        )
        .with_help(format!("move `steps:` to the end of the file, or add this entry by hand:\n{}", files::step_yaml(ns, step)))
        .into());
    }
    let mut new_yaml = yaml.clone();
    if !new_yaml.ends_with('\n') {
        new_yaml.push('\n');
    }
    new_yaml.push('\n');
    new_yaml.push_str(&files::step_yaml(ns, step));
    let checked = tasker_app_workflow::parse(&yaml_path, &new_yaml).map_err(|e| {
        CliError::new(
            Exit::Failed,
            format!("with the new step, {yaml_path} would not pass the check:\n{e}"),
        )
        .with_help("add the step by hand")
    })?;
    let added = checked.steps.iter().find(|s| s.name == step.name);
    if added.is_none_or(|s| s.dependencies != step.after)
        || checked.steps.len() != template.steps.len() + 1
    {
        return Err(CliError::new(
            Exit::Failed,
            format!("{yaml_path} is laid out in a way generate cannot extend; nothing was written"),
        )
        .with_help(format!(
            "add this entry under `steps:` by hand:\n{}",
            files::step_yaml(ns, step)
        ))
        .into());
    }
    let path = files::step_path(ns, &step.name);
    if exists(app, &path)? {
        return Err(conflict(
            format!(
                "{path} exists: the namespace `{ns}` already has a step `{}`",
                step.name
            ),
            "choose another step name",
        ));
    }
    // A parent's result is read as its own type when its file defines one.
    let mut parents = Vec::new();
    for p in &step.after {
        let callable = &template
            .steps
            .iter()
            .find(|s| &s.name == p)
            .expect("checked")
            .handler
            .callable;
        let output = format!("{}Output", type_name(p));
        let typed = match callable.split_once('.') {
            Some((pns, pstep)) if pns == ns && pstep == p => read(app, &files::step_path(ns, p))?
                .is_some_and(|text| text.contains(&format!("pub struct {output} "))),
            _ => false,
        };
        parents.push((p.clone(), typed.then_some(output)));
    }
    // Inputs are read by root steps; a new root step reads none (add them by hand).
    let changes = vec![
        FileChange {
            path: yaml_path.clone(),
            action: Change::Edit,
            contents: new_yaml,
        },
        FileChange {
            path,
            action: Change::Create,
            contents: files::step_file(ns, name, step, &parents, &[]),
        },
        namespace_mod(
            app,
            ns,
            &format!("{ns}/{name}.{}", step.name),
            &[&step.name],
            None,
        )?,
        registry(
            app,
            ns,
            &format!("{yaml_path}: {}", step.name),
            &[&step.name],
        )?,
    ];
    Ok(GeneratePlan {
        app_dir: app.to_path_buf(),
        target: format!("{ns}/{name}.{}", step.name),
        files: changes,
        next: vec!["cargo test".to_string(), "cargo run -- check".to_string()],
    })
}

/// No top-level key after `steps:` (comments and blank lines may follow).
fn steps_is_last(yaml: &str) -> bool {
    let mut after = false;
    for line in yaml.lines() {
        if line.starts_with("steps:") {
            after = true;
            continue;
        }
        if after && !line.is_empty() && !line.starts_with([' ', '#', '-', '\t']) {
            return false;
        }
    }
    after
}

/// Writes every change: each staged beside its target, then all renamed into
/// place (a rename never leaves a half-written file).
pub fn apply(plan: &GeneratePlan) -> Result<()> {
    let app = &plan.app_dir;
    let mut staged = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for change in &plan.files {
        let target = AppPath::parse(&change.path)?.under(app);
        let dir = target.parent().expect("a file in the app");
        if let Err(e) = std::fs::create_dir_all(dir) {
            cleanup(&staged);
            return Err(anyhow::Error::new(e).context(format!("cannot create {}", dir.display())));
        }
        let tmp = dir.join(format!(
            ".{}.tasker-app-{}",
            target.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id()
        ));
        if let Err(e) = std::fs::write(&tmp, &change.contents) {
            cleanup(&staged);
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow::Error::new(e).context(format!("cannot write {}", tmp.display())));
        }
        staged.push((tmp, target));
    }
    for (tmp, target) in &staged {
        std::fs::rename(tmp, target).map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot write {}", target.display()))
        })?;
    }
    Ok(())
}
