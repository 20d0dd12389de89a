"""XRPC request hygiene over real HTTP: the reference's reserved handles, parameters and body encodings enforced from
the lexicons, and error messages written for people (no Swift enum syntax)."""
import json
import re

import pytest
import requests
from atproto import Client, exceptions, models

from pds_e2e import bearer, create_account, invite, sdk_client

SWIFT_SYNTAX = re.compile(r'[a-z][A-Za-z]*\("|CodingKeys|DecodingError|Swift\.')


def message(r: requests.Response) -> str:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "InvalidRequest", r.text
    assert not SWIFT_SYNTAX.search(body["message"]), body["message"]
    return body["message"]


@pytest.mark.parametrize("name", ["billing", "sysadmin", "password", "secure", "bank", "nasa"])
def test_reserved_handles_are_refused_through_the_sdk(pds, name):
    with pytest.raises(exceptions.BadRequestError) as refused:
        Client(base_url=pds.url).com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(
                handle=f"{name}.test", email=f"{name}@example.com", password="long enough password",
                invite_code=invite(pds)))
    assert refused.value.response.content.error == "HandleNotAvailable"
    assert refused.value.response.content.message == "Reserved handle"


def test_required_parameters_come_from_the_lexicon(pds):
    did = create_account(pds)["did"]
    r = requests.get(pds.xrpc("com.atproto.sync.getBlocks"), params={"did": did})
    assert message(r) == 'Error: Params must have the property "cids"'
    r = requests.get(pds.xrpc("com.atproto.sync.listRepos"), params={"limit": "100000"})
    assert message(r) == "Error: limit can not be greater than 1000"
    r = requests.get(pds.xrpc("com.atproto.repo.getRecord"), params={"repo": did, "collection": "not an nsid", "rkey": "x"})
    assert message(r) == "Error: collection must be a valid nsid"


def test_bodies_need_the_lexicons_encoding(pds):
    account = create_account(pds)
    body = json.dumps({"repo": account["did"], "collection": "app.bsky.feed.post",
                       "record": {"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00Z"}})
    url = pds.xrpc("com.atproto.repo.createRecord")
    r = requests.post(url, data=body, headers=bearer(account["accessJwt"]))
    assert message(r) == "Request encoding (Content-Type) required but not provided"
    r = requests.post(url, data=body, headers={**bearer(account["accessJwt"]), "Content-Type": "text/plain"})
    assert message(r) == "Wrong request encoding (Content-Type): text/plain"
    r = requests.post(url, data=iter([body.encode()]),
                      headers={**bearer(account["accessJwt"]), "Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text
    r = requests.get(pds.xrpc("com.atproto.server.describeServer"), data=iter([b"{}"]))
    assert message(r) == "A request body was provided when none was expected"


def test_malformed_json_is_described_for_people(pds):
    client, did, _ = sdk_client(pds)
    token = client._session.access_jwt
    headers = {**bearer(token), "Content-Type": "application/json"}
    url = pds.xrpc("com.atproto.repo.createRecord")
    deep = "[" * 300 + "]" * 300
    r = requests.post(url, headers=headers,
                      data=f'{{"repo": "{did}", "collection": "app.bsky.feed.post", "record": {deep}}}')
    assert message(r).startswith("Invalid JSON: nesting too deep")
    r = requests.post(url, headers=headers, data='{"repo": ')
    assert message(r).startswith("Invalid JSON: unexpected end of input")
    r = requests.post(pds.xrpc("com.atproto.server.createSession"), headers={"Content-Type": "application/json"},
                      data='{"identifier": 1, "password": "x"}')
    assert message(r) == "Input/identifier has the wrong type"
