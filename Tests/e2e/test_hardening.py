"""One anonymous client must not be able to knock the server over (issue 13): connection caps, timeouts and malformed
requests, against a real `pds` process with small limits so that each one trips within seconds.

Attackers connect from other loopback addresses (127.0.0.2 and up: Linux routes all of 127/8 to lo), so the
per-address cap sees them apart from the well-behaved client on 127.0.0.1."""
import http.client
import os
import resource
import socket
import threading
import time

import pytest
import requests

from pds_e2e import bearer, create_account, start_server, stop_server

MAX_CONNECTIONS = 1000
MAX_PER_ADDRESS = 200
LIMITS = {
    "PDS_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    "PDS_HTTP_MAX_CONNECTIONS_PER_IP": str(MAX_PER_ADDRESS),
    "PDS_HTTP_HEADER_TIMEOUT_MS": "2000",
    "PDS_HTTP_BODY_TIMEOUT_MS": "2000",
    "PDS_HTTP_WRITE_TIMEOUT_MS": "3000",
    # Long enough that idle connections stay until the caps act on them.
    "PDS_HTTP_IDLE_TIMEOUT_MS": "120000",
    "PDS_BLOB_UPLOAD_LIMIT": str(8 * 1024 * 1024),
}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 16384)), hard))
    server = start_server(tmp_path_factory.mktemp("pds-hardening"), LIMITS)
    yield server
    stop_server(server)


def open_fds(server) -> int:
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


def connect(server, source: str = "127.0.0.1", timeout: float = 5) -> socket.socket:
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", server.port))
    return s


def read_until_closed(s: socket.socket, seconds: float) -> tuple[bytes, bool]:
    """Everything the server sends within `seconds`, and whether it closed the connection by then."""
    s.settimeout(0.2)
    data, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:80]
    return int(response[9:12])


def health_latency(server) -> float:
    """A new connection's `_health`, timed."""
    started = time.monotonic()
    r = requests.get(server.xrpc("_health"), timeout=5)
    assert r.status_code == 200, r.text
    return time.monotonic() - started


MALFORMED = {
    "version 9.9": (b"GET /xrpc/_health HTTP/9.9\r\nHost: x\r\n\r\n", 505),
    "two content-lengths": (
        b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
        b"Content-Length: 2\r\n\r\nab", 400),
    "200 kB header": (b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n", 431),
    "5,000 headers": (
        b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
        431),
    "300 kB URL": (b"GET /xrpc/_health?" + b"a" * 300_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    "NUL in the request line": (b"GET /xrpc/_he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "bare LF line endings": (b"GET /xrpc/_health HTTP/1.1\nHost: x\n\n", 400),
    "TLS ClientHello": (bytes.fromhex("16030100a5010000a10303") + os.urandom(32) + b"\x00\x02\x13\x01\x01\x00", 400),
    "bad chunk size": (
        b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_request_is_answered_and_closed(guarded, name):
    request, expected = MALFORMED[name]
    s = connect(guarded)
    started = time.monotonic()
    try:
        s.sendall(request)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before reading everything: the answer is still in our buffer
    response, closed = read_until_closed(s, 2)
    s.close()
    assert closed and time.monotonic() - started < 1.5, f"{name}: not closed within a second"
    assert status_of(response) == expected, response[:200]
    assert b'"error":' in response and b"connection: close" in response.lower()
    log = (guarded.data_dir / "server.log").read_text()
    assert " error " not in log and "Unhandled" not in log, log[-2000:]


def test_slow_head_and_slow_body_are_cut_off(guarded):
    head = connect(guarded)
    head.sendall(b"GET /xrpc/_health HTTP/1.1\r\n")  # and then nothing more
    body = connect(guarded)
    body.sendall(b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    started = time.monotonic()
    for s in (head, body):
        response, closed = read_until_closed(s, 6)
        assert closed and status_of(response) == 408, response[:200]
        assert b'"error":"RequestTimeout"' in response
    assert time.monotonic() - started < 6


def test_a_response_nobody_reads_is_closed(guarded):
    account = create_account(guarded)
    # A PNG signature, so the sniffed type is an image an images embed accepts.
    blob = b"\x89PNG\r\n\x1a\n" + os.urandom(1_900_000)
    r = requests.post(guarded.xrpc("com.atproto.repo.uploadBlob"), data=blob,
                      headers={**bearer(account["accessJwt"]), "Content-Type": "image/png"})
    assert r.status_code == 200, r.text
    cid = r.json()["blob"]["ref"]["$link"]
    r = requests.post(guarded.xrpc("com.atproto.repo.createRecord"), headers=bearer(account["accessJwt"]), json={
        "repo": account["did"], "collection": "app.bsky.feed.post",
        "record": {"$type": "app.bsky.feed.post", "text": "big", "createdAt": "2026-01-01T00:00:00Z",
                   "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": r.json()["blob"]}]}},
    })
    assert r.status_code == 200, r.text
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", guarded.port))
    get = f"GET /xrpc/com.atproto.sync.getBlob?did={account['did']}&cid={cid} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    s.sendall(get * 12)  # 23 MB of answers that are never read
    time.sleep(6)  # the write timeout (3 s) and then some
    received, closed = read_until_closed(s, 10)
    assert closed and len(received) < 12 * len(blob), "the server kept the unread response open"


def test_idle_flood_and_slowloris_leave_the_service_up(guarded):
    account = create_account(guarded)
    baseline = open_fds(guarded)
    stop = threading.Event()
    attackers: list[socket.socket] = []

    def trickle(s: socket.socket, data: bytes):
        for byte in data:
            if stop.is_set():
                return
            try:
                s.send(bytes([byte]))
            except OSError:
                return
            time.sleep(1)

    # Slowloris: heads and bodies one byte a second, from their own address.
    loris = []
    for i in range(20):
        s = connect(guarded, "127.0.0.30")
        loris.append(s)
        threading.Thread(target=trickle, args=(s, b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\n\r\n"), daemon=True).start()
    for i in range(20):
        s = connect(guarded, "127.0.0.31")
        s.sendall(b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")
        loris.append(s)
        threading.Thread(target=trickle, args=(s, b'{"identifier":"x","password":"y"}' + b" " * 67), daemon=True).start()

    # 3,000 idle connections from 20 addresses: three times the total cap, under each address's cap.
    for i in range(3000):
        attackers.append(connect(guarded, f"127.0.0.{2 + i % 20}"))

    latencies, fds = [], []
    try:
        for round in range(10):
            latencies.append(health_latency(guarded))
            started = time.monotonic()
            r = requests.post(guarded.xrpc("com.atproto.repo.createRecord"), headers=bearer(account["accessJwt"]),
                              json={"repo": account["did"], "collection": "app.bsky.feed.post",
                                    "record": {"$type": "app.bsky.feed.post", "text": f"still up {round}",
                                               "createdAt": "2026-01-01T00:00:00Z"}}, timeout=5)
            assert r.status_code == 200, r.text
            latencies.append(time.monotonic() - started)
            fds.append(open_fds(guarded))
            # More idle connections keep arriving while the client works.
            for i in range(100):
                attackers.append(connect(guarded, f"127.0.0.{2 + i % 20}"))
            time.sleep(0.3)
        stop.set()
        print(f"latency max {max(latencies):.3f}s, fds baseline {baseline} max {max(fds)}")
        assert max(latencies) < 1.0, latencies
        assert max(fds) <= baseline + MAX_CONNECTIONS + 10, (baseline, fds)
        # Every slowloris connection was answered 408 and closed (the header and body timeouts are 2 s).
        for s in loris:
            response, closed = read_until_closed(s, 3)
            assert closed, "a slowloris connection is still open"
            assert response == b"" or status_of(response) == 408, response[:200]
    finally:
        stop.set()
        # Closed even when an assertion failed, so that the next test starts without them.
        for s in attackers + loris:
            s.close()


def wait_for(condition, seconds: float = 30) -> bool:
    """Polls `condition` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def held_connection(server, source: str) -> http.client.HTTPConnection:
    """A kept-alive connection from `source` that the server has admitted: it answered a `_health` (a connection
    is counted when its event loop takes it up, not in the order the kernel accepted it)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))
    connection.request("GET", "/xrpc/_health")
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body[:200]
    return connection


def test_per_address_cap_refuses_politely(guarded):
    # The previous test's thousands of connections are counted out first, so that admitting these evicts none of
    # them (eviction happens only at the total cap).
    assert wait_for(lambda: open_fds(guarded) < MAX_CONNECTIONS // 2), open_fds(guarded)
    held = [held_connection(guarded, "127.0.0.50") for _ in range(MAX_PER_ADDRESS)]
    extra = connect(guarded, "127.0.0.50")
    response, closed = read_until_closed(extra, 2)
    assert closed and status_of(response) == 429, response[:200]
    assert b"retry-after" in response.lower() and b'"error":"RateLimitExceeded"' in response
    assert b'"message":"Too many connections from this address"' in response
    # Another address is unaffected.
    assert health_latency(guarded) < 1.0
    for connection in held:
        connection.close()

    def admitted_again() -> bool:
        again = connect(guarded, "127.0.0.50")
        again.sendall(b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response, _ = read_until_closed(again, 2)
        again.close()
        return status_of(response) == 200

    # Once the server has counted the closed connections out (at once, or shortly after under load).
    assert wait_for(admitted_again, 10)


def test_a_refused_client_that_already_sent_its_request_reads_the_refusal(guarded):
    """The refusal is written before the request is read. The server then shuts its side and reads the request
    away, so the connection ends with an orderly end of stream: closing over the unread request would reset it, and
    a reset can discard the 429 before the client reads it."""
    held = [held_connection(guarded, "127.0.0.51") for _ in range(MAX_PER_ADDRESS)]
    for _ in range(5):
        extra = connect(guarded, "127.0.0.51")
        extra.sendall(b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n" + b" " * 4000)
        response = b""
        while chunk := extra.recv(65536):  # a reset raises ConnectionResetError; no end within 5 s, a timeout
            response += chunk
        extra.close()
        assert status_of(response) == 429 and b'"error":"RateLimitExceeded"' in response, response[:200]
    for connection in held:
        connection.close()
