/*!
The guided build: `tasker-app build` without APP_NAME, in a terminal, asks for
what it was not told. It only fills in [`BuildArgs`]; the build itself (plan,
conflicts, apply, database) is the same as with flags, and nothing is written
until every answer is in.

Each answer is checked by the same rule the flags go through (name, URL,
database preflight) and asked again with the reason when it fails. Enter on
every question gives the defaults of a flag-less build. A database URL is
never shown with its password: the default is printed redacted, and what was
typed is replaced on screen by its redacted form.
*/

use crate::catalog::Catalog;
use crate::cli::BuildArgs;
use crate::db::url::redact;
use crate::shell::Shell;
use anyhow::{Context, Result};
use console::Term;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Confirm, Input, MultiSelect};

/// The name a build gets when none is given.
pub const DEFAULT_APP_NAME: &str = "my-tasker-app";

/// What the user typed to leave the database out.
const NO_DATABASE: &[&str] = &["none", "-", "skip"];

/// True when `build` should ask: no APP_NAME, no `--yes`, a terminal on
/// stdin and stderr, and not a dry run or JSON output (those are for scripts).
pub fn should_ask(args: &BuildArgs, shell: &Shell) -> bool {
    args.app_name.is_none()
        && !args.yes
        && !args.dry_run
        && args.format == crate::cli::Format::Text
        && shell.is_interactive()
}

/// Asks for the name and every value no flag gave, and writes the answers
/// into `args`. Ctrl-C or Esc ends the build with nothing written.
pub fn ask(args: &mut BuildArgs, catalog: &Catalog, shell: &Shell) -> Result<()> {
    let term = Term::stderr();
    let asked = ask_all(args, catalog, shell, &term);
    if asked.is_err() {
        // A prompt hides the cursor while it draws; give it back.
        let _ = term.show_cursor();
    }
    asked
}

fn ask_all(args: &mut BuildArgs, catalog: &Catalog, shell: &Shell, term: &Term) -> Result<()> {
    let colorful = ColorfulTheme::default();
    let simple = SimpleTheme;
    let theme: &dyn Theme = if shell.color() { &colorful } else { &simple };
    shell.info("Creating a Tasker workflow app. Enter accepts the [default]; Ctrl-C quits and writes nothing.");

    args.app_name = Some(ask_name(theme, term, &args.output_dir)?);
    if args.templates.is_empty() {
        args.templates = ask_workflows(theme, term, catalog)?;
    }
    if !args.skip_db && args.database_url.is_none() {
        match ask_database(theme, term)? {
            Some(url) => args.database_url = Some(url),
            None => args.skip_db = true,
        }
    }
    if args.api_base_url.is_none() {
        args.api_base_url = Some(ask_api_base_url(theme, term)?);
    }
    if !args.observability {
        args.observability = Confirm::with_theme(theme)
            .with_prompt("Add observability (OpenTelemetry tracing, Prometheus and Jaeger in docker-compose)?")
            .default(false)
            .interact_on(term)
            .context(ABANDONED)?;
    }
    Ok(())
}

const ABANDONED: &str = "the questions were abandoned; nothing was written";

fn ask_name(theme: &dyn Theme, term: &Term, output_dir: &std::path::Path) -> Result<String> {
    let name: String = Input::with_theme(theme)
        .with_prompt("App name (a Cargo package name)")
        .default(DEFAULT_APP_NAME.to_string())
        .validate_with(|input: &String| -> Result<(), String> {
            let name = input.trim();
            crate::names::validate_app_name(name).map_err(|e| e.message)?;
            // The folder rule of build itself, asked now rather than after
            // every other question.
            let app_dir = output_dir.join(name);
            if app_dir.join(crate::manifest::PATH).is_file() {
                return Ok(()); // an app tasker-app made: a re-run
            }
            crate::commands::build::refuse_foreign_folder(&app_dir).map_err(|e| format!("{e:#}"))
        })
        .interact_text_on(term)
        .context(ABANDONED)?;
    Ok(name.trim().to_string())
}

fn ask_workflows(theme: &dyn Theme, term: &Term, catalog: &Catalog) -> Result<Vec<String>> {
    // One screen line per item: dialoguer redraws by counting lines.
    let width = usize::from(term.size().1).max(40) - 8;
    let items: Vec<String> = catalog
        .workflows
        .iter()
        .map(|w| {
            let line = format!("{:<20} {}", w.name, w.description);
            console::truncate_str(&line, width, "…").into_owned()
        })
        .collect();
    loop {
        let picked = MultiSelect::with_theme(theme)
            .with_prompt("Workflows (Space toggles, Enter accepts)")
            .items(&items)
            .defaults(&vec![true; items.len()])
            .report(false)
            .interact_on(term)
            .context(ABANDONED)?;
        if !picked.is_empty() {
            let names: Vec<String> = picked
                .into_iter()
                .map(|i| catalog.workflows[i].name.clone())
                .collect();
            term.write_line(&format!("Workflows: {}", names.join(", ")))?;
            return Ok(names);
        }
        term.write_line("  pick at least one workflow (Space selects it)")?;
    }
}

/// `Some(url)` to prepare that database, `None` to write files only.
fn ask_database(theme: &dyn Theme, term: &Term) -> Result<Option<String>> {
    let from_env = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    let question = match &from_env {
        Some(url) => format!(
            "Database to prepare. Enter: {} (from DATABASE_URL); `none`: files only",
            redact(url)
        ),
        None => "Database to prepare, as postgresql://USER:PASSWORD@HOST:PORT/DB. Enter: none, files only (migrate later)".to_string(),
    };
    let prompt = "Database URL";
    loop {
        term.write_line(&question)?;
        let typed: String = Input::with_theme(theme)
            .with_prompt(prompt)
            .allow_empty(true)
            .report(false)
            .interact_text_on(term)
            .context(ABANDONED)?;
        // What was typed may hold a password. dialoguer clears the line the
        // cursor is on (report off); a long URL wrapped onto more lines, and
        // those are cleared here, with the question. Only the redacted form
        // stays on screen.
        let width = usize::from(term.size().1).max(1);
        let rows = |text_width: usize| text_width.div_ceil(width).max(1);
        let input_rows = rows(console::measure_text_width(prompt) + typed.chars().count() + 5);
        let question_rows = rows(console::measure_text_width(&question));
        let _ = term.clear_last_lines(input_rows - 1 + question_rows);
        let typed = typed.trim();
        let url = if typed.is_empty() {
            from_env.clone()
        } else if NO_DATABASE.contains(&typed.to_ascii_lowercase().as_str()) {
            None
        } else {
            Some(typed.to_string())
        };
        let Some(url) = url else {
            term.write_line(
                "Database: none (files only; run `cargo run -- migrate` in the app later)",
            )?;
            return Ok(None);
        };
        term.write_line(&format!("Database: {}", redact(&url)))?;
        if let Err(e) = crate::db::url::check(&url) {
            term.write_line(&format!("  not usable: {}", e.message))?;
            if let Some(help) = &e.help {
                term.write_line(&format!("  help: {help}"))?;
            }
            term.write_line("  enter another URL, or `none` to write the files only")?;
            continue;
        }
        let checks = crate::environment::checks_for_build(Some(&url));
        let failed: Vec<_> = checks
            .iter()
            .filter(|c| c.status == crate::environment::CheckStatus::Fail)
            .collect();
        if failed.is_empty() {
            return Ok(Some(url));
        }
        for c in failed {
            term.write_line(&format!("  not usable: {}", c.found))?;
            term.write_line(&format!("  help: {}", c.hint))?;
        }
        term.write_line("  enter another URL, or `none` to write the files only")?;
    }
}

fn ask_api_base_url(theme: &dyn Theme, term: &Term) -> Result<String> {
    let url: String = Input::with_theme(theme)
        .with_prompt("External API base URL (the default is the app's built-in fake-api)")
        .default(crate::plan::DEFAULT_API_BASE_URL.to_string())
        .validate_with(|input: &String| -> Result<(), String> {
            crate::api_url::from_flag(input)
                .map(|_| ())
                .map_err(|e| e.message)
        })
        .interact_text_on(term)
        .context(ABANDONED)?;
    Ok(url.trim().to_string())
}
