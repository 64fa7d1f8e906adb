/*!
An app's `db/` folder: what each subfolder means, and which files are
accepted. The folder decides what a file is:

| folder        | applied                           | tracked in                      |
|---------------|-----------------------------------|---------------------------------|
| `bootstrap/`  | every run, first (idempotent SQL) | -                               |
| `compat/`     | every run (guarded, idempotent)   | -                               |
| `migrations/` | once, by version `NNNN_name.sql`  | `tasker_app.applied_migrations` |
| `functions/`  | when new, changed or drifted      | `tasker_app.database_objects`   |
| `views/`      | when new, changed or drifted      | `tasker_app.database_objects`   |

Only `*.sql` files directly in those folders count; anything else is ignored
(a README, an editor's backup). Within a folder files run in file-name
order (byte order of the name). The tracking schema itself is not a file
here: it is [`crate::sql::TRACKING_DDL`], which both sides run first.

[`Sources::from_files`] takes (path relative to `db/`, bytes) pairs, so the
CLI can feed it the files of a plan or its embedded catalog and an app its
own folder; [`read_dir`] reads a folder into those pairs.
*/

use crate::files::{self, MAX_SQL_FILE};
use crate::name::{Kind, ObjectName, object_name};
use crate::statements;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The subfolders of `db/`, in the order their files are applied (the
/// engine's migrations come between `compat` and `migrations`).
pub const FOLDERS: [&str; 5] = ["bootstrap", "compat", "migrations", "functions", "views"];

/// A file the protocol refuses, and why. Both sides show it the same way:
/// `db/<path>: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Path relative to `db/`, e.g. `views/stock.sql`.
    pub path: String,
    /// The line the reason is about (1-based), when it is about one.
    pub line: Option<usize>,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "db/{}:{line}: {}", self.path, self.reason),
            None => write!(f, "db/{}: {}", self.path, self.reason),
        }
    }
}

impl std::error::Error for Refusal {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFile {
    /// Path relative to `db/`, `/`-separated: `views/order_summaries.sql`.
    pub rel_path: String,
    pub sql: String,
    /// Hex sha256 of the file's bytes, as recorded in the tracking tables.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub file: SqlFile,
    /// The part before the first `_`: `0001`.
    pub version: String,
    /// The rest, without `.sql`: `domain_tables`.
    pub name: String,
}

/// A function or view file: one object, named by its CREATE statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub file: SqlFile,
    pub kind: Kind,
    pub name: ObjectName,
}

/// Every accepted file of a `db/` folder, each list in apply order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub bootstrap: Vec<SqlFile>,
    pub compat: Vec<SqlFile>,
    pub migrations: Vec<Migration>,
    pub functions: Vec<Object>,
    pub views: Vec<Object>,
}

impl Sources {
    /// Classifies (path relative to `db/`, bytes) pairs. Paths outside the
    /// five folders, in deeper folders, or not ending in `.sql` are ignored.
    /// The first file the protocol cannot accept (in path order) refuses
    /// the whole set, so nothing is applied from a folder that is half wrong.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Self, Refusal> {
        let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let mut s = Sources::default();
        for (rel, bytes) in files {
            let Some((folder, file_name)) = rel.split_once('/') else {
                continue;
            };
            if !FOLDERS.contains(&folder) || file_name.contains('/') || !file_name.ends_with(".sql")
            {
                continue;
            }
            let refuse = |reason: String| Refusal {
                path: rel.to_string(),
                line: None,
                reason,
            };
            let sql = String::from_utf8(bytes.to_vec())
                .map_err(|_| refuse("not UTF-8 text; save the file as UTF-8".into()))?;
            if let Some(found) = statements::transaction_control(&sql) {
                return Err(Refusal {
                    path: rel.to_string(),
                    line: Some(found.line),
                    reason: statements::refusal_reason(&found),
                });
            }
            let file = SqlFile {
                rel_path: rel.to_string(),
                sha256: sha256_hex(bytes),
                sql,
            };
            match folder {
                "bootstrap" => s.bootstrap.push(file),
                "compat" => s.compat.push(file),
                "migrations" => s.migrations.push(migration(file).map_err(refuse)?),
                "functions" => s
                    .functions
                    .push(object(file, Kind::Function).map_err(refuse)?),
                _ => s.views.push(object(file, Kind::View).map_err(refuse)?),
            }
        }
        s.refuse_duplicates()?;
        Ok(s)
    }

    /// Functions, then views, each in file-name order: the apply order.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.functions.iter().chain(self.views.iter())
    }

    /// Two migrations with one version, or two files creating one object,
    /// would make the tracking tables ambiguous.
    fn refuse_duplicates(&self) -> Result<(), Refusal> {
        for (i, m) in self.migrations.iter().enumerate() {
            if let Some(first) = self.migrations[..i].iter().find(|o| o.version == m.version) {
                return Err(Refusal {
                    path: m.file.rel_path.clone(),
                    line: None,
                    reason: format!(
                        "version {} is taken by db/{}; give each migration its own NNNN_ prefix",
                        m.version, first.file.rel_path
                    ),
                });
            }
        }
        let objects: Vec<&Object> = self.objects().collect();
        for (i, o) in objects.iter().enumerate() {
            if let Some(first) = objects[..i].iter().find(|p| p.name == o.name) {
                return Err(Refusal {
                    path: o.file.rel_path.clone(),
                    line: None,
                    reason: format!(
                        "creates {}, which db/{} creates too; one object per file",
                        o.name, first.file.rel_path
                    ),
                });
            }
        }
        Ok(())
    }
}

fn migration(file: SqlFile) -> Result<Migration, String> {
    let file_name = file.rel_path.rsplit('/').next().unwrap_or_default();
    let stem = file_name.trim_end_matches(".sql");
    match stem.split_once('_') {
        Some((version, name)) if !version.is_empty() && !name.is_empty() => Ok(Migration {
            version: version.to_string(),
            name: name.to_string(),
            file,
        }),
        _ => Err("a migration file is named NNNN_what_it_does.sql".into()),
    }
}

fn object(file: SqlFile, kind: Kind) -> Result<Object, String> {
    let name = object_name(&file.sql, kind)?;
    Ok(Object { file, kind, name })
}

/// Hex sha256, the form the tracking tables store.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The files of a `db/` folder as (path relative to it, bytes), for
/// [`Sources::from_files`]. A missing folder or subfolder is empty.
///
/// `db/` may come from someone else's repository, so nothing in it is
/// followed: `db/` itself, a subfolder or a `.sql` file that is a symbolic
/// link is refused, and so is a `.sql` entry that is no regular file (a
/// FIFO would block, a device never ends) or is larger than
/// [`MAX_SQL_FILE`]. Every error names the path.
pub fn read_dir(db_dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    match std::fs::symlink_metadata(db_dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", db_dir.display()),
            ));
        }
        Ok(m) if m.file_type().is_symlink() => return Err(linked(db_dir)),
        Ok(_) => {}
    }
    for folder in FOLDERS {
        let dir = db_dir.join(folder);
        match std::fs::symlink_metadata(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Ok(m) if m.file_type().is_symlink() => return Err(linked(&dir)),
            _ => {}
        }
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".sql") {
                continue;
            }
            let bytes = files::read_regular_no_follow(&entry.path(), MAX_SQL_FILE)?;
            files.push((format!("{folder}/{name}"), bytes));
        }
    }
    files.sort();
    Ok(files)
}

fn linked(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; db/ files are read only from the app itself: replace the link by the folder",
            path.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Result<Sources, Refusal> {
        Sources::from_files(files.iter().map(|(p, s)| (*p, s.as_bytes())))
    }

    #[test]
    fn folders_decide_what_a_file_is_and_names_decide_the_order() {
        let s = sources(&[
            ("migrations/0002_b.sql", "select 2"),
            ("migrations/0001_a_b.sql", "select 1"),
            ("views/b.sql", "create view app.b as select 1"),
            ("views/a.sql", "create view a as select 1"),
            (
                "functions/f.sql",
                "create function app.f() returns int as 'select 1' language sql",
            ),
            ("compat/uuidv7.sql", "select 1"),
            ("README.md", "x"),
            ("views/notes.txt", "x"),
            ("views/old/x.sql", "x"),
        ])
        .unwrap();
        let versions: Vec<_> = s
            .migrations
            .iter()
            .map(|m| (m.version.as_str(), m.name.as_str()))
            .collect();
        assert_eq!(versions, [("0001", "a_b"), ("0002", "b")]);
        let names: Vec<_> = s.objects().map(|o| o.name.key()).collect();
        assert_eq!(names, ["app.f", "app.a", "app.b"]);
        assert_eq!(s.compat.len(), 1);
        assert_eq!(
            s.views[0].file.sha256,
            sha256_hex(b"create view a as select 1")
        );
    }

    #[test]
    fn a_refused_file_is_named_with_the_reason() {
        let err = sources(&[
            ("views/ok.sql", "create view v as select 1"),
            ("views/t.sql", "create table t ()"),
        ])
        .unwrap_err();
        assert_eq!(err.path, "views/t.sql");
        assert!(
            err.to_string()
                .starts_with("db/views/t.sql: no `CREATE [OR REPLACE] VIEW name`"),
            "{err}"
        );

        let err =
            sources(&[("migrations/0001_a.sql", ""), ("migrations/0001_b.sql", "")]).unwrap_err();
        assert!(
            err.to_string()
                .contains("taken by db/migrations/0001_a.sql"),
            "{err}"
        );
        let err = sources(&[("migrations/init.sql", "")]).unwrap_err();
        assert!(err.reason.contains("NNNN_"), "{err}");

        // `v` unqualified is `app.v`: the same object as app.v.
        let err = sources(&[
            ("views/a.sql", "create view v as select 1"),
            ("views/b.sql", "create view app.V as select 1"),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "db/views/b.sql: creates app.v, which db/views/a.sql creates too; one object per file"
        );
        assert!(
            Sources::from_files([("views/x.sql", &[0xff_u8][..])])
                .unwrap_err()
                .reason
                .contains("UTF-8")
        );
    }
}
