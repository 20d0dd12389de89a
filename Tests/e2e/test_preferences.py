"""`app.bsky.actor.getPreferences` / `putPreferences` through the Python `atproto` SDK, on a server with no AppView
configured: the PDS keeps them itself."""
from atproto import models

from pds_e2e import sdk_client


def test_sdk_preferences_round_trip(pds):
    client, did, _ = sdk_client(pds)
    assert client.app.bsky.actor.get_preferences().preferences == []
    saved = models.AppBskyActorDefs.SavedFeedsPrefV2(items=[models.AppBskyActorDefs.SavedFeed(
        id="3l6ovcmm2vd2j", type="timeline", value="following", pinned=True)])
    adult = models.AppBskyActorDefs.AdultContentPref(enabled=False)
    client.app.bsky.actor.put_preferences(models.AppBskyActorPutPreferences.Data(preferences=[saved, adult]))
    got = client.app.bsky.actor.get_preferences().preferences
    assert [p.py_type for p in got] == ["app.bsky.actor.defs#savedFeedsPrefV2", "app.bsky.actor.defs#adultContentPref"]
    assert got[0].items[0].value == "following" and got[0].items[0].pinned is True
    assert got[1].enabled is False
