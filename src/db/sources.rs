/*!
The SQL a database step applies, read from an app's `db/` folder, from the
embedded catalog, or from the files of a build plan (for `--dry-run`). The
folder layout decides what a file is:

| folder        | applied                        | tracked in                          |
|---------------|--------------------------------|-------------------------------------|
| `bootstrap/`  | every run (idempotent)         | -                                   |
| `compat/`     | every run (guarded, idempotent)| -                                   |
| `migrations/` | once, by version `NNNN_name`   | `tasker_app.applied_migrations`     |
| `functions/`  | when new, changed or drifted   | `tasker_app.database_objects`       |
| `views/`      | when new, changed or drifted   | `tasker_app.database_objects`       |

A function or view file creates one object; its name is read from the first
`CREATE [OR REPLACE] FUNCTION|VIEW schema.name` in the file (an unqualified
name means schema `app`). Files are applied in file-name order within a folder.
*/

use crate::manifest::sha256_hex;
use anyhow::{Context, Result, bail};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Function,
    View,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Function => "function",
            ObjectKind::View => "view",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SqlFile {
    /// Path relative to `db/`, with `/` separators: `views/app.orders_dashboard.sql`.
    pub rel_path: String,
    pub sql: String,
    pub sha256: String,
}

#[derive(Debug, Clone)]
pub struct AppMigration {
    pub file: SqlFile,
    /// The part before the first `_`: `0001`.
    pub version: String,
    /// The rest without `.sql`: `orders_and_lines`.
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct DbObject {
    pub file: SqlFile,
    pub kind: ObjectKind,
    /// `schema.name`.
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct DbSources {
    pub bootstrap: Vec<SqlFile>,
    pub compat: Vec<SqlFile>,
    pub migrations: Vec<AppMigration>,
    pub functions: Vec<DbObject>,
    pub views: Vec<DbObject>,
}

impl DbSources {
    /// Reads an app's `db/` folder (a missing folder or subfolder is empty).
    pub fn from_dir(db_dir: &Path) -> Result<Self> {
        let mut files = Vec::new();
        for sub in ["bootstrap", "compat", "migrations", "functions", "views"] {
            let dir = db_dir.join(sub);
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
            };
            for entry in entries {
                let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
                if !entry.file_type()?.is_file() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let bytes = std::fs::read(entry.path())
                    .with_context(|| format!("cannot read {}", entry.path().display()))?;
                files.push((format!("{sub}/{name}"), bytes));
            }
        }
        Self::from_files(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
            .with_context(|| format!("in {}", db_dir.display()))
    }

    /// The SQL embedded in this tasker-app (`database_objects/`).
    pub fn embedded() -> Result<Self> {
        Self::from_files(
            embedded_files()?
                .iter()
                .map(|(p, b)| (p.as_str(), b.as_slice())),
        )
    }

    /// Builds from (path relative to `db/`, bytes) pairs; other paths are ignored.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Result<Self> {
        let mut s = DbSources::default();
        let mut files: Vec<_> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        for (rel, bytes) in files {
            let Some((folder, file_name)) = rel.split_once('/') else {
                continue;
            };
            if !file_name.ends_with(".sql") || file_name.contains('/') {
                continue;
            }
            let sql = String::from_utf8(bytes.to_vec())
                .with_context(|| format!("db/{rel} is not UTF-8"))?;
            let file = SqlFile {
                rel_path: rel.to_string(),
                sha256: sha256_hex(bytes),
                sql,
            };
            match folder {
                "bootstrap" => s.bootstrap.push(file),
                "compat" => s.compat.push(file),
                "migrations" => {
                    let stem = file_name.trim_end_matches(".sql");
                    let Some((version, name)) = stem.split_once('_') else {
                        bail!("db/{rel}: a migration file is named NNNN_what_it_does.sql");
                    };
                    s.migrations.push(AppMigration {
                        version: version.to_string(),
                        name: name.to_string(),
                        file,
                    });
                }
                "functions" => s.functions.push(object(file, ObjectKind::Function)?),
                "views" => s.views.push(object(file, ObjectKind::View)?),
                _ => {}
            }
        }
        let mut versions: Vec<&str> = s.migrations.iter().map(|m| m.version.as_str()).collect();
        versions.dedup();
        if versions.len() != s.migrations.len() {
            bail!(
                "two files in db/migrations share a version number; give each its own NNNN_ prefix"
            );
        }
        Ok(s)
    }

    pub fn objects(&self) -> impl Iterator<Item = &DbObject> {
        self.functions.iter().chain(self.views.iter())
    }
}

/// The embedded `database_objects/` files as (path relative to it, bytes).
pub fn embedded_files() -> Result<Vec<(String, Vec<u8>)>> {
    let catalog = crate::catalog::load()?;
    let mut out: Vec<(String, Vec<u8>)> = crate::render::walk(catalog.database_objects)
        .into_iter()
        .map(|f| {
            let rel = f.path().to_string_lossy().replace('\\', "/");
            (rel, f.contents().to_vec())
        })
        .collect();
    out.sort();
    Ok(out)
}

fn object(file: SqlFile, kind: ObjectKind) -> Result<DbObject> {
    let name = object_name(&file.sql, kind).with_context(|| {
        format!(
            "db/{}: no `CREATE [OR REPLACE] {} schema.name` found",
            file.rel_path,
            kind.as_str().to_uppercase()
        )
    })?;
    Ok(DbObject { file, kind, name })
}

/// The name of the first function or view the SQL creates, `schema.name`,
/// lower-cased unless quoted. Comments are skipped.
pub fn object_name(sql: &str, kind: ObjectKind) -> Option<String> {
    let code: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let words: Vec<&str> = code.split_whitespace().collect();
    for i in 0..words.len() {
        if !words[i].eq_ignore_ascii_case("create") {
            continue;
        }
        let mut j = i + 1;
        if words.get(j).is_some_and(|w| w.eq_ignore_ascii_case("or")) {
            j += 2;
        }
        while words.get(j).is_some_and(|w| {
            ["temp", "temporary", "recursive", "materialized"]
                .iter()
                .any(|k| w.eq_ignore_ascii_case(k))
        }) {
            j += 1;
        }
        let wanted: &[&str] = match kind {
            ObjectKind::Function => &["function", "procedure"],
            ObjectKind::View => &["view"],
        };
        if !words
            .get(j)
            .is_some_and(|w| wanted.iter().any(|k| w.eq_ignore_ascii_case(k)))
        {
            continue;
        }
        let raw = words.get(j + 1)?;
        let raw = raw.split('(').next().unwrap_or(raw);
        let parts: Vec<String> = raw
            .split('.')
            .map(|p| {
                if p.starts_with('"') {
                    p.trim_matches('"').to_string()
                } else {
                    p.to_ascii_lowercase()
                }
            })
            .collect();
        return match parts.as_slice() {
            [name] => Some(format!("app.{name}")),
            [schema, name] => Some(format!("{schema}.{name}")),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_come_from_the_sql() {
        let f = "-- reserves stock\nCREATE OR REPLACE FUNCTION app.reserve_stock(p_sku text) RETURNS int AS $$ select 1 $$ LANGUAGE sql;";
        assert_eq!(
            object_name(f, ObjectKind::Function).as_deref(),
            Some("app.reserve_stock")
        );
        assert_eq!(
            object_name("create view Low_Stock as select 1", ObjectKind::View).as_deref(),
            Some("app.low_stock")
        );
        assert_eq!(
            object_name(
                "CREATE OR REPLACE VIEW \"App\".x AS select 1",
                ObjectKind::View
            )
            .as_deref(),
            Some("App.x")
        );
        assert_eq!(object_name("select 1", ObjectKind::View), None);
    }

    #[test]
    fn folders_decide_what_a_file_is() {
        let files = [
            ("migrations/0002_b.sql", &b"select 2"[..]),
            ("migrations/0001_a_b.sql", b"select 1"),
            ("views/v.sql", b"create view app.v as select 1"),
            (
                "functions/f.sql",
                b"create function app.f() returns int as 'select 1' language sql",
            ),
            ("README.md", b"x"),
        ];
        let s = DbSources::from_files(files.iter().map(|(p, b)| (*p, *b))).unwrap();
        assert_eq!(
            s.migrations
                .iter()
                .map(|m| m.version.as_str())
                .collect::<Vec<_>>(),
            ["0001", "0002"]
        );
        assert_eq!(s.migrations[0].name, "a_b");
        assert_eq!(s.views[0].name, "app.v");
        assert_eq!(s.functions[0].name, "app.f");
    }

    #[test]
    fn the_embedded_objects_parse() {
        let s = DbSources::embedded().unwrap();
        assert!(!s.bootstrap.is_empty());
        assert_eq!(s.compat.len(), 1);
    }
}
