//! The runtime on its own, against a real PostgreSQL with pgmq (from
//! TASKER_APP_TEST_DATABASE_URL, else started by scripts/provision-postgres.sh):
//! `migrate` prepares a fresh database for a two-step fixture app
//! (tests/fixture: a workflow, a migration, a view), `migrate --check` finds no
//! drift, and the harness runs the workflow through the one Step adapter, the
//! in-process fake API and the database, with API faults retried or not as
//! `StepError` says.

mod support;

use serde::Deserialize;
use serde_json::json;
use sqlx::Connection;
use support::{fixture, fresh_app, server_url};
use tasker_app_runtime::commands::migrate;
use tasker_app_runtime::harness::{Harness, fault};
use tasker_app_runtime::prelude::*;
use tasker_app_runtime::{Registry, workflows};

struct Greet;

#[derive(Deserialize)]
struct User {
    #[serde(rename = "firstName")]
    first_name: String,
}

impl Step for Greet {
    const NAME: &'static str = "demo.greet";

    async fn run(&self, input: StepInput<'_>, ctx: &AppContext) -> StepResult {
        let id = input.required_int("user_id")?;
        let user: User = ctx.api.get_json(&format!("/users/{id}")).await?;
        let text = format!("hello, {}", user.first_name);
        sqlx::query("INSERT INTO app.greetings VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(input.task_uuid())
            .bind(&text)
            .execute(&ctx.db)
            .await
            .map_err(|e| StepError::database("recording the greeting", e))?;
        output(&json!({ "text": text }))
    }
}

struct Shout;

impl Step for Shout {
    const NAME: &'static str = "demo.shout";

    async fn run(&self, input: StepInput<'_>, _ctx: &AppContext) -> StepResult {
        let greeting: serde_json::Value = input.dependency("greet")?;
        let text = greeting["text"].as_str().unwrap_or_default();
        output(&json!({ "text": text.to_uppercase() }))
    }
}

fn registry() -> Registry {
    Registry::new().step(Greet).step(Shout)
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_then_a_workflow_through_the_step_adapter() {
    let (settings, _guard) = fresh_app("runtime").await;
    migrate::execute(&settings).await.expect("migrate");
    assert!(
        migrate::check(&settings).await.expect("migrate --check"),
        "no drift after migrate"
    );
    migrate::execute(&settings)
        .await
        .expect("migrate again: nothing to do");

    let url = settings.database_url.clone().unwrap();
    let h = Harness::connect(&url, &settings.template_path, registry()).await;
    let run = h.run("demo/greeting.yaml", json!({"user_id": 1})).await;
    assert!(run.completed(), "{:?}", run.failure());
    assert_eq!(run.results["greet"]["text"], "hello, Amara");
    assert_eq!(run.results["shout"]["text"], "HELLO, AMARA");
    let (text,): (String,) = sqlx::query_as("SELECT text FROM app.greetings WHERE task_uuid = $1")
        .bind(run.task_uuid)
        .fetch_one(&h.ctx.db)
        .await
        .expect("the step's row");
    assert_eq!(text, "hello, Amara");

    // A 503 is retryable: the step is tried again and the task completes.
    h.arm(fault("/users/2", 503, 1, None));
    let run = h.run("demo/greeting.yaml", json!({"user_id": 2})).await;
    assert!(run.completed(), "{:?}", run.failure());
    assert_eq!(run.attempts["greet"], 2);

    // A 404 is permanent: one attempt, the step fails with the API's code.
    h.arm(fault("/users/3", 404, 1, None));
    let run = h.run("demo/greeting.yaml", json!({"user_id": 3})).await;
    assert_eq!(run.failure(), Some(("greet", "API_NOT_FOUND")));
    assert_eq!(run.attempts["greet"], 1);

    // A context that breaks the step's own reading is bad input, not retried.
    let run = h.run("demo/greeting.yaml", json!({"user_id": "one"})).await;
    assert_eq!(run.failure(), Some(("greet", "INVALID_INPUT")));

    h.ctx.db.close().await;
    let name = settings.app_dir.file_name().unwrap().to_string_lossy();
    let mut admin = sqlx::PgConnection::connect(&server_url()).await.unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("the test database is dropped");
}

#[test]
fn a_registry_without_a_step_or_with_one_twice_is_refused_with_the_fix() {
    let found = workflows::load_all(&fixture().join("workflows")).unwrap();
    registry().check(&found).expect("the full registry passes");

    let err = Registry::new()
        .step(Greet)
        .check(&found)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("step `shout` uses handler `demo.shout`"),
        "{err}"
    );
    assert!(err.contains("src/handlers/mod.rs"), "{err}");

    let err = registry()
        .step(Shout)
        .check(&found)
        .unwrap_err()
        .to_string();
    assert!(err.contains("registered twice: demo.shout"), "{err}");
}

#[test]
fn the_context_is_checked_against_the_workflow_input_schema() {
    let found = workflows::load_all(&fixture().join("workflows")).unwrap();
    let schema = found[0].template.input_schema.as_ref().expect("a schema");
    assert!(
        tasker_app_runtime::context_check::violations(schema, &json!({"user_id": 1})).is_empty()
    );
    let problems = tasker_app_runtime::context_check::violations(schema, &json!({"user_id": 0}));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("context.user_id: "), "{problems:?}");
}
