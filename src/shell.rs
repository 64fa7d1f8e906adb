/*!
The one printer. Status and progress go to stderr; data (plans, JSON, lists) goes
to stdout through [`Shell::data`]. Colour is used only when stderr is a terminal
and `NO_COLOR` is unset, so piped output and logs stay plain.
*/

use console::{Style, Term};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where stderr output goes: the real stderr, or a buffer (for tests).
enum Sink {
    Stderr,
    Buffer(Mutex<Vec<u8>>),
}

pub struct Shell {
    color: bool,
    /// stderr is a terminal: spinners may be drawn.
    term: bool,
    interactive: bool,
    sink: Sink,
    /// Texts never to print (the database password in its spellings).
    hidden: Vec<String>,
    /// Something went to stdout already (so `main` does not add a second
    /// JSON document after a failure).
    data_printed: AtomicBool,
}

/// Verbs of the Rails-style status lines and how they are coloured.
fn verb_style(verb: &str) -> Style {
    match verb {
        "create" | "update" | "apply" | "Finished" => Style::new().green().bold(),
        "identical" | "unchanged" => Style::new().blue().bold(),
        "conflict" | "drifted" | "missing" => Style::new().red().bold(),
        _ => Style::new().yellow().bold(),
    }
}

impl Shell {
    /// A shell for the real terminal.
    pub fn from_env() -> Self {
        let term = Term::stderr();
        let is_term = term.is_term();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: is_term && !no_color,
            term: is_term,
            interactive: is_term && std::io::IsTerminal::is_terminal(&std::io::stdin()),
            sink: Sink::Stderr,
            hidden: Vec::new(),
            data_printed: AtomicBool::new(false),
        }
    }

    /// This shell, replacing each of `secrets` with `****` in everything it
    /// prints: the last guard that keeps a password out of every output.
    pub fn hiding(mut self, secrets: Vec<String>) -> Self {
        self.hidden = secrets;
        self
    }

    fn hide(&self, text: &str) -> String {
        self.hidden
            .iter()
            .fold(text.to_string(), |t, s| crate::db::url::hide_secret(&t, s))
    }

    /// Has anything been printed on stdout?
    pub fn printed_data(&self) -> bool {
        self.data_printed.load(Ordering::SeqCst)
    }

    /// A shell that records what it prints (no colour, never interactive).
    pub fn captured() -> Self {
        Self {
            color: false,
            term: false,
            interactive: false,
            sink: Sink::Buffer(Mutex::new(Vec::new())),
            hidden: Vec::new(),
            data_printed: AtomicBool::new(false),
        }
    }

    /// What a captured shell printed so far.
    pub fn captured_text(&self) -> String {
        match &self.sink {
            Sink::Buffer(buf) => {
                String::from_utf8_lossy(&buf.lock().expect("shell buffer lock")).into_owned()
            }
            Sink::Stderr => String::new(),
        }
    }

    /// True when stdin and stderr are terminals: prompts may be shown.
    pub fn is_interactive(&self) -> bool {
        self.interactive
    }

    pub fn color(&self) -> bool {
        self.color
    }

    fn err_line(&self, line: &str) {
        let line = &self.hide(line);
        match &self.sink {
            Sink::Stderr => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            Sink::Buffer(buf) => {
                let mut buf = buf.lock().expect("shell buffer lock");
                buf.extend_from_slice(line.as_bytes());
                buf.push(b'\n');
            }
        }
    }

    fn paint(&self, style: &Style, text: &str) -> String {
        if self.color {
            style.apply_to(text).force_styling(true).to_string()
        } else {
            text.to_string()
        }
    }

    /// `      create  src/main.rs` — the verb right-aligned to 12 columns.
    pub fn status(&self, verb: &str, message: impl AsRef<str>) {
        let padded = format!("{verb:>12}");
        let line = format!(
            "{}  {}",
            self.paint(&verb_style(verb), &padded),
            message.as_ref()
        );
        self.err_line(&line);
    }

    pub fn info(&self, message: impl AsRef<str>) {
        self.err_line(message.as_ref());
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        let label = self.paint(&Style::new().yellow().bold(), "warning");
        self.err_line(&format!("{label}: {}", message.as_ref()));
    }

    pub fn note(&self, message: impl AsRef<str>) {
        let label = self.paint(&Style::new().cyan().bold(), "note");
        self.err_line(&format!("{label}: {}", message.as_ref()));
    }

    pub fn error(&self, message: impl AsRef<str>) {
        let label = self.paint(&Style::new().red().bold(), "error");
        self.err_line(&format!("{label}: {}", message.as_ref()));
    }

    pub fn help(&self, message: impl AsRef<str>) {
        let label = self.paint(&Style::new().cyan().bold(), "help");
        self.err_line(&format!("{label}: {}", message.as_ref()));
    }

    /// A spinner on stderr while something slow runs; nothing when stderr is
    /// not a terminal. It disappears when dropped.
    pub fn spinner(&self, message: impl Into<String>) -> Spinner {
        if !self.term || !matches!(self.sink, Sink::Stderr) {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner().with_message(message.into());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Spinner(Some(bar))
    }

    /// Data for stdout: JSON documents, plans, tables.
    pub fn data(&self, text: impl AsRef<str>) {
        self.data_printed.store(true, Ordering::SeqCst);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", self.hide(text.as_ref()));
        let _ = out.flush();
    }
}

/// See [`Shell::spinner`].
pub struct Spinner(Option<indicatif::ProgressBar>);

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_align_the_verb_to_twelve_columns() {
        let shell = Shell::captured();
        shell.status("create", "src/main.rs");
        shell.status("identical", "Cargo.toml");
        assert_eq!(
            shell.captured_text(),
            "      create  src/main.rs\n   identical  Cargo.toml\n"
        );
    }
}
