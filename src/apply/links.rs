/*!
tasker-app writes only inside the app folder. A symlink inside an existing app
(a folder such as `src/` linked to a shared checkout, or a file linked
elsewhere) would take a write out of the app, or silently replace the owner's
link with a plain file; so before anything is written, every path a run could
write or remove is checked, and a link on the way refuses the whole run
(nothing written) naming the link, where it points, and the fix.

The app folder itself may be a link (build's own folder rule decides that);
only what lies below it is checked.
*/

use crate::error::{CliError, Exit};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// Refuses when any of `rel_paths` (relative to `app_dir`) passes through, or
/// is, a symlink. Paths that do not exist yet are fine up to where they stop.
pub fn refuse_links<'a>(
    app_dir: &Path,
    rel_paths: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let mut links: Vec<PathBuf> = Vec::new();
    for rel in rel_paths {
        let mut at = app_dir.to_path_buf();
        for part in Path::new(rel).components() {
            at.push(part);
            match at.symlink_metadata() {
                Ok(m) if m.file_type().is_symlink() => {
                    if !links.contains(&at) {
                        links.push(at.clone());
                    }
                    break;
                }
                Ok(_) => {}
                Err(_) => break, // does not exist (yet): nothing further to follow
            }
        }
    }
    if links.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = links
        .iter()
        .map(|l| match std::fs::read_link(l) {
            Ok(to) => format!("{} (-> {})", l.display(), to.display()),
            Err(_) => l.display().to_string(),
        })
        .collect();
    Err(CliError::new(
        Exit::Failed,
        format!(
            "{} a symlink inside the app that this run would write through or replace: {}; tasker-app writes only inside the app folder; nothing was written",
            if links.len() == 1 { "there is" } else { "there are" },
            named.join(", ")
        ),
    )
    .with_help("replace each link with a copy of what it points to (e.g. `cp -a --remove-destination \"$(readlink LINK)\" LINK` for a file), or move it away, then run again")
    .into())
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
