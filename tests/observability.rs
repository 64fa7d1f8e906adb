//! Observability, verified end to end with real parts: an app built with
//! `--observability` runs `serve` against a fresh database; a real Prometheus
//! (Debian's `prometheus`, started here on a loopback port) scrapes its
//! `/metrics`, and an OTLP/gRPC receiver in this test (the protobuf service
//! definitions of the `opentelemetry-proto` crate, served with tonic) takes
//! its traces. After N tasks, PromQL returns the engine's completion counter
//! (at least N) and its latency histogram, and one task's trace is a root span
//! with a child for each step, parents intact.

mod app_support;
mod db_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app_support::{app_binary, cargo, completes, free_port, spawn, wait_for_http};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;

const APP: &str = "obs-shop";
const STEPS: [&str; 5] = [
    "validate_cart",
    "check_inventory",
    "calculate_pricing",
    "create_order",
    "send_confirmation",
];

/// Polls `check` until it returns `Some` (bounded: a hang guard, not a timing assertion).
fn eventually<T>(what: &str, bound: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {bound:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The OTLP trace receiver: keeps every span it is sent.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// One PromQL instant query; the first sample's value.
fn promql(port: u16, query: &str) -> Option<f64> {
    let response = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/query"))
        .query("query", query)
        .call()
        .ok()?;
    let doc: serde_json::Value = response.into_json().ok()?;
    doc["data"]["result"][0]["value"][1]
        .as_str()?
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
}

#[test]
fn prometheus_scrapes_the_engine_metrics_and_a_task_is_one_trace() {
    let tmp = tempfile::tempdir().unwrap();
    let db = db_support::TestDb::new("obs");
    app_support::generate_with(
        APP,
        &db.url,
        tmp.path(),
        &["-t", "ecommerce", "--observability"],
    );
    let app = tmp.path().join(APP);
    cargo(&app, &["build", "--locked"], &db.url);
    let bin = app_binary(APP);

    // The OTLP receiver, on a runtime of its own.
    let receiver = Receiver::default();
    let otlp_port = free_port();
    let server = receiver.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(server))
            .serve(format!("127.0.0.1:{otlp_port}").parse().unwrap())
            .await
    });

    // The app's REST ports: free ones, so nothing else on 8080/8081 is measured.
    let orchestration = format!("127.0.0.1:{}", free_port());
    let worker_port = free_port().to_string();

    // Prometheus, scraping orchestration (which serves the worker's metrics
    // too, in `serve`) every second.
    let prom_port = free_port();
    let prom_dir = tmp.path().join("prometheus");
    std::fs::create_dir_all(&prom_dir).unwrap();
    let config = prom_dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tasker\n    static_configs:\n      - targets: ['{orchestration}']\n"),
    )
    .unwrap();
    let _prometheus = spawn(
        "prometheus",
        Path::new("prometheus"),
        &[
            &format!("--config.file={}", config.display()),
            &format!("--storage.tsdb.path={}", prom_dir.join("data").display()),
            &format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
        tmp.path(),
        &[],
    );

    let api_port = free_port();
    let api_url = format!("http://127.0.0.1:{api_port}");
    let otlp_url = format!("http://127.0.0.1:{otlp_port}");
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("API_BASE_URL", api_url.as_str()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp_url.as_str()),
        ("TASKER_WEB_BIND_ADDRESS", orchestration.as_str()),
        ("TASKER_INSTANCE_PORT", worker_port.as_str()),
    ];
    let mut fake_api = spawn(
        "fake-api",
        &bin,
        &["fake-api", "--port", &api_port.to_string()],
        &app,
        &env,
    );
    let mut serve = spawn("serve", &bin, &["serve"], &app, &env);
    wait_for_http(
        &format!("http://{orchestration}/health"),
        Duration::from_secs(90),
        &mut [&mut serve, &mut fake_api],
    );

    const N: usize = 3;
    for i in 0..N {
        let context = format!(r#"{{"cart_id": 1, "customer_email": "obs{i}@example.com"}}"#);
        completes(&bin, &app, &env, "ecommerce/order_processing", &context);
    }

    // Metrics: the completion counter and the latency histogram, by PromQL.
    let completed = eventually(
        "PromQL sees the completions",
        Duration::from_secs(60),
        || promql(prom_port, "sum(tasker_tasks_completions_total)").filter(|v| *v >= N as f64),
    );
    assert!(completed >= N as f64);
    let finalized = promql(
        prom_port,
        r#"sum(tasker_task_finalization_duration_milliseconds_count{final_state="complete"})"#,
    )
    .expect("the finalization histogram has a count");
    assert!(finalized >= N as f64, "{finalized}");
    let p50 = promql(
        prom_port,
        r#"histogram_quantile(0.5, sum by (le) (tasker_task_finalization_duration_milliseconds_bucket{final_state="complete"}))"#,
    );
    assert!(p50.is_some_and(|v| v >= 0.0), "a latency quantile: {p50:?}");

    // Traces: one task's root span and a child span per step, parents intact.
    let (root, children) = eventually(
        "a whole task trace arrives",
        Duration::from_secs(60),
        || {
            let spans = receiver.spans.lock().unwrap();
            spans
                .iter()
                .filter(|s| {
                    s.name == "task ecommerce/order_processing" && s.parent_span_id.is_empty()
                })
                .find_map(|root| {
                    let children: Vec<&Span> = spans
                        .iter()
                        .filter(|s| s.trace_id == root.trace_id && s.parent_span_id == root.span_id)
                        .filter(|s| s.name.starts_with("step "))
                        .collect();
                    let names: BTreeSet<&str> = children
                        .iter()
                        .map(|s| s.name.trim_start_matches("step "))
                        .collect();
                    (names == STEPS.into_iter().collect()).then(|| (root.clone(), children.len()))
                })
        },
    );
    assert_eq!(root.trace_id.len(), 16);
    assert!(children >= STEPS.len(), "{children} step spans");
    drop(serve);
    drop(fake_api);
}
