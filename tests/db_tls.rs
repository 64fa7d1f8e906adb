//! TLS against a real PostgreSQL that serves it (scripts/provision-postgres.sh
//! gives the server a certificate for localhost and 127.0.0.1 signed by a CA
//! whose path is TASKER_APP_TEST_SSLROOTCERT): every sslmode, the failures
//! users meet (untrusted CA, wrong host name, no TLS at the server), and
//! build + install-database-objects end to end over sslmode=verify-full.

mod db_support;

use db_support::*;
use std::io::{Read, Write};
use std::path::Path;

/// `url` with another host (the port stays) and these query parameters.
fn tls_url(url: &str, host: &str, params: &str) -> String {
    let scheme_end = url.find("://").expect("a URL") + 3;
    let at = url[scheme_end..].find('@').expect("a URL with a user") + scheme_end + 1;
    let host_end = url[at..].find([':', '/']).expect("a host") + at;
    let base = url.split('?').next().expect("split");
    format!("{}{host}{}?{params}", &url[..at], &base[host_end..])
}

/// The server URL as user postgres with a password that must never be printed.
/// (TLS fails before the password is ever sent.)
fn secret_url() -> String {
    with_login(server_url(), "postgres", "hunter2-tls-secret")
}

/// validate-environment's `database` check: (exit code, status, found + hint).
fn database_check(url: &str) -> (i32, String, String) {
    let out = run(tasker_app()
        .args(["validate-environment", "--format", "json", "--database-url"])
        .arg(url));
    let doc: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    let check = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "database")
        .expect("a database check")
        .clone();
    let text = format!("{} | hint: {}", check["found"], check["hint"]);
    assert!(
        !text.contains("hunter2") && !out.stderr.contains("hunter2"),
        "{text}"
    );
    (
        out.code,
        check["status"].as_str().expect("status").to_string(),
        text,
    )
}

fn wrong_ca(dir: &Path) -> String {
    let cert = dir.join("wrong-ca.pem");
    let status = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=not the server's CA", "-keyout"])
        .arg(dir.join("wrong-ca.key"))
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl (scripts/provision-postgres.sh needs it too)");
    assert!(status.success());
    cert.display().to_string()
}

#[test]
fn require_encrypts_without_a_ca_and_says_so() {
    let (_, status, found) = database_check(&tls_url(server_url(), "127.0.0.1", "sslmode=require"));
    assert_eq!(status, "pass", "{found}");
    assert!(
        found.contains("encrypted: TLS")
            && found.contains("certificate not verified (sslmode=require)"),
        "{found}"
    );
}

#[test]
fn disable_is_reported_as_not_encrypted() {
    let (_, status, found) = database_check(&tls_url(server_url(), "127.0.0.1", "sslmode=disable"));
    assert_eq!(status, "pass", "{found}");
    assert!(found.contains("not encrypted (sslmode=disable)"), "{found}");
}

#[test]
fn verify_full_with_the_right_ca_and_host_passes() {
    let params = format!("sslmode=verify-full&sslrootcert={}", server_ca());
    let (_, status, found) = database_check(&tls_url(server_url(), "localhost", &params));
    assert_eq!(status, "pass", "{found}");
    assert!(
        found.contains("certificate chain and host name verified"),
        "{found}"
    );
}

#[test]
fn key_value_form_is_understood_too() {
    let url = server_url();
    let port = url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .expect("port");
    let conn = format!(
        "host=localhost port={port} user=postgres password=postgres dbname=postgres sslmode=verify-full sslrootcert='{}'",
        server_ca()
    );
    let (_, status, found) = database_check(&conn);
    assert_eq!(status, "pass", "{found}");
    assert!(found.contains("host name verified"), "{found}");
}

#[test]
fn verify_full_with_a_wrong_ca_fails_with_exit_4_and_names_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let params = format!("sslmode=verify-full&sslrootcert={}", wrong_ca(dir.path()));
    let (code, status, text) = database_check(&tls_url(&secret_url(), "localhost", &params));
    assert_eq!((code, status.as_str()), (4, "fail"), "{text}");
    assert!(text.contains("not signed by a trusted CA"), "{text}");
    assert!(
        text.contains("wrong-ca.pem") && text.contains("sslrootcert=/path/to/ca.pem"),
        "{text}"
    );
}

#[test]
fn verify_full_with_a_host_name_the_certificate_lacks_fails() {
    // Same server (hostaddr), but the name checked is one the certificate lacks.
    let params = format!(
        "hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={}",
        server_ca()
    );
    let (code, status, text) =
        database_check(&tls_url(&secret_url(), "not-this-server.invalid", &params));
    assert_eq!((code, status.as_str()), (4, "fail"), "{text}");
    assert!(
        text.contains("not valid for the host name `not-this-server.invalid`")
            && text.contains("it names localhost")
            && text.contains("sslmode=verify-ca"),
        "{text}"
    );
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let params = format!(
        "hostaddr=127.0.0.1&sslmode=verify-ca&sslrootcert={}",
        server_ca()
    );
    let (_, status, found) =
        database_check(&tls_url(server_url(), "not-this-server.invalid", &params));
    assert_eq!(status, "pass", "{found}");
    assert!(
        found.contains("chain verified, host name not checked"),
        "{found}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let params = format!("sslmode=verify-ca&sslrootcert={}", wrong_ca(dir.path()));
    let (code, _, text) = database_check(&tls_url(&secret_url(), "127.0.0.1", &params));
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("not signed by a trusted CA"), "{text}");
}

/// PostgreSQL with `ssl = off` answers the SSLRequest with a single `N`.
/// This listener gives exactly that answer (the server under test serves TLS,
/// and starting a second cluster for one byte is not worth it on CI).
#[test]
fn require_is_refused_clearly_by_a_server_without_tls() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().expect("accept");
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).expect("SSLRequest");
        assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47], "an SSLRequest");
        socket.write_all(b"N").expect("answer");
        let _ = socket.read(&mut [0u8; 64]);
    });
    let url = format!(
        "postgresql://postgres:hunter2-tls-secret@127.0.0.1:{port}/postgres?sslmode=require"
    );
    let (code, status, text) = database_check(&url);
    server.join().expect("the listener");
    assert_eq!((code, status.as_str()), (4, "fail"), "{text}");
    assert!(
        text.contains("does not offer TLS, and sslmode=require requires an encrypted connection")
            && text.contains("ssl = on"),
        "{text}"
    );
}

#[test]
fn build_and_install_database_objects_over_verify_full() {
    let db = TestDb::unborn("tls_build");
    let params = format!("sslmode=verify-full&sslrootcert={}", server_ca());
    let url = tls_url(&db.url, "localhost", &params);
    let out_dir = tempfile::tempdir().expect("tempdir");
    let build = run(tasker_app()
        .args(["build", "shop", "--yes", "--database-url", &url, "-o"])
        .arg(out_dir.path()));
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(db.scalar_i64("SELECT count(*) FROM _sqlx_migrations") >= 8);
    let check = run(tasker_app()
        .arg("install-database-objects")
        .arg(out_dir.path().join("shop"))
        .args(["--check", "--database-url", &url]));
    assert_eq!(check.code, 0, "{}", check.stderr);
    let again = run(tasker_app()
        .arg("install-database-objects")
        .arg(out_dir.path().join("shop"))
        .args(["--database-url", &url]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("nothing to apply"),
        "{}",
        again.stderr
    );
}

#[test]
fn prefer_falls_back_to_plain_when_the_tls_negotiation_fails_as_libpq_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let params = format!("sslmode=prefer&sslrootcert={}", wrong_ca(dir.path()));
    let (_, status, found) = database_check(&tls_url(server_url(), "127.0.0.1", &params));
    assert_eq!(status, "pass", "{found}");
    assert!(found.contains("not encrypted (sslmode=prefer"), "{found}");
}
