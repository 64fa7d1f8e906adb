//! Tests of `db::url`: every form PostgreSQL accepts keeps its password hidden.

use super::*;
use proptest::prelude::*;

#[test]
fn hides_the_password_in_every_form() {
    assert_eq!(
        redact("postgresql://app:s3cr%40t@db:5432/shop"),
        "postgresql://app:****@db:5432/shop"
    );
    assert_eq!(
        redact("postgresql://app@db/shop"),
        "postgresql://app@db/shop"
    );
    assert_eq!(
        redact("postgresql://db/shop?user=a&password=x&sslmode=disable"),
        "postgresql://db/shop?user=a&password=****&sslmode=disable"
    );
    assert_eq!(
        redact("postgres://db/shop?pass%77ord=x"),
        "postgres://db/shop?pass%77ord=****"
    );
    assert_eq!(
        redact("host=db password='a b' user=x"),
        "host=db password=**** user=x"
    );
}

// Issue 11: an unencoded `@` in the password leaked the part after it.
#[test]
fn an_unencoded_at_in_the_password_is_hidden_and_refused() {
    let url = "postgresql://app:p@ssw0rd@db:5432/shop";
    assert_eq!(redact(url), "postgresql://****");
    let err = check(url).unwrap_err();
    assert!(err.message.contains("unencoded `@`"), "{}", err.message);
    assert_eq!(
        redact("postgresql://db/shop?user=a@b&password=x"),
        "postgresql://****"
    );
    assert!(!err.message.contains("ssw0rd"), "{}", err.message);
    assert!(!describe(url).contains("ssw0rd"), "{}", describe(url));
}

// Issue 11: `password = X` (spaces around `=`) was echoed whole on a parse error.
#[test]
fn key_value_passwords_with_spaces_and_quotes_are_hidden() {
    for (text, secret) in [
        ("host=db password = hunter2 user=x", "hunter2"),
        ("host=db password= hunter2", "hunter2"),
        ("password =hunter2 host=db", "hunter2"),
        (r"host=db password='it\'s hunter2' user=x", "hunter2"),
        (r"host=db password=a\ hunter2 user=x", "hunter2"),
        ("host=db PASSWORD = 'hunter2'", "hunter2"),
        ("host=db password = hunter2 bogus", "hunter2"),
    ] {
        let shown = redact(text);
        assert!(!shown.contains(secret), "{text} -> {shown}");
        if let Err(e) = check(text) {
            assert!(!e.message.contains(secret), "{text}: {}", e.message);
        }
    }
}

// Issue 11: a wrong scheme was found out only after the files were written.
#[test]
fn only_postgresql_urls_and_key_value_strings_are_accepted() {
    for bad in [
        "mysql://u:pw@h/db",
        "http://h/db",
        "postgresql:/h/db junk",
        "nonsense",
    ] {
        let err = check(bad).expect_err(bad);
        assert_eq!(err.exit, crate::error::Exit::Usage, "{bad}");
        assert!(err.help.is_some());
    }
    assert!(
        check("mysql://u:secretpw@h/db")
            .unwrap_err()
            .message
            .contains("mysql")
    );
    assert!(
        !check("mysql://u:secretpw@h/db")
            .unwrap_err()
            .message
            .contains("secretpw")
    );
    for good in [
        "postgresql://u:p@h:5432/db",
        "postgres://u@h/db?sslmode=disable",
        "host=h user=u password='x y' dbname=d",
    ] {
        assert!(check(good).is_ok(), "{good}");
    }
}

#[test]
fn scrub_removes_the_decoded_password_too() {
    let url = "postgresql://app:s3cr%40t@db/shop";
    let msg = format!("failed: {url} with s3cr@t");
    let out = scrub(&msg, url);
    assert!(!out.contains("s3cr"), "{out}");
}

#[test]
fn the_safety_net_hides_whole_words_only() {
    assert_eq!(hide_secret("pw=hunter2; x", "hunter2"), "pw=****; x");
    assert_eq!(
        hide_secret("see postgresql://", "postgres"),
        "see postgresql://"
    );
    assert_eq!(hide_secret("a:postgres@h", "postgres"), "a:****@h");
    // postgres:postgres: the user stays readable.
    let url = "postgresql://postgres:postgres@h/db";
    assert!(secrets_of(url).is_empty());
    assert_eq!(describe(url), "h:5432/db as postgres");
}

#[test]
fn describe_names_host_port_db_and_user() {
    assert_eq!(
        describe("postgresql://app:pw@db:6543/shop"),
        "db:6543/shop as app"
    );
}

/// Passwords with every character that has a meaning in one of the forms.
fn password() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9@:/?#&=' \\\\%+]{4,16}".prop_filter("not blank", |p| !p.trim().is_empty())
}

fn encode(p: &str) -> String {
    p.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn kv_quote(p: &str) -> String {
    format!("'{}'", p.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Whatever the user sees about a connection string: every message shape.
fn everything_shown(url: &str) -> String {
    let mut out = vec![
        redact(url),
        describe(url),
        scrub(&format!("error near {url}"), url),
    ];
    if let Err(e) = check(url) {
        out.push(e.message);
    }
    if let Err(e) = crate::db::connect::parse(url) {
        out.push(format!("{e:#}"));
    }
    out.join("\n")
}

proptest! {
    #[test]
    fn no_form_ever_shows_the_password(a in password(), b in password(), scheme in prop::sample::select(vec!["postgres", "postgresql"]), spaces in prop::sample::select(vec!["", " ", "  "])) {
        // Markers at the start, middle and end: any piece of the password that
        // leaks carries one of them (none occurs in the rest of the text).
        let pw = format!("XQ{a}MZ{b}QX");
        let forms = [
            format!("{scheme}://app:{}@db:5432/shop", encode(&pw)),
            format!("{scheme}://app:{pw}@db:5432/shop"),
            format!("{scheme}://db:5432/shop?user=app&password={}", encode(&pw)),
            format!("{scheme}://db:5432/shop?user=app&password={pw}&sslmode=disable"),
            format!("host=db user=app password{spaces}={spaces}{} dbname=shop", kv_quote(&pw)),
            format!("host=db password{spaces}={spaces}{}", kv_quote(&pw)),
        ];
        for url in forms {
            let shown = everything_shown(&url);
            for marker in ["XQ", "MZ", "QX"] {
                prop_assert!(!shown.contains(marker), "{}\n{}", url, shown);
            }
        }
    }
}

// Issue 17: build wrote a .env the app refused (two rules for one URL). The
// table is tasker-app-db's, the same the runtime's settings are tested with.
#[test]
fn the_cli_accepts_exactly_the_shared_table() {
    for (input, expected) in tasker_app_db::url::CASES {
        match (check(input), expected) {
            (Ok(()), Ok(app)) => assert_eq!(app_url(input).as_deref(), Some(*app), "{input}"),
            (Err(e), Err(word)) => {
                assert!(e.message.contains(word), "{input}: {}", e.message);
                assert_eq!(e.exit, crate::error::Exit::Usage);
            }
            (got, _) => panic!("{input}: {got:?}"),
        }
    }
}
