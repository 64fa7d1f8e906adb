//! Checks a task's context against its template's `input_schema` before the
//! task is created. The engine stores `input_schema` but does not enforce it,
//! so without this check a bad context would only fail deep inside a step.
//!
//! The whole of JSON Schema, on the `jsonschema` crate (the one the engine
//! itself compiles in): `$ref`, `oneOf`, `const`, `format` and every other
//! keyword are checked, none silently ignored. `format` is asserted, not only
//! annotated: an `email` that is not one is refused.

use serde_json::Value;

/// Every way `context` breaks `schema`, one readable line each (`context.a.b: why`);
/// empty when it fits. A schema that is itself invalid is one line saying so.
pub fn violations(schema: &Value, context: &Value) -> Vec<String> {
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
    {
        Ok(validator) => validator,
        Err(e) => return vec![format!("the input_schema itself is invalid: {e}")],
    };
    validator
        .iter_errors(context)
        .map(|error| {
            let pointer = error.instance_path().as_str().to_string();
            format!("{}: {error}", readable_path(&pointer))
        })
        .collect()
}

/// `/items/0/sku` as `context.items[0].sku`.
fn readable_path(pointer: &str) -> String {
    let mut out = String::from("context");
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            out.push('.');
            out.push_str(&segment);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["cart_id", "customer_email"],
            "properties": {
                "cart_id": {"type": "integer", "minimum": 1},
                "customer_email": {"type": "string", "format": "email"},
                "plan": {"enum": ["free", "pro"]},
                "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                "channel": {"const": "web"},
                "contact": {"oneOf": [{"type": "string"}, {"type": "integer"}]}
            },
            "$defs": {"item": {"type": "object", "required": ["sku"]}}
        })
    }

    #[test]
    fn a_fitting_context_has_no_violations() {
        let ok = json!({"cart_id": 1, "customer_email": "a@example.com", "plan": "pro",
                        "items": [{"sku": "x"}], "channel": "web", "contact": 3});
        assert_eq!(violations(&schema(), &ok), Vec::<String>::new());
    }

    #[test]
    fn each_violation_names_where_and_why() {
        let bad = json!({"cart_id": 0, "plan": "gold"});
        let found = violations(&schema(), &bad);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found
                .iter()
                .any(|v| v.starts_with("context: ") && v.contains("customer_email"))
        );
        assert!(found.iter().any(|v| v.starts_with("context.cart_id: ")));
        assert!(found.iter().any(|v| v.starts_with("context.plan: ")));
    }

    #[test]
    fn keywords_a_hand_written_subset_ignored_are_checked() {
        for (context, at) in [
            (
                json!({"cart_id": 1, "customer_email": "not-an-email"}),
                "context.customer_email",
            ),
            (
                json!({"cart_id": 1, "customer_email": "a@b.co", "items": [{}]}),
                "context.items[0]",
            ),
            (
                json!({"cart_id": 1, "customer_email": "a@b.co", "channel": "phone"}),
                "context.channel",
            ),
            (
                json!({"cart_id": 1, "customer_email": "a@b.co", "contact": true}),
                "context.contact",
            ),
        ] {
            let found = violations(&schema(), &context);
            assert_eq!(found.len(), 1, "{context}: {found:?}");
            assert!(found[0].starts_with(&format!("{at}: ")), "{found:?}");
        }
    }

    #[test]
    fn an_invalid_schema_is_reported_not_ignored() {
        let found = violations(&json!({"type": "no-such-type"}), &json!({}));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("input_schema itself is invalid"),
            "{found:?}"
        );
    }
}
