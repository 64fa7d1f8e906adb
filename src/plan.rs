/*!
Planning a build, without side effects: render every file of the app from the
catalog, check the workflows, then classify each file against what is already on
disk and in the manifest. The applier (`apply::fs`) only carries the plan out.

Classification of one file:
- `create`: nothing there yet;
- `identical`: the bytes on disk are what we would write;
- `update`: on disk is exactly what tasker-app generated last time (the manifest
  says so), so the new version replaces it without losing anything;
- `conflict`: the user changed it (or it was never ours); the conflict policy
  turns this into `skip`, `overwrite` or `backup`, or aborts.
*/

use crate::catalog::{Catalog, Workflow};
use crate::manifest::{self, Answers, Manifest, sha256_hex};
use crate::render::{RenderedFile, render_dir};
use crate::workflow_check;
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
        }
    }

    /// Does applying this action write the new contents?
    pub fn writes(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Overwrite | Action::Backup
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FilePlan {
    pub path: String,
    pub action: Action,
    pub sha256: String,
    #[serde(skip)]
    pub contents: Vec<u8>,
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

/// What is already in the app folder. Reading is the only access planning has.
pub trait Existing {
    fn read(&self, rel: &str) -> Option<Vec<u8>>;
}

/// The real app folder.
pub struct DiskTree<'a>(pub &'a Path);

impl Existing for DiskTree<'_> {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.0.join(rel)).ok()
    }
}

impl Existing for BTreeMap<String, Vec<u8>> {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        self.get(rel).cloned()
    }
}

/// The Tera context every template sees (see docs/ARCHITECTURE.md).
pub fn tera_context(answers: &Answers, workflows: &[&Workflow]) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("app_name", &answers.app_name);
    ctx.insert("crate_name", &crate::names::crate_name(&answers.app_name));
    ctx.insert("tool_version", TOOL_VERSION);
    ctx.insert("tasker_version", TASKER_VERSION);
    ctx.insert("api_base_url", &answers.api_base_url);
    ctx.insert("observability", &answers.observability);
    let names: Vec<&str> = workflows.iter().map(|w| w.name.as_str()).collect();
    ctx.insert("templates", &names);
    for known in ["ecommerce", "inventory", "customer-onboarding"] {
        ctx.insert(known.replace('-', "_"), &names.contains(&known));
    }
    ctx
}

/// Renders the whole app: skeleton, chosen workflows, database objects under `db/`.
/// Checks every rendered task template and that each handler it names exists.
pub fn render_app(
    catalog: &Catalog,
    answers: &Answers,
    workflows: &[&Workflow],
) -> Result<Vec<RenderedFile>> {
    let ctx = tera_context(answers, workflows);
    let mut files = Vec::new();
    render_dir(
        catalog.skeleton,
        "templates/skeleton/files",
        &ctx,
        &mut files,
    )?;
    for w in workflows {
        render_dir(
            w.files,
            &format!("templates/workflows/{}/files", w.name),
            &ctx,
            &mut files,
        )?;
    }
    files.extend(crate::vendor::files());
    files.push(RenderedFile {
        path: "Cargo.lock".to_string(),
        contents: crate::lockfile::render(catalog.app_lock, &answers.app_name)?.into_bytes(),
    });
    let mut db = Vec::new();
    render_dir(
        catalog.database_objects,
        "database_objects",
        &tera::Context::new(),
        &mut db,
    )?;
    files.extend(db.into_iter().map(|f| RenderedFile {
        path: format!("db/{}", f.path),
        ..f
    }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(dup) = files.windows(2).find(|w| w[0].path == w[1].path) {
        bail!("two templates both generate {}", dup[0].path);
    }
    check_workflows(&files, workflows)?;
    Ok(files)
}

/// Each chosen workflow's rendered YAML parses, forms a DAG, and every
/// `handler.callable` (`ns.step`) has its handler file and a registry entry.
fn check_workflows(files: &[RenderedFile], workflows: &[&Workflow]) -> Result<()> {
    let by_path: BTreeMap<&str, &[u8]> = files
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_slice()))
        .collect();
    let registry = by_path
        .get("src/handlers/mod.rs")
        .map(|b| String::from_utf8_lossy(b))
        .unwrap_or_default();
    for w in workflows {
        let path = w.workflow_path.trim_end_matches(crate::render::TERA_SUFFIX);
        let yaml = by_path
            .get(path)
            .with_context(|| format!("the {} template does not generate {path}", w.name))?;
        let template = workflow_check::parse(path, &String::from_utf8_lossy(yaml))?;
        let registered: BTreeSet<String> = template
            .steps
            .iter()
            .map(|s| s.handler.callable.clone())
            .filter(|callable| {
                let file = format!("src/handlers/{}.rs", callable.replace('.', "/"));
                by_path.contains_key(file.as_str()) && registry.contains(&format!("\"{callable}\""))
            })
            .collect();
        workflow_check::check_handlers(path, &template, &registered)?;
    }
    Ok(())
}

/// Classifies rendered files against the disk and the previous manifest, and
/// adds the new manifest as the last file.
pub fn classify(
    app_dir: &Path,
    rendered: Vec<RenderedFile>,
    existing: &dyn Existing,
    previous: Option<&Manifest>,
    answers: &Answers,
    templates: Vec<String>,
) -> Plan {
    let mut files: Vec<FilePlan> = rendered
        .into_iter()
        .map(|f| {
            let sha256 = sha256_hex(&f.contents);
            let recorded = previous.and_then(|m| m.files.get(&f.path));
            let action = classify_file(existing.read(&f.path).as_deref(), &f.contents, recorded);
            let action = crate::vendor::managed_action(&f.path, action);
            FilePlan {
                path: f.path,
                action,
                sha256,
                contents: f.contents,
            }
        })
        .collect();
    let manifest = Manifest {
        tool_version: TOOL_VERSION.to_string(),
        tasker_version: TASKER_VERSION.to_string(),
        templates: templates.clone(),
        answers: answers.clone(),
        files: files
            .iter()
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .collect(),
    };
    let text = manifest.to_toml().into_bytes();
    let action = match existing.read(manifest::PATH) {
        None => Action::Create,
        Some(old) if old == text => Action::Identical,
        Some(_) => Action::Update,
    };
    files.push(FilePlan {
        path: manifest::PATH.to_string(),
        action,
        sha256: sha256_hex(&text),
        contents: text,
    });
    Plan {
        app_dir: app_dir.to_path_buf(),
        templates,
        files,
        database: DatabasePlan { steps: Vec::new() },
        manifest,
    }
}

/// One file: `create` if nothing is there, `identical` if the bytes match,
/// `update` if what is there is what tasker-app generated last time (`recorded`
/// is its sha256 from the manifest), else `conflict` (the user changed it).
pub fn classify_file(existing: Option<&[u8]>, new: &[u8], recorded: Option<&String>) -> Action {
    match existing {
        None => Action::Create,
        Some(bytes) if bytes == new => Action::Identical,
        Some(bytes) if recorded == Some(&sha256_hex(bytes)) => Action::Update,
        Some(_) => Action::Conflict,
    }
}

/// Resolves every conflict with `decide(path) -> skip | overwrite | backup`.
pub fn resolve_conflicts(plan: &mut Plan, mut decide: impl FnMut(&str) -> Action) {
    for f in plan
        .files
        .iter_mut()
        .filter(|f| f.action == Action::Conflict)
    {
        f.action = decide(&f.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            app_name: "shop".into(),
            api_base_url: DEFAULT_API_BASE_URL.into(),
            observability: false,
        }
    }

    fn rendered(files: &[(&str, &str)]) -> Vec<RenderedFile> {
        files
            .iter()
            .map(|(p, c)| RenderedFile {
                path: p.to_string(),
                contents: c.as_bytes().to_vec(),
            })
            .collect()
    }

    fn action_of(plan: &Plan, path: &str) -> Action {
        plan.files.iter().find(|f| f.path == path).unwrap().action
    }

    #[test]
    fn classifies_create_identical_update_and_conflict() {
        let previous = Manifest {
            tool_version: "0.0.1".into(),
            tasker_version: TASKER_VERSION.into(),
            templates: vec![],
            answers: answers(),
            files: [
                ("old.rs".to_string(), sha256_hex(b"v1")),
                ("edited.rs".to_string(), sha256_hex(b"v1")),
            ]
            .into(),
        };
        let disk: BTreeMap<String, Vec<u8>> = [
            ("same.rs".to_string(), b"x".to_vec()),
            ("old.rs".to_string(), b"v1".to_vec()),
            ("edited.rs".to_string(), b"v1 + my edit".to_vec()),
            ("theirs.rs".to_string(), b"not ours".to_vec()),
        ]
        .into();
        let files = rendered(&[
            ("new.rs", "n"),
            ("same.rs", "x"),
            ("old.rs", "v2"),
            ("edited.rs", "v2"),
            ("theirs.rs", "t"),
        ]);
        let plan = classify(
            Path::new("/app"),
            files,
            &disk,
            Some(&previous),
            &answers(),
            vec![],
        );
        assert_eq!(action_of(&plan, "new.rs"), Action::Create);
        assert_eq!(action_of(&plan, "same.rs"), Action::Identical);
        assert_eq!(action_of(&plan, "old.rs"), Action::Update);
        assert_eq!(action_of(&plan, "edited.rs"), Action::Conflict);
        assert_eq!(action_of(&plan, "theirs.rs"), Action::Conflict);
        assert_eq!(action_of(&plan, manifest::PATH), Action::Create);
        assert_eq!(plan.conflicts().count(), 2);
    }

    #[test]
    fn the_manifest_records_every_generated_file() {
        let plan = classify(
            Path::new("/app"),
            rendered(&[("a", "1"), ("b", "2")]),
            &BTreeMap::new(),
            None,
            &answers(),
            vec![],
        );
        assert_eq!(plan.manifest.files.len(), 2);
        assert_eq!(plan.manifest.files["a"], sha256_hex(b"1"));
    }

    #[test]
    fn rendering_is_reproducible_and_complete() {
        let catalog = crate::catalog::load().unwrap();
        let all: Vec<&Workflow> = catalog.workflows.iter().collect();
        let a = render_app(&catalog, &answers(), &all).unwrap();
        let b = render_app(&catalog, &answers(), &all).unwrap();
        assert_eq!(a, b);
        let paths: Vec<&str> = a.iter().map(|f| f.path.as_str()).collect();
        for expected in [
            "Cargo.toml",
            "src/main.rs",
            "src/handlers/mod.rs",
            "workflows/ecommerce/order_processing.yaml",
        ] {
            assert!(
                paths.contains(&expected),
                "{expected} missing from {paths:?}"
            );
        }
    }
}
