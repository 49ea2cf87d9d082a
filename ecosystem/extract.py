#!/usr/bin/env python3
"""Extract one commit of a bare mirror into a directory, skipping blobs the mirror lacks.

Mirrors may omit their largest files (media, archives); those never matter to djperm, so
they are skipped and counted instead of failing the extraction like `git archive` would.

    python3 ecosystem/extract.py GIT_DIR COMMIT DEST
"""
import os
import subprocess
import sys


def extract(git_dir: str, commit: str, dest: str) -> tuple[int, int]:
    tree = subprocess.run(
        ["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", commit],
        check=True, capture_output=True,
    ).stdout
    entries = []
    for rec in tree.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, kind, oid = meta.split()
        if kind != b"blob" or mode == b"120000":  # submodules and symlinks are not extracted
            continue
        entries.append((oid.decode(), path.decode("utf-8", "surrogateescape"), mode))
    proc = subprocess.Popen(
        ["git", "--git-dir", git_dir, "cat-file", "--batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    written = missing = 0
    for oid, path, mode in entries:
        proc.stdin.write(oid.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            missing += 1
            continue
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
        if mode == b"100755":
            os.chmod(target, 0o755)
        written += 1
    proc.stdin.close()
    proc.wait()
    return written, missing


if __name__ == "__main__":
    git_dir, commit, dest = sys.argv[1:4]
    w, m = extract(git_dir, commit, dest)
    print(f"{dest}: {w} files, {m} absent from the mirror")
