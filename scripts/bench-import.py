#!/usr/bin/env python3
"""`com.atproto.repo.importRepo` of a large repository on a release `pds`: records/s and the server's peak RSS.

Starts `pds serve` in dev mode with a fresh temporary data directory, creates one account and writes --records
records to it through applyWrites (200 per call), exports the repo (sync.getRepo) and deactivates the account. Then
the server is restarted, so its peak RSS (VmHWM in /proc/<pid>/status) starts from a clean process, and the CAR is
imported back over the account's repo (the same DID and key, so it verifies) with one importRepo call. Prints the CAR
size, the import's wall time, records/s, and VmHWM before and after the import.

    make bench-import                   # builds the release binary, then runs this with 100,000 records
    scripts/bench-import.py --records 100000 --binary .build/release/pds

Needs the Python `requests` package (in the test venv).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

from pds_process import serve

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-long-enough"
BATCH = 200
# Imports up to 1 GiB.
SERVER_ENV = {"PDS_MAX_REPO_IMPORT_SIZE": str(1 << 30)}


def call(method: str, url: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = requests.request(method, url, headers=headers, timeout=3600, **kwargs)
    if r.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
    return r


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build" / "release" / "pds")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pds-bench-import-") as tmp:
        data_dir = Path(tmp)
        server = serve(args.binary, data_dir, SERVER_ENV)
        try:
            account = call("POST", server.xrpc("com.atproto.server.createAccount"), json={
                "handle": "importer.test", "email": "importer@example.com", "password": PASSWORD}).json()
            did, token = account["did"], account["accessJwt"]
            started = time.monotonic()
            for first in range(0, args.records, BATCH):
                writes = [{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post",
                           "value": {"$type": "app.bsky.feed.post", "text": f"record {n} of the import benchmark",
                                     "createdAt": "2026-12-01T12:00:00.000Z"}}
                          for n in range(first, min(first + BATCH, args.records))]
                call("POST", server.xrpc("com.atproto.repo.applyWrites"), token, json={"repo": did, "writes": writes})
            print(f"wrote {args.records} records in {time.monotonic() - started:.1f} s", file=sys.stderr)
            car = call("GET", server.xrpc("com.atproto.sync.getRepo"), params={"did": did}).content
            call("POST", server.xrpc("com.atproto.server.deactivateAccount"), token, json={})
        finally:
            server.stop()

        server = serve(args.binary, data_dir, SERVER_ENV)
        try:
            token = call("POST", server.xrpc("com.atproto.server.createSession"),
                         json={"identifier": did, "password": PASSWORD}).json()["accessJwt"]
            before = server.status_kib("VmHWM")
            started = time.monotonic()
            call("POST", server.xrpc("com.atproto.repo.importRepo"), token, data=car,
                 headers={"Content-Type": "application/vnd.ipld.car"})
            elapsed = time.monotonic() - started
            peak = server.status_kib("VmHWM")
            status = call("GET", server.xrpc("com.atproto.server.checkAccountStatus"), token).json()
            assert status["indexedRecords"] == args.records, status
        finally:
            server.stop()

    print(f"importRepo: {args.records} records, CAR {len(car) / 1e6:.1f} MB")
    print(f"  time        {elapsed:.2f} s")
    print(f"  records/s   {args.records / elapsed:,.0f}")
    print(f"  peak RSS    {peak / 1024:.0f} MiB (VmHWM; {before / 1024:.0f} MiB before the import)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
