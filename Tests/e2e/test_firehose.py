"""com.atproto.sync.subscribeRepos against the real binary: a consumer from cursor 0 sees every account's
#identity, #account, #commit and #sync in seq order without gaps, and a future cursor gets a FutureCursor error frame
and close code 1008. Also the HTTP sync methods relays use first: listRepos, getLatestCommit, getRepo."""
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pds_e2e import create_account, start_server, stop_server
from repo_verify import decode_frame


def ws_url(pds, query: str) -> str:
    return pds.url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos" + query


def test_backfill_then_live_in_seq_order(pds):
    first = create_account(pds)
    with connect(ws_url(pds, "?cursor=0"), open_timeout=10, close_timeout=5) as ws:
        second = create_account(pds)  # sequenced while the subscription is open: live (or backfill, both gap-free)
        wanted = {first["did"], second["did"]}
        seen: dict[str, list[str]] = {did: [] for did in wanted}
        last_seq = 0
        started = False  # other tests may delete accounts (and their events) before ours: gap-free from ours on
        while any(len(types) < 4 for types in seen.values()):
            header, body = decode_frame(ws.recv(timeout=20))
            assert header["op"] == 1, body
            seq = body["seq"]
            did = body.get("did") or body.get("repo")
            started = started or did in wanted
            if started:
                assert seq == last_seq + 1, f"gap: {last_seq} -> {seq}"
            else:
                assert seq > last_seq, f"reorder: {last_seq} -> {seq}"
            last_seq = seq
            if did in wanted:
                seen[did].append(header["t"])
        for did, types in seen.items():
            assert types == ["#identity", "#account", "#commit", "#sync"], (did, types)


def test_commit_event_shape(pds):
    account = create_account(pds)
    with connect(ws_url(pds, "?cursor=0"), open_timeout=10) as ws:
        while True:
            header, body = decode_frame(ws.recv(timeout=20))
            if header["t"] == "#commit" and body["repo"] == account["did"]:
                break
    latest = requests.get(pds.xrpc("com.atproto.sync.getLatestCommit"), params={"did": account["did"]})
    assert latest.status_code == 200, latest.text
    assert body["commit"].encode() == latest.json()["cid"]
    assert body["rev"] == latest.json()["rev"]
    assert isinstance(body["blocks"], bytes) and len(body["blocks"]) > 0


def test_future_cursor_gets_error_frame_and_1008(pds):
    with connect(ws_url(pds, "?cursor=999999999"), open_timeout=10) as ws:
        header, body = decode_frame(ws.recv(timeout=20))
        assert header == {"op": -1}
        assert body["error"] == "FutureCursor"
        try:
            ws.recv(timeout=20)
            raise AssertionError("the socket should be closed")
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            assert closed.rcvd.code == 1008
            assert closed.rcvd.reason == "FutureCursor"


def test_sync_http_methods(pds):
    account = create_account(pds)
    did = account["did"]
    r = requests.get(pds.xrpc("com.atproto.sync.getRepo"), params={"did": did})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.ipld.car"
    repos = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = requests.get(pds.xrpc("com.atproto.sync.listRepos"), params=params).json()
        repos += page["repos"]
        cursor = page.get("cursor")
        if not cursor:
            break
    assert did in [repo["did"] for repo in repos]
    r = requests.get(pds.xrpc("com.atproto.sync.getRepoStatus"), params={"did": did})
    assert r.json()["active"] is True
    r = requests.get(pds.xrpc("com.atproto.sync.getLatestCommit"), params={"did": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"})
    assert (r.status_code, r.json()["error"]) == (400, "RepoNotFound")


def test_graceful_shutdown_ends_open_streams(tmp_path):
    server = start_server(tmp_path)
    live = connect(ws_url(server, ""), open_timeout=10)
    backfill = connect(ws_url(server, "?cursor=0"), open_timeout=10)
    with live, backfill:
        stop_server(server)  # asserts a clean exit on SIGTERM with both subscribers connected
        for ws in (live, backfill):
            try:
                while True:
                    ws.recv(timeout=20)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1000
