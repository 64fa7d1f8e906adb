//! Live pages over server-sent events. A page's script opens one stream;
//! the server looks at a cheap version of what the page shows (counts and
//! newest ids of the engine's transitions, index lookups) every
//! [`POLL`] and sends a `change` event when it moved, and the page fetches
//! its live part again. One event right after connecting covers a change
//! between the page's render and the stream's start.
//!
//! Why the server polls the tables rather than listening: the engine's
//! pgmq notifications are per queue and carry no task id, and a few
//! indexed reads every 200 ms per open page are nothing for PostgreSQL.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use sqlx::PgPool;
use uuid::Uuid;

use super::queries;

/// How often an open page's version is read.
pub const POLL: Duration = Duration::from_millis(200);

/// What a stream follows.
#[derive(Clone, Copy)]
pub enum Follow {
    /// Every task (the runs list).
    All,
    /// One task (its run page).
    Task(Uuid),
}

struct State {
    db: PgPool,
    follow: Follow,
    last: Option<String>,
    first: bool,
}

async fn version(db: &PgPool, follow: Follow) -> Option<String> {
    let read = match follow {
        Follow::All => queries::list_version(db).await,
        Follow::Task(task) => queries::run_version(db, task).await,
    };
    match read {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::debug!("dashboard: could not read a version: {e:#}");
            None
        }
    }
}

fn changes(db: PgPool, follow: Follow) -> impl Stream<Item = Result<Event, Infallible>> {
    let state = State {
        db,
        follow,
        last: None,
        first: true,
    };
    futures::stream::unfold(state, |mut state| async move {
        if state.first {
            state.first = false;
            state.last = version(&state.db, state.follow).await;
            return Some((
                Ok(Event::default().event("change").data("connected")),
                state,
            ));
        }
        loop {
            tokio::time::sleep(POLL).await;
            let now = version(&state.db, state.follow).await;
            if now.is_some() && now != state.last {
                state.last = now;
                let data = state.last.clone().unwrap_or_default();
                return Some((Ok(Event::default().event("change").data(data)), state));
            }
        }
    })
}

/// The SSE response for `follow`.
pub fn stream(db: PgPool, follow: Follow) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(changes(db, follow)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
