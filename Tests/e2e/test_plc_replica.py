"""Two real PLC directories on loopback: A (`pds plc serve`) filled through its API with signed operations made here
(updates, recoveries that nullify, tombstones), and B (`pds plc serve --replicate A`) that must resolve every DID
exactly as A does, survive a SIGKILL mid-ingest without skipping or duplicating, and serve bundles that verify. A
third replica follows a fake upstream that injects forged operations, each of which must be rejected with its reason.

Scale: PLC_E2E_DIDS DIDs of four operations each (default 1,000 DIDs / 4,000 operations, so `make test` stays
quick; the issue's 5,000 DIDs / 20,000 operations run with PLC_E2E_DIDS=5000; scripts/bench-plc.py uses that size too)."""
import json
import os
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

import plc_ops
from pds_e2e import binary, free_port, wait_until_answering

DIDS = int(os.environ.get("PLC_E2E_DIDS", "1000"))
OPS_PER_DID = 4


class Directory:
    def __init__(self, url: str, process: subprocess.Popen, database: Path, log: Path):
        self.url, self.process, self.database, self.log = url, process, database, log

    def status(self) -> dict:
        return requests.get(f"{self.url}/_replica/status", timeout=10).json()

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
            self.process.wait(timeout=15)
            return
        self.process.send_signal(15)
        assert self.process.wait(timeout=15) == 0, self.log.read_text()[-2000:]


def start_directory(tmp: Path, name: str, *args: str) -> Directory:
    port = free_port()
    database, log = tmp / f"{name}.sqlite", tmp / f"{name}.log"
    process = subprocess.Popen(
        [str(binary()), "plc", "serve", "--port", str(port), "--database", str(database), *args],
        stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{url}/_health", process, log)
    return Directory(url, process, database, log)


def wait_caught_up(replica: Directory, position: int, deadline_seconds: float = 600) -> dict:
    """Polls the replica's status until it has processed `position` lines and reached the upstream's end."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        status = replica.status()
        if status["caughtUp"] and status["position"] >= position:
            return status
        assert replica.process.poll() is None, replica.log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"replica stuck at {status}"
        time.sleep(0.1)


def export_all(url: str, count: int = 1000) -> list[str]:
    """Every line of a directory's `/export`, paging with `after=<createdAt>`."""
    lines: list[str] = []
    after = None
    while True:
        params = {"count": count} | ({"after": after} if after else {})
        page = [line for line in requests.get(f"{url}/export", params=params, timeout=30).text.split("\n") if line]
        if not page:
            return lines
        lines += page
        after = json.loads(page[-1])["createdAt"]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """Directory A, filled concurrently (eight DIDs at once, each DID's operations in order)."""
    tmp = tmp_path_factory.mktemp("plc")
    directory = start_directory(tmp, "a")
    histories = [plc_ops.scenario(index) for index in range(DIDS)]
    local = threading.local()

    def submit(history):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        did, operations = history
        for operation in operations:
            response = session.post(f"{directory.url}/{did}", json=operation, timeout=30)
            assert response.status_code == 200, (did, response.text)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(submit, histories))
    yield directory, tmp, [did for did, _ in histories]
    directory.stop()


def test_upstream_export_never_runs_backwards(upstream):
    directory, _, _ = upstream
    lines = export_all(directory.url, count=997)
    assert len(lines) == DIDS * OPS_PER_DID
    stamps = [json.loads(line)["createdAt"] for line in lines]
    assert all(a < b for a, b in zip(stamps, stamps[1:])), "createdAt must strictly increase in export order"
    assert len({json.loads(line)["cid"] for line in lines}) == len(lines)


def resolve(url: str, did: str) -> list[tuple[int, str]]:
    return [
        (r.status_code, r.text)
        for r in (requests.get(f"{url}/{did}{suffix}", timeout=30) for suffix in ("", "/data", "/log/audit"))
    ]


def test_replica_resolves_like_upstream_and_resumes_after_kill(upstream):
    directory, tmp, dids = upstream
    total = DIDS * OPS_PER_DID
    replica = start_directory(tmp, "b", "--replicate", directory.url, "--page-size", "100", "--workers", "4")
    while replica.status()["position"] == 0:
        time.sleep(0.01)
    replica.stop(kill=True)
    with sqlite3.connect(replica.database) as db:
        cursor = json.loads(db.execute("SELECT state FROM replica_cursor").fetchone()[0])
        stored = db.execute("SELECT COUNT(*) FROM operations").fetchone()[0]
    assert 0 < cursor["position"] < total, "the replica must be killed mid-ingest"
    assert stored == cursor["accepted"] == cursor["position"], "the cursor and the operations commit together"

    replica = start_directory(tmp, "b", "--replicate", directory.url, "--page-size", "100", "--workers", "4")
    try:
        status = wait_caught_up(replica, total)
        assert status["accepted"] == total and status["rejected"] == 0 and status["position"] == total
        with sqlite3.connect(replica.database) as db:
            assert db.execute("SELECT COUNT(*), COUNT(DISTINCT cid) FROM operations").fetchone() == (total, total)
        with ThreadPoolExecutor(8) as pool:
            mismatched = [
                did for did, same in zip(dids, pool.map(
                    lambda did: resolve(directory.url, did) == resolve(replica.url, did), dids)) if not same]
        assert mismatched == []
        # Resolution covers every kind of history: a nullified hijack, a tombstone.
        audit = requests.get(f"{replica.url}/{dids[3]}/log/audit").json()
        assert [entry["nullified"] for entry in audit] == [False, True, False, False]
        assert requests.get(f"{replica.url}/{dids[4]}").status_code == 404
        assert export_all(replica.url) == export_all(directory.url)
        refused = requests.post(f"{replica.url}/{dids[0]}", json={}, timeout=10)
        assert refused.status_code == 405 and "read-only replica" in refused.json()["message"]
    finally:
        replica.stop()


def pds(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary()), *args], capture_output=True, text=True, timeout=600)


def test_bundles_verify_and_one_changed_byte_breaks_the_chain_from_there(upstream):
    directory, tmp, _ = upstream
    total = DIDS * OPS_PER_DID
    size = total // 8
    archive = tmp / "bundles-a"
    made = pds("plc", "bundle", "create", "--database", str(directory.database), "--bundles", str(archive),
               "--operations-per-bundle", str(size), "--json")
    assert made.returncode == 0, made.stderr
    assert [entry["bundle_number"] for entry in json.loads(made.stdout)] == list(range(1, 9))
    index = json.loads((archive / "plc_bundles.json").read_text())
    assert index["version"] == "1.0" and index["last_bundle"] == 8
    assert index["total_size_bytes"] == sum(entry["compressed_size"] for entry in index["bundles"])
    assert set(index["bundles"][0]) == {
        "bundle_number", "start_time", "end_time", "operation_count", "did_count", "hash", "content_hash", "parent",
        "compressed_hash", "compressed_size", "uncompressed_size", "cursor", "created_at"}
    # The content is the export lines, in order, each followed by a newline.
    first = subprocess.run(["zstd", "-dc", str(archive / "000001.jsonl.zst")], capture_output=True, check=True).stdout
    assert first.decode() == "".join(line + "\n" for line in export_all(directory.url)[:size])

    verified = pds("plc", "bundle", "verify", "--bundles", str(archive), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["intact"] is True
    table = pds("plc", "bundle", "index", "--bundles", str(archive))
    assert table.returncode == 0 and "000008.jsonl.zst" in table.stdout

    # Served over HTTP beside a directory.
    server = start_directory(tmp, "bundle-server", "--bundles", str(archive))
    try:
        served = requests.get(f"{server.url}/bundles/plc_bundles.json", timeout=10)
        assert served.status_code == 200 and served.json() == index
        assert requests.get(f"{server.url}/bundles/000002.jsonl.zst").content == (archive / "000002.jsonl.zst").read_bytes()
        assert requests.get(f"{server.url}/bundles/a.sqlite").status_code == 404
    finally:
        server.stop()

    # One changed byte of bundle 3 (in its compressed data, where zstd's own checks may or may not notice).
    target = archive / "000003.jsonl.zst"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    broken = pds("plc", "bundle", "verify", "--bundles", str(archive), "--json")
    assert broken.returncode == 1
    report = json.loads(broken.stdout)
    assert report["intact"] is False and report["firstBroken"] == 3
    assert [b["chainIntact"] for b in report["bundles"]] == [True, True] + [False] * 6
    assert "compressed_hash mismatch" in report["bundles"][2]["problems"]
    text = pds("plc", "bundle", "verify", "--bundles", str(archive))
    assert text.returncode == 1 and "first broken bundle: 3; 6 chain link(s) broken" in text.stdout

    missing = pds("plc", "bundle", "verify", "--bundles", str(tmp / "nowhere"))
    assert missing.returncode == 1 and missing.stderr.startswith("error: no plc_bundles.json in")
    assert len(missing.stderr.strip().splitlines()) == 1

    if total >= 10_000:
        # Real plcbundle v1 bundles of 10,000 operations.
        full = pds("plc", "bundle", "create", "--database", str(directory.database), "--bundles", str(tmp / "full"))
        assert full.returncode == 0, full.stderr
        assert pds("plc", "bundle", "verify", "--bundles", str(tmp / "full")).returncode == 0


class FakeUpstream:
    """An upstream `/export` serving fixed lines (`createdAt > after`, at most `count`)."""

    def __init__(self, lines: list[str]):
        stamps = []
        for line in lines:
            try:
                stamps.append(json.loads(line)["createdAt"])
            except (ValueError, KeyError):
                stamps.append(stamps[-1] if stamps else "")
        entries = list(zip(stamps, lines))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                after, count = query.get("after", [""])[0], int(query.get("count", ["1000"])[0])
                if url.path != "/export":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = "\n".join([line for stamp, line in entries if stamp > after][:count]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/jsonlines")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_forged_upstream_operations_are_rejected_with_their_reason(tmp_path):
    recovery, rotation, attacker = plc_ops.Key(), plc_ops.Key(), plc_ops.Key()
    keys = [recovery, rotation]
    clock = [0]

    def line(did: str, operation: dict, cid: str | None = None, hours: float = 0) -> str:
        clock[0] += 1
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_750_000_000 + clock[0] + hours * 3600))
        return json.dumps({"did": did, "operation": operation, "cid": cid or plc_ops.cid_of(operation),
                           "nullified": False, "createdAt": f"{stamp}.000Z"}, separators=(",", ":"))

    def genesis(handle: str) -> tuple[str, dict]:
        operation = plc_ops.update(keys, handle, None, rotation)
        return plc_ops.did_of(operation), operation

    alice, alice0 = genesis("alice.test")
    alice1 = plc_ops.update(keys, "alice2.test", plc_ops.cid_of(alice0), rotation)
    bob, bob0 = genesis("bob.test")
    carol, carol0 = genesis("carol.test")
    carol_end = plc_ops.tombstone(plc_ops.cid_of(carol0), rotation)
    dave, dave0 = genesis("dave.test")
    dave1 = plc_ops.update(keys, "dave2.test", plc_ops.cid_of(dave0), rotation)
    erin, erin0 = genesis("erin.test")
    # (name of the forgery or None for a valid line, did, operation, cid override, hours added to createdAt)
    script = [
        (None, alice, alice0, None, 0),
        ("signed by a key that is not a rotation key", alice,
         plc_ops.update([attacker], "mallory.test", plc_ops.cid_of(alice0), attacker), None, 0),
        (None, alice, alice1, None, 0),
        ("cid that is not the operation's", bob, bob0, plc_ops.cid_of(alice0), 0),
        ("tombstone of an unknown DID", "did:plc:" + "z" * 24, plc_ops.tombstone(plc_ops.cid_of(alice0), rotation),
         None, 0),
        (None, carol, carol0, None, 0),
        (None, carol, carol_end, None, 0),
        ("update after a tombstone", carol,
         plc_ops.update(keys, "carol2.test", plc_ops.cid_of(carol_end), rotation), None, 0),
        (None, dave, dave0, None, 0),
        (None, dave, dave1, None, 0),
        (None, erin, erin0, None, 0),
        ("genesis under another DID", "did:plc:" + "y" * 24, erin0, None, 0),
        ("not JSON", None, None, None, 0),
        ("recovery after 72 hours", dave,
         plc_ops.update(keys, "dave3.test", plc_ops.cid_of(dave0), recovery), None, 73),
    ]
    lines, forged = [], {}
    for name, did, operation, cid, hours in script:
        text = "{not json" if did is None else line(did, operation, cid=cid, hours=hours)
        lines.append(text)
        if name:
            forged[name] = text
    reasons = {
        "signed by a key that is not a rotation key": "Invalid signature on op",
        "cid that is not the operation's": "is not the operation's CID",
        "tombstone of an unknown DID": "Invalid genesis operation",
        "update after a tombstone": "DID is tombstoned",
        "genesis under another DID": "Hash of genesis operation does not match DID",
        "not JSON": "not a JSON object",
        "recovery after 72 hours": "72 hr recovery window",
    }
    upstream = FakeUpstream(lines)
    replica = start_directory(tmp_path, "c", "--replicate", upstream.url, "--page-size", "3")
    try:
        status = wait_caught_up(replica, len(lines))
        assert status["rejected"] == len(forged) and status["accepted"] == len(lines) - len(forged)
        rejected = requests.get(f"{replica.url}/_replica/rejected", timeout=10).json()["rejected"]
        assert [entry["line"] for entry in rejected] == [line for line in lines if line in forged.values()]
        for name, forged_line in forged.items():
            entry = next(entry for entry in rejected if entry["line"] == forged_line)
            assert reasons[name].lower() in entry["reason"].lower(), (name, entry["reason"])
        # Nothing forged is served: alice keeps her own update, bob never existed, carol stays tombstoned, dave is
        # not recovered.
        assert requests.get(f"{replica.url}/{alice}/data").json()["alsoKnownAs"] == ["at://alice2.test"]
        assert requests.get(f"{replica.url}/{bob}").status_code == 404
        assert requests.get(f"{replica.url}/{carol}").status_code == 404
        assert requests.get(f"{replica.url}/{dave}/data").json()["alsoKnownAs"] == ["at://dave2.test"]
        assert len(requests.get(f"{replica.url}/{alice}/log/audit").json()) == 2
        log = replica.log.read_text()
        assert "PLC replica rejected an upstream operation" in log
    finally:
        replica.stop()
        upstream.close()
