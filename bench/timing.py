#!/usr/bin/env python3
"""Time djperm, ruff and grep on the same trees in alternating rounds (see bench/run.sh)."""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

EXCLUDE = {
    ".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox",
    ".mypy_cache", ".ruff_cache", "site-packages",
}


def run(cmd, env=None, ok=(0,)):
    """Run cmd once, capturing its output: (wall seconds, stdout, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.decode()[-2000:]}")
    return wall, out, err


def run_rusage(cmd, env=None, ok=(0,)):
    """Run cmd, output discarded, reaped with wait4: (wall s, CPU s, peak RSS MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def tree_size(root):
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in EXCLUDE]
        for f in filenames:
            if f.endswith(".py"):
                files += 1
                size += os.path.getsize(os.path.join(dirpath, f))
    return files, size


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    return {
        "cpu": f"{model}, {os.cpu_count()} logical CPUs",
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "rustc": version(["rustc", "--version"]),
    }


def fmt_s(x):
    return f"{x:.3f}"


def touch_target(tree):
    """The largest models file of the tree (else its largest Python file): what a touch makes
    the cached run look at again."""
    best = None
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if f.endswith(".py"):
                p = os.path.join(dirpath, f)
                rank = ("models" in p, os.path.getsize(p))
                if best is None or rank > best[0]:
                    best = (rank, p)
    return best[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--djperm", required=True)
    ap.add_argument("--ruff", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out")
    ap.add_argument("trees", nargs="+")
    args = ap.parse_args()

    info = machine()
    info["djperm"] = subprocess.run([args.djperm, "--version"], capture_output=True, text=True).stdout.strip()
    info["ruff"] = subprocess.run([args.ruff, "--version"], capture_output=True, text=True).stdout.strip()
    load_start = os.getloadavg()

    rows = []
    breakdowns = {}
    for tree in args.trees:
        tree = os.path.abspath(tree)
        name = os.path.basename(tree.rstrip("/")) or tree
        if os.path.basename(os.path.dirname(tree)) not in ("trees", "real", "eco"):
            name = os.path.relpath(tree, os.path.dirname(os.path.dirname(tree)))
        files, size = tree_size(tree)
        # djperm cold (no cache: it parses what it needs, as ruff --no-cache parses everything)
        # and warm (its facts cache filled by the warm-up round, nothing changed since). The
        # cache lives in bench/cache/, never in the measured tree.
        cache = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache", name.replace("/", "_"))
        shutil.rmtree(cache, ignore_errors=True)
        touched = touch_target(tree)
        warm_cmd = [args.djperm, "check", tree, "--output-format", "concise", "--exit-zero", "--cache-dir", cache]
        cmds = {
            "djperm": ([args.djperm, "check", tree, "--output-format", "concise", "--exit-zero", "--no-cache"], (0,)),
            "warm": (warm_cmd, (0,)),
            # One file touched (its time changed, not its bytes): the kept result cannot be
            # given again, so this is the per-file facts cache's path. Its time is put back
            # after, so that the next warm run finds the tree as its kept result saw it.
            "touched": ([
                "sh", "-c", 'old=$(stat -c %y "$0"); touch "$0"; "$@"; rc=$?; touch -d "$old" "$0"; exit $rc',
                touched,
            ] + warm_cmd, (0,)),
            "ruff": ([args.ruff, "check", "--select", "DJ", "--no-cache", "--exit-zero", "--quiet", tree], (0,)),
            "grep": (["grep", "-rl", "perm", "--include=*.py", tree], (0, 1)),
        }
        print(f"== {name}: {files} .py files, {size / 1e6:.1f} MB", file=sys.stderr)
        # Warm-up round (page cache), and djperm's own account of where time goes.
        for cmd, ok in cmds.values():
            run(cmd, ok=ok)
        env = dict(os.environ, DJPERM_TIMINGS="1")
        _, out, err = run(cmds["djperm"][0], env=env)
        _, _, warm_err = run(cmds["warm"][0], env=env)
        err += b"\n" + b"\n".join(
            b"warm: " + line for line in warm_err.splitlines() if b"timing: cache" in line or b"timing: parse" in line
        )
        breakdowns[name] = [
            line.replace("djperm: timing: ", "") for line in err.decode().splitlines()
            if "djperm: timing:" in line
        ]
        findings = out.decode().count("\n")
        samples = {k: [] for k in cmds}
        for r in range(args.rounds):
            for k, (cmd, ok) in cmds.items():
                samples[k].append(run_rusage(cmd, ok=ok))
            print(f"   round {r + 1}/{args.rounds}", file=sys.stderr)
        med = {
            k: (
                statistics.median(s[0] for s in v),
                statistics.median(s[1] for s in v),
                max(s[2] for s in v),
            )
            for k, v in samples.items()
        }
        rows.append({"name": name, "files": files, "size": size, "med": med, "findings": findings})

    load_end = os.getloadavg()
    lines = []
    lines.append(
        "| tree | .py files | MB | djperm s (cpu) | warm s | 1 touched s | ruff s (cpu) | grep s "
        "| djperm/ruff | djperm/grep | warm/ruff | touched/ruff | djperm peak RSS (touched) | ruff peak RSS |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        d, w, f, g = r["med"]["djperm"], r["med"]["warm"], r["med"]["ruff"], r["med"]["grep"]
        t = r["med"]["touched"]
        lines.append(
            f"| {r['name']} | {r['files']} | {r['size'] / 1e6:.1f} | {fmt_s(d[0])} ({fmt_s(d[1])}) "
            f"| {fmt_s(w[0])} | {fmt_s(t[0])} | {fmt_s(f[0])} ({fmt_s(f[1])}) | {fmt_s(g[0])} | {d[0] / f[0]:.2f} "
            f"| {d[0] / g[0]:.1f} | {w[0] / f[0]:.2f} | {t[0] / f[0]:.2f} | {d[2]:.0f} MB ({t[2]:.0f} MB) | {f[2]:.0f} MB |"
        )
    if len(rows) > 1:
        ratios = sorted(r["med"]["djperm"][0] / r["med"]["ruff"][0] for r in rows)
        lines.append("")
        lines.append(f"djperm/ruff over the {len(rows)} trees: median {statistics.median(ratios):.2f}, "
                     f"worst {ratios[-1]:.2f}.")
    table = "\n".join(lines)

    growth = []
    gen = {r["name"]: r for r in rows}
    if "gen-5k" in gen and "gen-20k" in gen:
        a, b = gen["gen-5k"], gen["gen-20k"]
        fr = b["files"] / a["files"]
        growth.append(f"Growth gen-5k → gen-20k: files ×{fr:.2f}")
        for tool in ("djperm", "warm", "touched", "ruff", "grep"):
            ta, tb = a["med"][tool][0], b["med"][tool][0]
            growth.append(
                f"- {tool}: time ×{tb / ta:.2f} (linear would be ×{fr:.2f}); "
                f"{a['files'] / ta:,.0f} → {b['files'] / tb:,.0f} files/s"
            )
    report = []
    report.append(f"Medians of {args.rounds} alternating rounds (after a warm-up round), wall seconds "
                  "with CPU seconds (user+sys) in parentheses.\n")
    report.append(table + "\n")
    report.extend(growth)
    print("\n".join(report))

    if args.out:
        md = ["# djperm speed benchmark", ""]
        md.append(f"Run on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} with `bash bench/run.sh "
                  + " ".join(t for t in args.trees if "/bench/trees/" not in t) + "`.")
        md.append("")
        md.append("## Machine")
        md.append("")
        for k in ("cpu", "memory", "os", "rustc", "djperm", "ruff"):
            md.append(f"- {k}: {info[k]}")
        md.append(f"- djperm built with cargo profile `{os.environ.get('PROFILE', 'release')}`")
        md.append(f"- load average at start / end: {load_start[0]:.2f} / {load_end[0]:.2f} "
                  "(a shared machine: other jobs inflate wall times; CPU times are steadier)")
        md.append("")
        md.append("## Results")
        md.append("")
        md.extend(report)
        md.append("")
        md.append("Commands: `djperm check TREE --output-format concise --exit-zero --no-cache` "
                  "(cold), the same with its cache filled and nothing changed (warm: the kept result), "
                  "the same after `touch` of one models file (1 touched: the per-file facts cache), "
                  "`ruff check --select DJ --no-cache --exit-zero TREE`, "
                  "`grep -rl perm --include='*.py' TREE`.")
        md.append("")
        md.append("## Where djperm's time goes (`DJPERM_TIMINGS=1`, one run)")
        md.append("")
        for name, lines_ in breakdowns.items():
            md.append(f"### {name}")
            md.append("")
            md.append("```text")
            md.extend(lines_)
            md.append("```")
            md.append("")
        with open(args.out, "w") as fh:
            fh.write("\n".join(md).rstrip() + "\n")
        print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
