/*!
The template catalog: embedded in the binary, or a folder laid out the same way
(`--catalog DIR`, `TASKER_APP_CATALOG`). `skeleton/` is the app every build
renders; `workflows/<name>/` adds one workflow. Workflow
metadata (namespace, task, steps, required context) is read from the workflow's
own task-template YAML, so the YAML is the single source of truth and
`list-templates` can never disagree with what `build` generates.
*/

use crate::error::CliError;
use crate::workflow_check::{self, TaskTemplate};
use anyhow::{Context, Result, anyhow};
use include_dir::{Dir, include_dir};
use serde::Deserialize;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static DATABASE_OBJECTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/database_objects");

/// `templates/workflows/<name>/template.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateToml {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    description: String,
    /// Path of the task-template YAML under `files/`.
    workflow: String,
    /// A context that runs the workflow against the fake API (shown in next steps).
    #[serde(default)]
    example_context: Option<String>,
}

/// One workflow template: what `list-templates` shows and `build` adds.
#[derive(Debug)]
pub struct Workflow {
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    /// Path of the task template in the generated app.
    pub workflow_path: String,
    pub template: TaskTemplate,
    pub example_context: Option<String>,
    pub files: &'static Dir<'static>,
}

#[derive(Debug)]
pub struct Catalog {
    /// Where the catalog came from, for messages: `templates` (embedded) or the folder.
    pub origin: String,
    /// The folder of a `--catalog`, absolute; `None` for the embedded catalog.
    pub dir: Option<std::path::PathBuf>,
    pub skeleton: &'static Dir<'static>,
    /// The generated app's Cargo.lock, with the app named `lockfile::PLACEHOLDER`.
    pub app_lock: &'static str,
    pub workflows: Vec<Workflow>,
    pub database_objects: &'static Dir<'static>,
}

impl Workflow {
    pub fn namespace(&self) -> &str {
        &self.template.namespace_name
    }

    pub fn task_name(&self) -> &str {
        &self.template.name
    }
}

/// The embedded catalog. Fails only if the embedded data is broken (a bug).
pub fn load() -> Result<Catalog> {
    from_root(&TEMPLATES, "templates".to_string(), None)
}

/// The embedded catalog's folder tree (`tasker-app catalog export`).
pub fn embedded_tree() -> &'static Dir<'static> {
    &TEMPLATES
}

/// A catalog from a folder tree shaped like `templates/`; `origin` names it in errors.
pub(crate) fn from_root(
    root: &'static Dir<'static>,
    origin: String,
    dir: Option<std::path::PathBuf>,
) -> Result<Catalog> {
    let skeleton = root
        .get_dir("skeleton/files")
        .ok_or_else(|| anyhow!("{origin}/skeleton/files is missing"))?;
    let mut workflows = Vec::new();
    if let Some(dir) = root.get_dir("workflows") {
        for entry in dir.dirs() {
            workflows.push(load_workflow(&origin, entry)?);
        }
    }
    workflows.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(twice) = workflows.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(anyhow!(
            "{origin}/workflows: two templates are named `{}`",
            twice[0].name
        ));
    }
    let app_lock = root
        .get_file("skeleton/Cargo.lock")
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| anyhow!("{origin}/skeleton/Cargo.lock is missing (or not UTF-8)"))?;
    Ok(Catalog {
        origin,
        dir,
        skeleton,
        app_lock,
        workflows,
        database_objects: &DATABASE_OBJECTS,
    })
}

/// The generated app's embedded Cargo.lock (templates/skeleton/Cargo.lock).
pub fn embedded_app_lock() -> Option<&'static str> {
    TEMPLATES
        .get_file("skeleton/Cargo.lock")
        .and_then(|f| f.contents_utf8())
}

fn load_workflow(root: &str, dir: &'static Dir<'static>) -> Result<Workflow> {
    let origin = format!("{root}/{}", dir.path().display());
    let toml_text = dir
        .get_file(dir.path().join("template.toml"))
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| anyhow!("{origin}/template.toml is missing"))?;
    let meta: TemplateToml =
        toml::from_str(toml_text).with_context(|| format!("{origin}/template.toml is invalid"))?;
    // Both end up in paths and manifests: the path rule, and a plain name.
    crate::app_path::AppPath::parse(&meta.workflow)
        .map_err(|e| anyhow!("{origin}/template.toml: workflow {e}"))?;
    if meta.name.is_empty()
        || !meta
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(anyhow!(
            "{origin}/template.toml: name `{}` must be lower-case letters, digits, `-` and `_`",
            meta.name.escape_debug()
        ));
    }
    let files = dir
        .get_dir(dir.path().join("files"))
        .ok_or_else(|| anyhow!("{origin}/files is missing"))?;
    let yaml_path = dir.path().join("files").join(&meta.workflow);
    let yaml = files
        .get_file(&yaml_path)
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| {
            anyhow!(
                "{origin}/template.toml: workflow file files/{} is missing",
                meta.workflow
            )
        })?;
    let template = workflow_check::parse(&format!("{root}/{}", yaml_path.display()), yaml)?;
    Ok(Workflow {
        name: meta.name,
        aliases: meta.aliases,
        description: meta.description,
        workflow_path: meta.workflow,
        template,
        example_context: meta.example_context,
        files,
    })
}

impl Catalog {
    pub fn names(&self) -> Vec<&str> {
        self.workflows.iter().map(|w| w.name.as_str()).collect()
    }

    pub fn find(&self, name: &str) -> Option<&Workflow> {
        let name = name.trim().to_ascii_lowercase();
        self.workflows
            .iter()
            .find(|w| w.name == name || w.aliases.contains(&name))
    }

    /// Resolves names and aliases (already split on commas) to canonical names,
    /// in catalog order, without duplicates. An empty list means all.
    pub fn resolve(&self, requested: &[String]) -> Result<Vec<&Workflow>, CliError> {
        if requested.is_empty() {
            return Ok(self.workflows.iter().collect());
        }
        let mut chosen = Vec::new();
        for name in requested {
            match self.find(name) {
                Some(w) => chosen.push(w.name.as_str()),
                None => return Err(self.unknown(name)),
            }
        }
        Ok(self
            .workflows
            .iter()
            .filter(|w| chosen.contains(&w.name.as_str()))
            .collect())
    }

    fn unknown(&self, name: &str) -> CliError {
        let mut candidates: Vec<&str> = self.names();
        candidates.extend(
            self.workflows
                .iter()
                .flat_map(|w| w.aliases.iter().map(String::as_str)),
        );
        let closest = candidates
            .iter()
            .map(|c| (strsim::jaro_winkler(&name.to_ascii_lowercase(), c), *c))
            .filter(|(score, _)| *score > 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c);
        let valid = self
            .workflows
            .iter()
            .map(|w| {
                if w.aliases.is_empty() {
                    w.name.clone()
                } else {
                    format!("{} (alias: {})", w.name, w.aliases.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let help = match closest {
            Some(c) => format!("did you mean `{c}`? valid templates: {valid}"),
            None => format!("valid templates: {valid} (see `tasker-app list-templates`)"),
        };
        CliError::usage(format!("unknown template `{name}`")).with_help(help)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_the_three_contract_workflows() {
        let catalog = load().unwrap();
        assert_eq!(
            catalog.names(),
            ["customer-onboarding", "ecommerce", "inventory"]
        );
        let ns: Vec<_> = catalog
            .workflows
            .iter()
            .map(|w| format!("{}/{}", w.namespace(), w.task_name()))
            .collect();
        assert_eq!(
            ns,
            [
                "customer/user_onboarding",
                "ecommerce/order_processing",
                "inventory/stock_management"
            ]
        );
    }

    #[test]
    fn aliases_and_case_resolve_and_duplicates_collapse() {
        let catalog = load().unwrap();
        let names = |req: &[&str]| {
            let req: Vec<String> = req.iter().map(|s| s.to_string()).collect();
            catalog
                .resolve(&req)
                .unwrap()
                .iter()
                .map(|w| w.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&["customer"]), ["customer-onboarding"]);
        assert_eq!(
            names(&["Inventory", "ecommerce", "inventory"]),
            ["ecommerce", "inventory"]
        );
        assert_eq!(names(&[]).len(), 3);
    }

    #[test]
    fn an_unknown_name_suggests_the_closest() {
        let catalog = load().unwrap();
        let err = catalog.resolve(&["ecomerce".to_string()]).unwrap_err();
        assert!(
            err.help
                .as_deref()
                .unwrap()
                .contains("did you mean `ecommerce`"),
            "{:?}",
            err.help
        );
    }
}
