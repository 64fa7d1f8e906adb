//! Shared by the database tests: a real PostgreSQL (from
//! TASKER_APP_TEST_DATABASE_URL, or started by scripts/provision-postgres.sh),
//! and a fresh, uniquely named database per test, dropped afterwards.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const URL_ENV: &str = "TASKER_APP_TEST_DATABASE_URL";

/// The CA that signed the test server's certificate (for localhost and
/// 127.0.0.1): TASKER_APP_TEST_SSLROOTCERT, or the one
/// scripts/provision-postgres.sh made.
pub const CA_ENV: &str = "TASKER_APP_TEST_SSLROOTCERT";

/// The server URL (database `postgres`), provisioning a server when the
/// environment names none. Tests never skip: no database is a failure.
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| from_env(URL_ENV).unwrap_or_else(|| provisioned("DATABASE_URL=")))
}

/// The path of the test server's CA certificate ([`CA_ENV`]).
pub fn server_ca() -> &'static str {
    static CA: OnceLock<String> = OnceLock::new();
    CA.get_or_init(|| from_env(CA_ENV).unwrap_or_else(|| provisioned("SSLROOTCERT=")))
}

fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// One line of scripts/provision-postgres.sh's output (run once).
fn provisioned(prefix: &str) -> String {
    static OUT: OnceLock<(String, String)> = OnceLock::new();
    let (stdout, stderr) = OUT.get_or_init(|| {
        let script = repo().join("scripts/provision-postgres.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run scripts/provision-postgres.sh");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    });
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix).map(str::to_string))
        .unwrap_or_else(|| {
            panic!("no {URL_ENV} / {CA_ENV} and scripts/provision-postgres.sh failed:\n{stderr}")
        })
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The same server and credentials, another database name.
pub fn with_db(url: &str, db: &str) -> String {
    let scheme_end = url.find("://").expect("a URL") + 3;
    let path = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    let query = url.find('?').map_or("", |q| &url[q..]);
    format!("{}/{db}{query}", &url[..path])
}

/// Replaces user and password in a URL.
pub fn with_login(url: &str, user: &str, password: &str) -> String {
    let scheme_end = url.find("://").expect("a URL") + 3;
    let at = url.find('@').expect("a URL with a user");
    format!("{}{user}:{password}{}", &url[..scheme_end], &url[at..])
}

pub fn admin() -> postgres::Client {
    postgres::Client::connect(server_url(), postgres::NoTls).expect("connect to the test server")
}

/// A fresh database, dropped (with its connections) when this goes away.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new(label: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "tapp_{label}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = admin();
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("drop old test database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let url = with_db(server_url(), &name);
        TestDb { name, url }
    }

    /// A name for a database that does not exist yet (dropped afterwards if created).
    pub fn unborn(label: &str) -> Self {
        let db = Self::new(label);
        admin()
            .batch_execute(&format!("DROP DATABASE {}", db.name))
            .expect("drop");
        db
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to the test database")
    }

    pub fn scalar_i64(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).expect(sql).get(0)
    }

    pub fn scalar_bool(&self, sql: &str) -> bool {
        self.client().query_one(sql, &[]).expect(sql).get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// `tasker-app` with no DATABASE_URL inherited.
pub fn tasker_app() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tasker-app").expect("the tasker-app binary");
    cmd.env_remove("DATABASE_URL").env("NO_COLOR", "1");
    cmd
}

/// A bare app folder: a Cargo.toml and an empty db/ (install-database-objects
/// fills db/; it refuses folders that are not apps).
pub fn app_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"app\"\n")
        .expect("Cargo.toml");
    std::fs::create_dir(dir.path().join("db")).expect("db/");
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut assert_cmd::Command) -> Output {
    let out = cmd.output().expect("run tasker-app");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
