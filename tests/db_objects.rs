//! install-database-objects and build's database step against a real
//! PostgreSQL: idempotent, one transaction, drift found and healed, engine
//! migrations recorded exactly as the engine's migrator (sqlx 0.8) expects.

mod db_support;

use db_support::*;
use sha2::{Digest, Sha384};
use std::time::Instant;

fn install(db: &TestDb, app: &std::path::Path) -> Output {
    run(tasker_app()
        .arg("install-database-objects")
        .arg(app)
        .arg("--database-url")
        .arg(&db.url))
}

#[test]
fn installing_twice_applies_everything_once_then_nothing() {
    let db = TestDb::new("twice");
    let app = app_dir();
    let started = Instant::now();
    let first = install(&db, app.path());
    let first_ms = started.elapsed().as_millis();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first
            .stderr
            .contains("engine 20250810140001 pgmq extensions and headers"),
        "{}",
        first.stderr
    );
    assert!(
        app.path().join("db/views").is_dir() && app.path().join("db/compat/uuidv7.sql").is_file()
    );
    let objects = db.scalar_i64("SELECT count(*) FROM tasker_app.database_objects");
    let engine = db.scalar_i64("SELECT count(*) FROM _sqlx_migrations");
    let app_migrations = db.scalar_i64("SELECT count(*) FROM tasker_app.applied_migrations");
    assert!(objects > 0 && engine >= 8 && app_migrations >= 1);
    assert!(db.scalar_bool("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgmq')"));
    assert!(db.scalar_bool("SELECT to_regprocedure('uuidv7()') IS NOT NULL"));
    let installed_at: String = db
        .client()
        .query_one(
            "SELECT max(installed_at)::text FROM tasker_app.database_objects",
            &[],
        )
        .unwrap()
        .get(0);

    let second = install(&db, app.path());
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stderr.contains("nothing to apply"),
        "{}",
        second.stderr
    );
    assert!(!second.stderr.contains("migrate "), "{}", second.stderr);
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM tasker_app.database_objects"),
        objects
    );
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM _sqlx_migrations"),
        engine
    );
    assert_eq!(
        db.scalar_i64("SELECT count(*) FROM tasker_app.applied_migrations"),
        app_migrations
    );
    let again: String = db
        .client()
        .query_one(
            "SELECT max(installed_at)::text FROM tasker_app.database_objects",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        installed_at, again,
        "a second run must not reinstall objects"
    );
    eprintln!("first install {first_ms} ms");
}

#[test]
fn engine_migrations_are_recorded_exactly_as_sqlx_records_them() {
    let db = TestDb::new("sqlx");
    let app = app_dir();
    assert_eq!(install(&db, app.path()).code, 0);
    // sqlx 0.8 (sqlx-core migrate/source.rs + migration.rs): version = integer
    // before the first `_`, description = the rest without `.sql`, `_` -> ` `,
    // checksum = SHA-384 of the file's text; success = true.
    let dir = tasker_app::db::engine::find_in_registry("0.1.8")
        .expect("tasker-shared 0.1.8 in the Cargo registry");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    let rows = db.client().query("SELECT version, description, checksum, success, execution_time FROM public._sqlx_migrations ORDER BY version", &[]).unwrap();
    assert_eq!(rows.len(), files.len());
    for (file, row) in files.iter().zip(&rows) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (version, rest) = name.split_once('_').unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        assert_eq!(row.get::<_, i64>(0), version.parse::<i64>().unwrap());
        assert_eq!(
            row.get::<_, String>(1),
            rest.trim_end_matches(".sql").replace('_', " ")
        );
        assert_eq!(
            row.get::<_, Vec<u8>>(2),
            Sha384::digest(text.as_bytes()).to_vec(),
            "{name}"
        );
        assert!(row.get::<_, bool>(3));
        assert!(row.get::<_, i64>(4) > 0, "execution_time is nanoseconds");
    }
    // The table has sqlx's columns and types.
    let cols: Vec<String> = db
        .client()
        .query("SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = '_sqlx_migrations' ORDER BY ordinal_position", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        cols,
        [
            "version bigint",
            "description text",
            "installed_on timestamp with time zone",
            "success boolean",
            "checksum bytea",
            "execution_time bigint"
        ]
    );
}

fn check_json(db: &TestDb) -> (i32, serde_json::Value, String) {
    let out = run(tasker_app().args([
        "install-database-objects",
        "--check",
        "--format",
        "json",
        "--database-url",
        &db.url,
    ]));
    let doc: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    (out.code, doc, out.stderr)
}

fn status_of<'a>(doc: &'a serde_json::Value, name: &str) -> &'a str {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {doc}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn drift_is_found_named_and_healed() {
    let db = TestDb::new("drift");
    let app = app_dir();
    assert_eq!(install(&db, app.path()).code, 0);
    let (code, doc, _) = check_json(&db);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["ok"], true);
    assert!(
        doc["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "ok" && o["kind"].is_string())
    );

    // Drop a view that nothing depends on, and change another by hand.
    let mut c = db.client();
    let views: Vec<String> = c
        .query(
            "SELECT name FROM tasker_app.database_objects d WHERE kind = 'view' AND NOT EXISTS (
                SELECT 1 FROM pg_depend dep JOIN pg_rewrite rw ON rw.oid = dep.objid
                 WHERE dep.refobjid = to_regclass(d.name) AND rw.ev_class <> dep.refobjid) ORDER BY name",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(views.len() >= 3, "need three leaf views, got {views:?}");
    let (dropped, changed) = (&views[0], &views[1]);
    c.batch_execute(&format!("DROP VIEW {dropped}")).unwrap();
    let def: String = c
        .query_one(
            &format!("SELECT pg_get_viewdef('{changed}'::regclass)"),
            &[],
        )
        .unwrap()
        .get(0);
    c.batch_execute(&format!(
        "CREATE OR REPLACE VIEW {changed} AS SELECT * FROM ({}) hand_edit WHERE false",
        def.trim_end_matches(';')
    ))
    .unwrap();

    // And one recreated by hand with other columns: CREATE OR REPLACE cannot
    // fix that, so install must drop and recreate it.
    let reshaped = &views[2];
    c.batch_execute(&format!(
        "DROP VIEW {reshaped}; CREATE VIEW {reshaped} AS SELECT 1 AS hand_made"
    ))
    .unwrap();

    let (code, doc, stderr) = check_json(&db);
    assert_eq!(code, 5, "{doc}");
    assert_eq!(doc["ok"], false);
    assert_eq!(status_of(&doc, dropped), "missing");
    assert_eq!(status_of(&doc, changed), "drifted");
    assert_eq!(status_of(&doc, reshaped), "drifted");
    assert!(
        stderr.contains(dropped.as_str()) && stderr.contains(changed.as_str()),
        "{stderr}"
    );

    let heal = install(&db, app.path());
    assert_eq!(heal.code, 0, "{}", heal.stderr);
    assert!(
        heal.stderr.contains(&format!("create  view {dropped}")),
        "{}",
        heal.stderr
    );
    assert!(
        heal.stderr.contains(&format!("update  view {changed}")),
        "{}",
        heal.stderr
    );
    assert!(
        heal.stderr.contains(&format!("update  view {reshaped}")),
        "{}",
        heal.stderr
    );
    let (code, doc, _) = check_json(&db);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn a_failure_in_the_middle_leaves_nothing_applied() {
    let db = TestDb::new("broken");
    let app = app_dir();
    // The embedded objects plus a valid migration and a view that fails last.
    for (rel, bytes) in tasker_app::db::sources::embedded_files().unwrap() {
        let target = app.path().join("db").join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    copy_dir(
        &repo().join("tests/fixtures/db_broken"),
        &app.path().join("db"),
    );
    let shell = tasker_app::shell::Shell::captured();
    let err = tasker_app::db::apply_app_dir(&db.url, app.path(), &shell).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("db/views/zz_broken_view.sql") && text.contains("nothing was applied"),
        "{text}"
    );
    assert!(text.contains("no_such_column"), "{text}");
    // Nothing of any step is left: no tracking, no engine, no app objects.
    assert!(db.scalar_bool(
        "SELECT to_regclass('public._sqlx_migrations') IS NULL AND to_regnamespace('tasker') IS NULL
            AND to_regnamespace('tasker_app') IS NULL AND to_regnamespace('app') IS NULL
            AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgmq')
            AND NOT EXISTS (SELECT 1 FROM pg_event_trigger)
            AND to_regprocedure('public.uuidv7()') IS NULL"
    ));
}

#[test]
fn a_user_edited_file_is_a_conflict_and_nothing_is_written() {
    let db = TestDb::new("conflict");
    let app = app_dir();
    let edited = app.path().join("db/views/stock_levels.sql");
    std::fs::create_dir_all(edited.parent().unwrap()).unwrap();
    std::fs::write(&edited, "-- mine\n").unwrap();
    let out = install(&db, app.path());
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("db/views/stock_levels.sql"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "-- mine\n");
    assert!(!app.path().join("db/compat").exists());
    assert!(db.scalar_bool("SELECT to_regnamespace('tasker_app') IS NULL"));
}

#[cfg(unix)]
#[test]
fn a_linked_db_folder_is_refused_and_nothing_is_written_or_applied() {
    let db = TestDb::new("linked");
    let app = app_dir();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::remove_dir(app.path().join("db")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), app.path().join("db")).unwrap();
    let out = install(&db, app.path());
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("db (->"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    assert!(db.scalar_bool("SELECT to_regnamespace('tasker_app') IS NULL"));
}

#[test]
fn dry_run_prints_the_steps_and_touches_nothing() {
    let app = app_dir();
    let before = std::fs::read_dir(app.path()).unwrap().count();
    let out = run(tasker_app()
        .args(["install-database-objects", "--dry-run", "--format", "json"])
        .arg(app.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let steps = doc["database"]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("engine migrations")),
        "{doc}"
    );
    assert!(
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["action"] == "create")
    );
    assert_eq!(std::fs::read_dir(app.path()).unwrap().count(), before);
    assert_eq!(std::fs::read_dir(app.path().join("db")).unwrap().count(), 0);
}

#[test]
fn a_missing_database_is_created() {
    let db = TestDb::unborn("unborn");
    let app = app_dir();
    let out = install(&db, app.path());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("create  database"), "{}", out.stderr);
    assert!(db.scalar_i64("SELECT count(*) FROM _sqlx_migrations") >= 8);
}

#[test]
fn a_view_on_a_later_view_is_applied_after_it() {
    let db = TestDb::new("order");
    let app = app_dir();
    for (rel, bytes) in tasker_app::db::sources::embedded_files().unwrap() {
        let target = app.path().join("db").join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    copy_dir(
        &repo().join("tests/fixtures/db_view_order"),
        &app.path().join("db"),
    );
    let shell = tasker_app::shell::Shell::captured();
    let report = tasker_app::db::apply_app_dir(&db.url, app.path(), &shell).unwrap();
    assert!(
        report
            .objects
            .contains(&"view app.a_orders_per_state".to_string()),
        "{report:?}"
    );
    assert_eq!(db.scalar_i64("SELECT tasks FROM app.a_orders_per_state"), 1);
}

#[test]
fn check_on_an_untouched_database_names_everything_missing() {
    let db = TestDb::new("untouched");
    let (code, doc, stderr) = check_json(&db);
    assert_eq!(code, 5, "{stderr}");
    let objects = doc["objects"].as_array().unwrap();
    assert!(
        !objects.is_empty() && objects.iter().all(|o| o["status"] == "missing"),
        "{doc}"
    );
    assert!(stderr.contains("app.task_states (missing"), "{stderr}");
}

#[test]
fn build_prepares_a_new_database_and_a_rerun_applies_nothing() {
    let db = TestDb::unborn("build");
    let out_dir = app_dir();
    let build = || {
        run(tasker_app()
            .args(["build", "shop", "--yes", "--database-url", &db.url, "-o"])
            .arg(out_dir.path()))
    };
    let started = Instant::now();
    let first = build();
    let took = started.elapsed();
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stderr.contains("ready: 8 engine migration(s)"),
        "{}",
        first.stderr
    );
    assert!(out_dir.path().join("shop/db/views").is_dir());
    assert!(db.scalar_i64("SELECT count(*) FROM _sqlx_migrations WHERE success") >= 8);
    let second = build();
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stderr.contains("nothing to apply"),
        "{}",
        second.stderr
    );
    eprintln!(
        "build of all templates to database ready: {} ms (debug binary)",
        took.as_millis()
    );
}

#[test]
fn a_database_level_search_path_does_not_look_like_drift() {
    // How PostgreSQL prints a view depends on the search_path in force; an app
    // or DBA that sets one on the database must not make every view "drifted".
    let db = TestDb::new("searchpath");
    let app = app_dir();
    assert_eq!(install(&db, app.path()).code, 0);
    let name = &db.name;
    admin()
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET search_path = app, tasker, public"
        ))
        .unwrap();
    let (code, doc, stderr) = check_json(&db);
    assert_eq!(code, 0, "{doc}\n{stderr}");
    assert_eq!(doc["ok"], true);
}

/// Two runs of one step at once (the engine delivers at least once: with
/// several workers, two may take the same step). Each domain function that a
/// step calls with its task's uuid is started in an open transaction, the
/// same call is made from a second connection, then the first commits: the
/// second must wait and get what the first did (no unique_violation, nothing
/// done twice).
#[test]
fn a_step_run_twice_at_once_does_its_work_once() {
    let db = TestDb::new("twice_at_once");
    let app = app_dir();
    let installed = install(&db, app.path());
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    let task = "01900000-0000-7000-8000-000000000001";
    let line = r#"[{"product_id": 1, "title": "Rye", "sku": "R-1", "supplier": "Mill",
                    "unit_cost": 2.5, "catalogue_stock": 10, "quantity": 3, "unit_price": 4,
                    "line_total": 12}]"#;
    let pricing = r#"{"subtotal": 12, "discount_total": 0, "shipping_total": 0,
                      "tax_total": 0, "grand_total": 12}"#;
    let calls = [
        format!(
            "SELECT count(*) FROM app.reserve_stock('{task}', 'main', '{line}') WHERE reserved"
        ),
        format!(
            "SELECT count(*) FROM app.register_customer('{task}', 'ada@example.com', 'ada', 'Ada', 'pro', 7)"
        ),
        format!(
            "SELECT count(*) FROM app.place_order('{task}', 1, 'ada@example.com', 7, 'main', '{pricing}', '{line}')"
        ),
        format!(
            "SELECT count(*) FROM app.create_purchase_order('{task}', 'main', 'Mill', \
             '[{{\"product_id\": 1, \"title\": \"Rye\", \"quantity\": 5, \"unit_cost\": 2.5}}]')"
        ),
    ];
    for call in &calls {
        let mut first = db.client();
        let mut tx = first.transaction().expect("begin");
        let rows: i64 = tx.query_one(call.as_str(), &[]).expect(call).get(0);
        assert_eq!(rows, 1, "{call}");
        let second = {
            let (url, call) = (db.url.clone(), call.clone());
            std::thread::spawn(move || {
                let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                client
                    .query_one(call.as_str(), &[])
                    .map(|row| row.get::<_, i64>(0))
                    .map_err(|e| {
                        e.as_db_error()
                            .map_or(e.to_string(), |d| d.message().to_string())
                    })
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        tx.commit().expect("commit");
        let rows = second.join().expect("second call");
        assert_eq!(rows, Ok(1), "the second, simultaneous {call}");
    }
    for (sql, expected) in [
        ("SELECT count(*) FROM app.stock_reservations", 1),
        (
            "SELECT coalesce(sum(quantity), 0)::bigint FROM app.stock_reservations",
            3,
        ),
        ("SELECT count(*) FROM app.customers", 1),
        ("SELECT count(*) FROM app.orders", 1),
        ("SELECT count(*) FROM app.order_lines", 1),
        ("SELECT count(*) FROM app.purchase_orders", 1),
        ("SELECT count(*) FROM app.purchase_order_lines", 1),
    ] {
        assert_eq!(db.scalar_i64(sql), expected, "{sql}");
    }
    // place_order committed the reservation: 10 on hand - 3, none left reserved.
    assert_eq!(
        db.scalar_i64("SELECT (on_hand * 100 + reserved)::bigint FROM app.product_stock"),
        700
    );
}
