/*!
`.tasker-app/manifest.toml`: what a build generated, so a re-run can tell a file
the user edited from one that is unchanged since it was generated, and can reuse
the answers (templates, API URL, observability) of the first run.
*/

use crate::app_path::AppPath;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub const PATH: &str = ".tasker-app/manifest.toml";

/// Far more than any manifest (one line per generated file).
const READ_LIMIT: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub tool_version: String,
    pub tasker_version: String,
    pub templates: Vec<String>,
    /// The `--catalog` folder the app was generated from; none for the embedded one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    pub answers: Answers,
    /// Path relative to the app -> sha256 of the bytes tasker-app generated.
    pub files: BTreeMap<String, String>,
}

/// The choices a build was made with; a re-run without flags reuses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answers {
    pub app_name: String,
    pub api_base_url: String,
    pub observability: bool,
    /// `build --no-shared-build`: the app compiles its dependencies in its own
    /// target/ instead of the build folder shared by every app (recorded only
    /// when set, so manifests of shared apps are unchanged).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_shared_build: bool,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Manifest {
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("a manifest always serialises");
        format!(
            "# Written by tasker-app. It records what was generated so re-runs never lose your edits.\n{body}"
        )
    }

    pub fn parse(text: &str) -> Result<Self> {
        let manifest: Manifest = toml::from_str(text).context("the manifest is not valid")?;
        // Checked here: an empty list would later read as "every workflow".
        anyhow::ensure!(
            !manifest.templates.is_empty()
                && manifest.templates.iter().all(|t| !t.trim().is_empty()),
            "the manifest is not valid: `templates` must name at least one workflow, none empty"
        );
        manifest.check_paths()?;
        crate::names::validate_app_name(&manifest.answers.app_name).map_err(|e| {
            anyhow::anyhow!("the manifest is not valid: its app_name: {}", e.message)
        })?;
        Ok(manifest)
    }

    /// Every recorded path is one the path rule accepts, in its normal form,
    /// outside `.tasker-app/`, with a sha256 as its value: a manifest may come
    /// from someone else's repository, and update removes what it lists.
    fn check_paths(&self) -> Result<()> {
        for (path, hash) in &self.files {
            let checked = AppPath::parse(path)
                .map_err(|e| anyhow::anyhow!("the manifest is not valid: the file {e}"))?;
            anyhow::ensure!(
                checked.as_str() == path,
                "the manifest is not valid: the file `{}` is not written in its plain form `{checked}`",
                path.escape_debug()
            );
            anyhow::ensure!(
                !path.starts_with(".tasker-app/"),
                "the manifest is not valid: the file `{}` is tasker-app's own bookkeeping, not a generated file",
                path.escape_debug()
            );
            anyhow::ensure!(
                hash.len() == 64
                    && hash
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "the manifest is not valid: the file `{}` has `{}` where a sha256 (64 hex digits) belongs",
                path.escape_debug(),
                hash.escape_debug()
            );
        }
        Ok(())
    }

    /// Refuses to take an app back: a manifest written by a newer tasker-app
    /// (or for newer engine crates) than this one. `path` names the manifest.
    pub fn refuse_newer(
        &self,
        tool: &str,
        engine: &str,
        path: &Path,
    ) -> Result<(), crate::error::CliError> {
        for (what, recorded, ours) in [
            ("tasker-app", &self.tool_version, tool),
            ("the tasker engine crates", &self.tasker_version, engine),
        ] {
            if newer(recorded, ours) {
                return Err(crate::error::CliError::new(
                    crate::error::Exit::Failed,
                    format!(
                        "{} records {what} {}, newer than this tasker-app's {ours}; running it would take the app back to older templates, so nothing was written",
                        path.display(),
                        recorded.escape_debug()
                    ),
                )
                .with_help("install a newer tasker-app (`curl -sSf .../install.sh | sh`), then run again"));
            }
        }
        Ok(())
    }

    /// The recorded files as checked paths (every key passed [`Self::parse`]).
    pub fn paths(&self) -> impl Iterator<Item = (AppPath, &String)> {
        self.files
            .iter()
            .filter_map(|(p, h)| Some((AppPath::parse(p).ok()?, h)))
    }

    /// Reads `APP/.tasker-app/manifest.toml`; `Ok(None)` if there is none.
    pub fn read(app_dir: &Path) -> Result<Option<Self>> {
        let path = app_dir.join(PATH);
        // Without following a link, never a FIFO or a device, bounded.
        let read = crate::app_path::read_confined(app_dir, &AppPath::parse(PATH)?, READ_LIMIT)
            .and_then(|bytes| match bytes {
                Some(bytes) => String::from_utf8(bytes)
                    .map_err(|_| std::io::Error::other("it is not UTF-8 text")),
                None => Err(std::io::ErrorKind::NotFound.into()),
            });
        match read {
            Ok(text) => Self::parse(&text)
                .with_context(|| {
                    format!(
                        "{} is damaged; fix it or delete it to start over",
                        path.display()
                    )
                })
                .map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

/// `a` is a newer version than `b` (numeric `MAJOR.MINOR.PATCH`, a
/// pre-release suffix ignored); an unreadable `a` counts as newer, so a
/// damaged version never downgrades anything.
fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Option<Vec<u64>> {
        let core = v.trim().split(['-', '+']).next()?;
        core.split('.').map(|n| n.parse().ok()).collect()
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a > b,
        (None, _) => true,
        _ => false,
    }
}

/// The rule for "this folder is a tasker-app app", shared by every command
/// that writes into an existing folder: it has `.tasker-app/manifest.toml`
/// (build made it), or a `Cargo.toml` and a `db/` folder (an app whose
/// manifest was removed, or one laid out by hand).
pub fn is_app_dir(dir: &Path) -> bool {
    dir.join(PATH).is_file() || (dir.join("Cargo.toml").is_file() && dir.join("db").is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(newer("0.2.0", "0.1.9"));
        assert!(newer("0.1.10", "0.1.9"));
        assert!(!newer("0.1.0", "0.1.0"));
        assert!(!newer("0.1.0-rc.1", "0.1.0"));
        assert!(newer("garbage", "0.1.0"));
    }

    #[test]
    fn round_trips_and_sorts_files() {
        let m = Manifest {
            tool_version: "0.1.0".into(),
            tasker_version: "0.1.8".into(),
            templates: vec!["ecommerce".into()],
            catalog: None,
            answers: Answers {
                app_name: "shop".into(),
                api_base_url: "http://127.0.0.1:3001".into(),
                observability: false,
                no_shared_build: false,
            },
            files: [
                ("z.rs".to_string(), sha256_hex(b"1")),
                ("a.rs".to_string(), sha256_hex(b"2")),
            ]
            .into(),
        };
        let text = m.to_toml();
        assert!(text.find("a.rs").unwrap() < text.find("z.rs").unwrap());
        assert_eq!(Manifest::parse(&text).unwrap(), m);

        // A hand-edited list with no workflow is damage, not "all of them".
        for empty in ["templates = []", "templates = [\" \"]"] {
            let edited = text.replace("templates = [\"ecommerce\"]", empty);
            assert_ne!(edited, text);
            let err = Manifest::parse(&edited).unwrap_err();
            assert!(
                format!("{err:#}").contains("at least one workflow"),
                "{err:#}"
            );
        }
    }
}
