#!/usr/bin/env bash
# The speed benchmark, in one command:
#
#   bash bench/run.sh [REAL_PROJECT_DIR ...]
#
# builds djperm (release), installs ruff into bench/.venv (once), generates two synthetic
# monorepos with examples/gen_project/ (~5k, ~20k and ~100k files, in bench/trees/), then times on
# each tree and on every directory given (e.g. /work/real/saleor /work/real/netbox/netbox):
#
#   djperm check TREE --output-format concise --exit-zero --no-cache  (cold)
#   the same with its cache (in bench/cache/) filled and nothing changed  (warm: the kept result)
#   the same after touching one models file  (1 touched: the per-file facts cache's path)
#   ruff check --select DJ --no-cache --exit-zero TREE      (ruff parses every file)
#   grep -rl perm --include='*.py' TREE                      (the floor: read every file)
#
# in alternating rounds (ROUNDS, default 5, after one warm-up round), and prints medians of
# wall and CPU time, the ratios djperm/ruff and djperm/grep, djperm's peak RSS and the growth
# from 5k to 20k files. The table goes to stdout and to bench/RESULTS.md with the machine.
# Environment: ROUNDS, APPS_5K (default 185), APPS_20K (default 740), APPS_100K (default
# 3810), CARGO_TARGET_DIR, and
# PROFILE (default dist: release with LTO, as the wheel is built; `release` builds faster).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
ROUNDS="${ROUNDS:-5}"
PROFILE="${PROFILE:-dist}"
APPS_5K="${APPS_5K:-185}"
APPS_20K="${APPS_20K:-740}"
APPS_100K="${APPS_100K:-3810}"

echo "== building djperm ($PROFILE)" >&2
(cd "$ROOT" && cargo build --profile "$PROFILE" --quiet --bin djperm --example gen_project --example lsp_latency)
DIR="$PROFILE"
[ "$PROFILE" = dev ] && DIR=debug
DJPERM="$TARGET/$DIR/djperm"
GEN="$TARGET/$DIR/examples/gen_project"

if [ ! -x "$BENCH/.venv/bin/ruff" ]; then
  echo "== installing ruff into bench/.venv" >&2
  python3 -m venv "$BENCH/.venv"
  "$BENCH/.venv/bin/pip" install --quiet --disable-pip-version-check ruff
fi
RUFF="$BENCH/.venv/bin/ruff"

gen() { # name apps
  local dir="$BENCH/trees/$1" stamp="apps=$2 models=4 seed=1"
  if [ ! -f "$dir/.stamp" ] || [ "$(cat "$dir/.stamp")" != "$stamp" ]; then
    echo "== generating $1" >&2
    "$GEN" --apps "$2" --models 4 --seed 1 --out "$dir" >&2
    echo "$stamp" > "$dir/.stamp"
  fi
}
gen gen-5k "$APPS_5K"
gen gen-20k "$APPS_20K"
gen gen-100k "$APPS_100K"

PROFILE="$PROFILE" python3 "$BENCH/timing.py" \
  --djperm "$DJPERM" --ruff "$RUFF" --rounds "$ROUNDS" --out "$BENCH/RESULTS.md" \
  "$BENCH/trees/gen-5k" "$BENCH/trees/gen-20k" "$BENCH/trees/gen-100k" "$@"

# The language server, from a client's side (examples/lsp_latency.rs): a 66-file and a
# 606-file project, each with a 2,000-line views.py.
echo "== language server latency" >&2
{
  echo
  echo "## Language server latency (\`examples/lsp_latency.rs\`, same build)"
  echo
  echo "Edit → publishDiagnostics as a client sees it; the server re-parses only the edited file."
  for apps in 20 200; do
    echo
    echo '```text'
    "$TARGET/$DIR/examples/lsp_latency" "$apps" 40
    echo '```'
  done
} | tee -a "$BENCH/RESULTS.md"

# The language server over stdio, as an editor sees it (bench/lsp_stdio.py), on a real project
# when LSP_ROOT is set: LSP_FILE edited → its diagnostics; LSP_DEPENDENT (a file using what
# LSP_DEPENDENCY defines, e.g. views and models) → its diagnostics after an edit of the latter.
if [ -n "${LSP_ROOT:-}" ]; then
  echo "== language server over stdio ($LSP_ROOT)" >&2
  {
    echo
    echo "## Language server over stdio (\`bench/lsp_stdio.py\`, same build)"
    echo
    echo "Full-text \`didChange\` → \`textDocument/diagnostic\` answer, as an editor sees it."
    echo
    echo '```text'
    python3 "$BENCH/lsp_stdio.py" --djperm "$DJPERM" --root "$LSP_ROOT" --file "$LSP_FILE" --rounds "${LSP_ROUNDS:-30}" \
      --starts "${LSP_STARTS:-5}"
    if [ -n "${LSP_DEPENDENCY:-}" ]; then
      python3 "$BENCH/lsp_stdio.py" --djperm "$DJPERM" --root "$LSP_ROOT" --file "$LSP_DEPENDENCY" \
        --dependent "$LSP_DEPENDENT" --rounds "${LSP_ROUNDS:-30}"
    fi
    echo '```'
  } | tee -a "$BENCH/RESULTS.md"
fi
