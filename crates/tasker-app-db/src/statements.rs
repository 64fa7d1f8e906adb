/*!
User SQL split into statements the way the server splits it, to find the
ones that end the transaction both sides run every `db/` file in.

Both executors run all of a run's files inside ONE transaction (`BEGIN` ...
`COMMIT`), and promise "any failure rolls everything back". A file that
says `COMMIT;` breaks that promise silently: the server commits what ran so
far, the rest of the file runs outside any transaction, and a later error
rolls back nothing. So [`transaction_control`] finds such a statement
before anything runs, and the file is refused with its line
([`crate::layout::Sources::from_files`]).

The lexer follows PostgreSQL's: `'...'` (a doubled quote is literal),
`E'...'` (backslash escapes), `"..."`, `$tag$ ... $tag$`, `-- ...` and
nested `/* ... */` comments; a `;` inside any of them does not end a
statement, and a word inside them is no keyword. The body of a SQL-standard
function (`BEGIN ATOMIC ... END`) holds `;`s that do not end the `CREATE`.

Not refused, because the server already refuses them inside a transaction
block (so the run fails and rolls back, and says so truthfully): `COMMIT`
or `ROLLBACK` inside a `DO` block or a procedure (`invalid transaction
termination`), and `EXECUTE 'COMMIT'` in PL/pgSQL.
*/

/// One statement: the line it starts on (1-based) and its first words, lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub line: usize,
    pub words: Vec<String>,
}

/// How many leading words of each statement are kept (enough to tell
/// `PREPARE TRANSACTION 'x'` from `PREPARE plan AS ...`).
const KEPT_WORDS: usize = 3;

/// The statements of `sql`, in order (empty ones, `;;`, left out).
pub fn statements(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let at = |j: usize| chars.get(j).copied();
    let mut out = Vec::new();
    let mut line = 1;
    let mut current: Option<Statement> = None;
    // Inside `BEGIN ATOMIC ... END`: CASE ... END pairs nest in it.
    let mut atomic_depth = 0usize;
    let mut previous_word = String::new();
    let mut i = 0;
    // Moves `i` past `n` chars, counting lines.
    let advance = |i: &mut usize, n: usize, line: &mut usize| {
        for _ in 0..n {
            if at(*i) == Some('\n') {
                *line += 1;
            }
            *i += 1;
        }
    };
    while let Some(c) = at(i) {
        let begins = |current: &mut Option<Statement>, line: usize| {
            current.get_or_insert_with(|| Statement {
                line,
                words: Vec::new(),
            });
        };
        if c.is_whitespace() {
            advance(&mut i, 1, &mut line);
        } else if c == '-' && at(i + 1) == Some('-') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if at(i) == Some('/') && at(i + 1) == Some('*') {
                    depth += 1;
                    advance(&mut i, 2, &mut line);
                } else if at(i) == Some('*') && at(i + 1) == Some('/') {
                    depth -= 1;
                    advance(&mut i, 2, &mut line);
                    if depth == 0 {
                        break;
                    }
                } else {
                    advance(&mut i, 1, &mut line);
                }
            }
        } else if c == '\'' || c == '"' {
            begins(&mut current, line);
            // E'...' (the E was read as a word just before): backslash escapes.
            let backslashes = c == '\''
                && i > 0
                && matches!(at(i - 1), Some('e' | 'E'))
                && !(i > 1 && at(i - 2).is_some_and(is_ident_char));
            advance(&mut i, 1, &mut line);
            while let Some(d) = at(i) {
                // A backslash escape or a doubled quote: two characters of text.
                if (backslashes && d == '\\') || (d == c && at(i + 1) == Some(c)) {
                    advance(&mut i, 2, &mut line);
                } else if d == c {
                    advance(&mut i, 1, &mut line);
                    break;
                } else {
                    advance(&mut i, 1, &mut line);
                }
            }
        } else if c == '$' && at(i + 1).is_some_and(|d| d == '$' || is_ident_start(d)) {
            begins(&mut current, line);
            // `$tag$ ... $tag$` (tag may be empty); `$1` is a parameter.
            let tag_end = (i + 1..chars.len())
                .find(|&j| !(is_ident_start(chars[j]) || chars[j].is_ascii_digit()));
            match tag_end {
                Some(end) if chars[end] == '$' => {
                    let tag = &chars[i..=end];
                    advance(&mut i, tag.len(), &mut line);
                    while i < chars.len() && !chars[i..].starts_with(tag) {
                        advance(&mut i, 1, &mut line);
                    }
                    let left = tag.len().min(chars.len() - i);
                    advance(&mut i, left, &mut line);
                }
                _ => i += 1,
            }
        } else if is_ident_start(c) {
            begins(&mut current, line);
            let start = i;
            while at(i).is_some_and(is_ident_char) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            let statement = current.as_mut().expect("begun above");
            let creating = statement.words.first().is_some_and(|w| w == "create");
            if creating && previous_word == "begin" && word == "atomic" && atomic_depth == 0 {
                atomic_depth = 1;
            } else if atomic_depth > 0 && word == "case" {
                atomic_depth += 1;
            } else if atomic_depth > 0 && word == "end" {
                atomic_depth -= 1;
            }
            if statement.words.len() < KEPT_WORDS {
                statement.words.push(word.clone());
            }
            previous_word = word;
        } else if c == ';' && atomic_depth == 0 {
            out.extend(current.take());
            previous_word.clear();
            i += 1;
        } else {
            begins(&mut current, line);
            previous_word.clear();
            i += 1;
        }
    }
    out.extend(current);
    out
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// A statement that ends or splits the transaction a file runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionControl {
    pub line: usize,
    /// As written in SQL, upper case: `COMMIT`, `START TRANSACTION`.
    pub statement: String,
}

/// The first statement of `sql` that controls the transaction (`BEGIN`,
/// `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`,
/// `RELEASE`, `PREPARE TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`).
pub fn transaction_control(sql: &str) -> Option<TransactionControl> {
    statements(sql).into_iter().find_map(|s| {
        let w = |n: usize| s.words.get(n).map(String::as_str);
        let statement = match (w(0)?, w(1)) {
            ("begin" | "commit" | "end" | "rollback" | "abort" | "savepoint" | "release", _) => {
                match (w(0)?, w(1)) {
                    ("commit" | "rollback", Some("prepared")) => format!("{} PREPARED", w(0)?),
                    (first, _) => first.to_string(),
                }
            }
            ("start", Some("transaction")) => "start transaction".into(),
            ("prepare", Some("transaction")) => "prepare transaction".into(),
            _ => return None,
        };
        Some(TransactionControl {
            line: s.line,
            statement: statement.to_uppercase(),
        })
    })
}

/// The reason shown after `db/<file>:<line>:` for a [`TransactionControl`].
pub fn refusal_reason(found: &TransactionControl) -> String {
    format!(
        "{} controls the transaction, which tasker-app owns: every db/ file runs inside one transaction \
         (all of a run applies, or none of it), and a {} here would commit or end it half-way, so a later \
         error could no longer undo what ran before; remove the statement (to split work, use one \
         migration per step)",
        found.statement, found.statement
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(sql: &str) -> Option<(usize, String)> {
        transaction_control(sql).map(|t| (t.line, t.statement))
    }

    #[test]
    fn every_transaction_statement_is_found_with_its_line() {
        for (sql, line, what) in [
            ("create table t ();\ncommit;\nselect 1/0;", 2, "COMMIT"),
            ("BEGIN;", 1, "BEGIN"),
            (
                "select 1;\n\n  Start  Transaction isolation level serializable;",
                3,
                "START TRANSACTION",
            ),
            ("select 1; END", 1, "END"),
            ("select 1;\nROLLBACK", 2, "ROLLBACK"),
            ("abort;", 1, "ABORT"),
            ("savepoint a;", 1, "SAVEPOINT"),
            ("savepoint a; release a;", 1, "SAVEPOINT"),
            ("release savepoint a;", 1, "RELEASE"),
            ("prepare transaction 'x';", 1, "PREPARE TRANSACTION"),
            ("commit prepared 'x';", 1, "COMMIT PREPARED"),
            ("rollback prepared 'x';", 1, "ROLLBACK PREPARED"),
            ("/* a\n b */ -- c\n commit", 3, "COMMIT"),
            ("select 'it''s'; COMMIT", 1, "COMMIT"),
            ("select E'\\';'\n;commit", 2, "COMMIT"),
        ] {
            assert_eq!(found(sql), Some((line, what.to_string())), "{sql}");
        }
    }

    #[test]
    fn quotes_comments_bodies_and_ordinary_statements_are_not_transaction_control() {
        for sql in [
            "select 'commit; begin;'",
            "select \"commit\" from t; select \"begin\"",
            "-- commit;\nselect 1",
            "/* commit; /* nested; */ rollback; */ select 1",
            "create function f() returns void language plpgsql as $$ begin perform 1; end $$;",
            "create function f() returns void language plpgsql as $body$ begin commit; end; $body$;",
            "do $$ begin raise notice 'x'; end $$;",
            "select E'\\'; commit; \\''",
            "prepare q as select 1; execute q;",
            "create view v as select 1 as begin_at, 2 as \"end\";",
            "create function f(a int) returns int language sql begin atomic select a; select case when a > 0 then 1 else 2 end; end; select 1",
            "select $1, $2",
            "select 1 as end_date; select x.end from x",
        ] {
            assert_eq!(found(sql), None, "{sql}");
        }
    }

    #[test]
    fn a_transaction_statement_after_an_atomic_body_is_found() {
        let sql = "create function f() returns int language sql\nbegin atomic\n  select 1;\nend;\ncommit;";
        assert_eq!(found(sql), Some((5, "COMMIT".into())));
    }

    #[test]
    fn statements_keep_their_first_words_and_line() {
        let s = statements("\n\nCREATE  view v as select 1;;\nselect 2");
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].line, s[0].words.join(" ")),
            (3, "create view v".into())
        );
        assert_eq!(s[1].line, 4);
    }
}
