//! The dashboard's only assets, inlined into every page: no CDN, no font,
//! no file to serve, nothing fetched from elsewhere. The script does three
//! things: follows a page's live part over server-sent events (`data-live`:
//! on each `change` event it fetches the page again and swaps `#live`,
//! keeping open `<details>`), asks before an action (`data-confirm`), and
//! nothing else; every page works without it, only not live.

pub const CSS: &str = r#"
:root{--ok:#1f883d;--bad:#cf222e;--retry:#bf8700;--busy:#0969da;--idle:#6e7781;--bg:#fff;--fg:#1f2328;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:24px;align-items:center;padding:10px 20px;border-bottom:1px solid var(--line);background:var(--soft)}
header nav a{margin-right:16px;color:var(--fg);text-decoration:none}header nav a[aria-current]{font-weight:600;border-bottom:2px solid var(--busy)}
main{padding:16px 20px;max-width:1200px}h1{font-size:20px;margin:4px 0 8px}h2{font-size:16px;margin:22px 0 8px}h4{margin:8px 0 4px}
a{color:var(--busy)}.muted{color:var(--idle)}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-weight:600;background:var(--soft)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff;background:var(--idle)}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}.badge.retry{background:var(--retry)}.badge.busy{background:var(--busy)}
.bad-text,.error-text{color:var(--bad)}.notice{padding:8px 12px;border-radius:6px;border:1px solid var(--line)}.notice.ok{background:#dafbe1}.notice.bad{background:#ffebe9}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:end;margin-bottom:12px}.filters input[type=search]{width:320px}
input,select,button{font:inherit;padding:4px 8px}button{cursor:pointer;border:1px solid var(--line);border-radius:6px;background:var(--soft)}
button.danger{color:var(--bad)}button.retry{color:var(--busy)}form{display:inline}.paging a{margin-right:16px}
.dag-box{overflow-x:auto;border:1px solid var(--line);border-radius:6px;padding:6px;background:var(--soft)}
svg.dag .edge{fill:none;stroke:#8c959f;stroke-width:1.5}svg.dag marker path{fill:#8c959f}
svg.dag rect{fill:#fff;stroke:var(--idle);stroke-width:2}svg.dag text{font-size:13px;fill:var(--fg)}svg.dag text.sub{font-size:11px;fill:var(--idle)}
svg.dag .ok rect{stroke:var(--ok);fill:#dafbe1}svg.dag .bad rect{stroke:var(--bad);fill:#ffebe9}svg.dag .retry rect{stroke:var(--retry);fill:#fff8c5}svg.dag .busy rect{stroke:var(--busy);fill:#ddf4ff}
.bar-cell{width:45%}.bar{position:relative;height:14px;background:var(--soft);border-radius:3px}.seg{position:absolute;top:0;height:14px;border-radius:2px}
.seg.wait,.key.wait{background:#d4a72c}.seg.work,.key.work{background:var(--busy)}.seg.orch,.key.orch{background:#8250df}.key{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
.step{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:8px 0}.step header{background:none;border:0;padding:0;gap:10px}.step .actions{margin-left:auto;display:flex;gap:6px}
pre{background:var(--soft);padding:10px;border-radius:6px;overflow-x:auto;font-size:12px}.outcome{font-size:15px}.run-actions{margin:8px 0}
.form-grid label{display:block;margin:10px 0 2px;font-weight:600}.form-grid .help{font-weight:400;color:var(--idle)}.field-error{color:var(--bad);margin:2px 0}
.up{color:var(--ok);font-weight:600}.down{color:var(--bad);font-weight:600}
"#;

pub const JS: &str = r#"
(function(){
  document.addEventListener('submit', function(e){
    var q = e.target.getAttribute('data-confirm');
    if (q && !window.confirm(q)) { e.preventDefault(); }
  });
  var live = document.getElementById('live');
  if (!live || !live.dataset.live || !window.EventSource) return;
  var busy = false, again = false;
  function refresh(){
    if (busy) { again = true; return; }
    busy = true;
    var url = location.pathname + location.search + (location.search ? '&' : '?') + 'fragment=live';
    fetch(url, {headers: {'Accept': 'text/html'}}).then(function(r){
      return r.ok ? r.text() : null;
    }).then(function(html){
      if (html === null) return;
      var open = {};
      live.querySelectorAll('details[open]').forEach(function(d){ open[d.dataset.key] = true; });
      live.innerHTML = html;
      live.querySelectorAll('details').forEach(function(d){ if (open[d.dataset.key]) d.open = true; });
      live.dataset.updated = String(Date.now());
    }).catch(function(){}).then(function(){
      busy = false;
      if (again) { again = false; refresh(); }
    });
  }
  var source = new EventSource(live.dataset.live);
  source.addEventListener('change', refresh);
})();
"#;
