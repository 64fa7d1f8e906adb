//! The dashboard's routes. GETs render pages (or, with `?fragment=live`,
//! only their live part); POSTs act, after a same-origin check (the
//! `Origin` or `Referer` must be this server: another site's page cannot
//! make a visitor's browser cancel a run), and answer with a redirect to
//! the page that shows what happened.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Form, Path, Query, Request, State as Extract};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use uuid::Uuid;

use super::html::{Nav, notice, page};
use super::queries::{self, RunFilter, TASK_STATES};
use super::{State, actions, form, health, live, run_page, runs_page};

/// The cookie naming a signed-in browser's session (the engine token stays here).
const TOKEN_COOKIE: &str = "tasker_dashboard_session";

pub(crate) fn router(state: State) -> Router {
    Router::new()
        .route("/", get(runs))
        .route("/events", get(list_events))
        .route("/runs/{id}", get(run))
        .route("/runs/{id}/events", get(run_events))
        .route("/runs/{id}/cancel", post(cancel))
        .route("/runs/{id}/steps/{step}/{action}", post(step_action))
        .route("/new", get(new_form).post(create))
        .route("/health", get(health_page))
        .route("/login", get(login_form).post(login))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

fn error_page(state: &State, status: StatusCode, title: &str, why: &str) -> Response {
    let body = format!("<h1>{}</h1>{}", super::html::esc(title), notice("bad", why));
    (status, Html(page(state.app, title, Nav::Runs, &body))).into_response()
}

fn internal(state: &State, e: anyhow::Error) -> Response {
    let why = crate::shown::error(&e);
    error_page(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &why,
    )
}

/// The same-origin check of every POST, and the token check when the
/// engine's API requires one.
async fn guard(Extract(state): Extract<State>, request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !same_origin(request.headers()) {
        return error_page(
            &state,
            StatusCode::FORBIDDEN,
            "Refused",
            "This action did not come from a page of this dashboard (Origin/Referer check), so nothing was done.",
        );
    }
    if state.auth && request.uri().path() != "/login" {
        let ok = token_of(&state, request.headers()).is_some();
        if !ok {
            return Redirect::to("/login").into_response();
        }
    }
    next.run(request).await
}

/// Whether the request's `Origin` (else `Referer`) names the `Host` it was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
    {
        return false;
    }
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(from) = from else {
        return false;
    };
    let rest = from
        .strip_prefix("http://")
        .or_else(|| from.strip_prefix("https://"))
        .unwrap_or("");
    rest.split('/').next() == Some(host)
}

/// The session id in the request's cookie.
fn session_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == TOKEN_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The engine token of the signed-in browser sending `headers`.
fn token_of(state: &State, headers: &HeaderMap) -> Option<String> {
    let session = session_of(headers)?;
    state.sessions.lock().ok()?.get(&session).cloned()
}

/// A one-time notice for the next page; its id goes in the redirect.
fn remember(state: &State, kind: &'static str, text: String) -> u64 {
    let id = state.next_notice.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut notices) = state.notices.lock() {
        notices.push_back((id, kind, text));
        while notices.len() > 100 {
            notices.pop_front();
        }
    }
    id
}

fn take_notice(state: &State, query: &HashMap<String, String>) -> Option<String> {
    let id: u64 = query.get("notice")?.parse().ok()?;
    let mut notices = state.notices.lock().ok()?;
    let at = notices.iter().position(|(n, _, _)| *n == id)?;
    let (_, kind, text) = notices.remove(at)?;
    Some(notice(kind, &text))
}

fn param(query: &HashMap<String, String>, key: &str) -> Option<String> {
    query
        .get(key)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

async fn runs(
    Extract(state): Extract<State>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filter = RunFilter {
        workflow: param(&query, "workflow").filter(|w| w.contains('/')),
        state: param(&query, "state").filter(|s| TASK_STATES.contains(&s.as_str())),
        q: param(&query, "q"),
        before: param(&query, "before").and_then(|b| Uuid::parse_str(&b).ok()),
    };
    let (rows, next) = match queries::runs(&state.db, &filter).await {
        Ok(found) => found,
        Err(e) => return internal(&state, e),
    };
    let table = runs_page::table(&rows, &filter, next);
    if query.contains_key("fragment") {
        return Html(table).into_response();
    }
    let workflows = queries::workflow_names(&state.db).await.unwrap_or_default();
    let body = runs_page::body(&filter, &workflows, &table);
    Html(page(state.app, "Runs", Nav::Runs, &body)).into_response()
}

async fn list_events(Extract(state): Extract<State>) -> impl IntoResponse {
    live::stream(state.db.clone(), live::Follow::All)
}

async fn run_events(Extract(state): Extract<State>, Path(id): Path<Uuid>) -> impl IntoResponse {
    live::stream(state.db.clone(), live::Follow::Task(id))
}

async fn run(
    Extract(state): Extract<State>,
    Path(id): Path<Uuid>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let found = match queries::run(&state.db, id).await {
        Ok(found) => found,
        Err(e) => return internal(&state, e),
    };
    let Some(run) = found else {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "No such run",
            &format!("The engine has no task {id}."),
        );
    };
    let now = chrono::Utc::now().naive_utc();
    if query.contains_key("fragment") {
        return Html(run_page::live(&run, now)).into_response();
    }
    let notice = take_notice(&state, &query);
    let body = run_page::body(&run, notice.as_deref(), now);
    let title = format!("{}/{}", run.task.namespace, run.task.name);
    Html(page(state.app, &title, Nav::Runs, &body)).into_response()
}

fn back_to_run(state: &State, id: Uuid, outcome: Result<String, String>) -> Response {
    let n = match outcome {
        Ok(text) => remember(state, "ok", text),
        Err(text) => remember(state, "bad", text),
    };
    Redirect::to(&format!("/runs/{id}?notice={n}")).into_response()
}

async fn cancel(
    Extract(state): Extract<State>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Response {
    let outcome = state
        .engine
        .cancel(id, token_of(&state, &headers).as_deref())
        .await;
    back_to_run(&state, id, outcome)
}

async fn step_action(
    Extract(state): Extract<State>,
    headers: HeaderMap,
    Path((id, step, action)): Path<(Uuid, Uuid, String)>,
) -> Response {
    let Some(action) = actions::StepAction::parse(&action) else {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "No such action",
            "A step can be retried or resolved.",
        );
    };
    let mut outcome = state
        .engine
        .step(id, step, action, token_of(&state, &headers).as_deref())
        .await;
    if let Ok(text) = &mut outcome {
        let after = match action {
            actions::StepAction::Retry => "step retried",
            actions::StepAction::Resolve => "step resolved",
        };
        match actions::resume_blocked(&state.db, id, after).await {
            Ok(Some(moved)) => {
                text.push_str(&format!(
                    " The run, blocked by the failure, goes on ({moved})."
                ));
            }
            Ok(None) => {}
            Err(e) => text.push_str(&format!(
                " But the run, blocked by the failure, could not be moved on: {}",
                crate::shown::error(&e)
            )),
        }
    }
    back_to_run(&state, id, outcome)
}

fn workflows(state: &State) -> Result<Vec<crate::workflows::Workflow>, anyhow::Error> {
    crate::workflows::load_all(&state.template_path)
}

fn form_page(
    state: &State,
    all: &[crate::workflows::Workflow],
    chosen: &crate::workflows::Workflow,
    values: &BTreeMap<String, String>,
    problems: &BTreeMap<String, Vec<String>>,
    top: Option<String>,
) -> Response {
    let names: Vec<String> = all.iter().map(|w| w.full_name()).collect();
    let fields = chosen
        .template
        .input_schema
        .as_ref()
        .map(form::fields)
        .unwrap_or_default();
    let body = format!(
        "<h1>Start a run</h1>{}{}<p class=\"muted\">{}</p>{}",
        form::chooser(&names, &chosen.full_name()),
        top.unwrap_or_default(),
        super::html::esc(chosen.template.description.as_deref().unwrap_or("")),
        form::render(&chosen.full_name(), &fields, values, problems)
    );
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (
        status,
        Html(page(state.app, "Start a run", Nav::Start, &body)),
    )
        .into_response()
}

async fn new_form(
    Extract(state): Extract<State>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let all = match workflows(&state) {
        Ok(all) => all,
        Err(e) => return internal(&state, e),
    };
    let wanted = param(&query, "workflow");
    let chosen = all
        .iter()
        .find(|w| Some(w.full_name()) == wanted)
        .or_else(|| all.first());
    let Some(chosen) = chosen else {
        return error_page(
            &state,
            StatusCode::NOT_FOUND,
            "No workflows",
            "The app's workflows/ folder holds no task templates.",
        );
    };
    form_page(
        &state,
        &all,
        chosen,
        &BTreeMap::new(),
        &BTreeMap::new(),
        None,
    )
}

async fn create(
    Extract(state): Extract<State>,
    headers: HeaderMap,
    Form(submitted): Form<Vec<(String, String)>>,
) -> Response {
    let submitted: BTreeMap<String, String> = submitted.into_iter().collect();
    let all = match workflows(&state) {
        Ok(all) => all,
        Err(e) => return internal(&state, e),
    };
    let wanted = submitted.get("workflow").cloned().unwrap_or_default();
    let Some(chosen) = all.iter().find(|w| w.full_name() == wanted) else {
        return error_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "No such workflow",
            &format!("The app has no workflow {wanted}."),
        );
    };
    let fields = chosen
        .template
        .input_schema
        .as_ref()
        .map(form::fields)
        .unwrap_or_default();
    let context = if fields.is_empty() {
        let raw = submitted.get(form::RAW).map(String::as_str).unwrap_or("{}");
        crate::commands::run::parse_context(raw)
            .map_err(|e| BTreeMap::from([(String::new(), vec![format!("{e:#}")])]))
    } else {
        form::read(&fields, &submitted)
    };
    let mut context = match context {
        Ok(c) => c,
        Err(problems) => return form_page(&state, &all, chosen, &submitted, &problems, None),
    };
    if let Some(schema) = &chosen.template.input_schema {
        let lines = crate::context_check::violations(schema, &context);
        if !lines.is_empty() {
            let problems = form::by_field(&fields, &lines);
            return form_page(&state, &all, chosen, &submitted, &problems, None);
        }
    }
    // As `APP run` does: a run id makes each start a new task (the engine
    // refuses a context equal to an earlier task's).
    let run_id = Uuid::now_v7();
    if let serde_json::Value::Object(map) = &mut context {
        map.insert(
            crate::commands::run::RUN_ID_KEY.to_string(),
            run_id.to_string().into(),
        );
    }
    let request = tasker_shared::models::core::task_request::TaskRequest::new(
        chosen.template.name.clone(),
        chosen.template.namespace_name.clone(),
    )
    .with_version(chosen.template.version.clone())
    .with_context(context)
    .with_initiator("dashboard".to_string())
    .with_source_system(state.app.to_string())
    .with_reason(format!(
        "started from the dashboard: {}",
        chosen.full_name()
    ))
    .with_idempotency_key(run_id.to_string())
    .with_correlation_id(run_id);
    match state
        .engine
        .create(&request, token_of(&state, &headers).as_deref())
        .await
    {
        Ok(task) => {
            let n = remember(&state, "ok", format!("Run started: task {task}."));
            Redirect::to(&format!("/runs/{task}?notice={n}")).into_response()
        }
        Err(why) => form_page(
            &state,
            &all,
            chosen,
            &submitted,
            &BTreeMap::new(),
            Some(notice("bad", &why)),
        ),
    }
}

async fn health_page(Extract(state): Extract<State>) -> Response {
    let (orchestration, worker, queues, dlq, failures) = tokio::join!(
        health::probe(
            &state.engine.http,
            "orchestration",
            Some(state.engine.base_url.clone())
        ),
        health::probe(&state.engine.http, "worker", state.worker_url.clone()),
        queries::queues(&state.db),
        queries::dlq(&state.db),
        queries::recent_failures(&state.db),
    );
    let text = |e: anyhow::Error| crate::shown::error(&e);
    let h = health::Health {
        probes: vec![orchestration, worker],
        queues: queues.map_err(text),
        dlq: dlq.map_err(text),
        failures: failures.map_err(text),
    };
    Html(page(state.app, "Health", Nav::Health, &health::render(&h))).into_response()
}

async fn login_form(Extract(state): Extract<State>) -> Response {
    let body = "<h1>Sign in</h1><p>The engine's API requires authentication, so the dashboard does too. \
                Paste a token the engine accepts (the one you give its API as a Bearer token).</p>\
                <form method=\"post\" action=\"/login\"><input type=\"password\" name=\"token\" \
                autocomplete=\"off\" size=\"60\"> <button type=\"submit\">Sign in</button></form>";
    Html(page(state.app, "Sign in", Nav::Runs, body)).into_response()
}

async fn login(
    Extract(state): Extract<State>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let token = form
        .get("token")
        .map(|t| t.trim().to_string())
        .unwrap_or_default();
    let url = format!("{}/v1/tasks?per_page=1", state.engine.base_url);
    let accepted = !token.is_empty()
        && state
            .engine
            .with_token(state.engine.http.get(&url), Some(&token))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
    if !accepted {
        return error_page(
            &state,
            StatusCode::UNAUTHORIZED,
            "Not signed in",
            "The engine did not accept this token.",
        );
    }
    let session = Uuid::new_v4().simple().to_string();
    if let Ok(mut sessions) = state.sessions.lock() {
        sessions.insert(session.clone(), token);
    }
    let cookie = format!("{TOKEN_COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn only_posts_from_this_dashboard_pass() {
        let host = ("host", "127.0.0.1:8082");
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8082")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("referer", "http://127.0.0.1:8082/runs/x")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8082.evil.example")
        ])));
        assert!(!same_origin(&headers(&[host])), "no origin at all");
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8082"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn the_session_comes_from_the_cookie() {
        assert_eq!(
            session_of(&headers(&[("cookie", "a=1; tasker_dashboard_session=xyz")])).as_deref(),
            Some("xyz")
        );
        assert_eq!(
            session_of(&headers(&[("authorization", "Bearer abc")])),
            None
        );
    }
}
