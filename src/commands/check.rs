/*!
`tasker-app check [APP_DIR]`: the app's workflows, by the one workflow check
(`tasker-app-workflow`, which the app's own `check`, `worker` and `dev` run):
every task template under `workflows/` (DAG, names, retry, input schema), and
every step against the handlers the app registers.

The CLI does not compile the app, so it reads the registry from the source
as the app's code states it: each step file's `impl Step for T` and its
`const NAME`, and the registry's `.step(ns::T)` lines. The app's `check` uses
the compiled registry itself; both report the same problems the same way.
*/

use crate::app_path::{AppPath, read_confined};
use crate::cli::{CheckArgs, Format};
use crate::error::{CliError, Exit};
use crate::shell::Shell;
use anyhow::Result;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use tasker_app_workflow::{Diagnostic, Diagnostics, TaskTemplate};

const REGISTRY: &str = "src/handlers/mod.rs";
const READ_LIMIT: u64 = 8 << 20;
const MAX_FILES: usize = 5_000;

pub fn run(args: CheckArgs, shell: &Shell) -> Result<()> {
    let app = &args.app_dir;
    if !crate::manifest::is_app_dir(app) {
        return Err(CliError::new(
            Exit::Failed,
            format!(
                "{} is not a tasker-app app (no .tasker-app/manifest.toml)",
                app.display()
            ),
        )
        .with_help("run it in an app's folder, or pass the folder: `tasker-app check path/to/app`")
        .into());
    }
    let (workflows, problems) = check_app(app)?;
    let steps: usize = workflows.iter().map(|(_, t)| t.steps.len()).sum();
    if args.format == Format::Json {
        let doc = json!({
            "ok": problems.is_empty(),
            "workflows": workflows.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "problems": problems.iter().map(|d| json!({
                "file": d.file, "line": d.line, "message": d.message, "help": d.help,
            })).collect::<Vec<_>>(),
        });
        shell.data(serde_json::to_string_pretty(&doc)?);
    }
    if problems.is_empty() {
        shell.status(
            "Finished",
            format!(
                "{} workflow(s), {steps} steps: every step has a handler and every handler a step",
                workflows.len()
            ),
        );
        return Ok(());
    }
    let count = problems.len();
    Err(CliError::new(
        Exit::Failed,
        format!(
            "{count} problem(s) in the app's workflows:\n{}",
            Diagnostics(problems)
        ),
    )
    .with_help("fix each at the file and line named; `cargo run -- check` in the app runs the same check against the compiled registry")
    .into())
}

/// Every workflow of the app (path, template).
pub type Workflows = Vec<(String, TaskTemplate)>;

/// Every workflow of the app and every problem found.
pub fn check_app(app: &Path) -> Result<(Workflows, Vec<Diagnostic>)> {
    let mut problems = Vec::new();
    let mut texts = Vec::new();
    for rel in yaml_files(app, "workflows", &mut problems)? {
        let path = AppPath::parse(&rel)?;
        match read_confined(app, &path, READ_LIMIT) {
            Ok(Some(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => texts.push((rel, text)),
                Err(_) => problems.push(Diagnostic::new(
                    &rel,
                    None,
                    "is not UTF-8 text",
                    "save it as UTF-8",
                )),
            },
            Ok(None) => {}
            Err(e) => problems.push(Diagnostic::new(
                &rel,
                None,
                format!("cannot be read: {e}"),
                "make it a plain file",
            )),
        }
    }
    let mut parsed = Vec::new();
    for (rel, text) in &texts {
        match tasker_app_workflow::parse(rel, text) {
            Ok(t) => parsed.push((rel.clone(), text.as_str(), t)),
            Err(found) => problems.extend(found.0),
        }
    }
    let registered = registered_handlers(app, &mut problems)?;
    let views: Vec<(&str, &str, &TaskTemplate)> = parsed
        .iter()
        .map(|(p, text, t)| (p.as_str(), *text, t))
        .collect();
    problems.extend(tasker_app_workflow::check_handlers(
        &views,
        &registered,
        REGISTRY,
    ));
    let workflows = parsed.into_iter().map(|(p, _, t)| (p, t)).collect();
    Ok((workflows, problems))
}

/// `*.yaml`/`*.yml` below `root` (relative paths, sorted), links not followed.
fn yaml_files(app: &Path, root: &str, problems: &mut Vec<Diagnostic>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_string()];
    let mut seen = 0;
    while let Some(rel) = stack.pop() {
        let dir = app.join(&rel);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            seen += 1;
            if seen > MAX_FILES {
                return Err(CliError::new(
                    Exit::Failed,
                    format!(
                        "{} holds more than {MAX_FILES} entries",
                        app.join(root).display()
                    ),
                )
                .into());
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            let kind = entry.file_type()?;
            if kind.is_symlink() {
                problems.push(Diagnostic::new(
                    &child,
                    None,
                    "is a symlink, not read",
                    "replace it with the file or folder itself",
                ));
            } else if kind.is_dir() {
                stack.push(child);
            } else if name.ends_with(".yaml") || name.ends_with(".yml") {
                out.push(child);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The handler names the app registers, as its source states them: the
/// `NAME` of each `impl Step for T` in `src/handlers/<ns>/*.rs` whose
/// `.step(<ns>::T)` is in the registry.
fn registered_handlers(app: &Path, problems: &mut Vec<Diagnostic>) -> Result<BTreeSet<String>> {
    let registry = match read_confined(app, &AppPath::parse(REGISTRY)?, READ_LIMIT) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        _ => {
            problems.push(Diagnostic::new(
                REGISTRY,
                None,
                "is missing or cannot be read",
                "restore it (`tasker-app build` re-creates it)",
            ));
            return Ok(BTreeSet::new());
        }
    };
    // A step registered twice (the app's Registry refuses it too).
    let mut seen = BTreeSet::new();
    for call in registry.split(".step(").skip(1) {
        let target: String = call.chars().take_while(|c| *c != ')').collect();
        if !seen.insert(target.clone()) {
            problems.push(Diagnostic::new(
                REGISTRY,
                None,
                format!("`.step({target})` is registered twice"),
                "register each step once",
            ));
        }
    }
    let mut names = BTreeSet::new();
    let mut rs_files = Vec::new();
    let mut stack = vec!["src/handlers".to_string()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(app.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = format!("{rel}/{name}");
            match entry.file_type() {
                Ok(k) if k.is_dir() => stack.push(child),
                Ok(k) if k.is_file() && name.ends_with(".rs") => rs_files.push(child),
                _ => {}
            }
        }
    }
    for rel in rs_files {
        let Some(ns) = rel
            .strip_prefix("src/handlers/")
            .and_then(|r| r.split_once('/'))
            .map(|(ns, _)| ns.to_string())
        else {
            continue;
        };
        let Ok(Some(bytes)) = read_confined(app, &AppPath::parse(&rel)?, READ_LIMIT) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if let (Some(ty), Some(name)) = (
            after(&text, "impl Step for ", |c| c.is_alphanumeric() || c == '_'),
            after(&text, "const NAME: &'static str = \"", |c| c != '"'),
        ) && registry.contains(&format!(".step({ns}::{ty})"))
        {
            names.insert(name);
        }
    }
    Ok(names)
}

/// The text after the first `marker`, as long as `keep` holds.
fn after(text: &str, marker: &str, keep: impl Fn(char) -> bool) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let value: String = text[start..].chars().take_while(|c| keep(*c)).collect();
    (!value.is_empty()).then_some(value)
}
