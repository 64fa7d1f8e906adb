//! The health page: is orchestration up, is the worker up (their own
//! `/health` endpoints), how many messages wait in each queue, what the
//! dead-letter queue holds, and which steps failed in the last day.

use std::fmt::Write as _;
use std::time::Duration;

use chrono::NaiveDateTime;

use super::html::{esc, time, url_component};
use super::mask::text_shown;
use super::queries::DlqEntry;

/// One service's answer to `GET /health`.
pub struct Probe {
    pub name: &'static str,
    pub url: Option<String>,
    /// `Ok(status word)` or `Err(why not)`.
    pub outcome: Result<String, String>,
}

/// Asks `url/health`.
pub async fn probe(http: &reqwest::Client, name: &'static str, url: Option<String>) -> Probe {
    let Some(base) = url.clone() else {
        return Probe {
            name,
            url,
            outcome: Err("its web API is off in the config".to_string()),
        };
    };
    let asked = http
        .get(format!("{base}/health"))
        .timeout(Duration::from_secs(3))
        .send()
        .await;
    let outcome = match asked {
        Ok(r) if r.status().is_success() => {
            let body: serde_json::Value = r.json().await.unwrap_or_default();
            Ok(body
                .get("status")
                .and_then(|s| s.as_str())
                .unwrap_or("up")
                .to_string())
        }
        Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
        Err(e) => Err(format!("no answer: {e}")),
    };
    Probe { name, url, outcome }
}

pub struct Health {
    pub probes: Vec<Probe>,
    pub queues: Result<Vec<(String, i64)>, String>,
    pub dlq: Result<Vec<DlqEntry>, String>,
    pub failures: Result<Vec<(String, String, i64, NaiveDateTime)>, String>,
}

fn problem(why: &str) -> String {
    format!("<p class=\"bad-text\">{}</p>", esc(&text_shown(why)))
}

pub fn render(h: &Health) -> String {
    let mut out = String::from("<h1>Health</h1><h2>Services</h2><table id=\"services\"><tbody>");
    for p in &h.probes {
        let (class, word) = match &p.outcome {
            Ok(status) => ("up", format!("up ({status})")),
            Err(why) => ("down", format!("down: {why}")),
        };
        let _ = write!(
            out,
            "<tr data-service=\"{name}\"><td>{name}</td><td class=\"{class}\">{word}</td><td class=\"mono\">{url}</td></tr>",
            name = esc(p.name),
            word = esc(&text_shown(&word)),
            url = esc(&p.url.as_deref().map(crate::shown::url).unwrap_or_default()),
        );
    }
    out.push_str("</tbody></table><h2>Queues</h2>");
    match &h.queues {
        Ok(queues) if queues.is_empty() => out.push_str("<p class=\"muted\">No queues yet.</p>"),
        Ok(queues) => {
            out.push_str("<table id=\"queues\"><thead><tr><th>Queue</th><th>Messages waiting</th></tr></thead><tbody>");
            for (name, n) in queues {
                let _ = write!(
                    out,
                    "<tr><td class=\"mono\">{}</td><td>{n}</td></tr>",
                    esc(name)
                );
            }
            out.push_str("</tbody></table>");
        }
        Err(why) => out.push_str(&problem(why)),
    }
    out.push_str("<h2>Dead-letter queue</h2>");
    match &h.dlq {
        Ok(entries) if entries.is_empty() => {
            out.push_str("<p class=\"muted\" id=\"dlq-empty\">Empty: no task was given up on.</p>");
        }
        Ok(entries) => {
            out.push_str(
                "<table id=\"dlq\"><thead><tr><th>Run</th><th>Reason</th><th>Was</th><th>Status</th>\
                 <th>When (UTC)</th><th>Notes</th></tr></thead><tbody>",
            );
            for e in entries {
                let _ = write!(
                    out,
                    "<tr><td><a class=\"mono\" href=\"/runs/{id}\">{short}</a></td><td>{reason}</td><td>{was}</td>\
                     <td>{res}</td><td>{at}</td><td>{notes}</td></tr>",
                    id = e.task_uuid,
                    short = super::html::short_id(&e.task_uuid),
                    reason = esc(&e.reason),
                    was = esc(&e.original_state),
                    res = esc(&e.resolution),
                    at = time(&e.at),
                    notes = esc(&text_shown(e.notes.as_deref().unwrap_or(""))),
                );
            }
            out.push_str("</tbody></table>");
        }
        Err(why) => out.push_str(&problem(why)),
    }
    out.push_str("<h2>Failures in the last 24 hours, by step</h2>");
    match &h.failures {
        Ok(rows) if rows.is_empty() => out.push_str("<p class=\"muted\">None.</p>"),
        Ok(rows) => {
            out.push_str(
                "<table id=\"failures\"><thead><tr><th>Workflow</th><th>Step</th><th>Failed attempts</th>\
                 <th>Last (UTC)</th></tr></thead><tbody>",
            );
            for (workflow, step, n, last) in rows {
                let _ = write!(
                    out,
                    "<tr><td><a href=\"/?workflow={wq}\">{w}</a></td><td>{s}</td><td>{n}</td><td>{at}</td></tr>",
                    wq = url_component(workflow),
                    w = esc(workflow),
                    s = esc(step),
                    at = time(last),
                );
            }
            out.push_str("</tbody></table>");
        }
        Err(why) => out.push_str(&problem(why)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_down_service_says_why_and_hides_url_passwords() {
        let h = Health {
            probes: vec![Probe {
                name: "orchestration",
                url: Some("http://u:pw123456@127.0.0.1:1".into()),
                outcome: Err("no answer: connection refused".into()),
            }],
            queues: Ok(vec![("orchestration_step_results".into(), 3)]),
            dlq: Ok(vec![]),
            failures: Err("could not read".into()),
        };
        let html = render(&h);
        assert!(
            html.contains("class=\"down\">down: no answer: connection refused"),
            "{html}"
        );
        assert!(!html.contains("pw123456"), "{html}");
        assert!(
            html.contains("<td>3</td>") && html.contains("dlq-empty"),
            "{html}"
        );
    }
}
