//! The check itself: one template ([`parse`]), then the app's workflows
//! against its handlers ([`check_handlers`]). Every problem is reported, each
//! with its file, line and fix; nothing stops at the first.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::template::{BACKOFFS, TaskTemplate};
use std::collections::{BTreeMap, BTreeSet};

/// Parses and checks one task template; `file` names it in diagnostics.
pub fn parse(file: &str, text: &str) -> Result<TaskTemplate, Diagnostics> {
    let template: TaskTemplate = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        Diagnostics(vec![Diagnostic::new(
            file,
            line,
            format!("not a valid task template: {e}"),
            "fix the YAML; the keys a task template may hold are in the engine's docs and in the workflows tasker-app generates",
        )])
    })?;
    let found = check(file, text, &template);
    if found.is_empty() {
        Ok(template)
    } else {
        Err(Diagnostics(found))
    }
}

/// Structural checks of one parsed template: steps, names, dependencies, no
/// cycle, retry within the engine's ranges, version, input schema.
pub fn check(file: &str, text: &str, t: &TaskTemplate) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at_step = |name: &str| step_line(text, name);
    let mut push =
        |line, message: String, help: &str| out.push(Diagnostic::new(file, line, message, help));
    if t.steps.is_empty() {
        push(
            key_line(text, "steps"),
            format!("task `{}` has no steps", t.name),
            "add at least one step",
        );
    }
    if !is_semver(&t.version) {
        push(
            key_line(text, "version"),
            format!(
                "version `{}` is not MAJOR.MINOR.PATCH",
                t.version.escape_debug()
            ),
            "the engine finds a task by name and version, e.g. `version: 1.0.0`",
        );
    }
    for (what, value) in [("namespace_name", &t.namespace_name), ("name", &t.name)] {
        if value.trim().is_empty()
            || value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            push(
                key_line(text, what),
                format!(
                    "{what} `{}` is empty or holds a space, `/` or a control character",
                    value.escape_debug()
                ),
                "use snake_case, e.g. `order_processing`; `run` names a task NAMESPACE/NAME",
            );
        }
    }
    let mut seen = BTreeSet::new();
    for step in &t.steps {
        if step.name.trim().is_empty() {
            push(
                at_step(&step.name),
                "a step has an empty name".into(),
                "give every step a name",
            );
        } else if !seen.insert(step.name.as_str()) {
            push(
                at_step(&step.name),
                format!("step `{}` is defined twice", step.name),
                "step names are unique within a task: rename or remove one",
            );
        }
        let callable = &step.handler.callable;
        if callable.trim().is_empty()
            || callable
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            push(
                at_step(&step.name),
                format!(
                    "step `{}` has handler.callable `{}`, empty or with a space",
                    step.name,
                    callable.escape_debug()
                ),
                "name the step's handler `namespace.step`, the `NAME` of its `Step` implementation",
            );
        }
    }
    let names: BTreeSet<&str> = t.steps.iter().map(|s| s.name.as_str()).collect();
    for step in &t.steps {
        for dep in &step.dependencies {
            if !names.contains(dep.as_str()) {
                let close = closest(dep, &names);
                push(
                    at_step(&step.name),
                    format!(
                        "step `{}` depends on `{dep}`, which is not a step of this task",
                        step.name
                    ),
                    &match close {
                        Some(c) => format!(
                            "did you mean `{c}`? a dependency names another step of the same task"
                        ),
                        None => format!(
                            "a dependency names another step of the same task: {}",
                            names.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                    },
                );
            }
            if dep == &step.name {
                push(
                    at_step(&step.name),
                    format!("step `{}` depends on itself", step.name),
                    "remove it from its own dependencies",
                );
            }
        }
        if let Some(retry) = &step.retry {
            let mut range = |what: &str, value: Option<u64>, lo: u64, hi: u64| {
                if let Some(v) = value.filter(|v| !(lo..=hi).contains(v)) {
                    push(
                        at_step(&step.name),
                        format!("step `{}` has retry.{what} {v}", step.name),
                        &format!("the engine accepts {lo} to {hi}"),
                    );
                }
            };
            range("max_attempts", retry.max_attempts.map(u64::from), 1, 100);
            range("backoff_base_ms", retry.backoff_base_ms, 100, 3_600_000);
            range("max_backoff_ms", retry.max_backoff_ms, 1_000, 3_600_000);
            if let Some(b) = &retry.backoff
                && !BACKOFFS.contains(&b.as_str())
            {
                push(
                    at_step(&step.name),
                    format!(
                        "step `{}` has retry.backoff `{}`",
                        step.name,
                        b.escape_debug()
                    ),
                    &format!("use one of {}", BACKOFFS.join(", ")),
                );
            }
        }
    }
    if let Some(cycle) = find_cycle(t) {
        push(
            at_step(&cycle[0]),
            format!("the steps form a cycle: {}", cycle.join(" -> ")),
            "a workflow is a DAG: remove one of these dependencies",
        );
    }
    if let Some(schema) = &t.input_schema {
        if let Err(e) = jsonschema::meta::validate(schema) {
            push(
                key_line(text, "input_schema"),
                format!(
                    "input_schema is not a valid JSON Schema: {e} (at {})",
                    e.instance_path()
                ),
                "fix the schema; `run` checks every task's context against it",
            );
        } else if schema
            .get("type")
            .and_then(|t| t.as_str())
            .is_some_and(|t| t != "object")
        {
            push(
                key_line(text, "input_schema"),
                "input_schema describes something other than an object".to_string(),
                "a task's context is a JSON object: use `type: object` with `properties`",
            );
        }
    }
    out.sort_by_key(|d| d.line);
    out
}

/// The app's workflows against its registered handlers: every step has a
/// handler, every handler a step. `workflows`: (file, text, template).
/// `registry` names where handlers are registered (for the fix).
pub fn check_handlers(
    workflows: &[(&str, &str, &TaskTemplate)],
    registered: &BTreeSet<String>,
    registry: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    for (file, text, t) in workflows {
        for step in &t.steps {
            let callable = &step.handler.callable;
            used.insert(callable.as_str());
            if !registered.contains(callable) {
                let (ns, name) = callable
                    .split_once('.')
                    .unwrap_or((&t.namespace_name, callable));
                out.push(Diagnostic::new(
                    file,
                    step_line(text, &step.name),
                    format!("step `{}` uses handler `{callable}`, which the app does not register", step.name),
                    format!(
                        "write src/handlers/{ns}/{name}.rs with `const NAME: &'static str = \"{callable}\";` and add `.step({ns}::{})` in {registry} (`tasker-app generate step` does both)",
                        crate::names::type_name(name)
                    ),
                ));
            }
        }
    }
    for handler in registered {
        if !used.contains(handler.as_str()) {
            out.push(Diagnostic::new(
                registry,
                None,
                format!("handler `{handler}` is registered, but no step of any workflow uses it"),
                "use it in a workflow's step (handler.callable), or remove its `.step(...)` line",
            ));
        }
    }
    out
}

fn is_semver(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The line of a top-level `key:`.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// The line where step `name` is defined (`- name: X` or `name: X` under
/// `steps:`), quoted or not.
fn step_line(text: &str, name: &str) -> Option<usize> {
    let start = key_line(text, "steps")?;
    text.lines().enumerate().skip(start).find_map(|(i, l)| {
        let l = l.trim_start().trim_start_matches("- ").trim_start();
        let value = l.strip_prefix("name:")?.trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        (value == name).then_some(i + 1)
    })
}

fn closest<'a>(name: &str, among: &BTreeSet<&'a str>) -> Option<&'a str> {
    among
        .iter()
        .copied()
        .filter(|c| {
            let (a, b) = (name.len() as isize, c.len() as isize);
            (a - b).abs() <= 2
                && (c.contains(name) || name.contains(c) || edit_distance(name, c) <= 2)
        })
        .min_by_key(|c| edit_distance(name, c))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j]))
                .min(row[j] + 1)
                .min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A dependency cycle as a path of step names, if there is one.
pub fn find_cycle(t: &TaskTemplate) -> Option<Vec<String>> {
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
    let edges: Vec<(&str, Vec<&str>)> = deps.iter().map(|(k, v)| (*k, v.clone())).collect();
    find_cycle_in(&edges).map(|c| c.into_iter().map(str::to_string).collect())
}

/// A cycle in `step -> its dependencies`, as a path that ends where it starts.
pub fn find_cycle_in<'a>(edges: &[(&'a str, Vec<&'a str>)]) -> Option<Vec<&'a str>> {
    let deps: BTreeMap<&str, &Vec<&str>> = edges.iter().map(|(k, v)| (*k, v)).collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        n: &'a str,
        deps: &BTreeMap<&'a str, &Vec<&'a str>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|p| *p == n).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(n);
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(n, Mark::Visiting);
        path.push(n);
        for d in deps.get(n).map(|v| v.as_slice()).unwrap_or(&[]) {
            if let Some(c) = visit(d, deps, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(n, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for (n, _) in edges {
        if let Some(c) = visit(n, &deps, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
name: refund
namespace_name: shop
version: 1.0.0
input_schema:
  type: object
  required: [order_id]
  properties:
    order_id: {type: integer}
steps:
  - name: fetch
    handler:
      callable: shop.fetch
  - name: charge
    handler:
      callable: shop.charge
    dependencies: [fetch]
";

    #[test]
    fn a_good_template_passes() {
        let t = parse("w.yaml", GOOD).unwrap();
        assert_eq!(t.steps.len(), 2);
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let bad = GOOD
            .replace("dependencies: [fetch]", "dependencies: [fetchh, charge]")
            .replace("version: 1.0.0", "version: one")
            .replace("{type: integer}", "{type: 12}");
        let err = parse("w.yaml", &bad).unwrap_err().to_string();
        assert!(
            err.contains("w.yaml:13: step `charge` depends on `fetchh`"),
            "{err}"
        );
        assert!(err.contains("did you mean `fetch`"), "{err}");
        assert!(err.contains("depends on itself"), "{err}");
        assert!(err.contains("w.yaml:3: version `one`"), "{err}");
        assert!(
            err.contains("w.yaml:4: input_schema is not a valid JSON Schema"),
            "{err}"
        );
    }

    #[test]
    fn cycles_duplicates_and_unknown_keys() {
        let cycle = GOOD.replace(
            "      callable: shop.fetch\n",
            "      callable: shop.fetch\n    dependencies: [charge]\n",
        );
        let err = parse("w.yaml", &cycle).unwrap_err().to_string();
        assert!(err.contains("cycle: "), "{err}");
        let twice = GOOD.replace("name: charge", "name: fetch");
        assert!(
            parse("w.yaml", &twice)
                .unwrap_err()
                .to_string()
                .contains("defined twice")
        );
        let unknown = GOOD.replace(
            "    dependencies: [fetch]",
            "    dependencies: [fetch]\n    retry: {limit: 3}",
        );
        let err = parse("w.yaml", &unknown).unwrap_err().to_string();
        assert!(err.contains("unknown field `limit`"), "{err}");
        assert!(err.starts_with("w.yaml:"), "{err}");
    }

    #[test]
    fn handlers_both_ways() {
        let t = parse("w.yaml", GOOD).unwrap();
        let registered: BTreeSet<String> = ["shop.fetch", "shop.extra"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let found = check_handlers(&[("w.yaml", GOOD, &t)], &registered, "src/handlers/mod.rs");
        let text = Diagnostics(found).to_string();
        assert!(
            text.contains("w.yaml:13: step `charge` uses handler `shop.charge`"),
            "{text}"
        );
        assert!(
            text.contains("handler `shop.extra` is registered, but no step"),
            "{text}"
        );
    }
}
