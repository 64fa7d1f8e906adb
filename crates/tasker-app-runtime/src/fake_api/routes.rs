//! The fake API's endpoints. Errors look like DummyJSON's:
//! `{"message": "Product with id '999' not found"}` with 404, 400 for an id
//! that is not a number.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::FakeApi;
use super::catalog::{PageQuery, matches, page};

fn message(status: StatusCode, text: String) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

/// DummyJSON's 400 for an id that is not a number.
fn bad_id(kind: &str, raw: &str) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        format!("Invalid {kind} id '{raw}'"),
    )
}

fn one(kind: &str, raw: &str, found: impl FnOnce(i64) -> Option<Value>) -> Response {
    let Ok(id) = raw.parse::<i64>() else {
        return bad_id(kind, raw);
    };
    match found(id) {
        Some(item) => Json(item).into_response(),
        None => {
            let mut kind = kind.to_string();
            if let Some(first) = kind.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            message(
                StatusCode::NOT_FOUND,
                format!("{kind} with id '{id}' not found"),
            )
        }
    }
}

pub async fn test(method: Method) -> Json<Value> {
    Json(json!({ "status": "ok", "method": method.as_str() }))
}

pub async fn products(State(api): State<FakeApi>, Query(query): Query<PageQuery>) -> Json<Value> {
    let catalog = api.catalog();
    let all: Vec<&Value> = catalog.products.iter().collect();
    Json(page("products", &all, &query))
}

pub async fn search_products(
    State(api): State<FakeApi>,
    Query(query): Query<PageQuery>,
) -> Json<Value> {
    let catalog = api.catalog();
    let q = query.q.clone().unwrap_or_default();
    let found: Vec<&Value> = catalog
        .products
        .iter()
        .filter(|p| matches(p, &["title", "description", "brand", "category"], &q))
        .collect();
    Json(page("products", &found, &query))
}

pub async fn product(State(api): State<FakeApi>, Path(id): Path<String>) -> Response {
    one("product", &id, |id| api.catalog().product(id).cloned())
}

pub async fn carts(State(api): State<FakeApi>, Query(query): Query<PageQuery>) -> Json<Value> {
    let catalog = api.catalog();
    let all: Vec<&Value> = catalog.carts.iter().collect();
    Json(page("carts", &all, &query))
}

pub async fn cart(State(api): State<FakeApi>, Path(id): Path<String>) -> Response {
    one("cart", &id, |id| api.catalog().cart(id).cloned())
}

pub async fn carts_of_user(State(api): State<FakeApi>, Path(raw): Path<String>) -> Response {
    let Ok(id) = raw.parse::<i64>() else {
        return bad_id("user", &raw);
    };
    let catalog = api.catalog();
    let theirs: Vec<&Value> = catalog
        .carts
        .iter()
        .filter(|c| c["userId"].as_i64() == Some(id))
        .collect();
    Json(page(
        "carts",
        &theirs,
        &PageQuery {
            limit: Some(0),
            ..PageQuery::default()
        },
    ))
    .into_response()
}

pub async fn users(State(api): State<FakeApi>, Query(query): Query<PageQuery>) -> Json<Value> {
    let catalog = api.catalog();
    let all: Vec<&Value> = catalog.users.iter().collect();
    Json(page("users", &all, &query))
}

pub async fn search_users(
    State(api): State<FakeApi>,
    Query(query): Query<PageQuery>,
) -> Json<Value> {
    let catalog = api.catalog();
    let q = query.q.clone().unwrap_or_default();
    let found: Vec<&Value> = catalog
        .users
        .iter()
        .filter(|u| {
            matches(
                u,
                &["firstName", "lastName", "maidenName", "username", "email"],
                &q,
            )
        })
        .collect();
    Json(page("users", &found, &query))
}

pub async fn user(State(api): State<FakeApi>, Path(id): Path<String>) -> Response {
    one("user", &id, |id| api.catalog().user(id).cloned())
}

/// `POST /users/add`: the body becomes a user with the next free id (201).
pub async fn add_user(
    State(api): State<FakeApi>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let Ok(Json(Value::Object(mut user))) = body else {
        return message(
            StatusCode::BAD_REQUEST,
            "send the new user as a JSON object".to_string(),
        );
    };
    user.remove("id");
    let created = api.catalog_mut().add_user(user);
    (StatusCode::CREATED, Json(created)).into_response()
}

pub async fn not_found(method: Method, uri: Uri) -> Response {
    message(
        StatusCode::NOT_FOUND,
        format!("Route not found: {method} {}", uri.path()),
    )
}
