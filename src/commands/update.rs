/*!
`tasker-app update [APP_DIR]`: bring an app to what this tasker-app would
generate for the answers its manifest records (templates, API URL,
observability, catalog), optionally adding or removing workflows.

Unchanged files are replaced; edited ones are merged three-way with the base
kept in `.tasker-app/base/` (see `plan` and `merge`); the vendored crates are
replaced as a unit; files no longer generated are removed when unchanged and
kept (and named) when edited. Overlapping edits follow `--on-conflict`, as in
build: abort (exit 3, nothing written), merge (markers), skip, overwrite,
backup. The database is migrated afterwards when a URL is given, as in build.
*/

use crate::catalog::Catalog;
use crate::cli::{Format, UpdateArgs};
use crate::commands::build::{Policy, database_url_to_prepare, plan_json, write_and_prepare};
use crate::error::{CliError, Exit};
use crate::manifest::{self, Answers, Manifest};
use crate::plan::{self, Action, DiskTree, Plan};
use crate::shell::Shell;
use crate::{api_url, merge};
use anyhow::Result;

pub fn run(args: UpdateArgs, shell: &Shell) -> Result<()> {
    // Held from before the manifest is read until the run ends (a dry run
    // writes nothing and takes none).
    let _lock = crate::apply::lock::AppLock::for_writing(&args.app_dir, args.dry_run, shell)?;
    let previous = read_manifest(&args)?;
    previous.refuse_newer(
        plan::TOOL_VERSION,
        plan::TASKER_VERSION,
        &args.app_dir.join(manifest::PATH),
    )?;
    let catalog =
        crate::catalog_source::for_app(args.catalog.as_deref(), &args.app_dir, Some(&previous))?;
    let templates = chosen_templates(&args, &previous, &catalog)?;
    let answers = Answers {
        api_base_url: api_url::from_manifest(
            &previous.answers.api_base_url,
            &args.app_dir.join(manifest::PATH),
        )?,
        ..previous.answers.clone()
    };
    let database_url = database_url_to_prepare(args.database_url.as_deref(), args.skip_db)?;

    let workflows = catalog.resolve(&templates)?;
    let rendered = crate::catalog_source::render(&catalog, &answers, &workflows)?;
    let mut plan = plan::classify(
        rendered,
        plan::Inputs {
            app_dir: &args.app_dir,
            existing: &DiskTree(&args.app_dir),
            previous: Some(&previous),
            answers: &answers,
            templates: templates.clone(),
            catalog: catalog.dir.as_ref().map(|d| d.display().to_string()),
            mode: plan::Mode::Update,
        },
    );
    if database_url.is_some() {
        plan.database.steps = crate::db::plan_steps_for_plan(&plan);
    }
    if args.dry_run {
        return print_dry_run(&plan, args.format, shell);
    }
    let policy = Policy {
        on_conflict: args.on_conflict,
        yes: args.yes,
    };
    let result = write_and_prepare(&mut plan, database_url.as_deref(), policy, shell);
    match (result, args.format) {
        (Ok(()), Format::Json) => {
            shell.data(serde_json::to_string_pretty(&plan_json(&plan, false)?)?)
        }
        (Ok(()), Format::Text) => summarize(&plan, shell),
        (Err(e), Format::Json) => {
            let doc = crate::error::json_error(&e, plan_json(&plan, false)?);
            shell.data(serde_json::to_string_pretty(&doc)?);
            return Err(e);
        }
        (Err(e), Format::Text) => return Err(e),
    }
    Ok(())
}

/// The manifest, or why this folder cannot be updated.
fn read_manifest(args: &UpdateArgs) -> Result<Manifest> {
    if !args.app_dir.is_dir() {
        return Err(CliError::new(
            Exit::Failed,
            format!("{} is not a folder", args.app_dir.display()),
        )
        .with_help("run `tasker-app update` in an app's folder, or pass the folder: `tasker-app update path/to/app`")
        .into());
    }
    Manifest::read(&args.app_dir)?.ok_or_else(|| {
        CliError::new(
            Exit::Failed,
            format!(
                "{} has no {}: it is not an app tasker-app generated, so there is nothing to update it from",
                args.app_dir.display(),
                manifest::PATH
            ),
        )
        .with_help("`tasker-app build NAME` generates a new app; update works on apps build made")
        .into()
    })
}

/// The manifest's templates, plus `--add`, minus `--remove`, in catalog order.
fn chosen_templates(
    args: &UpdateArgs,
    previous: &Manifest,
    catalog: &Catalog,
) -> Result<Vec<String>> {
    let manifest_path = args.app_dir.join(manifest::PATH);
    let mut names: Vec<String> = catalog
        .resolve(&previous.templates)
        .map_err(|mut e| {
            e.message = format!("{} (templates in {})", e.message, manifest_path.display());
            e
        })?
        .iter()
        .map(|w| w.name.clone())
        .collect();
    let clean = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    // An unknown name is refused with the catalog's suggestion; an empty one
    // too (`resolve` would read an empty list as "all of them").
    let named = |flag: &str, list: &[String]| -> Result<Vec<&crate::catalog::Workflow>, CliError> {
        let cleaned = clean(list);
        match (list.is_empty(), cleaned.is_empty()) {
            (true, _) => Ok(Vec::new()),
            (false, true) => Err(CliError::usage(format!("{flag} was given an empty name"))
                .with_help(format!("valid templates: {}", catalog.names().join(", ")))),
            (false, false) => catalog.resolve(&cleaned),
        }
    };
    let added = named("--add", &args.add)?;
    let removed = named("--remove", &args.remove)?;
    if let Some(both) = added
        .iter()
        .find(|a| removed.iter().any(|r| r.name == a.name))
    {
        return Err(CliError::usage(format!(
            "`{}` is both added and removed in this run",
            both.name
        ))
        .with_help("pass it to --add or to --remove, not both")
        .into());
    }
    for w in added {
        if !names.contains(&w.name) {
            names.push(w.name.clone());
        }
    }
    for w in removed {
        if !names.contains(&w.name) {
            return Err(
                CliError::usage(format!("the app has no `{}` workflow to remove", w.name))
                    .with_help(format!("its workflows: {}", names.join(", ")))
                    .into(),
            );
        }
        names.retain(|n| *n != w.name);
    }
    if names.is_empty() {
        return Err(
            CliError::usage("an app needs at least one workflow; nothing was changed")
                .with_help("keep one, or --add another in the same run")
                .into(),
        );
    }
    let order = catalog.names();
    names.sort_by_key(|n| order.iter().position(|o| o == n));
    Ok(names)
}

/// `--dry-run`: unified diffs of every change (text), or the plan (JSON).
fn print_dry_run(plan: &Plan, format: Format, shell: &Shell) -> Result<()> {
    if format == Format::Json {
        shell.data(serde_json::to_string_pretty(&plan_json(plan, true)?)?);
        return Ok(());
    }
    let mut out = String::new();
    for f in &plan.files {
        let (verb, new) = match f.action {
            Action::Identical | Action::Keep => continue,
            Action::Remove => ("remove", None),
            Action::Conflict => ("conflict", f.merged.as_ref().map(|m| m.text.as_slice())),
            action => (action.verb(), Some(f.contents.as_slice())),
        };
        out.push_str(&format!("{verb:>12}  {}\n", f.path));
        if f.path != manifest::PATH {
            // Only files that change are read again, for their diff.
            let on_disk = plan::Existing::read(&DiskTree(&plan.app_dir), &f.path);
            out.push_str(&merge::unified(&f.path, on_disk.as_deref(), new));
        }
    }
    let kept: Vec<String> = plan
        .files
        .iter()
        .filter(|f| f.action == Action::Keep)
        .map(|f| {
            format!(
                "{:>12}  {} ({})\n",
                "keep",
                f.path,
                f.note.as_deref().unwrap_or("")
            )
        })
        .collect();
    out.push_str(&kept.concat());
    if out.is_empty() {
        out.push_str("The app is up to date: nothing would change.\n");
    }
    if !plan.database.steps.is_empty() {
        out.push_str("database:\n");
        for step in &plan.database.steps {
            out.push_str(&format!("  - {step}\n"));
        }
    }
    out.push_str("(dry run: nothing was written)");
    shell.data(out);
    Ok(())
}

fn summarize(plan: &Plan, shell: &Shell) {
    let count = |a: Action| plan.files.iter().filter(|f| f.action == a).count();
    let conflicted: Vec<&str> = plan
        .files
        .iter()
        .filter(|f| f.action == Action::Conflicted)
        .map(|f| f.path.as_str())
        .collect();
    shell.status(
        "Finished",
        format!(
            "update of {} ({}): {} updated, {} created, {} merged, {} conflicted, {} removed, {} kept",
            plan.app_dir.display(),
            plan.templates.join(", "),
            count(Action::Update) + count(Action::Overwrite) + count(Action::Backup),
            count(Action::Create),
            count(Action::Merge),
            conflicted.len(),
            count(Action::Remove),
            count(Action::Keep),
        ),
    );
    if !conflicted.is_empty() {
        shell.info(format!(
            "Resolve the conflict markers (<<<<<<< yours ... >>>>>>> tasker-app) in: {}",
            conflicted.join(", ")
        ));
    }
    shell.info("Then: cargo build, and `cargo run -- migrate` if you did not pass --database-url");
}
