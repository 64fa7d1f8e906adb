/*!
`tasker-app install-database-objects [APP_DIR]`: copy the embedded SQL into
`APP_DIR/db/` (never over a file the user edited: that is a conflict, exit 3,
and nothing is written), then apply everything pending in one transaction.
`--check` compares the live database with every function and view of
`APP_DIR/db/` (tasker-app's and the user's; the embedded definitions when
APP_DIR has no `db/`), exit 5 on drift naming each object; `--dry-run` prints
what would happen.
*/

use crate::cli::{Format, InstallDbArgs};
use crate::db::{self, Status, sources};
use crate::error::{CliError, Exit};
use crate::manifest::{self, Manifest};
use crate::plan::{Action, FilePlan, classify_file};
use crate::shell::Shell;
use anyhow::{Context, Result};
use serde_json::json;
use std::path::Path;

pub fn run(args: InstallDbArgs, shell: &Shell) -> Result<()> {
    let url = args
        .database_url
        .as_deref()
        .filter(|u| !u.trim().is_empty());
    if let Some(url) = url {
        db::url::check(url)?;
    }
    if args.check {
        return check(&args.app_dir, url, args.format, shell);
    }
    refuse_unless_app(&args.app_dir)?;
    // The app's lock, as every writer of an app holds it (a dry run takes none).
    let _lock = crate::apply::lock::AppLock::for_writing(&args.app_dir, args.dry_run, shell)?;
    let embedded = sources::embedded_files()?;
    let copies = plan_copies(&args.app_dir, &embedded)?;
    if args.dry_run {
        return print_dry_run(&args.app_dir, &copies, args.format, shell);
    }
    let url = url.ok_or_else(|| {
        CliError::usage("install-database-objects needs a database: pass --database-url or set DATABASE_URL")
            .with_help("e.g. --database-url postgresql://postgres:postgres@127.0.0.1:5432/app (or use --dry-run to see the plan)")
    })?;
    let conflicts: Vec<&str> = copies
        .iter()
        .filter(|c| c.action == Action::Conflict)
        .map(|c| c.path.as_str())
        .collect();
    if !conflicts.is_empty() {
        return Err(CliError::new(
            Exit::Conflict,
            format!("{} file(s) in {} differ from tasker-app's and were edited: {}; nothing was written", conflicts.len(), args.app_dir.display(), conflicts.join(", ")),
        )
        .with_help("move your edits into new files (e.g. a new db/migrations/NNNN_*.sql), or delete the edited files to get tasker-app's versions back")
        .into());
    }
    // Never through a symlink in the app (before the database is touched).
    let writes = copies
        .iter()
        .filter(|c| c.action.writes())
        .map(|c| c.path.as_str());
    crate::apply::links::refuse_links(&args.app_dir, writes.chain([manifest::PATH]))?;
    // The checks build runs too: reachable, version, pgmq, uuidv7, privileges.
    // Before writing anything.
    crate::environment::preflight_for_build(url, shell)?;
    let applied = write_copies(&args.app_dir, &copies, shell)
        .and_then(|()| db::apply_app_dir(url, &args.app_dir, shell));
    match (applied, args.format) {
        (Ok(report), Format::Json) => shell.data(serde_json::to_string_pretty(
            &json!({ "ok": true, "files": copies, "database": report }),
        )?),
        (Ok(_), Format::Text) => {}
        // One JSON document, always: the error with the files it concerned.
        (Err(e), Format::Json) => {
            let doc = crate::error::json_error(&e, json!({ "files": copies }));
            shell.data(serde_json::to_string_pretty(&doc)?);
            return Err(e);
        }
        (Err(e), Format::Text) => return Err(e),
    }
    Ok(())
}

/// `install-database-objects` writes `APP_DIR/db/` only into a folder that
/// exists and is an app ([`manifest::is_app_dir`]): never a new folder, never
/// `./db` in whatever folder the user stands in.
fn refuse_unless_app(dir: &Path) -> Result<()> {
    let how = "run it in the app's folder, or pass it: `tasker-app install-database-objects path/to/app` (an app has .tasker-app/manifest.toml, or a Cargo.toml and a db/ folder); `tasker-app build` creates one";
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        return Err(
            CliError::usage(format!("the app folder {} {what}", dir.display()))
                .with_help(how)
                .into(),
        );
    }
    if !manifest::is_app_dir(dir) {
        return Err(CliError::usage(format!(
            "{} is not a tasker-app app (no .tasker-app/manifest.toml, and not a Cargo.toml with a db/ folder); nothing was written",
            dir.display()
        ))
        .with_help(how)
        .into());
    }
    Ok(())
}

/// What copying the embedded files into `APP/db/` would do, file by file.
pub fn plan_copies(app_dir: &Path, embedded: &[(String, Vec<u8>)]) -> Result<Vec<FilePlan>> {
    let manifest = Manifest::read(app_dir)?;
    let mut out = Vec::new();
    for (rel, bytes) in embedded {
        let path = format!("db/{rel}");
        let target = app_dir.join(&path);
        let existing = match std::fs::read(&target) {
            Ok(existing) => Some(existing),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
        };
        let recorded = manifest.as_ref().and_then(|m| m.files.get(&path));
        let action = classify_file(existing.as_deref(), bytes, recorded);
        out.push(FilePlan::new(path, action, bytes.clone()));
    }
    Ok(out)
}

fn write_copies(app_dir: &Path, copies: &[FilePlan], shell: &Shell) -> Result<()> {
    let mut written = Vec::new();
    for c in copies {
        match c.action {
            Action::Identical => shell.status("identical", &c.path),
            Action::Create | Action::Update => {
                write_atomically(&app_dir.join(&c.path), &c.contents)?;
                shell.status(c.action.verb(), &c.path);
                written.push(c);
            }
            _ => unreachable!(
                "install plans only create, identical, update or conflict, and conflicts stop before writing"
            ),
        }
    }
    // Keep the manifest true, so a later build still knows these files as generated.
    if let Some(mut m) = Manifest::read(app_dir)?
        && !written.is_empty()
    {
        for c in written {
            m.files.insert(c.path.clone(), c.sha256.clone());
        }
        write_atomically(&app_dir.join(manifest::PATH), m.to_toml().as_bytes())?;
    }
    Ok(())
}

/// A rename over the target: never a half-written file.
fn write_atomically(target: &Path, contents: &[u8]) -> Result<()> {
    let dir = target.parent().expect("an app file has a parent folder");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, contents)
        .with_context(|| format!("cannot write {}", target.display()))?;
    // A temporary file is private (0600); an app file is readable like the
    // rest of the app.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}

fn print_dry_run(app_dir: &Path, copies: &[FilePlan], format: Format, shell: &Shell) -> Result<()> {
    let files: Vec<(&str, &[u8])> = copies
        .iter()
        .map(|c| (c.path.as_str(), c.contents.as_slice()))
        .collect();
    let version = db::engine::pinned_version(app_dir);
    let steps = db::plan_steps(files, &version);
    match format {
        Format::Json => shell.data(serde_json::to_string_pretty(&json!({
            "app_dir": app_dir, "dry_run": true, "files": copies, "database": { "steps": steps }
        }))?),
        Format::Text => {
            let mut out = format!("Plan for {}\n", app_dir.display());
            for c in copies {
                out.push_str(&format!("{:>12}  {}\n", c.action.verb(), c.path));
            }
            out.push_str("database:\n");
            for s in steps {
                out.push_str(&format!("  - {s}\n"));
            }
            out.push_str("(dry run: nothing was written or applied)");
            shell.data(out);
        }
    }
    Ok(())
}

fn check(app_dir: &Path, url: Option<&str>, format: Format, shell: &Shell) -> Result<()> {
    let url = url.ok_or_else(|| {
        CliError::usage("--check needs a database: pass --database-url or set DATABASE_URL")
    })?;
    let db_dir = app_dir.join("db");
    let sources = if db_dir.is_dir() {
        sources::from_dir(&db_dir)?
    } else {
        sources::embedded()?
    };
    let statuses = db::check(url, &sources)?;
    let bad: Vec<String> = statuses
        .iter()
        .filter(|s| s.status != Status::Ok)
        .map(|s| {
            format!(
                "{} {} ({}: {})",
                s.kind,
                s.name,
                s.status.as_str(),
                s.reason
            )
        })
        .collect();
    match format {
        Format::Json => shell.data(serde_json::to_string_pretty(
            &json!({ "ok": bad.is_empty(), "objects": statuses }),
        )?),
        Format::Text => {
            let mut out = String::new();
            for s in &statuses {
                out.push_str(&format!("{:>9}  {} {}", s.status.as_str(), s.kind, s.name));
                if !s.reason.is_empty() {
                    out.push_str(&format!(" ({})", s.reason));
                }
                out.push('\n');
            }
            out.push_str(&format!(
                "{} object(s), {} differ",
                statuses.len(),
                bad.len()
            ));
            shell.data(out);
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    Err(CliError::new(
        Exit::Drift,
        format!(
            "{} database object(s) differ from tasker-app's definitions: {}",
            bad.len(),
            bad.join("; ")
        ),
    )
    .with_help("run `tasker-app install-database-objects` (without --check) to reinstall them")
    .into())
}
