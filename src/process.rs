/*!
Running an external program with a time limit. Every program tasker-app starts
(rustc, cargo, protoc, docker, git, `cargo fetch`) goes through [`run`]: a tool
that never answers is stopped, with everything it started, and reported as
such instead of hanging tasker-app.
*/

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How a run ended when it did not produce an [`Output`].
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started.
    Spawn(std::io::Error),
    /// It was still running after the limit and was stopped.
    TimedOut(Duration),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(e) => write!(f, "could not be started: {e}"),
            RunError::TimedOut(d) => {
                write!(f, "gave no result within {} s and was stopped", d.as_secs())
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Which processes a timeout stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The program runs in its own process group, and a timeout stops the
    /// whole group (a script's `sleep` too). Ctrl-C in the terminal does not
    /// reach it, so this is for short probes (`--version`).
    Own,
    /// The program stays in tasker-app's group, so Ctrl-C stops it with
    /// tasker-app; a timeout stops the program itself (for `cargo fetch`).
    Shared,
}

/// Runs `cmd` (stdin closed, stdout and stderr captured) for at most `limit`.
pub fn run(cmd: &mut Command, limit: Duration, group: Group) -> Result<Output, RunError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    if group == Group::Own {
        std::os::unix::process::CommandExt::process_group(cmd, 0);
    }
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let stdout = child.stdout.take().map(reader);
    let stderr = child.stderr.take().map(reader);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) | Err(_) => {
                stop(&mut child, group);
                // The readers are left to finish on their own: a grandchild
                // that escaped the group could hold the pipes open.
                return Err(RunError::TimedOut(limit));
            }
        }
    };
    let collect = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
        h.and_then(|h| h.join().ok()).unwrap_or_default()
    };
    Ok(Output {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    })
}

fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Stops the program (and its process group when it has its own), and reaps it.
fn stop(child: &mut std::process::Child, group: Group) {
    #[cfg(unix)]
    if let (Group::Own, Ok(pid)) = (group, i32::try_from(child.id())) {
        // SAFETY: kill(2) with a negative pid signals the process group the
        // child leads (it was started with process_group(0)); no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_program_that_never_ends_is_stopped_with_its_children() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 1000 & sleep 1000; echo never"]);
        match run(&mut cmd, Duration::from_millis(300), Group::Own) {
            Err(RunError::TimedOut(_)) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[test]
    fn output_is_captured() {
        let out = run(
            Command::new("sh").args(["-c", "echo hi; echo err >&2"]),
            Duration::from_secs(30),
            Group::Shared,
        )
        .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"hi\n");
        assert_eq!(out.stderr, b"err\n");
    }
}
