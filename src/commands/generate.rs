/*!
`tasker-app generate workflow|step`: options -> checked request
(`generate::spec`, exit 2 for a bad name or DAG) -> plan against the app
(`generate::plan`, exit 3 for what exists) -> dry run | write -> next steps.
*/

use crate::apply::lock::AppLock;
use crate::cli::{Format, GenerateStepArgs, GenerateWorkflowArgs};
use crate::error::{CliError, Exit};
use crate::generate::plan::{self, Change, GeneratePlan};
use crate::generate::spec::{self, InputSpec, StepSpec, WorkflowSpec};
use crate::manifest::Manifest;
use crate::shell::Shell;
use anyhow::Result;
use std::path::Path;

/// A task template given with `--from` is at most this big.
const FROM_LIMIT: u64 = 4 << 20;

pub fn workflow(args: GenerateWorkflowArgs, shell: &Shell) -> Result<()> {
    let (namespace, name) = spec::workflow_name(&args.workflow)?;
    let (steps, inputs, schema) = match (&args.from, args.steps.is_empty()) {
        (Some(file), _) => from_file(file)?,
        (None, false) => (spec::steps(&args.steps)?, spec::inputs(&args.inputs)?, None),
        (None, true) if shell.is_interactive() && !args.dry_run && args.format == Format::Text => {
            app_manifest(&args.app_dir)?;
            let (steps, inputs) = ask(shell)?;
            (steps, inputs, None)
        }
        (None, true) => {
            return Err(CliError::usage("no steps: give --step (or --from FILE)")
                .with_help("e.g. tasker-app generate workflow billing/refund --step fetch --step charge:fetch --input order_id:integer")
                .into());
        }
    };
    let spec = WorkflowSpec {
        namespace,
        name,
        steps,
        inputs,
        schema,
    };
    let manifest = app_manifest(&args.app_dir)?;
    let _lock = AppLock::for_writing(&args.app_dir, args.dry_run, shell)?;
    let plan = plan::workflow(&args.app_dir, &spec, &manifest.answers.app_name)?;
    finish(plan, args.dry_run, args.format, shell)
}

pub fn step(args: GenerateStepArgs, shell: &Shell) -> Result<()> {
    let (ns, name, step) = spec::step_address(&args.step)?;
    let mut after: Vec<String> = Vec::new();
    for p in args
        .after
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        spec::identifier(p, "step")?;
        if !after.iter().any(|a| a == p) {
            after.push(p.to_string());
        }
    }
    app_manifest(&args.app_dir)?;
    let _lock = AppLock::for_writing(&args.app_dir, args.dry_run, shell)?;
    let plan = plan::step(&args.app_dir, &ns, &name, &StepSpec { name: step, after })?;
    finish(plan, args.dry_run, args.format, shell)
}

/// The app's manifest, or why this folder is not an app (exit 1).
fn app_manifest(app: &Path) -> Result<Manifest> {
    let not_an_app = || -> anyhow::Error {
        CliError::new(
            Exit::Failed,
            format!("{} is not a tasker-app app (it has no .tasker-app/manifest.toml); nothing was written", app.display()),
        )
        .with_help("run generate in an app's folder, or pass --app DIR; `tasker-app build NAME` creates an app")
        .into()
    };
    if !app.is_dir() {
        return Err(not_an_app());
    }
    Manifest::read(app)?.ok_or_else(not_an_app)
}

/// Steps (and the input schema) from a task template: the one check first.
fn from_file(file: &Path) -> Result<(Vec<StepSpec>, Vec<InputSpec>, Option<serde_json::Value>)> {
    use std::io::Read;
    let shown = file.display().to_string();
    let meta = std::fs::metadata(file)
        .map_err(|e| CliError::usage(format!("--from {shown}: cannot read it ({e})")))?;
    if !meta.is_file() || meta.len() > FROM_LIMIT {
        return Err(CliError::usage(format!(
            "--from {shown}: not a regular file of at most {FROM_LIMIT} bytes"
        ))
        .into());
    }
    let mut text = String::new();
    std::fs::File::open(file)?
        .take(FROM_LIMIT)
        .read_to_string(&mut text)
        .map_err(|e| CliError::usage(format!("--from {shown}: {e}")))?;
    let template = tasker_app_workflow::parse(&shown, &text).map_err(|e| {
        CliError::usage(format!(
            "--from {shown} does not pass the workflow check:\n{e}"
        ))
        .with_help("fix the template, or give the steps with --step")
    })?;
    let steps = spec::steps_of(&template);
    for s in &steps {
        spec::identifier(&s.name, "step")?;
    }
    spec::check_dag(&steps)?;
    Ok((steps, Vec::new(), template.input_schema))
}

/// Asks for the steps one by one, then the inputs (a terminal only).
fn ask(shell: &Shell) -> Result<(Vec<StepSpec>, Vec<InputSpec>)> {
    use dialoguer::Input;
    let theme = dialoguer::theme::SimpleTheme;
    let interrupted = |e: dialoguer::Error| -> anyhow::Error {
        match e {
            dialoguer::Error::IO(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                CliError::new(
                    Exit::Interrupted,
                    "generate was stopped; nothing was written",
                )
                .into()
            }
            dialoguer::Error::IO(e) => e.into(),
        }
    };
    let mut steps: Vec<StepSpec> = Vec::new();
    loop {
        let prompt = match steps.is_empty() {
            true => "First step's name".to_string(),
            false => "Next step's name (Enter when done)".to_string(),
        };
        let name: String = Input::with_theme(&theme)
            .with_prompt(prompt)
            .allow_empty(true)
            .interact_text()
            .map_err(interrupted)?;
        let name = name.trim().to_string();
        if name.is_empty() {
            if steps.is_empty() {
                shell.warn("a workflow needs at least one step");
                continue;
            }
            break;
        }
        if let Err(e) = spec::identifier(&name, "step") {
            shell.warn(e.message);
            continue;
        }
        if steps.iter().any(|s| s.name == name) {
            shell.warn(format!("step `{name}` is already there"));
            continue;
        }
        let after = if steps.is_empty() {
            Vec::new()
        } else {
            let known: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
            loop {
                let text: String = Input::with_theme(&theme)
                    .with_prompt(format!(
                        "  `{name}` waits for (comma-separated: {}; Enter for none)",
                        known.join(", ")
                    ))
                    .allow_empty(true)
                    .interact_text()
                    .map_err(interrupted)?;
                let after: Vec<String> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect();
                match after.iter().find(|p| !known.contains(&p.as_str())) {
                    Some(p) => shell.warn(format!(
                        "`{p}` is not a step yet; steps: {}",
                        known.join(", ")
                    )),
                    None => break after,
                }
            }
        };
        steps.push(StepSpec { name, after });
    }
    let mut fields = Vec::new();
    loop {
        let text: String = Input::with_theme(&theme)
            .with_prompt(format!(
                "Input field NAME:TYPE ({}; Enter when done)",
                spec::INPUT_KINDS
            ))
            .allow_empty(true)
            .interact_text()
            .map_err(interrupted)?;
        let text = text.trim().to_string();
        if text.is_empty() {
            break;
        }
        let mut all = fields.clone();
        all.push(text);
        match spec::inputs(&all) {
            Ok(_) => fields = all,
            Err(e) => shell.warn(e.message),
        }
    }
    Ok((steps, spec::inputs(&fields)?))
}

/// Dry run or write, then the plan (JSON) or the status lines and next steps.
fn finish(plan: GeneratePlan, dry_run: bool, format: Format, shell: &Shell) -> Result<()> {
    if !dry_run {
        plan::apply(&plan)?;
    }
    if format == Format::Json {
        let mut doc = serde_json::to_value(&plan)?;
        doc["dry_run"] = serde_json::json!(dry_run);
        shell.data(serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    if dry_run {
        let mut out = String::new();
        for f in &plan.files {
            let verb = match f.action {
                Change::Create => "create",
                Change::Edit => "edit",
            };
            out.push_str(&format!("{verb:>12}  {}\n", f.path));
        }
        out.push_str("(dry run: nothing was written)");
        shell.data(out);
        return Ok(());
    }
    for f in &plan.files {
        match f.action {
            Change::Create => shell.status("create", &f.path),
            Change::Edit => shell.status("edit", format!("{} (lines added; yours kept)", f.path)),
        }
    }
    shell.status(
        "Finished",
        format!("{} in {}", plan.target, plan.app_dir.display()),
    );
    shell.info("Next, in the app:");
    for n in &plan.next {
        shell.info(format!("  {n}"));
    }
    Ok(())
}
