//! The dashboard as a person uses it, in a real browser (issue 19): a
//! generated ecommerce app runs under `APP dev` (real engine, real
//! PostgreSQL, the app's fake API); headless Chromium, driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`, fantoccini), starts a run
//! from the form, watches its five steps turn complete on the run page
//! without a reload, sees the DAG; a fault armed in the fake API fails a
//! run's first step for good, the error shows on that step, Retry is
//! pressed (and confirmed), and the run completes. Also: the form's errors
//! beside their fields, the runs list and its search, the health page, the
//! same-origin refusal of a POST from elsewhere, and no page showing the
//! database password.
//!
//! Screenshots of each page go to `target/tmp/dashboard/` (the test's
//! output folder, CARGO_TARGET_TMPDIR). Never skipped: without Chromium,
//! its driver or PostgreSQL it fails and says what is missing
//! (scripts/test.sh installs them).

mod app_support;
mod db_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use app_support::{
    Running, cargo, config_with_free_ports, free_port, generate_with, spawn, wait_for_http,
};
use db_support::TestDb;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const APP: &str = "dash-shop";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Waits for `needle` in a process's log; returns the line holding it.
fn wait_for_line(p: &mut Running, needle: &str, within: Duration) -> String {
    let start = Instant::now();
    loop {
        if let Some(line) = p.log_text().lines().find(|l| l.contains(needle)) {
            return line.to_string();
        }
        p.assert_alive();
        assert!(
            start.elapsed() < within,
            "no `{needle}` within {within:?}:\n{}",
            p.log_text()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    let path = output_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn wait_for(c: &Client, css: &str, secs: u64) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(secs))
        .every(Duration::from_millis(100))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let _ = screenshot(c, &format!("failed-waiting-{}", css.len())).await;
            let source = c.source().await.unwrap_or_default();
            panic!("`{css}` did not appear within {secs}s: {e}\n{source}");
        }
    }
}

/// Clicks `css`. The run page's live part is replaced whenever the run
/// changes, so an element found a moment ago can be gone: find it again.
async fn click(c: &Client, css: &str) {
    for _ in 0..20 {
        let found = c.find(Locator::Css(css)).await;
        match found {
            Ok(e) => match e.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(w))
                    if w.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
                Err(other) => panic!("click {css}: {other}"),
            },
            Err(e) => panic!("{css}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} kept being replaced");
}

/// Fills the start-a-run form and submits it.
async fn start_run(c: &Client, dashboard: &str, cart_id: &str, email: &str) {
    c.goto(&format!(
        "{dashboard}/new?workflow=ecommerce/order_processing"
    ))
    .await
    .unwrap();
    for (css, value) in [
        ("#field-cart_id", cart_id),
        ("#field-customer_email", email),
    ] {
        let field = c.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    c.find(Locator::Css("#start-run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The task id of the run page the browser is on.
async fn current_run(c: &Client) -> String {
    let start = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        if let Some(id) = url.path().strip_prefix("/runs/") {
            return id.to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still on {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn a_person_uses_the_dashboard_in_a_real_browser() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (scripts/test.sh does)"
        );
    }
    let db = TestDb::new("dashboard");
    let work = tempfile::TempDir::new().unwrap();
    let app = work.path().join(APP);
    generate_with(APP, &db.url, work.path(), &["-t", "ecommerce"]);
    cargo(&app, &["build", "--locked"], &db.url);
    let bin = app_support::app_binary(APP);

    let api_port = free_port();
    let api_url = format!("http://127.0.0.1:{api_port}");
    let ports = config_with_free_ports(&app, "development", "dashboard");
    let config = ports.config.display().to_string();
    let orchestration_url = ports.orchestration_url();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("API_BASE_URL", api_url.as_str()),
        ("TASKER_CONFIG_PATH", config.as_str()),
        ("TASKER_ORCHESTRATION_URL", orchestration_url.as_str()),
    ];
    let port = api_port.to_string();
    let mut dev = spawn(
        "dev",
        &bin,
        &["dev", "--fake-api-port", &port, "--dashboard-port", "0"],
        &app,
        &env,
    );
    let ready = wait_for_line(&mut dev, "ready:", Duration::from_secs(240));
    let dashboard = ready
        .split("dashboard ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no dashboard address in the ready line: {ready}"))
        .to_string();
    assert!(
        dashboard.starts_with("http://127.0.0.1:"),
        "dev serves it on loopback: {ready}"
    );

    // A POST from another site is refused, and nothing happens.
    let refused = ureq::post(&format!("{dashboard}/runs/{}/cancel", uuid_zero()))
        .set("Origin", "http://evil.example")
        .call();
    assert!(
        matches!(refused, Err(ureq::Error::Status(403, _))),
        "{refused:?}"
    );

    let driver_port = free_port();
    let profile = tempfile::TempDir::new().unwrap();
    let mut driver = spawn(
        "chromedriver",
        Path::new(CHROMEDRIVER),
        &[&format!("--port={driver_port}")],
        &app,
        &[],
    );
    let driver_url = format!("http://127.0.0.1:{driver_port}");
    wait_for_http(
        &format!("{driver_url}/status"),
        Duration::from_secs(30),
        &mut [&mut driver, &mut dev],
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_string(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1400,1100",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver_url)
            .await
            .expect("a Chromium session through chromedriver");
        let outcome = drive(&c, &dashboard, &api_url, &db.url).await;
        let _ = c.close().await;
        outcome
    });
    dev.assert_alive();
    drop(dev);

    // Under `serve` the dashboard is off unless the config enables it.
    let serve_env = |config: &str| {
        let mut env = env.to_vec();
        env.retain(|(k, _)| *k != "TASKER_CONFIG_PATH");
        env.push(("TASKER_CONFIG_PATH", config));
        env.into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect::<Vec<_>>()
    };
    let default_env = serve_env(&config);
    let default_env: Vec<(&str, &str)> =
        default_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut serve = spawn("serve", &bin, &["serve"], &app, &default_env);
    wait_for_line(&mut serve, "serving:", Duration::from_secs(60));
    assert!(
        !serve.log_text().contains("dashboard on"),
        "{}",
        serve.log_text()
    );
    drop(serve);

    let port = free_port();
    let text = std::fs::read_to_string(&ports.config).unwrap();
    let default_table = "[dashboard]\nenabled = false\nbind_address = \"127.0.0.1:8082\"";
    assert_eq!(
        text.matches(default_table).count(),
        1,
        "the config has its [dashboard] table, off"
    );
    let enabled = app.join("config/tasker/dashboard-on.toml");
    std::fs::write(
        &enabled,
        text.replace(
            default_table,
            &format!("[dashboard]\nenabled = true\nbind_address = \"127.0.0.1:{port}\""),
        ),
    )
    .unwrap();
    let on_env = serve_env(&enabled.display().to_string());
    let on_env: Vec<(&str, &str)> = on_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut serve = spawn("serve-dashboard", &bin, &["serve"], &app, &on_env);
    wait_for_line(
        &mut serve,
        &format!("dashboard on http://127.0.0.1:{port}"),
        Duration::from_secs(60),
    );
    let page = ureq::get(&format!("http://127.0.0.1:{port}/health"))
        .call()
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.into_string().unwrap().contains("Dead-letter queue"));
    drop(serve);

    // When the engine's API requires a key, so does the dashboard: a
    // sign-in page, the key checked with the engine, a session cookie.
    let key = "dashboard-test-key-4242";
    let with_auth = std::fs::read_to_string(&enabled).unwrap() + &auth_table(key);
    let auth_config = app.join("config/tasker/dashboard-auth.toml");
    std::fs::write(&auth_config, with_auth).unwrap();
    let auth_env = serve_env(&auth_config.display().to_string());
    let auth_env: Vec<(&str, &str)> = auth_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut serve = spawn("serve-auth", &bin, &["serve"], &app, &auth_env);
    wait_for_line(
        &mut serve,
        &format!("dashboard on http://127.0.0.1:{port}"),
        Duration::from_secs(60),
    );
    let base = format!("http://127.0.0.1:{port}");
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let unsigned = agent.get(&format!("{base}/health")).call().unwrap();
    assert_eq!(unsigned.status(), 303, "a page asks to sign in first");
    assert_eq!(unsigned.header("location"), Some("/login"));
    // The status of a sign-in, and the response when it passed.
    let login = |token: &str| match agent
        .post(&format!("{base}/login"))
        .set("Origin", &base)
        .send_form(&[("token", token)])
    {
        Ok(response) => (response.status(), Some(response)),
        Err(ureq::Error::Status(status, _)) => (status, None),
        Err(e) => panic!("sign-in: {e}"),
    };
    assert_eq!(login("wrong-key").0, 401);
    let (status, signed) = login(key);
    assert_eq!(status, 303);
    let signed = signed.unwrap();
    let cookie = signed.header("set-cookie").unwrap().to_string();
    assert!(
        !cookie.contains(key),
        "the cookie is a session id, not the key: {cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let page = agent
        .get(&format!("{base}/health"))
        .set("Cookie", &session)
        .call()
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.into_string().unwrap();
    assert!(page.contains("<td class=\"up\">up"), "{page}");
}

/// The engine's `[orchestration.web.auth]` with one API key (every field
/// spelled out: the engine's config has no defaults for them), in the
/// `api_keys` list: engine 0.1.8 gives its single legacy `api_key` the
/// permission `*`, which grants nothing.
fn auth_table(key: &str) -> String {
    format!(
        "\n[orchestration.web.auth]\nenabled = true\njwt_issuer = \"tasker\"\njwt_audience = \"tasker-api\"\n\
         jwt_token_expiry_hours = 24\njwt_private_key = \"\"\njwt_public_key = \"\"\n\
         jwt_verification_method = \"public_key\"\njwt_public_key_path = \"\"\njwks_url = \"\"\n\
         jwks_refresh_interval_seconds = 3600\njwks_max_stale_seconds = 300\njwks_url_allow_http = false\n\
         jwt_allowed_algorithms = [\"RS256\"]\npermissions_claim = \"permissions\"\nstrict_validation = true\n\
         log_unknown_permissions = true\napi_key = \"\"\napi_key_header = \"X-API-Key\"\n\
         api_keys_enabled = true\n[[orchestration.web.auth.api_keys]]\nkey = \"{key}\"\n\
         permissions = [\"tasks:*\", \"steps:*\"]\ndescription = \"dashboard test\"\n"
    )
}

fn uuid_zero() -> &'static str {
    "00000000-0000-0000-0000-000000000000"
}

async fn drive(c: &Client, dashboard: &str, api_url: &str, database_url: &str) {
    let password = database_url
        .split('@')
        .next()
        .and_then(|s| s.rsplit(':').next())
        .filter(|p| p.len() >= 4 && !p.contains('/'))
        .map(str::to_string);
    let no_password = |html: &str| {
        if let Some(p) = &password {
            assert!(
                !html.contains(p.as_str()),
                "a page shows the database password"
            );
        }
    };

    // 1. The form checks what `run` checks, and says so beside each field.
    c.goto(&format!(
        "{dashboard}/new?workflow=ecommerce/order_processing"
    ))
    .await
    .unwrap();
    let email = c.find(Locator::Css("#field-customer_email")).await.unwrap();
    email.send_keys("not-an-email").await.unwrap();
    c.find(Locator::Css("#start-run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, ".field-error[data-field='customer_email']", 10).await;
    wait_for(c, ".field-error[data-field='cart_id']", 10).await;
    screenshot(c, "start-a-run-errors").await;

    // 2. A run started from the form; its steps turn complete on the page,
    // with no reload (a mark set on the page stays), the DAG drawn.
    start_run(c, dashboard, "3", "dashboard.buyer@example.com").await;
    let first = current_run(c).await;
    assert!(text_of(c, ".notice.ok").await.contains("Run started"));
    c.execute("window.__same_page = 42; return true;", vec![])
        .await
        .unwrap();
    wait_for(c, "#outcome[data-state='complete']", 120).await;
    let same = c
        .execute("return window.__same_page;", vec![])
        .await
        .unwrap();
    assert_eq!(same, json!(42), "the page was reloaded instead of updated");
    let updated = c
        .execute(
            "return document.getElementById('live').dataset.updated || null;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        !updated.is_null(),
        "the live part was never updated from the server's events"
    );
    let complete = c
        .find_all(Locator::Css(".step[data-state='complete']"))
        .await
        .unwrap();
    assert_eq!(complete.len(), 5, "five steps complete");
    let nodes = c.find_all(Locator::Css("svg.dag g.node.ok")).await.unwrap();
    assert_eq!(nodes.len(), 5, "five green boxes in the DAG");
    let edges = c.find_all(Locator::Css("svg.dag path.edge")).await.unwrap();
    assert_eq!(edges.len(), 5, "the diamond's five edges");
    no_password(&c.source().await.unwrap());
    screenshot(c, "run-complete").await;

    // 3. A failure for good: the cart API answers 404 once.
    let armed = ureq::post(&format!("{api_url}/__faults"))
        .send_json(json!({"path": "/carts/5", "status": 404, "count": 1}));
    assert!(armed.is_ok(), "{armed:?}");
    start_run(c, dashboard, "5", "dashboard.retry@example.com").await;
    let second = current_run(c).await;
    assert_ne!(first, second);
    wait_for(
        c,
        ".step[data-step='validate_cart'][data-state='error']",
        120,
    )
    .await;
    let error = wait_for(c, ".step[data-step='validate_cart'] .step-error", 30).await;
    let error = error.text().await.unwrap();
    assert!(!error.trim().is_empty(), "the failed step shows its error");
    wait_for(c, "svg.dag g.node.bad[data-step='validate_cart']", 10).await;
    screenshot(c, "run-failed").await;

    // 4. Retry, confirmed; the run completes.
    click(
        c,
        ".step[data-step='validate_cart'] button[data-action='retry']",
    )
    .await;
    let question = c.get_alert_text().await.expect("Retry asks to confirm");
    assert!(question.contains("validate_cart"), "{question}");
    c.accept_alert().await.unwrap();
    let notice = wait_for(c, ".notice", 20).await.text().await.unwrap();
    assert!(notice.contains("reset for retry"), "{notice}");
    wait_for(c, "#outcome[data-state='complete']", 120).await;
    screenshot(c, "run-retried-complete").await;

    // 5. The runs list: both runs, newest first; a search by email finds one.
    // (The list is live: its rows are read in one script, as they are now.)
    let rows_now = "return Array.from(document.querySelectorAll('table.runs tbody tr')).map(r => r.dataset.task);";
    c.goto(dashboard).await.unwrap();
    wait_for(c, &format!("tr[data-task='{first}']"), 10).await;
    let rows = c.execute(rows_now, vec![]).await.unwrap();
    assert_eq!(rows, json!([second, first]), "newest first");
    screenshot(c, "runs").await;
    let search = c.find(Locator::Css("#filter-q")).await.unwrap();
    search.send_keys("dashboard.buyer@").await.unwrap();
    c.find(Locator::Css("form.filters button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        if url.query().is_some_and(|q| q.contains("q=dashboard.buyer")) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the search did not load: {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_for(c, &format!("tr[data-task='{first}']"), 10).await;
    let rows = c.execute(rows_now, vec![]).await.unwrap();
    assert_eq!(
        rows,
        json!([first]),
        "the search finds the one run with that email"
    );

    // 6. Health: both services up, the queues listed.
    c.goto(&format!("{dashboard}/health")).await.unwrap();
    wait_for(c, "tr[data-service='orchestration'] td.up", 10).await;
    wait_for(c, "tr[data-service='worker'] td.up", 10).await;
    wait_for(c, "#queues", 10).await;
    no_password(&c.source().await.unwrap());
    screenshot(c, "health").await;
}
