//! The external API as the handlers see it: JSON over HTTP with a timeout on
//! every request, and every failure sorted into "try again later"
//! (`ApiError::Unavailable`) or "trying again will not help"
//! (`ApiError::Rejected`, `ApiError::Malformed`).
//!
//! The API is DummyJSON-shaped: the built-in `fake-api` by default,
//! `https://dummyjson.com` or anything compatible via `API_BASE_URL`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::RETRY_AFTER;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long one request may take, connection included. Well under the steps'
/// `timeout_seconds` in the task templates, so a slow API fails the attempt
/// (retryably) before the engine gives up on the step.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest error body kept in a message.
const MAX_DETAIL: usize = 200;

/// A failed API call, already classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The API could not answer now: 408, 425, 429, 5xx, a timeout or a refused
    /// connection. `retry_after` is the server's Retry-After in seconds.
    Unavailable {
        url: String,
        status: Option<u16>,
        retry_after: Option<u32>,
        detail: String,
    },
    /// The API refused the request (any other 4xx): the same request will be
    /// refused again.
    Rejected {
        url: String,
        status: u16,
        detail: String,
    },
    /// The API answered 2xx with a body that is not what we asked for.
    Malformed { url: String, detail: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unavailable { status, .. } => *status,
            ApiError::Rejected { status, .. } => Some(*status),
            ApiError::Malformed { .. } => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, ApiError::Unavailable { .. })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unavailable {
                url,
                status: Some(status),
                retry_after,
                detail,
            } => {
                write!(f, "{url} answered {status}: {detail}")?;
                if let Some(seconds) = retry_after {
                    write!(f, " (Retry-After: {seconds}s)")?;
                }
                Ok(())
            }
            ApiError::Unavailable {
                url,
                status: None,
                detail,
                ..
            } => write!(f, "{url}: {detail}"),
            ApiError::Rejected {
                url,
                status,
                detail,
            } => write!(f, "{url} answered {status}: {detail}"),
            ApiError::Malformed { url, detail } => {
                write!(f, "{url} sent an unexpected response: {detail}")
            }
        }
    }
}

impl std::error::Error for ApiError {}

/// What an HTTP status means for the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    Success,
    /// Worth another attempt later.
    Retryable,
    /// The same request will fail the same way.
    Permanent,
}

/// 2xx succeed; 408 (timeout), 425 (too early), 429 (rate limited) and 5xx are
/// retryable; every other status is permanent.
pub fn classify_status(status: u16) -> StatusClass {
    match status {
        200..=299 => StatusClass::Success,
        408 | 425 | 429 | 500..=599 => StatusClass::Retryable,
        _ => StatusClass::Permanent,
    }
}

/// A Retry-After value in seconds: either delay-seconds or an HTTP date
/// (a date in the past means "now", 0).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<u32> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(seconds);
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    let seconds = (date.with_timezone(&Utc) - now).num_seconds().max(0);
    Some(u32::try_from(seconds).unwrap_or(u32::MAX))
}

/// A short, single-line description of an error body: DummyJSON's
/// `{"message": ...}` when present, else the start of the text.
pub fn error_detail(body: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        });
    let text = message.unwrap_or_else(|| body.trim().replace(['\n', '\r'], " "));
    if text.is_empty() {
        return "(empty body)".to_string();
    }
    match text.char_indices().nth(MAX_DETAIL) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// A client for the external API (`AppContext::api`); cheap to clone.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    timeout: Duration,
}

impl ApiClient {
    /// A client for the API at `base_url` on `http`'s connection pool.
    pub fn new(http: reqwest::Client, base_url: &str) -> ApiClient {
        ApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            timeout: REQUEST_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> ApiClient {
        self.timeout = timeout;
        self
    }

    /// The full URL of `path` (which starts with `/` and may carry a query).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// GET `path` and decode the JSON answer.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = self.url(path);
        let request = self.http.get(&url).timeout(self.timeout);
        self.send(url, request).await
    }

    /// GET `path` with `query` pairs (URL-encoded for you) and decode the answer.
    pub async fn get_json_with_query<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let url = self.url(path);
        let request = self.http.get(&url).query(query).timeout(self.timeout);
        self.send(url, request).await
    }

    /// POST `body` as JSON to `path` and decode the JSON answer.
    pub async fn post_json<B, T>(&self, path: &str, body: &B) -> Result<T, ApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let url = self.url(path);
        let request = self.http.post(&url).timeout(self.timeout).json(body);
        self.send(url, request).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        url: String,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ApiError> {
        // Errors name the URL; a password in API_BASE_URL stays out of them
        // (they end up in logs and in the engine's step results).
        let url = tasker_app_db::redact::redact(&url);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Err(transport_error(url, e, self.timeout)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        let body = match response.text().await {
            Ok(body) => body,
            Err(e) => return Err(transport_error(url, e, self.timeout)),
        };
        match classify_status(status) {
            StatusClass::Success => serde_json::from_str(&body).map_err(|e| ApiError::Malformed {
                url,
                detail: format!("{e} in {}", error_detail(&body)),
            }),
            StatusClass::Retryable => Err(ApiError::Unavailable {
                url,
                status: Some(status),
                retry_after,
                detail: error_detail(&body),
            }),
            StatusClass::Permanent => Err(ApiError::Rejected {
                url,
                status,
                detail: error_detail(&body),
            }),
        }
    }
}

/// No HTTP answer at all: timeouts and connection failures are worth retrying.
fn transport_error(url: String, e: reqwest::Error, timeout: Duration) -> ApiError {
    let detail = if e.is_timeout() {
        format!("no answer within {}s", timeout.as_secs_f32())
    } else if e.is_connect() {
        "could not connect (is the API running? `fake-api` serves the default one)".to_string()
    } else {
        // reqwest's message would repeat the URL, password included.
        format!("request failed: {}", e.without_url())
    };
    ApiError::Unavailable {
        url,
        status: None,
        retry_after: None,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An API that answers every request with `status` and a JSON message.
    async fn answering(status: &'static str) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = r#"{"message": "no such thing"}"#;
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn errors_never_show_a_password_in_the_api_url() {
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        for addr in [
            answering("404 Not Found").await,
            answering("503 Service Unavailable").await,
            closed,
        ] {
            let api = ApiClient::new(
                reqwest::Client::new(),
                &format!("http://user:hunter2@{addr}"),
            );
            let err = api
                .get_json::<serde_json::Value>("/carts/1")
                .await
                .unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("/carts/1") && !text.contains("hunter2"),
                "{text}"
            );
        }
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify_status(200), StatusClass::Success);
        assert_eq!(classify_status(201), StatusClass::Success);
        for retryable in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(
                classify_status(retryable),
                StatusClass::Retryable,
                "{retryable}"
            );
        }
        for permanent in [301, 400, 401, 403, 404, 409, 422] {
            assert_eq!(
                classify_status(permanent),
                StatusClass::Permanent,
                "{permanent}"
            );
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        let now = DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("3", now), Some(3));
        assert_eq!(parse_retry_after(" 120 ", now), Some(120));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(30)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(0)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn error_detail_prefers_the_api_message() {
        assert_eq!(
            error_detail(r#"{"message":"Cart with id '999' not found"}"#),
            "Cart with id '999' not found"
        );
        assert_eq!(error_detail("Bad\nGateway"), "Bad Gateway");
        assert_eq!(error_detail(""), "(empty body)");
        assert!(error_detail(&"x".repeat(1000)).ends_with("..."));
    }

    #[test]
    fn only_unavailable_is_retryable() {
        let unavailable = ApiError::Unavailable {
            url: "u".into(),
            status: Some(503),
            retry_after: Some(1),
            detail: "down".into(),
        };
        let rejected = ApiError::Rejected {
            url: "u".into(),
            status: 404,
            detail: "missing".into(),
        };
        assert!(unavailable.is_retryable());
        assert!(!rejected.is_retryable());
        assert!(rejected.is_not_found());
        assert_eq!(
            unavailable.to_string(),
            "u answered 503: down (Retry-After: 1s)"
        );
    }
}
