"""The offline `pds` commands on a real data directory (the server stopped): `repo verify` finds a corrupted block, a
missing record block and a missing index row; `repo rebuild` repairs the index; `hostname change` updates every PLC
document in the embedded directory and the firehose carries the `#identity` events; `identity publish`; and every
command refuses to run while a server holds the directory."""
import hashlib
import json
import os
import sqlite3
import subprocess

import pytest
import requests
from websockets.sync.client import connect

from pds_e2e import bearer, binary, create_account, start_server, stop_server, subscribe_repos_url
from repo_verify import decode_frame


def actor_store(data_dir, did: str):
    shard = hashlib.sha256(did.encode()).hexdigest()[:2]
    return data_dir / "actors" / shard / did / "store.sqlite"


def run_pds(data_dir, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update({"PDS_DEV_MODE": "true", "PDS_DATA_DIRECTORY": str(data_dir), "PDS_HOSTNAME": "localhost"})
    return subprocess.run([str(binary()), *args], env=env, capture_output=True, text=True, timeout=120)


def post(pds, account, text: str) -> dict:
    r = requests.post(
        pds.xrpc("com.atproto.repo.createRecord"), headers=bearer(account["accessJwt"]),
        json={"repo": account["did"], "collection": "app.bsky.feed.post",
              "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"}})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture()
def stopped(tmp_path):
    """A data directory with four accounts, each with two posts, and the server stopped."""
    pds = start_server(tmp_path)
    accounts = [create_account(pds) for _ in range(4)]
    posts = {a["did"]: [post(pds, a, f"post {i}") for i in range(2)] for a in accounts}
    stop_server(pds)
    return tmp_path, accounts, posts


def test_verify_finds_damage_and_rebuild_repairs_the_index(stopped):
    data_dir, accounts, posts = stopped
    clean = run_pds(data_dir, "repo", "verify")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "4 repo(s) verified, 0 with problems" in clean.stdout
    for account in accounts:
        assert account["did"] in clean.stdout and account["handle"] in clean.stdout

    corrupt, missing_block, missing_row, _ = accounts
    # A record block whose bytes no longer match its CID.
    with sqlite3.connect(actor_store(data_dir, corrupt["did"])) as db:
        db.execute("UPDATE repo_block SET content = X'a0' WHERE cid = ?", (posts[corrupt["did"]][0]["cid"],))
    # A record block deleted.
    with sqlite3.connect(actor_store(data_dir, missing_block["did"])) as db:
        db.execute("DELETE FROM repo_block WHERE cid = ?", (posts[missing_block["did"]][1]["cid"],))
    # A record index row deleted.
    with sqlite3.connect(actor_store(data_dir, missing_row["did"])) as db:
        db.execute("DELETE FROM record WHERE uri = ?", (posts[missing_row["did"]][0]["uri"],))

    damaged = run_pds(data_dir, "repo", "verify")
    assert damaged.returncode == 1
    assert "4 repo(s) verified, 3 with problems" in damaged.stdout
    assert f"block {posts[corrupt['did']][0]['cid']} is corrupted" in damaged.stdout
    assert f"({posts[missing_block['did']][1]['cid']}) is missing from the repo's blocks" in damaged.stdout
    rkey = posts[missing_row["did"]][0]["uri"].split("/")[-1]
    assert f"record app.bsky.feed.post/{rkey} is in the repo but not in the record index" in damaged.stdout

    as_json = run_pds(data_dir, "repo", "verify", "--json", missing_row["did"])
    assert as_json.returncode == 1
    [report] = json.loads(as_json.stdout)
    assert report["did"] == missing_row["did"] and report["records"] == 2 and len(report["problems"]) == 1

    rebuilt = run_pds(data_dir, "repo", "rebuild", missing_row["handle"])
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 record(s); 1 added, 0 corrected, 0 removed" in rebuilt.stdout
    assert run_pds(data_dir, "repo", "verify", missing_row["did"]).returncode == 0

    # A record whose block is gone cannot be indexed: one clear line, non-zero exit.
    refused = run_pds(data_dir, "repo", "rebuild", missing_block["did"])
    assert refused.returncode != 0 and "cannot rebuild" in refused.stderr
    unknown = run_pds(data_dir, "repo", "verify", "did:plc:unknownunknownunknown")
    assert unknown.returncode != 0 and "no account did:plc:unknownunknownunknown" in unknown.stderr


def test_hostname_change_moves_every_did_and_announces_it(stopped):
    data_dir, accounts, _ = stopped
    new_url = "http://localhost:4999"
    plan = run_pds(data_dir, "hostname", "change", new_url, "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "4 account(s) would move to http://localhost:4999 (dry run: nothing changed)" in plan.stdout

    moved = run_pds(data_dir, "hostname", "change", new_url, "--json")
    assert moved.returncode == 0, moved.stderr
    steps = json.loads(moved.stdout)
    assert sorted(s["did"] for s in steps) == sorted(a["did"] for a in accounts)
    assert all(s["action"] == "update" and s["to"] == new_url for s in steps)

    again = run_pds(data_dir, "hostname", "change", new_url)
    assert "0 account(s) moved" in again.stdout and again.stdout.count("unchanged") == 4

    published = run_pds(data_dir, "identity", "publish", accounts[0]["did"])
    assert published.returncode == 0 and accounts[0]["handle"] in published.stdout

    pds = start_server(data_dir)
    try:
        for account in accounts:
            document = requests.get(f"{pds.url}/plc/{account['did']}").json()
            [service] = [s for s in document["service"] if s["id"] == "#atproto_pds"]
            assert service["serviceEndpoint"] == new_url
        identities = {}
        with connect(subscribe_repos_url(pds, "?cursor=0"), open_timeout=10) as ws:
            while sum(identities.values()) < 5 + 4:  # creation (4), the move (4), the publish (1)
                header, body = decode_frame(ws.recv(timeout=20))
                if header.get("t") == "#identity":
                    identities[body["did"]] = identities.get(body["did"], 0) + 1
        assert identities[accounts[0]["did"]] == 3
        assert all(identities[a["did"]] == 2 for a in accounts[1:])

        # While the server runs, the offline commands refuse to touch its data directory.
        busy = run_pds(data_dir, "repo", "verify")
        assert busy.returncode != 0
        assert f"a pds server is running on {data_dir} (pid {pds.process.pid}): stop it first" in busy.stderr
    finally:
        stop_server(pds)


def test_sequencer_recover_restores_damaged_stores(stopped):
    data_dir, accounts, posts = stopped
    first, second, untouched, _ = accounts
    with sqlite3.connect(actor_store(data_dir, first["did"])) as db:
        # Lose a record block, corrupt another, and lose the whole record index.
        db.execute("DELETE FROM repo_block WHERE cid = ?", (posts[first["did"]][0]["cid"],))
        db.execute("UPDATE repo_block SET content = X'a0' WHERE cid = ?", (posts[first["did"]][1]["cid"],))
        db.execute("DELETE FROM record")
    with sqlite3.connect(actor_store(data_dir, second["did"])) as db:
        # Every block gone.
        db.execute("DELETE FROM repo_block")
    assert run_pds(data_dir, "repo", "verify").returncode == 1

    recovered = run_pds(data_dir, "sequencer", "recover", "--json")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    outcomes = {o["did"]: o for o in json.loads(recovered.stdout)}
    assert set(outcomes) == {a["did"] for a in accounts}
    assert all(o.get("problem") is None and o["records"] == 2 for o in outcomes.values()), outcomes
    # The repo's current rev is the newest commit the firehose announced.
    assert outcomes[first["did"]]["rev"] == posts[first["did"]][1]["commit"]["rev"]

    verified = run_pds(data_dir, "repo", "verify")
    assert verified.returncode == 0, verified.stdout
    pds = start_server(data_dir)
    try:
        for account in (first, second, untouched):
            r = requests.get(pds.xrpc("com.atproto.repo.listRecords"),
                             params={"repo": account["did"], "collection": "app.bsky.feed.post"})
            assert sorted(x["cid"] for x in r.json()["records"]) == sorted(p["cid"] for p in posts[account["did"]])
    finally:
        stop_server(pds)
