#!/usr/bin/env bash
# Browser test of the `djperm audit --output-format html` report: render it in headless
# Chromium (Debian's `chromium` package) and assert on the DOM: the unguarded-routes count
# matches the JSON report, unguarded rows are highlighted and listed first, links point at
# file:line, the routes table sorts when a header is clicked, the guards column is on screen
# (wrapping, no horizontal scrollbar) in a 1400 px wide window, and the filter box and status
# toggles hide the rows they should.
# Usage: bash tests/audit_html.sh   (needs `apt-get install -y chromium`)
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
    echo "audit_html: chromium not found (apt-get install -y chromium)" >&2
    exit 1
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --bin djperm
BIN="$CARGO_TARGET_DIR/debug/djperm"
FIXTURE=tests/fixtures/projects/audit_site
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BIN" audit "$FIXTURE" --output-format html -o "$TMP/report.html"
"$BIN" audit "$FIXTURE" --output-format json > "$TMP/report.json"
expected_unguarded=$(python3 -c 'import json,sys; print(sum(p["summary"]["unguarded"] for p in json.load(open(sys.argv[1]))["projects"]))' "$TMP/report.json")
expected_routes=$(python3 -c 'import json,sys; print(sum(p["summary"]["routes"] for p in json.load(open(sys.argv[1]))["projects"]))' "$TMP/report.json")

# A copy with a probe that clicks the `status` header twice and records the first row.
python3 - "$TMP/report.html" "$TMP/probe.html" "$TMP/layout.html" <<'PY'
import sys
html = open(sys.argv[1]).read()
probe = """<script>
var th = document.querySelector('table.routes th');
th.click(); var asc = document.querySelector('table.routes tbody tr').getAttribute('data-status');
th.click(); var desc = document.querySelector('table.routes tbody tr').getAttribute('data-status');
document.body.setAttribute('data-sort-asc', asc);
document.body.setAttribute('data-sort-desc', desc);
</script></body>"""
open(sys.argv[2], "w").write(html.replace("</body>", probe))
# A copy that measures the guards column and uses the filter box and the status toggles.
layout = """<script>
var b = document.body, th = document.querySelector('table.routes th.guards');
var r = th.getBoundingClientRect();
b.setAttribute('data-inner-width', window.innerWidth);
b.setAttribute('data-guards-left', Math.round(r.left));
b.setAttribute('data-guards-right', Math.round(r.right));
b.setAttribute('data-scroll-width', document.documentElement.scrollWidth);
b.setAttribute('data-first-status', document.querySelector('table.routes tbody tr').getAttribute('data-status'));
function visible(){ return Array.prototype.filter.call(document.querySelectorAll('table.routes tbody tr'), function(tr){ return tr.offsetParent !== null; }); }
b.setAttribute('data-visible-all', visible().length);
var input = document.querySelector('input.route-filter');
input.value = 'order-detail'; input.dispatchEvent(new Event('input'));
b.setAttribute('data-visible-filtered', visible().length);
b.setAttribute('data-filtered-names', visible().map(function(tr){ return tr.cells[2].textContent; }).join(' '));
b.setAttribute('data-shown-count', document.querySelector('.shown-count').textContent);
input.value = ''; input.dispatchEvent(new Event('input'));
var t = document.querySelector('input.status-toggle[value=guarded]');
t.checked = false; t.dispatchEvent(new Event('change'));
b.setAttribute('data-visible-unguarded-only', visible().filter(function(tr){ return tr.getAttribute('data-status') === 'guarded'; }).length + ':' + visible().length);
</script></body>"""
open(sys.argv[3], "w").write(html.replace("</body>", layout))
PY

dump() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --window-size=1400,1000 \
        --user-data-dir="$(mktemp -d -p "$TMP")" --dump-dom "file://$1" 2>/dev/null
}
dump "$TMP/report.html" > "$TMP/dom.html"
dump "$TMP/probe.html" > "$TMP/probe-dom.html"
dump "$TMP/layout.html" > "$TMP/layout-dom.html"
expected_guarded=$(python3 -c 'import json,sys; print(sum(p["summary"]["guarded"] for p in json.load(open(sys.argv[1]))["projects"]))' "$TMP/report.json")

python3 - "$TMP/dom.html" "$TMP/probe-dom.html" "$expected_unguarded" "$expected_routes" "$TMP/layout-dom.html" "$expected_guarded" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
probe = open(sys.argv[2]).read()
unguarded, routes = int(sys.argv[3]), int(sys.argv[4])
layout = open(sys.argv[5]).read()
guarded = int(sys.argv[6])
def attr(name):
    m = re.search(r'<body[^>]*\b' + name + r'="([^"]*)"', layout)
    return m.group(1) if m else None
fail = []
def check(cond, what):
    if not cond:
        fail.append(what)
m = re.search(r'id="unguarded-count">(\d+)<', dom)
check(m and int(m.group(1)) == unguarded, f"unguarded-count {m and m.group(1)} != {unguarded}")
m = re.search(r'id="route-count">(\d+)<', dom)
check(m and int(m.group(1)) == routes, f"route-count {m and m.group(1)} != {routes}")
rows = re.findall(r'<tr class="route (\w+)"', dom)
check(len(rows) == routes, f"{len(rows)} route rows != {routes}")
check(rows.count("unguarded") == unguarded, f"{rows.count('unguarded')} highlighted rows != {unguarded}")
check(unguarded > 0, "the fixture has unguarded routes")
check(re.search(r'href="file://[^"]+/blog/views\.py#L\d+"', dom), "file:line links")
check('id="perms-0-blog"' in dom, "per-app permission matrix for blog")
check(re.search(r'class="perm unused"', dom), "unused permission highlighted")
check('data-sort-asc="guarded"' in probe, "ascending sort by status puts guarded first")
check('data-sort-desc="unknown"' in probe, "descending sort by status puts unknown first")
width = int(attr("data-inner-width") or 0)
check(width == 1400, f"window {width} px wide, expected 1400")
check(int(attr("data-guards-right") or 10**6) <= width, f"guards column ends at {attr('data-guards-right')} px, past the {width} px window")
check(int(attr("data-guards-left") or 10**6) < width - 200, f"guards column starts at {attr('data-guards-left')} px: too narrow to read")
check(int(attr("data-scroll-width") or 10**6) <= width, f"page is {attr('data-scroll-width')} px wide: a horizontal scrollbar")
check(attr("data-first-status") == "unguarded", f"first row is {attr('data-first-status')}, not an unguarded route")
check(attr("data-visible-all") == str(routes), f"{attr('data-visible-all')} rows visible before filtering, expected {routes}")
check(attr("data-visible-filtered") == "1", f"filter 'order-detail' shows {attr('data-visible-filtered')} rows ({attr('data-filtered-names')}), expected 1")
check(attr("data-filtered-names") == "store:order-detail", f"filtered row {attr('data-filtered-names')}")
check(attr("data-shown-count") == "1", f"shown count {attr('data-shown-count')} after filtering")
check(attr("data-visible-unguarded-only") == f"0:{routes - guarded}", f"guarded toggled off: {attr('data-visible-unguarded-only')} (guarded:visible), expected 0:{routes - guarded}")
if fail:
    print("audit_html: FAILED\n  " + "\n  ".join(fail))
    sys.exit(1)
print(f"audit_html: {routes} routes, {unguarded} unguarded: DOM checks passed")
PY
