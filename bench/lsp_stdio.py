#!/usr/bin/env python3
"""Latency of `djperm server` as an editor sees it, over stdio (see bench/run.sh).

    python3 bench/lsp_stdio.py --djperm BIN --root PROJECT --file REL [--dependent REL]
                               [--rounds N] [--starts N] [--at end|middle]

Starts the server in PROJECT, opens REL and times:
  startup   initialize → the first `textDocument/diagnostic` answer for REL (the server
            started --starts times; p50 and p95 when more than once);
  edit      a full-text `didChange` of REL (a comment line added or removed: after the last
            line with --at end, the default; before the middle line with --at middle, which
            moves every definition below it) → the `textDocument/diagnostic` answer for REL;
  dependent (with --dependent DEP) a `didChange` of REL → the diagnostic answer for DEP
            (e.g. REL a models file, DEP a views file that uses its permissions).
Prints p50 and p95 in milliseconds. The server answers a pull only from an analysis that
includes the latest edit, so each sample is the full edit → diagnostics round trip.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


class Client:
    def __init__(self, cmd, cwd):
        self.proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.next_id = 0

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                sys.exit("the server closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            msg = self.read()
            if msg.get("id") == rid and "method" not in msg:
                if "error" in msg:
                    sys.exit(f"{method}: {msg['error']}")
                return msg.get("result")
            if "method" in msg and "id" in msg:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


def uri(path):
    return "file://" + os.path.abspath(path)


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--djperm", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--dependent")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--starts", type=int, default=1)
    ap.add_argument("--at", choices=["end", "middle"], default="end")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    if os.sep in args.djperm:  # the server runs in PROJECT
        args.djperm = os.path.abspath(args.djperm)
    starts = [start_server(args, root)[1] for _ in range(args.starts - 1)]
    c, startup, docs, pull = start_server(args, root, keep=True)
    starts.append(startup)

    def edit(rel, n):
        d = docs[rel]
        d["version"] += 1
        text = d["text"]
        if n % 2 == 0:
            probe = "# djperm latency probe\n"
            if args.at == "end":
                text = text + probe
            else:
                lines = text.splitlines(keepends=True)
                half = len(lines) // 2
                text = "".join(lines[:half]) + probe + "".join(lines[half:])
        c.notify("textDocument/didChange", {
            "textDocument": {"uri": d["uri"], "version": d["version"]},
            "contentChanges": [{"text": text}]})

    results = {"startup": starts}
    for kind, target in (("edit", args.file), ("dependent", args.dependent)):
        if not target:
            continue
        samples = []
        for n in range(args.rounds):
            t = time.perf_counter()
            edit(args.file, n)
            pull(target)
            samples.append((time.perf_counter() - t) * 1000)
        results[kind] = samples
    stop(c)
    where = "" if args.at == "end" else " (middle)"
    print(f"project {root}, {args.rounds} rounds, {args.starts} start(s)")
    labels = {
        "startup": f"startup → first diagnostics of {args.file}",
        "edit": f"edit{where} {args.file} → its diagnostics",
        "dependent": f"edit{where} {args.file} → diagnostics of {args.dependent}",
    }
    for k, v in results.items():
        if len(v) == 1:
            print(f"{labels[k]:<70} {v[0]:8.1f} ms")
        else:
            print(f"{labels[k]:<70} p50 {statistics.median(v):7.1f} ms  p95 {pct(v, 95):7.1f} ms")


def stop(c):
    c.request("shutdown", None)
    c.notify("exit", None)
    c.proc.wait(timeout=10)


def start_server(args, root, keep=False):
    """Start the server, open the files and pull REL's diagnostics: (client, startup ms, docs,
    pull), the server stopped unless `keep`."""
    c = Client([args.djperm, "server"], root)
    start = time.perf_counter()
    c.request("initialize", {
        "processId": os.getpid(),
        "rootUri": uri(root),
        "workspaceFolders": [{"uri": uri(root), "name": os.path.basename(root)}],
        "capabilities": {"textDocument": {"diagnostic": {"dynamicRegistration": False}}},
    })
    c.notify("initialized", {})
    docs = {}
    for rel in filter(None, [args.file, args.dependent]):
        path = os.path.join(root, rel)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        docs[rel] = {"uri": uri(path), "text": text, "version": 1}
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri(path), "languageId": "python", "version": 1, "text": text}})

    def pull(rel):
        res = c.request("textDocument/diagnostic", {"textDocument": {"uri": docs[rel]["uri"]}})
        return len(res.get("items", [])) if res else 0

    pull(args.file)
    startup = (time.perf_counter() - start) * 1000
    if not keep:
        stop(c)
    return c, startup, docs, pull


if __name__ == "__main__":
    main()
