/*!
The CLI's door to the one workflow check (`crates/tasker-app-workflow`, shared
with every generated app's `check`, `worker` and `dev`): the engine silently
ignores unknown keys and accepts dependencies on steps that do not exist, so a
broken template would only fail at run time. Here it fails before anything is
written, naming the file, the line and the fix.
*/

use anyhow::Result;
use std::collections::BTreeSet;
pub use tasker_app_workflow::TaskTemplate;
pub use tasker_app_workflow::template::{HandlerRef, Retry, StepTemplate};

/// Parses and checks one task template. `origin` names it in errors.
pub fn parse(origin: &str, yaml: &str) -> Result<TaskTemplate> {
    Ok(tasker_app_workflow::parse(origin, yaml)?)
}

/// Checks every `handler.callable` of one template against the handlers the
/// generated registry has (the other direction is the app's own: `check`).
pub fn check_handlers(origin: &str, t: &TaskTemplate, registered: &BTreeSet<String>) -> Result<()> {
    let found = tasker_app_workflow::check::check_handlers(
        &[(origin, "", t)],
        registered,
        "the generated registry",
    );
    let missing: Vec<_> = found.into_iter().filter(|d| d.file == origin).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(tasker_app_workflow::Diagnostics(missing).into())
    }
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
    fn an_unknown_dependency_a_cycle_and_an_ignored_key_are_named() {
        for (steps, expected) in [
            (
                "  - {name: a, handler: {callable: ns.a}, dependencies: [zzz]}\n",
                "depends on `zzz`",
            ),
            (
                "  - {name: a, handler: {callable: ns.a}, dependencies: [b]}\n  - {name: b, handler: {callable: ns.b}, dependencies: [a]}\n",
                "cycle: a -> b -> a",
            ),
            (
                "  - {name: a, handler: {callable: ns.a}, retry: {limit: 3}}\n",
                "limit",
            ),
        ] {
            let err = parse("t.yaml", &yaml(steps)).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{err:#}");
        }
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
        let registered = ["ns.a".to_string()].into();
        check_handlers("t.yaml", &t, &registered).unwrap();
    }
}
