"""`app.bsky.feed.getFeed` and `app.bsky.notification.registerPush`/`unregisterPush`, which the PDS serves itself,
against the real binary and fake services (fake_services.py) that verify every service JWT against the caller's DID
document: a feed generator (a did:web with a `#bsky_fg` service), the AppView that reads its record and passes the
caller's JWT on to it, and a did:web push notification service."""
import json

import pytest
import requests
from atproto import models

from fake_services import appview, feed_generator, push_service
from pds_e2e import bearer, sdk_client, start_server, stop_server


@pytest.fixture(scope="module")
def services():
    fakes = {"appview": appview(), "feedgen": feed_generator(), "push": push_service()}
    yield fakes
    for fake in fakes.values():
        fake.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, services):
    pds = start_server(tmp_path_factory.mktemp("pds-feed"), {
        "PDS_BSKY_APP_VIEW_URL": services["appview"].url, "PDS_BSKY_APP_VIEW_DID": services["appview"].did,
    })
    for fake in services.values():
        fake.plc_url = f"{pds.url}/plc"
    yield pds
    stop_server(pds)


@pytest.fixture(scope="module")
def user(server):
    """A logged-in SDK client, its DID and handle."""
    return sdk_client(server)


def publish_feed(client, did: str, services: dict, rkey: str) -> str:
    """A feed generator record in the user's repo naming the fake generator, indexed by the fake AppView; its URI."""
    record = {"$type": "app.bsky.feed.generator", "did": services["feedgen"].did, "displayName": f"Feed {rkey}",
              "createdAt": "2024-01-01T00:00:00.000Z"}
    created = client.com.atproto.repo.create_record(models.ComAtprotoRepoCreateRecord.Data(
        repo=did, collection="app.bsky.feed.generator", rkey=rkey, record=record))
    services["appview"].records[created.uri] = record
    return created.uri


def test_sdk_get_feed_reaches_the_feed_generator(server, services, user):
    client, did, _ = user
    uri = publish_feed(client, did, services, "fresh")
    posts = [f"at://{did}/app.bsky.feed.post/3l{n}aaaaaaaaa" for n in range(3)]
    services["feedgen"].skeleton = posts

    feed = client.app.bsky.feed.get_feed({"feed": uri, "limit": 3})

    assert [item.post.uri for item in feed.feed] == posts
    lookup = services["appview"].calls("com.atproto.repo.getRecord")[-1]
    assert lookup.query == {"repo": did, "collection": "app.bsky.feed.generator", "rkey": "fresh"}
    assert "authorization" not in lookup.headers  # a public read, as the reference makes it
    call = services["appview"].calls("app.bsky.feed.getFeed")[-1]
    assert call.verified, call.problems  # signed by the user's key, aud = the generator, lxm = getFeedSkeleton
    assert call.claims["iss"] == did
    assert call.claims["aud"] == services["feedgen"].did
    assert call.claims["lxm"] == "app.bsky.feed.getFeedSkeleton"
    assert call.query == {"feed": uri, "limit": "3"}
    # The AppView passed the JWT on, and the generator accepted it as addressed to itself.
    skeleton = services["feedgen"].calls("app.bsky.feed.getFeedSkeleton")[-1]
    assert skeleton.verified, skeleton.problems
    assert skeleton.claims["jti"] == call.claims["jti"]


def test_get_feed_of_an_unknown_feed_is_the_appviews_error(server, services, user):
    client, did, _ = user
    before = len(services["appview"].calls("app.bsky.feed.getFeed"))
    uri = f"at://{did}/app.bsky.feed.generator/unknown"
    r = requests.get(server.xrpc("app.bsky.feed.getFeed"), params={"feed": uri},
                     headers=bearer(client._session.access_jwt))
    assert r.status_code == 400
    assert r.json() == {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"}
    assert len(services["appview"].calls("app.bsky.feed.getFeed")) == before


def push_data(service_did: str) -> dict:
    return {"service_did": service_did, "token": "device-token-1", "platform": "ios", "app_id": "xyz.blueskyweb.app"}


@pytest.mark.parametrize("method", ["register_push", "unregister_push"])
def test_push_registration_for_the_appview_goes_to_the_appview(server, services, user, method):
    client, did, _ = user
    lxm = "app.bsky.notification." + method.replace("_p", "P")
    data_type = models.AppBskyNotificationRegisterPush if method == "register_push" \
        else models.AppBskyNotificationUnregisterPush
    getattr(client.app.bsky.notification, method)(data_type.Data(**push_data(services["appview"].did)))

    call = services["appview"].calls(lxm)[-1]
    assert call.verified, call.problems
    assert call.claims["iss"] == did
    assert call.claims["aud"] == services["appview"].did
    assert call.claims["lxm"] == lxm
    assert json.loads(call.body) == {"serviceDid": services["appview"].did, "token": "device-token-1",
                                     "platform": "ios", "appId": "xyz.blueskyweb.app"}
    assert services["push"].calls(lxm) == []


@pytest.mark.parametrize("method", ["register_push", "unregister_push"])
def test_push_registration_for_a_did_web_service_goes_there(server, services, user, method):
    client, did, _ = user
    lxm = "app.bsky.notification." + method.replace("_p", "P")
    data_type = models.AppBskyNotificationRegisterPush if method == "register_push" \
        else models.AppBskyNotificationUnregisterPush
    before = len(services["appview"].calls(lxm))
    getattr(client.app.bsky.notification, method)(data_type.Data(**push_data(services["push"].did)))

    call = services["push"].calls(lxm)[-1]
    assert call.verified, call.problems  # aud = the push service's DID
    assert call.claims["iss"] == did
    assert json.loads(call.body)["serviceDid"] == services["push"].did
    assert len(services["appview"].calls(lxm)) == before


def test_push_registration_for_a_service_without_bsky_notif_is_refused(server, services, user):
    client, _, _ = user
    feedgen = services["feedgen"].did  # its DID document has only #bsky_fg
    r = requests.post(server.xrpc("app.bsky.notification.registerPush"),
                      json={"serviceDid": feedgen, "token": "t", "platform": "web", "appId": "a"},
                      headers=bearer(client._session.access_jwt))
    assert r.status_code == 400
    assert r.json() == {"error": "InvalidRequest",
                        "message": f"invalid notification service details in did document: {feedgen}"}
    assert services["feedgen"].calls("app.bsky.notification.registerPush") == []
