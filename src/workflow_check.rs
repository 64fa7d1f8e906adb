/*!
Validation of task-template YAML, before anything is written. The engine silently
ignores unknown keys and accepts dependencies on steps that do not exist, so a
broken template would only fail at run time. Here it fails at generation time,
naming the file and the step.
*/

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The parts of the engine's task template that `tasker-app` checks and reports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    pub name: String,
    pub namespace_name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_yaml::Value>,
    #[serde(default)]
    pub system_dependencies: Option<serde_yaml::Value>,
    #[serde(default)]
    pub input_schema: Option<serde_json::Value>,
    #[serde(default)]
    pub domain_events: Option<serde_yaml::Value>,
    #[serde(default)]
    pub lifecycle: Option<serde_yaml::Value>,
    #[serde(default)]
    pub environments: Option<serde_yaml::Value>,
    pub steps: Vec<StepTemplate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTemplate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub handler: HandlerRef,
    #[serde(default, alias = "depends_on")]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub retry: Option<Retry>,
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    #[serde(default)]
    pub publishes_events: Option<serde_yaml::Value>,
    #[serde(default, rename = "type", alias = "step_type")]
    pub step_type: Option<String>,
    #[serde(default)]
    pub system_dependency: Option<String>,
    #[serde(default)]
    pub batch_config: Option<serde_yaml::Value>,
    #[serde(default)]
    pub result_schema: Option<serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlerRef {
    pub callable: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub resolver: Option<String>,
    #[serde(default)]
    pub initialization: Option<serde_yaml::Value>,
}

/// Retry policy. `deny_unknown_fields` catches `limit:` and friends, which the
/// engine would silently ignore.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(default)]
    pub retryable: Option<bool>,
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub backoff: Option<String>,
    #[serde(default)]
    pub backoff_base_ms: Option<u64>,
    #[serde(default)]
    pub max_backoff_ms: Option<u64>,
}

const BACKOFFS: &[&str] = &["none", "linear", "exponential", "fibonacci"];

impl TaskTemplate {
    /// The keys a task's context must have (`input_schema.required`).
    pub fn required_context(&self) -> Vec<String> {
        self.input_schema
            .as_ref()
            .and_then(|s| s.get("required"))
            .and_then(|r| r.as_array())
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Parses and checks one task template. `origin` names it in errors.
pub fn parse(origin: &str, yaml: &str) -> Result<TaskTemplate> {
    let template: TaskTemplate = serde_yaml::from_str(yaml)
        .with_context(|| format!("{origin} is not a valid task template"))?;
    check(origin, &template)?;
    Ok(template)
}

/// Structural checks: unique steps, known dependencies, no cycle, sane retry.
pub fn check(origin: &str, t: &TaskTemplate) -> Result<()> {
    if t.steps.is_empty() {
        bail!("{origin}: task `{}` has no steps", t.name);
    }
    let mut names = BTreeSet::new();
    for step in &t.steps {
        if !names.insert(step.name.as_str()) {
            bail!("{origin}: step `{}` is defined twice", step.name);
        }
        if step.handler.callable.trim().is_empty() {
            bail!(
                "{origin}: step `{}` has an empty handler.callable",
                step.name
            );
        }
    }
    for step in &t.steps {
        for dep in &step.dependencies {
            if !names.contains(dep.as_str()) {
                bail!(
                    "{origin}: step `{}` depends on `{dep}`, which is not a step of this task",
                    step.name
                );
            }
        }
        if let Some(retry) = &step.retry {
            if let Some(b) = &retry.backoff
                && !BACKOFFS.contains(&b.as_str())
            {
                bail!(
                    "{origin}: step `{}` has retry.backoff `{b}`; use one of {}",
                    step.name,
                    BACKOFFS.join(", ")
                );
            }
            if let Some(n) = retry.max_attempts.filter(|n| !(1..=100).contains(n)) {
                bail!(
                    "{origin}: step `{}` has retry.max_attempts {n}; the engine accepts 1 to 100",
                    step.name
                );
            }
            if let Some(ms) = retry
                .backoff_base_ms
                .filter(|ms| !(100..=3_600_000).contains(ms))
            {
                bail!(
                    "{origin}: step `{}` has retry.backoff_base_ms {ms}; the engine accepts 100 to 3600000",
                    step.name
                );
            }
            if let Some(ms) = retry
                .max_backoff_ms
                .filter(|ms| !(1_000..=3_600_000).contains(ms))
            {
                bail!(
                    "{origin}: step `{}` has retry.max_backoff_ms {ms}; the engine accepts 1000 to 3600000",
                    step.name
                );
            }
        }
    }
    if let Some(cycle) = find_cycle(t) {
        bail!("{origin}: the steps form a cycle: {}", cycle.join(" -> "));
    }
    Ok(())
}

/// Checks every `handler.callable` against the handlers the app registers.
pub fn check_handlers(origin: &str, t: &TaskTemplate, registered: &BTreeSet<String>) -> Result<()> {
    for step in &t.steps {
        if !registered.contains(&step.handler.callable) {
            bail!(
                "{origin}: step `{}` uses handler `{}`, but the generated registry has no such handler",
                step.name,
                step.handler.callable
            );
        }
    }
    Ok(())
}

/// A dependency cycle as a path of step names, if there is one.
fn find_cycle(t: &TaskTemplate) -> Option<Vec<String>> {
    let deps: BTreeMap<&str, Vec<&str>> = t
        .steps
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.dependencies.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        n: &'a str,
        deps: &BTreeMap<&'a str, Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|p| *p == n).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(n, Mark::Visiting);
        path.push(n);
        for d in deps.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, deps, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(n, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for name in deps.keys() {
        if let Some(c) = visit(name, &deps, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(steps: &str) -> String {
        format!("name: t\nnamespace_name: ns\nversion: 1.0.0\nsteps:\n{steps}")
    }

    #[test]
    fn a_diamond_is_accepted() {
        let t = parse(
            "t.yaml",
            &yaml(
                "  - {name: a, handler: {callable: ns.a}}\n  - {name: b, handler: {callable: ns.b}, dependencies: [a]}\n  - {name: c, handler: {callable: ns.c}, dependencies: [a]}\n  - {name: d, handler: {callable: ns.d}, dependencies: [b, c]}\n",
            ),
        )
        .unwrap();
        assert_eq!(t.steps.len(), 4);
    }

    #[test]
    fn an_unknown_dependency_is_named() {
        let err = parse(
            "t.yaml",
            &yaml("  - {name: a, handler: {callable: ns.a}, dependencies: [zzz]}\n"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("depends on `zzz`"), "{err:#}");
    }

    #[test]
    fn a_cycle_is_shown() {
        let err = parse(
            "t.yaml",
            &yaml("  - {name: a, handler: {callable: ns.a}, dependencies: [b]}\n  - {name: b, handler: {callable: ns.b}, dependencies: [a]}\n"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("cycle: a -> b -> a"), "{err:#}");
    }

    #[test]
    fn a_retry_limit_key_the_engine_would_ignore_is_refused() {
        let err = parse(
            "t.yaml",
            &yaml("  - {name: a, handler: {callable: ns.a}, retry: {limit: 3}}\n"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("limit"), "{err:#}");
    }

    #[test]
    fn a_missing_handler_is_named() {
        let t = parse(
            "t.yaml",
            &yaml("  - {name: a, handler: {callable: ns.a}}\n"),
        )
        .unwrap();
        let err = check_handlers("t.yaml", &t, &BTreeSet::new()).unwrap_err();
        assert!(err.to_string().contains("ns.a"));
    }
}
