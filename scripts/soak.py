#!/usr/bin/env python3
"""Soak test of a release `pds` (run by hand for the notes, not in CI): mixed load for a while, sampling the server's
resident memory, open file descriptors and request latency each minute, to show whether anything grows.

Load, all at once, against `pds serve` in dev mode with a fresh data directory:
- writers: createRecord (and now and then deleteRecord) on accounts picked at random among `--accounts`;
- readers: getRecord, listRecords, describeRepo and sync.getLatestCommit on random accounts;
- firehose subscribers: `--subscribers` WebSocket consumers of subscribeRepos, each reconnecting from its last cursor
  every few hundred frames (subscriber churn);
- handle-cache evictions: `PDS_ACTOR_STORE_CACHE_SIZE` (default here 16) is far below the number of accounts, so
  random access keeps opening and evicting actor stores.

Each minute a row goes to the CSV: elapsed minutes, RSS (MiB), open fds, requests, errors, p50/p99 latency (ms) of
that minute's requests, firehose frames received, and the handle-cache evictions so far (from /metrics). At the end
the script plots RSS, fds and p99 against time to a PNG and prints the least-squares slope of RSS and fds over the
second half of the run (the first minutes include warm-up: caches filling, SQLite pages, allocator arenas).

    pip install matplotlib                      # for the plot (not needed by the tests)
    swift build -c release --product pds
    scripts/soak.py --minutes 30 --csv docs/soak.csv --png docs/soak.png
"""
import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cbrrr
import requests
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "soak-password-long-enough"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`pds serve` in dev mode on a free port, logging at `info` (the default) to a file in the data directory."""

    def __init__(self, binary: Path, data_dir: Path, cache_size: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
        env.update({
            "PDS_DEV_MODE": "true", "PDS_PORT": str(self.port), "PDS_DATA_DIRECTORY": str(data_dir),
            "PDS_HOSTNAME": "localhost", "PDS_INVITE_REQUIRED": "false", "PDS_RATE_LIMITS_ENABLED": "false",
            "PDS_ACTOR_STORE_CACHE_SIZE": str(cache_size), "PDS_METRICS_ENABLED": "true",
        })
        self.log = open(data_dir / "server.log", "ab")
        self.process = subprocess.Popen([str(binary), "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/xrpc/_health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("pds did not start; see " + str(data_dir / "server.log"))
            time.sleep(0.1)

    def xrpc(self, method: str) -> str:
        return f"{self.url}/xrpc/{method}"

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def metric(self, name: str) -> float:
        text = requests.get(f"{self.url}/metrics", timeout=10).text
        match = re.search(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else float("nan")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


class Stats:
    """Latencies and counts of the current minute, shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.frames = 0
        self.error_samples: list[str] = []

    def record(self, seconds: float, ok: bool, what: str = ""):
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(what)

    def take(self) -> tuple[list[float], int, int]:
        with self.lock:
            taken = (self.latencies, self.errors, self.frames)
            self.latencies, self.errors, self.frames = [], 0, 0
            return taken


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def timed(stats: Stats, session: requests.Session, method: str, url: str, **kwargs) -> requests.Response | None:
    start = time.perf_counter()
    try:
        r = session.request(method, url, timeout=30, **kwargs)
    except requests.RequestException as error:
        stats.record(time.perf_counter() - start, False, f"{url}: {error}")
        return None
    stats.record(time.perf_counter() - start, r.ok, f"{url}: {r.status_code} {r.text[:200]}")
    return r


def writer(server: Server, accounts: list[dict], written: dict, stats: Stats, stop: threading.Event, seed: int,
           pause: float):
    rng = random.Random(seed)
    session = requests.Session()
    while not stop.wait(pause):
        account = rng.choice(accounts)
        headers = {"Authorization": f"Bearer {account['accessJwt']}"}
        mine = written[account["did"]]
        if mine and rng.random() < 0.2:
            rkey = mine.pop(rng.randrange(len(mine)))
            timed(stats, session, "POST", server.xrpc("com.atproto.repo.deleteRecord"), headers=headers,
                  json={"repo": account["did"], "collection": "app.bsky.feed.post", "rkey": rkey})
            continue
        record = {"$type": "app.bsky.feed.post", "text": f"soak {rng.random()}", "createdAt": "2026-12-03T09:00:00.000Z"}
        r = timed(stats, session, "POST", server.xrpc("com.atproto.repo.createRecord"), headers=headers,
                  json={"repo": account["did"], "collection": "app.bsky.feed.post", "record": record})
        if r is not None and r.ok:
            mine.append(r.json()["uri"].rsplit("/", 1)[1])


def reader(server: Server, accounts: list[dict], written: dict, stats: Stats, stop: threading.Event, seed: int,
           pause: float):
    rng = random.Random(seed)
    session = requests.Session()
    while not stop.wait(pause):
        did = rng.choice(accounts)["did"]
        choice = rng.random()
        rkeys = list(written[did])
        if choice < 0.4 and rkeys:
            url = server.xrpc(f"com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post"
                              f"&rkey={rng.choice(rkeys)}")
            # A record deleted meanwhile is a 400 RecordNotFound: an answer, not a failure.
            start = time.perf_counter()
            try:
                r = session.get(url, timeout=30)
                stats.record(time.perf_counter() - start, r.ok or r.status_code == 400, f"{url}: {r.status_code}")
            except requests.RequestException as error:
                stats.record(time.perf_counter() - start, False, f"{url}: {error}")
        elif choice < 0.7:
            timed(stats, session, "GET",
                  server.xrpc(f"com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=25"))
        elif choice < 0.85:
            timed(stats, session, "GET", server.xrpc(f"com.atproto.repo.describeRepo?repo={did}"))
        else:
            timed(stats, session, "GET", server.xrpc(f"com.atproto.sync.getLatestCommit?did={did}"))


def subscriber(server: Server, stats: Stats, stop: threading.Event, seed: int):
    """Consumes the firehose, reconnecting from its last cursor every 300-1000 frames."""
    rng = random.Random(seed)
    cursor = 0
    base = server.url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos"
    while not stop.is_set():
        budget = rng.randint(300, 1000)
        try:
            with connect(f"{base}?cursor={cursor}", open_timeout=30, close_timeout=5, max_size=None) as ws:
                while budget > 0 and not stop.is_set():
                    try:
                        frame = ws.recv(timeout=1)
                    except TimeoutError:
                        continue
                    header, body = cbrrr.decode_multi_dag_cbor_in_violation_of_the_spec(frame)
                    if header.get("op") == 1 and isinstance(body.get("seq"), int):
                        cursor = body["seq"]
                    budget -= 1
                    with stats.lock:
                        stats.frames += 1
        except Exception as error:  # a dropped stream is counted and the subscriber reconnects
            stats.record(0.0, False, f"subscribeRepos: {error!r}")
            time.sleep(1)


def slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else float("nan")


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [r["minute"] for r in rows]
    fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
    for ax, key, label in zip(axes, ("rss_mib", "open_fds", "p99_ms", "requests"),
                              ("RSS (MiB)", "open fds", "p99 latency (ms)", "requests / minute")):
        ax.plot(minutes, [r[key] for r in rows], marker="o")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[-1].set_xlabel("minutes")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build/release/pds")
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--cache-size", type=int, default=16, help="PDS_ACTOR_STORE_CACHE_SIZE (default 16)")
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--subscribers", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.01,
                        help="seconds each writer and reader waits between requests (default 0.01)")
    parser.add_argument("--csv", type=Path, default=ROOT / "docs/soak.csv")
    parser.add_argument("--png", type=Path, default=ROOT / "docs/soak.png")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pds-soak-") as tmp:
        server = Server(args.binary, Path(tmp), args.cache_size)
        try:
            print(f"creating {args.accounts} accounts", flush=True)
            accounts = []
            for i in range(args.accounts):
                handle = f"soak{i}.test"
                r = requests.post(server.xrpc("com.atproto.server.createAccount"), timeout=60,
                                  json={"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD})
                r.raise_for_status()
                accounts.append(r.json())
            written = {a["did"]: [] for a in accounts}
            stats = Stats()
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(server, accounts, written, stats, stop, i, args.pause),
                                        daemon=True)
                       for i in range(args.writers)]
            threads += [threading.Thread(target=reader, args=(server, accounts, written, stats, stop, 100 + i, args.pause),
                                         daemon=True) for i in range(args.readers)]
            threads += [threading.Thread(target=subscriber, args=(server, stats, stop, 200 + i), daemon=True)
                        for i in range(args.subscribers)]
            for thread in threads:
                thread.start()
            rows = []
            start = time.monotonic()
            args.csv.parent.mkdir(parents=True, exist_ok=True)
            with open(args.csv, "w") as out:
                out.write("minute,rss_mib,open_fds,requests,errors,p50_ms,p99_ms,frames,cache_evictions\n")
                for minute in range(1, args.minutes + 1):
                    time.sleep(max(0.0, start + 60 * minute - time.monotonic()))
                    latencies, errors, frames = stats.take()
                    row = {"minute": minute, "rss_mib": round(server.rss_mib(), 1), "open_fds": server.open_fds(),
                           "requests": len(latencies), "errors": errors,
                           "p50_ms": round(percentile(latencies, 50) * 1000, 2),
                           "p99_ms": round(percentile(latencies, 99) * 1000, 2), "frames": frames,
                           "cache_evictions": server.metric("pds_actor_handle_cache_evictions_total")}
                    rows.append(row)
                    out.write(",".join(str(row[k]) for k in row) + "\n")
                    out.flush()
                    print(json.dumps(row), flush=True)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        finally:
            status = server.stop()
        if stats.error_samples:
            print("error samples:", *stats.error_samples, sep="\n  ")
        half = rows[len(rows) // 2:]
        xs = [r["minute"] for r in half]
        rss_slope = slope(xs, [r["rss_mib"] for r in half])
        fds_slope = slope(xs, [r["open_fds"] for r in half])
        total = sum(r["requests"] for r in rows)
        print(f"{len(rows)} minutes, {total} requests, {sum(r['errors'] for r in rows)} errors, "
              f"{sum(r['frames'] for r in rows)} firehose frames; server exit status {status}")
        print(f"second half: RSS slope {rss_slope:+.2f} MiB/min, fds slope {fds_slope:+.2f}/min")
        try:
            plot(rows, args.png, f"{args.binary.name} soak: {args.accounts} accounts, cache {args.cache_size}, "
                 f"{args.writers}w/{args.readers}r/{args.subscribers} subscribers")
            print(f"plot: {args.png}")
        except ImportError:
            print("matplotlib is not installed (pip install matplotlib): no plot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
