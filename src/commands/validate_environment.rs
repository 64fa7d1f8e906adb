/*!
`tasker-app validate-environment`: every check, as text with marks or as the
contract's JSON; exit 4 when a required check failed.
*/

use crate::cli::{Format, ValidateArgs};
use crate::environment::{self, CheckStatus};
use crate::error::{CliError, Exit};
use crate::shell::Shell;
use anyhow::Result;
use serde_json::json;

pub fn run(args: ValidateArgs, shell: &Shell) -> Result<()> {
    let url = args
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = url {
        crate::db::url::check(url)?;
    }
    let checks = environment::all_checks(url);
    let ok = !checks.iter().any(|c| c.status == CheckStatus::Fail);
    match args.format {
        Format::Json => shell.data(serde_json::to_string_pretty(
            &json!({ "ok": ok, "checks": checks }),
        )?),
        Format::Text => shell.data(environment::render_text(&checks)),
    }
    if ok {
        return Ok(());
    }
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .map(|c| c.id.as_str())
        .collect();
    Err(CliError::new(
        Exit::EnvironmentNotReady,
        format!("environment not ready: {} failed", failed.join(", ")),
    )
    .with_help(
        "follow the hint of each failed check, then run `tasker-app validate-environment` again",
    )
    .into())
}
