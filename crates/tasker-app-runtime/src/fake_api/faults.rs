//! Fault injection: make the next N calls to a path fail (or stall) on purpose,
//! to watch the workflows retry and fail the way they would against a real API.
//!
//! ```text
//! POST   /__faults  {"path": "/carts/1", "status": 503, "count": 2}
//! POST   /__faults  {"path": "/products/*", "status": 429, "retry_after": 1}
//! POST   /__faults  {"path": "/users/add", "delay_ms": 8000}     (a timeout)
//! POST   /__faults  {"path": "/*", "status": 500, "seconds": 10}  (an outage)
//! GET    /__faults                 the rules still armed
//! DELETE /__faults                 remove every rule
//! DELETE /__faults?path=/carts/1   remove the rules for one path
//! ```
//! `path` is matched against the request path (no query string); a trailing `*`
//! matches any path with that prefix. A rule applies to `count` calls, or to
//! every call for `seconds` after it is armed (an outage), or to whichever of
//! the two runs out first when both are given; with neither, to one call. A
//! rule with a `status` answers it (with `Retry-After` when `retry_after` is
//! set) instead of the real response; a rule with only `delay_ms` lets the
//! call through late.

use std::time::{Duration, Instant};

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
    /// How many calls the rule applies to (default: 1, or unlimited when
    /// `seconds` is given). In `GET /__faults` and fired faults: calls left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The rule applies for this many seconds after it is armed. In
    /// `GET /__faults`: whole seconds left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u64>,
    /// Seconds to put in the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// Wait this long before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// `seconds` is at most this (an hour): a drill, not a permanent outage.
const MAX_SECONDS: u64 = 3600;

impl Fault {
    /// Why the rule cannot be armed, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !self.path.starts_with('/') {
            return Some(format!("path must start with `/`, got `{}`", self.path));
        }
        if self.path.starts_with(ADMIN_PATH) {
            return Some(format!("{ADMIN_PATH} cannot be given faults"));
        }
        if self.count == Some(0) {
            return Some("count must be at least 1".to_string());
        }
        match self.seconds {
            Some(0) => return Some("seconds must be at least 1".to_string()),
            Some(s) if s > MAX_SECONDS => {
                return Some(format!("seconds is at most {MAX_SECONDS}, got {s}"));
            }
            _ => {}
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

/// One armed rule and what is left of it.
#[derive(Debug, Clone)]
struct Armed {
    fault: Fault,
    /// Calls left; `None`: unlimited (until `until`).
    left: Option<u32>,
    /// When a `seconds` rule stops applying.
    until: Option<Instant>,
}

impl Armed {
    fn expired(&self, now: Instant) -> bool {
        self.left == Some(0) || self.until.is_some_and(|until| now >= until)
    }

    /// The rule as `GET /__faults` shows it: calls and seconds left.
    fn shown(&self, now: Instant) -> Fault {
        Fault {
            count: self.left,
            seconds: self
                .until
                .map(|until| until.saturating_duration_since(now).as_secs()),
            ..self.fault.clone()
        }
    }
}

/// The armed rules, oldest first.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Armed>,
}

impl Faults {
    pub fn arm(&mut self, fault: Fault) {
        self.arm_at(fault, Instant::now());
    }

    fn arm_at(&mut self, fault: Fault, now: Instant) {
        let left = match (fault.count, fault.seconds) {
            (Some(count), _) => Some(count),
            (None, Some(_)) => None,
            (None, None) => Some(1),
        };
        let until = fault.seconds.map(|s| now + Duration::from_secs(s));
        self.rules.push(Armed { fault, left, until });
    }

    pub fn armed(&self) -> Vec<Fault> {
        self.armed_at(Instant::now())
    }

    fn armed_at(&self, now: Instant) -> Vec<Fault> {
        self.rules
            .iter()
            .filter(|rule| !rule.expired(now))
            .map(|rule| rule.shown(now))
            .collect()
    }

    /// Remove the rules for `path` (all rules when `None`); how many went.
    pub fn clear(&mut self, path: Option<&str>) -> usize {
        let before = self.rules.len();
        match path {
            Some(path) => self.rules.retain(|rule| rule.fault.path != path),
            None => self.rules.clear(),
        }
        before - self.rules.len()
    }

    /// The rule for this call, if one is armed: uses up one of its calls.
    pub fn take(&mut self, path: &str) -> Option<Fault> {
        self.take_at(path, Instant::now())
    }

    fn take_at(&mut self, path: &str, now: Instant) -> Option<Fault> {
        self.rules.retain(|rule| !rule.expired(now));
        let index = self
            .rules
            .iter()
            .position(|rule| rule.fault.applies_to(path))?;
        let rule = &mut self.rules[index];
        if let Some(left) = rule.left.as_mut() {
            *left -= 1;
        }
        let fired = rule.shown(now);
        if rule.expired(now) {
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
    tracing::info!(%path, status = ?fault.status, remaining = ?fault.count, seconds_left = ?fault.seconds, "fake API: injecting a fault");
    if let Some(delay) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let Some(status) = fault.status.and_then(|s| StatusCode::from_u16(s).ok()) else {
        return next.run(request).await;
    };
    let message = match (fault.count, fault.seconds) {
        (Some(left), _) => format!("injected fault: {status} for {path} ({left} more to come)"),
        (None, Some(secs)) => format!("injected fault: {status} for {path} (for {secs}s more)"),
        (None, None) => format!("injected fault: {status} for {path}"),
    };
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
            count: Some(count),
            seconds: None,
            retry_after: None,
            delay_ms: None,
        }
    }

    #[test]
    fn a_rule_fires_count_times_then_disappears() {
        let mut faults = Faults::default();
        faults.arm(fault("/carts/1", 503, 2));
        assert_eq!(faults.take("/carts/2"), None);
        assert_eq!(faults.take("/carts/1").map(|f| f.count), Some(Some(1)));
        assert_eq!(faults.take("/carts/1").map(|f| f.count), Some(Some(0)));
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

    fn outage(path: &str, status: u16, seconds: u64) -> Fault {
        Fault {
            seconds: Some(seconds),
            count: None,
            ..fault(path, status, 1)
        }
    }

    #[test]
    fn a_seconds_rule_fires_on_every_call_until_its_time_is_up() {
        let mut faults = Faults::default();
        let armed = Instant::now();
        faults.arm_at(outage("/*", 500, 10), armed);
        for _ in 0..100 {
            let fired = faults.take_at("/carts/1", armed + Duration::from_secs(3));
            assert_eq!(fired.as_ref().and_then(|f| f.status), Some(500));
            assert_eq!(fired.and_then(|f| f.seconds), Some(7));
        }
        assert_eq!(faults.armed_at(armed + Duration::from_secs(9)).len(), 1);
        assert!(
            faults
                .take_at("/carts/1", armed + Duration::from_secs(10))
                .is_none()
        );
        assert!(faults.armed_at(armed + Duration::from_secs(10)).is_empty());
        assert!(faults.rules.is_empty(), "an expired rule is dropped");
    }

    #[test]
    fn count_and_seconds_together_stop_at_whichever_runs_out_first() {
        let mut faults = Faults::default();
        let armed = Instant::now();
        faults.arm_at(
            Fault {
                count: Some(2),
                ..outage("/carts/1", 503, 10)
            },
            armed,
        );
        let soon = armed + Duration::from_secs(1);
        assert!(faults.take_at("/carts/1", soon).is_some());
        assert!(faults.take_at("/carts/1", soon).is_some());
        assert!(faults.take_at("/carts/1", soon).is_none(), "count ran out");

        faults.arm_at(
            Fault {
                count: Some(100),
                ..outage("/carts/1", 503, 10)
            },
            armed,
        );
        assert!(faults.take_at("/carts/1", soon).is_some());
        let late = armed + Duration::from_secs(11);
        assert!(faults.take_at("/carts/1", late).is_none(), "time ran out");
    }

    #[test]
    fn a_seconds_rule_arrives_from_json() {
        let fault: Fault =
            serde_json::from_str(r#"{"path": "/*", "status": 500, "seconds": 10}"#).unwrap();
        assert_eq!(fault.problem(), None);
        assert_eq!((fault.count, fault.seconds), (None, Some(10)));
        let mut zero = fault.clone();
        zero.seconds = Some(0);
        assert!(zero.problem().is_some());
        zero.seconds = Some(MAX_SECONDS + 1);
        assert!(zero.problem().is_some());
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
