"""The XRPC proxy ("pipethrough") against the real binary and fake AppView, chat and report services (fake_services.py)
that verify every service JWT against the caller's DID document: the Python SDK's login through the AppView, the
headers forwarded both ways, streamed bodies in bounded memory, upstream errors, refusals, `atproto-proxy` to a
did:web service, connection reuse and retries."""
import hashlib
import socket
import time

import pytest
import requests
from atproto import Client, models

from fake_services import FakeService, appview, chat_service, pattern_bytes, report_service
from pds_e2e import bearer, create_account, invite, new_handle, rss_mib, start_server, stop_server


def start_fakes() -> dict:
    return {"appview": appview(), "chat": chat_service(), "report": report_service()}


def close_fakes(fakes: dict) -> None:
    for fake in fakes.values():
        fake.close()


@pytest.fixture(scope="module")
def services():
    fakes = start_fakes()
    yield fakes
    close_fakes(fakes)


def start_proxying_server(data_dir, fakes, extra_env=None):
    env = {
        "PDS_BSKY_APP_VIEW_URL": fakes["appview"].url, "PDS_BSKY_APP_VIEW_DID": fakes["appview"].did,
        "PDS_REPORT_SERVICE_URL": fakes["report"].url, "PDS_REPORT_SERVICE_DID": fakes["report"].did,
        "PDS_PROXY_MAX_RETRIES": "1",
    }
    env.update(extra_env or {})
    server = start_server(data_dir, env)
    for fake in fakes.values():
        fake.plc_url = f"{server.url}/plc"
    return server


@pytest.fixture(scope="module")
def proxying(tmp_path_factory, services):
    server = start_proxying_server(tmp_path_factory.mktemp("pds-proxy"), services)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def account(proxying):
    return create_account(proxying)


def app_password(pds, account, privileged: bool) -> str:
    """An access token of a new app password of `account`."""
    r = requests.post(pds.xrpc("com.atproto.server.createAppPassword"), headers=bearer(account["accessJwt"]),
                      json={"name": f"app-{time.monotonic_ns()}", "privileged": privileged})
    assert r.status_code == 200, r.text
    r = requests.post(pds.xrpc("com.atproto.server.createSession"),
                      json={"identifier": account["handle"], "password": r.json()["password"]})
    assert r.status_code == 200, r.text
    return r.json()["accessJwt"]


# MARK: - Through the AppView


def test_sdk_login_fills_me_through_the_appview(proxying, services):
    handle = new_handle()
    password = "correct horse battery staple"
    Client(base_url=proxying.url).com.atproto.server.create_account(
        models.ComAtprotoServerCreateAccount.Data(
            handle=handle, email=f"{handle}@example.com", password=password, invite_code=invite(proxying)))
    client = Client(base_url=proxying.url)
    client.login(handle, password)

    assert client.me is not None
    assert client.me.did == client._session.did
    assert client.me.handle == handle
    call = services["appview"].calls("app.bsky.actor.getProfile")[-1]
    assert call.verified, call.problems
    assert call.claims["iss"] == client._session.did
    assert call.claims["aud"] == services["appview"].did  # the bare DID, no #bsky_appview
    assert call.claims["lxm"] == "app.bsky.actor.getProfile"


def test_headers_are_forwarded_both_ways_as_the_reference(proxying, services, account):
    sent = {
        **bearer(account["accessJwt"]), "accept-language": "fr, en;q=0.5", "atproto-accept-labelers": "did:plc:l;redact",
        "x-bsky-topics": "dev", "cookie": "pds-session=1", "x-custom": "not forwarded",
    }
    r = requests.get(proxying.xrpc("com.example.fake.echo"), params={"a": "1", "b": "x y"}, headers=sent)
    assert r.status_code == 200, r.text
    echoed = r.json()
    got = echoed["headers"]
    assert got["accept-language"] == "fr, en;q=0.5"
    assert got["atproto-accept-labelers"] == "did:plc:l;redact"
    assert got["x-bsky-topics"] == "dev"
    assert got["accept-encoding"] == sent.get("accept-encoding", requests.utils.default_headers()["Accept-Encoding"])
    assert got["authorization"] != sent["Authorization"]  # the caller's token never leaves; a service JWT does
    for private in ["cookie", "x-custom", "atproto-proxy", "content-type"]:
        assert private not in got, private
    assert echoed["query"] == {"a": "1", "b": "x y"}
    assert echoed["method"] == "GET"

    assert r.headers["content-language"] == "fr"
    assert r.headers["atproto-repo-rev"] == "3kfakerev"
    assert r.headers["atproto-content-labelers"] == "did:plc:labeler"
    assert r.headers["retry-after"] == "3"
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["cache-control"] == "private"
    assert "x-upstream-private" not in r.headers
    assert "set-cookie" not in r.headers

    post = requests.post(proxying.xrpc("com.example.fake.echo"), data=b'{"text": "hello"}',
                         headers={**bearer(account["accessJwt"]), "content-type": "application/json",
                                  "accept-encoding": "identity"})
    assert post.status_code == 200, post.text
    echoed = post.json()
    assert echoed["method"] == "POST"
    assert echoed["body"] == '{"text": "hello"}'
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["headers"]["content-length"] == "17"
    assert echoed["headers"]["accept-encoding"] == "identity"


def test_each_request_carries_a_fresh_service_jwt(proxying, services, account):
    for _ in range(3):
        r = requests.get(proxying.xrpc("com.example.fake.echo"), headers=bearer(account["accessJwt"]))
        assert r.status_code == 200, r.text
    calls = services["appview"].calls("com.example.fake.echo")[-3:]
    assert all(call.verified for call in calls), [call.problems for call in calls]
    assert {call.claims["iss"] for call in calls} == {account["did"]}
    assert len({call.claims["jti"] for call in calls}) == 3


def test_a_head_request_is_proxied(proxying, services, account):
    r = requests.head(proxying.xrpc("com.example.fake.stream"), params={"bytes": "1234"},
                      headers=bearer(account["accessJwt"]))
    assert r.status_code == 200
    assert r.headers["content-length"] == "1234"
    assert services["appview"].calls("com.example.fake.stream")[-1].method == "HEAD"


def test_connections_to_an_upstream_are_reused(proxying, services, account):
    before = len(services["appview"].received)
    session = requests.Session()
    for _ in range(20):
        assert session.get(proxying.xrpc("com.example.fake.echo"), headers=bearer(account["accessJwt"])).ok
    ports = {call.client_port for call in services["appview"].received[before:]}
    assert len(ports) <= 2, ports


# MARK: - Errors


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_upstream_5xx_is_upstream_failure(proxying, account, status):
    r = requests.get(proxying.xrpc("com.example.fake.fail"), params={"status": status},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 502
    assert r.json() == {"error": "UpstreamFailure", "message": f"fake failure {status}"}
    assert r.headers["retry-after"] == "7"


@pytest.mark.parametrize("status", [400, 401, 404, 429])
def test_upstream_4xx_is_passed_through(proxying, account, status):
    r = requests.get(proxying.xrpc("com.example.fake.fail"), params={"status": status},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == status
    assert r.json() == {"error": "FakeError", "message": f"fake failure {status}"}
    assert r.headers["retry-after"] == "7"
    assert r.headers["atproto-repo-rev"] == "3kfailrev"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_upstream_is_upstream_failure(proxying, account):
    # A DID document naming a service on a port nothing listens on.
    published = FakeService("bsky_appview", "BskyAppView", endpoint=f"http://127.0.0.1:{closed_port()}")
    try:
        r = requests.get(proxying.xrpc("com.example.fake.echo"),
                         headers={**bearer(account["accessJwt"]), "atproto-proxy": published.proxy_header})
        assert r.status_code == 502
        assert r.json() == {"error": "UpstreamFailure", "message": "Upstream service unreachable"}
    finally:
        published.close()

    # A did:web whose document cannot be fetched.
    r = requests.get(proxying.xrpc("com.example.fake.echo"),
                     headers={**bearer(account["accessJwt"]),
                              "atproto-proxy": f"did:web:localhost%3A{closed_port()}#bsky_appview"})
    assert r.status_code == 502
    assert r.json() == {"error": "UpstreamFailure", "message": "could not resolve proxy did"}


def test_get_is_retried_after_a_dropped_connection_and_post_is_not(proxying, services, account):
    r = requests.get(proxying.xrpc("com.example.fake.flaky"), params={"key": "get"},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 200, r.text
    assert len([c for c in services["appview"].calls("com.example.fake.flaky") if c.query["key"] == "get"]) == 2

    r = requests.post(proxying.xrpc("com.example.fake.flaky") + "?key=post", json={},
                      headers=bearer(account["accessJwt"]))
    assert r.status_code == 502
    assert r.json() == {"error": "UpstreamFailure", "message": "Upstream service unreachable"}
    assert len([c for c in services["appview"].calls("com.example.fake.flaky") if c.query["key"] == "post"]) == 1


def test_a_response_over_the_size_limit_is_upstream_failure(proxying, account):
    r = requests.get(proxying.xrpc("com.example.fake.stream"), params={"bytes": 10 * 1024 * 1024 + 1},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 502
    assert r.json() == {"error": "UpstreamFailure", "message": "Upstream response too large"}


# MARK: - Refusals


def test_protected_methods_are_refused(proxying, services, account):
    before = len(services["appview"].received)
    for nsid in ["com.atproto.server.GETSESSION", "com.atproto.server.createappPassword"]:
        r = requests.post(proxying.xrpc(nsid), headers=bearer(account["accessJwt"]), json={})
        assert r.status_code == 400, nsid
        assert r.json() == {"error": "InvalidToken", "message": "Bad token method"}
    assert len(services["appview"].received) == before


def test_app_password_is_refused_on_a_privileged_chat_method(proxying, services, account):
    chat = services["chat"]
    headers = {"atproto-proxy": chat.proxy_header}
    r = requests.get(proxying.xrpc("chat.bsky.convo.listConvos"),
                     headers={**headers, **bearer(app_password(proxying, account, privileged=False))})
    assert r.status_code == 400
    assert r.json() == {"error": "InvalidToken", "message": "Bad token method"}
    assert chat.calls("chat.bsky.convo.listConvos") == []

    for token in [app_password(proxying, account, privileged=True), account["accessJwt"]]:
        r = requests.get(proxying.xrpc("chat.bsky.convo.listConvos"), headers={**headers, **bearer(token)})
        assert r.status_code == 200, r.text
        assert r.json() == {"convos": []}
    assert len(chat.calls("chat.bsky.convo.listConvos")) == 2


def test_atproto_proxy_reaches_a_did_web_service(proxying, services, account):
    chat = services["chat"]
    r = requests.get(proxying.xrpc("chat.bsky.convo.listConvos"),
                     headers={**bearer(account["accessJwt"]), "atproto-proxy": chat.proxy_header})
    assert r.status_code == 200, r.text
    call = chat.calls("chat.bsky.convo.listConvos")[-1]
    assert call.verified, call.problems
    assert call.claims["aud"] == chat.did  # bare DID: the #bsky_chat fragment is not part of the audience
    assert call.claims["lxm"] == "chat.bsky.convo.listConvos"

    r = requests.get(proxying.xrpc("chat.bsky.convo.listConvos"),
                     headers={**bearer(account["accessJwt"]), "atproto-proxy": f"{chat.did}#nope"})
    assert r.status_code == 400
    assert r.json() == {"error": "InvalidRequest", "message": "could not resolve proxy did service url"}


def test_reports_go_to_the_report_service(proxying, services, account):
    report = {"reasonType": "com.atproto.moderation.defs#reasonSpam",
              "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": account["did"]}}
    r = requests.post(proxying.xrpc("com.atproto.moderation.createReport"), json=report,
                      headers=bearer(account["accessJwt"]))
    assert r.status_code == 200, r.text
    assert r.json()["reportedBy"] == account["did"]
    call = services["report"].calls("com.atproto.moderation.createReport")[-1]
    assert call.verified, call.problems
    assert call.claims["aud"] == services["report"].did
    assert services["appview"].calls("com.atproto.moderation.createReport") == []


def test_without_an_appview_the_error_names_the_variable(pds):
    account = create_account(pds)
    r = requests.get(pds.xrpc("app.bsky.actor.getProfile"), params={"actor": account["did"]},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 501
    assert r.json()["error"] == "MethodNotImplemented"
    assert "PDS_BSKY_APP_VIEW_URL" in r.json()["message"]


# MARK: - Memory


def test_a_20mb_response_streams_without_the_server_holding_it(tmp_path):
    """The server's RSS (VmRSS) while a 20 MB proxied response is read slowly stays far below the response's size:
    the body passes through as the client takes it."""
    size = 20 * 1024 * 1024
    fakes = start_fakes()
    server = start_proxying_server(tmp_path, fakes, {"PDS_PROXY_MAX_RESPONSE_SIZE": str(32 * 1024 * 1024)})
    try:
        account = create_account(server)
        url = server.xrpc("com.example.fake.stream")
        warm = requests.get(url, params={"bytes": 1 << 20}, headers=bearer(account["accessJwt"]))
        assert warm.status_code == 200 and len(warm.content) == 1 << 20

        baseline = rss_mib(server.process.pid)
        peak = baseline
        digest = hashlib.sha256()
        received = 0
        with requests.get(url, params={"bytes": size}, headers=bearer(account["accessJwt"]), stream=True) as r:
            assert r.status_code == 200
            assert r.headers["content-length"] == str(size)
            chunks = r.iter_content(chunk_size=256 * 1024)
            first = next(chunks)
            digest.update(first)
            received += len(first)
            time.sleep(1)  # lets a server that buffered whole responses run ahead: its RSS would show it
            for chunk in chunks:
                digest.update(chunk)
                received += len(chunk)
                peak = max(peak, rss_mib(server.process.pid))
        assert received == size
        assert digest.hexdigest() == hashlib.sha256(pattern_bytes(size)).hexdigest()
        print(f"RSS {baseline:.1f} MiB before, {peak:.1f} MiB at most while streaming {size >> 20} MiB")
        assert peak - baseline < 8, f"RSS grew from {baseline:.1f} to {peak:.1f} MiB"
    finally:
        stop_server(server)
        close_fakes(fakes)
