/*!
Which folders tasker-app may write an app into: the rule shared by `build`
and the wizard that asks for its name (a module of its own, below both, so
neither imports the other for it).
*/

use crate::error::{CliError, Exit};
use anyhow::Result;

/// Build writes into DIR/APP_NAME only when it does not exist yet, is an empty
/// folder, or is an app tasker-app generated (it has the manifest): never into
/// someone else's folder, also not through a symlink.
pub fn refuse_foreign_folder(app_dir: &std::path::Path) -> Result<()> {
    let is_link = app_dir
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    let why = if is_link && !app_dir.exists() {
        "is a symlink to nothing"
    } else if app_dir.is_dir()
        && std::fs::read_dir(app_dir).map_or(true, |mut d| d.next().is_some())
    {
        if is_link {
            "is a symlink to a folder that is not empty and not a tasker-app app (it has no .tasker-app/manifest.toml)"
        } else {
            "is not empty and is not a tasker-app app (it has no .tasker-app/manifest.toml)"
        }
    } else {
        return Ok(());
    };
    Err(CliError::new(
        Exit::Conflict,
        format!("{} {why}; nothing was written", app_dir.display()),
    )
    .with_help("choose another APP_NAME or --output-dir, or empty or move that folder; tasker-app writes only into a new or empty folder, or into an app it generated")
    .into())
}
