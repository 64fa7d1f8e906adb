/*!
`tasker-app build`: checked options -> plan -> (dry run | conflicts | apply) ->
database -> next steps. Each stage is its own function so the story of a run
reads top to bottom in [`run`].
*/

use crate::catalog::{Catalog, Workflow};
use crate::cli::{BuildArgs, Format, OnConflict};
use crate::error::{CliError, Exit};
use crate::manifest::{Answers, Manifest};
use crate::plan::{self, Action, DiskTree, Plan};
use crate::shell::Shell;
use crate::{api_url, apply, manifest, names};
use anyhow::{Context, Result};
use serde_json::json;
use std::path::PathBuf;

/// `build`'s arguments, checked and merged with the previous run's answers.
pub struct BuildOptions {
    pub app_dir: PathBuf,
    pub answers: Answers,
    pub templates: Vec<String>,
    pub previous: Option<Manifest>,
    pub database_url: Option<String>,
}

pub fn run(mut args: BuildArgs, shell: &Shell) -> Result<()> {
    // The app's state (lock, then manifest, then the catalog it names) is
    // read once and passed down. With no name, the wizard asks for it first.
    let mut state = None;
    if let Some(name) = &args.app_name {
        names::validate_app_name(name)?;
        state = Some(AppState::read(&args, shell)?);
    }
    let catalog = match &state {
        Some(state) => crate::catalog_source::for_app(
            args.catalog.as_deref(),
            &state.app_dir,
            state.previous.as_ref(),
        )?,
        None => crate::catalog_source::choose(args.catalog.as_deref())?,
    };
    if crate::wizard::should_ask(&args, shell) {
        crate::wizard::ask(&mut args, &catalog, shell)?;
    }
    let state = match state {
        Some(state) => state,
        None => AppState::read(&args, shell)?,
    };
    let opts = check_options(&args, &catalog, state.previous)?;
    let workflows: Vec<&Workflow> = catalog.resolve(&opts.templates)?;
    let rendered = crate::catalog_source::render(&catalog, &opts.answers, &workflows)?;
    let mut plan = plan::classify(
        rendered,
        plan::Inputs {
            app_dir: &opts.app_dir,
            existing: &DiskTree(&opts.app_dir),
            previous: opts.previous.as_ref(),
            answers: &opts.answers,
            templates: opts.templates.clone(),
            catalog: catalog.dir.as_ref().map(|d| d.display().to_string()),
            mode: plan::Mode::Build,
        },
    );
    if opts.database_url.is_some() {
        plan.database.steps = crate::db::plan_steps_for_plan(&plan);
    }
    if args.dry_run {
        print_plan(&plan, args.format, shell, true)?;
        return Ok(());
    }
    let result = write_and_prepare(
        &mut plan,
        opts.database_url.as_deref(),
        Policy {
            on_conflict: args.on_conflict,
            yes: args.yes,
        },
        shell,
    );
    match (result, args.format) {
        (Ok(()), Format::Json) => print_plan(&plan, Format::Json, shell, false)?,
        (Ok(()), Format::Text) => {}
        // One JSON document, always: the error with the plan it belongs to.
        (Err(e), Format::Json) => {
            let doc = crate::error::json_error(&e, plan_json(&plan, false)?);
            shell.data(serde_json::to_string_pretty(&doc)?);
            return Err(e);
        }
        (Err(e), Format::Text) => return Err(e),
    }
    print_next_steps(&plan, &workflows, opts.database_url.is_some(), shell);
    Ok(())
}

/// The app folder as this run found it: locked (unless a dry run), and its
/// manifest read once, checked by the path rule and the version rule.
struct AppState {
    app_dir: PathBuf,
    previous: Option<Manifest>,
    _lock: Option<apply::lock::AppLock>,
}

impl AppState {
    fn read(args: &BuildArgs, shell: &Shell) -> Result<AppState> {
        let name = args
            .app_name
            .as_deref()
            .unwrap_or(crate::wizard::DEFAULT_APP_NAME);
        let app_dir = args.output_dir.join(name);
        let lock = apply::lock::AppLock::for_writing(&app_dir, args.dry_run, shell)?;
        let previous = match app_dir.is_dir() {
            true => Manifest::read(&app_dir)?,
            false => None,
        };
        if let Some(m) = &previous {
            m.refuse_newer(
                plan::TOOL_VERSION,
                plan::TASKER_VERSION,
                &app_dir.join(manifest::PATH),
            )?;
        }
        Ok(AppState {
            app_dir,
            previous,
            _lock: lock,
        })
    }
}

/// How conflicts are resolved: `--on-conflict`, and whether prompting is allowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub on_conflict: Option<OnConflict>,
    pub yes: bool,
}

/// Conflicts, files, database: everything of a build (or update) that changes something.
pub(crate) fn write_and_prepare(
    plan: &mut Plan,
    database_url: Option<&str>,
    policy: Policy,
    shell: &Shell,
) -> Result<()> {
    // The database checks run before anything is written; if they fail, the
    // files are still written (they are what --skip-db would give) and the
    // build ends with exit 4 and the next step.
    let preflight = database_url.map(|url| crate::environment::preflight_for_build(url, shell));
    // Before any question is asked: a run that cannot write is refused now.
    apply::fs::refuse_links(plan)?;
    resolve_conflicts(plan, policy, shell)?;
    apply::fs::apply(plan, shell)?;
    if let Some(url) = database_url {
        let not_ready = || {
            format!(
                "the app's files are written to {}, but its database is not prepared; fix the cause above, then run `tasker-app build` again (identical files are left alone) or `cargo run -- migrate` in the app",
                plan.app_dir.display()
            )
        };
        if let Some(Err(e)) = preflight {
            return Err(e.context(not_ready()));
        }
        crate::db::apply_app_dir(url, &plan.app_dir, shell).with_context(not_ready)?;
        apply::env_file::write_database_url(&plan.app_dir, url, shell)?;
    }
    Ok(())
}

/// Validates the name, the folders and the URL; merges in the manifest's answers.
pub fn check_options(
    args: &BuildArgs,
    catalog: &Catalog,
    previous: Option<Manifest>,
) -> Result<BuildOptions> {
    let app_name = args
        .app_name
        .clone()
        .unwrap_or_else(|| crate::wizard::DEFAULT_APP_NAME.to_string());
    names::validate_app_name(&app_name)?;
    if args.output_dir.is_file() {
        return Err(CliError::new(
            Exit::Failed,
            format!("the output folder {} is a file", args.output_dir.display()),
        )
        .with_help("pass --output-dir with a folder (it is created if missing)")
        .into());
    }
    let app_dir = args.output_dir.join(&app_name);
    if app_dir.exists() && !app_dir.is_dir() {
        return Err(CliError::new(
            Exit::Failed,
            format!("{} exists and is not a folder", app_dir.display()),
        )
        .with_help("choose another APP_NAME or --output-dir, or move that file away")
        .into());
    }
    if previous.is_none() {
        crate::app_folder::refuse_foreign_folder(&app_dir)?;
    }
    let requested: Vec<String> = args
        .templates
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if !args.templates.is_empty() && requested.is_empty() {
        return Err(CliError::usage("--template was given an empty name")
            .with_help(format!("valid templates: {}", catalog.names().join(", ")))
            .into());
    }
    let templates: Vec<String> = match (&previous, requested.is_empty()) {
        // The manifest's templates are checked like the flag's, naming the file.
        (Some(m), true) => catalog
            .resolve(&m.templates)
            .map_err(|mut e| {
                e.message = format!(
                    "{} (templates in {})",
                    e.message,
                    app_dir.join(manifest::PATH).display()
                );
                e
            })?
            .iter()
            .map(|w| w.name.clone())
            .collect(),
        _ => catalog
            .resolve(&requested)?
            .iter()
            .map(|w| w.name.clone())
            .collect(),
    };
    let api_base_url = match (&args.api_base_url, &previous) {
        (Some(url), _) => api_url::from_flag(url)?,
        // A manifest is a file anyone can edit: its value is checked like the flag's.
        (None, Some(m)) => {
            api_url::from_manifest(&m.answers.api_base_url, &app_dir.join(manifest::PATH))?
        }
        (None, None) => plan::DEFAULT_API_BASE_URL.to_string(),
    };
    let observability =
        args.observability || previous.as_ref().is_some_and(|m| m.answers.observability);
    // Like observability, sticky: a re-run without the flag keeps the choice.
    let no_shared_build =
        args.no_shared_build || previous.as_ref().is_some_and(|m| m.answers.no_shared_build);
    let database_url = database_url_to_prepare(args.database_url.as_deref(), args.skip_db)?;
    Ok(BuildOptions {
        app_dir,
        answers: Answers {
            app_name,
            api_base_url,
            observability,
            no_shared_build,
        },
        templates,
        previous,
        database_url,
    })
}

/// The database build (or update) prepares: `--database-url`, else
/// DATABASE_URL, none with `--skip-db`; checked before anything is written.
pub(crate) fn database_url_to_prepare(flag: Option<&str>, skip_db: bool) -> Result<Option<String>> {
    if skip_db {
        return Ok(None);
    }
    let url = flag
        .map(str::to_string)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = &url {
        crate::db::url::check(url)?;
    }
    Ok(url)
}

/// Turns each conflict into skip/overwrite/backup/merge, by flag or by asking;
/// aborts with exit 3 (nothing written) when the policy is abort.
fn resolve_conflicts(plan: &mut Plan, policy: Policy, shell: &Shell) -> Result<()> {
    if plan.conflicts().next().is_none() {
        return Ok(());
    }
    let policy = match policy.on_conflict {
        Some(p) => p,
        None if shell.is_interactive() && !policy.yes => return ask_each(plan, shell),
        None => OnConflict::Abort,
    };
    let action = match policy {
        OnConflict::Abort => return Err(abort(plan, shell)),
        OnConflict::Skip => Action::Skip,
        OnConflict::Overwrite => Action::Overwrite,
        OnConflict::Backup => Action::Backup,
        OnConflict::Merge => Action::Merge,
    };
    plan::resolve_conflicts(plan, |_| action);
    Ok(())
}

fn abort(plan: &Plan, shell: &Shell) -> anyhow::Error {
    let conflicts: Vec<&str> = plan.conflicts().map(|f| f.path.as_str()).collect();
    for path in &conflicts {
        shell.status("conflict", path);
    }
    CliError::new(
        Exit::Conflict,
        format!(
            "{} file(s) in {} differ from what tasker-app would write (you changed them); nothing was written",
            conflicts.len(),
            plan.app_dir.display()
        ),
    )
    .with_help("run again with --on-conflict merge (three-way merge, conflict markers where both changed the same lines), skip (keep yours), backup (keep yours as FILE.bak) or overwrite")
    .into()
}

/// In a terminal: for each conflict, the diff (yours -> new), then merge /
/// keep mine / take new / backup / abort.
fn ask_each(plan: &mut Plan, shell: &Shell) -> Result<()> {
    let mut decided = Vec::new();
    for f in plan.conflicts() {
        let ours = std::fs::read(plan.app_dir.join(&f.path)).ok();
        shell.info(crate::merge::unified(
            &f.path,
            ours.as_deref(),
            Some(&f.rendered),
        ));
        let mut choices: Vec<(&str, Action)> = Vec::new();
        if let Some(merged) = &f.merged {
            choices.push((
                if merged.clean {
                    "merge: yours and the new version combine cleanly"
                } else {
                    "merge: write both, with conflict markers where they overlap"
                },
                Action::Merge,
            ));
        }
        choices.extend([
            ("keep mine (skip)", Action::Skip),
            ("take new (overwrite mine)", Action::Overwrite),
            ("back mine up as FILE.bak, then take new", Action::Backup),
        ]);
        let labels: Vec<&str> = choices
            .iter()
            .map(|(label, _)| *label)
            .chain(["abort: write nothing"])
            .collect();
        let pick = dialoguer::Select::new()
            .with_prompt(format!("{} was changed since it was generated", f.path))
            .items(&labels)
            .default(0)
            .interact_opt()
            .context("cannot read the answer; run again with --on-conflict")?;
        let Some(action) = pick.and_then(|i| choices.get(i)).map(|(_, a)| *a) else {
            return Err(abort(plan, shell));
        };
        decided.push((f.path.clone(), action));
    }
    plan::resolve_conflicts(plan, |path| {
        decided
            .iter()
            .find(|(p, _)| p == path)
            .map_or(Action::Skip, |(_, a)| *a)
    });
    Ok(())
}

/// The contract's JSON of a plan.
pub(crate) fn plan_json(plan: &Plan, dry_run: bool) -> Result<serde_json::Value> {
    let mut doc = serde_json::to_value(plan)?;
    doc["dry_run"] = json!(dry_run);
    Ok(doc)
}

/// The plan on stdout: the contract's JSON, or one line per file.
fn print_plan(plan: &Plan, format: Format, shell: &Shell, dry_run: bool) -> Result<()> {
    match format {
        Format::Json => shell.data(serde_json::to_string_pretty(&plan_json(plan, dry_run)?)?),
        Format::Text => {
            let mut out = format!(
                "Plan for {} ({})\n",
                plan.app_dir.display(),
                plan.templates.join(", ")
            );
            for f in &plan.files {
                out.push_str(&format!("{:>12}  {}\n", f.action.verb(), f.path));
            }
            if plan.database.steps.is_empty() {
                out.push_str("database: none (no --database-url, or --skip-db)\n");
            } else {
                out.push_str("database:\n");
                for step in &plan.database.steps {
                    out.push_str(&format!("  - {step}\n"));
                }
            }
            out.push_str("(dry run: nothing was written)");
            shell.data(out);
        }
    }
    Ok(())
}

fn print_next_steps(plan: &Plan, workflows: &[&Workflow], db_ready: bool, shell: &Shell) {
    let written = plan.files.iter().filter(|f| f.action.writes()).count();
    shell.status(
        "Finished",
        format!(
            "{} in {} ({} workflow(s), {written} file(s) written)",
            plan.manifest.answers.app_name,
            plan.app_dir.display(),
            workflows.len()
        ),
    );
    let mut steps = vec![
        format!("cd {}", plan.app_dir.display()),
        format!("cargo build                       # {FIRST_BUILD}"),
    ];
    if !db_ready {
        steps.push(
            "cp .env.example .env              # then set DATABASE_URL in .env to your database"
                .into(),
        );
    }
    steps.push(
        "cargo run -- dev                  # migrates if needed, then fake API + orchestration + worker; wait for `ready`"
            .into(),
    );
    shell.info("\nNext steps:");
    for s in steps {
        shell.info(format!("  {s}"));
    }
    shell.info(format!(
        "Then, from a second terminal in {}:",
        plan.app_dir.display()
    ));
    for w in workflows {
        shell.info(format!(
            "  cargo run -- run {}/{} --context '{}' --wait",
            w.namespace(),
            w.task_name(),
            w.example_context.as_deref().unwrap_or("{}")
        ));
    }
}

/// What the first `cargo build` of an app costs, as measured (scripts/bench-newcomer.sh).
const FIRST_BUILD: &str = "the first build compiles the engine (~600 crates): minutes (6 to 7 on 2 quiet cores); then seconds";
