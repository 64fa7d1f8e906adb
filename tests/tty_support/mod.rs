//! A real pseudo-terminal for tests: tmux, driven with send-keys and read with
//! capture-pane, as a person would type and read.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One tmux server (own socket) running one command in a 100x50 window.
pub struct Tty {
    socket: String,
    exit_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tty {
    /// Runs `tasker-app ARGS` in `cwd` with `env` (DATABASE_URL and NO_COLOR
    /// cleared unless given), keeping the window after it exits.
    pub fn tasker_app(cwd: &Path, args: &str, env: &[(&str, &str)]) -> Tty {
        let bin = assert_cmd::cargo::cargo_bin("tasker-app");
        Tty::start(cwd, &format!("'{}' {args}", bin.display()), env)
    }

    /// Runs the shell command line `command` in `cwd` with `env`, as
    /// [`Tty::tasker_app`] does.
    pub fn start(cwd: &Path, command: &str, env: &[(&str, &str)]) -> Tty {
        let dir = tempfile::tempdir().expect("temp dir");
        let exit_file = dir.path().join("exit");
        let socket = format!(
            "tasker-app-test-{}-{}",
            std::process::id(),
            dir.path().file_name().unwrap().to_string_lossy()
        );
        let mut exports = String::from("unset DATABASE_URL NO_COLOR; ");
        for (k, v) in env {
            exports.push_str(&format!("export {k}='{v}'; "));
        }
        let script = format!(
            // Ctrl-C reaches the whole foreground group, this shell included:
            // a trap (reset to the default in the command itself) keeps the
            // shell alive to record the command's exit code.
            "trap 'true' INT; {exports}cd '{}' && {command}; echo $? > '{}'; sleep 600",
            cwd.display(),
            exit_file.display()
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "100", "-y", "50", "sh", "-c", &script])
            .status()
            .expect("tmux runs (apt-get install tmux)");
        assert!(status.success(), "tmux new-session failed");
        Tty {
            socket,
            exit_file,
            _dir: dir,
        }
    }

    pub fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(status.success());
    }

    /// Types text literally (no key names), then Enter.
    pub fn line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// Types text literally (no key names), without Enter.
    pub fn type_text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    /// The whole screen and all of its scroll-back, as text.
    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-",
                "-t",
                "0",
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (up to a minute: a bound, not a timing assertion) for `text`.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(60))
    }

    /// Waits up to `bound` for `text` on the screen; returns the screen.
    pub fn wait_for_within(&self, text: &str, bound: Duration) -> String {
        let deadline = Instant::now() + bound;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never appeared; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit code, once the command has ended.
    pub fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file)
                && let Ok(code) = text.trim().parse()
            {
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "tasker-app did not end; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
