/*!
Three-way merges and diffs of text files, for `update` and for conflicts.

The merge is `diffy`'s (base = what tasker-app generated last time, ours = the
file now, theirs = the new rendering); its conflict markers are relabelled the
way git labels them, so an owner sees whose side is whose:

```text
<<<<<<< yours
...
||||||| generated before
...
=======
...
>>>>>>> tasker-app 0.1.0
```

Diffs for `--dry-run` and the conflict prompt are unified diffs from `similar`.
*/

use crate::plan_types::{Action, FilePlan, Merged, Mode};

const OURS: &str = "yours";

const BASE: &str = "generated before";

/// Sorts a file the owner changed: with the base at hand, a template that did
/// not change keeps the owner's edit (`keep`, update only), non-overlapping
/// changes merge (`merge`, update only); otherwise it stays a `conflict`, with
/// the marked-up merge ready for `--on-conflict merge`. Without a base (an app
/// generated before bases were kept) the whole file is one conflict region.
pub fn classify_conflict(plan: &mut FilePlan, base: Option<&[u8]>, ours: &[u8], mode: Mode) {
    let (Some(theirs), Some(ours)) = (as_text(&plan.rendered), as_text(ours)) else {
        return; // not text: a conflict only skip, overwrite or backup resolves
    };
    let base = base.and_then(as_text);
    if mode == Mode::Update && base == Some(theirs) {
        plan.action = Action::Keep;
        plan.note = Some("your edit; the template did not change".to_string());
        return;
    }
    match three_way(base.unwrap_or(""), ours, theirs) {
        Ok(merged) if mode == Mode::Update && base.is_some() => {
            plan.action = Action::Merge;
            plan.contents = merged.into_bytes();
        }
        Ok(merged) => {
            plan.merged = Some(Merged {
                clean: true,
                text: merged.into_bytes(),
            })
        }
        Err(marked) => {
            plan.merged = Some(Merged {
                clean: false,
                text: marked.into_bytes(),
            })
        }
    }
}

/// Text that can be merged line by line: UTF-8 without a NUL byte (a NUL is
/// what git takes for a binary file too; markers written into one break it).
pub fn as_text(bytes: &[u8]) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// `Ok(merged)` when the changes do not overlap, else `Err(text with markers)`.
pub fn three_way(base: &str, ours: &str, theirs: &str) -> Result<String, String> {
    // A last line without its newline would have a conflict marker glued to
    // it: merge whole lines, then leave the owner's file ending as it did.
    let unended = |t: &str| !t.is_empty() && !t.ends_with('\n');
    if unended(base) || unended(ours) || unended(theirs) {
        let end = |t: &str| {
            if unended(t) {
                format!("{t}\n")
            } else {
                t.to_string()
            }
        };
        let merged = three_way(&end(base), &end(ours), &end(theirs));
        return match merged {
            Ok(text) if unended(ours) => Ok(text.strip_suffix('\n').unwrap_or(&text).to_string()),
            other => other,
        };
    }
    // An editor that turned the line endings into CRLF changed no line the
    // owner cares about: merge on LF, then give the file its CRLF back.
    if ours.contains("\r\n") && !base.contains("\r\n") && !theirs.contains("\r\n") {
        let crlf = |text: String| text.replace('\n', "\r\n");
        return three_way(base, &ours.replace("\r\n", "\n"), theirs)
            .map(crlf)
            .map_err(crlf);
    }
    match diffy::merge(base, ours, theirs) {
        Ok(merged) => Ok(merged),
        Err(marked) => Err(relabel(&marked)),
    }
}

fn relabel(text: &str) -> String {
    let theirs = format!("tasker-app {}", crate::plan_types::TOOL_VERSION);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let relabelled = match body {
            "<<<<<<< ours" => format!("<<<<<<< {OURS}"),
            "||||||| original" => format!("||||||| {BASE}"),
            ">>>>>>> theirs" => format!(">>>>>>> {theirs}"),
            _ => body.to_string(),
        };
        out.push_str(&relabelled);
        out.push_str(end);
    }
    out
}

/// A unified diff of `old` -> `new` for `path` (empty when equal); non-text
/// files are named, not shown.
pub fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    fn as_text(b: Option<&[u8]>) -> Result<Option<&str>, ()> {
        b.map(|b| crate::merge::as_text(b).ok_or(())).transpose()
    }
    match (as_text(old), as_text(new)) {
        (Ok(old), Ok(new)) => {
            let (old, new) = (old.unwrap_or(""), new.unwrap_or(""));
            if old == new {
                return String::new();
            }
            similar::TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string()
        }
        _ => format!("Binary file {path} differs\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE_TEXT: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\n";

    #[test]
    fn a_file_with_nul_bytes_is_not_merged_as_text() {
        assert_eq!(as_text(b"a\0b\n"), None);
        assert_eq!(as_text(b"plain\n"), Some("plain\n"));
        let out = unified("x.bin", Some(b"a\0"), Some(b"b\0"));
        assert!(!out.contains('\0'), "{out:?}");
    }

    #[test]
    fn a_marker_is_never_glued_to_a_last_line_without_newline() {
        let marked = three_way("a\nb", "a\nmine", "a\ntheirs").unwrap_err();
        for line in marked.lines() {
            assert!(
                !line.contains("<<<<<<<") || line.starts_with("<<<<<<<"),
                "{marked}"
            );
            assert!(!line.contains("=======") || line == "=======", "{marked}");
            assert!(
                !line.contains(">>>>>>>") || line.starts_with(">>>>>>>"),
                "{marked}"
            );
        }
        // A clean merge keeps the owner's missing last newline.
        assert_eq!(
            three_way("a\nb\nc", "A\nb\nc", "a\nb\nC").unwrap(),
            "A\nb\nC"
        );
    }

    #[test]
    fn edits_in_different_places_merge_cleanly() {
        let ours = BASE_TEXT.replace("one", "ONE (mine)");
        let theirs = BASE_TEXT.replace("seven", "seven\neight");
        let merged = three_way(BASE_TEXT, &ours, &theirs).unwrap();
        assert_eq!(
            merged,
            "ONE (mine)\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n"
        );
    }

    #[test]
    fn a_file_turned_to_crlf_merges_like_the_lf_one_and_stays_crlf() {
        let base = "a\nb\nc\n";
        let theirs = "new\na\nb\nc\n";
        let ours = "a\r\nb\r\nc changed\r\n";
        assert_eq!(
            three_way(base, ours, theirs).unwrap(),
            "new\r\na\r\nb\r\nc changed\r\n"
        );
        let clash = three_way(base, "a\r\nB\r\nc\r\n", "a\nbee\nc\n").unwrap_err();
        assert!(clash.contains("<<<<<<< yours\r\n"), "{clash:?}");
        assert!(!clash.replace("\r\n", "").contains('\n'), "{clash:?}");
    }

    #[test]
    fn overlapping_edits_give_labelled_markers() {
        let ours = BASE_TEXT.replace("four", "4 (mine)");
        let theirs = BASE_TEXT.replace("four", "IV (new)");
        let marked = three_way(BASE_TEXT, &ours, &theirs).unwrap_err();
        assert!(marked.contains("<<<<<<< yours\n4 (mine)\n"), "{marked}");
        assert!(
            marked.contains("||||||| generated before\nfour\n"),
            "{marked}"
        );
        assert!(
            marked.contains("=======\nIV (new)\n>>>>>>> tasker-app "),
            "{marked}"
        );
    }

    #[test]
    fn a_unified_diff_names_the_file_and_the_change() {
        let diff = unified("src/a.rs", Some(b"x\ny\n"), Some(b"x\nz\n"));
        assert!(
            diff.starts_with("--- a/src/a.rs\n+++ b/src/a.rs\n"),
            "{diff}"
        );
        assert!(diff.contains("-y\n+z\n"), "{diff}");
        assert_eq!(unified("a", Some(b"same"), Some(b"same")), "");
        assert!(unified("a", Some(&[0xff]), Some(b"x")).contains("Binary file a differs"));
    }
}
