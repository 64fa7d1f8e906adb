/*!
The engine's migrations, applied without the engine crates.

The generated app depends on `tasker-shared`, whose `migrations/` SQL files are what
`tasker_shared::database::migrator::MIGRATOR` (sqlx 0.8) embeds. tasker-app
reads the same files from Cargo's registry (`$CARGO_HOME/registry/src/<index>/
tasker-shared-VERSION/migrations`, downloaded by `cargo fetch` if absent: no
compiling, no protoc) and records each one in `_sqlx_migrations` exactly as
sqlx does, so the app's own `migrate` later finds them applied:

- file `<VERSION>_<DESCRIPTION>.sql`: version = the integer prefix,
  description = the rest without `.sql` (or `.up.sql`), `_` -> ` `;
  `.down.sql` files and files not of that shape are ignored;
- checksum = SHA-384 of the file's bytes;
- the row is `(version, description, success = TRUE, checksum,
  execution_time = nanoseconds)` in the table sqlx creates with the DDL below;
- the same advisory lock key as sqlx (CRC-32 of the database name times
  0x3d32ad9e), taken for the transaction, so a concurrent `APP migrate` waits.
*/

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha384};
use std::path::{Path, PathBuf};

/// sqlx 0.8's `ensure_migrations_table` DDL, verbatim in meaning.
pub const MIGRATIONS_TABLE_DDL: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);";

/// `cargo fetch` downloads about 600 crates the first time: generous, but bounded.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Overrides where the engine migrations are read from (tests, offline use).
pub const MIGRATIONS_DIR_ENV: &str = "TASKER_APP_ENGINE_MIGRATIONS";

#[derive(Debug, Clone)]
pub struct EngineMigration {
    pub version: i64,
    pub description: String,
    pub sql: String,
    pub checksum: Vec<u8>,
    /// The file starts with `-- no-transaction` (sqlx runs it outside a transaction).
    pub no_tx: bool,
    pub file_name: String,
}

/// Reads a migrations folder the way sqlx's `resolve_blocking` does, sorted by version.
pub fn load_dir(dir: &Path) -> Result<Vec<EngineMigration>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the engine migrations in {}", dir.display()))?;
    for entry in entries {
        let entry = entry
            .with_context(|| format!("cannot read the engine migrations in {}", dir.display()))?;
        let file_type = entry
            .file_type()
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        if !file_type.is_file() {
            continue;
        }
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some((version, rest)) = file_name.split_once('_') else {
            continue;
        };
        if !rest.ends_with(".sql") || rest.ends_with(".down.sql") {
            continue;
        }
        let version: i64 = version.parse().with_context(|| {
            format!("engine migration {file_name}: the name must start with an integer version")
        })?;
        let stem = rest
            .strip_suffix(".up.sql")
            .unwrap_or_else(|| rest.trim_end_matches(".sql"));
        // TASKER_APP_ENGINE_MIGRATIONS names any folder: regular files only.
        let bytes =
            tasker_app_db::files::read_regular(&entry.path(), tasker_app_db::files::MAX_SQL_FILE)
                .with_context(|| format!("cannot read engine migration {file_name}"))?;
        let sql = String::from_utf8(bytes)
            .with_context(|| format!("{} is not UTF-8", entry.path().display()))?;
        out.push(EngineMigration {
            version,
            description: stem.replace('_', " "),
            checksum: Sha384::digest(sql.as_bytes()).to_vec(),
            no_tx: sql.starts_with("-- no-transaction"),
            sql,
            file_name,
        });
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// sqlx's advisory-lock key for a database.
pub fn lock_id(database_name: &str) -> i64 {
    0x3d32ad9e_i64 * i64::from(crc32(database_name.as_bytes()))
}

/// CRC-32 (ISO-HDLC, the zlib one), bit by bit: the input is a database name.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The `tasker-shared` version an app pins: from its Cargo.lock when there is
/// one, else its Cargo.toml (`tasker-shared = "=X.Y.Z"`), else tasker-app's own.
pub fn pinned_version(app_dir: &Path) -> String {
    // Files of an app someone else may have written: regular files only.
    let read = |name: &str| {
        tasker_app_db::files::read_regular(&app_dir.join(name), tasker_app_db::files::MAX_SQL_FILE)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    };
    if let Some(lock) = read("Cargo.lock") {
        let mut lines = lock.lines();
        while let Some(line) = lines.next() {
            if line.trim() == "name = \"tasker-shared\""
                && let Some(v) = lines
                    .next()
                    .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return v.trim_end_matches('"').to_string();
            }
        }
    }
    if let Some(text) = read("Cargo.toml")
        && let Ok(doc) = text.parse::<toml::Table>()
    {
        let dep = doc.get("dependencies").and_then(|d| d.get("tasker-shared"));
        let req = dep.and_then(|d| {
            d.as_str()
                .or_else(|| d.get("version").and_then(|v| v.as_str()))
        });
        if let Some(req) = req {
            let v = req.trim().trim_start_matches(['=', '^', '~']).trim();
            if !v.is_empty() {
                return v.to_string();
            }
        }
    }
    crate::plan::TASKER_VERSION.to_string()
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// `registry/src/<index>/tasker-shared-VERSION/migrations` under Cargo's home.
pub fn find_in_registry(version: &str) -> Option<PathBuf> {
    let src = cargo_home()?.join("registry").join("src");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(src)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| {
            e.path()
                .join(format!("tasker-shared-{version}"))
                .join("migrations")
        })
        .filter(|p| p.is_dir())
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

/// Where the engine migrations of the app's pinned `tasker-shared` are:
/// `$TASKER_APP_ENGINE_MIGRATIONS`, else Cargo's registry, else after a
/// `cargo fetch` (a download, no build) of the app, or, for a folder that has
/// no `Cargo.toml` of its own, of a throw-away crate that depends on exactly
/// that `tasker-shared` (pinned by the engine tree tasker-app ships).
pub fn locate(app_dir: &Path, on_fetch: impl FnOnce(&str)) -> Result<(PathBuf, String)> {
    if let Some(dir) = std::env::var_os(MIGRATIONS_DIR_ENV) {
        let dir = PathBuf::from(dir);
        if !dir.is_dir() {
            bail!("{MIGRATIONS_DIR_ENV}={} is not a folder", dir.display());
        }
        return Ok((dir, "(from ".to_string() + MIGRATIONS_DIR_ENV + ")"));
    }
    let version = pinned_version(app_dir);
    if let Some(dir) = find_in_registry(&version) {
        return Ok((dir, version));
    }
    on_fetch(&version);
    let why = match fetch(app_dir, &version) {
        Ok(()) => "cargo fetch succeeded but the crate is not in the registry cache".to_string(),
        Err(e) => format!("{e:#}"),
    };
    if let Some(dir) = find_in_registry(&version) {
        return Ok((dir, version));
    }
    bail!(
        "cannot find the engine's migrations (tasker-shared {version}) under {}/registry/src: {why}\n\
         help: run `cargo fetch` in {} (needs crates.io), or set {MIGRATIONS_DIR_ENV} to a folder with the migration files",
        cargo_home()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.cargo".into()),
        app_dir.display()
    )
}

/// `cargo fetch` for the app; when the folder has no Cargo project of its own
/// (a bare `db/` folder) or Cargo cannot fetch it (a manifest without targets,
/// a workspace member, a broken file), for a stand-in crate that depends on
/// exactly the pinned `tasker-shared`.
fn fetch(app_dir: &Path, version: &str) -> Result<()> {
    let manifest = app_dir.join("Cargo.toml");
    let app_failure = if manifest.is_file() {
        match cargo_fetch(&manifest) {
            Ok(()) if find_in_registry(version).is_some() => return Ok(()),
            Ok(()) => None,
            Err(e) => Some(e),
        }
    } else {
        None
    };
    let stand_in = stand_in_crate(version)?;
    cargo_fetch(&stand_in.path().join("Cargo.toml")).map_err(|e| match app_failure {
        Some(first) => e.context(format!("for the app: {first:#}; then for a stand-in crate")),
        None => e,
    })
}

fn cargo_fetch(manifest: &Path) -> Result<()> {
    let output = crate::process::run(
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .arg("fetch")
            .arg("--manifest-path")
            .arg(manifest),
        FETCH_TIMEOUT,
        crate::process::Group::Shared,
    )
    .map_err(|e| anyhow::anyhow!("cargo fetch {e}"))?;
    if !output.status.success() {
        bail!(
            "cargo fetch failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// A temporary crate whose only dependency is `tasker-shared = "=VERSION"`.
/// When VERSION is the one tasker-app ships, the app's pinned lock comes
/// along, so the download is the same tree a generated app would fetch.
fn stand_in_crate(version: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("tasker-app-engine-fetch-")
        .tempdir()
        .context("cannot create a temporary folder for `cargo fetch`")?;
    let name = "tasker-app-engine-fetch";
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\ntasker-shared = \"={version}\"\n"
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest)?;
    std::fs::create_dir(dir.path().join("src"))?;
    std::fs::write(dir.path().join("src/lib.rs"), "")?;
    if version == crate::plan::TASKER_VERSION {
        let lock = crate::lockfile::render(crate::catalog::load()?.app_lock, name)?;
        std::fs::write(dir.path().join("Cargo.lock"), lock)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn names_parse_like_sqlx() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("20250101000001_make_the_things.sql"),
            "select 1;",
        )
        .unwrap();
        std::fs::write(dir.path().join("20250101000002_undo.down.sql"), "x").unwrap();
        std::fs::write(dir.path().join("README.md"), "x").unwrap();
        std::fs::write(
            dir.path().join("20250101000000_first.up.sql"),
            "-- no-transaction\nselect 0;",
        )
        .unwrap();
        let m = load_dir(dir.path()).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].version, m[0].description.as_str(), m[0].no_tx),
            (20250101000000, "first", true)
        );
        assert_eq!(m[1].description, "make the things");
        assert_eq!(
            hex::encode(&m[1].checksum),
            hex::encode(Sha384::digest(b"select 1;"))
        );
    }

    #[test]
    fn the_pinned_version_comes_from_the_app() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[dependencies]\ntasker-shared = \"=9.9.9\"\n",
        )
        .unwrap();
        assert_eq!(pinned_version(dir.path()), "9.9.9");
    }
}
