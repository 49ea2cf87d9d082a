#!/usr/bin/env bash
# Regenerate the seed corpora in fuzz/seeds/<target>/ from the repository's own Django code:
# the fixture projects (tests/fixtures/projects), example/ and the rule docs' examples (rules/).
# Then minimise into fuzz/corpus/<target>/ with `cargo fuzz cmin` (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/seeds
rm -rf "$out"
mkdir -p "$out"/{python_facts,template_refs,project_diagnostics,fix_apply}

# Store stdin under its SHA-1 (libFuzzer's naming) in each directory given.
put() {
  local tmp sum dir
  tmp="$(mktemp)"
  cat >"$tmp"
  if [ -s "$tmp" ]; then
    sum="$(sha1sum "$tmp" | cut -d' ' -f1)"
    for dir in "$@"; do cp "$tmp" "$out/$dir/$sum"; done
  fi
  rm -f "$tmp"
}

projects=(tests/fixtures/projects/*/ example/)

# One Python file, one template each.
find "${projects[@]}" -type f -name '*.py' -not -path '*/__pycache__/*' -size -64k | LC_ALL=C sort |
  while read -r f; do put python_facts <"$f"; done
find "${projects[@]}" -type f \( -name '*.html' -o -name '*.txt' \) -path '*/templates/*' | LC_ALL=C sort |
  while read -r f; do put template_refs <"$f"; done

# A project: its files as `# file: <path>` sections (fuzzing::project lays them over its base).
project() {
  local root="$1" f
  find "$root" -type f \( -name '*.py' -o -name '*.html' -o -name '*.txt' -o -name '*.json' \) \
    -not -path '*/__pycache__/*' | LC_ALL=C sort | while read -r f; do
    printf '# file: %s\n' "${f#"$root"/}"
    cat "$f"
  done
}
for p in "${projects[@]}"; do
  p="${p%/}"
  project "$p" | put project_diagnostics fix_apply
  # And each app of it alone with the project's settings and manage.py: smaller inputs.
  for app in "$p"/*/; do
    app="${app%/}"
    [ -f "$app/models.py" ] || continue
    {
      project "$app" | sed "s|^# file: |# file: ${app##*/}/|"
      printf '# file: manage.py\n'
      cat "$p/manage.py"
      find "$p" -name 'settings*.py' -not -path "$app/*" | LC_ALL=C sort | while read -r s; do
        printf '# file: %s\n' "${s#"$p"/}"
        cat "$s"
      done
    } | put project_diagnostics fix_apply
  done
done

# The rule docs' examples: each fenced `python|htmldjango|json valid|invalid` block, over the
# same base project as tests/docs.rs.
for doc in rules/DJP*.md; do
  awk -v dir="$out" '
    /^```(python|htmldjango|json) (valid|invalid)$/ { n++; file = dir "/block." substr($1, 4) "." n; body = 1; next }
    /^```/ { if (body) close(file); body = 0; next }
    body { print > file }
  ' "$doc"
  for b in "$out"/block.*; do
    [ -e "$b" ] || continue
    case "$b" in
      *.python.*) put python_facts project_diagnostics fix_apply <"$b" ;;
      *.htmldjango.*)
        put template_refs <"$b"
        { echo '# file: blog/templates/blog/example.html'; cat "$b"; } | put project_diagnostics fix_apply ;;
      *.json.*) { echo '# file: blog/fixtures/example.json'; cat "$b"; } | put project_diagnostics fix_apply ;;
    esac
    rm -f "$b"
  done
done

for d in "$out"/*/; do echo "$(ls "$d" | wc -l) seeds in $d"; done
