"""subscribeRepos under load against the real binary: eight `cursor=0` subscribers backfilling a sequencer of more
than 50 MB keep the server's memory bounded (a page each, not the history) and it comes back down afterwards; a
subscriber that never reads is dropped with ConsumerTooSlow and its TCP connection is closed within seconds.

Memory is measured as the server's RSS (/proc/<pid>/status). Each test starts its own server so nothing else runs
in it."""
import base64
import os
import random
import socket
import sqlite3
import string
import threading
import time

import requests
from websockets.sync.client import connect

from pds_e2e import (
    NO_RATE_LIMITS, bearer, create_account, holds_socket, rss_mib, start_server, stop_server, subscribe_repos_url, tcp_socket_inode,
)
from repo_verify import decode_frame

COLLECTION = "com.example.filler"

# The backlog: #commit events of 25 records of 3,000 characters (about 80 KB each), written by 4 accounts at once
# until the sequencer holds more than 50 MB of events.
BACKLOG_BYTES = 52_000_000
RECORDS_PER_COMMIT = 25
RECORD_CHARS = 3_000
SUBSCRIBERS = 8

# Measured (2 cores, debug build): peak growth +13 to +29 MiB with 8 subscribers and 4 concurrent backfills, and
# afterwards at or below the level before them (before the fix: +510 MiB, all of it kept). The bounds leave margin.
MAX_GROWTH_MIB = 100
MAX_RESIDUE_MIB = 30


def filler_writes(rng: random.Random) -> list[dict]:
    return [{"$type": "com.atproto.repo.applyWrites#create", "collection": COLLECTION,
             "value": {"$type": COLLECTION, "text": "".join(rng.choices(string.ascii_letters, k=RECORD_CHARS)),
                       "createdAt": "2024-01-01T00:00:00.000Z"}}
            for _ in range(RECORDS_PER_COMMIT)]


def stored_event_bytes(pds) -> int:
    with sqlite3.connect(f"file:{pds.data_dir / 'sequencer.sqlite'}?mode=ro", uri=True) as db:
        return db.execute("SELECT coalesce(sum(length(event)), 0) FROM repo_seq").fetchone()[0]


def head_seq(pds) -> int:
    with sqlite3.connect(f"file:{pds.data_dir / 'sequencer.sqlite'}?mode=ro", uri=True) as db:
        return db.execute("SELECT max(seq) FROM repo_seq").fetchone()[0]


def fill_backlog(pds, target_bytes: int, writers: int = 4) -> None:
    """Writes large `#commit`s from `writers` accounts until the stored events reach `target_bytes`."""
    done = threading.Event()
    errors: list[str] = []

    def writer(index: int) -> None:
        account = create_account(pds)
        session = requests.Session()
        session.headers.update(bearer(account["accessJwt"]))
        rng = random.Random(index)
        try:
            while not done.is_set():
                for _ in range(10):
                    r = session.post(pds.xrpc("com.atproto.repo.applyWrites"),
                                     json={"repo": account["did"], "writes": filler_writes(rng), "validate": False},
                                     timeout=60)
                    if r.status_code != 200:
                        errors.append(r.text)
                        done.set()
                        return
                if stored_event_bytes(pds) >= target_bytes:
                    done.set()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(repr(error))
            done.set()

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


class Subscriber(threading.Thread):
    """A `cursor=0` subscriber reading until it has the event `last`; `pause` seconds between frames."""

    def __init__(self, pds, last: int, pause: float):
        super().__init__()
        self.url = subscribe_repos_url(pds, "?cursor=0")
        self.last = last
        self.pause = pause
        self.frames = 0
        self.bytes = 0
        self.seqs_in_order = True
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            previous = 0
            with connect(self.url, open_timeout=30, max_size=None, close_timeout=5) as ws:
                while previous < self.last:
                    message = ws.recv(timeout=120)
                    header, body = decode_frame(message)
                    assert header["op"] == 1, body
                    self.seqs_in_order = self.seqs_in_order and body["seq"] > previous
                    previous = body["seq"]
                    self.frames += 1
                    self.bytes += len(message)
                    if self.pause:
                        time.sleep(self.pause)
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error


def settled_rss(pid: int, seconds: float = 5) -> float:
    """The RSS after `seconds` of quiet, sampled a few times (the lowest, so one transient sample does not count)."""
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(rss_mib(pid))
        time.sleep(0.25)
    return min(samples[-4:])


def test_backfilling_subscribers_use_bounded_memory_that_is_returned(tmp_path):
    pds = start_server(tmp_path, NO_RATE_LIMITS)
    try:
        fill_backlog(pds, BACKLOG_BYTES)
        stored = stored_event_bytes(pds)
        assert stored >= 50_000_000, stored
        last = head_seq(pds)
        pid = pds.process.pid

        before = settled_rss(pid)
        # Readers at full speed and slower ones (1 ms per frame: more than a minute for the backlog unless pages
        # arrive as the socket takes them).
        subscribers = [Subscriber(pds, last, pause=0.001 if index % 4 == 3 else 0) for index in range(SUBSCRIBERS)]
        peak = before
        for subscriber in subscribers:
            subscriber.start()
        while any(subscriber.is_alive() for subscriber in subscribers):
            peak = max(peak, rss_mib(pid))
            time.sleep(0.05)
        for subscriber in subscribers:
            assert subscriber.error is None, subscriber.error
            assert subscriber.seqs_in_order
            assert subscriber.bytes >= 50_000_000, subscriber.bytes
        after = settled_rss(pid)
        print(f"RSS before {before:.0f} MiB, peak {peak:.0f} MiB (+{peak - before:.0f}), after {after:.0f} MiB; "
              f"{stored / 1e6:.0f} MB stored, {last} events")
        assert peak - before < MAX_GROWTH_MIB, (before, peak)
        assert after - before < MAX_RESIDUE_MIB, (before, after)
    finally:
        stop_server(pds)


def open_never_reading_subscriber(pds, query: str = "") -> socket.socket:
    """A subscriber (live unless `query` has a cursor) that completes the WebSocket handshake and then never reads;
    its receive buffer is small so the server's side fills quickly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", pds.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /xrpc/com.atproto.sync.subscribeRepos{query} HTTP/1.1\r\nHost: 127.0.0.1:{pds.port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1)
        assert chunk, "closed during the handshake"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def log_mentions(pds, text: str) -> bool:
    return text in (pds.data_dir / "server.log").read_text(errors="replace")


def test_a_subscriber_that_never_reads_is_disconnected_at_the_tcp_level(tmp_path):
    pds = start_server(tmp_path, {**NO_RATE_LIMITS, "PDS_MAX_SUBSCRIPTION_BUFFER": "5"})
    try:
        account = create_account(pds)
        session = requests.Session()
        session.headers.update(bearer(account["accessJwt"]))
        sock = open_never_reading_subscriber(pds)
        inode = tcp_socket_inode(pds.port, sock.getsockname()[1])
        assert inode is not None and holds_socket(pds.process.pid, inode)

        # Live events until the server gives up on the subscriber (its socket and buffer full).
        rng = random.Random(7)
        for _ in range(400):
            r = session.post(pds.xrpc("com.atproto.repo.applyWrites"),
                             json={"repo": account["did"], "writes": filler_writes(rng), "validate": False})
            assert r.status_code == 200, r.text
            if log_mentions(pds, "error=ConsumerTooSlow"):
                break
        assert log_mentions(pds, "error=ConsumerTooSlow"), "the subscriber was never dropped"
        dropped = time.monotonic()

        # The server closes its end without the client reading anything (a bound on hangs, not a timing claim: the
        # server waits 2 s for the close handshake).
        while holds_socket(pds.process.pid, inode) and time.monotonic() - dropped < 15:
            time.sleep(0.05)
        closed_after = time.monotonic() - dropped
        print(f"socket closed {closed_after:.2f} s after ConsumerTooSlow was logged")
        assert not holds_socket(pds.process.pid, inode), "the server still holds the dropped subscriber's socket"

        # From the client's side the connection ends: what was in flight, then EOF (or a reset).
        sock.settimeout(15)
        try:
            while sock.recv(1 << 16):
                pass
        except ConnectionResetError:
            pass
        sock.close()

        # The server is fine: a new subscriber gets live events.
        with connect(subscribe_repos_url(pds), open_timeout=10) as ws:
            r = session.post(pds.xrpc("com.atproto.repo.applyWrites"),
                             json={"repo": account["did"], "writes": filler_writes(rng)[:1], "validate": False})
            assert r.status_code == 200, r.text
            header, body = decode_frame(ws.recv(timeout=20))
            assert header["t"] == "#commit" and body["repo"] == account["did"]
    finally:
        stop_server(pds)


def test_a_backfill_nobody_reads_gives_up_its_turn(tmp_path):
    """With one backfill at a time, a `cursor=0` subscriber that stops reading must not hold the turn forever: the
    connection's write timeout closes it once its socket has stayed full, and the next subscriber backfills."""
    pds = start_server(tmp_path, {**NO_RATE_LIMITS, "PDS_MAX_CONCURRENT_BACKFILLS": "1",
                                  "PDS_HTTP_WRITE_TIMEOUT_MS": "3000"})
    try:
        fill_backlog(pds, 12_000_000, writers=2)
        last = head_seq(pds)
        stalled = open_never_reading_subscriber(pds, "?cursor=0")
        inode = tcp_socket_inode(pds.port, stalled.getsockname()[1])
        assert inode is not None

        # A well-behaved subscriber queues behind it and still gets the whole history (the bound is on hangs).
        reader = Subscriber(pds, last, pause=0)
        started = time.monotonic()
        reader.start()
        reader.join(timeout=90)
        assert not reader.is_alive(), "the second backfill never finished: the stalled one kept its turn"
        assert reader.error is None, reader.error
        assert reader.seqs_in_order
        print(f"second backfill done {time.monotonic() - started:.1f} s after it started")
        assert not holds_socket(pds.process.pid, inode), "the stalled subscriber's socket is still open"
        stalled.close()
    finally:
        stop_server(pds)
