#!/usr/bin/env bash
# Re-run the Django oracle on every fixture project and rewrite its .oracle.json.
# Usage: tests/oracle/regenerate.sh [PYTHON]   (default: .venv/bin/python at the repo root)
# The venv needs: pip install 'django==5.2.*' rules django-guardian
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
py="${1:-$root/.venv/bin/python}"
export PYTHONDONTWRITEBYTECODE=1
for dir in "$root"/tests/fixtures/projects/*/; do
    [ -f "$dir/manage.py" ] || continue
    name="$(basename "$dir")"
    if ! "$py" "$root/tests/oracle/dump_permissions.py" "$dir" > "$dir/.oracle.json.tmp" 2>/dev/null; then
        rm -f "$dir/.oracle.json.tmp"
        echo "$name: Django refuses to migrate it (system check errors): no .oracle.json"
        continue
    fi
    mv "$dir/.oracle.json.tmp" "$dir/.oracle.json"
    echo "$name: $(grep -c '"codename"' "$dir/.oracle.json") permissions"
done
