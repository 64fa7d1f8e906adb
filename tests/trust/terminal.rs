//! Issue 17: the terminal. What a person types, and what the CLI echoes from
//! arguments and files, is shown and never obeyed or kept.
//!
//! - A secret typed at any prompt never stays on screen, nor in the
//!   scrollback: not after Ctrl-C, Esc, a refusal, or acceptance (finding 3).
//!   Real pseudo-terminals (tmux), the whole scrollback captured.
//! - Control characters from arguments, manifests and catalogs are escaped in
//!   every line printed: status lines, errors and their chain, hints, data.

#[path = "../tty_support/mod.rs"]
mod tty_support;

use super::*;
use db_support::{TestDb, admin, with_login};
use tty_support::Tty;

/// Starts `build` in a terminal and answers up to the database question.
fn at_the_database_question(here: &Path) -> Tty {
    let tty = Tty::tasker_app(here, "build", &[]);
    tty.wait_for("App name");
    tty.line("shop");
    tty.wait_for("Workflows");
    tty.keys(&["Enter"]);
    tty.wait_for("Database URL");
    tty
}

/// The screen and all of its scrollback hold no piece (4 characters or more)
/// of `secret`.
fn assert_never_shown(tty: &Tty, secret: &str, case: &str) {
    let screen = tty.screen();
    for len in 4..=secret.len() {
        for piece in secret.as_bytes().windows(len) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !screen.contains(piece),
                "{case}: `{piece}` of the password is on screen:\n{screen}"
            );
        }
    }
}

fn assert_abandoned(tty: &Tty, here: &Path, case: &str) {
    assert_eq!(tty.exit_code(), 130, "{case}:\n{}", tty.screen());
    assert_eq!(
        std::fs::read_dir(here).unwrap().count(),
        0,
        "{case}: something was written"
    );
}

/// Finding 3: a password typed and then abandoned stayed on screen and in the
/// scrollback. Each way of leaving a prompt, each form a password can take.
#[test]
fn a_secret_typed_at_a_prompt_never_stays_on_screen() {
    const PW: &str = "Qx7-zephyr-Lumen";
    let long_host = format!("{}.db.internal.example.com", "replica-".repeat(14));
    let cases: Vec<(&str, String, &str, &str)> = vec![
        // (case, typed, last characters typed, key)
        (
            "URL, Ctrl-C",
            format!("postgresql://app:{PW}@db.example.com:5432/shop"),
            ":5432/shop",
            "C-c",
        ),
        (
            "password not yet ended, Ctrl-C",
            format!("postgres://app:{PW}"),
            "",
            "C-c",
        ),
        (
            "key=value, Esc",
            format!("host=db user=app password='{PW}' dbname=shop"),
            "dbname=shop",
            "Escape",
        ),
        (
            "query parameter, Ctrl-C",
            format!("postgresql://db/shop?sslmode=disable&password={PW}"),
            "",
            "C-c",
        ),
        (
            "a URL wider than the terminal, Ctrl-C",
            format!("postgresql://app:{PW}@{long_host}/shop"),
            "example.com/shop",
            "C-c",
        ),
        (
            "no scheme, Esc",
            format!("app:{PW}@db/shop"),
            "@db/shop",
            "Escape",
        ),
    ];
    for (case, typed, tail, key) in cases {
        let here = tempfile::tempdir().unwrap();
        let tty = at_the_database_question(here.path());
        tty.type_text(&typed);
        // Wait until the keys were read (the end of the answer is drawn).
        let end = if tail.is_empty() { "****" } else { tail };
        tty.wait_for(end);
        tty.keys(&[key]);
        assert_abandoned(&tty, here.path(), case);
        assert_never_shown(&tty, PW, case);
    }
}

/// A login role with a password, dropped afterwards.
struct Role(String);
impl Drop for Role {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!("DROP ROLE IF EXISTS {}", self.0));
    }
}

/// The same after an answer is refused (the reason is shown, the question
/// asked again), after one is accepted (it stays on screen redacted), and at
/// the other URL question (the API's), then Ctrl-C.
#[test]
fn a_refused_or_accepted_secret_never_stays_on_screen() {
    const PW: &str = "Rq5-orchid-Vantage";
    const GOOD_PW: &str = "Wm3-saffron-Kettle";
    const API_PW: &str = "Tk9-harbor-Quill";
    let role = Role(format!("tapp_term_{}", std::process::id()));
    admin()
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {0}; CREATE ROLE {0} LOGIN SUPERUSER PASSWORD '{GOOD_PW}'",
            role.0
        ))
        .unwrap();
    let db = TestDb::unborn("terminal");
    let here = tempfile::tempdir().unwrap();
    let tty = at_the_database_question(here.path());
    tty.line(&format!("postgresql://app:{PW}@127.0.0.1:1/shop"));
    tty.wait_for("enter another URL");
    tty.line(&format!("app:{PW}@127.0.0.1/shop"));
    tty.wait_for("is not a PostgreSQL URL");
    tty.line(&with_login(&db.url, &role.0, GOOD_PW));
    tty.wait_for("External API base URL");
    let shown = format!("Database: {}", with_login(&db.url, &role.0, "****"));
    assert!(tty.screen().contains(&shown), "{}", tty.screen());
    tty.line(&format!("https://user:{API_PW}@api.example.com"));
    tty.wait_for("user:****@api.example.com` is not usable");
    tty.type_text(&format!("https://user:{API_PW}"));
    tty.wait_for("https://user:****");
    tty.keys(&["C-c"]);
    assert_abandoned(&tty, here.path(), "refused, accepted, refused, then Ctrl-C");
    assert_never_shown(&tty, PW, "refused database URL");
    assert_never_shown(&tty, GOOD_PW, "accepted database URL");
    assert_never_shown(&tty, API_PW, "refused API URL");
}

/// No byte the terminal would obey: control characters other than newline,
/// tab and CRLF, and the bidi overrides.
fn assert_escaped(out: &db_support::Output, case: &str) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad = text.char_indices().find(|(i, c)| {
            (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
                || (*c == '\r' && !text[i + 1..].starts_with('\n'))
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        });
        assert!(
            bad.is_none(),
            "{case}: {stream} holds the raw control character {:?}:\n{text}",
            bad.map(|(_, c)| c)
        );
    }
}

/// ESC, BEL and friends from arguments, manifests and catalogs were echoed
/// raw (a window retitled, a screen cleared, lines forged).
#[test]
fn control_characters_from_arguments_and_files_are_shown_not_obeyed() {
    let evil = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\u{202e}x\rforged";
    // The same inside a TOML basic string (JSON's escapes are TOML's too).
    let evil_toml = serde_json::to_string(evil).unwrap();
    let evil_toml = &evil_toml[1..evil_toml.len() - 1];
    let parent = tempfile::tempdir().unwrap();
    let p = parent.path();
    let app = app(p, "shop");
    let mut cases: Vec<(&str, db_support::Output)> = Vec::new();

    // Arguments: a name, a flag's value, a template name, a URL, a folder.
    cases.push((
        "an app name",
        run(tasker_app()
            .args(["build", &format!("a{evil}"), "--yes", "--skip-db", "-o"])
            .arg(p)),
    ));
    cases.push((
        "clap's usage error",
        run(tasker_app().args(["build", "x", "--on-conflict", evil])),
    ));
    cases.push((
        "a template name",
        run(tasker_app()
            .args(["build", "y", "--yes", "--skip-db", "-t", evil, "-o"])
            .arg(p)),
    ));
    cases.push((
        "a database URL",
        run(tasker_app().args([
            "validate-environment",
            "--database-url",
            &format!("postgresql://u@h{evil}/db"),
        ])),
    ));
    let export = p.join(format!("cat{evil}"));
    cases.push((
        "a folder in a status line",
        run(tasker_app().args(["catalog", "export"]).arg(&export)),
    ));
    cases.push((
        "a folder in an error's chain",
        run(tasker_app()
            .args(["install-database-objects", "--dry-run"])
            .arg(p.join(format!("none{evil}")))),
    ));

    // Files: a catalog's description (data on stdout, as text and JSON) and
    // a manifest's template names (an error through update).
    let toml = export.join("workflows/ecommerce/template.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text = text.replacen(
        "description = \"",
        &format!("description = \"{evil_toml}"),
        1,
    );
    std::fs::write(&toml, text).unwrap();
    for format in ["text", "json"] {
        cases.push((
            "a catalog's description",
            run(tasker_app()
                .args(["list-templates", "--format", format, "--catalog"])
                .arg(&export)),
        ));
    }
    let manifest = app.join(".tasker-app/manifest.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("\"ecommerce\"", &format!("\"{evil_toml}\""), 1),
    )
    .unwrap();
    cases.push((
        "a manifest's template name",
        run(tasker_app()
            .args(["update", "--yes", "--skip-db"])
            .arg(&app)),
    ));

    for (case, out) in &cases {
        assert_escaped(out, case);
    }
    // Shown, not dropped: the reader sees what was there.
    let all: String = cases
        .iter()
        .map(|(_, o)| o.stderr.clone() + &o.stdout)
        .collect();
    assert!(all.contains("\\u001b]0;owned\\u0007"), "{all}");
}
