#!/usr/bin/env python3
"""The continuous backup's cost (our extension; not part of `make test`):

1. createRecord/s with backups off and on (directory target), same accounts, writers and duration: the ratio;
2. the recovery-point lag under that load: for each acknowledged write, the time until an object holding it (an
   object of its actor's store — a copy or a WAL segment — read after the acknowledgement) has landed in the target;
   p50/p99;
3. restore speed of the result (`pds backup restore`): accounts/s and MB/s;
4. idle cost: many accounts (created once, in parallel, then the same data directory is served with backups off and
   on) of which a few are active (one write per active account per second): the server's CPU seconds per minute
   with backups off and on, and the bytes shipped per minute, measured after the start-up pass has settled.

    scripts/bench-backup.py --binary .build/release/pds --accounts 50 --writers 8 --duration 20 \\
        --idle-accounts 10000 --idle-active 10

Object names of both formats are read (`<generation>-<size>.v`, and the WAL segments'
`<generation>-<index>-<time>-<size>.v`), so the script also measures a build with the older whole-file shipper.

Uses the e2e helpers (Tests/e2e/pds_e2e.py) and their venv (`requests`, `websockets`, `atproto`).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))

import requests  # noqa: E402

import pds_e2e  # noqa: E402
from pds_e2e import NO_RATE_LIMITS, bearer, create_account, start_server, stop_server  # noqa: E402

KEY = "42" * 32


def write_load(url, accounts, writers, duration, rate_per_account=None):
    """createRecord from `writers` threads for `duration` s; returns [(did, ack_time)]."""
    acked, stop = [], threading.Event()

    def worker(mine):
        session = requests.Session()
        n = 0
        while not stop.is_set():
            account = mine[n % len(mine)]
            n += 1
            started = time.time()
            r = session.post(f"{url}/xrpc/com.atproto.repo.createRecord", headers=bearer(account["accessJwt"]),
                             json={"repo": account["did"], "collection": "com.example.bench",
                                   "record": {"text": uuid.uuid4().hex}}, timeout=60)
            if r.status_code == 200:
                acked.append((account["did"], time.time()))
            if rate_per_account:
                time.sleep(max(0, 1 / rate_per_account - (time.time() - started)))

    threads = [threading.Thread(target=worker, args=(accounts[i::writers],), daemon=True)
               for i in range(min(writers, len(accounts)))]
    for t in threads:
        t.start()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join(60)
    return acked


def landed_versions(target: Path):
    """did -> sorted [(read time s, landed s)] of its store objects."""
    out = {}
    for path in (target / "v1" / "actors").glob("*/store.sqlite/*.v"):
        did = path.parent.parent.name
        parts = path.name[:-2].split("-")
        read_at = int(parts[2] if len(parts) == 4 else parts[0]) / 1000
        out.setdefault(did, []).append((read_at, path.stat().st_mtime))
    for versions in out.values():
        versions.sort()
    return out


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def target_bytes(target: Path):
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def report(results, key, value):
    """Records a figure and prints it at once (a long run that is interrupted still reports what it measured)."""
    results[key] = value
    print(f"{key}: {value}", file=sys.stderr, flush=True)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "pds"))
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--idle-accounts", type=int, default=1000)
    parser.add_argument("--idle-active", type=int, default=10)
    parser.add_argument("--idle-duration", type=float, default=60)
    parser.add_argument("--interval", default="500ms", help="PDS_BACKUP_INTERVAL")
    args = parser.parse_args()
    pds_e2e.binary = lambda: Path(args.binary)
    pds_e2e.START_SECONDS = 600.0  # the start-up reconcile of --idle-accounts actor stores comes first
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        tmp = Path(tmp)
        for mode in ("off", "on"):
            data, target = tmp / f"data-{mode}", tmp / f"backup-{mode}"
            data.mkdir()
            env = dict(NO_RATE_LIMITS)
            if mode == "on":
                env.update({"PDS_BACKUP_TARGET": str(target), "PDS_BACKUP_ENCRYPTION_KEY": KEY,
                            "PDS_BACKUP_INTERVAL": args.interval})
            server = start_server(data, extra_env=env)
            try:
                accounts = [create_account(server) for _ in range(args.accounts)]
                time.sleep(2)
                acked = write_load(server.url, accounts, args.writers, args.duration)
                report(results, f"createRecord_per_s_backup_{mode}", round(len(acked) / args.duration, 1))
                time.sleep(3)
            finally:
                stop_server(server)
            if mode == "on":
                versions = landed_versions(target)
                lags = []
                for did, at in acked:
                    later = [landed for generation, landed in versions.get(did, []) if generation >= at]
                    if later:
                        lags.append(min(later) - at)
                report(results, "lag_p50_s", round(percentile(lags, 50), 3))
                report(results, "lag_p99_s", round(percentile(lags, 99), 3))
                report(results, "writes_without_a_later_version", len(acked) - len(lags))
                restore_env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
                restore_env.update({"PDS_BACKUP_TARGET": str(target), "PDS_BACKUP_ENCRYPTION_KEY": KEY})
                started = time.time()
                out = subprocess.run([args.binary, "backup", "restore", "--json", "--to", str(tmp / "restored")],
                                     env=restore_env, capture_output=True, text=True, check=True)
                seconds = time.time() - started
                summary = json.loads(out.stdout)
                report(results, "restore_accounts_per_s", round(summary["accounts"] / seconds, 1))
                report(results, "restore_MB_per_s", round(summary["bytes"] / seconds / 1e6, 2))
                report(results, "restore_seconds", round(seconds, 2))
        report(results, "on_off_ratio", round(
            results["createRecord_per_s_backup_on"] / results["createRecord_per_s_backup_off"], 3))

        data = tmp / "idle"
        data.mkdir()
        server = start_server(data, extra_env=dict(NO_RATE_LIMITS))
        try:
            started = time.time()
            with ThreadPoolExecutor(max_workers=8) as pool:
                accounts = list(pool.map(lambda _: create_account(server), range(args.idle_accounts)))
            report(results, "idle_accounts_created_per_s", round(args.idle_accounts / (time.time() - started), 1))
        finally:
            stop_server(server)
        for mode in ("off", "on"):
            target = tmp / "idle-backup"
            env = dict(NO_RATE_LIMITS)
            if mode == "on":
                env.update({"PDS_BACKUP_TARGET": str(target), "PDS_BACKUP_ENCRYPTION_KEY": KEY,
                            "PDS_BACKUP_INTERVAL": args.interval})
            server = start_server(data, extra_env=env)
            try:
                if mode == "on":
                    # The start-up pass ships every account once: wait until the target stops growing.
                    started, last, stable = time.time(), -1, 0
                    while stable < 3:
                        time.sleep(1)
                        size = target_bytes(target)
                        stable = stable + 1 if size == last else 0
                        last = size
                    report(results, "idle_first_pass_s", round(time.time() - started - 3, 1))
                    report(results, "idle_first_pass_bytes", last)
                else:
                    time.sleep(5)
                before_cpu = cpu_seconds(server.process.pid)
                before_bytes = target_bytes(target) if mode == "on" else 0
                write_load(server.url, accounts[:args.idle_active], args.idle_active, args.idle_duration,
                           rate_per_account=1)
                cpu = cpu_seconds(server.process.pid) - before_cpu
                report(results, f"idle_cpu_s_per_min_backup_{mode}", round(cpu * 60 / args.idle_duration, 2))
                if mode == "on":
                    shipped = target_bytes(target) - before_bytes
                    report(results, "idle_bytes_shipped_per_min", int(shipped * 60 / args.idle_duration))
            finally:
                stop_server(server)
    results["parameters"] = vars(args)
    print(json.dumps(results, indent=2), flush=True)


if __name__ == "__main__":
    main()
