"""Read-after-write munging against the real binary and the fake AppView (fake_services.py), which verifies every
service JWT and claims to have indexed the caller's repo only up to a revision the test chooses (its
`atproto-repo-rev` header): what the user wrote after that revision still shows in the AppView's answers, patched in
by the PDS with an `Atproto-Upstream-Lag` header, as the reference does."""
import pytest
import requests
from atproto import Client, models

from fake_services import FAKE_FEED_ITEM, appview
from pds_e2e import bearer, sdk_client, start_server, stop_server

CDN = "https://cdn.example.com/img/%s/plain/%s/%s@jpeg"


@pytest.fixture(scope="module")
def fake():
    service = appview()
    yield service
    service.close()


@pytest.fixture(scope="module")
def pds(tmp_path_factory, fake):
    server = start_server(tmp_path_factory.mktemp("pds-raw"), {
        "PDS_BSKY_APP_VIEW_URL": fake.url, "PDS_BSKY_APP_VIEW_DID": fake.did,
        "PDS_BSKY_APP_VIEW_CDN_URL_PATTERN": CDN,
    })
    fake.plc_url = f"{server.url}/plc"
    yield server
    stop_server(server)


def latest_rev(pds, did: str) -> str:
    r = requests.get(pds.xrpc("com.atproto.sync.getLatestCommit"), params={"did": did})
    assert r.status_code == 200, r.text
    return r.json()["rev"]


def put_profile(client: Client, did: str, display_name: str) -> None:
    client.com.atproto.repo.put_record(models.ComAtprotoRepoPutRecord.Data(
        repo=did, collection="app.bsky.actor.profile", rkey="self",
        record={"$type": "app.bsky.actor.profile", "displayName": display_name, "description": "hello"}))


def test_a_new_post_and_profile_show_before_the_appview_has_them(pds, fake):
    client, did, handle = sdk_client(pds, fetch_bsky_profile=True)
    client.send_post("indexed by the AppView already")
    fake.known_revs[did] = latest_rev(pds, did)  # the AppView has seen the repo up to here, no further

    post = client.send_post("written a moment ago")
    put_profile(client, did, "Just Updated")

    timeline = client.get_timeline()
    assert [item.post.uri for item in timeline.feed] == [post.uri, FAKE_FEED_ITEM["post"]["uri"]]
    mine = timeline.feed[0].post
    assert mine.cid == post.cid
    assert mine.record.text == "written a moment ago"
    assert mine.author.did == did and mine.author.handle == handle
    assert mine.author.display_name == "Just Updated"
    assert (mine.like_count, mine.reply_count, mine.repost_count, mine.quote_count) == (0, 0, 0, 0)
    assert timeline.cursor == "fake-cursor"
    call = fake.calls("app.bsky.feed.getTimeline")[-1]
    assert call.verified, call.problems
    assert call.claims["iss"] == did and call.claims["lxm"] == "app.bsky.feed.getTimeline"

    profile = client.app.bsky.actor.get_profile(models.AppBskyActorGetProfile.Params(actor=did))
    assert profile.display_name == "Just Updated"
    assert profile.description == "hello"
    assert profile.followers_count == 0  # what the AppView said stays

    r = requests.get(pds.xrpc("app.bsky.feed.getTimeline"), headers=bearer(client._session.access_jwt))
    assert r.status_code == 200, r.text
    lag = int(r.headers["atproto-upstream-lag"])
    assert lag >= 0
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "private"

    # The author feed of the user gets the post too; the thread the AppView does not know is made locally.
    feed = client.get_author_feed(did)
    assert [item.post.uri for item in feed.feed] == [post.uri, f"at://{did}/app.bsky.feed.post/3kfakepost222"]
    assert feed.feed[1].post.author.display_name == "Just Updated"  # the AppView's stale author view, updated
    thread = client.get_post_thread(post.uri)
    assert thread.thread.post.uri == post.uri
    assert thread.thread.post.record.text == "written a moment ago"


def test_avatar_urls_use_the_cdn_pattern(pds, fake):
    client, did, _ = sdk_client(pds, fetch_bsky_profile=True)
    client.send_post("before")
    fake.known_revs[did] = latest_rev(pds, did)
    blob = client.upload_blob(b"\x89PNG\r\n\x1a\n" + bytes(64)).blob
    client.com.atproto.repo.put_record(models.ComAtprotoRepoPutRecord.Data(
        repo=did, collection="app.bsky.actor.profile", rkey="self",
        record={"$type": "app.bsky.actor.profile", "displayName": "With Avatar", "avatar": blob}))
    profile = client.app.bsky.actor.get_profile(models.AppBskyActorGetProfile.Params(actor=did))
    assert profile.avatar == CDN.replace("%s", "avatar", 1).replace("%s", did, 1).replace("%s", blob.ref.link, 1)


def test_without_a_rev_header_the_answer_passes_through_untouched(pds, fake):
    client, did, _ = sdk_client(pds, fetch_bsky_profile=True)
    fake.known_revs.pop(did, None)
    client.send_post("the AppView says nothing about revisions")
    r = requests.get(pds.xrpc("app.bsky.feed.getTimeline"), headers=bearer(client._session.access_jwt))
    assert r.status_code == 200, r.text
    assert r.content == fake.sent["app.bsky.feed.getTimeline"]
    assert "atproto-upstream-lag" not in r.headers
    assert "atproto-repo-rev" not in r.headers


def test_nothing_newer_than_the_rev_passes_the_answer_through(pds, fake):
    client, did, _ = sdk_client(pds, fetch_bsky_profile=True)
    client.send_post("already indexed")
    rev = latest_rev(pds, did)
    fake.known_revs[did] = rev
    r = requests.get(pds.xrpc("app.bsky.feed.getTimeline"), headers=bearer(client._session.access_jwt))
    assert r.status_code == 200, r.text
    assert r.content == fake.sent["app.bsky.feed.getTimeline"]
    assert r.headers["atproto-repo-rev"] == rev  # forwarded as the proxy does
    assert "atproto-upstream-lag" not in r.headers


def test_a_thread_of_someone_else_stays_not_found(pds, fake):
    client, did, _ = sdk_client(pds, fetch_bsky_profile=True)
    client.send_post("first")
    fake.known_revs[did] = latest_rev(pds, did)
    client.send_post("second")
    r = requests.get(pds.xrpc("app.bsky.feed.getPostThread"),
                     params={"uri": FAKE_FEED_ITEM["post"]["uri"]}, headers=bearer(client._session.access_jwt))
    assert r.status_code == 400
    assert r.json()["error"] == "NotFound"


def test_reads_need_a_session(pds):
    r = requests.get(pds.xrpc("app.bsky.feed.getTimeline"))
    assert r.status_code == 401
    assert r.json()["error"] == "AuthMissing"
