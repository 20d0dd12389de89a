"""Identity operations against the real binary with the Python `atproto` SDK: a new handle under the service domain,
an external handle proved by an HTTPS well-known server (a local TLS server with a self-signed certificate, reached
through the dev-only PDS_DEV_HOST_OVERRIDES / PDS_DEV_EXTRA_CA_FILE), a PLC operation submitted, and the `#identity`
events on the firehose."""
import http.server
import sqlite3
import ssl
import subprocess
import threading
import uuid

import pytest
import requests
from atproto import Client
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from websockets.sync.client import connect

from pds_e2e import free_port, invite, new_handle, start_server, stop_server, subscribe_repos_url
from repo_verify import decode_frame

PASSWORD = "correct horse battery staple"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def new_did_key() -> str:
    """A fresh secp256k1 public key as a did:key (multicodec 0xe7 0x01, compressed point, base58btc)."""
    point = ec.generate_private_key(ec.SECP256K1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    number = int.from_bytes(b"\xe7\x01" + point, "big")
    digits = ""
    while number:
        number, remainder = divmod(number, 58)
        digits = BASE58[remainder] + digits
    return "did:key:z" + digits


class WellKnownServer:
    """An HTTPS server answering `/.well-known/atproto-did` with the DID registered for the request's host."""

    def __init__(self, directory, hostname: str):
        self.port = free_port()
        self.cert = directory / "wellknown.pem"
        key = directory / "wellknown.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(self.cert), "-days", "1", "-subj", f"/CN={hostname}",
             "-addext", f"subjectAltName=DNS:{hostname}"],
            check=True, capture_output=True)
        self.dids: dict[str, str] = {}
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = self.headers.get("Host", "").split(":")[0]
                owner.requests.append(host)
                did = owner.dids.get(host)
                if self.path != "/.well-known/atproto-did" or did is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = did.encode()
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    """A pds whose identity fetches reach `<name>.example.com` at the local HTTPS well-known server."""
    directory = tmp_path_factory.mktemp("identity")
    hostname = f"h{uuid.uuid4().hex[:8]}.example.com"
    wellknown = WellKnownServer(directory, hostname)
    data = directory / "data"
    data.mkdir()
    server = start_server(data, {
        "PDS_DEV_HOST_OVERRIDES": f"{hostname}=127.0.0.1:{wellknown.port}",
        "PDS_DEV_EXTRA_CA_FILE": str(wellknown.cert),
    })
    yield server, wellknown, hostname
    stop_server(server)
    wellknown.close()


def login(pds) -> tuple[Client, str]:
    handle = new_handle()
    Client(base_url=pds.url).com.atproto.server.create_account(
        {"handle": handle, "email": f"{handle}@example.com", "password": PASSWORD, "inviteCode": invite(pds)})
    client = Client(base_url=pds.url)
    client.login(handle, PASSWORD, fetch_bsky_profile=False)
    return client, client._session.did


def identity_events(pds, did: str, cursor: int, count: int) -> list[dict]:
    """The next `count` `#identity` events of `did` from `cursor`."""
    found = []
    with connect(subscribe_repos_url(pds, f"?cursor={cursor}"), open_timeout=10) as ws:
        while len(found) < count:
            header, body = decode_frame(ws.recv(timeout=20))
            if header.get("t") == "#identity" and body["did"] == did:
                found.append(body)
    return found


def head_seq(pds) -> int:
    with connect(subscribe_repos_url(pds, "?cursor=0"), open_timeout=10) as ws:
        seq = 0
        while True:
            try:
                _, body = decode_frame(ws.recv(timeout=1))
            except TimeoutError:
                return seq
            seq = body.get("seq", seq)


def plc_document(pds, did: str) -> dict:
    r = requests.get(f"{pds.url}/plc/{did}")
    assert r.status_code == 200, r.text
    return r.json()


def test_service_domain_handle_change(external):
    pds, _, _ = external
    client, did = login(pds)
    cursor = head_seq(pds)
    new = new_handle()
    client.com.atproto.identity.update_handle({"handle": new})

    assert plc_document(pds, did)["alsoKnownAs"] == [f"at://{new}"]
    assert client.com.atproto.identity.resolve_handle({"handle": new}).did == did
    assert client.com.atproto.server.get_session().handle == new
    assert requests.get(f"{pds.url}/tls-check", params={"domain": new}).status_code == 200
    [event] = identity_events(pds, did, cursor, 1)
    assert event["handle"] == new


def test_external_handle_proved_over_https(external):
    pds, wellknown, hostname = external
    client, did = login(pds)

    # Not yet claimed by the well-known server: refused, nothing changes.
    r = requests.post(pds.xrpc("com.atproto.identity.updateHandle"), json={"handle": hostname},
                      headers={"Authorization": f"Bearer {client._session.access_jwt}"})
    assert r.status_code == 400 and r.json()["message"] == "External handle did not resolve to DID", r.text
    assert hostname in wellknown.requests

    wellknown.dids[hostname] = did
    cursor = head_seq(pds)
    client.com.atproto.identity.update_handle({"handle": hostname})
    assert plc_document(pds, did)["alsoKnownAs"] == [f"at://{hostname}"]
    assert client.com.atproto.identity.resolve_handle({"handle": hostname}).did == did
    [event] = identity_events(pds, did, cursor, 1)
    assert event["handle"] == hostname
    # Caddy is not asked to get a certificate for an external handle.
    assert requests.get(f"{pds.url}/tls-check", params={"domain": hostname}).status_code == 400


def test_recommended_credentials_match_the_document(external):
    pds, _, _ = external
    client, did = login(pds)
    credentials = client.com.atproto.identity.get_recommended_did_credentials()
    document = plc_document(pds, did)
    assert credentials.also_known_as == document["alsoKnownAs"]
    assert credentials.services["atproto_pds"]["endpoint"] == pds.url.replace("127.0.0.1", "localhost")
    key = next(m for m in document["verificationMethod"] if m["id"].endswith("#atproto"))
    assert credentials.verification_methods["atproto"] == "did:key:" + key["publicKeyMultibase"]


def test_plc_operation_adding_a_rotation_key(external):
    """requestPlcOperationSignature mails a token (read here from the reference's email_token table, as its README
    suggests without SMTP); signPlcOperation with it returns an operation adding a rotation key, signed by the PDS;
    submitPlcOperation sends it and the embedded directory shows the key."""
    pds, _, _ = external
    client, did = login(pds)
    client.com.atproto.identity.request_plc_operation_signature()
    with sqlite3.connect(pds.data_dir / "account.sqlite") as db:
        [(token,)] = db.execute(
            "SELECT token FROM email_token WHERE did = ? AND purpose = 'plc_operation'", (did,)).fetchall()

    current = requests.get(f"{pds.url}/plc/{did}/data").json()
    new_key = new_did_key()
    headers = {"Authorization": f"Bearer {client._session.access_jwt}"}
    wrong = requests.post(pds.xrpc("com.atproto.identity.signPlcOperation"), headers=headers,
                          json={"token": "AAAAA-BBBBB", "rotationKeys": [new_key, *current["rotationKeys"]]})
    assert wrong.status_code == 400, wrong.text
    signed = requests.post(pds.xrpc("com.atproto.identity.signPlcOperation"), headers=headers,
                           json={"token": token.lower(), "rotationKeys": [new_key, *current["rotationKeys"]]})
    assert signed.status_code == 200, signed.text
    operation = signed.json()["operation"]
    assert operation["rotationKeys"] == [new_key, *current["rotationKeys"]]
    assert operation["alsoKnownAs"] == current["alsoKnownAs"]
    # The token is used up.
    again = requests.post(pds.xrpc("com.atproto.identity.signPlcOperation"), headers=headers, json={"token": token})
    assert again.status_code == 400, again.text
    # Not submitted yet.
    assert requests.get(f"{pds.url}/plc/{did}/data").json()["rotationKeys"] == current["rotationKeys"]

    cursor = head_seq(pds)
    client.com.atproto.identity.submit_plc_operation({"operation": operation})
    assert requests.get(f"{pds.url}/plc/{did}/data").json()["rotationKeys"] == [new_key, *current["rotationKeys"]]
    [event] = identity_events(pds, did, cursor, 1)
    assert event["did"] == did
