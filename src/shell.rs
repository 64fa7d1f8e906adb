/*!
The one printer. Status and progress go to stderr; data (plans, JSON, lists) goes
to stdout through [`Shell::data`]. Colour is used only when stderr is a terminal
and `NO_COLOR` is unset, so piped output and logs stay plain.

Every text it prints passes two guards, in this order: the secrets it was told
about are replaced by `****` ([`Shell::hiding`], [`Shell::hide_also`]), then
control characters are escaped ([`crate::terminal_text::escape`]), so an ESC or
BEL from an argument, a manifest or a catalog is shown, never obeyed. Only the
colours this printer adds itself reach the terminal as escape sequences.
*/

use console::{Style, Term};
use std::borrow::Cow;
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
    hidden: Mutex<Vec<String>>,
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
            hidden: Mutex::new(Vec::new()),
            data_printed: AtomicBool::new(false),
        }
    }

    /// This shell, replacing each of `secrets` with `****` in everything it
    /// prints: the last guard that keeps a password out of every output.
    pub fn hiding(self, secrets: Vec<String>) -> Self {
        self.hide_also(secrets);
        self
    }

    /// Adds secrets learnt after start-up (a URL typed into the wizard).
    pub fn hide_also(&self, secrets: Vec<String>) {
        let mut hidden = self.hidden.lock().expect("shell secrets lock");
        hidden.extend(secrets.into_iter().filter(|s| !s.is_empty()));
        // Longest first: a secret that contains another is hidden whole.
        hidden.sort_by_key(|s| std::cmp::Reverse(s.len()));
        hidden.dedup();
    }

    /// What may reach the terminal of `text`: secrets hidden, then control
    /// characters escaped.
    fn clean<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let hidden = self.hidden.lock().expect("shell secrets lock");
        if hidden.is_empty() {
            return crate::terminal_text::escape(text);
        }
        let shown = hidden
            .iter()
            .fold(text.to_string(), |t, s| crate::db::url::hide_secret(&t, s));
        Cow::Owned(crate::terminal_text::escape(&shown).into_owned())
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
            hidden: Mutex::new(Vec::new()),
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

    /// Writes a line already cleaned (see [`Shell::clean`]) and painted.
    fn err_line(&self, line: &str) {
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
        let padded = format!("{:>12}", self.clean(verb));
        let line = format!(
            "{}  {}",
            self.paint(&verb_style(verb), &padded),
            self.clean(message.as_ref())
        );
        self.err_line(&line);
    }

    pub fn info(&self, message: impl AsRef<str>) {
        self.err_line(&self.clean(message.as_ref()));
    }

    fn labelled(&self, style: Style, label: &str, message: &str) {
        let label = self.paint(&style, label);
        self.err_line(&format!("{label}: {}", self.clean(message)));
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        self.labelled(Style::new().yellow().bold(), "warning", message.as_ref());
    }

    pub fn note(&self, message: impl AsRef<str>) {
        self.labelled(Style::new().cyan().bold(), "note", message.as_ref());
    }

    pub fn error(&self, message: impl AsRef<str>) {
        self.labelled(Style::new().red().bold(), "error", message.as_ref());
    }

    pub fn help(&self, message: impl AsRef<str>) {
        self.labelled(Style::new().cyan().bold(), "help", message.as_ref());
    }

    /// A spinner on stderr while something slow runs; nothing when stderr is
    /// not a terminal. It disappears when dropped.
    pub fn spinner(&self, message: impl Into<String>) -> Spinner {
        if !self.term || !matches!(self.sink, Sink::Stderr) {
            return Spinner(None);
        }
        let message = self.clean(&message.into()).into_owned();
        let bar = indicatif::ProgressBar::new_spinner().with_message(message);
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Spinner(Some(bar))
    }

    /// Data for stdout: JSON documents, plans, tables.
    pub fn data(&self, text: impl AsRef<str>) {
        self.data_printed.store(true, Ordering::SeqCst);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", self.clean(text.as_ref()));
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

    #[test]
    fn every_line_is_hidden_then_escaped() {
        let shell = Shell::captured().hiding(vec!["s3cr\u{7}t".into()]);
        shell.hide_also(vec!["Pw0rdX".into()]);
        shell.status("create", "a\u{1b}[2Jb");
        shell.error("bad s3cr\u{7}t and Pw0rdX\u{7}");
        shell.info("tab\tand\nnewline");
        assert_eq!(
            shell.captured_text(),
            "      create  a\\u001b[2Jb\nerror: bad **** and ****\\u0007\ntab\tand\nnewline\n"
        );
    }
}
