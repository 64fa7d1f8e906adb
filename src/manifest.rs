/*!
`.tasker-app/manifest.toml`: what a build generated, so a re-run can tell a file
the user edited from one that is unchanged since it was generated, and can reuse
the answers (templates, API URL, observability) of the first run.
*/

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub const PATH: &str = ".tasker-app/manifest.toml";

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
        Ok(manifest)
    }

    /// Reads `APP/.tasker-app/manifest.toml`; `Ok(None)` if there is none.
    pub fn read(app_dir: &Path) -> Result<Option<Self>> {
        let path = app_dir.join(PATH);
        match std::fs::read_to_string(&path) {
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
            },
            files: [
                ("z.rs".to_string(), "1".to_string()),
                ("a.rs".to_string(), "2".to_string()),
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
