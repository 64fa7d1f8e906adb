//! The runs list: every task, newest first, narrowed by workflow, state and
//! a search in the context; one keyset page at a time; live (the `#live`
//! part is reloaded when the engine's transitions move, see `assets::JS`).

use std::fmt::Write as _;

use uuid::Uuid;

use super::html::{badge, duration_ms, esc, time, url_component};
use super::queries::{RunFilter, RunRow, TASK_STATES};

/// The query string of `filter` with `before` set to `cursor`.
pub fn query_string(filter: &RunFilter, cursor: Option<Uuid>) -> String {
    let mut parts = Vec::new();
    if let Some(w) = &filter.workflow {
        parts.push(format!("workflow={}", url_component(w)));
    }
    if let Some(s) = &filter.state {
        parts.push(format!("state={}", url_component(s)));
    }
    if let Some(q) = &filter.q {
        parts.push(format!("q={}", url_component(q)));
    }
    if let Some(c) = cursor {
        parts.push(format!("before={c}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn option(value: &str, label: &str, selected: bool) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        esc(value),
        if selected { " selected" } else { "" },
        esc(label)
    )
}

/// The filter form.
pub fn filters(filter: &RunFilter, workflows: &[String]) -> String {
    let mut out = String::from(
        "<form class=\"filters\" method=\"get\" action=\"/\">\
         <label>Workflow <select name=\"workflow\" id=\"filter-workflow\">",
    );
    out.push_str(&option("", "all", filter.workflow.is_none()));
    for w in workflows {
        out.push_str(&option(w, w, filter.workflow.as_deref() == Some(w)));
    }
    out.push_str("</select></label><label>State <select name=\"state\" id=\"filter-state\">");
    out.push_str(&option("", "all", filter.state.is_none()));
    for s in TASK_STATES {
        out.push_str(&option(s, s, filter.state.as_deref() == Some(s)));
    }
    let _ = write!(
        out,
        "</select></label><label>Search <input type=\"search\" name=\"q\" id=\"filter-q\" \
         placeholder=\"a context value (e.g. an email) or a task id\" value=\"{}\"></label>\
         <button type=\"submit\">Filter</button></form>",
        esc(filter.q.as_deref().unwrap_or(""))
    );
    out
}

/// The live part: the table and the paging links.
pub fn table(rows: &[RunRow], filter: &RunFilter, next: Option<Uuid>) -> String {
    if rows.is_empty() {
        let mut out = String::from("<p class=\"muted\" id=\"no-runs\">No runs");
        if filter.workflow.is_some() || filter.state.is_some() || filter.q.is_some() {
            out.push_str(" match these filters");
        } else {
            out.push_str(" yet: <a href=\"/new\">start one</a>");
        }
        out.push_str(".</p>");
        if filter.before.is_some() {
            let _ = write!(
                out,
                "<p><a href=\"/{}\">Newest runs</a></p>",
                query_string(
                    &RunFilter {
                        before: None,
                        ..filter.clone()
                    },
                    None
                )
            );
        }
        return out;
    }
    let mut out = String::from(
        "<table class=\"runs\"><thead><tr><th>Run</th><th>Workflow</th><th>State</th>\
         <th>Steps</th><th>Created (UTC)</th><th>Took</th></tr></thead><tbody>",
    );
    for r in rows {
        let took = r
            .completed_at
            .map(|end| duration_ms((end - r.created_at).num_milliseconds() as f64))
            .unwrap_or_default();
        let failed = if r.steps_failed > 0 {
            format!(
                " <span class=\"bad-text\">({} failing)</span>",
                r.steps_failed
            )
        } else {
            String::new()
        };
        let _ = write!(
            out,
            "<tr data-task=\"{id}\"><td><a class=\"mono\" href=\"/runs/{id}\">{short}</a></td>\
             <td>{workflow} <span class=\"muted\">v{version}</span></td><td>{state}</td>\
             <td>{done}/{total}{failed}</td><td>{created}</td><td>{took}</td></tr>",
            id = r.task_uuid,
            short = super::html::short_id(&r.task_uuid),
            workflow = esc(&r.workflow),
            version = esc(&r.version),
            state = badge(&r.state),
            done = r.steps_done,
            total = r.steps_total,
            created = time(&r.created_at),
        );
    }
    out.push_str("</tbody></table><p class=\"paging\">");
    if filter.before.is_some() {
        let _ = write!(
            out,
            "<a href=\"/{}\">« Newest</a> ",
            query_string(
                &RunFilter {
                    before: None,
                    ..filter.clone()
                },
                None
            )
        );
    }
    if let Some(cursor) = next {
        let _ = write!(
            out,
            "<a id=\"older\" href=\"/{}\">Older »</a>",
            query_string(filter, Some(cursor))
        );
    }
    out.push_str("</p>");
    out
}

/// The page body: filters, then the live table.
pub fn body(filter: &RunFilter, workflows: &[String], table: &str) -> String {
    // The list follows the engine only on its first page: an older page
    // holds still while it is read.
    let live = if filter.before.is_none() {
        " data-live=\"/events\""
    } else {
        ""
    };
    format!(
        "<h1>Runs</h1>{}<div id=\"live\"{live}>{table}</div>",
        filters(filter, workflows)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn row(n: u128, state: &str) -> RunRow {
        let at = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_milli_opt(3, 4, 5, 600)
            .unwrap();
        RunRow {
            task_uuid: Uuid::from_u128(n),
            workflow: "ecommerce/order_processing".into(),
            version: "1.0.0".into(),
            state: state.into(),
            created_at: at,
            completed_at: Some(at + chrono::Duration::milliseconds(1250)),
            steps_total: 5,
            steps_done: 4,
            steps_failed: 1,
        }
    }

    #[test]
    fn the_next_page_keeps_the_filters_and_moves_the_cursor() {
        let filter = RunFilter {
            workflow: Some("ecommerce/order_processing".into()),
            state: Some("error".into()),
            q: Some("a@b.c & x".into()),
            before: None,
        };
        let html = table(&[row(7, "error")], &filter, Some(Uuid::from_u128(7)));
        assert!(
            html.contains(&format!(
                "href=\"/?workflow=ecommerce/order_processing&state=error&q=a%40b.c%20%26%20x&before={}\"",
                Uuid::from_u128(7)
            )),
            "{html}"
        );
        assert!(!html.contains("« Newest"), "first page has no link back");
        assert!(
            html.contains("4/5 <span class=\"bad-text\">(1 failing)</span>"),
            "{html}"
        );
        assert!(html.contains("1.2 s") || html.contains("1.3 s"), "{html}");
    }

    #[test]
    fn the_search_box_keeps_its_text_escaped() {
        let filter = RunFilter {
            q: Some("\"><script>".into()),
            ..RunFilter::default()
        };
        let html = filters(&filter, &["ecommerce/order_processing".to_string()]);
        assert!(
            html.contains("value=\"&quot;&gt;&lt;script&gt;\""),
            "{html}"
        );
    }

    #[test]
    fn an_empty_list_says_how_to_start() {
        let html = table(&[], &RunFilter::default(), None);
        assert!(html.contains("<a href=\"/new\">start one</a>"), "{html}");
    }
}
