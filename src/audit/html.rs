//! The HTML report: one self-contained file (inline CSS and JS, no network), with a sortable
//! routes table (unguarded routes highlighted), a per-app permission matrix and file:line links.

use std::collections::BTreeMap;

use super::render::guard_text;
use super::{Location, ProjectReport, Report};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn link(base: &str, l: &Option<Location>) -> String {
    match l {
        Some(l) => {
            let text = format!("{}:{}", l.filename, l.row);
            if base.is_empty() {
                format!("<span class=\"loc\">{}</span>", esc(&text))
            } else {
                format!(
                    "<a class=\"loc\" href=\"file://{}/{}#L{}\">{}</a>",
                    esc(base),
                    esc(&l.filename),
                    l.row,
                    esc(&text)
                )
            }
        }
        None => "-".into(),
    }
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
.summary span{display:inline-block;margin-right:1.2rem;padding:.3rem .6rem;border-radius:4px;background:#f2f2f4}
.summary .bad{background:#fde2e1;color:#9b1c1c;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
table.routes{table-layout:fixed}
th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td code{white-space:normal;overflow-wrap:anywhere}
.controls{display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center;margin:.5rem 0}
.controls input[type=search]{min-width:18rem;padding:.3rem .5rem}
.legend{font-size:.85rem;color:#444;margin:.3rem 0 .6rem}.legend dt{display:inline;font-weight:600}.legend dd{display:inline;margin:0 1rem 0 .3rem}
tr.public td{background:#e8f4ea}tr.hidden{display:none}
th{background:#f6f6f8;cursor:pointer;user-select:none;position:sticky;top:0}
th.sorted-asc::after{content:" \25B2"}th.sorted-desc::after{content:" \25BC"}
tr.unguarded td{background:#fde2e1}tr.unknown td{background:#fff6d6}
tr.unused td{background:#fff6d6}
code{font-size:.85em}.loc{font-family:ui-monospace,monospace;font-size:.8em}
.guard{display:block}.note{display:block;color:#7a5b00}
.muted{color:#777}
"#;

const SCRIPT: &str = r#"
// Filter box and status toggles: a route row shows when its status is ticked and its text
// contains every word typed.
document.querySelectorAll('section.project').forEach(function(section){
  var input = section.querySelector('input.route-filter');
  var toggles = section.querySelectorAll('input.status-toggle');
  function apply(){
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var on = {};
    toggles.forEach(function(t){ on[t.value] = t.checked; });
    var shown = 0;
    section.querySelectorAll('table.routes tbody tr').forEach(function(tr){
      var text = tr.textContent.toLowerCase();
      var ok = on[tr.getAttribute('data-status')] !== false &&
        words.every(function(w){ return text.indexOf(w) >= 0; });
      tr.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    section.querySelector('.shown-count').textContent = shown;
  }
  input.addEventListener('input', apply);
  toggles.forEach(function(t){ t.addEventListener('change', apply); });
});
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, col){
    th.addEventListener('click', function(){
      var tbody = table.tBodies[0];
      var rows = Array.prototype.slice.call(tbody.rows);
      var asc = !th.classList.contains('sorted-asc');
      table.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
      th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
      rows.sort(function(a, b){
        var x = a.cells[col].getAttribute('data-sort') || a.cells[col].textContent.trim();
        var y = b.cells[col].getAttribute('data-sort') || b.cells[col].textContent.trim();
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function(r){tbody.appendChild(r);});
    });
  });
});
"#;

const LEGEND: &str = "<dl class=\"legend\"><dt>unguarded</dt><dd>nothing djperm knows keeps anyone out</dd><dt>unknown</dt><dd>nothing djperm recognises guards it, but something it could not analyse may (the <i>?</i> lines say what)</dd><dt>public</dt><dd>unguarded and listed in <code>public-routes</code></dd><dt><code>?</code> in a pattern</dt><dd>a part of the URL djperm could not resolve statically</dd></dl>\n";

fn project(s: &mut String, p: &ProjectReport, base: &str, index: usize) {
    s.push_str(&format!(
        "<section class=\"project\" id=\"project-{index}\">\n<h2>Project <code>{}</code></h2>\n<p class=\"muted\">settings <code>{}</code> · urlconf <code>{}</code></p>\n",
        esc(&p.root),
        esc(p.settings.as_deref().unwrap_or("-")),
        esc(p.urlconf.as_deref().unwrap_or("-"))
    ));
    s.push_str(&format!(
        "<p class=\"summary\"><span>routes <b id=\"route-count-{index}\" class=\"route-count\">{}</b></span><span>guarded <b class=\"guarded-count\">{}</b></span><span class=\"{}\">unguarded <b id=\"unguarded-count-{index}\" class=\"unguarded-count\">{}</b></span><span>unknown <b class=\"unknown-count\">{}</b></span></p>\n",
        p.summary.routes,
        p.summary.guarded,
        if p.summary.unguarded > 0 { "bad" } else { "" },
        p.summary.unguarded,
        p.summary.unknown
    ));
    if p.summary.public > 0 {
        s.push_str(&format!(
            "<p class=\"summary\"><span>public (<code>public-routes</code>) <b class=\"public-count\">{}</b></span></p>\n",
            p.summary.public
        ));
    }
    if !p.middleware_not_analysed.is_empty() {
        s.push_str(&format!(
            "<p class=\"note\">Middleware not analysed (it may guard every route): {}</p>\n",
            p.middleware_not_analysed
                .iter()
                .map(|m| format!("<code>{}</code>", esc(m)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s.push_str("<h3>Routes</h3>\n<div class=\"controls\">");
    s.push_str(&format!(
        "<input type=\"search\" class=\"route-filter\" id=\"route-filter-{index}\" placeholder=\"Filter: pattern, name, view, guard, permission…\" aria-label=\"Filter routes\">"
    ));
    for (status, count) in [
        ("unguarded", p.summary.unguarded),
        ("unknown", p.summary.unknown),
        ("public", p.summary.public),
        ("guarded", p.summary.guarded),
    ] {
        s.push_str(&format!(
            "<label><input type=\"checkbox\" class=\"status-toggle\" value=\"{status}\" checked> {status} ({count})</label>"
        ));
    }
    s.push_str(&format!(
        "<span class=\"muted\">showing <b class=\"shown-count\">{}</b></span></div>\n",
        p.routes.len()
    ));
    s.push_str(LEGEND);
    s.push_str("<table class=\"sortable routes\"><colgroup><col style=\"width:7%\"><col style=\"width:17%\"><col style=\"width:12%\"><col style=\"width:6%\"><col style=\"width:17%\"><col style=\"width:31%\"><col style=\"width:10%\"></colgroup><thead><tr><th>status</th><th>pattern</th><th>name</th><th>app</th><th>view</th><th class=\"guards\">guards</th><th>declared at</th></tr></thead><tbody>\n");
    // Unguarded routes first, then unknown, public and guarded ones (each by pattern).
    let rank = |status: &str| match status {
        "unguarded" => 0,
        "unknown" => 1,
        "public" => 2,
        _ => 3,
    };
    let mut routes: Vec<_> = p.routes.iter().collect();
    routes.sort_by_key(|r| rank(r.status));
    for r in routes {
        let mut guards: String = guard_text(r)
            .iter()
            .map(|g| format!("<span class=\"guard\">{}</span>", esc(g)))
            .collect();
        for n in &r.notes {
            guards.push_str(&format!("<span class=\"note\">? {}</span>", esc(n)));
        }
        if guards.is_empty() {
            guards = "<b>nothing</b>".into();
        }
        let suffix = r
            .format_suffix
            .as_ref()
            .map(|f| {
                format!(
                    "<br><span class=\"muted\">also <code>/{}</code></span>",
                    esc(f)
                )
            })
            .unwrap_or_default();
        s.push_str(&format!(
            "<tr class=\"route {status}\" data-status=\"{status}\"><td>{status}</td><td><code>/{pattern}</code>{suffix}</td><td>{name}</td><td>{app}</td><td><code>{view}</code> <span class=\"muted\">{kind}</span><br>{vloc}</td><td class=\"guards\">{guards}</td><td>{dloc}</td></tr>\n",
            status = r.status,
            pattern = esc(&r.pattern),
            name = esc(r.name.as_deref().unwrap_or("")),
            app = esc(&r.app),
            view = esc(&r.view),
            kind = r.view_kind,
            vloc = link(base, &r.view_location),
            dloc = link(base, &r.declared_at),
        ));
    }
    s.push_str("</tbody></table>\n");

    // Per-app matrix: routes by status, then each app's permissions.
    let mut apps: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for r in &p.routes {
        let e = apps.entry(r.app.as_str()).or_default();
        match r.status {
            "guarded" => e[0] += 1,
            "unguarded" => e[1] += 1,
            "public" => {}
            _ => e[2] += 1,
        }
    }
    s.push_str("<h3>Per-app matrix</h3>\n<table class=\"sortable apps\"><thead><tr><th>app</th><th>guarded</th><th>unguarded</th><th>unknown</th><th>permissions</th><th>unused custom</th></tr></thead><tbody>\n");
    let mut labels: Vec<&str> = apps.keys().copied().collect();
    for perm in &p.permissions {
        if !labels.contains(&perm.app_label.as_str()) {
            labels.push(&perm.app_label);
        }
    }
    labels.sort_unstable();
    for label in &labels {
        let c = apps.get(label).copied().unwrap_or_default();
        let perms = p.permissions.iter().filter(|x| x.app_label == *label);
        let (n, unused) = perms.fold((0, 0), |(n, u), x| (n + 1, u + x.unused as usize));
        s.push_str(&format!(
            "<tr class=\"{}\"><td><a href=\"#perms-{index}-{l}\">{l}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{n}</td><td>{unused}</td></tr>\n",
            if c[1] > 0 { "unguarded" } else { "" },
            c[0],
            c[1],
            c[2],
            l = esc(label),
        ));
    }
    s.push_str("</tbody></table>\n");

    s.push_str("<h3>Permissions</h3>\n");
    for label in &labels {
        let perms: Vec<_> = p
            .permissions
            .iter()
            .filter(|x| x.app_label == *label)
            .collect();
        if perms.is_empty() {
            continue;
        }
        s.push_str(&format!(
            "<h4 id=\"perms-{index}-{l}\">{l}</h4>\n<table class=\"sortable matrix\"><thead><tr><th>permission</th><th>model</th><th>source</th><th>defined at</th><th>routes</th><th>code</th><th>templates</th><th>checked at</th></tr></thead><tbody>\n",
            l = esc(label)
        ));
        for x in perms {
            let templates = x
                .checks
                .iter()
                .filter(|c| c.kind.starts_with("Template"))
                .count();
            let code = x.checks.len() - templates;
            let places: String = x
                .checks
                .iter()
                .map(|c| {
                    format!(
                        "{} <span class=\"muted\">{}</span><br>",
                        link(base, &Some(c.location.clone())),
                        esc(&c.kind)
                    )
                })
                .collect();
            s.push_str(&format!(
                "<tr class=\"perm{}\"><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td>{code}</td><td>{templates}</td><td>{places}</td></tr>\n",
                if x.unused { " unused" } else { "" },
                esc(&x.permission),
                if x.unused { " <b>unused</b>" } else { "" },
                esc(x.model.as_deref().unwrap_or("-")),
                x.source,
                link(base, &x.defined_at),
                esc(&x.routes.join("\n")),
                x.routes.len(),
            ));
        }
        s.push_str("</tbody></table>\n");
    }
    s.push_str(&format!(
        "<h3>References to permissions no fresh database has (<span class=\"unknown-ref-count\">{}</span>)</h3>\n<ul>\n",
        p.unknown_references.len()
    ));
    for u in &p.unknown_references {
        s.push_str(&format!(
            "<li>{} <code>{}</code> {}</li>\n",
            link(base, &Some(u.location.clone())),
            u.code,
            esc(&u.message)
        ));
    }
    s.push_str("</ul>\n</section>\n");
}

pub fn html(report: &Report) -> String {
    let base = report
        .root_dir
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut s = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>djperm audit</title>\n<style>");
    s.push_str(STYLE);
    s.push_str("</style></head><body>\n<h1>djperm audit: who can reach what</h1>\n");
    let total: usize = report.projects.iter().map(|p| p.summary.unguarded).sum();
    s.push_str(&format!(
        "<p>Unguarded routes in total: <b id=\"unguarded-count\">{total}</b> of <b id=\"route-count\">{}</b>. Click a column header to sort.</p>\n",
        report.projects.iter().map(|p| p.summary.routes).sum::<usize>()
    ));
    for (i, p) in report.projects.iter().enumerate() {
        project(&mut s, p, &base, i);
    }
    s.push_str("<script>");
    s.push_str(SCRIPT);
    s.push_str("</script>\n</body></html>\n");
    s
}
