//! One run: its DAG, a timeline of its steps (waiting for a worker, in the
//! worker, back in orchestration: the stages `APP bench` reports), each
//! step's attempts, result and error, the actions on it, the task's context
//! (secrets masked) and its outcome. The `#live` part is re-rendered while
//! the run changes.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::NaiveDateTime;
use serde_json::Value;

use super::dag::{self, Node};
use super::html::{badge, duration_ms, esc, json_pretty, time};
use super::mask::{masked, text_shown};
use super::queries::{Run, Step};

/// Task states after which nothing more happens (no cancel button).
pub fn task_is_final(state: &str) -> bool {
    matches!(
        state,
        "complete" | "error" | "cancelled" | "resolved_manually"
    )
}

/// The error message a failed step recorded, wherever the result shape put it.
pub fn error_message(results: &Value) -> Option<String> {
    fn find(value: &Value, depth: usize) -> Option<String> {
        let map = value.as_object()?;
        if depth > 4 {
            return None;
        }
        for key in ["error", "error_message", "message"] {
            match map.get(key) {
                Some(Value::String(text)) if !text.is_empty() => return Some(text.clone()),
                Some(nested @ Value::Object(_)) => {
                    if let Some(found) = find(nested, depth + 1) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        map.values()
            .filter(|v| v.is_object())
            .find_map(|v| find(v, depth + 1))
    }
    // A successful result may well have a `message` field: only a result
    // that says it failed has an error.
    let failed = value_says_failed(results);
    failed.then(|| find(results, 0)).flatten()
}

fn value_says_failed(results: &Value) -> bool {
    results.get("success") == Some(&Value::Bool(false))
        || results.get("error").is_some_and(|e| !e.is_null())
        || results
            .get("result")
            .is_some_and(|r| r.get("error_message").is_some())
}

fn ms_between(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>) -> Option<f64> {
    Some((b? - a?).num_milliseconds() as f64)
}

/// The header: what the run is, its state, and cancel.
pub fn header(run: &Run, now: NaiveDateTime) -> String {
    let t = &run.task;
    let took = match t.completed_at {
        Some(end) => format!(
            "took {}",
            duration_ms((end - t.created_at).num_milliseconds() as f64)
        ),
        None => format!(
            "running for {}",
            duration_ms((now - t.created_at).num_milliseconds() as f64)
        ),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<h1>{ns}/{name} <span class=\"muted\">v{version}</span></h1>\
         <p class=\"meta\"><span class=\"mono\" id=\"task-uuid\">{id}</span> · created {created} UTC · \
         {took}{initiator}</p>",
        ns = esc(&t.namespace),
        name = esc(&t.name),
        version = esc(&t.version),
        id = t.task_uuid,
        created = time(&t.created_at),
        initiator = t
            .initiator
            .as_deref()
            .map(|i| format!(" · by {}", esc(&text_shown(i))))
            .unwrap_or_default(),
    );
    out
}

fn step_actions(task: &Run, step: &Step) -> String {
    let id = task.task.task_uuid;
    let mut out = String::new();
    if step.state == "error" {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/runs/{id}/steps/{sid}/retry\" \
             data-confirm=\"Retry step {name}? Its attempts start again from zero.\">\
             <button type=\"submit\" class=\"retry\" data-action=\"retry\">Retry</button></form>",
            sid = step.step_uuid,
            name = esc(&step.name),
        );
    }
    if matches!(step.state.as_str(), "error" | "waiting_for_retry")
        && !task_is_final(&task.task.state)
    {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/runs/{id}/steps/{sid}/resolve\" \
             data-confirm=\"Mark step {name} as resolved by hand? The steps after it then run without its result.\">\
             <button type=\"submit\" data-action=\"resolve\">Resolve manually</button></form>",
            sid = step.step_uuid,
            name = esc(&step.name),
        );
    }
    out
}

/// The DAG, the timeline, the steps and the outcome: the part kept live.
pub fn live(run: &Run, now: NaiveDateTime) -> String {
    let index: HashMap<uuid::Uuid, usize> = run
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.step_uuid, i))
        .collect();
    let nodes: Vec<Node<'_>> = run
        .steps
        .iter()
        .map(|s| Node {
            id: s.step_uuid.to_string(),
            name: &s.name,
            state: &s.state,
        })
        .collect();
    let edges: Vec<(usize, usize)> = run
        .edges
        .iter()
        .filter_map(|(from, to)| Some((*index.get(from)?, *index.get(to)?)))
        .collect();
    let t = &run.task;
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"outcome\" id=\"outcome\" data-state=\"{state_attr}\">State {state}{done}</section>",
        state_attr = esc(&t.state),
        state = badge(&t.state),
        done = t
            .completed_at
            .map(|c| format!(" · finished {} UTC", time(&c)))
            .unwrap_or_default(),
    );
    let failures: Vec<String> = run
        .steps
        .iter()
        .filter(|s| matches!(s.state.as_str(), "error" | "waiting_for_retry"))
        .filter_map(|s| {
            let message = s.results.as_ref().and_then(error_message)?;
            Some(format!(
                "<li><strong>{}</strong> ({}): <span class=\"error-text\">{}</span></li>",
                esc(&s.name),
                esc(&s.state),
                esc(&text_shown(&message))
            ))
        })
        .collect();
    if !failures.is_empty() {
        let _ = write!(out, "<ul class=\"failures\">{}</ul>", failures.join(""));
    }
    out.push_str("<h2>DAG</h2><div class=\"dag-box\">");
    out.push_str(&dag::svg(&nodes, &edges));
    out.push_str("</div>");
    out.push_str(&timeline(run, now));
    out.push_str(&steps(run));
    out
}

/// One row per step: a bar from the task's creation, split into the stages.
fn timeline(run: &Run, now: NaiveDateTime) -> String {
    let start = run.task.created_at;
    let end = run
        .steps
        .iter()
        .filter_map(|s| s.done.or(s.sent).or(s.started).or(s.enqueued))
        .max()
        .unwrap_or(now)
        .max(run.task.completed_at.unwrap_or(start));
    let span = ((end - start).num_milliseconds() as f64).max(1.0);
    let pct = |at: NaiveDateTime| {
        ((at - start).num_milliseconds() as f64 / span * 100.0).clamp(0.0, 100.0)
    };
    let mut out = String::from(
        "<h2>Timeline</h2><table class=\"timeline\"><thead><tr><th>Step</th><th class=\"bar-cell\">\
         <span class=\"key wait\"></span>waiting for a worker <span class=\"key work\"></span>in the worker \
         <span class=\"key orch\"></span>in orchestration</th><th>Waiting</th><th>In worker</th>\
         <th>In orchestration</th></tr></thead><tbody>",
    );
    for s in &run.steps {
        let mut bar = String::new();
        for (class, from, to) in [
            ("wait", s.enqueued, s.started),
            ("work", s.started, s.sent),
            ("orch", s.sent, s.done),
        ] {
            if let (Some(a), Some(b)) = (
                from,
                to.or(if from.is_some() && s.done.is_none() {
                    Some(now)
                } else {
                    None
                }),
            ) {
                if b >= a {
                    let left = pct(a);
                    let width = (pct(b) - left).max(0.4);
                    let _ = write!(
                        bar,
                        "<span class=\"seg {class}\" style=\"left:{left:.2}%;width:{width:.2}%\"></span>"
                    );
                }
            }
        }
        let cell = |v: Option<f64>| v.map(duration_ms).unwrap_or_else(|| "-".to_string());
        let _ = write!(
            out,
            "<tr><td>{name}</td><td class=\"bar-cell\"><div class=\"bar\">{bar}</div></td>\
             <td>{w}</td><td>{k}</td><td>{o}</td></tr>",
            name = esc(&s.name),
            w = cell(ms_between(s.enqueued, s.started)),
            k = cell(ms_between(s.started, s.sent)),
            o = cell(ms_between(s.sent, s.done)),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// Each step: state, attempts, error, actions, and (folded) its transitions and result.
fn steps(run: &Run) -> String {
    let mut out = String::from("<h2>Steps</h2><div class=\"steps\">");
    for s in &run.steps {
        let error = s
            .results
            .as_ref()
            .and_then(error_message)
            .filter(|_| s.state != "complete")
            .map(|m| {
                format!(
                    "<p class=\"error-text step-error\">{}</p>",
                    esc(&text_shown(&m))
                )
            })
            .unwrap_or_default();
        let mut history = String::from("<ol class=\"transitions\">");
        for tr in run
            .transitions
            .iter()
            .filter(|t| t.step_uuid == s.step_uuid)
        {
            let _ = write!(history, "<li>{} {}</li>", time(&tr.at), badge(&tr.to_state));
        }
        history.push_str("</ol>");
        let result = s
            .results
            .as_ref()
            .map(|r| format!("<h4>Result</h4><pre>{}</pre>", json_pretty(&masked(r))))
            .unwrap_or_else(|| "<p class=\"muted\">No result yet.</p>".to_string());
        let _ = write!(
            out,
            "<article class=\"step\" id=\"step-{id}\" data-step=\"{name}\" data-state=\"{state_attr}\">\
             <header><strong>{name}</strong> {state} <span class=\"muted\">attempt {attempts} of {max}{retry}</span>\
             <span class=\"actions\">{actions}</span></header>{error}\
             <details data-key=\"{id}\"><summary>Attempts and result</summary>{history}{result}</details></article>",
            id = s.step_uuid,
            name = esc(&s.name),
            state_attr = esc(&s.state),
            state = badge(&s.state),
            attempts = s.attempts,
            max = s.max_attempts,
            retry = if s.retryable { "" } else { ", not retryable" },
            actions = step_actions(run, s),
        );
    }
    out.push_str("</div>");
    out
}

/// The whole page body: header, a notice, the live part, the context.
pub fn body(run: &Run, notice: Option<&str>, now: NaiveDateTime) -> String {
    let t = &run.task;
    let cancel = if task_is_final(&t.state) {
        String::new()
    } else {
        format!(
            "<form method=\"post\" action=\"/runs/{}/cancel\" data-confirm=\"Cancel this run? \
             Steps not yet finished will not run.\"><button type=\"submit\" class=\"danger\" \
             data-action=\"cancel\">Cancel run</button></form>",
            t.task_uuid
        )
    };
    let context = t
        .context
        .as_ref()
        .map(|c| json_pretty(&masked(c)))
        .unwrap_or_else(|| "{}".to_string());
    format!(
        "{header}{notice}<div class=\"run-actions\">{cancel}</div>\
         <div id=\"live\" data-live=\"/runs/{id}/events\">{live}</div>\
         <h2>Context</h2><pre id=\"context\">{context}</pre>",
        header = header(run, now),
        notice = notice.unwrap_or(""),
        id = t.task_uuid,
        live = live(run, now),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::queries::{Task, Transition};
    use chrono::NaiveDate;
    use serde_json::json;
    use uuid::Uuid;

    fn at(ms: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap()
            + chrono::Duration::milliseconds(ms)
    }

    fn step(n: u128, name: &str, state: &str, results: Option<Value>) -> Step {
        Step {
            step_uuid: Uuid::from_u128(n),
            name: name.into(),
            state: state.into(),
            attempts: 1,
            max_attempts: 3,
            retryable: true,
            results,
            created_at: at(0),
            enqueued: Some(at(10)),
            started: Some(at(30)),
            sent: Some(at(80)),
            done: (state == "complete" || state == "error").then(|| at(100)),
        }
    }

    fn run(task_state: &str) -> Run {
        Run {
            task: Task {
                task_uuid: Uuid::from_u128(1),
                namespace: "ecommerce".into(),
                name: "order_processing".into(),
                version: "1.0.0".into(),
                state: task_state.into(),
                context: Some(json!({"cart_id": 3, "api_token": "sk_live_123", "email": "a@b.co"})),
                created_at: at(0),
                completed_at: None,
                initiator: Some("dashboard".into()),
                reason: None,
            },
            steps: vec![
                step(
                    10,
                    "validate_cart",
                    "complete",
                    Some(json!({"success": true, "result": {"message": "ok"}})),
                ),
                step(
                    11,
                    "check_inventory",
                    "error",
                    Some(
                        json!({"success": false, "error": {"message": "cart 5 does not exist", "retryable": false}}),
                    ),
                ),
            ],
            edges: vec![(Uuid::from_u128(10), Uuid::from_u128(11))],
            transitions: vec![Transition {
                step_uuid: Uuid::from_u128(11),
                to_state: "error".into(),
                at: at(100),
                metadata: None,
            }],
        }
    }

    #[test]
    fn errors_are_found_only_in_failed_results() {
        assert_eq!(
            error_message(&json!({"success": false, "result": {"error_message": "boom"}}))
                .as_deref(),
            Some("boom")
        );
        assert_eq!(
            error_message(&json!({"success": true, "result": {"message": "fine"}})),
            None
        );
    }

    #[test]
    fn a_failed_run_shows_its_error_its_actions_and_no_secret() {
        let html = body(&run("blocked_by_failures"), None, at(500));
        assert!(
            html.contains("class=\"error-text step-error\">cart 5 does not exist"),
            "{html}"
        );
        assert!(
            html.contains("/steps/00000000-0000-0000-0000-00000000000b/retry"),
            "{html}"
        );
        assert!(html.contains("data-action=\"resolve\""), "{html}");
        assert_eq!(
            html.matches("data-action=\"retry\"").count(),
            1,
            "only the failed step"
        );
        assert!(html.contains("data-action=\"cancel\""), "{html}");
        assert!(
            !html.contains("sk_live_123") && html.contains("••••••"),
            "{html}"
        );
        assert!(html.contains("data-live=\"/runs/00000000-0000-0000-0000-000000000001/events\""));
        // The timeline: 20 ms waiting, 50 ms in the worker, 20 ms in orchestration.
        assert!(
            html.contains("<td>20 ms</td><td>50 ms</td><td>20 ms</td>"),
            "{html}"
        );
        // A finished run offers no cancel.
        let done = body(&run("complete"), None, at(500));
        assert!(!done.contains("data-action=\"cancel\""));
    }
}
