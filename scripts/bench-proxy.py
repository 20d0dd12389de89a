#!/usr/bin/env python3
"""What the XRPC proxy costs: proxied GET requests/s and latency (p50/p99) through a release `pds` to a fake AppView,
against the same requests sent to the fake AppView directly, with 1, 8 and 32 connections (`wrk`).

The fake AppView is a minimal asyncio HTTP/1.1 server in this process answering `app.bsky.actor.getProfile` with a
fixed profile (it does not verify the service JWTs: the e2e tests do that; here it should cost as little as possible).
The proxied run sends the account's access token; the server checks it, signs a service JWT with the account's key
and forwards the request on a pooled keep-alive connection. The difference between the two runs' latencies is what
the proxy adds. wrk, the server and the fake share the machine's cores.

    make bench-proxy                    # builds the release binary, then runs this
    scripts/bench-proxy.py --duration 10 --binary .build/release/pds

Needs `wrk` (Debian package `wrk`) and the Python `requests` package (in the test venv).
"""
import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_http", ROOT / "scripts" / "bench-http.py")
bench_http = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_http)

APPVIEW_DID = "did:web:appview.bench.test"
PROFILE = json.dumps({"did": "did:plc:bench", "handle": "bench0.test", "displayName": "Bench",
                      "followersCount": 0, "followsCount": 0, "postsCount": 0}).encode()
RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: "
            + str(len(PROFILE)).encode() + b"\r\natproto-repo-rev: 3kbench\r\n\r\n" + PROFILE)


class FakeAppView(asyncio.Protocol):
    """Answers every request head with the profile; keep-alive, pipelining-safe."""

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(RESPONSE)


class Target:
    def __init__(self, url: str):
        self.url = url


def start_fake_appview() -> int:
    port = bench_http.free_port()
    ready = threading.Event()

    def serve():
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(loop.create_server(FakeAppView, "127.0.0.1", port, backlog=1024))
        ready.set()
        loop.run_until_complete(server.serve_forever())

    threading.Thread(target=serve, daemon=True).start()
    ready.wait()
    return port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build/release/pds")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--connections", default="1,8,32", help="comma-separated wrk connection counts (default 1,8,32)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench-proxy: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    if not args.binary.exists():
        print(f"bench-proxy: {args.binary} does not exist (swift build -c release --product pds)", file=sys.stderr)
        return 1

    fake_port = start_fake_appview()
    fake = Target(f"http://127.0.0.1:{fake_port}")
    path = "/xrpc/app.bsky.actor.getProfile?actor=bench0.test"
    results = []
    with tempfile.TemporaryDirectory(prefix="pds-bench-proxy-") as tmp:
        workdir = Path(tmp)
        data = workdir / "data"
        data.mkdir()
        server = bench_http.Server(args.binary, data, {
            "PDS_BSKY_APP_VIEW_URL": fake.url, "PDS_BSKY_APP_VIEW_DID": APPVIEW_DID,
        })
        try:
            account = bench_http.create_accounts(server, 1)[0]
            token = {"Authorization": f"Bearer {account['accessJwt']}"}
            check = requests.get(server.url + path, headers=token)
            if check.status_code != 200 or check.json()["handle"] != "bench0.test":
                raise RuntimeError(f"the proxied request failed: {check.status_code} {check.text}")
            scenarios = [
                ("direct", fake, [{"method": "GET", "path": path}]),
                ("proxied", server, [{"method": "GET", "path": path, "headers": token}]),
            ]
            for connections in [int(c) for c in args.connections.split(",")]:
                by_name = {}
                for name, target, targets in scenarios:
                    r = bench_http.run_wrk(target, targets, connections, args.duration, workdir)
                    by_name[name] = r
                    row = {"scenario": name, "connections": connections, "rps": round(r["rps"], 1),
                           "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000, "requests": r["requests"]}
                    results.append(row)
                    print(f"{name:8} c={connections:<3} {row['rps']:>9.1f} req/s   p50 {row['p50_ms']:7.2f} ms   "
                          f"p99 {row['p99_ms']:7.2f} ms", flush=True)
                added50 = (by_name["proxied"]["p50_us"] - by_name["direct"]["p50_us"]) / 1000
                added99 = (by_name["proxied"]["p99_us"] - by_name["direct"]["p99_us"]) / 1000
                print(f"added    c={connections:<3}                   p50 {added50:7.2f} ms   p99 {added99:7.2f} ms",
                      flush=True)
        finally:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "duration_s": args.duration, "results": results},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
