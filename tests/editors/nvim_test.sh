#!/usr/bin/env bash
# Real-client test: headless Neovim (Debian's package is enough: 0.7+) runs `djperm server` on a
# copy of tests/fixtures/projects/rules_positive, waits for the diagnostics of blog/views.py,
# lists the code actions on a typo and applies the quick fix. Exits non-zero on any failure.
#
#   bash tests/editors/nvim_test.sh            # uses $DJPERM_BIN, else builds target/debug/djperm
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v nvim >/dev/null || { echo "nvim_test: nvim is not installed (apt-get install neovim)" >&2; exit 1; }
if [[ -z "${DJPERM_BIN:-}" ]]; then
  (cd "$repo" && cargo build --quiet --locked --bin djperm)
  DJPERM_BIN="${CARGO_TARGET_DIR:-$repo/target}/debug/djperm"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/tests/fixtures/projects/rules_positive" "$work/project"
echo "nvim_test: $(nvim --version | head -1), server $DJPERM_BIN"
export DJPERM_BIN DJPERM_PROJECT="$work/project" DJPERM_EDITORS="$repo/editors"
# Neovim's LSP log goes to the state dir; keep it out of the user's.
export XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" XDG_DATA_HOME="$work/data"
if timeout 120 nvim --headless --clean -n -c "luafile $repo/tests/editors/nvim_test.lua" </dev/null; then
  echo "nvim_test: passed"
else
  status=$?
  echo "nvim_test: FAILED (exit $status)" >&2
  exit "$status"
fi
