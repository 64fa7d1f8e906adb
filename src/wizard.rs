/*!
The guided build: `tasker-app build` without APP_NAME, in a terminal, asks for
what it was not told. It only fills in [`BuildArgs`]; the build itself (plan,
conflicts, apply, database) is the same as with flags, and nothing is written
until every answer is in.

Each answer is checked by the same rule the flags go through (name, URL,
database preflight) and asked again with the reason when it fails. Enter on
every question gives the defaults of a flag-less build.

A URL may hold a password, so the two URL questions (database, API) are asked
with [`masked::ask`]: what is typed is drawn masked key by key, never in
clear, so no password is left on screen or in the scrollback whether the
question is answered, refused, or abandoned with Ctrl-C or Esc (exit 130,
nothing written). The answer stays on screen in its redacted form, and the
shell hides its password from every later line too.
*/

mod masked;

use crate::catalog::Catalog;
use crate::cli::BuildArgs;
use crate::error::{CliError, Exit};
use crate::shell::Shell;
use crate::terminal_text::escape;
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
            Some(url) => {
                shell.hide_also(crate::db::url::secrets_of(&url));
                args.database_url = Some(url);
            }
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
            crate::app_folder::refuse_foreign_folder(&app_dir).map_err(|e| format!("{e:#}"))
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
            let line = escape(&format!("{:<20} {}", w.name, w.description)).into_owned();
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
            say(term, &format!("Workflows: {}", names.join(", ")))?;
            return Ok(names);
        }
        say(term, "  pick at least one workflow (Space selects it)")?;
    }
}

/// A line of the wizard's own, with control characters escaped.
fn say(term: &Term, line: &str) -> Result<()> {
    term.write_line(&escape(line))?;
    Ok(())
}

/// A question asked with [`masked::ask`]: the answer typed, or the end of the
/// build when it was abandoned (exit 130, nothing written).
fn ask_masked(term: &Term, theme: &dyn Theme, prompt: &str, hint: Option<&str>) -> Result<String> {
    match masked::ask(term, theme, prompt, hint).context(ABANDONED)? {
        Ok(typed) => Ok(typed),
        Err(how) => {
            let key = match how {
                masked::Abandoned::CtrlC => "Ctrl-C",
                masked::Abandoned::Escape => "Esc",
            };
            Err(CliError::new(Exit::Interrupted, format!("{key}: {ABANDONED}")).into())
        }
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
            masked::mask_final(url)
        ),
        None => "Database to prepare, as postgresql://USER:PASSWORD@HOST:PORT/DB. Enter: none, files only (migrate later)".to_string(),
    };
    loop {
        say(term, &question)?;
        let typed = ask_masked(term, theme, "Database URL", None)?;
        // The prompt line is gone; the question goes too, and the answer
        // takes their place, masked.
        let width = usize::from(term.size().1).max(1);
        let _ = term.clear_last_lines(
            console::measure_text_width(&question)
                .div_ceil(width)
                .max(1),
        );
        let typed = typed.trim();
        let url = if typed.is_empty() {
            from_env.clone()
        } else if NO_DATABASE.contains(&typed.to_ascii_lowercase().as_str()) {
            None
        } else {
            Some(typed.to_string())
        };
        let Some(url) = url else {
            say(
                term,
                "Database: none (files only; run `cargo run -- migrate` in the app later)",
            )?;
            return Ok(None);
        };
        let shown = masked::mask_final(&url);
        say(term, &format!("Database: {shown}"))?;
        // Every line about it loses the password, whatever wrote it.
        let scrub = |text: &str| crate::db::url::scrub(text, &url);
        let problems: Vec<(String, Option<String>)> = if crate::db::url::after_scheme(&url)
            .is_none()
            && !url.contains('=')
        {
            // Neither a URL nor key=value (e.g. `user:pw@host`): the
            // driver's rules would not know which part to hide.
            vec![(
                format!("`{shown}` is not a PostgreSQL URL (no postgresql://) nor key=value pairs"),
                Some("write it as postgresql://USER:PASSWORD@HOST:PORT/DB".to_string()),
            )]
        } else if let Err(e) = crate::db::url::check(&url) {
            vec![(e.message, e.help)]
        } else {
            crate::environment::checks_for_build(Some(&url))
                .into_iter()
                .filter(|c| c.status == crate::environment::CheckStatus::Fail)
                .map(|c| (c.found, Some(c.hint)))
                .collect()
        };
        if problems.is_empty() {
            return Ok(Some(url));
        }
        for (found, help) in problems {
            say(term, &format!("  not usable: {}", scrub(&found)))?;
            if let Some(help) = help {
                say(term, &format!("  help: {}", scrub(&help)))?;
            }
        }
        say(
            term,
            "  enter another URL, or `none` to write the files only",
        )?;
    }
}

fn ask_api_base_url(theme: &dyn Theme, term: &Term) -> Result<String> {
    let prompt = "External API base URL (the default is the app's built-in fake-api)";
    let default = crate::plan::DEFAULT_API_BASE_URL;
    loop {
        let typed = ask_masked(term, theme, prompt, Some(default))?;
        let typed = match typed.trim() {
            "" => default,
            typed => typed,
        };
        match crate::api_url::from_flag(typed) {
            Ok(_) => {
                let mut line = String::new();
                theme.format_input_prompt_selection(
                    &mut line,
                    prompt,
                    &masked::mask_final(typed),
                )?;
                say(term, &line)?;
                return Ok(typed.to_string());
            }
            Err(e) => say(term, &format!("  not usable: {}", e.message))?,
        }
    }
}
