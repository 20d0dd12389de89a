"""Continuous backups (our extension, DESIGN §7) against real `pds` processes:

* disk loss: writers on many accounts with blobs, the data directory deleted under the running server, the server
  killed, `pds backup restore` into the same place: every write acknowledged more than 1 s before the deletion is
  there, every repo verifies (atmst/cbrrr), `pds backup verify` passes, and a firehose consumer that followed the old
  server continues from its cursor and gets a `#sync` of every repo with no seq reused; the backup files hold no
  record text and no signing key bytes;
* point in time: a restore at T1 (between two batches) has exactly the first batch; a one-account restore into a
  stopped server's data directory puts that account back and leaves the others untouched;
* one account into a live server: while other accounts keep being written, `pds backup restore --did` hands the
  account to the running server, which swaps it in: exactly the records at T1, the others untouched (idle ones keep
  their root and rev, busy ones every acknowledged write), a `#sync` above every earlier seq, repos verify;
* a wrong key is refused with nothing written;
* the same shipping and restore through an S3 target (`moto_server`).

No timed assertions: only generous liveness timeouts."""
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import requests
from websockets.sync.client import connect

from pds_e2e import (NO_RATE_LIMITS, ROOT, bearer, binary, create_account, free_port, png, start_server, stop_server,
                     wait_until_answering)
from repo_verify import decode_frame, signing_key, verify_repo_car

KEY = "5a" * 32
# The disk-loss test's account count: the Must-show is 50 (BACKUP_E2E_ACCOUNTS=50); CI runs fewer.
ACCOUNTS = int(os.environ.get("BACKUP_E2E_ACCOUNTS", "16"))
OTHER_KEY = "a5" * 32
COLLECTION = "com.example.backup"
TIMEOUT = 30


def backup_env(target: str, key: str = KEY) -> dict:
    return {"PDS_BACKUP_TARGET": target, "PDS_BACKUP_ENCRYPTION_KEY": key, "PDS_BACKUP_INTERVAL": "250ms",
            "PDS_BACKUP_SNAPSHOT_INTERVAL": "2s", **NO_RATE_LIMITS}


def pds_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    """Runs `pds <args>` with only `env`'s PDS_* variables."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    full.update(env)
    return subprocess.run([str(binary()), *args], env=full, capture_output=True, text=True, timeout=300)


def post_record(url: str, account: dict, text: str, blob: dict | None = None) -> dict:
    record = {"$type": COLLECTION, "text": text, "createdAt": "2026-01-01T00:00:00Z"}
    if blob:
        record["image"] = blob
    r = requests.post(f"{url}/xrpc/com.atproto.repo.createRecord", headers=bearer(account["accessJwt"]),
                      json={"repo": account["did"], "collection": COLLECTION, "record": record}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def upload(url: str, account: dict) -> dict:
    r = requests.post(f"{url}/xrpc/com.atproto.repo.uploadBlob", data=png(4 + len(account["did"]) % 5),
                      headers={**bearer(account["accessJwt"]), "Content-Type": "image/png"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["blob"]


def records(url: str, did: str) -> dict[str, str]:
    """rkey -> cid of every record of the test collection."""
    out, cursor = {}, None
    while True:
        params = {"repo": did, "collection": COLLECTION, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        r = requests.get(f"{url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        body = r.json()
        out.update({item["uri"].rsplit("/", 1)[1]: item["cid"] for item in body["records"]})
        cursor = body.get("cursor")
        if not cursor or not body["records"]:
            return out


def verify_repos(url: str, dids) -> None:
    for did in dids:
        car = requests.get(f"{url}/xrpc/com.atproto.sync.getRepo", params={"did": did}, timeout=TIMEOUT)
        assert car.status_code == 200, car.text
        verify_repo_car(car.content, did, signing_key(url, did))


class Writer(threading.Thread):
    """Creates records on its accounts until stopped or the server goes away; `acked` gets (did, rkey, cid, time)."""

    def __init__(self, url: str, accounts: list[dict], acked: list):
        super().__init__(daemon=True)
        self.url, self.accounts, self.acked = url, accounts, acked
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            account = self.accounts[n % len(self.accounts)]
            n += 1
            try:
                r = requests.post(
                    f"{self.url}/xrpc/com.atproto.repo.createRecord", headers=bearer(account["accessJwt"]),
                    json={"repo": account["did"], "collection": COLLECTION,
                          "record": {"$type": COLLECTION, "text": f"backup-e2e-{uuid.uuid4().hex}",
                                     "createdAt": "2026-01-01T00:00:00Z"}}, timeout=TIMEOUT)
            except requests.RequestException:
                return
            if r.status_code == 200:
                self.acked.append((account["did"], r.json()["uri"].rsplit("/", 1)[1], r.json()["cid"], time.time()))


class Follower(threading.Thread):
    """A firehose consumer from cursor 0: the highest seq it saw."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.last_seq = 0
        self.ready = threading.Event()

    def run(self) -> None:
        ws_url = self.url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
        try:
            with connect(ws_url, open_timeout=TIMEOUT, max_size=None) as ws:
                self.ready.set()
                while True:
                    header, body = decode_frame(ws.recv(timeout=60))
                    if header.get("op") == 1 and "seq" in body:
                        assert body["seq"] > self.last_seq
                        self.last_seq = body["seq"]
        except Exception:  # the server was killed
            self.ready.set()


def frames_after(url: str, cursor: int, until) -> list[tuple[str, dict]]:
    """Firehose frames from `cursor` until `until(frames)` holds."""
    frames = []
    ws_url = url.replace("http://", "ws://") + f"/xrpc/com.atproto.sync.subscribeRepos?cursor={cursor}"
    with connect(ws_url, open_timeout=TIMEOUT, max_size=None) as ws:
        while not until(frames):
            header, body = decode_frame(ws.recv(timeout=60))
            assert header.get("op") == 1, body
            frames.append((header["t"], body))
    return frames


def store_generations(target: Path, did: str, before: float) -> list[float]:
    """The read times (s) of a DID's store objects (copies and WAL segments) before `before`, the newest last (failure
    diagnostics)."""
    parts = [p.name[:-2].split("-") for p in (target / "v1" / "actors" / did / "store.sqlite").glob("*.v")]
    return sorted(g for g in (int(p[2] if len(p) == 4 else p[0]) / 1000 for p in parts) if g < before)[-3:]


def assert_no_plaintext(target: Path, needles: list[bytes]) -> None:
    files = [p for p in target.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"{needle[:20]!r} found in {path}"


def test_disk_loss_restore(tmp_path):
    data_dir, target = tmp_path / "data", tmp_path / "backup"
    data_dir.mkdir()
    env = backup_env(str(target))
    server = start_server(data_dir, extra_env=env)
    accounts = [create_account(server) for _ in range(ACCOUNTS)]
    blobs = {}
    for account in accounts:
        blob = upload(server.url, account)
        post_record(server.url, account, f"with-blob-{account['did']}", blob)
        blobs[account["did"]] = blob["ref"]["$link"]
    follower = Follower(server.url)
    follower.start()
    follower.ready.wait(TIMEOUT)
    acked: list = []
    writers = [Writer(server.url, accounts[i::8], acked) for i in range(8)]
    for writer in writers:
        writer.start()
    while len(acked) < 400:
        time.sleep(0.2)
    time.sleep(2)

    # The disk is lost under the running server, which keeps answering (its files are open) until it is killed.
    lost_at = time.time()
    shutil.rmtree(data_dir)
    time.sleep(1.5)
    server.process.kill()
    server.process.wait(timeout=TIMEOUT)
    for writer in writers:
        writer.stop.set()
        writer.join(TIMEOUT)
    follower.join(TIMEOUT)
    assert follower.last_seq > 0
    durable = [a for a in acked if a[3] < lost_at - 1]
    assert len(durable) >= 400

    result = pds_cli("backup", "restore", "--to", str(data_dir), env=env)
    assert result.returncode == 0, result.stderr
    print(f"disk loss: {len(accounts)} accounts, {len(acked)} writes acknowledged, {len(durable)} >1 s before T; "
          + result.stdout.strip())
    server = start_server(data_dir, extra_env=env)
    try:
        by_did: dict[str, dict[str, str]] = {}
        for account in accounts:
            by_did[account["did"]] = records(server.url, account["did"])
        missing = [(did, rkey, at) for did, rkey, cid, at in durable if by_did[did].get(rkey) != cid]
        assert not missing, f"{len(missing)} acknowledged writes lost (deleted at {lost_at:.3f}), e.g. " + "; ".join(
            f"{did} {rkey} acked {at:.3f}, versions {store_generations(target, did, lost_at)}"
            for did, rkey, at in missing[:3])
        verify_repos(server.url, by_did)
        for account in accounts:
            r = requests.get(f"{server.url}/xrpc/com.atproto.sync.getBlob",
                             params={"did": account["did"], "cid": blobs[account["did"]]}, timeout=TIMEOUT)
            assert r.status_code == 200, r.text

        # The follower continues from its cursor: only new seqs, and a #sync of every repo.
        dids = {a["did"] for a in accounts}
        frames = frames_after(server.url, follower.last_seq,
                              lambda fs: dids <= {b["did"] for t, b in fs if t == "#sync"})
        assert all(body["seq"] > follower.last_seq for _, body in frames)
        seqs = [body["seq"] for _, body in frames]
        assert seqs == sorted(set(seqs))
        for kind, body in frames:
            if kind == "#sync":
                latest = requests.get(f"{server.url}/xrpc/com.atproto.sync.getLatestCommit",
                                      params={"did": body["did"]}, timeout=TIMEOUT).json()
                assert body["rev"] <= latest["rev"]
    finally:
        stop_server(server)

    verify = pds_cli("backup", "verify", env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    status = pds_cli("backup", "status", "--json", "--data-directory", str(data_dir), env=env)
    assert status.returncode == 0, status.stderr
    assert '"account.sqlite"' in status.stdout

    keys = [p.read_bytes() for p in (data_dir / "actors").rglob("key")]
    assert len(keys) == len(accounts)
    texts = [f"with-blob-{accounts[0]['did']}".encode()]
    assert_no_plaintext(target, keys + texts + [b"backup-e2e-"])


def test_point_in_time_and_one_account_restore(tmp_path):
    data_dir, target = tmp_path / "data", tmp_path / "backup"
    data_dir.mkdir()
    env = backup_env(str(target))
    server = start_server(data_dir, extra_env=env)
    try:
        accounts = [create_account(server) for _ in range(3)]
        first = {a["did"]: {post_record(server.url, a, f"first-{i}")["uri"].rsplit("/", 1)[1] for i in range(3)}
                 for a in accounts}
        time.sleep(2)
        t1 = time.time()
        time.sleep(1)
        for a in accounts:
            for i in range(3):
                post_record(server.url, a, f"second-{i}")
        time.sleep(2)
        full = {a["did"]: set(records(server.url, a["did"])) for a in accounts}
    finally:
        stop_server(server)

    # Point in time: a new data directory with exactly the first batch.
    pitr_dir = tmp_path / "pitr"
    result = pds_cli("backup", "restore", "--to", str(pitr_dir), "--at", f"{t1:.3f}", env=env)
    assert result.returncode == 0, result.stderr
    restored = start_server(pitr_dir, extra_env=NO_RATE_LIMITS)
    try:
        for a in accounts:
            assert set(records(restored.url, a["did"])) == first[a["did"]]
        verify_repos(restored.url, [a["did"] for a in accounts])
    finally:
        stop_server(restored)

    # One account back to T1 in the original data directory; the others keep both batches.
    with sqlite3.connect(data_dir / "sequencer.sqlite") as db:
        head = db.execute("SELECT max(seq) FROM repo_seq").fetchone()[0]
    chosen = accounts[0]["did"]
    result = pds_cli("backup", "restore", "--to", str(data_dir), "--at", f"{t1:.3f}", "--did", chosen, env=env)
    assert result.returncode == 0, result.stderr
    server = start_server(data_dir, extra_env=NO_RATE_LIMITS)
    try:
        for a in accounts:
            expected = first[a["did"]] if a["did"] == chosen else full[a["did"]]
            assert set(records(server.url, a["did"])) == expected
        verify_repos(server.url, [a["did"] for a in accounts])
        syncs = [b for t, b in frames_after(server.url, head, lambda fs: any(t == "#sync" and b["did"] == chosen
                                                                          for t, b in fs)) if t == "#sync"]
        assert {b["did"] for b in syncs} == {chosen}
    finally:
        stop_server(server)

    # A wrong key: refused, nothing written.
    wrong_dir = tmp_path / "wrong"
    result = pds_cli("backup", "restore", "--to", str(wrong_dir), env=backup_env(str(target), OTHER_KEY))
    assert result.returncode == 1
    assert "wrong encryption key" in result.stderr
    assert not wrong_dir.exists()


def test_s3_target(tmp_path):
    moto = ROOT / ".venv" / "bin" / "moto_server"
    moto_binary = str(moto) if moto.exists() else shutil.which("moto_server")
    assert moto_binary, "moto_server not found: run ./scripts/setup.sh --test"
    port = free_port()
    log = open(tmp_path / "moto.log", "ab")
    process = subprocess.Popen([moto_binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{endpoint}/moto-api/", process, tmp_path / "moto.log", seconds=60)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket="pds-backups")
        env = {**backup_env("s3://pds-backups/pds"), "PDS_BACKUP_S3_ENDPOINT": endpoint,
               "PDS_BACKUP_S3_REGION": "us-east-1", "PDS_BACKUP_S3_FORCE_PATH_STYLE": "true",
               "PDS_BACKUP_S3_ACCESS_KEY_ID": "testing", "PDS_BACKUP_S3_SECRET_ACCESS_KEY": "testing"}
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        server = start_server(data_dir, extra_env=env)
        try:
            accounts = [create_account(server) for _ in range(3)]
            for a in accounts:
                post_record(server.url, a, "s3-record", upload(server.url, a))
            expected = {a["did"]: records(server.url, a["did"]) for a in accounts}
            time.sleep(2)
        finally:
            stop_server(server)
        restored_dir = tmp_path / "restored"
        result = pds_cli("backup", "restore", "--to", str(restored_dir), env=env)
        assert result.returncode == 0, result.stderr
        restored = start_server(restored_dir, extra_env=NO_RATE_LIMITS)
        try:
            for a in accounts:
                assert records(restored.url, a["did"]) == expected[a["did"]]
            verify_repos(restored.url, expected)
        finally:
            stop_server(restored)
        wrong = pds_cli("backup", "restore", "--to", str(tmp_path / "wrong"),
                        env={**env, "PDS_BACKUP_ENCRYPTION_KEY": OTHER_KEY})
        assert wrong.returncode == 1 and "wrong encryption key" in wrong.stderr
        assert not (tmp_path / "wrong").exists()
    finally:
        process.kill()
        process.wait(timeout=30)


def max_seq(data_dir: Path) -> int:
    """The newest seq in a running server's `sequencer.sqlite` (read-only; WAL readers do not disturb it)."""
    with sqlite3.connect(f"file:{data_dir / 'sequencer.sqlite'}?mode=ro", uri=True) as db:
        return db.execute("SELECT max(seq) FROM repo_seq").fetchone()[0]


def latest_commit(url: str, did: str) -> dict:
    r = requests.get(f"{url}/xrpc/com.atproto.sync.getLatestCommit", params={"did": did}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def test_one_account_restore_into_a_live_server(tmp_path):
    data_dir, target = tmp_path / "data", tmp_path / "backup"
    data_dir.mkdir()
    env = backup_env(str(target))
    server = start_server(data_dir, extra_env=env)
    writers: list[Writer] = []
    try:
        accounts = [create_account(server) for _ in range(6)]
        chosen, idle, busy = accounts[0], accounts[1:3], accounts[3:]
        for a in accounts:
            for i in range(3):
                post_record(server.url, a, f"first-{i}")
        blob = upload(server.url, chosen)
        post_record(server.url, chosen, "chosen-with-blob", blob)
        at_t1 = records(server.url, chosen["did"])
        time.sleep(2)
        t1 = time.time()
        time.sleep(1)
        for i in range(3):
            post_record(server.url, chosen, f"chosen-later-{i}")
        assert len(records(server.url, chosen["did"])) == len(at_t1) + 3
        idle_before = {a["did"]: (records(server.url, a["did"]), latest_commit(server.url, a["did"])) for a in idle}
        head = max_seq(data_dir)

        # Other accounts keep being written while the chosen one is restored into the running server.
        acked: list = []
        writers = [Writer(server.url, [a], acked) for a in busy]
        for writer in writers:
            writer.start()
        while len(acked) < 30:
            time.sleep(0.1)
        cli_env = {**env, "PDS_DEV_MODE": "true", "PDS_PORT": str(server.port), "PDS_HOSTNAME": "localhost"}
        result = pds_cli("backup", "restore", "--to", str(data_dir), "--at", f"{t1:.3f}", "--did", chosen["did"],
                         "--url", server.url, env=cli_env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "into the running server" in result.stdout
        print("live one-account restore: " + result.stdout.strip())
        during = len(acked)
        while len(acked) < during + 30:
            time.sleep(0.1)
        for writer in writers:
            writer.stop.set()
            writer.join(TIMEOUT)

        # The restored account has exactly its records at T1, and its blob.
        assert records(server.url, chosen["did"]) == at_t1
        r = requests.get(f"{server.url}/xrpc/com.atproto.sync.getBlob",
                         params={"did": chosen["did"], "cid": blob["ref"]["$link"]}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        # Idle accounts: the same records, root and rev. Busy ones: every acknowledged write.
        for a in idle:
            assert (records(server.url, a["did"]), latest_commit(server.url, a["did"])) == idle_before[a["did"]]
        by_did = {a["did"]: records(server.url, a["did"]) for a in busy}
        missing = [(did, rkey) for did, rkey, cid, _ in acked if by_did[did].get(rkey) != cid]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
        verify_repos(server.url, [a["did"] for a in accounts])

        # A firehose consumer that had seen `head` gets the restored repo's #sync above it; nobody else's.
        frames = frames_after(server.url, head, lambda fs: any(t == "#sync" and b["did"] == chosen["did"]
                                                               for t, b in fs))
        seqs = [body["seq"] for _, body in frames]
        assert seqs == sorted(set(seqs)) and seqs[0] > head
        syncs = [body for kind, body in frames if kind == "#sync"]
        assert [body["did"] for body in syncs] == [chosen["did"]]
        assert syncs[0]["rev"] == latest_commit(server.url, chosen["did"])["rev"]

        # The backup holds neither the records' text nor the signing key.
        keys = [p.read_bytes() for p in (data_dir / "actors").rglob("key")]
        assert_no_plaintext(target, keys + [b"chosen-later-", b"chosen-with-blob"])
    finally:
        for writer in writers:
            writer.stop.set()
        stop_server(server)
