//! Shared by the runtime's integration tests: a fresh database on the test
//! server (TASKER_APP_TEST_DATABASE_URL, else scripts/provision-postgres.sh)
//! and an app folder holding tests/fixture, prepared by the runtime's own
//! `migrate` (the engine's tables, the app's migration and view).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use tasker_app_runtime::Package;
use tasker_app_runtime::commands::migrate;
use tasker_app_runtime::settings::{Settings, normalize_database_url};

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture")
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test server's URL (database `postgres`).
pub fn server_url() -> String {
    if let Some(url) = std::env::var("TASKER_APP_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        return url;
    }
    let out = std::process::Command::new("bash")
        .arg(repo().join("scripts/provision-postgres.sh"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run scripts/provision-postgres.sh");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("DATABASE_URL=").map(str::to_string))
        .unwrap_or_else(|| {
            panic!(
                "no TASKER_APP_TEST_DATABASE_URL and scripts/provision-postgres.sh failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// `server` (the test server's URL) with database `name` instead.
pub fn database_url(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    format!(
        "{}/{name}{}",
        &base[..base.rfind('/').unwrap()],
        if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        }
    )
}

/// A migrated fresh database and the fixture app's settings for it; the
/// database is dropped with the returned guard.
pub async fn migrated_app(prefix: &str) -> (Settings, Guard) {
    let (settings, guard) = fresh_app(prefix).await;
    migrate::execute(&settings).await.expect("migrate");
    (settings, guard)
}

/// A fresh database, not yet migrated, and an app folder holding the fixture
/// plus the uuidv7() compat file PostgreSQL 15 needs; both go with the guard.
pub async fn fresh_app(prefix: &str) -> (Settings, Guard) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let server = server_url();
    let name = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("the test server");
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(&statement)
            .execute(&mut admin)
            .await
            .expect("a fresh database");
    }
    let url = database_url(&server, &name);
    let dir = std::env::temp_dir().join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    copy_tree(&fixture(), &dir);
    let compat = dir.join("db/compat");
    std::fs::create_dir_all(&compat).unwrap();
    std::fs::copy(
        repo().join("database_objects/compat/uuidv7.sql"),
        compat.join("uuidv7.sql"),
    )
    .unwrap();
    let settings = Settings {
        package: Package {
            name: "runtime-test",
            version: "0.0.0",
            description: "the runtime's own test",
            dir: env!("CARGO_MANIFEST_DIR"),
        },
        app_dir: dir.clone(),
        database_url: Some(normalize_database_url(&url).unwrap()),
        api_base_url: "http://127.0.0.1:9".to_string(),
        environment: "test".to_string(),
        config_path: dir.join("config/tasker/test.toml"),
        template_path: dir.join("workflows"),
    };
    (settings, Guard { name, dir })
}

/// Drops the test database and removes the app folder.
pub struct Guard {
    name: String,
    dir: PathBuf,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let name = self.name.clone();
        // A plain thread: the test's runtime may be gone already.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&server_url()).await {
                    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
