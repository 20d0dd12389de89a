"""OAuth end to end: a client whose metadata this test serves over HTTPS, DPoP proofs made with `joserfc`, and a
real headless Chromium filling the sign-in and consent pages. PAR → authorize (browser) → token → DPoP-authenticated
XRPC → refresh → revoke, and the refusals around each step."""
import base64
import hashlib
import http.server
import json
import os
import secrets
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from cdp_browser import Browser, chromium_binary, screenshots_dir
from pds_e2e import bearer, create_account, free_port, invite, start_server, stop_server

PASSWORD = "hunter2-long-password"
SCOPE = "atproto repo:app.bsky.feed.post?action=create"
# The permission set a test publishes (in an account's repo, as its Lexicon authority), and one nobody publishes.
PERMISSION_SET = "com.example.perms.basic"
MISSING_SET = "com.example.perms.missing"
INCLUDES = f"include:{PERMISSION_SET} include:{MISSING_SET}"
PERMISSION_SET_LEXICON = {
    "$type": "com.atproto.lexicon.schema", "lexicon": 1, "id": PERMISSION_SET,
    "defs": {"main": {
        "type": "permission-set", "title": "Example items", "title:lang": {"fr": "Objets d'exemple"},
        "detail": "Create and manage your example items",
        "permissions": [
            {"type": "permission", "resource": "repo", "collection": ["com.example.perms.item"]},
            # Outside the set's namespace: never granted.
            {"type": "permission", "resource": "repo", "collection": ["app.bsky.feed.like"]},
        ]}},
}

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason="chromium is not installed")


# MARK: - The client's side


class ClientHost:
    """The OAuth client: its metadata document over HTTPS (a self-signed certificate the PDS is told to trust) and
    its loopback redirect URI, which records what the authorization server sends back."""

    def __init__(self, directory):
        self.hostname = f"app{uuid.uuid4().hex[:8]}.example.com"
        self.https_port = free_port()
        self.cert = directory / "client.pem"
        key = directory / "client.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(self.cert), "-days", "1", "-subj", f"/CN={self.hostname}",
             "-addext", f"subjectAltName=DNS:{self.hostname}"],
            check=True, capture_output=True)
        self.client_id = f"https://{self.hostname}/oauth-client-metadata.json"
        # A confidential (`private_key_jwt`) client on the same host, with its public key inline.
        self.confidential_id = f"https://{self.hostname}/confidential-client-metadata.json"
        self.client_key = ECKey.generate_key("P-256")
        self.client_kid = "key-1"
        # A confidential client whose keys are served at its `jwks_uri` (fetched by the PDS) rather than inline.
        self.jwks_client_id = f"https://{self.hostname}/jwks-client-metadata.json"
        self.callbacks: list[dict] = []
        self.callback_port = free_port()
        self.redirect_uri = f"http://127.0.0.1:{self.callback_port}/callback"
        owner = self

        class Metadata(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = owner.document(urllib.parse.urlsplit(self.path).path)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Callback(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/callback":  # not the browser's /favicon.ico
                    owner.callbacks.append(dict(urllib.parse.parse_qsl(url.query)))
                body = b"<!doctype html><title>Signed in</title><p id=done>Back in the app</p>"
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.metadata_server = http.server.ThreadingHTTPServer(("127.0.0.1", self.https_port), Metadata)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(key))
        self.metadata_server.socket = context.wrap_socket(self.metadata_server.socket, server_side=True)
        self.callback_server = http.server.ThreadingHTTPServer(("127.0.0.1", self.callback_port), Callback)
        for server in (self.metadata_server, self.callback_server):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def document(self, path: str) -> tuple[int, bytes]:
        """What the client's host serves: client metadata documents and a JWKS."""
        public = {**self.client_key.as_dict(private=False), "kid": self.client_kid, "alg": "ES256"}
        confidential = {
            "client_name": "Test Client", "client_uri": f"https://{self.hostname}", "application_type": "web",
            "redirect_uris": [self.redirect_uri], "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "scope": SCOPE, "dpop_bound_access_tokens": True,
            "token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256"}
        if path == "/oauth-client-metadata.json":
            document = {
                "client_id": self.client_id, "client_name": "Test Client", "client_uri": f"https://{self.hostname}",
                "logo_uri": f"https://{self.hostname}/logo.png", "application_type": "native",
                "redirect_uris": [self.redirect_uri], "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "scope": f"{SCOPE} transition:email {INCLUDES}",
                "token_endpoint_auth_method": "none", "dpop_bound_access_tokens": True}
        elif path == "/confidential-client-metadata.json":
            document = {**confidential, "client_id": self.confidential_id, "jwks": {"keys": [public]}}
        elif path == "/jwks-client-metadata.json":
            document = {**confidential, "client_id": self.jwks_client_id,
                        "jwks_uri": f"https://{self.hostname}/jwks.json"}
        elif path == "/jwks.json":
            document = {"keys": [public]}
        else:
            return 404, b"{}"
        return 200, json.dumps(document).encode()

    def close(self):
        for server in (self.metadata_server, self.callback_server):
            server.shutdown()
            server.server_close()


class DPoP:
    """A DPoP key and the proofs made with it (`joserfc`), remembering the server's last nonce."""

    def __init__(self, curve: str = "P-256"):
        self.key = ECKey.generate_key(curve)
        self.alg = "ES256" if curve == "P-256" else "ES256K"
        self.nonce = None

    def proof(self, method: str, url: str, access_token: str | None = None, **overrides) -> str:
        claims = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url, "iat": int(time.time())}
        if self.nonce:
            claims["nonce"] = self.nonce
        if access_token:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
        claims.update(overrides)
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.key.as_dict(private=False)}
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])

    def request(self, method: str, url: str, access_token: str | None = None, proof: str | None = None, **kwargs):
        """Sends a request with a fresh proof; retries once when the server asks for its nonce (RFC 9449 §8)."""
        for attempt in range(2):
            headers = dict(kwargs.pop("headers", {}) or {})
            headers["DPoP"] = proof or self.proof(method, url.split("?")[0], access_token)
            if access_token:
                headers["Authorization"] = f"DPoP {access_token}"
            r = requests.request(method, url, headers=headers, **kwargs)
            if "DPoP-Nonce" in r.headers:
                self.nonce = r.headers["DPoP-Nonce"]
            if attempt == 0 and proof is None and r.status_code in (400, 401) and \
                    r.json().get("error") == "use_dpop_nonce":
                kwargs["headers"] = {k: v for k, v in headers.items() if k not in ("DPoP", "Authorization")}
                continue
            return r
        return r


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


# MARK: - Fixtures


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    directory = tmp_path_factory.mktemp("oauth")
    client = ClientHost(directory)
    data = directory / "data"
    data.mkdir()
    server = start_server(data, {
        "PDS_DEV_HOST_OVERRIDES": f"{client.hostname}=127.0.0.1:{client.https_port}",
        "PDS_DEV_EXTRA_CA_FILE": str(client.cert),
        "PDS_SERVICE_NAME": "Test PDS",
    })
    browser = Browser()
    yield server, client, browser
    browser.close()
    stop_server(server)
    client.close()


def base(pds) -> str:
    """The public URL (dev mode's `http://localhost:<port>`): what DPoP `htu`s and the issuer name."""
    return f"http://localhost:{pds.port}"


def push(pds, client: ClientHost, dpop: DPoP, scope: str = SCOPE, **extra) -> tuple[str, str, str]:
    """PAR: the request_uri, the PKCE verifier and the state."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    r = dpop.request("POST", f"{base(pds)}/oauth/par", data={
        "client_id": client.client_id, "response_type": "code", "redirect_uri": client.redirect_uri,
        "scope": scope, "state": state, "code_challenge": challenge, "code_challenge_method": "S256", **extra,
    })
    assert r.status_code == 201, r.text
    return r.json()["request_uri"], verifier, state


def authorize_in_browser(pds, client: ClientHost, browser: Browser, request_uri: str, handle: str | None,
                         shots: str | None = None) -> dict:
    """Opens the authorization page, signs in when asked (`handle`), approves; the callback's query."""
    before = len(client.callbacks)
    query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    if handle:
        browser.wait_for("document.getElementById('password')")
        if shots:
            browser.screenshot(f"{shots}/oauth-sign-in-phone.png", 390, 844, True)
            browser.screenshot(f"{shots}/oauth-sign-in-desktop.png", 1280, 800, False)
        browser.type_into("identifier", handle)
        browser.type_into("password", PASSWORD)
        browser.click("sign-in")
    browser.wait_for("document.getElementById('allow')")
    text = browser.text()
    assert "Allow Test Client?" in text and client.hostname in text, text
    assert "Create your records of type app.bsky.feed.post" in text, text
    if shots:
        browser.screenshot(f"{shots}/oauth-consent-phone.png", 390, 844, True)
        browser.screenshot(f"{shots}/oauth-consent-desktop.png", 1280, 800, False)
    browser.click("allow")
    browser.wait_for("document.getElementById('done')")
    assert len(client.callbacks) == before + 1
    return client.callbacks[-1]


def exchange(pds, client: ClientHost, dpop: DPoP, code: str, verifier: str):
    return dpop.request("POST", f"{base(pds)}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": client.redirect_uri, "client_id": client.client_id,
    })


# MARK: - Tests


def test_metadata(setup):
    pds, _, _ = setup
    meta = requests.get(f"{base(pds)}/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == base(pds)
    assert meta["require_pushed_authorization_requests"] is True
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"ES256", "ES256K"} <= set(meta["dpop_signing_alg_values_supported"])
    assert meta["client_id_metadata_document_supported"] is True
    assert meta["token_endpoint_auth_methods_supported"] == ["none", "private_key_jwt"]
    assert "ES256" in meta["token_endpoint_auth_signing_alg_values_supported"]
    assert meta["pushed_authorization_request_endpoint"] == f"{base(pds)}/oauth/par"
    resource = requests.get(f"{base(pds)}/.well-known/oauth-protected-resource")
    assert resource.json()["authorization_servers"] == [base(pds)]
    assert resource.headers["Access-Control-Allow-Origin"] == "*"
    assert requests.get(f"{base(pds)}/oauth/jwks").json() == {"keys": []}


def test_par_refusals(setup):
    pds, client, _ = setup
    dpop = DPoP()
    # The first proof has no nonce: the server answers with one.
    r = requests.post(f"{base(pds)}/oauth/par", headers={"DPoP": dpop.proof("POST", f"{base(pds)}/oauth/par")},
                      data={"client_id": client.client_id})
    assert r.status_code == 400 and r.json()["error"] == "use_dpop_nonce", r.text
    assert r.headers["DPoP-Nonce"]
    _, challenge = pkce()
    cases = [
        ({"redirect_uri": "http://127.0.0.1:1/elsewhere"}, "invalid_redirect_uri"),
        ({"scope": "atproto repo:app.bsky.feed.like"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"client_id": "https://unknown.invalid/client.json"}, "invalid_client_metadata"),
    ]
    for change, error in cases:
        form = {"client_id": client.client_id, "response_type": "code", "redirect_uri": client.redirect_uri,
                "scope": SCOPE, "code_challenge": challenge, "code_challenge_method": "S256"}
        form.update(change)
        r = dpop.request("POST", f"{base(pds)}/oauth/par", data=form)
        assert r.status_code == 400 and r.json()["error"] == error, (change, r.text)


def test_sign_in_refusals(setup):
    pds, client, browser = setup
    account = create_account(pds)
    request_uri, _, _ = push(pds, client, DPoP())
    query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    browser.wait_for("document.getElementById('password')")
    messages = []
    for identifier, password in [(account["handle"], "wrong password"), ("nobody.test", PASSWORD),
                                 (account["handle"], "abcd-efgh-ijkl-mnop")]:
        browser.type_into("identifier", identifier)
        browser.type_into("password", password)
        browser.click("sign-in")
        browser.wait_for("document.getElementById('error')")
        messages.append(browser.evaluate("document.getElementById('error').innerText"))
    # A wrong password and an unknown account read the same.
    assert messages[0] == messages[1] == "Wrong handle, email or password."
    assert "App passwords cannot be used here" in messages[2]
    # A form posted from elsewhere (no CSRF cookie echo) is refused.
    r = requests.post(f"{base(pds)}/oauth/authorize/sign-in", data={
        "request_uri": request_uri, "client_id": client.client_id, "csrf_token": "x", "identifier": account["handle"],
        "password": PASSWORD})
    assert r.status_code == 403


def test_full_flow(setup):
    pds, client, browser = setup
    account = create_account(pds)
    did = account["did"]
    shots = screenshots_dir()
    dpop = DPoP()
    request_uri, verifier, state = push(pds, client, dpop)
    callback = authorize_in_browser(pds, client, browser, request_uri, account["handle"], shots)
    assert callback["state"] == state and callback["iss"] == base(pds)

    r = exchange(pds, client, dpop, callback["code"], verifier)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["token_type"] == "DPoP" and tokens["sub"] == did and tokens["scope"] == SCOPE
    assert r.headers["Cache-Control"] == "no-store"
    access = tokens["access_token"]

    # The code is good once: a second exchange fails and revokes what the first produced.
    again = exchange(pds, client, dpop, callback["code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    r = dpop.request("GET", f"{base(pds)}/xrpc/com.atproto.server.getSession", access_token=access)
    assert r.status_code == 401, r.text

    # A fresh authorization: the browser is still signed in, so it goes straight to consent.
    request_uri, verifier, _ = push(pds, client, dpop)
    callback = authorize_in_browser(pds, client, browser, request_uri, None)
    tokens = exchange(pds, client, dpop, callback["code"], verifier).json()
    access, refresh = tokens["access_token"], tokens["refresh_token"]

    session = dpop.request("GET", f"{base(pds)}/xrpc/com.atproto.server.getSession", access_token=access)
    assert session.status_code == 200, session.text
    assert session.json()["did"] == did and "email" not in session.json()
    assert session.headers.get("DPoP-Nonce")

    created = dpop.request("POST", f"{base(pds)}/xrpc/com.atproto.repo.createRecord", access_token=access, json={
        "repo": did, "collection": "app.bsky.feed.post",
        "record": {"$type": "app.bsky.feed.post", "text": "hello over OAuth", "createdAt": "2026-01-01T00:00:00Z"}})
    assert created.status_code == 200, created.text
    rkey = created.json()["uri"].rsplit("/", 1)[1]

    # Outside the granted repo: scope (another collection, another action).
    like = dpop.request("POST", f"{base(pds)}/xrpc/com.atproto.repo.createRecord", access_token=access, json={
        "repo": did, "collection": "app.bsky.feed.like",
        "record": {"$type": "app.bsky.feed.like", "createdAt": "2026-01-01T00:00:00Z",
                   "subject": {"uri": created.json()["uri"], "cid": created.json()["cid"]}}})
    assert like.status_code == 403, like.text
    assert "repo:app.bsky.feed.like?action=create" in like.json()["message"]
    delete = dpop.request("POST", f"{base(pds)}/xrpc/com.atproto.repo.deleteRecord", access_token=access,
                          json={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey})
    assert delete.status_code == 403, delete.text
    # Uploads need a blob: permission.
    blob = dpop.request("POST", f"{base(pds)}/xrpc/com.atproto.repo.uploadBlob", access_token=access,
                        data=b"\x89PNG\r\n\x1a\n", headers={"Content-Type": "image/png"})
    assert blob.status_code == 403 and "blob:image/png" in blob.json()["message"], blob.text
    # Methods OAuth may never call.
    r = dpop.request("POST", f"{base(pds)}/xrpc/com.atproto.server.createAppPassword", access_token=access,
                     json={"name": "x"})
    assert r.status_code == 403, r.text

    # DPoP refusals: a replayed proof, wrong htu, wrong htm, a stale iat, no proof, the token as a Bearer.
    url = f"{base(pds)}/xrpc/com.atproto.server.getSession"
    proof = dpop.proof("GET", url, access)
    assert dpop.request("GET", url, access_token=access, proof=proof).status_code == 200
    replayed = dpop.request("GET", url, access_token=access, proof=proof)
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_dpop_proof", replayed.text
    assert "DPoP" in replayed.headers["WWW-Authenticate"]
    for bad in [dpop.proof("GET", f"{base(pds)}/xrpc/com.atproto.server.checkAccountStatus", access),
                dpop.proof("POST", url, access),
                dpop.proof("GET", url, access, iat=int(time.time()) - 600),
                DPoP().proof("GET", url, access)]:
        r = dpop.request("GET", url, access_token=access, proof=bad)
        assert r.status_code == 401, r.text
    r = requests.get(url, headers={"Authorization": f"DPoP {access}"})
    assert r.status_code == 401
    r = requests.get(url, headers={"Authorization": f"Bearer {access}"})
    assert r.status_code == 400 and r.json()["error"] == "InvalidToken"

    # Refresh: new tokens; the old access token stops working (stateful tokens).
    r = dpop.request("POST", f"{base(pds)}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": client.client_id})
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["refresh_token"] != refresh
    assert dpop.request("GET", url, access_token=access).status_code == 401
    assert dpop.request("GET", url, access_token=rotated["access_token"]).status_code == 200
    # Refreshing with another key is refused.
    r = DPoP().request("POST", f"{base(pds)}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": rotated["refresh_token"], "client_id": client.client_id})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text

    # Introspection, then the account page lists the app.
    info = requests.post(f"{base(pds)}/oauth/introspect", data={"token": rotated["access_token"]}).json()
    assert info["active"] is True and info["sub"] == did and info["client_id"] == client.client_id
    browser.navigate(f"{base(pds)}/account")
    browser.wait_for("document.querySelector('h1')")
    assert client.hostname in browser.text(), browser.text()
    if shots:
        browser.screenshot(f"{shots}/oauth-account-phone.png", 390, 844, True)
        browser.screenshot(f"{shots}/oauth-account-desktop.png", 1280, 800, False)

    # A refresh token used twice: the replay revokes the whole session.
    r = dpop.request("POST", f"{base(pds)}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": client.client_id})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert dpop.request("GET", url, access_token=rotated["access_token"]).status_code == 401
    r = dpop.request("POST", f"{base(pds)}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": rotated["refresh_token"], "client_id": client.client_id})
    assert r.status_code == 400


def test_wrong_pkce_and_revoke_with_es256k(setup):
    pds, client, browser = setup
    account = create_account(pds)
    dpop = DPoP("secp256k1")
    # The browser is signed in to another account by now: prompt=login asks for this one's password.
    request_uri, verifier, _ = push(pds, client, dpop, prompt="login")
    callback = authorize_in_browser(pds, client, browser, request_uri, account["handle"])
    wrong = exchange(pds, client, dpop, callback["code"], verifier[:-2] + "xy")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", wrong.text
    # The code was spent by the failed attempt.
    assert exchange(pds, client, dpop, callback["code"], verifier).status_code == 400

    request_uri, verifier, _ = push(pds, client, dpop)
    callback = authorize_in_browser(pds, client, browser, request_uri, None)
    r = exchange(pds, client, dpop, callback["code"], verifier)
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    url = f"{base(pds)}/xrpc/com.atproto.server.getSession"
    session = dpop.request("GET", url, access_token=access)
    assert session.status_code == 200 and session.json()["did"] == account["did"], session.text

    r = requests.post(f"{base(pds)}/oauth/revoke", data={"token": access, "client_id": client.client_id})
    assert r.status_code == 200, r.text
    refused = dpop.request("GET", url, access_token=access)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token", refused.text
    assert requests.post(f"{base(pds)}/oauth/introspect", data={"token": access}).json() == {"active": False}


def test_deny(setup):
    pds, client, browser = setup
    request_uri, _, state = push(pds, client, DPoP())
    query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    # Signed in by an earlier test: the consent page's Deny; otherwise the sign-in page's Cancel.
    browser.wait_for("document.getElementById('deny') || document.getElementById('cancel')")
    browser.click("deny" if browser.evaluate("!!document.getElementById('deny')") else "cancel")
    browser.wait_for("document.getElementById('done')")
    assert client.callbacks[-1]["error"] == "access_denied" and client.callbacks[-1]["state"] == state
    # The request is gone: opening it again shows an error page.
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    browser.wait_for("document.querySelector('h1')")
    assert "cannot continue" in browser.text()


def test_account_page_signs_an_app_out(setup):
    pds, client, browser = setup
    dpop = DPoP()
    request_uri, verifier, _ = push(pds, client, dpop)
    # Signed in by an earlier test (or asked to sign in now).
    account = create_account(pds)
    query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    browser.wait_for("document.getElementById('allow') || document.getElementById('password')")
    if browser.evaluate("!!document.getElementById('password')"):
        browser.type_into("identifier", account["handle"])
        browser.type_into("password", PASSWORD)
        browser.click("sign-in")
        browser.wait_for("document.getElementById('allow')")
    browser.click("allow")
    browser.wait_for("document.getElementById('done')")
    access = exchange(pds, client, dpop, client.callbacks[-1]["code"], verifier).json()["access_token"]
    url = f"{base(pds)}/xrpc/com.atproto.server.getSession"
    assert dpop.request("GET", url, access_token=access).status_code == 200

    browser.navigate(f"{base(pds)}/account")
    browser.wait_for("document.querySelector('button[id^=sign-out-app-]')")
    buttons = browser.evaluate("[...document.querySelectorAll('button[id^=sign-out-app-]')].map(b => b.id)")
    # The newest session is listed first.
    browser.click(buttons[0])
    browser.wait_for("document.querySelector('.notice')")
    assert "The app was signed out." in browser.text()
    refused = dpop.request("GET", url, access_token=access)
    assert refused.status_code == 401, refused.text


def test_sign_in_attempts_are_rate_limited(setup):
    """The sign-in form counts against createSession's limit (30 per 5 minutes per identifier and IP; rate limits
    are on in dev mode), so it is no cheaper a way to guess passwords."""
    pds, client, _ = setup
    request_uri, _, _ = push(pds, client, DPoP())
    browser = requests.Session()
    page = browser.get(f"{base(pds)}/oauth/authorize", params={"client_id": client.client_id,
                                                                "request_uri": request_uri})
    assert page.status_code == 200
    csrf = browser.cookies["csrf-token"]
    form = {"request_uri": request_uri, "client_id": client.client_id, "csrf_token": csrf,
            "identifier": f"target{uuid.uuid4().hex[:6]}.test", "password": "guess"}
    statuses = [browser.post(f"{base(pds)}/oauth/authorize/sign-in", data=form).status_code for _ in range(31)]
    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


def test_remembered_consent(setup):
    """Once an account has approved a client's scopes, a later request naming the account (`login_hint`) for the same
    or narrower scopes is approved without any page, as the reference's automatic SSO; wider scopes ask again."""
    pds, client, browser = setup
    account = create_account(pds)
    dpop = DPoP()
    request_uri, _, _ = push(pds, client, dpop, prompt="login")
    authorize_in_browser(pds, client, browser, request_uri, account["handle"])

    for scope in (SCOPE, "atproto"):
        before = len(client.callbacks)
        request_uri, verifier, state = push(pds, client, dpop, scope=scope, login_hint=account["handle"])
        query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
        browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
        browser.wait_for("document.getElementById('done')")
        assert len(client.callbacks) == before + 1 and client.callbacks[-1]["state"] == state
        r = exchange(pds, client, dpop, client.callbacks[-1]["code"], verifier)
        assert r.status_code == 200 and r.json()["scope"] == scope and r.json()["sub"] == account["did"], r.text

    # A scope not approved before: the consent page again.
    request_uri, _, _ = push(pds, client, dpop, scope=f"{SCOPE} transition:email", login_hint=account["handle"])
    query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    browser.wait_for("document.getElementById('allow')")
    assert "Allow Test Client?" in browser.text()


def client_assertion(pds, client: ClientHost, **overrides) -> dict:
    """The `private_key_jwt` form fields: a fresh assertion signed with the confidential client's key."""
    now = int(time.time())
    claims = {"iss": client.confidential_id, "sub": client.confidential_id, "aud": base(pds),
              "jti": secrets.token_urlsafe(16), "iat": now, "exp": now + 60, **overrides}
    assertion = jwt.encode({"alg": "ES256", "kid": client.client_kid}, claims, client.client_key, algorithms=["ES256"])
    return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion}


def test_confidential_client(setup):
    """A `private_key_jwt` client: PAR, token and refresh each need a fresh assertion signed with its key."""
    pds, client, browser = setup
    account = create_account(pds)
    dpop = DPoP()
    verifier, challenge = pkce()
    par = {"client_id": client.confidential_id, "response_type": "code", "redirect_uri": client.redirect_uri,
           "scope": SCOPE, "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "login"}
    refused = dpop.request("POST", f"{base(pds)}/oauth/par", data=par)
    assert refused.status_code in (400, 401) and refused.json()["error"] == "invalid_client", refused.text
    wrong_aud = dpop.request("POST", f"{base(pds)}/oauth/par", data={
        **par, **client_assertion(pds, client, aud="https://elsewhere.example.com")})
    assert wrong_aud.json()["error"] == "invalid_client", wrong_aud.text
    r = dpop.request("POST", f"{base(pds)}/oauth/par", data={**par, **client_assertion(pds, client)})
    assert r.status_code == 201, r.text

    query = urllib.parse.urlencode({"client_id": client.confidential_id, "request_uri": r.json()["request_uri"]})
    browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
    browser.wait_for("document.getElementById('password')")
    browser.type_into("identifier", account["handle"])
    browser.type_into("password", PASSWORD)
    browser.click("sign-in")
    browser.wait_for("document.getElementById('allow')")
    browser.click("allow")
    browser.wait_for("document.getElementById('done')")
    code = client.callbacks[-1]["code"]

    token = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
             "redirect_uri": client.redirect_uri, "client_id": client.confidential_id}
    refused = dpop.request("POST", f"{base(pds)}/oauth/token", data=token)
    assert refused.json()["error"] == "invalid_client", refused.text
    r = dpop.request("POST", f"{base(pds)}/oauth/token", data={**token, **client_assertion(pds, client)})
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["sub"] == account["did"] and tokens["scope"] == SCOPE
    session = dpop.request("GET", f"{base(pds)}/xrpc/com.atproto.server.getSession",
                           access_token=tokens["access_token"])
    assert session.status_code == 200 and session.json()["did"] == account["did"], session.text

    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
               "client_id": client.confidential_id}
    refused = dpop.request("POST", f"{base(pds)}/oauth/token", data=refresh)
    assert refused.json()["error"] == "invalid_client", refused.text
    fields = client_assertion(pds, client)
    r = dpop.request("POST", f"{base(pds)}/oauth/token", data={**refresh, **fields})
    assert r.status_code == 200, r.text
    # The same assertion again is a replay.
    replayed = dpop.request("POST", f"{base(pds)}/oauth/token", data={
        **refresh, "refresh_token": r.json()["refresh_token"], **fields})
    assert replayed.json()["error"] == "invalid_client", replayed.text
    r = dpop.request("POST", f"{base(pds)}/oauth/token", data={
        **refresh, "refresh_token": r.json()["refresh_token"], **client_assertion(pds, client)})
    assert r.status_code == 200, r.text

    # Revocation authenticates the client too.
    revoke = {"token": r.json()["access_token"], "client_id": client.confidential_id}
    refused = requests.post(f"{base(pds)}/oauth/revoke", data=revoke)
    assert refused.json()["error"] == "invalid_client", refused.text
    assert requests.post(f"{base(pds)}/oauth/revoke", data={**revoke, **client_assertion(pds, client)}).status_code == 200
    gone = dpop.request("GET", f"{base(pds)}/xrpc/com.atproto.server.getSession", access_token=revoke["token"])
    assert gone.status_code == 401, gone.text


def test_jwks_uri_confidential_client(setup):
    """A `private_key_jwt` client whose metadata has a `jwks_uri`: the PDS fetches the key set from it to check the
    assertion; an assertion signed with another key is refused."""
    pds, client, _ = setup
    dpop = DPoP()
    _, challenge = pkce()
    par = {"client_id": client.jwks_client_id, "response_type": "code", "redirect_uri": client.redirect_uri,
           "scope": SCOPE, "code_challenge": challenge, "code_challenge_method": "S256"}

    def assertion(key: ECKey) -> dict:
        now = int(time.time())
        claims = {"iss": client.jwks_client_id, "sub": client.jwks_client_id, "aud": base(pds),
                  "jti": secrets.token_urlsafe(16), "iat": now, "exp": now + 60}
        signed = jwt.encode({"alg": "ES256", "kid": client.client_kid}, claims, key, algorithms=["ES256"])
        return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": signed}

    forged = dpop.request("POST", f"{base(pds)}/oauth/par", data={**par, **assertion(ECKey.generate_key("P-256"))})
    assert forged.status_code in (400, 401) and forged.json()["error"] == "invalid_client", forged.text
    r = dpop.request("POST", f"{base(pds)}/oauth/par", data={**par, **assertion(client.client_key)})
    assert r.status_code == 201, r.text


def test_permission_set_include(setup, tmp_path):
    """`include:<nsid>`: the PDS resolves the permission set from its Lexicon authority (an account of a server
    started with `PDS_LEXICON_AUTHORITY_DID` naming it, whose repo holds the `com.atproto.lexicon.schema` record,
    read with `sync.getRecord` and its proof checked), shows its title on the consent page, and the token grants the
    set's in-namespace permissions only. A set that does not resolve is refused at PAR."""
    _, client, browser = setup
    data = tmp_path / "data"
    data.mkdir()
    env = {"PDS_DEV_HOST_OVERRIDES": f"{client.hostname}=127.0.0.1:{client.https_port}",
           "PDS_DEV_EXTRA_CA_FILE": str(client.cert)}
    pds = start_server(data, env)
    author = create_account(pds)
    published = requests.post(pds.xrpc("com.atproto.repo.createRecord"), headers=bearer(author["accessJwt"]), json={
        "repo": author["did"], "collection": "com.atproto.lexicon.schema", "rkey": PERMISSION_SET,
        "record": PERMISSION_SET_LEXICON})
    assert published.status_code == 200, published.text
    # The same server again (same port, so the author's DID document still names it), now with the authority set.
    stop_server(pds)
    pds = start_server(data, {**env, "PDS_PORT": str(pds.port), "PDS_LEXICON_AUTHORITY_DID": author["did"]})
    try:
        dpop = DPoP()
        _, challenge = pkce()
        missing = dpop.request("POST", f"{base(pds)}/oauth/par", data={
            "client_id": client.client_id, "response_type": "code", "redirect_uri": client.redirect_uri,
            "scope": f"atproto include:{MISSING_SET}", "code_challenge": challenge, "code_challenge_method": "S256"})
        assert missing.status_code == 400 and missing.json()["error"] == "invalid_scope", missing.text

        account = create_account(pds)
        request_uri, verifier, _ = push(pds, client, dpop, scope=f"atproto include:{PERMISSION_SET}",
                                        prompt="login")
        query = urllib.parse.urlencode({"client_id": client.client_id, "request_uri": request_uri})
        browser.navigate(f"{base(pds)}/oauth/authorize?{query}")
        browser.wait_for("document.getElementById('password')")
        browser.type_into("identifier", account["handle"])
        browser.type_into("password", PASSWORD)
        browser.click("sign-in")
        browser.wait_for("document.getElementById('allow')")
        assert "Example items: Create and manage your example items" in browser.text(), browser.text()
        browser.click("allow")
        browser.wait_for("document.getElementById('done')")
        r = exchange(pds, client, dpop, client.callbacks[-1]["code"], verifier)
        assert r.status_code == 200, r.text
        granted = r.json()["scope"].split(" ")
        assert granted == ["atproto", "repo?collection=com.example.perms.item"], granted
        access = r.json()["access_token"]

        def create(collection: str, record: dict):
            return dpop.request("POST", f"{base(pds)}/xrpc/com.atproto.repo.createRecord", access_token=access,
                                json={"repo": account["did"], "collection": collection,
                                      "record": {"$type": collection, **record}})

        inside = create("com.example.perms.item", {"name": "first"})
        assert inside.status_code == 200, inside.text
        # The set lists app.bsky.feed.like too, outside its namespace: not granted.
        outside = create("app.bsky.feed.like", {
            "createdAt": "2026-01-01T00:00:00Z",
            "subject": {"uri": inside.json()["uri"], "cid": inside.json()["cid"]}})
        assert outside.status_code == 403 and "repo:app.bsky.feed.like" in outside.json()["message"], outside.text
    finally:
        stop_server(pds)


def test_prompt_none_and_form_post(setup):
    """`prompt=none` never shows a page: a browser with no session gets `login_required` at the redirect URI, in the
    requested response mode (`form_post`: a page that posts the answer)."""
    pds, client, _ = setup
    dpop = DPoP()
    request_uri, _, state = push(pds, client, dpop, prompt="none")
    query = {"client_id": client.client_id, "request_uri": request_uri}
    r = requests.get(f"{base(pds)}/oauth/authorize", params=query, allow_redirects=False)
    assert r.status_code == 303, r.text
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["Location"]).query))
    assert r.headers["Location"].startswith(client.redirect_uri)
    assert answer["error"] == "login_required" and answer["state"] == state and answer["iss"] == base(pds)

    request_uri, _, state = push(pds, client, dpop, prompt="none", response_mode="form_post")
    r = requests.get(f"{base(pds)}/oauth/authorize", params={**query, "request_uri": request_uri})
    assert r.status_code == 200 and f'action="{client.redirect_uri}"' in r.text, r.text
    assert 'name="error" value="login_required"' in r.text and f'name="state" value="{state}"' in r.text
    assert "script-src 'sha256-" in r.headers["Content-Security-Policy"]
    meta = requests.get(f"{base(pds)}/.well-known/oauth-authorization-server").json()
    assert "form_post" in meta["response_modes_supported"]
