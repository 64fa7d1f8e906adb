/*!
Pure rendering: an embedded folder plus a Tera context in, a sorted list of
files out. Files ending in `.tera` are rendered in strict mode (an undefined
variable is an error naming the file); all others are copied byte for byte.
*/

use anyhow::{Context, Result, bail};
use include_dir::Dir;
use std::path::{Component, Path};

pub const TERA_SUFFIX: &str = ".tera";

static TRACE: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// From now on, names each template on stderr (after `prefix`) before it is
/// rendered: the rendering child (`catalog_source`) does, so whatever ends
/// it is reported against the file.
pub fn trace_templates(prefix: &'static str) {
    let _ = TRACE.set(prefix);
}

/// A file of the generated app: its path relative to the app folder and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// `/`-separated, relative, never leaving the app folder.
    pub path: String,
    pub contents: Vec<u8>,
}

/// Every file below `dir`, recursively, as (path relative to `dir`, file).
pub fn walk<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        out.extend(d.files());
        stack.extend(d.dirs());
    }
    out
}

/// Renders every file below `dir` into `out`, paths relative to `dir`.
/// `origin` names the folder in error messages (e.g. `templates/skeleton/files`).
pub fn render_dir(
    dir: &Dir<'_>,
    origin: &str,
    ctx: &tera::Context,
    out: &mut Vec<RenderedFile>,
) -> Result<()> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    crate::escape::register(&mut tera);
    for file in walk(dir) {
        let rel = file.path().strip_prefix(dir.path()).unwrap_or(file.path());
        let rel_str = safe_relative(rel).with_context(|| format!("{origin}/{}", rel.display()))?;
        if file.path().file_name().is_some_and(|n| n == ".gitkeep") {
            continue;
        }
        if let Some(target) = rel_str.strip_suffix(TERA_SUFFIX) {
            if let Some(prefix) = TRACE.get() {
                eprintln!("{prefix}{origin}/{rel_str}");
            }
            let source = file
                .contents_utf8()
                .with_context(|| format!("{origin}/{rel_str} is not UTF-8"))?;
            tera.add_raw_template(&rel_str, source)
                .with_context(|| format!("cannot parse template {origin}/{rel_str}"))?;
            let text = tera
                .render(&rel_str, ctx)
                .map_err(flatten_tera)
                .with_context(|| format!("cannot render template {origin}/{rel_str}"))?;
            out.push(RenderedFile {
                path: target.to_string(),
                contents: text.into_bytes(),
            });
        } else {
            out.push(RenderedFile {
                path: rel_str,
                contents: file.contents().to_vec(),
            });
        }
    }
    Ok(())
}

/// Tera hides the real cause (e.g. "Variable `x` not found") in its source chain;
/// bring it into one message.
fn flatten_tera(err: tera::Error) -> anyhow::Error {
    let mut msg = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    anyhow::anyhow!(msg)
}

/// A `/`-joined relative path, refusing anything that could leave the app folder.
pub fn safe_relative(path: &Path) -> Result<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => {
                parts.push(p.to_str().context("path is not UTF-8")?.to_string())
            }
            Component::CurDir => {}
            _ => bail!("path `{}` leaves the app folder", path.display()),
        }
    }
    if parts.is_empty() {
        bail!("empty path");
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_cannot_escape() {
        assert_eq!(
            safe_relative(Path::new("src/main.rs")).unwrap(),
            "src/main.rs"
        );
        assert!(safe_relative(Path::new("../x")).is_err());
        assert!(safe_relative(Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn strict_mode_names_the_missing_variable() {
        let mut tera = tera::Tera::default();
        tera.add_raw_template("t", "{{ nope }}").unwrap();
        let err = flatten_tera(tera.render("t", &tera::Context::new()).unwrap_err());
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
