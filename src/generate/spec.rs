//! What the owner asked `generate` for, checked: a namespace and a name, the
//! steps with what each waits for, the inputs. Pure: every refusal here is a
//! usage error (exit 2) that names the problem, before anything is read or
//! written.

use crate::error::CliError;
use tasker_app_workflow::names::refuse_identifier;

/// One step and the steps it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSpec {
    pub name: String,
    pub after: Vec<String>,
}

/// One field of the input schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: String,
    pub kind: InputKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    String,
    Email,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

pub const INPUT_KINDS: &str = "string, email, integer, number, boolean, object, array";

impl InputKind {
    fn parse(text: &str) -> Option<InputKind> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "string" | "str" => InputKind::String,
            "email" => InputKind::Email,
            "integer" | "int" => InputKind::Integer,
            "number" | "float" => InputKind::Number,
            "boolean" | "bool" => InputKind::Boolean,
            "object" => InputKind::Object,
            "array" => InputKind::Array,
            _ => return None,
        })
    }

    /// Its JSON Schema `type`.
    pub fn schema_type(self) -> &'static str {
        match self {
            InputKind::String | InputKind::Email => "string",
            InputKind::Integer => "integer",
            InputKind::Number => "number",
            InputKind::Boolean => "boolean",
            InputKind::Object => "object",
            InputKind::Array => "array",
        }
    }
}

/// A workflow to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowSpec {
    pub namespace: String,
    pub name: String,
    pub steps: Vec<StepSpec>,
    pub inputs: Vec<InputSpec>,
    /// An input schema taken whole from `--from` (instead of `inputs`).
    pub schema: Option<serde_json::Value>,
}

/// `NAMESPACE/NAME`, each a valid identifier.
pub fn workflow_name(text: &str) -> Result<(String, String), CliError> {
    let Some((ns, name)) = text.split_once('/') else {
        return Err(
            CliError::usage(format!("`{}` is not NAMESPACE/NAME", text.escape_debug())).with_help(
                "name the workflow like `billing/refund`: the namespace, a slash, the task's name",
            ),
        );
    };
    identifier(ns, "namespace")?;
    identifier(name, "workflow")?;
    Ok((ns.to_string(), name.to_string()))
}

/// `NAMESPACE/NAME.STEP` (`generate step`).
pub fn step_address(text: &str) -> Result<(String, String, String), CliError> {
    let (workflow, step) = text.rsplit_once('.').ok_or_else(|| {
        CliError::usage(format!(
            "`{}` is not NAMESPACE/NAME.STEP",
            text.escape_debug()
        ))
        .with_help("e.g. `tasker-app generate step billing/refund.notify --after charge`")
    })?;
    let (ns, name) = workflow_name(workflow)?;
    identifier(step, "step")?;
    Ok((ns, name, step.to_string()))
}

pub fn identifier(name: &str, what: &str) -> Result<(), CliError> {
    match refuse_identifier(name, what) {
        None => Ok(()),
        Some(why) => Err(CliError::usage(why).with_help(format!(
            "a {what} name becomes Rust code: snake_case, e.g. `order_refund`"
        ))),
    }
}

/// `--step NAME[:PARENT,PARENT...]`, in order; each parent must be a step
/// given (before or after); no step twice; no cycle.
pub fn steps(flags: &[String]) -> Result<Vec<StepSpec>, CliError> {
    let mut out: Vec<StepSpec> = Vec::new();
    for flag in flags {
        let (name, after) = match flag.split_once(':') {
            Some((name, after)) => (name.trim(), after),
            None => (flag.trim(), ""),
        };
        identifier(name, "step")?;
        let after: Vec<String> = after
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        if out.iter().any(|s| s.name == name) {
            return Err(
                CliError::usage(format!("step `{name}` is given twice")).with_help(
                    "give each step once, with all it waits for: `--step audit:price,charge`",
                ),
            );
        }
        out.push(StepSpec {
            name: name.to_string(),
            after,
        });
    }
    if out.is_empty() {
        return Err(CliError::usage("a workflow needs at least one step")
            .with_help("e.g. --step fetch --step price:fetch --step charge:price"));
    }
    check_dag(&out)?;
    Ok(out)
}

/// Every parent is a step, no step waits for itself or twice for one, no cycle.
pub fn check_dag(steps: &[StepSpec]) -> Result<(), CliError> {
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    for s in steps {
        for (i, p) in s.after.iter().enumerate() {
            if p == &s.name {
                return Err(CliError::usage(format!("step `{p}` waits for itself"))
                    .with_help("a step's parents are other steps"));
            }
            if !names.contains(&p.as_str()) {
                return Err(CliError::usage(format!(
                    "step `{}` waits for `{p}`, which is not a step of this workflow",
                    s.name
                ))
                .with_help(format!("its steps: {}", names.join(", "))));
            }
            if s.after[..i].contains(p) {
                return Err(
                    CliError::usage(format!("step `{}` names `{p}` twice", s.name))
                        .with_help("name each parent once"),
                );
            }
        }
    }
    let edges: Vec<(&str, Vec<&str>)> = steps
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.after.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    if let Some(cycle) = tasker_app_workflow::check::find_cycle_in(&edges) {
        return Err(
            CliError::usage(format!("the steps form a cycle: {}", cycle.join(" <- ")))
                .with_help("a workflow is a DAG: remove one of these dependencies"),
        );
    }
    Ok(())
}

/// A task template's steps and what each waits for.
pub fn steps_of(template: &tasker_app_workflow::TaskTemplate) -> Vec<StepSpec> {
    template
        .steps
        .iter()
        .map(|s| StepSpec {
            name: s.name.clone(),
            after: s.dependencies.clone(),
        })
        .collect()
}

/// `--input NAME:TYPE`, in order, no field twice.
pub fn inputs(flags: &[String]) -> Result<Vec<InputSpec>, CliError> {
    let mut out: Vec<InputSpec> = Vec::new();
    for flag in flags {
        let (name, kind) = flag.split_once(':').unwrap_or((flag, "string"));
        let name = name.trim();
        identifier(name, "input")?;
        let kind = InputKind::parse(kind).ok_or_else(|| {
            CliError::usage(format!(
                "--input {name}: `{}` is not a type",
                kind.escape_debug()
            ))
            .with_help(format!("use one of {INPUT_KINDS}"))
        })?;
        if out.iter().any(|i| i.name == name) {
            return Err(CliError::usage(format!("input `{name}` is given twice")));
        }
        out.push(InputSpec {
            name: name.to_string(),
            kind,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(flags: &[&str]) -> Result<Vec<StepSpec>, CliError> {
        steps(&flags.iter().map(|f| f.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_diamond_in_any_order() {
        let got = s(&["audit:price,charge", "fetch", "price:fetch", "charge:price"]).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].after, ["price", "charge"]);
    }

    #[test]
    fn refusals_name_the_problem() {
        for (flags, expected) in [
            (vec!["a:b", "b:a"], "cycle"),
            (vec!["a:zz"], "not a step"),
            (vec!["a", "a"], "twice"),
            (vec!["a:a"], "itself"),
            (vec!["Bad"], "lower-case"),
            (vec!["a-b"], "`-`"),
            (vec!["fn"], "keyword"),
            (vec!["a", "b:a,a"], "twice"),
            (vec![], "at least one"),
        ] {
            let err = s(&flags).unwrap_err();
            assert_eq!(err.exit, crate::error::Exit::Usage);
            assert!(err.message.contains(expected), "{flags:?}: {}", err.message);
        }
        assert!(workflow_name("billing").is_err());
        assert!(workflow_name("Billing/refund").is_err());
        assert!(workflow_name("billing/re fund").is_err());
        assert_eq!(
            workflow_name("billing/refund").unwrap(),
            ("billing".into(), "refund".into())
        );
        assert!(inputs(&["amount:money".into()]).is_err());
        assert_eq!(
            inputs(&["n:int".into()]).unwrap()[0].kind,
            InputKind::Integer
        );
    }
}
