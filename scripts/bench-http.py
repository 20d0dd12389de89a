#!/usr/bin/env python3
"""HTTP throughput of a release `pds` under `wrk`: createRecord/s and getRecord/s with 1, 8 and 32 connections,
against one actor and against many actors, and `_health`/s (the server's ceiling for a trivial GET) in the same run.

Starts `pds serve` in dev mode on a free port with a fresh temporary data directory, creates the accounts (and, for
the read runs, records to read) through the XRPC API, then runs `wrk` with a generated Lua script per scenario. Every
run must answer only 2xx: a run with errors fails the benchmark instead of reporting a rate.

    make bench-http                     # builds the release binary, then runs this
    scripts/bench-http.py --duration 20 --actors 64 --binary .build/release/pds

Needs `wrk` (Debian package `wrk`) and the Python `requests` package (in the test venv).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from pds_process import PDSProcess, serve

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-long-enough"

# The Lua side: `targets` is a list of {method, path, headers, body}; each wrk thread walks it round-robin, starting at
# a different offset so threads do not hammer the same actor in lockstep.
LUA_TEMPLATE = """
local targets = %s
local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
end

request = function()
  counter = counter + 1
  local t = targets[(counter %% #targets) + 1]
  return wrk.format(t.method, t.path, t.headers, t.body)
end

done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\":%%d,\\"duration_us\\":%%d,\\"errors_status\\":%%d," ..
    "\\"errors_connect\\":%%d,\\"errors_read\\":%%d,\\"errors_write\\":%%d,\\"errors_timeout\\":%%d," ..
    "\\"p50_us\\":%%d,\\"p99_us\\":%%d}\\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def lua_string(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal for these ASCII payloads


def lua_targets(targets: list[dict]) -> str:
    items = []
    for t in targets:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in t.get("headers", {}).items())
        body = lua_string(t["body"]) if t.get("body") is not None else "nil"
        items.append(f"{{method = {lua_string(t['method'])}, path = {lua_string(t['path'])}, "
                     f"headers = {{{headers}}}, body = {body}}}")
    return "{\n" + ",\n".join(items) + "\n}"


def create_accounts(server: PDSProcess, count: int) -> list[dict]:
    accounts = []
    for i in range(count):
        handle = f"bench{i}.test"
        r = requests.post(server.xrpc("com.atproto.server.createAccount"),
                          json={"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
        r.raise_for_status()
        accounts.append(r.json())
    return accounts


def post_record(text: str) -> dict:
    return {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-21T12:00:00.000Z"}


def create_targets(accounts: list[dict]) -> list[dict]:
    return [{
        "method": "POST", "path": "/xrpc/com.atproto.repo.createRecord",
        "headers": {"Authorization": f"Bearer {a['accessJwt']}", "Content-Type": "application/json"},
        "body": json.dumps({"repo": a["did"], "collection": "app.bsky.feed.post",
                            "record": post_record("a benchmark post")}),
    } for a in accounts]


def seed_records(server: PDSProcess, accounts: list[dict], per_actor: int) -> list[dict]:
    """Writes `per_actor` posts per account with applyWrites (batches of 200) and returns getRecord targets."""
    targets = []
    for a in accounts:
        headers = {"Authorization": f"Bearer {a['accessJwt']}"}
        written = 0
        while written < per_actor:
            batch = min(200, per_actor - written)
            writes = [{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post",
                       "value": post_record(f"seed {written + i}")} for i in range(batch)]
            r = requests.post(server.xrpc("com.atproto.repo.applyWrites"), headers=headers,
                              json={"repo": a["did"], "writes": writes})
            r.raise_for_status()
            for result in r.json()["results"]:
                rkey = result["uri"].rsplit("/", 1)[1]
                targets.append({"method": "GET", "path": "/xrpc/com.atproto.repo.getRecord?repo="
                                f"{a['did']}&collection=app.bsky.feed.post&rkey={rkey}"})
            written += batch
    return targets


def run_wrk(server, targets: list[dict], connections: int, duration: int, workdir: Path) -> dict:
    """Runs wrk against `server.url` walking `targets`; fails on any non-2xx answer or socket error."""
    script = workdir / "targets.lua"
    script.write_text(LUA_TEMPLATE % lua_targets(targets))
    threads = min(connections, 2)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
                          "-s", str(script), server.url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^JSON(\{.*\})$", out, re.MULTILINE)
    if not match:
        raise RuntimeError("wrk printed no summary:\n" + out)
    result = json.loads(match.group(1))
    errors = {k: v for k, v in result.items() if k.startswith("errors_") and v}
    if errors:
        raise RuntimeError(f"wrk saw errors {errors}:\n{out}")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build/release/pds")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--actors", type=int, default=32, help="accounts in the many-actor runs (default 32)")
    parser.add_argument("--records", type=int, default=2000, help="records seeded for the read runs (default 2000)")
    parser.add_argument("--connections", default="1,8,32", help="comma-separated wrk connection counts (default 1,8,32)")
    parser.add_argument("--only", help="run only the scenarios whose method contains this (createRecord, getRecord, _health)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--log-level", default="error",
                        help="the server's LOG_LEVEL (default error: no per-request lines; info, the server's default, "
                             "writes one `request completed` line per request to a file)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench-http: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    if not args.binary.exists():
        print(f"bench-http: {args.binary} does not exist (swift build -c release --product pds)", file=sys.stderr)
        return 1

    results = []
    with tempfile.TemporaryDirectory(prefix="pds-bench-http-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        data.mkdir()
        server = serve(args.binary, data, {"LOG_LEVEL": args.log_level})
        try:
            accounts = create_accounts(server, args.actors)
            one, many = accounts[:1], accounts
            reads_one = seed_records(server, one, args.records)
            reads_many = seed_records(server, many[1:], max(1, args.records // max(1, len(many) - 1)))
            reads_many += reads_one[: max(1, args.records // len(many))]
            scenarios = [
                ("_health", "-", [{"method": "GET", "path": "/xrpc/_health"}]),
                ("createRecord", "1 actor", create_targets(one)),
                ("createRecord", f"{len(many)} actors", create_targets(many)),
                ("getRecord", "1 actor", reads_one),
                ("getRecord", f"{len(many)} actors", reads_many),
            ]
            connection_counts = [int(c) for c in args.connections.split(",")]
            for method, actors, targets in scenarios:
                if args.only and args.only not in method:
                    continue
                for connections in connection_counts:
                    r = run_wrk(server, targets, connections, args.duration, workdir)
                    row = {"method": method, "actors": actors, "connections": connections, "rps": round(r["rps"], 1),
                           "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "requests": r["requests"]}
                    results.append(row)
                    print(f"{method:13} {actors:10} c={connections:<3} {row['rps']:>9.1f} req/s   "
                          f"p50 {row['p50_ms']:7.2f} ms   p99 {row['p99_ms']:7.2f} ms", flush=True)
        finally:
            server.stop(30)
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "duration_s": args.duration, "results": results},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
