//! Issue 17, the database side: a `db/` folder and a database URL are input
//! (from someone else's repository, or typed), runs meet each other on one
//! database, and a user presses Ctrl-C. Real binaries, a real PostgreSQL.

use super::*;
use db_support::{TestDb, app_dir};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tasker_app_db::lock::MIGRATION_LOCK_KEY;

/// `tasker-app install-database-objects APP --database-url URL`, waited for.
fn install(app: &Path, url: &str) -> Output {
    run(tasker_app()
        .arg("install-database-objects")
        .arg(app)
        .args(["--database-url", url])
        .timeout(Duration::from_secs(120)))
}

/// The same, in the background, its stderr in a file (read while it runs).
struct Background {
    child: Child,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Background {
    fn install(app: &Path, url: &str) -> Background {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr");
        let child = Command::new(assert_cmd::cargo::cargo_bin("tasker-app"))
            .arg("install-database-objects")
            .arg(app)
            .args(["--database-url", url])
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        Background {
            child,
            stderr,
            _dir: dir,
        }
    }

    fn stderr(&self) -> String {
        let mut text = String::new();
        let _ = std::fs::File::open(&self.stderr).and_then(|mut f| f.read_to_string(&mut text));
        text
    }

    /// Exit code (None: killed by a signal), within `limit`.
    fn wait(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                started.elapsed() < limit,
                "still running after {limit:?}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls until `done` or panics after `limit`, naming `what`.
fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Class: a migration run that does not take the one database lock every
/// migration path shares (the app's `migrate` takes it too), so two runs
/// race on a fresh database (a unique violation creating the tracking
/// schema, a wrong "needs a superuser"). A run that finds the lock held
/// waits, says for whom, and goes on when it is free: it never fails on it.
#[test]
fn a_migration_waits_for_the_one_migration_lock_and_says_for_whom() {
    let db = TestDb::new("lockwait");
    let app = app_dir();
    let mut holder = db.client();
    let holder_pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .unwrap();

    let mut run = Background::install(app.path(), &db.url);
    until(Duration::from_secs(30), "the waiting message", || {
        run.stderr().contains("waiting for another migration")
    });
    let said = run.stderr();
    assert!(said.contains(&format!("pid {holder_pid}")), "{said}");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        run.child.try_wait().unwrap().is_none(),
        "it did not wait:\n{said}"
    );
    assert!(
        !db.scalar_bool("SELECT to_regnamespace('tasker_app') IS NOT NULL"),
        "the tracking schema was created before the lock was taken"
    );

    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .unwrap();
    assert_eq!(
        run.wait(Duration::from_secs(120)),
        Some(0),
        "{}",
        run.stderr()
    );
    assert!(db.scalar_i64("SELECT count(*) FROM tasker_app.database_objects") > 0);

    // Three at once on a fresh database: all succeed, one after the other.
    let fresh = TestDb::new("lockrace");
    let apps: Vec<_> = (0..3).map(|_| app_dir()).collect();
    let mut runs: Vec<_> = apps
        .iter()
        .map(|a| Background::install(a.path(), &fresh.url))
        .collect();
    for r in &mut runs {
        assert_eq!(r.wait(Duration::from_secs(180)), Some(0), "{}", r.stderr());
    }
}

/// Class: user SQL that controls the transaction (COMMIT, BEGIN, END,
/// ROLLBACK, SAVEPOINT, PREPARE TRANSACTION, ...) ran inside the one
/// transaction of a run: what came before it was committed, and a later
/// error was reported as "nothing was applied". It is refused before
/// anything runs, naming the file and the line; quotes, comments and
/// function bodies do not count.
#[test]
fn user_sql_that_ends_the_transaction_is_refused_before_anything_runs() {
    let db = TestDb::new("txctl");
    let cases = [
        (
            "migrations/0099_half.sql",
            "CREATE TABLE app.half (id int);\nCOMMIT;\nSELECT 1/0;",
            2,
            "COMMIT",
        ),
        (
            "migrations/0099_half.sql",
            "-- a comment; begin;\nCREATE TABLE app.half (id int);\n  end ;\nSELECT 1/0;",
            3,
            "END",
        ),
        (
            "migrations/0099_half.sql",
            "select 'x;'; /* ; */ Start Transaction;",
            1,
            "START TRANSACTION",
        ),
        (
            "views/zz_half.sql",
            "CREATE TABLE app.half (id int);\nSAVEPOINT s;\nCREATE VIEW app.zz_half AS SELECT 1;",
            2,
            "SAVEPOINT",
        ),
        (
            "functions/zz_half.sql",
            "CREATE TABLE app.half (id int);\n\nPREPARE TRANSACTION 'x';\nCREATE FUNCTION app.zz_half() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
            3,
            "PREPARE TRANSACTION",
        ),
        (
            "bootstrap/0001_half.sql",
            "CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE app.half (id int); rollback;",
            1,
            "ROLLBACK",
        ),
    ];
    for (file, sql, line, statement) in cases {
        let app = app_dir();
        let path = app.path().join("db").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, sql).unwrap();
        let out = install(app.path(), &db.url);
        assert_code(&out, 1);
        assert!(
            out.stderr
                .contains(&format!("db/{file}:{line}: {statement}")),
            "{file}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("rolled back"), "{}", out.stderr);
        assert!(
            !db.scalar_bool("SELECT to_regclass('app.half') IS NOT NULL"),
            "{file}: the part before {statement} was committed"
        );
        assert!(
            !db.scalar_bool("SELECT to_regnamespace('tasker_app') IS NOT NULL"),
            "{file}: something ran before the refusal"
        );
    }
    // A procedure body that commits is text inside dollar quotes: accepted.
    let app = app_dir();
    std::fs::create_dir_all(app.path().join("db/functions")).unwrap();
    std::fs::write(
        app.path().join("db/functions/zz_proc.sql"),
        "CREATE OR REPLACE PROCEDURE app.zz_proc() LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END; $body$;",
    )
    .unwrap();
    std::fs::create_dir_all(app.path().join("db/migrations")).unwrap();
    std::fs::write(
        app.path().join("db/migrations/0099_app.sql"),
        "CREATE SCHEMA IF NOT EXISTS app;",
    )
    .unwrap();
    let out = install(app.path(), &db.url);
    assert_code(&out, 0);
}

/// Class: a file read from a path the user chose (sslrootcert, a db/ file)
/// that is no regular file: /dev/zero was read until memory ran out, a FIFO
/// blocked past the 10 s connect promise. Refused before reading, naming the
/// path and what it is.
#[cfg(unix)]
#[test]
fn special_files_are_refused_before_they_are_read() {
    let db = TestDb::new("special");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ca.pem");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (path, what) in [
        (PathBuf::from("/dev/zero"), "a character device"),
        (fifo.clone(), "a named pipe"),
        (dir.path().to_path_buf(), "a folder"),
    ] {
        let url = format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            db.url,
            path.display()
        );
        let started = Instant::now();
        let out = run(tasker_app()
            .args(["validate-environment", "--database-url", &url])
            .timeout(Duration::from_secs(30)));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path:?} took {:?}",
            started.elapsed()
        );
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(
            said.contains(&format!("{} is {what}", path.display()))
                && said.contains("not a regular file"),
            "{path:?}: exit {}\n{}\n{}",
            out.code,
            out.stdout,
            out.stderr
        );
        assert_ne!(out.code, 0);
    }
    // A db/ file that is a FIFO (in an app from someone else's repository).
    let app = app_dir();
    std::fs::create_dir_all(app.path().join("db/migrations")).unwrap();
    let sql_fifo = app.path().join("db/migrations/0099_pipe.sql");
    assert!(
        Command::new("mkfifo")
            .arg(&sql_fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = install(app.path(), &db.url);
    assert_code(&out, 1);
    assert!(
        out.stderr
            .contains("0099_pipe.sql is a named pipe (FIFO), not a regular file"),
        "{}",
        out.stderr
    );
}

/// The Tasker engine's check of DATABASE_URL (tasker-shared 0.1.8,
/// config_loader.rs), transcribed: `^postgresql://([a-zA-Z0-9_-]+:[^@]+@)?
/// [a-zA-Z0-9._-]+(:[0-9]+)?/[a-zA-Z0-9_-]+(\?.*)?$`. An app given a URL
/// that fails it stops at start.
fn engine_accepts(url: &str) -> bool {
    let name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let Some(rest) = url.strip_prefix("postgresql://") else {
        return false;
    };
    let (rest, _) = rest.split_once('?').unwrap_or((rest, ""));
    let Some((authority, db)) = rest.split_once('/') else {
        return false;
    };
    let host_port = match authority.split_once('@') {
        Some((cred, hp)) => match cred.split_once(':') {
            Some((u, p)) if name(u) && !p.is_empty() && !hp.contains('@') => hp,
            _ => return false,
        },
        None => authority,
    };
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "0"));
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
        && name(db)
}

/// Class: two rules for one URL: `build` accepted a database URL (a
/// key=value string, a user without a password...) and wrote it to the
/// app's .env, which the app then refused. Now the .env holds the URL in
/// the one form the app and the engine read, and what the rule refuses is
/// refused by `build` before anything is written.
#[test]
fn build_writes_a_database_url_the_app_accepts() {
    let db = TestDb::new("envurl");
    let c = tasker_app_db::url::parse(&db.url).unwrap();
    let password = c.password.clone().unwrap_or_default();
    let password = if password.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        password
    } else {
        format!("'{}'", password.replace('\\', "\\\\").replace('\'', "\\'"))
    };
    let key_value = format!(
        "host={} port={} user={} password={password} dbname={}",
        c.host,
        c.port.unwrap_or(5432),
        c.user,
        c.dbname
    );
    let parent = tempfile::tempdir().unwrap();
    let out = run(tasker_app()
        .args([
            "build",
            "kvapp",
            "-t",
            "inventory",
            "--yes",
            "--database-url",
            &key_value,
            "-o",
        ])
        .arg(parent.path())
        .env("TASKER_APP_ENGINE_MIGRATIONS", engine_migrations())
        .timeout(Duration::from_secs(300)));
    assert_code(&out, 0);
    let env = std::fs::read_to_string(parent.path().join("kvapp/.env")).unwrap();
    let line = env
        .lines()
        .find(|l| l.starts_with("DATABASE_URL="))
        .unwrap();
    let url = line["DATABASE_URL=".len()..].trim_matches('\'');
    assert!(engine_accepts(url), "the app would refuse {url}");
    let again = tasker_app_db::url::parse(url).unwrap();
    assert_eq!(
        (again.host, again.user, again.password, again.dbname),
        (c.host, c.user, c.password, c.dbname)
    );

    // What the app cannot use is refused before anything is written.
    for bad in [
        format!("host=/var/run/postgresql user={} dbname=x", c_user(&db.url)),
        "postgresql://u:p@h/my.db".to_string(),
        "postgresql://h/db".to_string(),
    ] {
        let out = run(tasker_app()
            .args([
                "build",
                "badapp",
                "-t",
                "inventory",
                "--yes",
                "--database-url",
                &bad,
                "-o",
            ])
            .arg(parent.path()));
        assert_code(&out, 2);
        assert!(
            !parent.path().join("badapp").exists(),
            "{bad}: files were written"
        );
    }
}

fn c_user(url: &str) -> String {
    tasker_app_db::url::parse(url).unwrap().user
}

/// The engine's migrations folder, so `build` needs no `cargo fetch` of the app.
fn engine_migrations() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let src = home.join("registry/src");
    for index in std::fs::read_dir(&src).unwrap() {
        let dir = index.unwrap().path().join("tasker-shared-0.1.8/migrations");
        if dir.is_dir() {
            return dir;
        }
    }
    panic!("tasker-shared 0.1.8 is not in {}", src.display())
}

/// Class: Ctrl-C during a migration killed the client and left its
/// statement running on the server (holding its locks; the next run waited
/// on them in silence). An interrupt cancels the server's work, then the
/// command exits 130 and says what became of the run.
#[cfg(unix)]
#[test]
fn an_interrupt_cancels_the_statement_on_the_server() {
    let db = TestDb::new("interrupt");
    let app = app_dir();
    std::fs::create_dir_all(app.path().join("db/migrations")).unwrap();
    std::fs::write(
        app.path().join("db/migrations/0099_slow.sql"),
        "CREATE TABLE public.slow_marker (id int);\nSELECT pg_sleep(120);",
    )
    .unwrap();
    let mut run = Background::install(app.path(), &db.url);
    let mut watcher = db.client();
    let sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()";
    until(
        Duration::from_secs(120),
        "the slow migration to start",
        || watcher.query_one(sleeping, &[]).unwrap().get::<_, i64>(0) == 1,
    );
    let pid = i32::try_from(run.child.id()).unwrap();
    // SAFETY: a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    assert_eq!(
        run.wait(Duration::from_secs(15)),
        Some(130),
        "{}",
        run.stderr()
    );
    let said = run.stderr();
    assert!(said.contains("cancelled"), "{said}");
    assert!(said.contains("nothing was applied"), "{said}");
    until(
        Duration::from_secs(3),
        "the statement to end on the server",
        || watcher.query_one(sleeping, &[]).unwrap().get::<_, i64>(0) == 0,
    );
    assert!(!db.scalar_bool("SELECT to_regclass('public.slow_marker') IS NOT NULL"));
}

/// Class: `--check` compared a view's query but not its options: a view
/// made `security_barrier` (or stripped of it, or given a check option) by
/// hand passed as ok. Options now count; an install heals them. (Owners and
/// grants are the administrator's: docs/database.md says why.)
#[test]
fn check_finds_a_view_whose_options_changed_by_hand() {
    let db = TestDb::new("viewopts");
    let app = app_dir();
    assert_code(&install(app.path(), &db.url), 0);
    let view: String = db
        .client()
        .query_one(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'app' AND c.relkind = 'v' ORDER BY c.relname LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    let check = || {
        run(tasker_app()
            .arg("install-database-objects")
            .arg(app.path())
            .args(["--check", "--database-url", &db.url]))
    };
    assert_code(&check(), 0);
    for option in ["security_barrier = true", "security_invoker = true"] {
        db.client()
            .batch_execute(&format!("ALTER VIEW {view} SET ({option})"))
            .unwrap();
        let out = check();
        assert_code(&out, 5);
        assert!(
            out.stderr.contains("drifted: changed in the database"),
            "{option}: {}",
            out.stderr
        );
        assert_code(&install(app.path(), &db.url), 0);
        assert_code(&check(), 0);
    }
}
