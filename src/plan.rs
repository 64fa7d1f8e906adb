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
  turns this into `skip`, `overwrite`, `backup` or `merge`, or aborts.

`update` (and `--on-conflict merge`) go further with a changed file: a
three-way merge (`crate::merge`) of the base (what was generated last time,
kept in `.tasker-app/base/`), the file now and the new rendering gives
- `keep`: the template did not change; the owner's edit stays as it is;
- `merge`: both changed, in different places; the merge is written;
- `conflict` as above when the changes overlap (`conflicted` once markers are written).

A file tasker-app generated before but no longer generates (a workflow left
out, a file a template dropped) is `remove`d by update when unchanged, and
otherwise `keep`: it stays, is named, and stays in the manifest. Build only
ever keeps them.
*/

use crate::catalog::{Catalog, Workflow};
use crate::manifest::{self, Answers, Manifest, sha256_hex};
pub use crate::plan_types::*;
use crate::render::{RenderedFile, render_dir};
use crate::workflow_check;
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What is already in the app folder. Reading is the only access planning has.
pub trait Existing {
    fn read(&self, rel: &str) -> Option<Vec<u8>>;
}

/// The real app folder.
pub struct DiskTree<'a>(pub &'a Path);

impl Existing for DiskTree<'_> {
    /// Only a regular file reached without a link, read up to a limit: the
    /// path may come from a manifest someone else wrote. A link, a special
    /// file or a folder reads as nothing here; the applier refuses to write
    /// or remove through it (`apply::links`). A longer file reads as its
    /// first bytes, which never match what tasker-app generates.
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        use std::io::Read;
        let path = crate::app_path::AppPath::parse(rel).ok()?;
        crate::app_path::check_on_disk(self.0, &path, crate::app_path::Expect::File).ok()?;
        let file = crate::app_path::open_no_follow(&path.under(self.0)).ok()?;
        let mut bytes = Vec::new();
        file.take(READ_LIMIT).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }
}

/// More than any file tasker-app generates (the app's Cargo.lock is ~200 KB).
const READ_LIMIT: u64 = 64 << 20;

impl Existing for BTreeMap<String, Vec<u8>> {
    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        self.get(rel).cloned()
    }
}

/// The Tera context every template sees (see docs/ARCHITECTURE.md). Every
/// workflow of the catalog (`all`) has its flag, so a template may test one
/// that was not chosen.
pub fn tera_context(answers: &Answers, all: &[&str], workflows: &[&Workflow]) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("app_name", &answers.app_name);
    ctx.insert("crate_name", &crate::names::crate_name(&answers.app_name));
    ctx.insert("tool_version", TOOL_VERSION);
    ctx.insert("tasker_version", TASKER_VERSION);
    ctx.insert("api_base_url", &answers.api_base_url);
    ctx.insert("observability", &answers.observability);
    ctx.insert("shared_build", &!answers.no_shared_build);
    let names: Vec<&str> = workflows.iter().map(|w| w.name.as_str()).collect();
    ctx.insert("templates", &names);
    for known in ["ecommerce", "inventory", "customer-onboarding"]
        .iter()
        .chain(all)
    {
        ctx.insert(known.replace('-', "_"), &names.contains(known));
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
    let ctx = tera_context(answers, &catalog.names(), workflows);
    let mut files = Vec::new();
    let origin = &catalog.origin;
    render_dir(
        catalog.skeleton,
        &format!("{origin}/skeleton/files"),
        &ctx,
        &mut files,
    )?;
    for w in workflows {
        render_dir(
            w.files,
            &format!("{origin}/workflows/{}/files", w.name),
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
/// `handler.callable` (`ns.step`) has its step file `src/handlers/ns/step.rs`
/// declaring it as the step's `NAME`, with its namespace in the registry.
/// (The app checks the registry itself, exactly: `Registry::check`.)
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
                let namespace = callable.split('.').next().unwrap_or_default();
                by_path.get(file.as_str()).is_some_and(|step| {
                    String::from_utf8_lossy(step)
                        .contains(&format!("NAME: &'static str = \"{callable}\";"))
                }) && registry.contains(&format!(".step({namespace}::"))
            })
            .collect();
        workflow_check::check_handlers(path, &template, &registered)?;
    }
    Ok(())
}

/// Everything planning needs besides the rendered files.
pub struct Inputs<'a> {
    pub app_dir: &'a Path,
    pub existing: &'a dyn Existing,
    pub previous: Option<&'a Manifest>,
    pub answers: &'a Answers,
    pub templates: Vec<String>,
    pub catalog: Option<String>,
    pub mode: Mode,
}

/// The base of `path`, if it is kept and is what the manifest says was generated.
fn base_of(existing: &dyn Existing, path: &str, recorded: Option<&String>) -> Option<Vec<u8>> {
    let bytes = existing.read(&format!("{BASE_DIR}/{path}"))?;
    (recorded == Some(&sha256_hex(&bytes))).then_some(bytes)
}

/// Classifies rendered files against the disk and the previous manifest, and
/// adds the new manifest as the last file.
pub fn classify(rendered: Vec<RenderedFile>, inputs: Inputs<'_>) -> Plan {
    let Inputs {
        app_dir,
        existing,
        previous,
        answers,
        templates,
        catalog,
        mode,
    } = inputs;
    let generated: BTreeSet<String> = rendered.iter().map(|f| f.path.clone()).collect();
    let mut files: Vec<FilePlan> = rendered
        .into_iter()
        .map(|f| {
            let recorded = previous.and_then(|m| m.files.get(&f.path));
            let ours = existing.read(&f.path);
            let action = classify_file(ours.as_deref(), &f.contents, recorded);
            let action = crate::vendor::managed_action(&f.path, action);
            let mut plan = FilePlan::new(f.path, action, f.contents);
            // A generated file the owner deleted is an edit too: update leaves
            // it deleted (still recorded as generated); a build re-run brings
            // it back.
            let deleted = mode == Mode::Update
                && ours.is_none()
                && !crate::vendor::is_managed(&plan.path);
            if let (true, Some(recorded)) = (deleted, recorded) {
                let template_changed = base_of(existing, &plan.path, Some(recorded))
                    .is_none_or(|base| base != plan.rendered);
                plan.action = Action::Keep;
                plan.sha256 = recorded.clone();
                plan.note = Some(if template_changed {
                    "you deleted it, so it stays deleted although the template changed it; a `tasker-app build` re-run of the app brings it back".to_string()
                } else {
                    "you deleted it, so it stays deleted".to_string()
                });
                return plan;
            }
            if action == Action::Conflict {
                let base = base_of(existing, &plan.path, recorded);
                let ours = ours.unwrap_or_default();
                crate::merge::classify_conflict(&mut plan, base.as_deref(), &ours, mode);
            }
            plan
        })
        .collect();
    // What was generated before and is not any more.
    let mut kept: BTreeMap<String, String> = BTreeMap::new();
    for (path, recorded) in previous.map(|m| &m.files).into_iter().flatten() {
        if generated.contains(path) || path == manifest::PATH {
            continue;
        }
        let Some(bytes) = existing.read(path) else {
            continue;
        };
        // A vendored crate is replaced as a unit: its dropped files go in any mode.
        // Nothing is removed that is not exactly what was recorded.
        let managed = crate::vendor::is_managed(path);
        let unchanged = sha256_hex(&bytes) == *recorded;
        let action = if unchanged && (managed || mode == Mode::Update) {
            Action::Remove
        } else {
            kept.insert(path.clone(), recorded.clone());
            Action::Keep
        };
        let mut plan = FilePlan::new(path.clone(), action, bytes);
        plan.sha256 = recorded.clone();
        plan.note = Some(match (action, unchanged) {
            (Action::Remove, _) if managed => "no longer part of the vendored crate".to_string(),
            (Action::Remove, _) => "no longer generated, unchanged".to_string(),
            (_, true) => {
                "no longer generated; left as it is (`tasker-app update` removes it)".to_string()
            }
            _ => "no longer generated; you changed it, so it stays".to_string(),
        });
        files.push(plan);
    }
    let manifest = Manifest {
        tool_version: TOOL_VERSION.to_string(),
        tasker_version: TASKER_VERSION.to_string(),
        templates: templates.clone(),
        catalog,
        answers: answers.clone(),
        files: files
            .iter()
            .filter(|f| generated.contains(&f.path))
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .chain(kept)
            .collect(),
    };
    let text = manifest.to_toml().into_bytes();
    let action = match existing.read(manifest::PATH) {
        None => Action::Create,
        Some(old) if old == text => Action::Identical,
        Some(_) => Action::Update,
    };
    files.push(FilePlan::new(manifest::PATH.to_string(), action, text));
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

/// Resolves every conflict with `decide(path) -> skip | overwrite | backup | merge`.
/// `merge` writes the three-way merge: `merge` when it is clean (no base, or
/// edits apart), `conflicted` when it has conflict markers; a file that is not
/// text cannot be merged and is kept as it is (`skip`).
pub fn resolve_conflicts(plan: &mut Plan, mut decide: impl FnMut(&str) -> Action) {
    for f in plan
        .files
        .iter_mut()
        .filter(|f| f.action == Action::Conflict)
    {
        f.action = match decide(&f.path) {
            Action::Merge | Action::Conflicted => match f.merged.take() {
                Some(merged) => {
                    f.contents = merged.text;
                    if merged.clean {
                        Action::Merge
                    } else {
                        Action::Conflicted
                    }
                }
                None => Action::Skip,
            },
            other => other,
        };
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
            no_shared_build: false,
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
        file(plan, path).action
    }

    fn file<'a>(plan: &'a Plan, path: &str) -> &'a FilePlan {
        plan.files.iter().find(|f| f.path == path).unwrap()
    }

    fn plan_with(
        files: Vec<RenderedFile>,
        disk: &BTreeMap<String, Vec<u8>>,
        previous: Option<&Manifest>,
        mode: Mode,
    ) -> Plan {
        classify(
            files,
            Inputs {
                app_dir: Path::new("/app"),
                existing: disk,
                previous,
                answers: &answers(),
                templates: vec![],
                catalog: None,
                mode,
            },
        )
    }

    fn manifest_of(files: &[(&str, &str)]) -> Manifest {
        Manifest {
            tool_version: "0.0.1".into(),
            tasker_version: TASKER_VERSION.into(),
            templates: vec![],
            catalog: None,
            answers: answers(),
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), sha256_hex(c.as_bytes())))
                .collect(),
        }
    }

    fn disk_of(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    const V1: &str = "// top\nfn a() {}\n\nfn b() {}\n\nfn c() {}\n// bottom\n";

    #[test]
    fn update_merges_an_edit_at_the_top_with_a_template_change_at_the_bottom() {
        let previous = manifest_of(&[("src/a.rs", V1)]);
        let mine = V1.replace("// top", "// top, with my note");
        let disk = disk_of(&[("src/a.rs", &mine), (".tasker-app/base/src/a.rs", V1)]);
        let v2 = V1.replace("// bottom", "// bottom\nfn d() {}");
        let plan = plan_with(
            rendered(&[("src/a.rs", &v2)]),
            &disk,
            Some(&previous),
            Mode::Update,
        );
        let f = file(&plan, "src/a.rs");
        assert_eq!(f.action, Action::Merge);
        let merged = String::from_utf8(f.contents.clone()).unwrap();
        assert!(merged.starts_with("// top, with my note\n"), "{merged}");
        assert!(merged.ends_with("// bottom\nfn d() {}\n"), "{merged}");
        assert_eq!(
            f.rendered,
            v2.as_bytes(),
            "the next base is the new rendering"
        );
        assert_eq!(plan.manifest.files["src/a.rs"], sha256_hex(v2.as_bytes()));
    }

    #[test]
    fn update_keeps_an_edit_when_the_template_did_not_change() {
        let previous = manifest_of(&[("src/a.rs", V1)]);
        let mine = V1.replace("fn b() {}", "fn b() { mine() }");
        let disk = disk_of(&[("src/a.rs", &mine), (".tasker-app/base/src/a.rs", V1)]);
        let plan = plan_with(
            rendered(&[("src/a.rs", V1)]),
            &disk,
            Some(&previous),
            Mode::Update,
        );
        assert_eq!(action_of(&plan, "src/a.rs"), Action::Keep);
        assert!(
            !file(&plan, "src/a.rs").action.writes(),
            "the edit is not touched"
        );
    }

    #[test]
    fn overlapping_edits_stay_a_conflict_with_markers_ready() {
        let previous = manifest_of(&[("src/a.rs", V1)]);
        let mine = V1.replace("fn b() {}", "fn b() { mine() }");
        let disk = disk_of(&[("src/a.rs", &mine), (".tasker-app/base/src/a.rs", V1)]);
        let v2 = V1.replace("fn b() {}", "fn b() { theirs() }");
        let mut plan = plan_with(
            rendered(&[("src/a.rs", &v2)]),
            &disk,
            Some(&previous),
            Mode::Update,
        );
        assert_eq!(plan.conflicts().count(), 1);
        resolve_conflicts(&mut plan, |_| Action::Merge);
        let f = file(&plan, "src/a.rs");
        assert_eq!(f.action, Action::Conflicted);
        let text = String::from_utf8(f.contents.clone()).unwrap();
        assert!(
            text.contains("<<<<<<< yours\nfn b() { mine() }\n"),
            "{text}"
        );
        assert!(
            text.contains("fn b() { theirs() }\n>>>>>>> tasker-app"),
            "{text}"
        );
    }

    #[test]
    fn a_base_that_is_not_what_the_manifest_recorded_is_not_trusted() {
        let previous = manifest_of(&[("src/a.rs", V1)]);
        let mine = V1.replace("// top", "// mine");
        let disk = disk_of(&[
            ("src/a.rs", &mine),
            (".tasker-app/base/src/a.rs", "tampered"),
        ]);
        let v2 = V1.replace("// bottom", "// new bottom");
        let plan = plan_with(
            rendered(&[("src/a.rs", &v2)]),
            &disk,
            Some(&previous),
            Mode::Update,
        );
        assert_eq!(action_of(&plan, "src/a.rs"), Action::Conflict);
    }

    #[test]
    fn a_generated_file_the_owner_deleted_stays_deleted_on_update_and_comes_back_on_build() {
        let previous = manifest_of(&[("same.rs", "v1"), ("changed.rs", "v1")]);
        let disk = disk_of(&[
            (".tasker-app/base/same.rs", "v1"),
            (".tasker-app/base/changed.rs", "v1"),
        ]);
        let new = rendered(&[("same.rs", "v1"), ("changed.rs", "v2")]);
        let plan = plan_with(new.clone(), &disk, Some(&previous), Mode::Update);
        for path in ["same.rs", "changed.rs"] {
            let f = file(&plan, path);
            assert_eq!(f.action, Action::Keep, "{path}");
            assert!(!f.action.writes());
            assert!(
                f.note.as_deref().unwrap().contains("you deleted it"),
                "{path}"
            );
            // Still known as generated, as it was: the next update says the same.
            assert_eq!(plan.manifest.files[path], sha256_hex(b"v1"));
        }
        assert!(
            file(&plan, "changed.rs")
                .note
                .as_deref()
                .unwrap()
                .contains("template changed it")
        );
        assert!(
            !file(&plan, "same.rs")
                .note
                .as_deref()
                .unwrap()
                .contains("template changed")
        );

        let plan = plan_with(new, &disk, Some(&previous), Mode::Build);
        assert_eq!(action_of(&plan, "same.rs"), Action::Create);
        assert_eq!(action_of(&plan, "changed.rs"), Action::Create);
    }

    #[test]
    fn files_no_longer_generated_are_removed_if_unchanged_and_kept_if_edited() {
        let previous = manifest_of(&[("keep.rs", "v1"), ("gone.rs", "v1"), ("deleted.rs", "v1")]);
        let disk = disk_of(&[("keep.rs", "v1 + mine"), ("gone.rs", "v1")]);
        let plan = plan_with(vec![], &disk, Some(&previous), Mode::Update);
        assert_eq!(action_of(&plan, "gone.rs"), Action::Remove);
        assert_eq!(action_of(&plan, "keep.rs"), Action::Keep);
        assert!(
            file(&plan, "keep.rs")
                .note
                .as_deref()
                .unwrap()
                .contains("you changed it")
        );
        assert!(!plan.files.iter().any(|f| f.path == "deleted.rs"));
        assert_eq!(plan.manifest.files.keys().collect::<Vec<_>>(), ["keep.rs"]);

        // build never removes: both stay, named, and in the manifest
        let plan = plan_with(vec![], &disk, Some(&previous), Mode::Build);
        assert_eq!(action_of(&plan, "gone.rs"), Action::Keep);
        assert_eq!(action_of(&plan, "keep.rs"), Action::Keep);
        assert_eq!(plan.manifest.files.len(), 2);
    }

    #[test]
    fn classifies_create_identical_update_and_conflict() {
        let previous = manifest_of(&[("old.rs", "v1"), ("edited.rs", "v1")]);
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
        let plan = plan_with(files, &disk, Some(&previous), Mode::Build);
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
        let plan = plan_with(
            rendered(&[("a", "1"), ("b", "2")]),
            &BTreeMap::new(),
            None,
            Mode::Build,
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

    #[test]
    fn the_build_folder_is_shared_unless_the_app_opts_out() {
        let catalog = crate::catalog::load().unwrap();
        let all: Vec<&Workflow> = catalog.workflows.iter().collect();
        let config = |answers: &Answers| {
            let files = render_app(&catalog, answers, &all).unwrap();
            let file = files.into_iter().find(|f| f.path == ".cargo/config.toml");
            String::from_utf8(file.expect("rendered").contents).unwrap()
        };
        let shared = config(&answers());
        let own = config(&Answers {
            no_shared_build: true,
            ..answers()
        });
        let dir = format!(
            "build-dir = \"{{cargo-cache-home}}/tasker-app/build/engine-{TASKER_VERSION}\""
        );
        assert!(shared.contains(&dir), "{shared}");
        assert!(!own.contains("build-dir"), "{own}");
        // Either way the vendored crates learn which app builds them.
        for text in [&shared, &own] {
            assert!(
                text.contains("TASKER_APP_DIR = { value = \".\", relative = true, force = true }")
            );
            assert!(text.ends_with("}\n") || text.ends_with("\"\n"), "{text}");
            toml::from_str::<toml::Table>(text).expect("valid TOML");
        }
    }
}
