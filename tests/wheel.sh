#!/usr/bin/env bash
# Packaging check: build the wheel with maturin, install it into a fresh virtualenv, and run the
# installed `djperm` the way a user (or pre-commit) would. Needs python3 and the PyPI registry.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/build"
"$work/build/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.5,<2'
# No --release: the `dist` profile of pyproject.toml (release + LTO), as `pip install .` builds.
"$work/build/bin/maturin" build --locked --out "$work/dist"
ls "$work"/dist

python3 -m venv "$work/run"
"$work/run/bin/pip" install --quiet --disable-pip-version-check "$work"/dist/djperm-*.whl
bin="$work/run/bin/djperm"
test -x "$bin" || { echo "wheel: the djperm binary is not on the venv's PATH" >&2; exit 1; }

version="$("$bin" --version)"
expected="djperm $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
[ "$version" = "$expected" ] || { echo "wheel: --version said '$version', expected '$expected'" >&2; exit 1; }
echo "wheel: $version"

set +e
"$bin" check example --output-format concise >"$work/out.txt"
rc=$?
set -e
cat "$work/out.txt"
[ "$rc" = 1 ] || { echo "wheel: expected exit 1 (findings) on example/, got $rc" >&2; exit 1; }
grep -q '^Found 10 errors\.$' "$work/out.txt" || { echo "wheel: unexpected report on example/" >&2; exit 1; }
echo "wheel: ok"
