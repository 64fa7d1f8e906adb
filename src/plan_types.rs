/*!
The plan's vocabulary, below everything that plans or applies: what happens to
one file ([`Action`], [`FilePlan`]), to the database ([`DatabasePlan`]), to
the app ([`Plan`]), in which [`Mode`], and the versions a plan is made for.
`plan` (which decides), `merge` and `vendor` (which refine a decision) and
`apply` (which carries it out) all stand above this module.
*/

use crate::manifest::{Manifest, sha256_hex};
use serde::Serialize;
use std::path::PathBuf;

/// The exact version of the `tasker-*` engine crates generated apps pin.
pub const TASKER_VERSION: &str = "0.1.8";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const DEFAULT_API_BASE_URL: &str = "http://127.0.0.1:3001";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Identical,
    Update,
    Conflict,
    Skip,
    Overwrite,
    Backup,
    Merge,
    Conflicted,
    Keep,
    Remove,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Identical => "identical",
            Action::Update => "update",
            Action::Conflict => "conflict",
            Action::Skip => "skip",
            Action::Overwrite => "overwrite",
            Action::Backup => "backup",
            Action::Merge => "merge",
            Action::Conflicted => "conflicted",
            Action::Keep => "keep",
            Action::Remove => "remove",
        }
    }

    /// Does applying this action write the new contents?
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Create
                | Action::Update
                | Action::Overwrite
                | Action::Backup
                | Action::Merge
                | Action::Conflicted
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FilePlan {
    pub path: String,
    pub action: Action,
    /// sha256 of what tasker-app generates for this path (recorded in the manifest).
    pub sha256: String,
    /// What is written: the rendering, or a merge of it with the owner's edits.
    #[serde(skip)]
    pub contents: Vec<u8>,
    /// What tasker-app generated (the next update's merge base).
    #[serde(skip)]
    pub rendered: Vec<u8>,
    /// For a conflict: the three-way merge (clean, or with conflict markers),
    /// when the file is text.
    #[serde(skip)]
    pub merged: Option<Merged>,
    /// Why, for `keep` and `remove`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl FilePlan {
    pub fn new(path: String, action: Action, contents: Vec<u8>) -> FilePlan {
        FilePlan {
            sha256: sha256_hex(&contents),
            path,
            action,
            rendered: contents.clone(),
            contents,
            merged: None,
            note: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabasePlan {
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub app_dir: PathBuf,
    pub templates: Vec<String>,
    pub files: Vec<FilePlan>,
    pub database: DatabasePlan,
    #[serde(skip)]
    pub manifest: Manifest,
}

impl Plan {
    pub fn conflicts(&self) -> impl Iterator<Item = &FilePlan> {
        self.files.iter().filter(|f| f.action == Action::Conflict)
    }

    pub fn writes_anything(&self) -> bool {
        self.files.iter().any(|f| f.action.writes())
    }
}

/// Where the base of each generated file is kept: what tasker-app generated
/// last time, the common ancestor of update's three-way merges.
pub const BASE_DIR: &str = ".tasker-app/base";

/// `build` keeps every file it no longer generates; `update` removes the
/// unchanged ones and merges edited files with the new rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Build,
    Update,
}

/// A three-way merge's result (`merge`): clean, or with conflict markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub clean: bool,
    pub text: Vec<u8>,
}
