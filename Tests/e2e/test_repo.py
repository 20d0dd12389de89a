"""Record writes and reads against the real binary with the Python `atproto` SDK: post, like, list, get, delete,
and the `validationStatus` each write reports."""

import requests
from atproto import models

from pds_e2e import bearer, create_account, sdk_client


def test_sdk_post_like_list_get_delete(pds):
    client, did, handle = sdk_client(pds)

    post = client.send_post("hello from the sdk", profile_identify=did)
    assert post.uri.startswith(f"at://{did}/app.bsky.feed.post/")
    rkey = post.uri.rsplit("/", 1)[1]

    fetched = client.app.bsky.feed.post.get(handle, rkey)
    assert fetched.cid == post.cid and fetched.value.text == "hello from the sdk"

    # like() writes to `client.me`, which login fills from app.bsky.actor.getProfile (not served by this PDS).
    client.me = models.AppBskyActorDefs.ProfileViewDetailed(did=did, handle=handle)
    like = client.like(post.uri, post.cid)
    assert like.uri.startswith(f"at://{did}/app.bsky.feed.like/")

    posts = client.app.bsky.feed.post.list(did, limit=10)
    assert [p.text for p in posts.records.values()] == ["hello from the sdk"]
    likes = client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=did, collection="app.bsky.feed.like"))
    assert [r.uri for r in likes.records] == [like.uri]

    assert client.unlike(like.uri) is True
    assert client.delete_post(post.uri) is True
    empty = client.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=did, collection="app.bsky.feed.post"))
    assert empty.records == []
    r = requests.get(pds.xrpc("com.atproto.repo.getRecord"),
                     params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey})
    assert r.status_code == 400 and r.json()["error"] == "RecordNotFound"

    described = client.com.atproto.repo.describe_repo(models.ComAtprotoRepoDescribeRepo.Params(repo=handle))
    assert described.did == did and described.handle == handle and described.handle_is_correct


def test_validation_status(pds):
    client, did, _ = sdk_client(pds)
    record = {"$type": "app.bsky.feed.post", "text": "checked", "createdAt": client.get_current_time_iso()}
    created = client.com.atproto.repo.create_record(
        models.ComAtprotoRepoCreateRecord.Data(repo=did, collection="app.bsky.feed.post", record=record))
    assert created.validation_status == "valid"
    assert created.commit is not None

    unknown = client.com.atproto.repo.create_record(
        models.ComAtprotoRepoCreateRecord.Data(repo=did, collection="com.example.thing", record={"x": 1}))
    assert unknown.validation_status == "unknown"

    skipped = client.com.atproto.repo.create_record(
        models.ComAtprotoRepoCreateRecord.Data(
            repo=did, collection="com.example.thing", record={"x": 2}, validate=False))
    assert skipped.validation_status is None

    token = client._session.access_jwt
    r = requests.post(pds.xrpc("com.atproto.repo.createRecord"), headers=bearer(token),
                      json={"repo": did, "collection": "app.bsky.feed.post", "record": {"text": 5}})
    assert r.status_code == 400 and r.json()["error"] == "InvalidRequest"
    r = requests.post(pds.xrpc("com.atproto.repo.createRecord"), headers=bearer(token),
                      json={"repo": did, "collection": "com.example.thing", "record": {"x": 3}, "validate": True})
    assert r.status_code == 400


def test_put_same_record_has_no_commit_and_other_accounts_are_refused(pds):
    owner = create_account(pds)
    other = create_account(pds)
    body = {"repo": owner["did"], "collection": "com.example.thing", "rkey": "self", "record": {"x": 1}}
    first = requests.post(pds.xrpc("com.atproto.repo.putRecord"), headers=bearer(owner["accessJwt"]), json=body)
    assert first.status_code == 200, first.text
    assert "commit" in first.json()
    again = requests.post(pds.xrpc("com.atproto.repo.putRecord"), headers=bearer(owner["accessJwt"]), json=body)
    assert again.status_code == 200 and "commit" not in again.json()
    assert again.json()["cid"] == first.json()["cid"]

    swap = requests.post(pds.xrpc("com.atproto.repo.putRecord"), headers=bearer(owner["accessJwt"]),
                         json={**body, "record": {"x": 2}, "swapRecord": None})
    assert swap.status_code == 400 and swap.json()["error"] == "InvalidSwap"

    foreign = requests.post(pds.xrpc("com.atproto.repo.putRecord"), headers=bearer(other["accessJwt"]), json=body)
    assert foreign.status_code in (401, 403)
