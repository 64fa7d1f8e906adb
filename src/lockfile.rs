/*!
The generated app's `Cargo.lock`. The engine pulls in about 600 crates; pinning
them once (in `templates/skeleton/Cargo.lock`, refreshed by
`scripts/update-app-lock.sh`) makes every generated app build the same tree:
reproducible, offline once fetched, and sharing one warm target folder.

The stored lock names the app `tasker-app-generated`; rendering renames that
package and moves it to where Cargo's sorted order puts it, so Cargo finds the
file exactly as it would write it (and `--locked` builds pass).
*/

use anyhow::{Result, bail};

pub const PLACEHOLDER: &str = "tasker-app-generated";
const SEPARATOR: &str = "\n[[package]]\n";

/// The lock for an app named `app_name`.
pub fn render(base: &str, app_name: &str) -> Result<String> {
    let mut parts = base.split(SEPARATOR);
    let header = parts.next().unwrap_or_default();
    let mut blocks: Vec<String> = parts.map(str::to_string).collect();
    let placeholder = format!("name = \"{PLACEHOLDER}\"\n");
    let Some(at) = blocks.iter().position(|b| b.starts_with(&placeholder)) else {
        bail!(
            "templates/skeleton/Cargo.lock has no `{PLACEHOLDER}` package; regenerate it with scripts/update-app-lock.sh"
        );
    };
    let root = blocks
        .remove(at)
        .replacen(&placeholder, &format!("name = \"{app_name}\"\n"), 1);
    let name_of = |b: &str| {
        b.strip_prefix("name = \"")
            .and_then(|r| r.split('"').next())
            .unwrap_or("")
            .to_string()
    };
    let insert_at = blocks
        .iter()
        .position(|b| name_of(b).as_str() > app_name)
        .unwrap_or(blocks.len());
    blocks.insert(insert_at, root);
    let mut out = header.to_string();
    for b in &blocks {
        out.push_str(SEPARATOR);
        out.push_str(b);
    }
    Ok(out)
}

/// The name of every package in a lock except the app's placeholder: the
/// crates a generated app depends on, directly or not.
pub fn dependency_names(lock: &str) -> impl Iterator<Item = &str> {
    lock.split(SEPARATOR)
        .skip(1)
        .filter_map(|b| b.strip_prefix("name = \"")?.split('"').next())
        .filter(|n| *n != PLACEHOLDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# lock\nversion = 4\n\n[[package]]\nname = \"anyhow\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"tasker-app-generated\"\nversion = \"0.1.0\"\ndependencies = [\n \"anyhow\",\n]\n\n[[package]]\nname = \"zerocopy\"\nversion = \"0.8.0\"\n";

    #[test]
    fn the_app_is_renamed_and_sorted_into_place() {
        let lock = render(BASE, "shop").unwrap();
        let names: Vec<&str> = lock
            .lines()
            .filter_map(|l| l.strip_prefix("name = "))
            .collect();
        assert_eq!(names, ["\"anyhow\"", "\"shop\"", "\"zerocopy\""]);
        assert!(lock.starts_with("# lock\nversion = 4\n"));
        assert!(!lock.contains(PLACEHOLDER));
        let first = render(BASE, "aaa").unwrap();
        assert!(first.find("\"aaa\"").unwrap() < first.find("\"anyhow\"").unwrap());
        let last = render(BASE, "zzz").unwrap();
        assert!(last.ends_with("dependencies = [\n \"anyhow\",\n]\n"));
    }

    #[test]
    fn the_embedded_lock_has_the_placeholder_and_the_engine() {
        let base = crate::catalog::load().unwrap().app_lock;
        let lock = render(base, "shop").unwrap();
        assert!(lock.contains("name = \"shop\""));
        assert!(lock.contains("name = \"tasker-worker\"\nversion = \"0.1.8\""));
        // The vendored protocol crate is a path package of the app's lock.
        assert!(lock.contains("name = \"tasker-app-db\"\nversion = \"0.1.0\"\ndependencies"));
        assert!(lock.contains(" \"tasker-app-db\",\n"));
    }
}
