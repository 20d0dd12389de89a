"""Account migration between two real `pds` processes sharing one PLC directory (`pds plc serve`), by the reference's
ACCOUNT_MIGRATION.md steps with the Python `atproto` SDK and plain XRPC: service auth from the old PDS, createAccount
with the DID on the new one (deactivated), getRepo → importRepo, missing blobs copied, preferences copied, the PLC
operation signed by the old PDS and submitted by the new one, activation on the new side and deactivation on the old.
Afterwards the new PDS serves a repo that verifies with every record and blob of the old one, signed by the account's
new key, and the firehose and PLC directory say so."""
import sqlite3

import pytest
import requests
from atproto import Client
from websockets.sync.client import connect

from pds_e2e import bearer, invite, new_handle, plc_and_two_pdses, subscribe_repos_url, xrpc
from repo_verify import car_blocks, decode_frame, signing_key, verify_repo_car

PASSWORD = "correct horse battery staple"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A PLC directory and two PDSes using it."""
    with plc_and_two_pdses(tmp_path_factory.mktemp("migration"), ("old", "new")) as world:
        yield world


def test_account_moves_with_its_repo_blobs_preferences_and_identity(servers):
    old, new, plc_url = servers
    handle = new_handle()
    source = Client(base_url=old.url)
    source.com.atproto.server.create_account(
        {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD, "inviteCode": invite(old)})
    source.login(handle, PASSWORD, fetch_bsky_profile=False)
    did = source._session.did
    for i in range(5):
        source.send_post(f"post {i} before the move", profile_identify=did)
    image = source.upload_blob(PNG).blob
    source.send_image("with a picture", image=PNG, image_alt="one pixel", profile_identify=did)
    source.app.bsky.actor.put_preferences({"preferences": [
        {"$type": "app.bsky.actor.defs#adultContentPref", "enabled": False}]})
    old_token = source._session.access_jwt
    old_records = xrpc(old, "com.atproto.repo.listRecords", params={"repo": did, "collection": "app.bsky.feed.post"})
    old_blobs = set(xrpc(old, "com.atproto.sync.listBlobs", params={"did": did}).json()["cids"])
    assert len(old_blobs) == 1

    # 1. The new PDS takes the existing DID, with a service JWT from the old one.
    auth = xrpc(old, "com.atproto.server.getServiceAuth", old_token,
                params={"aud": "did:web:new.pds.test", "lxm": "com.atproto.server.createAccount"})
    assert auth.status_code == 200, auth.text
    created = xrpc(new, "com.atproto.server.createAccount", auth.json()["token"], json={
        "did": did, "handle": handle, "email": f"{handle}@example.com", "password": PASSWORD,
        "inviteCode": invite(new)})
    assert created.status_code == 200, created.text
    new_token = created.json()["accessJwt"]
    status = xrpc(new, "com.atproto.server.checkAccountStatus", new_token).json()
    assert status["activated"] is False and status["validDid"] is False

    # 2. The repo, then the blobs it names.
    car = xrpc(old, "com.atproto.sync.getRepo", params={"did": did}).content
    imported = requests.post(new.xrpc("com.atproto.repo.importRepo"), data=car,
                             headers={**bearer(new_token), "content-type": "application/vnd.ipld.car"})
    assert imported.status_code == 200, imported.text
    status = xrpc(new, "com.atproto.server.checkAccountStatus", new_token).json()
    assert status["expectedBlobs"] == 1 and status["importedBlobs"] == 0, status
    missing = xrpc(new, "com.atproto.repo.listMissingBlobs", new_token).json()["blobs"]
    assert [b["cid"] for b in missing] == list(old_blobs)
    for blob in missing:
        data = xrpc(old, "com.atproto.sync.getBlob", params={"did": did, "cid": blob["cid"]}).content
        uploaded = requests.post(new.xrpc("com.atproto.repo.uploadBlob"), data=data,
                                 headers={**bearer(new_token), "content-type": "image/png"})
        assert uploaded.status_code == 200, uploaded.text
    status = xrpc(new, "com.atproto.server.checkAccountStatus", new_token).json()
    assert status["importedBlobs"] == 1 and status["repoBlocks"] > 0 and status["indexedRecords"] == 6, status

    # 3. Preferences.
    preferences = xrpc(old, "app.bsky.actor.getPreferences", old_token).json()
    assert xrpc(new, "app.bsky.actor.putPreferences", new_token, json=preferences).status_code == 200

    # 4. Identity: the old PDS signs (with the emailed token), the new one submits.
    credentials = xrpc(new, "com.atproto.identity.getRecommendedDidCredentials", new_token).json()
    assert xrpc(old, "com.atproto.identity.requestPlcOperationSignature", old_token, data=b"").status_code == 200
    with sqlite3.connect(old.data_dir / "account.sqlite") as db:
        [(token,)] = db.execute(
            "SELECT token FROM email_token WHERE did = ? AND purpose = 'plc_operation'", (did,)).fetchall()
    signed = xrpc(old, "com.atproto.identity.signPlcOperation", old_token, json={"token": token, **credentials})
    assert signed.status_code == 200, signed.text
    submitted = xrpc(new, "com.atproto.identity.submitPlcOperation", new_token,
                     json={"operation": signed.json()["operation"]})
    assert submitted.status_code == 200, submitted.text

    # 5. Switch over.
    activated = xrpc(new, "com.atproto.server.activateAccount", new_token, data=b"")
    assert activated.status_code == 200, activated.text
    assert xrpc(old, "com.atproto.server.deactivateAccount", old_token, json={}).status_code == 200

    # The DID now points at the new PDS with the new key, and the new PDS serves everything the old one had.
    document = requests.get(f"{plc_url}/{did}").json()
    [service] = [s for s in document["service"] if s["id"] == "#atproto_pds"]
    assert service["serviceEndpoint"] == new.url.replace("127.0.0.1", "localhost")
    key = signing_key(new.url, did)
    assert key == credentials["verificationMethods"]["atproto"]
    commit, records = verify_repo_car(xrpc(new, "com.atproto.sync.getRepo", params={"did": did}).content, did, key)
    assert set(records) == {f"app.bsky.feed.post/{r['uri'].rsplit('/', 1)[1]}" for r in old_records.json()["records"]}
    new_records = xrpc(new, "com.atproto.repo.listRecords", params={"repo": did, "collection": "app.bsky.feed.post"})
    assert new_records.json()["records"] == old_records.json()["records"]
    assert set(xrpc(new, "com.atproto.sync.listBlobs", params={"did": did}).json()["cids"]) == old_blobs
    blob = xrpc(new, "com.atproto.sync.getBlob", params={"did": did, "cid": image.ref.link})
    assert blob.status_code == 200 and blob.content == PNG
    assert xrpc(new, "app.bsky.actor.getPreferences", new_token).json() == preferences
    status = xrpc(new, "com.atproto.server.checkAccountStatus", new_token).json()
    assert status["activated"] is True and status["validDid"] is True, status
    old_status = xrpc(old, "com.atproto.sync.getRepoStatus", params={"did": did}).json()
    assert old_status["active"] is False and old_status["status"] == "deactivated"

    # The new PDS's firehose announces the account with a #sync whose commit the new key signed.
    with connect(subscribe_repos_url(new, "?cursor=0"), open_timeout=10) as ws:
        while True:
            header, body = decode_frame(ws.recv(timeout=20))
            if header.get("t") == "#sync" and body["did"] == did:
                break
    sync_root, _ = car_blocks(body["blocks"])
    assert sync_root.encode() == xrpc(new, "com.atproto.sync.getLatestCommit", params={"did": did}).json()["cid"]
    # And the SDK logs in on the new PDS and writes there.
    moved = Client(base_url=new.url)
    moved.login(handle, PASSWORD, fetch_bsky_profile=False)
    moved.send_post("hello from the new PDS", profile_identify=did)

