"""Email over SMTP against the real binary and a real SMTP server (aiosmtpd, smtp_sink.py), driven with the Python
`atproto` SDK: confirm the email, change it, reset the password (the old sessions die), delete the account (its
directory and blobs are gone, the firehose shows the `#account` deletion)."""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from atproto import Client, models
from atproto_client.exceptions import BadRequestError
from websockets.sync.client import connect

from pds_e2e import ROOT, free_port, invite, new_handle, png, start_server, stop_server, subscribe_repos_url
from repo_verify import decode_frame


class Sink:
    """smtp_sink.py in a subprocess; stops when its stdin closes."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "Tests/e2e/smtp_sink.py"), "--port", str(self.port), "--dir", str(directory)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not (directory / "ready").exists():
            assert self.process.poll() is None and time.monotonic() < deadline, "smtp_sink.py did not start"
            time.sleep(0.05)

    def messages(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted(self.directory.glob("*.json"))]

    def wait_for(self, count: int, seconds: float = 30) -> dict:
        """The `count`-th message, once it arrived (a liveness bound, not a timing assertion)."""
        deadline = time.monotonic() + seconds
        while len(self.messages()) < count:
            assert time.monotonic() < deadline, f"expected {count} messages, got {len(self.messages())}"
            time.sleep(0.05)
        return self.messages()[count - 1]

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    sink = Sink(tmp_path_factory.mktemp("smtp"))
    server = start_server(tmp_path_factory.mktemp("pds-data"), {
        "PDS_EMAIL_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
        "PDS_EMAIL_FROM_ADDRESS": "noreply@pds.test",
        "PDS_SERVICE_NAME": "E2E PDS",
    })
    yield server, sink
    stop_server(server)
    sink.stop()


def token_of(message: dict, to: str, subject: str) -> str:
    assert message["rcpt_tos"] == [to] and message["to"] == to
    assert message["subject"] == subject
    assert message["content_type"] == "multipart/alternative" and not message["defects"]
    assert "E2E PDS" in message["text"]

    return re.search(r"[A-Z2-7]{5}-[A-Z2-7]{5}", message["text"]).group(0)


def test_email_lifecycle(mail):
    pds, sink = mail
    handle = new_handle()
    email = f"{handle}@example.com"
    password = "correct horse battery staple"
    Client(base_url=pds.url).com.atproto.server.create_account(models.ComAtprotoServerCreateAccount.Data(
        handle=handle, email=email, password=password, invite_code=invite(pds)))
    client = Client(base_url=pds.url)
    client.login(handle, password, fetch_bsky_profile=False)
    did = client._session.did
    server = client.com.atproto.server
    count = len(sink.messages())

    # Confirm the email.
    server.request_email_confirmation()
    count += 1
    token = token_of(sink.wait_for(count), email, "Email Confirmation")
    server.confirm_email(models.ComAtprotoServerConfirmEmail.Data(email=email, token=token))
    assert server.get_session().email_confirmed is True
    with pytest.raises(BadRequestError):
        server.confirm_email(models.ComAtprotoServerConfirmEmail.Data(email=email, token=token))

    # Change it: a confirmed email needs a token, mailed to the current address.
    assert server.request_email_update().token_required is True
    count += 1
    token = token_of(sink.wait_for(count), email, "Email Update Requested")
    email = f"new-{handle}@example.com"
    server.update_email(models.ComAtprotoServerUpdateEmail.Data(email=email, token=token))
    session = server.get_session()
    assert session.email == email and session.email_confirmed is False

    # Reset the password: the old sessions die.
    old_refresh = client._session.refresh_jwt
    Client(base_url=pds.url).com.atproto.server.request_password_reset(
        models.ComAtprotoServerRequestPasswordReset.Data(email=email))
    count += 1
    token = token_of(sink.wait_for(count), email, "Password Reset Requested")
    password = "a brand new password"
    Client(base_url=pds.url).com.atproto.server.reset_password(
        models.ComAtprotoServerResetPassword.Data(token=token, password=password))
    refreshed = requests.post(pds.xrpc("com.atproto.server.refreshSession"),
                              headers={"Authorization": f"Bearer {old_refresh}"})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "ExpiredToken", refreshed.text
    client = Client(base_url=pds.url)
    client.login(handle, password, fetch_bsky_profile=False)

    # Delete the account: its directory, blobs and rows go; the firehose shows #account deleted.
    client.send_image("a picture", image=png(), image_alt="gradient", profile_identify=did)
    actor_dirs = [p for p in (pds.data_dir / "actors").glob(f"*/{did}") if p.is_dir()]
    assert len(actor_dirs) == 1
    blob_dir = pds.data_dir / "blocks" / did
    assert any(blob_dir.iterdir())
    client.com.atproto.server.request_account_delete()
    count += 1
    token = token_of(sink.wait_for(count), email, "Account Deletion Requested")
    Client(base_url=pds.url).com.atproto.server.delete_account(
        models.ComAtprotoServerDeleteAccount.Data(did=did, password=password, token=token))
    assert not actor_dirs[0].exists()
    assert not blob_dir.exists()
    login = requests.post(pds.xrpc("com.atproto.server.createSession"),
                          json={"identifier": handle, "password": password})
    assert login.status_code == 401
    with connect(subscribe_repos_url(pds, "?cursor=0"), open_timeout=10) as ws:
        while True:
            header, body = decode_frame(ws.recv(timeout=20))
            if body.get("did") == did or body.get("repo") == did:
                break
    assert header["t"] == "#account"
    assert body["active"] is False and body["status"] == "deleted"


def test_password_reset_answers_the_same_for_unknown_addresses(mail):
    pds, sink = mail
    before = len(sink.messages())
    r = requests.post(pds.xrpc("com.atproto.server.requestPasswordReset"), json={"email": "nobody@example.com"})
    assert r.status_code == 200, r.text
    # A known address afterwards: its email arriving means the unknown one's would have arrived before it.
    account_handle = new_handle()
    Client(base_url=pds.url).com.atproto.server.create_account(models.ComAtprotoServerCreateAccount.Data(
        handle=account_handle, email=f"{account_handle}@example.com", password="pw-123456789",
        invite_code=invite(pds)))
    r = requests.post(pds.xrpc("com.atproto.server.requestPasswordReset"),
                      json={"email": f"{account_handle}@example.com"})
    assert r.status_code == 200, r.text
    message = sink.wait_for(before + 1)
    assert message["rcpt_tos"] == [f"{account_handle}@example.com"]
    assert len(sink.messages()) == before + 1


def test_without_smtp_the_message_and_token_are_logged(tmp_path):
    """Dev mode needs no mail server: the email, token included, is written to the server's log."""
    server = start_server(tmp_path)
    try:
        handle = new_handle()
        account = requests.post(server.xrpc("com.atproto.server.createAccount"), json={
            "handle": handle, "email": f"{handle}@example.com", "password": "pw-123456789",
            "inviteCode": invite(server)}).json()
        auth = {"Authorization": f"Bearer {account['accessJwt']}"}
        r = requests.post(server.xrpc("com.atproto.server.requestEmailConfirmation"), headers=auth)
        assert r.status_code == 200, r.text
        log = (tmp_path / "server.log").read_text()
        line = next(line for line in log.splitlines() if "Intended to send email" in line)
        assert f"{handle}@example.com" in line and "Email Confirmation" in line
        token = re.search(r"[A-Z2-7]{5}-[A-Z2-7]{5}", line).group(0)
        r = requests.post(server.xrpc("com.atproto.server.confirmEmail"), headers=auth,
                          json={"email": f"{handle}@example.com", "token": token})
        assert r.status_code == 200, r.text
    finally:
        stop_server(server)
