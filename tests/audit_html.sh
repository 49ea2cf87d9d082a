#!/usr/bin/env bash
# Browser test of the `djperm audit --output-format html` report: render it in headless
# Chromium (Debian's `chromium` package) and assert on the DOM: the unguarded-routes count
# matches the JSON report, unguarded rows are highlighted, links point at file:line, and the
# routes table sorts when a header is clicked.
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
python3 - "$TMP/report.html" "$TMP/probe.html" <<'PY'
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
PY

dump() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$(mktemp -d -p "$TMP")" --dump-dom "file://$1" 2>/dev/null
}
dump "$TMP/report.html" > "$TMP/dom.html"
dump "$TMP/probe.html" > "$TMP/probe-dom.html"

python3 - "$TMP/dom.html" "$TMP/probe-dom.html" "$expected_unguarded" "$expected_routes" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
probe = open(sys.argv[2]).read()
unguarded, routes = int(sys.argv[3]), int(sys.argv[4])
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
if fail:
    print("audit_html: FAILED\n  " + "\n  ".join(fail))
    sys.exit(1)
print(f"audit_html: {routes} routes, {unguarded} unguarded: DOM checks passed")
PY
