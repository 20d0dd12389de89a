"""`/export/stream` between two real PLC directories on loopback: A's WebSocket sends its operations after a cursor
then new ones as they are stored, and replica B of A follows it once caught up — with a one-hour poll interval, so an
operation reaching B can only have come by the stream (or by the paging B does after a stream gap)."""
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import plc_ops
from pds_e2e import binary, free_port, wait_until_answering
from test_plc_replica import Directory, resolve


def serve(tmp: Path, name: str, port: int, *args: str) -> Directory:
    database, log = tmp / f"{name}.sqlite", tmp / f"{name}.log"
    process = subprocess.Popen(
        [str(binary()), "plc", "serve", "--port", str(port), "--database", str(database), *args],
        stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{url}/_health", process, log)
    return Directory(url, process, database, log)


def submit(directory: Directory, did: str, operations: list[dict]) -> None:
    for operation in operations:
        response = requests.post(f"{directory.url}/{did}", json=operation, timeout=30)
        assert response.status_code == 200, (did, response.text)


def wait_for(what: str, check, replica: Directory, deadline_seconds: float = 120):
    """Polls `check` until it returns a true value (the deadline only turns a hang into a failure)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        value = check()
        if value:
            return value
        assert replica.process.poll() is None, replica.log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{what}: {replica.status()}"
        time.sleep(0.05)


def test_export_stream_sends_from_the_cursor_then_live(tmp_path):
    a = serve(tmp_path, "a", free_port())
    try:
        did, operations = plc_ops.scenario(0)
        submit(a, did, operations[:2])
        ws_url = a.url.replace("http://", "ws://") + "/export/stream"
        with connect(ws_url + "?cursor=0", open_timeout=10) as ws:
            first = [json.loads(ws.recv(timeout=30)) for _ in range(2)]
            submit(a, did, operations[2:3])
            live = json.loads(ws.recv(timeout=30))
        assert [m["seq"] for m in first + [live]] == [1, 2, 3]
        assert all(m["type"] == "sequenced_op" and m["did"] == did and m["nullified"] is False for m in first + [live])
        assert [m["cid"] for m in first + [live]] == [plc_ops.cid_of(op) for op in operations[:3]]
        # The records are `/export`'s lines plus `type` and `seq`.
        exported = [json.loads(line) for line in requests.get(f"{a.url}/export", timeout=10).text.split("\n")]
        assert [{k: v for k, v in m.items() if k not in ("type", "seq")} for m in first + [live]] == exported
        # Without a cursor only new operations come.
        with connect(ws_url, open_timeout=10) as ws:
            submit(a, did, operations[3:])
            assert json.loads(ws.recv(timeout=30))["seq"] == 4
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url + "?cursor=x", open_timeout=10)
        assert refused.value.response.status_code == 400
    finally:
        a.stop()


def test_replica_follows_the_stream_and_pages_across_a_gap(tmp_path):
    port = free_port()
    a = serve(tmp_path, "a", port)
    b = None
    try:
        histories = [plc_ops.scenario(index, domain="stream") for index in range(6)]
        for did, operations in histories[:3]:
            submit(a, did, operations)
        b = serve(tmp_path, "b", free_port(), "--replicate", a.url, "--poll-interval", "3600")
        wait_for("streaming after catching up",
                 lambda: (s := b.status())["mode"] == "streaming" and s["position"] == 12, b)

        # A new operation reaches B by the stream (B would not poll for an hour).
        did, operations = histories[3]
        submit(a, did, operations[:1])
        wait_for("the streamed operation", lambda: resolve(b.url, did) == resolve(a.url, did), b)
        assert b.status()["mode"] == "streaming"

        # Restarting A closes the stream: B goes back to paging, catches up what A stored meanwhile, and streams again.
        a.stop()
        wait_for("paging after the gap", lambda: b.status()["mode"] == "paging", b)
        a = serve(tmp_path, "a", port)
        submit(a, did, operations[1:])
        submit(a, *histories[4])
        wait_for("caught up after the gap",
                 lambda: (s := b.status())["mode"] == "streaming" and s["position"] == 20, b)
        for did, operations in histories[3:5]:
            assert resolve(b.url, did) == resolve(a.url, did)
        submit(a, *histories[5])
        wait_for("streaming again", lambda: b.status()["position"] == 24, b)
        assert resolve(b.url, histories[5][0]) == resolve(a.url, histories[5][0])
        status = b.status()
        assert status["accepted"] == 24 and status["rejected"] == 0 and status["mode"] == "streaming"
        log = b.log.read_text()
        assert len(re.findall("following the upstream stream", log)) >= 2
        assert "stream gap; paging from the cursor" in log
        assert requests.get(f"{b.url}/export", params={"count": 1000}).text == \
            requests.get(f"{a.url}/export", params={"count": 1000}).text
    finally:
        if b:
            b.stop()
        a.stop()
