/*!
Which catalog a run uses, and how a catalog from a folder is rendered.

The embedded catalog is ours and renders in this process. A folder catalog
(`--catalog`, `TASKER_APP_CATALOG`, or the one an app's manifest records) may
come from someone else's repository, and Tera runs whatever its templates say:
a macro that calls itself without end overflows the stack (an abort, not an
error), `range(end=2000000000)` allocates until the allocator aborts, nested
loops never end. None of that can be caught inside a process. So a folder
catalog is loaded and rendered in a child process of this same binary
(`tasker-app __render-catalog`), with limits the kernel enforces: memory
(RLIMIT_AS), CPU time (RLIMIT_CPU), no files written (RLIMIT_FSIZE), no core
dump, a wall-clock limit here, and a bound on what it may hand back. The
child names each template before rendering it, so whatever ends it (a
crash, a limit) is reported against the file, and nothing is written.
*/

use crate::catalog::{self, Catalog, Workflow};
use crate::error::{CliError, Exit};
use crate::manifest::{Answers, Manifest};
use crate::render::RenderedFile;
use anyhow::{Context, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The hidden first argument that makes the binary the rendering child.
pub const CHILD_ARG: &str = "__render-catalog";

/// Limits of one rendering child.
pub const MEMORY_LIMIT: u64 = 2 << 30;
pub const CPU_SECONDS: u64 = 10;
pub const WALL_LIMIT: Duration = Duration::from_secs(20);
/// What a rendering may produce in all (tasker-app's own app: about 1.5 MB).
pub const OUTPUT_LIMIT: usize = 256 << 20;

/// The catalog to use: `--catalog DIR` (or `TASKER_APP_CATALOG`, already
/// merged into `dir` by clap) when given, else the embedded one.
pub fn choose(dir: Option<&Path>) -> Result<Catalog> {
    match dir {
        Some(dir) => load_folder(dir),
        None => catalog::load(),
    }
}

/// The catalog for the app in `app_dir`: `--catalog` (or TASKER_APP_CATALOG)
/// when given, else the one its manifest records, else the embedded one.
/// `manifest`: the app's manifest, read once by the caller (`None`: the
/// app has none).
pub fn for_app(
    flag: Option<&Path>,
    app_dir: &Path,
    manifest: Option<&Manifest>,
) -> Result<Catalog> {
    if flag.is_some() {
        return choose(flag);
    }
    let recorded = manifest.and_then(|m| m.catalog.clone());
    let manifest_path = app_dir.join(crate::manifest::PATH);
    match recorded {
        // A relative folder in a manifest (which may come from someone else's
        // repository) is one inside the app, by the path rule, reached
        // without a link.
        Some(dir) if Path::new(&dir).is_relative() => {
            let inside = crate::app_path::AppPath::parse(&dir).map_err(|e| {
                anyhow!(
                    "the manifest is not valid: its catalog {e} ({})",
                    manifest_path.display()
                )
            })?;
            if let Err(link @ crate::app_path::Obstacle::Link(..)) = crate::app_path::check_on_disk(
                app_dir,
                &inside,
                crate::app_path::Expect::FileOrNothing,
            ) {
                return Err(anyhow!(
                    "the catalog the manifest names is reached through a link: {link}; pass --catalog with the folder to use"
                ));
            }
            load_folder(&inside.under(app_dir))
        }
        Some(dir) => load_folder(Path::new(&dir)).with_context(|| {
            format!(
                "the app was generated from the catalog {dir} ({}); restore that folder, or pass --catalog with where it is now",
                manifest_path.display()
            )
        }),
        None => catalog::load(),
    }
}

/// A folder catalog, read and checked: every workflow renders alone with the
/// skeleton (in the child), so a broken template is reported now and by file.
fn load_folder(dir: &Path) -> Result<Catalog> {
    let catalog = crate::catalog_dir::load(dir)?;
    let answers = Answers {
        app_name: "catalog-check".to_string(),
        api_base_url: crate::plan::DEFAULT_API_BASE_URL.to_string(),
        observability: true,
        no_shared_build: false,
    };
    let sets = catalog
        .workflows
        .iter()
        .map(|w| vec![w.name.clone()])
        .collect();
    render_in_child(&catalog, &answers, sets)?;
    Ok(catalog)
}

/// Renders the app for `workflows` from `catalog`: in this process for the
/// embedded catalog, in a limited child for a folder.
pub fn render(
    catalog: &Catalog,
    answers: &Answers,
    workflows: &[&Workflow],
) -> Result<Vec<RenderedFile>> {
    if catalog.dir.is_none() {
        return crate::plan::render_app(catalog, answers, workflows);
    }
    let set = workflows.iter().map(|w| w.name.clone()).collect();
    render_in_child(catalog, answers, vec![set])
}

/// What the parent asks of the child: render each set of workflows in turn
/// (all but the last are trial renders) and hand back the last rendering.
#[derive(Serialize, Deserialize)]
struct Request {
    catalog: PathBuf,
    answers: Answers,
    sets: Vec<Vec<String>>,
}

fn render_in_child(
    catalog: &Catalog,
    answers: &Answers,
    sets: Vec<Vec<String>>,
) -> Result<Vec<RenderedFile>> {
    let dir = catalog.dir.clone().expect("a folder catalog");
    let request = Request {
        catalog: dir.clone(),
        answers: answers.clone(),
        sets,
    };
    let exe = std::env::current_exe()
        .context("cannot find tasker-app's own binary to render the catalog")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(CHILD_ARG).arg(serde_json::to_string(&request)?);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: only setrlimit(2), which is async-signal-safe, runs between
        // fork and exec; no memory is allocated or shared.
        unsafe {
            cmd.pre_exec(|| {
                let limit = |resource, value: u64| {
                    let rl = libc::rlimit {
                        rlim_cur: value as libc::rlim_t,
                        rlim_max: value as libc::rlim_t,
                    };
                    if libc::setrlimit(resource, &rl) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                };
                limit(libc::RLIMIT_AS, MEMORY_LIMIT)?;
                limit(libc::RLIMIT_CPU, CPU_SECONDS)?;
                limit(libc::RLIMIT_FSIZE, 0)?;
                limit(libc::RLIMIT_CORE, 0)
            });
        }
    }
    let failed = |why: String| -> anyhow::Error {
        CliError::new(Exit::Failed, format!("the catalog {} cannot be used: {why}; nothing was written", dir.display()))
            .with_help("fix or remove that template (a catalog's templates must render quickly, in bounded memory, without recursion that never ends), or build from the built-in catalog (leave out --catalog)")
            .into()
    };
    let (out, timed_out) = run_child(&mut cmd).map_err(|e| {
        anyhow!(
            "cannot render the catalog {}: tasker-app could not be started ({e})",
            dir.display()
        )
    })?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last_template = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(PROGRESS))
        .next_back()
        .map(str::to_string);
    let at = last_template
        .as_ref()
        .map_or(String::new(), |t| format!(" while rendering {t}"));
    if timed_out {
        return Err(failed(format!(
            "rendering took longer than {} s and was stopped{at}",
            WALL_LIMIT.as_secs()
        )));
    }
    if out.status.success() {
        return decode(&out.stdout)
            .ok_or_else(|| anyhow!("internal error: the catalog's rendering came back damaged"));
    }
    // The child's own error: its message, as the child said it.
    if out.status.code() == Some(1) {
        let message: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with(PROGRESS))
            .collect();
        return Err(anyhow!("{}", message.join("\n").trim()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let why = match out.status.signal() {
            Some(libc::SIGXCPU) | Some(libc::SIGKILL) => {
                format!("rendering used more than {CPU_SECONDS} s of CPU{at}")
            }
            Some(libc::SIGSEGV) | Some(libc::SIGBUS) => format!(
                "rendering overflowed its stack{at} (a macro that calls itself without end?)"
            ),
            Some(libc::SIGABRT) if stderr.contains("overflowed its stack") => {
                format!(
                    "rendering overflowed its stack{at} (a macro that calls itself without end?)"
                )
            }
            Some(libc::SIGABRT) if stderr.contains("memory allocation") => {
                format!(
                    "rendering needed more than {} MB of memory{at}",
                    MEMORY_LIMIT >> 20
                )
            }
            Some(sig) => format!("rendering was ended by signal {sig}{at}"),
            None => format!("rendering failed{at} (exit {:?})", out.status.code()),
        };
        Err(failed(why))
    }
    #[cfg(not(unix))]
    Err(failed(format!("rendering failed{at}")))
}

/// Runs the child within [`WALL_LIMIT`]; on timeout it is killed and what it
/// printed so far is still returned (`true`: it timed out), so the error can
/// name the template it was rendering. Ctrl-C reaches it with tasker-app.
fn run_child(cmd: &mut std::process::Command) -> std::io::Result<(std::process::Output, bool)> {
    use std::io::Read;
    use std::process::Stdio;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe
                .by_ref()
                .take(OUTPUT_LIMIT as u64 * 2)
                .read_to_end(&mut buf);
            buf
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("piped")));
    let stderr = read(Box::new(child.stderr.take().expect("piped")));
    let started = std::time::Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        if started.elapsed() > WALL_LIMIT {
            let _ = child.kill();
            break (child.wait()?, true);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    };
    Ok((output, timed_out))
}

/// Printed by the child on stderr before each template it renders.
pub const PROGRESS: &str = "rendering: ";

/// The child: `tasker-app __render-catalog REQUEST`. Returns the exit code:
/// 0 with the rendering on stdout, 1 with the error on stderr.
pub fn child_main(request: &str) -> u8 {
    use std::io::Write;
    let result = (|| -> Result<Vec<u8>> {
        let request: Request = serde_json::from_str(request).context("a bad request")?;
        crate::render::trace_templates(PROGRESS);
        let catalog = crate::catalog_dir::load(&request.catalog)?;
        let mut last = Vec::new();
        for set in &request.sets {
            let workflows = catalog.resolve(set).map_err(|e| anyhow!("{}", e.message))?;
            last = crate::plan::render_app(&catalog, &request.answers, &workflows).with_context(
                || {
                    if set.len() == 1 {
                        format!("the catalog's template `{}` does not render", set[0])
                    } else {
                        "the catalog does not render".to_string()
                    }
                },
            )?;
            let total: usize = last.iter().map(|f| f.contents.len() + f.path.len()).sum();
            anyhow::ensure!(
                total <= OUTPUT_LIMIT,
                "the catalog renders {total} bytes, more than the {OUTPUT_LIMIT} an app may have"
            );
        }
        Ok(encode(&last))
    })();
    match result {
        Ok(bytes) => match std::io::stdout().lock().write_all(&bytes) {
            Ok(()) => 0,
            Err(_) => 1,
        },
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

/// The rendering as bytes: per file, the path's length (u32 LE), the path,
/// the contents' length (u64 LE), the contents.
fn encode(files: &[RenderedFile]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files {
        out.extend((f.path.len() as u32).to_le_bytes());
        out.extend(f.path.as_bytes());
        out.extend((f.contents.len() as u64).to_le_bytes());
        out.extend(&f.contents);
    }
    out
}

fn decode(mut bytes: &[u8]) -> Option<Vec<RenderedFile>> {
    let mut files = Vec::new();
    let take = |n: usize, bytes: &mut &[u8]| -> Option<Vec<u8>> {
        let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
        *bytes = rest;
        Some(head.to_vec())
    };
    while !bytes.is_empty() {
        let len = u32::from_le_bytes(take(4, &mut bytes)?.try_into().ok()?) as usize;
        let path = String::from_utf8(take(len, &mut bytes)?).ok()?;
        let len = u64::from_le_bytes(take(8, &mut bytes)?.try_into().ok()?) as usize;
        let contents = take(len, &mut bytes)?;
        files.push(RenderedFile { path, contents });
    }
    Some(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendering_round_trips() {
        let files = vec![
            RenderedFile {
                path: "a/b.rs".into(),
                contents: b"fn main() {}\n".to_vec(),
            },
            RenderedFile {
                path: "bin".into(),
                contents: vec![0, 1, 2, 255],
            },
        ];
        assert_eq!(decode(&encode(&files)).unwrap(), files);
        assert!(
            decode(&encode(&files)[..7]).is_none(),
            "a cut rendering is refused"
        );
    }
}
