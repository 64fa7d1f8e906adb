/*!
Which object a function or view file creates, read with PostgreSQL's rules
for identifiers, so the name tracked is the name the server stores:

- an unquoted identifier is folded to lower case (`Low_Stock` is `low_stock`);
- a quoted one is kept exactly (`"Mixed"` is `Mixed`; `""` is one `"`);
- an unqualified name means schema [`UNQUALIFIED_SCHEMA`] (`app`). That is
  true in the database too: both sides run user SQL with
  [`crate::sql::USER_SEARCH_PATH`], whose first schema is `app`.

The name comes from the first `CREATE [OR REPLACE] [MATERIALIZED] VIEW` (or
`FUNCTION | PROCEDURE`) statement. Comments, string literals and
dollar-quoted bodies are skipped, so a `create view` inside them never counts.
*/

/// The schema of an unqualified name, and the first schema of the search path.
pub const UNQUALIFIED_SCHEMA: &str = "app";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Function,
    View,
}

impl Kind {
    /// The word stored in `tasker_app.database_objects.kind` and passed to
    /// `tasker_app.object_fingerprint(kind, name)`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::View => "view",
        }
    }
}

/// A schema-qualified object name, each part as PostgreSQL stores it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectName {
    pub schema: String,
    pub name: String,
}

impl ObjectName {
    /// `schema.name`, unquoted: the key in `tasker_app.database_objects` and
    /// the argument of `object_fingerprint` (which splits at the first dot;
    /// that is why a dot inside a quoted schema name is refused).
    pub fn key(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// `"schema"."name"`, safe to put in SQL text.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

impl std::fmt::Display for ObjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// An identifier in double quotes, inner quotes doubled.
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An unquoted word, already folded to lower case.
    Word(String),
    /// A quoted identifier, exactly as written between the quotes.
    Quoted(String),
    Punct(char),
}

/// Splits SQL into words, quoted identifiers and punctuation; drops
/// whitespace, comments, string literals and dollar-quoted bodies.
fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let at = |j: usize| chars.get(j).copied();
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && at(i + 1) == Some('-') {
            while at(i).is_some_and(|c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == Some('*') {
            // PostgreSQL's block comments nest.
            let mut depth = 0;
            while i < chars.len() {
                if at(i) == Some('/') && at(i + 1) == Some('*') {
                    depth += 1;
                    i += 2;
                } else if at(i) == Some('*') && at(i + 1) == Some('/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' || c == '\'' {
            // Both end at a lone closing quote; a doubled one is literal.
            let mut text = String::new();
            i += 1;
            while let Some(d) = at(i) {
                if d == c && at(i + 1) == Some(c) {
                    text.push(c);
                    i += 2;
                } else if d == c {
                    i += 1;
                    break;
                } else {
                    text.push(d);
                    i += 1;
                }
            }
            if c == '"' {
                out.push(Token::Quoted(text));
            }
        } else if c == '$' {
            // `$tag$ ... $tag$` (tag may be empty); `$1` is a parameter.
            let tag_end =
                (i + 1..chars.len()).find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'));
            match tag_end {
                Some(end)
                    if chars[end] == '$' && !at(i + 1).is_some_and(|d| d.is_ascii_digit()) =>
                {
                    let tag: String = chars[i..=end].iter().collect();
                    let rest: String = chars[end + 1..].iter().collect();
                    i = match rest.find(&tag) {
                        Some(pos) => end + 1 + rest[..pos].chars().count() + tag.chars().count(),
                        None => chars.len(),
                    };
                }
                _ => {
                    out.push(Token::Punct('$'));
                    i += 1;
                }
            }
        } else if is_ident_start(c) {
            let start = i;
            while at(i).is_some_and(is_ident_char) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Token::Word(word.to_ascii_lowercase()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn is_word(t: Option<&Token>, words: &[&str]) -> bool {
    matches!(t, Some(Token::Word(w)) if words.contains(&w.as_str()))
}

/// The object the file's SQL creates, or why none can be named (the reason
/// is shown to the user after the file's path).
pub fn object_name(sql: &str, kind: Kind) -> Result<ObjectName, String> {
    let toks = tokens(sql);
    let wanted: &[&str] = match kind {
        Kind::Function => &["function", "procedure"],
        Kind::View => &["view"],
    };
    for start in (0..toks.len()).filter(|&i| is_word(toks.get(i), &["create"])) {
        let mut j = start + 1;
        if is_word(toks.get(j), &["or"]) && is_word(toks.get(j + 1), &["replace"]) {
            j += 2;
        }
        let mut temporary = false;
        while is_word(
            toks.get(j),
            &["temp", "temporary", "recursive", "materialized"],
        ) {
            temporary |= is_word(toks.get(j), &["temp", "temporary"]);
            j += 1;
        }
        if !is_word(toks.get(j), wanted) {
            continue;
        }
        if temporary {
            return Err(format!(
                "a temporary {} lasts only as long as the session that creates it; remove TEMP",
                kind.as_str()
            ));
        }
        j += 1;
        if is_word(toks.get(j), &["if"]) {
            j += 3; // IF NOT EXISTS
        }
        return qualified_name(&toks[j.min(toks.len())..], kind);
    }
    Err(format!(
        "no `CREATE [OR REPLACE] {} name` statement found; each file in db/{}s/ creates one {}",
        kind.as_str().to_uppercase(),
        kind.as_str(),
        kind.as_str()
    ))
}

/// `name`, `schema.name`; a third part (a database name) is refused.
fn qualified_name(toks: &[Token], kind: Kind) -> Result<ObjectName, String> {
    let mut parts = Vec::new();
    let mut k = 0;
    loop {
        match toks.get(k) {
            Some(Token::Word(w)) => parts.push(w.clone()),
            Some(Token::Quoted(q)) if !q.is_empty() => parts.push(q.clone()),
            _ => return Err(format!("the {} has no name after CREATE", kind.as_str())),
        }
        if toks.get(k + 1) != Some(&Token::Punct('.')) {
            break;
        }
        k += 2;
    }
    if parts.iter().any(|p| p.contains('.')) {
        return Err("a name with a dot inside quotes is not supported; rename the object".into());
    }
    match parts.as_slice() {
        [name] => Ok(ObjectName {
            schema: UNQUALIFIED_SCHEMA.to_string(),
            name: name.clone(),
        }),
        [schema, name] => Ok(ObjectName {
            schema: schema.clone(),
            name: name.clone(),
        }),
        _ => Err(format!(
            "`{}` has {} parts; name the {} as schema.name",
            parts.join("."),
            parts.len(),
            kind.as_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sql: &str) -> Result<String, String> {
        object_name(sql, Kind::View).map(|n| n.key())
    }

    #[test]
    fn unquoted_names_fold_to_lower_case_and_quoted_ones_keep_their_case() {
        assert_eq!(
            view("create view App.Low_Stock as select 1").unwrap(),
            "app.low_stock"
        );
        assert_eq!(
            view("CREATE OR REPLACE VIEW app.\"Mixed\" AS SELECT 1").unwrap(),
            "app.Mixed"
        );
        assert_eq!(
            view("CREATE VIEW \"App\" . \"a\"\"b\" AS SELECT 1").unwrap(),
            "App.a\"b"
        );
        let n = object_name("create view \"Sales\".\"Q\"\"1\" as select 1", Kind::View).unwrap();
        assert_eq!(n.quoted(), "\"Sales\".\"Q\"\"1\"");
    }

    #[test]
    fn an_unqualified_name_means_schema_app() {
        assert_eq!(
            view("create or replace view totals as select 1").unwrap(),
            "app.totals"
        );
        assert_eq!(
            object_name("CREATE FUNCTION f(x int) RETURNS int", Kind::Function)
                .unwrap()
                .key(),
            "app.f"
        );
    }

    #[test]
    fn comments_strings_and_bodies_never_name_the_object() {
        let sql = "-- create view app.no AS\n/* create /* nested */ view app.no2 */\n\
                   CREATE MATERIALIZED VIEW IF NOT EXISTS app.yes AS SELECT 'create view x'";
        assert_eq!(view(sql).unwrap(), "app.yes");
        let f = "CREATE OR REPLACE FUNCTION app.reserve_stock(p_sku text) RETURNS int \
                 AS $fn$ create view app.inner as select 1 $fn$ LANGUAGE sql";
        assert_eq!(
            object_name(f, Kind::Function).unwrap().key(),
            "app.reserve_stock"
        );
        assert_eq!(
            object_name(
                "CREATE PROCEDURE app.p() AS $$ select $1 $$",
                Kind::Function
            )
            .unwrap()
            .key(),
            "app.p"
        );
    }

    #[test]
    fn files_that_name_no_single_object_are_refused_with_a_reason() {
        assert!(
            view("CREATE TABLE app.t (id int)")
                .unwrap_err()
                .contains("no `CREATE [OR REPLACE] VIEW name`")
        );
        assert!(
            view("create temp view v as select 1")
                .unwrap_err()
                .contains("temporary")
        );
        assert!(
            view("create view db.app.v as select 1")
                .unwrap_err()
                .contains("3 parts")
        );
        assert!(
            view("create view \"a.b\".v as select 1")
                .unwrap_err()
                .contains("dot")
        );
        assert!(object_name("create view app.v as select 1", Kind::Function).is_err());
    }
}
