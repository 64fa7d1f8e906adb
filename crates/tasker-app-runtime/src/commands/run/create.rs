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
//! A task is never created twice by these tries: every try sends the same
//! request (its run id in the context), so the engine refuses a second copy
//! (409, its unique identity hash). When an answer is lost after the request
//! went out (a reset or closed connection, a timeout: the server may have
//! died after committing; a 5xx or 408), the task may exist: a later 409, or
//! giving up, asks the engine's tables (`lookup`) and `run` says what is
//! true: the task exists (shown as created), it was not created, or nobody
//! can tell (then the retry to run is named: with `--idempotency-key RUN_ID`,
//! which looks for the task before creating it).

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use tasker_shared::models::core::task_request::TaskRequest;
use tasker_shared::types::api::orchestration::TaskResponse;

use super::lookup::{self, Answer, Existing, Sources};
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

/// A task this run stands for.
#[derive(Debug)]
pub enum Created {
    /// The API answered with the new task.
    New(Box<TaskResponse>),
    /// The answer to this run's create was lost, but the task exists: it
    /// was created once.
    AnswerLost(Existing),
    /// The engine refused the create as a repeat of this idempotency key
    /// (409): the task an earlier run created with it, same context.
    Repeat(Existing),
}

/// Why there is no task to show.
#[derive(Debug)]
pub enum Failure {
    /// The API answered, or could not be reached before the request went
    /// out: nothing was created. Starts with `HTTP <status>` when it answered.
    Refused(String),
    /// The idempotency key belongs to a task created with another context.
    KeyTaken(Existing),
    /// The request went out, its answer was lost, and the engine's tables
    /// have no task with its key.
    NotCreated(String),
    /// The request went out, its answer was lost, and neither the database
    /// nor the API could say whether the task exists (`why`).
    Unknown { message: String, why: String },
}

/// How long an unreachable API is tried again (it may be restarting).
pub const UNREACHABLE_PATIENCE: Duration = Duration::from_secs(15);

/// How `create` goes about it.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long an unreachable API is tried again.
    pub unreachable_patience: Duration,
    /// The key came from the user (`--idempotency-key`): an earlier run may
    /// have created the task, so it is looked for before anything is sent.
    /// (The engine would not refuse it when the context differs, or when
    /// the trace context in it does.)
    pub key_from_user: bool,
}

/// Create the task, retrying busy answers and lost ones; when an answer was
/// lost, the engine is asked whether the task exists (see `lookup`).
pub async fn create(
    sources: &Sources<'_>,
    request: &TaskRequest,
    workflow: &str,
    options: &Options,
) -> Result<Created, Failure> {
    if options.key_from_user {
        if let Answer::Found(existing) = lookup::find(sources, request).await {
            return if lookup::same_context(&existing.context, &request.context) {
                Ok(Created::Repeat(existing))
            } else {
                Err(Failure::KeyTaken(existing))
            };
        }
    }
    let unreachable_patience = options.unreachable_patience;
    let url = format!("{}/v1/tasks", sources.base_url);
    let started = Instant::now();
    let mut busy_answers = 0u32;
    let mut database_errors = 0u32;
    // Whether an earlier try may have created the task after all: its
    // request went out and no answer said "not created".
    let mut maybe_created = false;
    let mut said_waiting = false;
    let mut said_busy = false;
    loop {
        let next = match sources.http.post(&url).json(request).send().await {
            Ok(response) if response.status().is_success() => {
                return match response.json::<TaskResponse>().await {
                    Ok(task) => Ok(Created::New(Box::new(task))),
                    // The task was created; its answer is unreadable.
                    Err(e) => {
                        settle(
                            sources,
                            request,
                            format!("the API's answer is not a task: {}", e.without_url()),
                        )
                        .await
                    }
                };
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
                if status == StatusCode::CONFLICT {
                    return conflict(sources, request, maybe_created, &body).await;
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
            Err(e) => {
                // A refused connection sent nothing; anything else (a reset,
                // a timeout, a connection closed half-way) may have been
                // acted on by a server that then died or gave up.
                maybe_created |= !e.is_connect();
                let message = e.without_url().to_string();
                if started.elapsed() < unreachable_patience {
                    Next::Retry(Duration::from_secs(1), message)
                } else {
                    Next::Fail(message)
                }
            }
        };
        match next {
            Next::Fail(message) if maybe_created => {
                return settle(sources, request, message).await;
            }
            Next::Fail(message) => return Err(Failure::Refused(message)),
            Next::Retry(wait, why) => {
                if !said_busy {
                    eprintln!(
                        "the orchestration API is busy or unreachable ({why}); trying again ..."
                    );
                    said_busy = true;
                }
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// The last try failed after an earlier one may have created the task: the
/// engine's tables (or its API) say whether it exists.
async fn settle(
    sources: &Sources<'_>,
    request: &TaskRequest,
    message: String,
) -> Result<Created, Failure> {
    match lookup::find(sources, request).await {
        Answer::Found(existing) => Ok(Created::AnswerLost(existing)),
        Answer::Absent => Err(Failure::NotCreated(message)),
        Answer::Unknown(why) => Err(Failure::Unknown { message, why }),
    }
}

/// A 409: a task with this idempotency key exists. It is this run's own
/// (an earlier try's answer was lost) or an earlier run's with the same key.
async fn conflict(
    sources: &Sources<'_>,
    request: &TaskRequest,
    maybe_created: bool,
    body: &str,
) -> Result<Created, Failure> {
    let refused = || Failure::Refused(format!("HTTP 409: {}", body.trim()));
    match lookup::find(sources, request).await {
        Answer::Found(existing) if maybe_created => Ok(Created::AnswerLost(existing)),
        Answer::Found(existing) if lookup::same_context(&existing.context, &request.context) => {
            Ok(Created::Repeat(existing))
        }
        Answer::Found(existing) => Err(Failure::KeyTaken(existing)),
        Answer::Absent | Answer::Unknown(_) => Err(refused()),
    }
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
