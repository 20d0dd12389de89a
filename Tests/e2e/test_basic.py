"""The running server answers its basic routes like the reference PDS."""
import requests

from pds_e2e import bearer, create_account


def test_health(pds):
    r = requests.get(pds.xrpc("_health"))
    assert r.status_code == 200
    assert "version" in r.json()


def test_describe_server(pds):
    r = requests.get(pds.xrpc("com.atproto.server.describeServer"))
    assert r.status_code == 200
    body = r.json()
    assert body["did"].startswith("did:")
    assert body["availableUserDomains"] == [".test"]
    assert isinstance(body["inviteCodeRequired"], bool)


def test_unimplemented_method_is_an_xrpc_error(pds):
    # Without an AppView configured, a method only an AppView answers is an XRPC error naming the setting.
    account = create_account(pds)
    r = requests.get(pds.xrpc("app.bsky.graph.getFollows"), params={"actor": account["did"]},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 501
    assert r.json()["error"] == "MethodNotImplemented"
    assert "PDS_BSKY_APP_VIEW_URL" in r.json()["message"]


def test_robots(pds):
    r = requests.get(f"{pds.url}/robots.txt")
    assert r.status_code == 200
    assert "User-agent: *" in r.text
