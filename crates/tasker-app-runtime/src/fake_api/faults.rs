//! Fault injection: make the next N calls to a path fail (or stall) on purpose,
//! to watch the workflows retry and fail the way they would against a real API.
//!
//! ```text
//! POST   /__faults  {"path": "/carts/1", "status": 503, "count": 2}
//! POST   /__faults  {"path": "/products/*", "status": 429, "retry_after": 1}
//! POST   /__faults  {"path": "/users/add", "delay_ms": 8000}     (a timeout)
//! GET    /__faults                 the rules still armed
//! DELETE /__faults                 remove every rule
//! DELETE /__faults?path=/carts/1   remove the rules for one path
//! ```
//! `path` is matched against the request path (no query string); a trailing `*`
//! matches any path with that prefix. `count` defaults to 1. A rule with a
//! `status` answers it (with `Retry-After` when `retry_after` is set) instead
//! of the real response; a rule with only `delay_ms` lets the call through late.

use std::time::Duration;

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::FakeApi;

/// Where the admin endpoints live; never subject to faults.
pub const ADMIN_PATH: &str = "/__faults";

/// One armed rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub path: String,
    /// 4xx or 5xx to answer with; `None` only delays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How many calls the rule applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// Seconds to put in the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// Wait this long before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// Why the rule cannot be armed, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !self.path.starts_with('/') {
            return Some(format!("path must start with `/`, got `{}`", self.path));
        }
        if self.path.starts_with(ADMIN_PATH) {
            return Some(format!("{ADMIN_PATH} cannot be given faults"));
        }
        if self.count == 0 {
            return Some("count must be at least 1".to_string());
        }
        match (self.status, self.delay_ms) {
            (None, None) => Some("give a `status` (4xx or 5xx), a `delay_ms`, or both".to_string()),
            (Some(status), _) if !(400..=599).contains(&status) => {
                Some(format!("status must be 4xx or 5xx, got {status}"))
            }
            (_, Some(delay)) if delay > 60_000 => {
                Some(format!("delay_ms is at most 60000, got {delay}"))
            }
            _ => None,
        }
    }

    fn applies_to(&self, path: &str) -> bool {
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path == path,
        }
    }
}

/// The armed rules, oldest first.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Fault>,
}

impl Faults {
    pub fn arm(&mut self, fault: Fault) {
        self.rules.push(fault);
    }

    pub fn armed(&self) -> Vec<Fault> {
        self.rules.clone()
    }

    /// Remove the rules for `path` (all rules when `None`); how many went.
    pub fn clear(&mut self, path: Option<&str>) -> usize {
        let before = self.rules.len();
        match path {
            Some(path) => self.rules.retain(|rule| rule.path != path),
            None => self.rules.clear(),
        }
        before - self.rules.len()
    }

    /// The rule for this call, if one is armed: uses up one of its calls.
    pub fn take(&mut self, path: &str) -> Option<Fault> {
        let index = self.rules.iter().position(|rule| rule.applies_to(path))?;
        let rule = &mut self.rules[index];
        rule.count -= 1;
        let fired = Fault {
            count: rule.count,
            ..rule.clone()
        };
        if rule.count == 0 {
            self.rules.remove(index);
        }
        Some(fired)
    }
}

/// Middleware: apply an armed fault to the request, if any.
pub async fn inject(State(api): State<FakeApi>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with(ADMIN_PATH) {
        return next.run(request).await;
    }
    let armed = api.faults().take(&path);
    let Some(fault) = armed else {
        return next.run(request).await;
    };
    tracing::info!(%path, status = ?fault.status, remaining = fault.count, "fake API: injecting a fault");
    if let Some(delay) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let Some(status) = fault.status.and_then(|s| StatusCode::from_u16(s).ok()) else {
        return next.run(request).await;
    };
    let message = format!(
        "injected fault: {status} for {path} ({} more to come)",
        fault.count
    );
    let mut response = (status, Json(json!({ "message": message }))).into_response();
    if let Some(seconds) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// `POST /__faults`
pub async fn arm(State(api): State<FakeApi>, Json(fault): Json<Fault>) -> Response {
    if let Some(problem) = fault.problem() {
        return (StatusCode::BAD_REQUEST, Json(json!({ "message": problem }))).into_response();
    }
    let mut faults = api.faults();
    faults.arm(fault.clone());
    (
        StatusCode::CREATED,
        Json(json!({ "armed": fault, "faults": faults.armed() })),
    )
        .into_response()
}

/// `GET /__faults`
pub async fn list(State(api): State<FakeApi>) -> Json<serde_json::Value> {
    Json(json!({ "faults": api.faults().armed() }))
}

#[derive(Debug, Deserialize)]
pub struct ClearQuery {
    path: Option<String>,
}

/// `DELETE /__faults[?path=...]`
pub async fn clear(
    State(api): State<FakeApi>,
    Query(query): Query<ClearQuery>,
) -> Json<serde_json::Value> {
    let cleared = api.faults().clear(query.path.as_deref());
    Json(json!({ "cleared": cleared }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(path: &str, status: u16, count: u32) -> Fault {
        Fault {
            path: path.to_string(),
            status: Some(status),
            count,
            retry_after: None,
            delay_ms: None,
        }
    }

    #[test]
    fn a_rule_fires_count_times_then_disappears() {
        let mut faults = Faults::default();
        faults.arm(fault("/carts/1", 503, 2));
        assert_eq!(faults.take("/carts/2"), None);
        assert_eq!(faults.take("/carts/1").map(|f| f.count), Some(1));
        assert_eq!(faults.take("/carts/1").map(|f| f.count), Some(0));
        assert_eq!(faults.take("/carts/1"), None);
        assert!(faults.armed().is_empty());
    }

    #[test]
    fn a_trailing_star_matches_a_prefix() {
        let mut faults = Faults::default();
        faults.arm(fault("/products/*", 429, 1));
        assert!(faults.take("/carts/1").is_none());
        assert_eq!(faults.take("/products/7").and_then(|f| f.status), Some(429));
    }

    #[test]
    fn clear_removes_one_path_or_all() {
        let mut faults = Faults::default();
        faults.arm(fault("/carts/1", 503, 1));
        faults.arm(fault("/users/add", 500, 1));
        assert_eq!(faults.clear(Some("/carts/1")), 1);
        assert_eq!(faults.clear(None), 1);
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(fault("carts/1", 503, 1).problem().is_some());
        assert!(fault("/carts/1", 200, 1).problem().is_some());
        assert!(fault("/carts/1", 503, 0).problem().is_some());
        assert!(fault("/__faults", 503, 1).problem().is_some());
        assert!(fault("/carts/1", 404, 1).problem().is_none());
    }
}
