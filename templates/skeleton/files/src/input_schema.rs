//! Checks a task's context against its template's `input_schema` before the
//! task is created. The engine stores `input_schema` but does not enforce it,
//! so without this check a bad context would only fail deep inside a step.
//!
//! Covers the JSON Schema keywords task templates use: `type` (one or a list),
//! `required`, `properties`, `additionalProperties: false`, `items`, `enum`,
//! `minLength`, `maxLength`, `pattern`, `format: email`, `minimum`, `maximum`,
//! `exclusiveMinimum`, `exclusiveMaximum`, `minItems`, `maxItems`. Unknown
//! keywords are ignored.

use serde_json::{Map, Value};

/// Every way `value` breaks `schema`, one readable line each; empty when it fits.
pub fn violations(schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(schema, value, "context", &mut out);
    out
}

fn check(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return;
    };

    if let Some(expected) = schema.get("type") {
        let names: Vec<&str> = match expected {
            Value::String(name) => vec![name.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !names.is_empty() && !names.iter().any(|name| has_type(value, name)) {
            out.push(format!(
                "{path} must be {}, got {}",
                names.join(" or "),
                describe(value)
            ));
            return;
        }
    }

    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            out.push(format!(
                "{path} must be one of {}, got {value}",
                list.join(", ")
            ));
        }
    }

    match value {
        Value::Object(map) => check_object(schema, map, path, out),
        Value::Array(items) => check_array(schema, items, path, out),
        Value::String(text) => check_string(schema, text, path, out),
        Value::Number(number) => {
            if let Some(n) = number.as_f64() {
                check_number(schema, n, path, out);
            }
        }
        Value::Bool(_) | Value::Null => {}
    }
}

fn check_object(
    schema: &Map<String, Value>,
    map: &Map<String, Value>,
    path: &str,
    out: &mut Vec<String>,
) {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for key in required.iter().filter_map(Value::as_str) {
            if map.get(key).is_none_or(Value::is_null) {
                out.push(format!("{path}.{key} is required but missing"));
            }
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    if let Some(properties) = properties {
        for (key, sub_schema) in properties {
            // A key given as null counts as absent (`required` reports it).
            if let Some(sub_value) = map.get(key).filter(|v| !v.is_null()) {
                check(sub_schema, sub_value, &format!("{path}.{key}"), out);
            }
        }
    }
    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
        for key in map.keys() {
            if !properties.is_some_and(|p| p.contains_key(key)) {
                out.push(format!("{path}.{key} is not an accepted key"));
            }
        }
    }
}

fn check_array(schema: &Map<String, Value>, items: &[Value], path: &str, out: &mut Vec<String>) {
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
        if (items.len() as u64) < min {
            out.push(format!(
                "{path} must hold at least {min} item(s), got {}",
                items.len()
            ));
        }
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
        if items.len() as u64 > max {
            out.push(format!(
                "{path} must hold at most {max} item(s), got {}",
                items.len()
            ));
        }
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            check(item_schema, item, &format!("{path}[{i}]"), out);
        }
    }
}

fn check_string(schema: &Map<String, Value>, text: &str, path: &str, out: &mut Vec<String>) {
    let length = text.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
        if length < min {
            out.push(format!("{path} must be at least {min} character(s) long"));
        }
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        if length > max {
            out.push(format!("{path} must be at most {max} character(s) long"));
        }
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        match regex::Regex::new(pattern) {
            Ok(re) if !re.is_match(text) => {
                out.push(format!(
                    "{path} must match the pattern {pattern}, got {text:?}"
                ));
            }
            Ok(_) => {}
            Err(e) => out.push(format!(
                "{path}: the schema's pattern {pattern} is invalid: {e}"
            )),
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("email") && !looks_like_email(text) {
        out.push(format!("{path} must be an email address, got {text:?}"));
    }
}

fn check_number(schema: &Map<String, Value>, n: f64, path: &str, out: &mut Vec<String>) {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    if let Some(min) = bound("minimum") {
        if n < min {
            out.push(format!("{path} must be at least {min}, got {n}"));
        }
    }
    if let Some(max) = bound("maximum") {
        if n > max {
            out.push(format!("{path} must be at most {max}, got {n}"));
        }
    }
    if let Some(min) = bound("exclusiveMinimum") {
        if n <= min {
            out.push(format!("{path} must be greater than {min}, got {n}"));
        }
    }
    if let Some(max) = bound("exclusiveMaximum") {
        if n >= max {
            out.push(format!("{path} must be less than {max}, got {n}"));
        }
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => true,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
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
                "cart_id": {"type": "integer", "minimum": 1},
                "customer_email": {"type": "string", "format": "email"},
                "plan": {"type": "string", "enum": ["free", "pro"]},
                "tags": {"type": "array", "items": {"type": "string"}}
            }
        })
    }

    #[test]
    fn a_fitting_context_passes() {
        let context = json!({"cart_id": 3, "customer_email": "a@example.com", "plan": "pro"});
        assert!(violations(&schema(), &context).is_empty());
    }

    #[test]
    fn every_problem_is_reported() {
        let context = json!({"cart_id": "3", "plan": "gold", "tags": [1]});
        let found = violations(&schema(), &context);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(
            found
                .iter()
                .any(|v| v.contains("context.customer_email is required"))
        );
        assert!(
            found
                .iter()
                .any(|v| v.contains("context.cart_id must be integer"))
        );
        assert!(
            found
                .iter()
                .any(|v| v.contains("context.plan must be one of"))
        );
        assert!(
            found
                .iter()
                .any(|v| v.contains("context.tags[0] must be string"))
        );
    }

    #[test]
    fn bounds_and_formats() {
        let context = json!({"cart_id": 0, "customer_email": "not-an-email"});
        let found = violations(&schema(), &context);
        assert_eq!(found.len(), 2, "{found:#?}");
    }

    #[test]
    fn a_non_object_context_is_refused() {
        let found = violations(&schema(), &json!([1, 2]));
        assert_eq!(found, vec!["context must be object, got an array"]);
    }

    #[test]
    fn integers_may_be_written_as_whole_floats() {
        let context = json!({"cart_id": 2.0, "customer_email": "a@b.io"});
        assert!(violations(&schema(), &context).is_empty());
    }
}
