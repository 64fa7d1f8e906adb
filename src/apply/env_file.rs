/*!
The app's `.env` after build prepared its database: the one setting the app
needs (`DATABASE_URL`), so `cargo run -- dev` works in the app folder with no
export. The file is the owner's, not tasker-app's: it is written only when
there is none (never replaced), it holds the URL in the one form the app
reads (`tasker_app_db::url`: a key=value string becomes a URL, a user without
password moves into the query), it is not in the manifest, the app's
`.gitignore` lists it, and on Unix only its owner can read it (it holds a
password).
*/

use crate::shell::Shell;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `APP_DIR/.env` with `DATABASE_URL` unless a `.env` exists. Returns
/// whether it wrote one.
pub fn write_database_url(app_dir: &Path, database_url: &str, shell: &Shell) -> Result<bool> {
    let path = app_dir.join(".env");
    // The URL in the one form the app reads (the rule both share, see
    // `db::url::check`, which the command ran before anything was written).
    let Some(database_url) = crate::db::url::app_url(database_url) else {
        shell.note("no .env written: the database URL is not one the app can read; export DATABASE_URL before `cargo run`");
        return Ok(false);
    };
    // dotenv's single quotes take everything up to the next quote literally;
    // the app URL is percent-encoded, so it holds neither a quote nor a line break.
    let text = format!(
        "# Written by tasker-app build (which prepared this database); yours to edit.\n\
         # Not tracked by tasker-app, and git-ignored: it holds a password.\n\
         DATABASE_URL='{database_url}'\n"
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    shell.status(
        "create",
        ".env (DATABASE_URL for `cargo run`; git-ignored, not tracked)",
    );
    Ok(true)
}
