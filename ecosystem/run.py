#!/usr/bin/env python3
"""djperm's ecosystem check: run djperm on pinned public Django projects and compare.

    python3 ecosystem/run.py extract                     # mirrors -> checkouts (once)
    python3 ecosystem/run.py check --djperm BIN          # per-rule precision vs triage.tsv
    python3 ecosystem/run.py check --djperm NEW --baseline OLD   # + what NEW adds/removes

Checkouts live in $DJPERM_ECOSYSTEM_DIR (default: ../eco next to the repository); bare
mirrors in $DJPERM_MIRRORS (default: /work/.mirror, one `<owner>+<name>/repo` per project).
Each project is checked twice: the default rules, then `--preview`. Findings are matched to
`ecosystem/triage.tsv` by (project, file, line, code); a `MISS` row is a wrong permission
string a reader found that djperm should report at that line.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_DEST = os.environ.get("DJPERM_ECOSYSTEM_DIR", os.path.join(os.path.dirname(ROOT), "eco"))
DEFAULT_MIRRORS = os.environ.get("DJPERM_MIRRORS", "/work/.mirror")
TRIAGE = os.path.join(HERE, "triage.tsv")
MODES = ("default", "preview")


def load_projects(only=None):
    with open(os.path.join(HERE, "projects.toml"), "rb") as f:
        projects = tomllib.load(f)["project"]
    if only:
        wanted = set(only.split(","))
        projects = [p for p in projects if p["name"] in wanted]
    return projects


def load_triage():
    rows = []
    with open(TRIAGE, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 7:
                sys.exit(f"{TRIAGE}:{n}: expected 7 tab-separated columns, got {len(parts)}")
            project, file, lineno, code, string, verdict, reason = parts
            if verdict not in ("TP", "FP", "MISS"):
                sys.exit(f"{TRIAGE}:{n}: verdict must be TP, FP or MISS, not {verdict!r}")
            rows.append(dict(project=project, file=file, line=int(lineno), code=code,
                             string=string, verdict=verdict, reason=reason))
    return rows


def cmd_extract(args):
    sys.path.insert(0, HERE)
    from extract import extract

    os.makedirs(args.dest, exist_ok=True)
    for p in load_projects(args.projects):
        dest = os.path.join(args.dest, p["name"])
        if os.path.isdir(dest):
            continue
        git_dir = os.path.join(args.mirrors, p["repo"].replace("/", "+"), "repo")
        if not os.path.isdir(git_dir):
            print(f"{p['name']}: no mirror at {git_dir}", file=sys.stderr)
            continue
        written, missing = extract(git_dir, p["commit"], dest)
        print(f"{p['name']}: {written} files ({missing} absent from the mirror)")


def first_backticked(message):
    m = re.search(r"`([^`]*)`", message)
    return m.group(1) if m else ""


def run_one(binary, project, dest, mode):
    """Findings of one djperm run: list of dicts, plus stderr and seconds."""
    root = os.path.join(dest, project["name"])
    target = os.path.join(root, project.get("path", "."))
    cmd = [binary, "check", os.path.normpath(target), "--output-format", "json", "--exit-zero"]
    if mode == "preview":
        cmd.append("--preview")
    start = time.monotonic()
    # The corpus is shared and read-only in spirit: no cache directory is written into it.
    env = dict(os.environ, DJPERM_NO_CACHE="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        return None, proc.stderr, seconds
    findings = []
    for d in json.loads(proc.stdout):
        findings.append(dict(
            project=project["name"],
            file=os.path.relpath(d["filename"], root),
            line=d["location"]["row"],
            code=d["code"],
            string=first_backticked(d["message"]),
            message=d["message"],
            mode=mode,
        ))
    return findings, proc.stderr, seconds


def run_all(binary, projects, dest, jobs):
    """{(project, mode): findings} for one binary, projects in parallel."""
    results, failures, stderr, seconds = {}, [], {}, 0.0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = {pool.submit(run_one, binary, p, dest, m): (p["name"], m)
                for p in projects for m in MODES
                if os.path.isdir(os.path.join(dest, p["name"]))}
        for fut in concurrent.futures.as_completed(futs):
            key = futs[fut]
            findings, err, secs = fut.result()
            seconds += secs
            if findings is None:
                failures.append((key, err.strip().splitlines()[-1:] or ["(no output)"]))
                findings = []
            results[key] = findings
            stderr[key] = err
    return results, failures, stderr, seconds


def key(f):
    return (f["project"], f["file"], f["line"], f["code"])


def report(results, triage, projects):
    verdicts = {key(r): r for r in triage if r["verdict"] != "MISS"}
    by_rule = collections.defaultdict(lambda: collections.Counter())
    untriaged = []
    in_default = {key(f) for (_, mode), fs in results.items() if mode == "default" for f in fs}
    for (project, mode), findings in sorted(results.items()):
        for f in findings:
            # A stable-rule finding appears in both runs: count it once, under `default`.
            if mode == "preview" and key(f) in in_default:
                continue
            status = "preview" if mode == "preview" else "default"
            rule = by_rule[(status, f["code"])]
            rule["findings"] += 1
            v = verdicts.get(key(f))
            if v is None:
                rule["untriaged"] += 1
                untriaged.append(f)
            else:
                rule[v["verdict"]] += 1
    print("\n## Findings per rule\n")
    print("| rules | code | findings | TP | FP | untriaged | precision |")
    print("|---|---|---:|---:|---:|---:|---:|")
    totals = collections.Counter()
    for (status, code), c in sorted(by_rule.items()):
        judged = c["TP"] + c["FP"]
        prec = f"{c['TP'] / judged:.2f}" if judged else "-"
        print(f"| {status} | {code} | {c['findings']} | {c['TP']} | {c['FP']} | {c['untriaged']} | {prec} |")
        if status == "default":
            totals.update(c)
    judged = totals["TP"] + totals["FP"]
    prec = f"{totals['TP'] / judged:.3f}" if judged else "-"
    print(f"| default | all | {totals['findings']} | {totals['TP']} | {totals['FP']} | {totals['untriaged']} | {prec} |")

    found = {key(f) for fs in results.values() for f in fs}
    found_lines = {(f["project"], f["file"], f["line"]) for fs in results.values() for f in fs}
    misses = [r for r in triage if r["verdict"] == "MISS"]
    caught = [r for r in misses if (r["project"], r["file"], r["line"]) in found_lines]
    print(f"\n## Known wrong strings (MISS rows): {len(caught)} of {len(misses)} now reported\n")
    for r in misses:
        if (r["project"], r["file"], r["line"]) not in found_lines:
            print(f"- not reported: {r['project']} {r['file']}:{r['line']} `{r['string']}` ({r['reason']})")
    stale = [r for r in triage if r["verdict"] != "MISS" and key(r) not in found]
    if stale:
        print(f"\n## Triaged findings no longer reported: {len(stale)}\n")
        for r in stale:
            print(f"- {r['verdict']} {r['project']} {r['file']}:{r['line']} {r['code']} `{r['string']}`")
    if untriaged:
        print(f"\n## Untriaged findings: {len(untriaged)}\n")
        for f in untriaged:
            print(f"- {f['project']}\t{f['file']}\t{f['line']}\t{f['code']}\t{f['string']}\t({f['mode']}) {f['message']}")
    return totals


def change_report(new, old):
    print("\n## Change report (baseline → new)\n")
    added, removed = [], []
    for k in sorted(set(new) | set(old)):
        a = {key(f): f for f in new.get(k, [])}
        b = {key(f): f for f in old.get(k, [])}
        added += [a[x] for x in a.keys() - b.keys()]
        removed += [b[x] for x in b.keys() - a.keys()]
    per = collections.Counter()
    for f in added:
        per[(f["mode"], f["code"], "+")] += 1
    for f in removed:
        per[(f["mode"], f["code"], "-")] += 1
    print(f"{len(added)} findings added, {len(removed)} removed")
    for (mode, code, sign), n in sorted(per.items()):
        print(f"  {mode:8} {code} {sign}{n}")
    for sign, fs in (("+", added), ("-", removed)):
        for f in sorted(fs, key=lambda f: (f["project"], f["file"], f["line"])):
            print(f"{sign} [{f['mode']}] {f['project']} {f['file']}:{f['line']} {f['code']} {f['message']}")


def cmd_check(args):
    projects = load_projects(args.projects)
    triage = load_triage()
    start = time.monotonic()
    results, failures, stderr, secs = run_all(args.djperm, projects, args.dest, args.jobs)
    missing = [p["name"] for p in projects if not os.path.isdir(os.path.join(args.dest, p["name"]))]
    print(f"# djperm ecosystem check: {len(projects) - len(missing)} projects, "
          f"{time.monotonic() - start:.1f} s wall ({secs:.1f} s in djperm)")
    if missing:
        print(f"not extracted (run `extract`): {', '.join(missing)}")
    for (name, mode), err in failures:
        print(f"FAILED {name} [{mode}]: {err}")
    print("\n| project | default | preview-only | stderr lines |")
    print("|---|---:|---:|---:|")
    for p in projects:
        n = p["name"]
        if (n, "default") not in results:
            continue
        d = results[(n, "default")]
        dk = {key(f) for f in d}
        pv = [f for f in results[(n, "preview")] if key(f) not in dk]
        print(f"| {n} | {len(d)} | {len(pv)} | {len(stderr[(n, 'default')].splitlines())} |")
    if args.stderr:
        for (n, mode), err in sorted(stderr.items()):
            if mode == "default" and err.strip():
                print(f"\n### {n} stderr\n{err.rstrip()}")
    totals = report(results, triage, projects)
    if args.baseline:
        old, _, _, _ = run_all(args.baseline, projects, args.dest, args.jobs)
        change_report(results, old)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([f for fs in results.values() for f in fs], f, indent=1)
    return 0 if not failures else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract", help="extract every pinned commit from the mirrors")
    ex.add_argument("--mirrors", default=DEFAULT_MIRRORS)
    ex.add_argument("--dest", default=DEFAULT_DEST)
    ex.add_argument("--projects", help="comma-separated project names (default: all)")
    ck = sub.add_parser("check", help="run djperm on every project and compare with triage.tsv")
    ck.add_argument("--djperm", default=os.path.join(ROOT, "target", "release", "djperm"))
    ck.add_argument("--baseline", help="a second djperm binary: report what --djperm adds and removes")
    ck.add_argument("--dest", default=DEFAULT_DEST)
    ck.add_argument("--projects", help="comma-separated project names (default: all)")
    ck.add_argument("--jobs", type=int, default=2)
    ck.add_argument("--stderr", action="store_true", help="print each project's warnings")
    ck.add_argument("--json", help="write every finding to this file")
    args = ap.parse_args()
    sys.exit(cmd_extract(args) if args.cmd == "extract" else cmd_check(args))


if __name__ == "__main__":
    main()
