#!/usr/bin/env python3
"""PLC replica and plcbundle throughput: how fast `pds plc serve --replicate` ingests an upstream's log with full
validation (ops/s), and how fast `pds plc bundle create` makes plcbundle v1 archives (MB/s of uncompressed
operation lines).

Starts directory A (`pds plc serve`) on a free port with a fresh database, fills it through its API with --dids DIDs
of four signed operations each (updates, recoveries that nullify, tombstones; made by Tests/e2e/plc_ops.py), then
times replica B from its start until it has caught up with all of A's operations, and times `pds plc bundle create`
over A's database (10,000 operations per bundle).

    make bench-plc                                  # builds the release binary, then runs this
    scripts/bench-plc.py --dids 5000 --binary .build/debug/pds
"""
import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
import plc_ops  # noqa: E402
from pds_process import plc_serve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dids", type=int, default=5000)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "pds"))
    parser.add_argument("--workers", type=int, default=0, help="replica --workers (0: its default)")
    args = parser.parse_args()
    total = args.dids * 4
    with tempfile.TemporaryDirectory(prefix="bench-plc") as name:
        tmp = Path(name)
        started = time.monotonic()
        histories = [plc_ops.scenario(index) for index in range(args.dids)]
        print(f"generated {total} signed operations in {time.monotonic() - started:.1f} s")
        a = plc_serve(args.binary, tmp, "a")
        a_url = a.url
        local = threading.local()

        def submit(history):
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            did, operations = history
            for operation in operations:
                response = session.post(f"{a_url}/{did}", json=operation, timeout=60)
                response.raise_for_status()

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(submit, histories))
        seconds = time.monotonic() - started
        print(f"submitted to A: {total} ops in {seconds:.1f} s = {total / seconds:.0f} ops/s")

        extra = ["--workers", str(args.workers)] if args.workers else []
        started = time.monotonic()
        b = plc_serve(args.binary, tmp, "b", "--replicate", a_url, *extra)
        b_url = b.url
        while True:
            status = requests.get(f"{b_url}/_replica/status", timeout=10).json()
            if status["caughtUp"] and status["position"] >= total:
                break
            time.sleep(0.05)
        seconds = time.monotonic() - started
        assert status["accepted"] == total and status["rejected"] == 0, status
        print(f"replica ingest (validated): {total} ops in {seconds:.2f} s = {total / seconds:.0f} ops/s")
        b.stop()

        started = time.monotonic()
        made = subprocess.run(
            [args.binary, "plc", "bundle", "create", "--database", str(tmp / "a.sqlite"), "--bundles",
             str(tmp / "bundles"), "--json"], capture_output=True, text=True, check=True)
        seconds = time.monotonic() - started
        entries = json.loads(made.stdout)
        raw = sum(entry["uncompressed_size"] for entry in entries)
        packed = sum(entry["compressed_size"] for entry in entries)
        print(f"bundle create: {len(entries)} bundle(s), {raw / 1e6:.1f} MB -> {packed / 1e6:.1f} MB zstd in "
              f"{seconds:.2f} s = {raw / 1e6 / seconds:.1f} MB/s (whole command, including reading the op store)")
        a.stop()


if __name__ == "__main__":
    main()
