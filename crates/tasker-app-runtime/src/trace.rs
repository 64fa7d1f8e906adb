//! One trace per task, across processes: `run` (and `bench`) open the task's
//! root span and put its W3C `traceparent` into the task's context under
//! [`TRACE_KEY`]; the step adapter makes each step's span a child of it. With
//! `TELEMETRY_ENABLED=true` (apps built with `--observability`) the engine's
//! OpenTelemetry layer exports them over OTLP, so a trace viewer shows a task
//! as one root with a span per step. Without telemetry no propagator is set,
//! nothing is injected, and steps run in plain spans.

use std::collections::HashMap;

use serde_json::Value;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The task-context key carrying the trace context (steps ignore it).
pub const TRACE_KEY: &str = "_trace";

/// `span`'s trace context as a JSON object (`{"traceparent": ...}`), or
/// `None` when tracing is off.
pub fn carrier_of(span: &tracing::Span) -> Option<Value> {
    let context = span.context();
    let mut carrier: HashMap<String, String> = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&context, &mut carrier));
    (!carrier.is_empty()).then(|| serde_json::json!(carrier))
}

/// Puts `span`'s trace context into a task context (an object), if there is one.
pub fn inject(span: &tracing::Span, task_context: &mut Value) {
    if let (Some(carrier), Value::Object(map)) = (carrier_of(span), task_context) {
        map.insert(TRACE_KEY.to_string(), carrier);
    }
}

/// Makes `span` a child of the span whose context `task_context` carries.
pub fn adopt(span: &tracing::Span, task_context: &Value) {
    let Some(carrier) = task_context.get(TRACE_KEY).and_then(Value::as_object) else {
        return;
    };
    let carrier: HashMap<String, String> = carrier
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&carrier));
    let _ = span.set_parent(parent);
}
