"""Accounts and sessions against the real binary: the Python `atproto` SDK creates an account, logs in, refreshes
and uses an app password; forged, expired and mis-addressed tokens and bad inputs get the reference's errors."""
import base64
import hashlib
import hmac
import json
import os
import stat
import subprocess
import time

import pytest
import requests
from atproto import Client, models
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from pds_e2e import admin, bearer, binary, create_account, invite, new_handle, start_server, stop_server


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_parts(header: dict, claims: dict) -> str:
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())


def hs256(claims: dict, secret: str, typ: str = "at+jwt") -> str:
    head = jwt_parts({"alg": "HS256", "typ": typ}, claims)
    return head + "." + b64url(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


def es256k(claims: dict, typ: str = "at+jwt") -> str:
    key = ec.generate_private_key(ec.SECP256K1())
    head = jwt_parts({"alg": "ES256K", "typ": typ}, claims)
    r, s = decode_dss_signature(key.sign(head.encode(), ec.ECDSA(hashes.SHA256())))
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = min(s, n - s)
    return head + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def error(r):
    return r.status_code, r.json().get("error")


# MARK: - The SDK flow


def test_sdk_create_account_login_refresh_and_app_password(pds):
    handle = new_handle()
    password = "correct horse battery staple"
    client = Client(base_url=pds.url)
    created = client.com.atproto.server.create_account(
        models.ComAtprotoServerCreateAccount.Data(
            handle=handle, email=f"{handle}@example.com", password=password, invite_code=invite(pds))
    )
    assert created.handle == handle and created.did.startswith("did:plc:")
    services = {s["id"]: s for s in created.did_doc["service"]}
    assert services["#atproto_pds"]["serviceEndpoint"] == f"http://localhost:{pds.port}"
    assert payload(created.access_jwt)["scope"] == "com.atproto.access"

    # login() decodes the JWT, reads didDoc and switches to the #atproto_pds endpoint.
    client = Client(base_url=pds.url)
    with pytest.warns(UserWarning, match="PDS_BSKY_APP_VIEW_URL"):  # no AppView configured: getProfile is not served
        assert client.login(handle, password) is None
    assert client.me is None
    assert client._base_url == f"http://localhost:{pds.port}/xrpc"  # from didDoc #atproto_pds
    session = client.com.atproto.server.get_session()
    assert session.did == created.did and session.handle == handle and session.active

    # login by email works too
    assert Client(base_url=pds.url).login(f"{handle}@example.com", password, fetch_bsky_profile=False) is None

    # refresh through the SDK
    old_refresh = client._session.refresh_jwt
    refreshed = client.com.atproto.server.refresh_session(headers=bearer(old_refresh))
    assert refreshed.did == created.did
    assert payload(refreshed.refresh_jwt)["jti"] != payload(old_refresh)["jti"]

    # app password: created with the main password, usable for login, not for privileged methods
    app = client.com.atproto.server.create_app_password(
        models.ComAtprotoServerCreateAppPassword.Data(name="bot"))
    assert app.password.count("-") == 3
    bot = Client(base_url=pds.url)
    bot.login(handle, app.password, fetch_bsky_profile=False)
    assert payload(bot._session.access_jwt)["scope"] == "com.atproto.appPass"
    assert bot.com.atproto.server.get_session().did == created.did
    names = [p.name for p in bot.com.atproto.server.list_app_passwords().passwords]
    assert names == ["bot"]
    r = requests.post(pds.xrpc("com.atproto.server.createAppPassword"), json={"name": "x"},
                      headers=bearer(bot._session.access_jwt))
    assert error(r) == (400, "InvalidToken")

    # revoking the app password ends its sessions
    bot_refresh = bot._session.refresh_jwt
    client.com.atproto.server.revoke_app_password(models.ComAtprotoServerRevokeAppPassword.Data(name="bot"))
    r = requests.post(pds.xrpc("com.atproto.server.refreshSession"), headers=bearer(bot_refresh))
    assert error(r) == (400, "ExpiredToken")
    r = requests.post(pds.xrpc("com.atproto.server.createSession"),
                      json={"identifier": handle, "password": app.password})
    assert error(r) == (401, "AuthenticationRequired")


# MARK: - Sessions over plain HTTP


def test_refresh_rotation_grace_and_delete_session(pds):
    account = create_account(pds)
    first = account["refreshJwt"]
    r1 = requests.post(pds.xrpc("com.atproto.server.refreshSession"), headers=bearer(first))
    assert r1.status_code == 200, r1.text
    r1 = r1.json()
    assert r1["did"] == account["did"] and "accessJwt" in r1
    # Reusing the old token inside the grace period yields the same successor.
    r2 = requests.post(pds.xrpc("com.atproto.server.refreshSession"), headers=bearer(first)).json()
    assert payload(r2["refreshJwt"])["jti"] == payload(r1["refreshJwt"])["jti"]
    # An access token is not a refresh token, and vice versa.
    assert error(requests.post(pds.xrpc("com.atproto.server.refreshSession"),
                               headers=bearer(r1["accessJwt"]))) == (400, "InvalidToken")
    assert error(requests.get(pds.xrpc("com.atproto.server.getSession"),
                              headers=bearer(r1["refreshJwt"]))) == (400, "InvalidToken")
    # deleteSession revokes it.
    r = requests.post(pds.xrpc("com.atproto.server.deleteSession"), headers=bearer(r1["refreshJwt"]))
    assert r.status_code == 200
    assert error(requests.post(pds.xrpc("com.atproto.server.refreshSession"),
                               headers=bearer(r1["refreshJwt"]))) == (400, "ExpiredToken")


def test_authenticated_responses_are_private(pds):
    account = create_account(pds)
    r = requests.get(pds.xrpc("com.atproto.server.getSession"), headers=bearer(account["accessJwt"]))
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "private"
    assert "Authorization" in r.headers["Vary"]


# MARK: - Errors


def test_wrong_password_and_unknown_account(pds):
    account = create_account(pds)
    for identifier, password in [(account["handle"], "wrong"), ("nobody.test", "whatever")]:
        r = requests.post(pds.xrpc("com.atproto.server.createSession"),
                          json={"identifier": identifier, "password": password})
        assert r.status_code == 401
        assert r.json() == {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}


def test_forged_and_expired_tokens(pds):
    account = create_account(pds)
    did = account["did"]
    secret = pds.dev_secrets()["jwtSecret"]
    now = int(time.time())
    good = {"scope": "com.atproto.access", "aud": "did:web:localhost", "sub": did, "iat": now, "exp": now + 600}
    get_session = pds.xrpc("com.atproto.server.getSession")

    # A token minted with the real secret and the reference's claims works (sessions survive a switch).
    assert requests.get(get_session, headers=bearer(hs256(good, secret))).status_code == 200

    forged = {
        "alg none": jwt_parts({"alg": "none", "typ": "at+jwt"}, good) + ".",
        "HS256, wrong secret": hs256(good, "not-the-secret"),
        "ES256K (HS/ES confusion)": es256k(good),
        "wrong aud": hs256({**good, "aud": "did:web:other.example"}, secret),
        "wrong typ": hs256(good, secret, typ="refresh+jwt"),
        "lxm claim": hs256({**good, "lxm": "com.atproto.server.getSession"}, secret),
        "garbage": "not.a.jwt",
    }
    for name, token in forged.items():
        r = requests.get(get_session, headers=bearer(token))
        assert error(r) == (400, "InvalidToken"), name

    expired = hs256({**good, "iat": now - 7200, "exp": now - 60}, secret)
    assert error(requests.get(get_session, headers=bearer(expired))) == (400, "ExpiredToken")

    assert error(requests.get(get_session)) == (401, "AuthMissing")
    assert error(requests.get(get_session, headers={"Authorization": "Weird x"})) == (400, "InvalidToken")


def test_taken_handle_and_invite_codes(pds):
    account = create_account(pds)
    r = requests.post(pds.xrpc("com.atproto.server.createAccount"), json={
        "handle": account["handle"].upper(), "email": "other@example.com", "password": "pw", "inviteCode": invite(pds)})
    assert error(r) == (400, "HandleNotAvailable")

    body = {"handle": new_handle(), "email": "x@example.com", "password": "pw"}
    r = requests.post(pds.xrpc("com.atproto.server.createAccount"), json={**body, "inviteCode": "bogus-code"})
    assert error(r) == (400, "InvalidInviteCode")
    r = requests.post(pds.xrpc("com.atproto.server.createAccount"), json=body)
    assert error(r) == (400, "InvalidInviteCode")

    # A single-use code is spent by its first account.
    code = invite(pds)
    create_account(pds, code=code)
    r = requests.post(pds.xrpc("com.atproto.server.createAccount"), json={**body, "inviteCode": code})
    assert error(r) == (400, "InvalidInviteCode")

    # Handle rules
    for handle, name in [("ab.test", "InvalidHandle"), ("alice.example.com", "UnsupportedDomain"),
                         ("admin.test", "HandleNotAvailable"), ("bad_name.test", "InvalidHandle")]:
        r = requests.post(pds.xrpc("com.atproto.server.createAccount"),
                          json={**body, "handle": handle, "inviteCode": invite(pds)})
        assert error(r) == (400, name), handle

    # Invite codes need the admin password.
    r = requests.post(pds.xrpc("com.atproto.server.createInviteCode"), json={"useCount": 1}, auth=("admin", "no"))
    assert r.status_code == 401


# MARK: - Identity and service auth


def test_handles_resolve_locally(pds):
    account = create_account(pds)
    r = requests.get(pds.xrpc("com.atproto.identity.resolveHandle"), params={"handle": account["handle"]})
    assert r.status_code == 200 and r.json() == {"did": account["did"]}
    r = requests.get(pds.xrpc("com.atproto.identity.resolveHandle"), params={"handle": "missing.test"})
    assert error(r) == (400, "HandleNotFound")
    r = requests.get(f"{pds.url}/.well-known/atproto-did", headers={"Host": account["handle"]})
    assert r.status_code == 200 and r.text == account["did"]
    r = requests.get(f"{pds.url}/.well-known/atproto-did", headers={"Host": "missing.test"})
    assert r.status_code == 404
    # The embedded PLC directory serves the same document.
    doc = requests.get(f"{pds.url}/plc/{account['did']}").json()
    assert doc["alsoKnownAs"] == [f"at://{account['handle']}"]


def test_service_auth_is_signed_by_the_account_key(pds):
    account = create_account(pds)
    r = requests.get(pds.xrpc("com.atproto.server.getServiceAuth"),
                     params={"aud": "did:web:api.example.com", "lxm": "com.atproto.repo.getRecord"},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "ES256K"
    claims = payload(token)
    assert claims["iss"] == account["did"] and claims["aud"] == "did:web:api.example.com"
    assert claims["lxm"] == "com.atproto.repo.getRecord" and claims["exp"] - claims["iat"] == 60

    r = requests.get(pds.xrpc("com.atproto.server.getServiceAuth"),
                     params={"aud": "did:web:api.example.com", "lxm": "com.atproto.server.getSession"},
                     headers=bearer(account["accessJwt"]))
    assert r.status_code == 400
    r = requests.get(pds.xrpc("com.atproto.server.getServiceAuth"),
                     params={"aud": "did:web:api.example.com", "exp": str(int(time.time()) - 10)},
                     headers=bearer(account["accessJwt"]))
    assert error(r) == (400, "BadExpiration")


def test_account_status_and_deactivation(pds):
    account = create_account(pds)
    auth = bearer(account["accessJwt"])
    status = requests.get(pds.xrpc("com.atproto.server.checkAccountStatus"), headers=auth).json()
    assert status["activated"] is True and status["validDid"] is True
    assert status["repoCommit"].startswith("bafy") and status["repoBlocks"] >= 2 and status["indexedRecords"] == 0

    assert requests.post(pds.xrpc("com.atproto.server.deactivateAccount"), json={}, headers=auth).status_code == 200
    session = requests.get(pds.xrpc("com.atproto.server.getSession"), headers=auth).json()
    assert session["active"] is False and session["status"] == "deactivated"
    assert requests.post(pds.xrpc("com.atproto.server.activateAccount"), headers=auth).status_code == 200
    assert requests.get(pds.xrpc("com.atproto.server.getSession"), headers=auth).json()["active"] is True


def test_dev_secrets_are_persisted_privately(pds):
    path = pds.data_dir / "dev-secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(pds.dev_secrets()) == {"jwtSecret", "adminPassword", "plcRotationKeyK256PrivateKeyHex"}
    r = requests.get(pds.xrpc("com.atproto.server.describeServer")).json()
    assert r["inviteCodeRequired"] is True and r["availableUserDomains"] == [".test"]


def test_restart_keeps_secrets_sessions_and_identities(tmp_path):
    """Dev mode with zero configuration: secrets generated on first start are reused after a restart, so
    sessions survive it, and the embedded PLC directory still knows the accounts."""
    server = start_server(tmp_path)
    try:
        secrets = server.dev_secrets()
        account = create_account(server)
    finally:
        stop_server(server)
    server = start_server(tmp_path)
    try:
        assert server.dev_secrets() == secrets
        r = requests.get(server.xrpc("com.atproto.server.getSession"), headers=bearer(account["accessJwt"]))
        assert r.status_code == 200 and r.json()["did"] == account["did"]
        r = requests.post(server.xrpc("com.atproto.server.refreshSession"), headers=bearer(account["refreshJwt"]))
        assert r.status_code == 200, r.text
        assert requests.get(f"{server.url}/plc/{account['did']}").status_code == 200
        status = requests.get(server.xrpc("com.atproto.server.checkAccountStatus"),
                              headers=bearer(account["accessJwt"])).json()
        # The PDS endpoint in the DID document names the first run's port, so it is not valid any more.
        assert status["validDid"] is False and status["activated"] is True
    finally:
        stop_server(server)


def test_missing_secrets_stop_start_up_outside_dev_mode(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update({"PDS_DEV_MODE": "false", "PDS_HOSTNAME": "pds.example.com", "PDS_DATA_DIRECTORY": str(tmp_path),
                "PDS_PORT": "0"})
    result = subprocess.run([str(binary()), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    for name in ["PDS_JWT_SECRET", "PDS_ADMIN_PASSWORD", "PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX"]:
        assert name in output


def test_reserve_signing_key_and_account_invite_codes(pds):
    r = requests.post(pds.xrpc("com.atproto.server.reserveSigningKey"), json={})
    assert r.status_code == 200 and r.json()["signingKey"].startswith("did:key:zQ3s")
    account = create_account(pds)
    r = requests.get(pds.xrpc("com.atproto.server.getAccountInviteCodes"), headers=bearer(account["accessJwt"]))
    assert r.status_code == 200 and r.json() == {"codes": []}  # PDS_INVITE_INTERVAL is unset
    r = requests.post(pds.xrpc("com.atproto.server.createInviteCodes"),
                      json={"codeCount": 2, "useCount": 1, "forAccounts": [account["did"]]}, auth=admin(pds))
    assert r.status_code == 200 and len(r.json()["codes"][0]["codes"]) == 2
    r = requests.get(pds.xrpc("com.atproto.server.getAccountInviteCodes"), headers=bearer(account["accessJwt"]))
    codes = r.json()["codes"]
    assert len(codes) == 2 and all(c["forAccount"] == account["did"] and c["uses"] == [] for c in codes)
