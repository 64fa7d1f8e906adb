//! `POST /v1/tasks`, patiently.
//!
//! The orchestration API answers a burst it cannot take at once with 503
//! (backpressure), 429, or 408 (its request timeout ran out while the request
//! waited for a database connection); a restarting server gives 502/504 or
//! refuses connections. All of these mean "not now": `run` tries again after
//! the server's `Retry-After`, else after an exponential backoff with jitter,
//! for up to [`BUSY_PATIENCE`]. A 500 `DATABASE_ERROR` is tried again a few
//! times ([`DATABASE_ERROR_TRIES`]). Anything else (400, 409, other 500s) is
//! answered at once. The engine's own client does not do this:
//! it gives up on every 4xx and ignores Retry-After.
//!
//! A task is never created twice by these tries: the request carries the
//! run's idempotency key and run id, so a second copy is refused (409). An
//! answer that failed after the task was committed (a 500 while the API read
//! the new task back, a 408) makes the next try's 409 ambiguous: then the
//! task this run created is looked up by its run id and returned.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use tasker_shared::models::core::task_request::TaskRequest;
use tasker_shared::types::api::orchestration::{TaskListResponse, TaskResponse};

use crate::api::parse_retry_after;

/// Statuses that mean "busy or restarting, try again".
const BUSY: [u16; 5] = [408, 429, 502, 503, 504];
/// A 500 "DATABASE_ERROR" is tried again this many times: the engine's
/// pool ran dry in a burst (acquire timeout), or the first tasks of a
/// workflow raced to record its steps (a duplicate key; engine 0.1.8). The
/// creation's transaction was rolled back, so a new try is safe; a fault that
/// stays is reported after these few tries.
const DATABASE_ERROR_TRIES: u32 = 4;
/// How long busy answers are tried again.
pub const BUSY_PATIENCE: Duration = Duration::from_secs(120);
/// How long an unreachable API is tried again (it may be restarting).
const UNREACHABLE_PATIENCE: Duration = Duration::from_secs(15);
/// How long "template not found" is waited out: a workflow is known to
/// orchestration only once a worker serving it has started.
const TEMPLATE_WAIT: Duration = Duration::from_secs(20);
/// The first backoff; doubled on every busy answer up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two tries (a longer Retry-After is capped to it).
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Longer than the API's own request timeout (30 s in the shipped configs),
/// so a slow request ends in the server's 408, which is retried.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(35);

/// What one try came to.
#[derive(Debug, PartialEq)]
enum Next {
    /// Try again after this long.
    Retry(Duration, String),
    /// Stop with this message.
    Fail(String),
}

/// Create the task, retrying busy answers. `Err` carries a message that
/// starts with `HTTP <status>` when the API answered.
pub async fn create(
    http: &reqwest::Client,
    base_url: &str,
    request: &TaskRequest,
    workflow: &str,
) -> Result<TaskResponse, String> {
    let url = format!("{base_url}/v1/tasks");
    let started = Instant::now();
    let mut busy_answers = 0u32;
    let mut database_errors = 0u32;
    // Whether an earlier try may have created the task after all.
    let mut maybe_created = false;
    let mut said_waiting = false;
    let mut said_busy = false;
    loop {
        let next = match http.post(&url).json(request).send().await {
            Ok(response) if response.status().is_success() => {
                return response
                    .json::<TaskResponse>()
                    .await
                    .map_err(|e| format!("the API's answer is not a task: {e}"));
            }
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Utc::now()));
                let body = response.text().await.unwrap_or_default();
                if status == StatusCode::NOT_FOUND
                    && body.contains("not found")
                    && started.elapsed() < TEMPLATE_WAIT
                {
                    if !said_waiting {
                        eprintln!("waiting for a worker to register {workflow} ...");
                        said_waiting = true;
                    }
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    continue;
                }
                if status == StatusCode::CONFLICT && maybe_created {
                    if let Some(task) = find_created(http, base_url, request).await {
                        return Ok(task);
                    }
                }
                if BUSY.contains(&status.as_u16()) {
                    busy_answers += 1;
                }
                maybe_created |= status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT;
                if is_database_error(status.as_u16(), &body) {
                    database_errors += 1;
                }
                decide(
                    status.as_u16(),
                    &body,
                    retry_after,
                    (busy_answers, database_errors),
                    started.elapsed(),
                )
            }
            Err(e)
                if started.elapsed() < UNREACHABLE_PATIENCE
                    && (e.is_connect() || e.is_timeout()) =>
            {
                maybe_created |= e.is_timeout();
                Next::Retry(Duration::from_secs(1), format!("{e}"))
            }
            Err(e) => Next::Fail(format!("{e}")),
        };
        match next {
            Next::Fail(message) => return Err(message),
            Next::Retry(wait, why) => {
                if !said_busy {
                    eprintln!("the orchestration API is busy ({why}); trying again ...");
                    said_busy = true;
                }
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// The task an earlier, seemingly failed try created: the newest tasks of
/// this namespace, initiator and source (the API lists newest first) are
/// searched for this run's id.
async fn find_created(
    http: &reqwest::Client,
    base_url: &str,
    request: &TaskRequest,
) -> Option<TaskResponse> {
    let run_id = request.context.get(super::RUN_ID_KEY)?;
    for page in 1..=3 {
        let page = page.to_string();
        let listed: TaskListResponse = http
            .get(format!("{base_url}/v1/tasks"))
            .query(&[
                ("namespace", request.namespace.as_str()),
                ("initiator", request.initiator.as_str()),
                ("source_system", request.source_system.as_str()),
                ("per_page", "100"),
                ("page", page.as_str()),
            ])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        if let Some(task) = listed
            .tasks
            .iter()
            .find(|t| t.context.get(super::RUN_ID_KEY) == Some(run_id))
        {
            return Some(task.clone());
        }
        if listed.tasks.len() < 100 {
            break;
        }
    }
    None
}

/// The decision for one answer that was not a success, given how many busy
/// answers and database errors came so far (this one included).
fn decide(
    status: u16,
    body: &str,
    retry_after: Option<u32>,
    (busy_answers, database_errors): (u32, u32),
    elapsed: Duration,
) -> Next {
    let message = format!("HTTP {status}: {}", body.trim());
    if is_database_error(status, body) && database_errors <= DATABASE_ERROR_TRIES {
        return Next::Retry(backoff(database_errors), format!("HTTP {status}"));
    }
    if !BUSY.contains(&status) {
        return Next::Fail(message);
    }
    if elapsed >= BUSY_PATIENCE {
        return Next::Fail(format!(
            "{message} (still busy after {}s of tries)",
            elapsed.as_secs()
        ));
    }
    let wait = match retry_after {
        Some(seconds) => Duration::from_secs(u64::from(seconds)).min(MAX_BACKOFF),
        None => backoff(busy_answers),
    };
    Next::Retry(wait, format!("HTTP {status}"))
}

/// A 500 the engine's API gives for any failed database operation.
fn is_database_error(status: u16, body: &str) -> bool {
    status == 500 && body.contains("DATABASE_ERROR")
}

/// Exponential backoff for the n-th busy answer (n >= 1), with up to 25%
/// jitter so a burst of `run`s does not come back all at once.
fn backoff(n: u32) -> Duration {
    let base = FIRST_BACKOFF
        .saturating_mul(1 << n.saturating_sub(1).min(10))
        .min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = base.mul_f64(f64::from(nanos % 1000) / 4000.0);
    base + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_answers_are_tried_again_after_retry_after() {
        for status in BUSY {
            assert_eq!(
                decide(status, "busy", Some(3), (1, 0), Duration::ZERO),
                Next::Retry(Duration::from_secs(3), format!("HTTP {status}"))
            );
        }
    }

    #[test]
    fn a_long_retry_after_is_capped() {
        assert_eq!(
            decide(503, "", Some(3600), (1, 0), Duration::ZERO),
            Next::Retry(MAX_BACKOFF, "HTTP 503".to_string())
        );
    }

    #[test]
    fn without_retry_after_the_backoff_grows_and_is_capped() {
        let first = backoff(1);
        assert!(first >= FIRST_BACKOFF && first <= FIRST_BACKOFF.mul_f64(1.25));
        let third = backoff(3);
        assert!(third >= FIRST_BACKOFF * 4, "{third:?}");
        assert!(backoff(30) <= MAX_BACKOFF.mul_f64(1.25));
    }

    #[test]
    fn other_answers_fail_at_once() {
        for status in [400, 401, 404, 409, 422, 500] {
            assert!(
                matches!(decide(status, "no", None, (0, 0), Duration::ZERO), Next::Fail(m) if m.starts_with(&format!("HTTP {status}"))),
                "{status}"
            );
        }
    }

    const DB_ERROR: &str =
        r#"{"error":{"code":"DATABASE_ERROR","message":"Database operation failed"}}"#;

    #[test]
    fn a_database_error_is_tried_again_a_few_times() {
        for n in 1..=DATABASE_ERROR_TRIES {
            assert!(matches!(
                decide(500, DB_ERROR, None, (0, n), Duration::ZERO),
                Next::Retry(..)
            ));
        }
        assert!(matches!(
            decide(500, DB_ERROR, None, (0, DATABASE_ERROR_TRIES + 1), Duration::ZERO),
            Next::Fail(m) if m.contains("DATABASE_ERROR")
        ));
    }

    #[test]
    fn busy_answers_stop_after_the_patience() {
        assert!(matches!(
            decide(503, "busy", Some(1), (50, 0), BUSY_PATIENCE),
            Next::Fail(m) if m.contains("still busy")
        ));
    }
}
