//! The start-a-run form, generated from a workflow's `input_schema`: one
//! field per property (required ones marked, enums as a choice, defaults
//! filled in, the type deciding the input), and the submitted values read
//! back into a context by the same types. The context is then checked by
//! [`crate::context_check`], the check `APP run` makes, and each problem is
//! shown beside the field it is about.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::html::{esc, url_component};

/// Prefix of a property's field name in the form (`f.cart_id`).
pub const FIELD: &str = "f.";
/// The field holding the whole context, for a workflow without a schema.
pub const RAW: &str = "context_json";

/// One property of the schema, as the form shows it.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub choices: Vec<Value>,
    pub default: Option<Value>,
    pub description: Option<String>,
    pub format: Option<String>,
}

/// The fields of an object schema, in the schema's order (required first).
pub fn fields(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out: Vec<Field> = props
        .iter()
        .map(|(name, p)| {
            let kind = match p.get("type") {
                Some(Value::String(t)) => t.clone(),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|t| *t != "null")
                    .unwrap_or("string")
                    .to_string(),
                _ => "string".to_string(),
            };
            Field {
                name: name.clone(),
                kind,
                required: required.contains(&name.as_str()),
                choices: p
                    .get("enum")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                default: p.get("default").cloned(),
                description: p
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                format: p.get("format").and_then(Value::as_str).map(str::to_string),
            }
        })
        .collect();
    out.sort_by_key(|f| !f.required);
    out
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The submitted values read into a context, or the problems per field.
pub fn read(
    fields: &[Field],
    submitted: &BTreeMap<String, String>,
) -> Result<Value, BTreeMap<String, Vec<String>>> {
    let mut context = Map::new();
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in fields {
        let raw = submitted
            .get(&format!("{FIELD}{}", f.name))
            .map(|s| s.trim())
            .unwrap_or("");
        if raw.is_empty() {
            continue; // Missing required fields are the schema check's to report.
        }
        let value = if !f.choices.is_empty() {
            f.choices
                .iter()
                .find(|c| shown(c) == raw)
                .cloned()
                .ok_or("not one of the choices")
        } else {
            match f.kind.as_str() {
                "integer" => raw
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| "must be a whole number"),
                "number" => raw
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                    .ok_or("must be a number"),
                "boolean" => match raw {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    _ => Err("must be true or false"),
                },
                "object" | "array" => serde_json::from_str(raw).map_err(|_| "must be JSON"),
                _ => Ok(Value::String(raw.to_string())),
            }
        };
        match value {
            Ok(v) => {
                context.insert(f.name.clone(), v);
            }
            Err(why) => problems
                .entry(f.name.clone())
                .or_default()
                .push(why.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(Value::Object(context))
    } else {
        Err(problems)
    }
}

/// `context_check` lines (`context.cart_id: ...`, `context: "x" is a
/// required property`) sorted by the field they are about; `""` for the rest.
pub fn by_field(fields: &[Field], lines: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        let (path, why) = line.split_once(": ").unwrap_or(("", line.as_str()));
        let field = path
            .strip_prefix("context.")
            .map(|rest| rest.split(['.', '[']).next().unwrap_or(rest).to_string())
            .or_else(|| {
                fields
                    .iter()
                    .find(|f| why.contains(&format!("\"{}\"", f.name)))
                    .map(|f| f.name.clone())
            })
            .unwrap_or_default();
        out.entry(field).or_default().push(why.to_string());
    }
    out
}

fn input(f: &Field, value: &str) -> String {
    let name = esc(&format!("{FIELD}{}", f.name));
    let id = esc(&format!("field-{}", f.name));
    if !f.choices.is_empty() || f.kind == "boolean" {
        let choices: Vec<String> = if f.choices.is_empty() {
            vec!["true".into(), "false".into()]
        } else {
            f.choices.iter().map(shown).collect()
        };
        let mut out = format!("<select name=\"{name}\" id=\"{id}\"><option value=\"\"></option>");
        for c in choices {
            let sel = if c == value { " selected" } else { "" };
            let _ = write!(out, "<option value=\"{c}\"{sel}>{c}</option>", c = esc(&c));
        }
        out.push_str("</select>");
        return out;
    }
    match f.kind.as_str() {
        "object" | "array" => format!(
            "<textarea name=\"{name}\" id=\"{id}\" rows=\"4\" cols=\"60\">{}</textarea>",
            esc(value)
        ),
        kind => {
            let (ty, step) = match (kind, f.format.as_deref()) {
                ("integer", _) => ("number", " step=\"1\""),
                ("number", _) => ("number", " step=\"any\""),
                (_, Some("email")) => ("email", ""),
                _ => ("text", ""),
            };
            format!(
                "<input type=\"{ty}\"{step} name=\"{name}\" id=\"{id}\" value=\"{}\">",
                esc(value)
            )
        }
    }
}

/// The form for one workflow. `values` are what was submitted (or the
/// defaults), `problems` what is wrong with them, by field.
pub fn render(
    workflow: &str,
    fields: &[Field],
    values: &BTreeMap<String, String>,
    problems: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut out = format!(
        "<form method=\"post\" action=\"/new\" class=\"form-grid\" id=\"start-form\" novalidate>\
         <input type=\"hidden\" name=\"workflow\" value=\"{}\">",
        esc(workflow)
    );
    let errors = |key: &str| {
        problems
            .get(key)
            .map(|p| {
                p.iter()
                    .map(|why| {
                        format!(
                            "<p class=\"field-error\" data-field=\"{}\">{}</p>",
                            esc(key),
                            esc(why)
                        )
                    })
                    .collect::<String>()
            })
            .unwrap_or_default()
    };
    if fields.is_empty() {
        let value = values.get(RAW).map(String::as_str).unwrap_or("{}");
        let _ = write!(
            out,
            "<label for=\"field-context\">Context (JSON)</label>\
             <textarea name=\"{RAW}\" id=\"field-context\" rows=\"6\" cols=\"60\">{}</textarea>{}",
            esc(value),
            errors("")
        );
    } else {
        out.push_str(&errors(""));
        for f in fields {
            let key = format!("{FIELD}{}", f.name);
            let value = values
                .get(&key)
                .cloned()
                .or_else(|| f.default.as_ref().map(shown))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<label for=\"field-{id}\">{name}{req} <span class=\"help\">{kind}{desc}</span></label>{input}{errs}",
                id = esc(&f.name),
                name = esc(&f.name),
                req = if f.required { " *" } else { "" },
                kind = esc(&f.kind),
                desc = f
                    .description
                    .as_deref()
                    .map(|d| format!(" · {}", esc(d)))
                    .unwrap_or_default(),
                input = input(f, &value),
                errs = errors(&f.name),
            );
        }
    }
    out.push_str("<p><button type=\"submit\" id=\"start-run\">Start run</button></p></form>");
    out
}

/// The list of workflows to choose from.
pub fn chooser(workflows: &[String], current: &str) -> String {
    let mut out = String::from("<p class=\"workflows\">Workflow: ");
    for w in workflows {
        if w == current {
            let _ = write!(out, "<strong>{}</strong> ", esc(w));
        } else {
            let _ = write!(
                out,
                "<a href=\"/new?workflow={}\">{}</a> ",
                url_component(w),
                esc(w)
            );
        }
    }
    out.push_str("</p>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["cart_id", "customer_email"],
            "properties": {
                "warehouse": {"type": "string", "default": "main"},
                "cart_id": {"type": "integer", "minimum": 1},
                "customer_email": {"type": "string", "format": "email"},
                "plan": {"type": "string", "enum": ["free", "pro"]},
                "express": {"type": "boolean"}
            }
        })
    }

    #[test]
    fn fields_follow_the_schema_required_first() {
        let f = fields(&schema());
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(&names[..2], &["cart_id", "customer_email"]);
        let html = render(
            "ecommerce/order_processing",
            &f,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        assert!(
            html.contains("<input type=\"number\" step=\"1\" name=\"f.cart_id\""),
            "{html}"
        );
        assert!(
            html.contains("<input type=\"email\" name=\"f.customer_email\""),
            "{html}"
        );
        assert!(
            html.contains("name=\"f.warehouse\" id=\"field-warehouse\" value=\"main\""),
            "{html}"
        );
        assert!(
            html.contains("<option value=\"pro\">pro</option>"),
            "{html}"
        );
        assert!(html.contains("cart_id *"), "{html}");
    }

    #[test]
    fn values_are_read_by_type_and_bad_ones_named() {
        let f = fields(&schema());
        let mut s = BTreeMap::new();
        s.insert("f.cart_id".to_string(), "3".to_string());
        s.insert("f.customer_email".to_string(), " a@b.co ".to_string());
        s.insert("f.express".to_string(), "true".to_string());
        s.insert("f.warehouse".to_string(), String::new());
        assert_eq!(
            read(&f, &s).unwrap(),
            json!({"cart_id": 3, "customer_email": "a@b.co", "express": true})
        );
        s.insert("f.cart_id".to_string(), "three".to_string());
        let problems = read(&f, &s).unwrap_err();
        assert_eq!(
            problems["cart_id"],
            vec!["must be a whole number".to_string()]
        );
    }

    #[test]
    fn schema_problems_land_beside_their_field() {
        let f = fields(&schema());
        let lines = crate::context_check::violations(
            &schema(),
            &json!({"cart_id": 0, "customer_email": "nope"}),
        );
        let by = by_field(&f, &lines);
        assert!(
            by.contains_key("cart_id") && by.contains_key("customer_email"),
            "{by:?}"
        );
        let lines = crate::context_check::violations(&schema(), &json!({}));
        let by = by_field(&f, &lines);
        assert!(
            by.contains_key("cart_id") && by.contains_key("customer_email"),
            "{by:?} from {lines:?}"
        );
        let html = render("w", &f, &BTreeMap::new(), &by);
        assert!(html.contains("data-field=\"cart_id\""), "{html}");
    }
}
