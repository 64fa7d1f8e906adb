//! Issue 17: what the app prints of what it was given (findings 4 and 15,
//! and the low ones about exit codes). The app's real command line
//! (`App::main_with`: clap, settings, the commands) runs in a child process
//! (this test binary, started again), so its stderr and exit code are the
//! ones a user sees; no generated app needs compiling.
//!
//! - no password of a URL it was given is printed, even when a server's
//!   answer repeats the URL (finding 4);
//! - control characters from arguments are escaped, in its own errors and
//!   in clap's (finding 4, low);
//! - a context file that is not JSON is named with line and column, never
//!   echoed (finding 15);
//! - bad values are usage errors, exit 2: `bench` (low), `prune
//!   --older-than` out of range (low), an integer written as `1e308` (low).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use tasker_app_runtime::{App, Package, Registry};

const ARGS: &str = "TASKER_APP_RUNTIME_TEST_ARGS";

/// The child: runs the app's command line with the arguments it was given.
#[test]
fn app_child() {
    let Ok(args) = std::env::var(ARGS) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).unwrap();
    let package = Package {
        name: "shop",
        version: "0.0.0",
        description: "the runtime's own test app",
        dir: env!("CARGO_MANIFEST_DIR"),
    };
    let code = App::new(package, Registry::new).main_with(args);
    let code = (0..=255u8)
        .find(|n| ExitCode::from(*n) == code)
        .unwrap_or(255);
    std::process::exit(i32::from(code));
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture")
}

/// `shop <args>` with `env`: its exit code and stderr.
fn app(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut all = vec!["shop".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    let out: Output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "app_child", "--nocapture", "--test-threads=1"])
        .env(ARGS, serde_json::to_string(&all).unwrap())
        .env("TASKER_TEMPLATE_PATH", fixture().join("workflows"))
        .env_remove("DATABASE_URL")
        .env_remove("API_BASE_URL")
        .env_remove("TASKER_ORCHESTRATION_URL")
        .env_remove("TASKER_CONFIG_PATH")
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An HTTP server that answers every request 400 with `body`.
fn answering_400(body: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buffer = [0u8; 65536];
            let _ = stream.read(&mut buffer);
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn assert_no_raw_controls(stderr: &str, case: &str) {
    assert!(
        !stderr
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{case}: a raw control character reached the terminal:\n{stderr:?}"
    );
}

const CONTEXT: &str = r#"{"user_id": 1}"#;

/// Finding 4: `run --orchestration-url http://user:PASSWORD@host` printed the
/// password. Any URL the app was given, in a flag or the environment, raw or
/// percent-encoded, also where a server's answer repeats it.
#[test]
fn no_password_of_a_given_url_is_printed() {
    for (password, in_url) in [
        ("Pw-hunter-77", "Pw-hunter-77"),
        ("sl/ash?pw", "sl%2Fash%3Fpw"),
    ] {
        let port_holder = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = port_holder.local_addr().unwrap().port();
        drop(port_holder);
        let url = format!("http://ops:{in_url}@127.0.0.1:{port}");
        let echoing = answering_400(format!(
            r#"{{"error":"bad request to {url} ({password})"}}"#
        ));
        let echoing_url = format!("http://ops:{in_url}@127.0.0.1:{echoing}");
        for (case, args, env) in [
            (
                "--orchestration-url, a server repeating it",
                vec![
                    "run",
                    "demo/greeting",
                    "--context",
                    CONTEXT,
                    "--orchestration-url",
                    &echoing_url,
                ],
                vec![],
            ),
            (
                "TASKER_ORCHESTRATION_URL, a server repeating it",
                vec!["run", "demo/greeting", "--context", CONTEXT],
                vec![("TASKER_ORCHESTRATION_URL", echoing_url.as_str())],
            ),
            (
                "an orchestration URL that is not one",
                vec![
                    "run",
                    "demo/greeting",
                    "--context",
                    CONTEXT,
                    "--orchestration-url",
                    &format!("http://ops:{in_url}@[::1"),
                ],
                vec![],
            ),
        ] {
            let (code, stderr) = app(&args, &env);
            assert_ne!(code, 0, "{case}: {stderr}");
            for piece in [password, in_url] {
                assert!(
                    !stderr.contains(piece),
                    "{case}: the password `{piece}` is printed:\n{stderr}"
                );
            }
        }
    }
}

/// Finding 4 (low): ESC and BEL in arguments reached the terminal raw, in
/// the app's own errors and in clap's.
#[test]
fn control_characters_from_arguments_are_escaped() {
    for (case, args) in [
        (
            "a workflow name",
            vec!["run", "demo/\x1b]0;owned\x07greeting"],
        ),
        ("not a workflow name", vec!["run", "\x1b[2Jdemo"]),
        (
            "a bad flag value (clap)",
            vec!["run", "demo/greeting", "--timeout", "\x1b]0;owned\x075\x08"],
        ),
        (
            "an unknown flag (clap)",
            vec!["run", "--col\x07our\x1b]2;x\x07"],
        ),
        (
            "a context file",
            vec!["run", "demo/greeting", "--context", "@/no/such/\x1b[5mfile"],
        ),
        ("bench", vec!["bench", "\u{9b}31mdemo/x"]),
    ] {
        let (code, stderr) = app(&args, &[]);
        assert_eq!(code, 2, "{case}: {stderr}");
        assert_no_raw_controls(&stderr, case);
        // clap's plain rendering drops them; the app's own messages show them.
        assert!(
            case.contains("(clap)")
                || ["\\u001b", "\\u009b", "\\u0007"]
                    .iter()
                    .any(|e| stderr.contains(e)),
            "{case}: the control character is not shown escaped: {stderr}"
        );
    }
}

/// Finding 15: `run --context @file` with invalid JSON printed the whole
/// file (6.6 MB on stderr, an API token in it). Now: the file, line, column,
/// the kind of mistake and the fix; never its text.
#[test]
fn a_context_file_that_is_not_json_is_named_not_echoed() {
    let dir = std::env::temp_dir().join(format!("ctx_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("order.json");
    let mut text = String::from("{\n  \"api_token\": \"tok_live_5ecret\",\n");
    for i in 0..50_000 {
        text.push_str(&format!("  \"k{i}\": \"{}\",\n", "x".repeat(100)));
    }
    text.push_str("  \"user_id\": 1,,\n}\n");
    std::fs::write(&file, &text).unwrap();
    for (case, context) in [
        ("a file", format!("@{}", file.display())),
        (
            "inline",
            "{\"api_token\": \"tok_live_5ecret\", ".to_string(),
        ),
    ] {
        let (code, stderr) = app(&["run", "demo/greeting", "--context", &context], &[]);
        assert_eq!(code, 2, "{case}: {stderr}");
        assert!(!stderr.contains("tok_live_5ecret"), "{case}: {stderr}");
        assert!(
            stderr.len() < 1000,
            "{case}: {} bytes on stderr",
            stderr.len()
        );
        assert!(
            stderr.contains("line ") && stderr.contains("column "),
            "{case}: {stderr}"
        );
        if case == "a file" {
            assert!(stderr.contains(&file.display().to_string()), "{stderr}");
            assert!(stderr.contains(&format!("line {}", 50_003)), "{stderr}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Low findings: `bench` usage errors exited 1; `prune --older-than` with a
/// huge value gave a conversion error; `1e308` passed as an integer id.
#[test]
fn bad_values_are_usage_errors() {
    for (case, args, says) in [
        (
            "bench: an unknown workflow",
            vec!["bench", "demo/nope"],
            "demo/nope",
        ),
        (
            "bench: not a workflow name",
            vec!["bench", "nope"],
            "namespace/task",
        ),
        (
            "bench: --tasks 0",
            vec!["bench", "demo/greeting", "--tasks", "0"],
            "--tasks",
        ),
        (
            "bench: --concurrency 0",
            vec!["bench", "demo/greeting", "--concurrency", "0"],
            "--concurrency",
        ),
        (
            "bench: bad context",
            vec!["bench", "demo/greeting", "--context", "{"],
            "line 1, column 1",
        ),
        (
            "bench: context against the schema",
            vec!["bench", "demo/greeting", "--context", "{}"],
            "user_id",
        ),
        (
            "prune: huge --older-than",
            vec!["prune", "--older-than", "99999999999"],
            "--older-than",
        ),
        (
            "prune: past 100 years",
            vec!["prune", "--older-than", "40000"],
            "36500",
        ),
        (
            "run: 1e308 as an id",
            vec!["run", "demo/greeting", "--context", r#"{"user_id": 1e308}"#],
            "whole number",
        ),
        (
            "run: 5.0 as an id",
            vec!["run", "demo/greeting", "--context", r#"{"user_id": 5.0}"#],
            "whole number",
        ),
    ] {
        let (code, stderr) = app(&args, &[]);
        assert_eq!(code, 2, "{case}: {stderr}");
        assert!(
            stderr.contains(says),
            "{case}: expected `{says}` in:\n{stderr}"
        );
    }
}
