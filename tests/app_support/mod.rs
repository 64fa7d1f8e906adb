//! Shared by the tests that build a generated app (e2e_app.rs, drills.rs,
//! db_protocol.rs, single_workflow_apps.rs, shared_build.rs, update.rs): one shared target
//! folder (TASKER_APP_E2E_TARGET_DIR, default target/apps) for every test that
//! compiles an app, so the engine (about 600 crates) is compiled once; and,
//! for the tests that run one, generating it, starting its processes under a
//! guard that kills them when the test ends, and driving it over HTTP and its
//! `run` command.
#![allow(dead_code)]

use postgres::Client;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed when the test ends, pass or fail.
pub struct Running {
    pub name: &'static str,
    pub child: Child,
    pub log: PathBuf,
}

impl Running {
    /// `kill -9`: no signal handler runs, nothing is drained.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }

    /// Panics (showing the log) if the process has exited.
    pub fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited with {status}", self.name);
        }
    }

    /// The process's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("---- last lines of {} ----", self.name);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("TASKER_APP_E2E_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/apps"))
}

pub fn show(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `tasker-app build APP --yes --database-url URL -o PARENT`, which must
/// succeed; returns its output.
pub fn generate(app_name: &str, database_url: &str, parent: &Path) -> Output {
    generate_with(app_name, database_url, parent, &[])
}

/// [`generate`] with more flags (`-t`, `--observability`, ...).
pub fn generate_with(app_name: &str, database_url: &str, parent: &Path, flags: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tasker-app"))
        .args([
            "build",
            app_name,
            "--yes",
            "--database-url",
            database_url,
            "-o",
        ])
        .arg(parent)
        .args(flags)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "build failed\n{}", show(&out));
    out
}

/// `tasker-app build APP -t TEMPLATES --skip-db --yes -o PARENT`, no
/// database anywhere, which must succeed.
pub fn generate_offline(app_name: &str, templates: &str, parent: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_tasker-app"))
        .args([
            "build",
            app_name,
            "-t",
            templates,
            "--skip-db",
            "--yes",
            "-o",
        ])
        .arg(parent)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build -t {templates} failed\n{}",
        show(&out)
    );
}

/// The app's binary in the shared target folder (after `cargo build`).
pub fn app_binary(app_name: &str) -> PathBuf {
    target_dir().join("debug").join(app_name)
}

/// `cargo` in the app with a clean environment: `cargo test` exports CARGO_*,
/// LD_LIBRARY_PATH and more, which some build scripts watch; inheriting them
/// would rebuild the engine's dependencies in the shared target folder on
/// every switch between a test and a shell (scripts/bench-app.sh does the same).
pub fn clean_cargo(app: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.env_clear();
    for keep in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "TMPDIR",
    ] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.current_dir(app);
    cmd
}

/// `cargo <args>` in the app, output shown live (CI logs), must succeed.
/// Everything goes to the shared test target folder: the app's
/// `.cargo/config.toml` would put the compiled dependencies in the build
/// folder every app of the user shares (in the Cargo home); tests never
/// write there, and CARGO_TARGET_DIR alone does not move a configured build-dir.
pub fn cargo(app: &Path, args: &[&str], database_url: &str) {
    let status = clean_cargo(app)
        .args(args)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_BUILD_BUILD_DIR", target_dir())
        .env("DATABASE_URL", database_url)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "`cargo {}` failed in the generated app",
        args.join(" ")
    );
}

/// Starts `bin args` in `app` with `env` added, output to `app/<name>.log`.
pub fn spawn(
    name: &'static str,
    bin: &Path,
    args: &[&str],
    app: &Path,
    env: &[(&str, &str)],
) -> Running {
    let log = app.join(format!("{name}.log"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let child = Command::new(bin)
        .args(args)
        .current_dir(app)
        .envs(env.iter().copied())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {name}: {e}"));
    Running { name, child, log }
}

pub fn wait_for_http(url: &str, within: Duration, procs: &mut [&mut Running]) {
    let start = Instant::now();
    loop {
        if let Ok(resp) = ureq::get(url).timeout(Duration::from_secs(2)).call()
            && resp.status() == 200
        {
            return;
        }
        for p in procs.iter_mut() {
            if let Ok(Some(status)) = p.child.try_wait() {
                panic!("{} exited with {status} before {url} answered", p.name);
            }
        }
        assert!(
            start.elapsed() < within,
            "{url} did not answer within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `APP run ns/task --context JSON --wait`; returns the output.
pub fn run_task(bin: &Path, app: &Path, env: &[(&str, &str)], task: &str, context: &str) -> Output {
    Command::new(bin)
        .args([
            "run",
            task,
            "--context",
            context,
            "--wait",
            "--timeout",
            "120",
        ])
        .current_dir(app)
        .envs(env.iter().copied())
        .output()
        .expect("run the app's `run` command")
}

/// Runs a task that must complete; returns its UUID.
pub fn completes(
    bin: &Path,
    app: &Path,
    env: &[(&str, &str)],
    task: &str,
    context: &str,
) -> String {
    let out = run_task(bin, app, env, task, context);
    assert!(
        out.status.success(),
        "{task} did not complete\n{}",
        show(&out)
    );
    task_uuid(&out)
}

/// The task UUID `run` prints on stdout (compared in SQL as `task_uuid::text`).
pub fn task_uuid(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim().len() == 36)
        .unwrap_or_else(|| panic!("no task uuid printed\n{}", show(out)));
    line.trim().to_string()
}

pub fn count(db: &mut Client, sql: &str, task_uuid: &str) -> i64 {
    db.query_one(sql, &[&task_uuid])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Free ports for one app's processes, and the engine config that uses them.
pub struct Ports {
    /// The orchestration REST API.
    pub orchestration: u16,
    /// The worker's web API.
    pub worker: u16,
    /// `config/tasker/<name>.toml`: a copy of the environment's config with
    /// these ports (pass it as TASKER_CONFIG_PATH).
    pub config: PathBuf,
}

impl Ports {
    /// `http://127.0.0.1:<orchestration>`.
    pub fn orchestration_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.orchestration)
    }
}

/// Copies the app's `config/tasker/<environment>.toml` to
/// `config/tasker/<name>.toml` with free ports in place of 8080 (the
/// orchestration API, and the workers' client of it) and 8081 (the worker's
/// API): a test never depends on those ports being free on the machine.
pub fn config_with_free_ports(app: &Path, environment: &str, name: &str) -> Ports {
    let orchestration = free_port();
    let mut worker = free_port();
    while worker == orchestration {
        worker = free_port();
    }
    let config = app.join(format!("config/tasker/{name}.toml"));
    let mut text =
        std::fs::read_to_string(app.join(format!("config/tasker/{environment}.toml"))).unwrap();
    for (from, to) in [
        (
            "\"${TASKER_WEB_BIND_ADDRESS:-127.0.0.1:8080}\"".to_string(),
            format!("\"127.0.0.1:{orchestration}\""),
        ),
        (
            "bind_address = \"127.0.0.1:${TASKER_INSTANCE_PORT:-8081}\"".to_string(),
            format!("bind_address = \"127.0.0.1:{worker}\""),
        ),
        (
            "base_url = \"http://127.0.0.1:8080\"".to_string(),
            format!("base_url = \"http://127.0.0.1:{orchestration}\""),
        ),
    ] {
        assert_eq!(
            text.matches(&from).count(),
            1,
            "{environment}.toml has one `{from}`"
        );
        text = text.replace(&from, &to);
    }
    std::fs::write(&config, text).unwrap();
    Ports {
        orchestration,
        worker,
        config,
    }
}
