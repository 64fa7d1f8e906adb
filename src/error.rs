/*!
Exit codes and the one error type that carries them.

Every failure travels as an `anyhow::Error`. When a failure must end the process
with a specific exit code (usage, conflict, environment, drift), its chain
contains a [`CliError`]; `main` finds it with [`exit_code_of`]. Anything else is
code 1 ("failed"). Messages say what went wrong, where, and how to fix it.
*/

use std::fmt;

/// Exit codes of CONTRACT.md, shared by every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Done = 0,
    Failed = 1,
    Usage = 2,
    Conflict = 3,
    EnvironmentNotReady = 4,
    Drift = 5,
    /// The user stopped a prompt (Ctrl-C or Esc) before anything was written:
    /// 128 + SIGINT, what a shell reports for a command Ctrl-C ended.
    Interrupted = 130,
}

/// A failure with an exit code and, where we know one, a `help:` line.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    pub help: Option<String>,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            help: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for an error: the first [`CliError`] in its chain, else 1.
pub fn exit_code_of(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<CliError>())
        .map_or(Exit::Failed, |e| e.exit)
}

/// The `help:` line for an error, if any layer of it has one.
pub fn help_of(err: &anyhow::Error) -> Option<&str> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<CliError>())
        .and_then(|e| e.help.as_deref())
}

/// The one JSON document of a failed command (`--format json`): `doc` (the
/// fields the command has, e.g. a plan) with `"ok": false` and
/// `"error": {"code", "message", "help"}`.
pub fn json_error(err: &anyhow::Error, doc: serde_json::Value) -> serde_json::Value {
    let mut doc = match doc {
        serde_json::Value::Object(map) => serde_json::Value::Object(map),
        _ => serde_json::json!({}),
    };
    doc["ok"] = serde_json::json!(false);
    doc["error"] = serde_json::json!({
        "code": exit_code_of(err) as u8,
        "message": format!("{err:#}"),
        "help": help_of(err),
    });
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_code_survives_added_context() {
        let err: anyhow::Result<()> = Err(CliError::new(Exit::Conflict, "3 files differ").into());
        let err = err.context("building shop").unwrap_err();
        assert_eq!(exit_code_of(&err), Exit::Conflict);
    }

    #[test]
    fn plain_errors_are_code_one() {
        let err = anyhow::anyhow!("disk full");
        assert_eq!(exit_code_of(&err), Exit::Failed);
        assert_eq!(help_of(&err), None);
    }
}
