//! Issue 17 (finding 14): with orchestration killed mid-creation, `run` said
//! "could not create the task" for tasks that existed, and a user who tried
//! again placed the order twice. Now `run` knows: when the answer to its
//! create is lost it asks the engine's tables for the task its idempotency
//! key made, and says "exists", "was not created" or "may exist: retry with
//! the key", and a retry with the key never creates a second task.
//!
//! The orchestration here is a stand-in for the engine's HTTP server only: it
//! creates each task with the engine's own code (tasker-shared's
//! `TaskRequest::resolve` + `create_task`, identity hash and unique index
//! included) in a real, migrated database, and then dies before answering,
//! or answers 409 for a duplicate as the engine's API does.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use tasker_app_runtime::commands::run::create::{self, Created, Failure};
use tasker_app_runtime::commands::run::lookup::Sources;
use tasker_shared::models::core::identity_strategy::IdentityStrategy;
use tasker_shared::models::core::named_task::{NamedTask, NewNamedTask};
use tasker_shared::models::core::task_namespace::{NewTaskNamespace, TaskNamespace};
use tasker_shared::models::core::task_request::TaskRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the stand-in orchestration treats the first create it receives.
#[derive(Clone, Copy, PartialEq)]
enum First {
    /// Creates the task, then dies without an answer (killed mid-creation).
    CreateThenDie,
    /// Dies before creating anything.
    Die,
    /// Creates the task and drops the connection, then comes back: later
    /// creates are answered as the engine's API answers them.
    CreateThenRestart,
}

/// Starts the stand-in on a free port; returns its URL and its count of
/// creates received.
async fn orchestration(pool: PgPool, first: First) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (method, body) = read_request(&mut socket).await;
            if method != "POST" {
                respond(&mut socket, 503, "{}").await;
                continue;
            }
            let n = count.fetch_add(1, Ordering::SeqCst);
            let request: TaskRequest = serde_json::from_slice(&body).expect("a TaskRequest");
            if n == 0 {
                if first != First::Die {
                    engine_create(&pool, &request).await.expect("created");
                }
                drop(socket);
                if first != First::CreateThenRestart {
                    return; // killed: the port is closed from now on
                }
                continue;
            }
            match engine_create(&pool, &request).await {
                Ok(()) => panic!("the stand-in only answers duplicates"),
                Err(e) if e.contains("idx_tasks_identity_hash") => {
                    respond(
                        &mut socket,
                        409,
                        r#"{"error":{"code":"CONFLICT","message":"A task with this identity already exists"}}"#,
                    )
                    .await;
                }
                Err(e) => panic!("{e}"),
            }
        }
    });
    (url, seen)
}

async fn engine_create(pool: &PgPool, request: &TaskRequest) -> Result<(), String> {
    let resolved = request.resolve(pool).await.map_err(|e| e.to_string())?;
    resolved
        .create_task(pool)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn read_request(socket: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client hung up");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let n = socket.read(&mut chunk).await.unwrap();
                assert!(n > 0, "the client hung up");
                buffer.extend_from_slice(&chunk[..n]);
            }
            let method = head.split(' ').next().unwrap_or("").to_string();
            return (method, buffer[end + 4..end + 4 + length].to_vec());
        }
    }
}

async fn respond(socket: &mut TcpStream, status: u16, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = socket.write_all(head.as_bytes()).await;
    let _ = socket.write_all(body.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// The fixture's workflow as a worker registers it: its namespace and named task.
async fn register(pool: &PgPool) {
    let namespace = TaskNamespace::create(
        pool,
        NewTaskNamespace {
            name: "demo".to_string(),
            description: None,
        },
    )
    .await
    .unwrap();
    NamedTask::create(
        pool,
        NewNamedTask {
            name: "greeting".to_string(),
            version: Some("1.0.0".to_string()),
            description: None,
            task_namespace_uuid: namespace.task_namespace_uuid,
            configuration: None,
            identity_strategy: IdentityStrategy::Strict,
        },
    )
    .await
    .unwrap();
}

/// The request `run` sends: the run id in the context and as the key (and
/// as the correlation id when it is a UUID).
fn request(run_id: &str, context: Value) -> TaskRequest {
    let mut context = context;
    context["_run_id"] = json!(run_id);
    let request = TaskRequest::new("greeting".to_string(), "demo".to_string());
    let request = match uuid::Uuid::parse_str(run_id) {
        Ok(id) => request.with_correlation_id(id),
        Err(_) => request,
    };
    request
        .with_version("1.0.0".to_string())
        .with_context(context)
        .with_initiator("test".to_string())
        .with_source_system("runtime-test".to_string())
        .with_reason("issue 17".to_string())
        .with_idempotency_key(run_id.to_string())
}

async fn tasks(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM tasker.tasks")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `run`'s create; `key_from_user` as with `--idempotency-key`.
async fn create(
    url: &str,
    database_url: Option<&str>,
    request: &TaskRequest,
    key_from_user: bool,
) -> Result<Created, Failure> {
    let http = reqwest::Client::new();
    let sources = Sources {
        http: &http,
        base_url: url,
        database_url,
    };
    let options = create::Options {
        unreachable_patience: Duration::from_secs(2),
        key_from_user,
    };
    create::create(&sources, request, "demo/greeting", &options).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_is_settled_by_the_engine_and_a_retry_never_creates_a_second_task() {
    let (settings, _guard) = support::migrated_app("lost_answer").await;
    let database_url = settings.database_url.clone().unwrap();
    let pool = PgPool::connect(&database_url).await.unwrap();
    register(&pool).await;

    // Killed after creating: the task exists, and `run` says so.
    let (url, _) = orchestration(pool.clone(), First::CreateThenDie).await;
    let run_id = uuid::Uuid::now_v7().to_string();
    let sent = request(&run_id, json!({"user_id": 1}));
    let found = match create(&url, Some(&database_url), &sent, false).await {
        Ok(Created::AnswerLost(existing)) => existing,
        other => panic!("expected: the task exists; got {other:?}"),
    };
    assert_eq!(tasks(&pool).await, 1);
    let in_table: (uuid::Uuid,) =
        sqlx::query_as("SELECT task_uuid FROM tasker.tasks WHERE context->>'_run_id' = $1")
            .bind(&run_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(found.task_uuid, in_table.0);

    // Killed before creating: `run` says it was not created.
    let (url, _) = orchestration(pool.clone(), First::Die).await;
    match create(
        &url,
        Some(&database_url),
        &request("run-2", json!({"user_id": 1})),
        false,
    )
    .await
    {
        Err(Failure::NotCreated(_)) => {}
        other => panic!("expected: not created; got {other:?}"),
    }
    assert_eq!(tasks(&pool).await, 1);

    // No database to ask and the API gone: `run` says it may exist.
    let (url, _) = orchestration(pool.clone(), First::CreateThenDie).await;
    match create(&url, None, &request("key-3", json!({"user_id": 1})), false).await {
        Err(Failure::Unknown { .. }) => {}
        other => panic!("expected: unknown; got {other:?}"),
    }
    assert_eq!(tasks(&pool).await, 2);

    // The retry the message advises (same key): the engine refuses a second
    // task and `run` shows the first one.
    let (url, seen) = orchestration(pool.clone(), First::CreateThenRestart).await;
    match create(
        &url,
        Some(&database_url),
        &request("run-4", json!({"user_id": 1})),
        false,
    )
    .await
    {
        Ok(Created::AnswerLost(_)) => {}
        other => panic!("expected: the task exists; got {other:?}"),
    }
    assert!(
        seen.load(Ordering::SeqCst) >= 2,
        "the create was tried again"
    );
    // The retry the message advises after "may exist": `--idempotency-key
    // key-3`, from a process with telemetry on (another trace context in the
    // task's context, so another identity for the engine).
    let retry = request(
        "key-3",
        json!({"user_id": 1, "_trace": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}),
    );
    match create(&url, Some(&database_url), &retry, true).await {
        Ok(Created::Repeat(existing)) => {
            let (run_id,): (String,) =
                sqlx::query_as("SELECT context->>'_run_id' FROM tasker.tasks WHERE task_uuid = $1")
                    .bind(existing.task_uuid)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(run_id, "key-3");
        }
        other => panic!("expected: the earlier run's task; got {other:?}"),
    }
    // The same key for another context is refused, nothing created.
    match create(
        &url,
        Some(&database_url),
        &request("key-3", json!({"user_id": 2})),
        true,
    )
    .await
    {
        Err(Failure::KeyTaken(_)) => {}
        other => panic!("expected: the key is taken; got {other:?}"),
    }
    assert_eq!(
        tasks(&pool).await,
        3,
        "one task per key, whatever the retries"
    );
    pool.close().await;
}
