#!/usr/bin/env bash
# The whole test suite on a fresh machine: a virtualenv with real Django for the oracle tests,
# then cargo's tests (unit, rules snapshots, CLI, oracle).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import django, guardian, rules, rest_framework, taggit, yaml" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check 'django==5.2.*' 'django-guardian==3.*' 'rules==3.*' 'djangorestframework==3.*' 'django-taggit==6.*' 'PyYAML==6.*'
fi
export DJPERM_PYTHON="$PWD/.venv/bin/python"
.venv/bin/python -c "import django; print('oracle: Django', django.get_version())"
cargo test --locked --all-targets
