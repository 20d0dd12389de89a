"""`pds account migrate` between two real `pds` processes sharing one PLC directory (`pds plc serve`): an account on A
with 1,000 records (20 of them holding blobs, one of 5 MB), preferences and an app password moves to B with the one
command, run as an operator of B runs it (B's pds.env). The PLC token the command asks for (it is emailed) is read
from A's account.sqlite and typed on the command's stdin, as a person would. Afterwards B serves every record and blob
byte-identical, its repo verifies with atmst/cbrrr, the PLC document points at B, B's firehose has the account's
#identity/#account/#sync, A reports the account deactivated and the old password logs in on B. The same move killed
(SIGKILL) as soon as its progress says the blob phase is done, then run again, completes without copying anything
twice."""
import json
import os
import signal
import sqlite3
import subprocess

import pytest
import requests
from websockets.sync.client import connect

from pds_e2e import (NO_RATE_LIMITS, bearer, binary, invite, new_handle, plc_and_two_pdses, png, subscribe_repos_url,
                     xrpc)
from repo_verify import decode_frame, verify_repo_car

PASSWORD = "correct horse battery staple"
BIG_BLOB = os.urandom(5_000_000)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A PLC directory, and two PDSes using it: A (the old one) and B (the new one, whose operator runs the CLI)."""
    directory = tmp_path_factory.mktemp("migrate")
    with plc_and_two_pdses(directory, ("a", "b"), NO_RATE_LIMITS) as (a, b, plc_url):
        env_file = directory / "b.env"
        env_file.write_text(f"PDS_DEV_MODE=true\nPDS_HOSTNAME=localhost\nPDS_PORT={b.port}\n"
                            f"PDS_DATA_DIRECTORY={b.data_dir}\nPDS_DID_PLC_URL={plc_url}\n")
        yield a, b, plc_url, env_file


def populate(a) -> dict:
    """An account on A: 980 posts and 20 records each holding a blob (19 PNGs, one 5 MB), two preferences, an app
    password."""
    handle = new_handle()
    created = xrpc(a, "com.atproto.server.createAccount", json={
        "handle": handle, "email": f"{handle}@example.com", "password": PASSWORD, "inviteCode": invite(a)})
    assert created.status_code == 200, created.text
    did, token = created.json()["did"], created.json()["accessJwt"]
    blobs = {}
    for i in range(20):
        data, kind = (BIG_BLOB, "application/octet-stream") if i == 0 else (png(8 + i, 8), "image/png")
        uploaded = requests.post(a.xrpc("com.atproto.repo.uploadBlob"), data=data,
                                 headers={**bearer(token), "content-type": kind})
        assert uploaded.status_code == 200, uploaded.text
        blob = uploaded.json()["blob"]
        blobs[blob["ref"]["$link"]] = data
        record = xrpc(a, "com.atproto.repo.createRecord", token, json={
            "repo": did, "collection": "com.example.attachment",
            "record": {"$type": "com.example.attachment", "file": blob, "n": i}})
        assert record.status_code == 200, record.text
    for batch in range(0, 980, 196):
        writes = [{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post",
                   "value": {"$type": "app.bsky.feed.post", "text": f"post {n}",
                             "createdAt": "2026-01-01T00:00:00.000Z"}} for n in range(batch, batch + 196)]
        applied = xrpc(a, "com.atproto.repo.applyWrites", token, json={"repo": did, "writes": writes})
        assert applied.status_code == 200, applied.text
    preferences = {"preferences": [
        {"$type": "app.bsky.actor.defs#adultContentPref", "enabled": False},
        {"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": []}]}
    assert xrpc(a, "app.bsky.actor.putPreferences", token, json=preferences).status_code == 200
    app_password = xrpc(a, "com.atproto.server.createAppPassword", token, json={"name": "phone"})
    assert app_password.status_code == 200, app_password.text
    return {"handle": handle, "did": did, "token": token, "blobs": blobs, "preferences": preferences}


def all_records(pds, did: str) -> dict:
    """Every record B or A serves for `did`, by URI, through listRecords (every collection, every page)."""
    collections = xrpc(pds, "com.atproto.repo.describeRepo", params={"repo": did}).json()["collections"]
    records = {}
    for collection in collections:
        cursor = None
        while True:
            page = xrpc(pds, "com.atproto.repo.listRecords",
                        params={"repo": did, "collection": collection, "limit": 100,
                                **({"cursor": cursor} if cursor else {})}).json()
            records.update({r["uri"]: r for r in page["records"]})
            cursor = page.get("cursor")
            if not page["records"] or not cursor:
                break
    return records


def migrate(a, env_file, account: dict, kill_when: str | None = None) -> tuple[int, str, list[str]]:
    """Runs `pds account migrate` for `account` from A to B (B's env file); types the PLC token A "emailed" (read
    from A's account.sqlite) once the command says it was sent. With `kill_when`, SIGKILLs the command as soon as a
    progress line starts with it. The exit status, stdout and the stderr lines."""
    process = subprocess.Popen(
        [str(binary()), "account", "migrate", "--env-file", str(env_file), "--json",
         "--from-handle", account["handle"], "--from-password", PASSWORD, "--from-url", a.url],
        env={k: v for k, v in os.environ.items() if not k.startswith("PDS_")},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip("\n"))
        if kill_when and line.startswith(kill_when):
            process.send_signal(signal.SIGKILL)
            break
        if line.startswith("identity:") and "emailed a PLC token" in line:
            with sqlite3.connect(a.data_dir / "account.sqlite") as db:
                [(token,)] = db.execute("SELECT token FROM email_token WHERE did = ? AND purpose = 'plc_operation'",
                                        (account["did"],)).fetchall()
            process.stdin.write(token + "\n")
            process.stdin.flush()
    stdout = process.stdout.read()
    lines += [line.rstrip("\n") for line in process.stderr]
    return process.wait(timeout=120), stdout, lines


def assert_moved(a, b, plc_url, account: dict, records_before: dict) -> None:
    did = account["did"]
    # B serves every record (same CIDs, same values) and every blob byte for byte.
    assert all_records(b, did) == records_before
    for cid, data in account["blobs"].items():
        blob = xrpc(b, "com.atproto.sync.getBlob", params={"did": did, "cid": cid})
        assert blob.status_code == 200 and blob.content == data, cid
    # B's repo verifies independently (atmst/cbrrr, secp256k1) with the key the PLC document now names, which is B's.
    document = requests.get(f"{plc_url}/{did}").json()
    [service] = [s for s in document["service"] if s["id"] == "#atproto_pds"]
    assert service["serviceEndpoint"] == b.url.replace("127.0.0.1", "localhost")
    [method] = [m for m in document["verificationMethod"] if m["id"].endswith("#atproto")]
    key = "did:key:" + method["publicKeyMultibase"]
    _, paths = verify_repo_car(xrpc(b, "com.atproto.sync.getRepo", params={"did": did}).content, did, key)
    assert {f"at://{did}/{path}" for path in paths} == set(records_before)
    assert {f"at://{did}/{path}": cid.encode() for path, cid in paths.items()} == \
        {uri: record["cid"] for uri, record in records_before.items()}
    # A says the account is deactivated; the old password logs in on B, where the preferences are.
    status = xrpc(a, "com.atproto.sync.getRepoStatus", params={"did": did}).json()
    assert status["active"] is False and status["status"] == "deactivated"
    session = xrpc(b, "com.atproto.server.createSession", json={"identifier": account["handle"], "password": PASSWORD})
    assert session.status_code == 200, session.text
    token = session.json()["accessJwt"]
    assert xrpc(b, "app.bsky.actor.getPreferences", token).json() == account["preferences"]
    checked = xrpc(b, "com.atproto.server.checkAccountStatus", token).json()
    assert checked["activated"] and checked["validDid"] and checked["importedBlobs"] == checked["expectedBlobs"] == 20
    # B's firehose announces the account: #identity, #account (active) and #sync.
    seen = set()
    with connect(subscribe_repos_url(b, "?cursor=0"), open_timeout=10, max_size=None) as ws:
        while seen != {"#identity", "#account", "#sync"}:
            header, body = decode_frame(ws.recv(timeout=20))
            if body.get("did") == did and header.get("t") in ("#identity", "#account", "#sync"):
                assert header["t"] != "#account" or body["active"] is True
                seen.add(header["t"])


def test_migrate_moves_an_account_with_one_command(servers):
    a, b, plc_url, env_file = servers
    account = populate(a)
    records_before = all_records(a, account["did"])
    assert len(records_before) == 1000

    code, stdout, lines = migrate(a, env_file, account)
    assert code == 0, "\n".join(lines)
    summary = json.loads(stdout)
    assert summary["did"] == account["did"] and summary["accountCreated"] is True
    assert summary["repo"]["outcome"] == "imported" and summary["repo"]["records"] == 1000
    assert summary["blobs"]["copied"] == 20 and summary["blobs"]["alreadyPresent"] == 0
    assert summary["preferences"] == 2 and summary["identity"] == "updated"
    assert summary["verified"]["records"] == 1000 and summary["verified"]["blobs"] == 20
    for phase in ("repo", "blobs", "preferences", "identity", "verify"):
        assert any(line.startswith(f"{phase}: done") for line in lines), lines
    assert_moved(a, b, plc_url, account, records_before)


def test_migrate_killed_after_the_blobs_continues_when_run_again(servers):
    a, b, plc_url, env_file = servers
    account = populate(a)
    records_before = all_records(a, account["did"])

    code, _, lines = migrate(a, env_file, account, kill_when="blobs: done")
    assert code == -signal.SIGKILL, lines
    # Killed: the new account holds the repo and the blobs but is not active; the old one still is.
    assert xrpc(a, "com.atproto.sync.getRepoStatus", params={"did": account["did"]}).json()["active"] is True
    session = xrpc(b, "com.atproto.server.createSession", json={"identifier": account["did"], "password": PASSWORD})
    status = xrpc(b, "com.atproto.server.checkAccountStatus", session.json()["accessJwt"]).json()
    assert status["activated"] is False and status["importedBlobs"] == 20, status

    code, stdout, lines = migrate(a, env_file, account)
    assert code == 0, "\n".join(lines)
    summary = json.loads(stdout)
    assert summary["accountCreated"] is False and summary["repo"]["outcome"] == "already imported"
    assert summary["blobs"]["copied"] == 0 and summary["blobs"]["alreadyPresent"] == 20
    assert summary["identity"] == "updated" and summary["verified"]["records"] == 1000
    assert_moved(a, b, plc_url, account, records_before)


def test_migrate_with_a_wrong_password_fails_in_one_line_and_changes_nothing(servers):
    a, b, _, env_file = servers
    handle = new_handle()
    created = xrpc(a, "com.atproto.server.createAccount", json={
        "handle": handle, "email": f"{handle}@example.com", "password": PASSWORD, "inviteCode": invite(a)})
    did = created.json()["did"]
    result = subprocess.run(
        [str(binary()), "account", "migrate", "--env-file", str(env_file), "--from-handle", handle,
         "--from-password", "not the password", "--from-url", a.url],
        env={k: v for k, v in os.environ.items() if not k.startswith("PDS_")}, capture_output=True, text=True,
        timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"error: com.atproto.server.createSession failed at {a.url}: AuthenticationRequired: "
        "Invalid identifier or password (HTTP 401)")
    assert xrpc(b, "com.atproto.server.createSession", json={"identifier": did, "password": PASSWORD}).status_code == 401
    assert xrpc(a, "com.atproto.sync.getRepoStatus", params={"did": did}).json()["active"] is True
