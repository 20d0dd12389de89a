"""The running server answers its basic routes like the reference PDS."""
import requests


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
    # The reference serves it itself (so it is not proxied); this server does not yet.
    r = requests.post(pds.xrpc("com.atproto.repo.importRepo"), data=b"", headers={"content-type": "application/vnd.ipld.car"})
    assert r.status_code == 501
    assert r.json()["error"] == "MethodNotImplemented"


def test_robots(pds):
    r = requests.get(f"{pds.url}/robots.txt")
    assert r.status_code == 200
    assert "User-agent: *" in r.text
