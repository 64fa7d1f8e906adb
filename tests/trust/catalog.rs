//! Issue 17: a catalog is input. It may come from someone else's repository,
//! and an app's manifest may name one inside the app. Nothing in it is
//! followed out of it, reading it is bounded, and rendering it is bounded:
//! a hostile catalog ends in a clear error that names the file, never a
//! crash, a hang, or memory exhausted, and nothing is written.

use super::*;
use std::time::{Duration, Instant};

/// A catalog to spoil: the built-in one, exported.
fn exported(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    let out = run(tasker_app().args(["catalog", "export"]).arg(&dir));
    assert_code(&out, 0);
    dir
}

fn build_from(catalog: &Path, parent: &Path) -> Output {
    run(tasker_app()
        .args([
            "build",
            "shop",
            "-t",
            "ecommerce",
            "--skip-db",
            "--yes",
            "--catalog",
        ])
        .arg(catalog)
        .arg("-o")
        .arg(parent))
}

/// A template of the skeleton replaced by `text`.
fn spoil_template(catalog: &Path, text: &str) {
    std::fs::write(catalog.join("skeleton/files/README.md.tera"), text).unwrap();
}

#[cfg(unix)]
#[test]
fn catalog_links_are_never_followed_into_the_app() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("id_ed25519");
    std::fs::write(&secret, "PRIVATE KEY 7f3a").unwrap();
    // A file linked to a secret; a folder linked to a huge tree (/usr).
    type Spoil<'a> = Box<dyn Fn(&Path) + 'a>;
    let spoils: [(&str, Spoil); 3] = [
        (
            "file",
            Box::new(|c: &Path| symlink(&secret, c.join("skeleton/files/notes.txt")).unwrap()),
        ),
        (
            "folder",
            Box::new(|c: &Path| symlink("/usr", c.join("skeleton/files/big")).unwrap()),
        ),
        (
            "workflow",
            Box::new(|c: &Path| {
                symlink(&secret, c.join("workflows/ecommerce/files/key.pem")).unwrap()
            }),
        ),
    ];
    for (label, spoil) in spoils {
        let case = tmp.path().join(label);
        std::fs::create_dir_all(&case).unwrap();
        let catalog = exported(&case, "catalog");
        spoil(&catalog);
        let started = Instant::now();
        let out = build_from(&catalog, &case.join("out"));
        assert_code(&out, 1);
        assert!(
            out.stderr.contains("is a symlink"),
            "{label}: {}",
            out.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{label}: read without bound?"
        );
        assert!(!case.join("out").exists(), "{label}: nothing written");
        assert!(!out.stderr.contains("PRIVATE KEY"), "{label}");
    }
}

#[cfg(unix)]
#[test]
fn an_update_of_a_cloned_app_never_reads_its_catalog_through_links() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("shadow");
    std::fs::write(&secret, "root:SECRET-HASH:19000").unwrap();
    let app = app(tmp.path(), "shop");
    // The cloned repository carries a catalog of its own, named relatively
    // in its manifest, with a file linked to a secret of the machine.
    let catalog = exported(&app, "tpl");
    symlink(&secret, catalog.join("skeleton/files/shadow.txt")).unwrap();
    let manifest = app.join(".tasker-app/manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("templates = ", "catalog = \"tpl\"\ntemplates = ", 1),
    )
    .unwrap();
    let before = snapshot(&app);
    let out = run(tasker_app()
        .arg("update")
        .arg(&app)
        .args(["--skip-db", "--yes"]));
    assert_code(&out, 1);
    assert!(
        out.stderr.contains("shadow.txt is a symlink"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&app), before, "nothing written");
    assert!(!app.join("shadow.txt").exists());

    // A relative catalog that climbs out of the app is refused by the path rule.
    std::fs::write(
        &manifest,
        text.replacen(
            "templates = ",
            "catalog = \"../elsewhere\"\ntemplates = ",
            1,
        ),
    )
    .unwrap();
    let out = run(tasker_app()
        .arg("update")
        .arg(&app)
        .args(["--skip-db", "--yes"]));
    assert_code(&out, 1);
    assert!(out.stderr.contains("`..`"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn special_files_and_git_folders_in_a_catalog_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = exported(tmp.path(), "fifo");
    let fifo = catalog.join("skeleton/files/pipe.txt");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = build_from(&catalog, &tmp.path().join("out1"));
    assert_code(&out, 1);
    assert!(
        out.stderr.contains("pipe.txt is not a regular file"),
        "{}",
        out.stderr
    );

    // A file the app would get under .git: a hook git would run.
    let catalog = exported(tmp.path(), "git");
    std::fs::create_dir_all(catalog.join("skeleton/files/.git/hooks")).unwrap();
    std::fs::write(
        catalog.join("skeleton/files/.git/hooks/post-checkout.tera"),
        "#!/bin/sh\n",
    )
    .unwrap();
    let out = build_from(&catalog, &tmp.path().join("out2"));
    assert_code(&out, 1);
    assert!(out.stderr.contains(".git"), "{}", out.stderr);
    assert!(!tmp.path().join("out2").exists());
}

#[test]
fn a_catalog_beyond_the_limits_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = exported(tmp.path(), "many");
    let dir = catalog.join("skeleton/files/many");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..2_100 {
        std::fs::write(dir.join(format!("f{i}.txt")), "x").unwrap();
    }
    let out = build_from(&catalog, &tmp.path().join("out"));
    assert_code(&out, 1);
    assert!(
        out.stderr.contains("files a catalog may hold"),
        "{}",
        out.stderr
    );

    let catalog = exported(tmp.path(), "big");
    let big = std::fs::File::create(catalog.join("skeleton/files/big.bin")).unwrap();
    big.set_len(5 << 20).unwrap();
    let out = build_from(&catalog, &tmp.path().join("out"));
    assert_code(&out, 1);
    assert!(
        out.stderr.contains("big.bin is larger than"),
        "{}",
        out.stderr
    );
}

#[test]
fn hostile_templates_end_in_an_error_naming_the_file_never_a_crash_or_a_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "recursion",
            "{% macro down(n) %}{{ self::down(n=n+1) }}{% endmacro down %}{{ self::down(n=0) }}",
            "stack",
        ),
        (
            "alloc",
            "{% for i in range(end=2000000000) %}{% endfor %}",
            "README.md.tera",
        ),
        (
            "loops",
            "{% for a in range(end=100000) %}{% for b in range(end=100000) %}{% for c in range(end=100000) %}x{% endfor %}{% endfor %}{% endfor %}",
            "README.md.tera",
        ),
        ("undefined", "{{ no_such_value }}", "no_such_value"),
    ];
    for (label, text, expected) in cases {
        let catalog = exported(tmp.path(), label);
        spoil_template(&catalog, text);
        let started = Instant::now();
        for out in [
            build_from(&catalog, &tmp.path().join("out")),
            run(tasker_app()
                .args(["list-templates", "--catalog"])
                .arg(&catalog)),
        ] {
            assert_code(&out, 1);
            assert!(out.stderr.contains(expected), "{label}: {}", out.stderr);
            assert!(
                out.stderr.contains("README.md.tera"),
                "{label}: names the file: {}",
                out.stderr
            );
            assert!(!tmp.path().join("out").exists(), "{label}: nothing written");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{label}: bounded in time"
        );
    }
}

#[test]
fn a_workflow_whose_handler_is_missing_is_named_by_file() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = exported(tmp.path(), "c");
    let yaml = catalog.join("workflows/inventory/files/workflows/inventory/stock_management.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        text.replace(
            "callable: inventory.notify_warehouse",
            "callable: inventory.nope",
        ),
    )
    .unwrap();
    let out = run(tasker_app()
        .args(["list-templates", "--catalog"])
        .arg(&catalog));
    assert_code(&out, 1);
    assert!(
        out.stderr.contains("stock_management.yaml"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("inventory.nope"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn catalog_export_into_a_dangling_link_leaves_nothing_behind() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    symlink(tmp.path().join("nowhere"), tmp.path().join("dangling")).unwrap();
    let before = snapshot(tmp.path());
    let out = run(tasker_app()
        .args(["catalog", "export"])
        .arg(tmp.path().join("dangling")));
    assert_code(&out, 3);
    assert!(out.stderr.contains("dangling"), "{}", out.stderr);
    assert_eq!(
        snapshot(tmp.path()),
        before,
        "no staging folder left behind"
    );
}
