/*!
Status lines held back until a transaction commits (see [`Deferred`]).
*/

use crate::shell::Shell;

/// Status lines of an apply, held back until the transaction commits: a line
/// saying "migrate" must never be printed for a change that was rolled back.
/// Warnings go out at once.
pub struct Deferred<'s> {
    pub shell: &'s Shell,
    pub lines: std::cell::RefCell<Vec<(&'static str, String)>>,
}

impl Deferred<'_> {
    pub fn status(&self, verb: &'static str, message: String) {
        self.lines.borrow_mut().push((verb, message));
    }

    pub fn warn(&self, message: String) {
        self.shell.warn(message);
    }

    /// After the commit: the lines, as they happened.
    pub fn print(&self) {
        for (verb, message) in self.lines.take() {
            self.shell.status(verb, message);
        }
    }
}
