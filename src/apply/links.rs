/*!
tasker-app writes only inside the app folder, and only where a file can go.
Every path a run could write or remove passes the path rule
(`crate::app_path`) and is checked on disk before anything is written. A symlink inside an existing app
(a folder such as `src/` linked to a shared checkout, or a file linked
elsewhere) would take a write out of the app, or silently replace the owner's
link with a plain file; so before anything is written, every path a run could
write or remove is checked, and a link on the way refuses the whole run
(nothing written) naming the link, where it points, and the fix.

The app folder itself may be a link (build's own folder rule decides that);
only what lies below it is checked.
*/

use crate::app_path::{AppPath, Expect, Obstacle, check_on_disk};
use crate::error::{CliError, Exit};
use anyhow::Result;
use std::path::Path;

/// Refuses when any of `rel_paths` (relative to `app_dir`) is not a path the
/// path rule accepts, passes through or is a symlink, meets a file where a
/// folder is needed, or is a folder or a special file where the run needs to
/// put a file. Paths that do not exist yet are fine up to where they stop.
/// Every obstacle is named at once; nothing has been written.
pub fn refuse_links<'a>(
    app_dir: &Path,
    rel_paths: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let mut obstacles: Vec<Obstacle> = Vec::new();
    let mut refused = Vec::new();
    for rel in rel_paths {
        let path = match AppPath::parse(rel) {
            Ok(path) => path,
            Err(e) => {
                refused.push(e.to_string());
                continue;
            }
        };
        if let Err(o) = check_on_disk(app_dir, &path, Expect::FileOrNothing)
            && !obstacles.contains(&o)
        {
            obstacles.push(o);
        }
    }
    if !refused.is_empty() {
        return Err(CliError::new(
            Exit::Failed,
            format!(
                "this run would write or remove paths outside the app: {}; nothing was written",
                refused.join(", ")
            ),
        )
        .with_help("the paths come from the app's manifest or the catalog: fix or remove those entries (or the manifest, to start over), then run again")
        .into());
    }
    let (links, others): (Vec<Obstacle>, Vec<Obstacle>) = obstacles
        .into_iter()
        .partition(|o| matches!(o, Obstacle::Link(..)));
    if !links.is_empty() {
        let named: Vec<String> = links
            .iter()
            .map(|l| match l {
                Obstacle::Link(at, to) => format!("{} (-> {})", at.display(), to.display()),
                other => other.to_string(),
            })
            .collect();
        return Err(CliError::new(
            Exit::Failed,
            format!(
                "{} a symlink inside the app that this run would write through or replace: {}; tasker-app writes only inside the app folder; nothing was written",
                if links.len() == 1 { "there is" } else { "there are" },
                named.join(", ")
            ),
        )
        .with_help("replace each link with a copy of what it points to (e.g. `cp -a --remove-destination \"$(readlink LINK)\" LINK` for a file), or move it away, then run again")
        .into());
    }
    if !others.is_empty() {
        let named: Vec<String> = others.iter().map(ToString::to_string).collect();
        return Err(CliError::new(
            Exit::Failed,
            format!(
                "this run cannot put its files in place: {}; nothing was written",
                named.join("; ")
            ),
        )
        .with_help("move each of them away (or rename it), then run again")
        .into());
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_on_the_way_are_named_and_plain_paths_pass() {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("app");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(app.join("src/plain")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("f.rs"), "x").unwrap();
        symlink(&outside, app.join("src/shared")).unwrap();
        symlink(outside.join("f.rs"), app.join("Cargo.toml")).unwrap();
        symlink(tmp.path().join("nowhere"), app.join("dangling")).unwrap();

        refuse_links(
            &app,
            ["src/plain/new.rs", "src/new/deeper/x.rs", "README.md"],
        )
        .unwrap();

        for (rel, shown) in [
            ("src/shared/new.rs", "src/shared (->"),
            ("Cargo.toml", "Cargo.toml (->"),
            ("dangling", "dangling (->"),
        ] {
            let err = refuse_links(&app, [rel]).unwrap_err().to_string();
            assert!(err.contains(shown), "{rel}: {err}");
            assert!(err.contains("nothing was written"), "{err}");
        }
        let err = refuse_links(&app, ["src/shared/a.rs", "src/shared/b.rs", "Cargo.toml"])
            .unwrap_err()
            .to_string();
        assert_eq!(err.matches("src/shared (->").count(), 1, "{err}");
        assert!(err.starts_with("there are"), "{err}");
    }

    #[test]
    fn the_app_folder_itself_may_be_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir_all(real.join("src")).unwrap();
        let app = tmp.path().join("app");
        symlink(&real, &app).unwrap();
        refuse_links(&app, ["src/main.rs"]).unwrap();
    }
}
