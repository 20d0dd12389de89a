#!/usr/bin/env python3
"""Runs the attacks of issue 13 against a `pds` binary and prints, for each, what the server held (open descriptors,
resident memory, CPU time) and how a well-behaved client fared meanwhile (latency of `_health` on a new connection and of
`createRecord` on a kept-alive one; failures are requests that errored or took over 5 s).

    .venv/bin/python scripts/attack-report.py --binary .build/release/pds [--json]

The server runs in dev mode on a temporary data directory with its open-file limit lowered to `--fd-limit` (4096), so
that a flood can reach it without the attacking process needing more descriptors than this machine allows. Attackers
connect from 127.0.0.2 and up (Linux routes all of 127/8 to lo), the well-behaved client from 127.0.0.1. Timeouts are
the server's defaults unless `--env NAME=VALUE` says otherwise; run the same command against two binaries to compare.

Besides the connection attacks: the file-descriptor limit reached (the connection cap set above it, so accept() fails
with EMFILE: the server must back off, not spin), and 300 wrong passwords for the client's account from one address
(each costs the server an scrypt unless the createSession limit stops it).
"""
import http.client
import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import statistics
import sys
import tempfile
import threading
import time

import requests

MALFORMED = {
    "HTTP/9.9": b"GET /xrpc/_health HTTP/9.9\r\nHost: x\r\n\r\n",
    "two Content-Lengths": b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                           b"Content-Length: 2\r\n\r\nab",
    "200 kB header": b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    "5,000 headers": b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\n"
                     + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
    "300 kB URL": b"GET /xrpc/_health?" + b"a" * 300_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "NUL": b"GET /xrpc/_he\x00alth HTTP/1.1\r\nHost: x\r\n\r\n",
    "bare LF": b"GET /xrpc/_health HTTP/1.1\nHost: x\n\n",
    "TLS ClientHello": bytes.fromhex("16030100a5010000a10303") + bytes(32) + b"\x00\x02\x13\x01\x01\x00",
    "bad chunk size": b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                      b"\r\nContent-Type: application/json\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
}


def start_server(binary: str, fd_limit: int, env: dict) -> "Server":
    """A server on a free port (retried: thousands of closed attack sockets linger on ports of the same range)."""
    for attempt in range(5):
        try:
            return Server(binary, fd_limit, env)
        except PortTaken:
            continue
    raise SystemExit("no free port found")


class PortTaken(Exception):
    pass


class Server:
    def __init__(self, binary: str, fd_limit: int, env: dict):
        self.dir = tempfile.mkdtemp(prefix="pds-attack-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
        full_env.update({"PDS_DEV_MODE": "true", "PDS_PORT": str(self.port), "PDS_DATA_DIRECTORY": self.dir,
                         "PDS_HOSTNAME": "localhost", "PDS_INVITE_REQUIRED": "false", "LOG_LEVEL": "warning"})
        full_env.update(env)

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.process = subprocess.Popen([binary, "serve"], env=full_env, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=limit)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/xrpc/_health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                text = open(os.path.join(self.dir, "server.log")).read()
                self.stop()
                if "Address already in use" in text:
                    raise PortTaken()
                raise SystemExit("the server did not start:\n" + text)
            time.sleep(0.1)

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.process.pid}/fd"))
        except OSError:
            return -1

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server has used."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """The well-behaved client: an account, then `_health` (new connection) and `createRecord` (kept alive)."""

    def __init__(self, server: Server):
        self.server = server
        self.session = requests.Session()
        handle = f"good{int(time.time() * 1000) % 10**8}.test"
        self.handle = handle
        r = self.session.post(server.url + "/xrpc/com.atproto.server.createAccount",
                              json={"handle": handle, "email": f"{handle}@example.com", "password": "long-password-1"})
        r.raise_for_status()
        self.did, self.token = r.json()["did"], r.json()["accessJwt"]

    def round(self, latencies: list, failures: list):
        for call in (self.health, self.create):
            started = time.monotonic()
            try:
                ok = call()
            except requests.RequestException:
                ok = False
            elapsed = time.monotonic() - started
            if ok:
                latencies.append(elapsed)
            else:
                failures.append(elapsed)

    def health(self) -> bool:
        return requests.get(self.server.url + "/xrpc/_health", timeout=5).status_code == 200

    def create(self) -> bool:
        r = self.session.post(self.server.url + "/xrpc/com.atproto.repo.createRecord", timeout=5,
                              headers={"Authorization": f"Bearer {self.token}"},
                              json={"repo": self.did, "collection": "app.bsky.feed.post",
                                    "record": {"$type": "app.bsky.feed.post", "text": "hello",
                                               "createdAt": "2026-01-01T00:00:00Z"}})
        return r.status_code == 200


def connect(server: Server, source: str) -> socket.socket | None:
    s = socket.socket()
    s.settimeout(2)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", server.port))
        return s
    except OSError:
        s.close()
        return None


def measure(server: Server, client: Client, attack, seconds: float) -> dict:
    """Runs `attack(stop_event, sockets)` in the background for `seconds` while sampling the server and timing the
    client."""
    stop = threading.Event()
    sockets: list = []
    OUTCOME.clear()
    base_rss, base_fds, base_cpu = server.rss_mb(), server.fds(), server.cpu_seconds()
    started = time.monotonic()
    thread = threading.Thread(target=attack, args=(stop, sockets), daemon=True)
    thread.start()
    latencies, failures, fds, rss = [], [], [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        client.round(latencies, failures)
        fds.append(server.fds())
        rss.append(server.rss_mb())
        time.sleep(0.25)
    cpu_share = (server.cpu_seconds() - base_cpu) / (time.monotonic() - started)
    stop.set()
    thread.join(timeout=10)
    still_open = sum(1 for s in sockets if s is not None and is_open(s))
    for s in sockets:
        if s is not None:
            s.close()
    return {
        "server fds (max, baseline)": f"{max(fds)} ({base_fds})",
        "RSS growth MB (max)": round(max(rss) - base_rss, 1),
        "server CPU (cores)": round(cpu_share, 2),
        "client p50 ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "client max ms": round(max(latencies) * 1000, 1) if latencies else None,
        "client failures": f"{len(failures)}/{len(latencies) + len(failures)}",
        "attack sockets open at end": f"{still_open}/{len(sockets)}",
        "attack answered": ", ".join(f"{count}× {status}" for status, count in sorted(OUTCOME.items())) or "-",
    }


def is_open(s: socket.socket) -> bool:
    """Whether the server still holds the connection (no EOF or reset pending)."""
    s.setblocking(False)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return False
    except BlockingIOError:
        return True
    except OSError:
        return False


def idle_flood(count: int, addresses: int):
    def attack(stop, sockets):
        def opener(part: int):
            for i in range(part, count, 4):
                if stop.is_set():
                    return
                sockets.append(connect(SERVER, f"127.0.0.{2 + i % addresses}"))
        openers = [threading.Thread(target=opener, args=(part,), daemon=True) for part in range(4)]
        for thread in openers:
            thread.start()
        for thread in openers:
            thread.join()
    return attack


def slowloris(count: int, body: bool):
    head = b"POST /xrpc/com.atproto.server.createSession HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Content-Length: 100\r\n\r\n"
    def attack(stop, sockets):
        for i in range(count):
            s = connect(SERVER, f"127.0.0.{100 + i % 50}")
            sockets.append(s)
            if s is not None and body:
                s.sendall(head)
        data = b" " * 100 if body else head
        for byte in data:
            if stop.is_set():
                return
            for s in sockets:
                if s is not None:
                    try:
                        s.send(bytes([byte]))
                    except OSError:
                        pass
            time.sleep(1)
    return attack


def password_guessing(count: int):
    """`count` createSession calls with a wrong password for the client's account, from one address."""
    def attack(stop, sockets):
        for _ in range(count):
            if stop.is_set():
                return
            connection = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10,
                                                    source_address=("127.0.0.70", 0))
            try:
                connection.request("POST", "/xrpc/com.atproto.server.createSession",
                                   body=json.dumps({"identifier": CLIENT.handle, "password": "wrong-password"}),
                                   headers={"Content-Type": "application/json"})
                status = connection.getresponse().status
            except OSError:
                status = "error"
            finally:
                connection.close()
            OUTCOME[status] = OUTCOME.get(status, 0) + 1
    return attack


def malformed_report(server: Server) -> dict:
    answered = {}
    for name, request in MALFORMED.items():
        s = connect(server, "127.0.0.60")
        started = time.monotonic()
        try:
            s.sendall(request)
        except OSError:
            pass
        s.settimeout(0.2)
        data, closed = b"", False
        while time.monotonic() - started < 1.0:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
        s.close()
        status = data[9:12].decode() if data.startswith(b"HTTP/1.1 ") else "none"
        answered[name] = f"{status}{', closed' if closed else ', held open'}"
    return answered


def main():
    global SERVER, CLIENT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--fd-limit", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    env = dict(item.split("=", 1) for item in args.env)

    over_the_fd_limit = {"PDS_HTTP_MAX_CONNECTIONS": "16384", "PDS_HTTP_MAX_CONNECTIONS_PER_IP": "16384"}
    attacks = {
        "5,000 idle connections from 20 addresses": (idle_flood(5000, 20), {}),
        "3,000 idle connections from one address": (idle_flood(3000, 1), {}),
        "500 slowloris heads (1 byte/s)": (slowloris(500, body=False), {}),
        "500 slowloris bodies (1 byte/s)": (slowloris(500, body=True), {}),
        "fd limit reached: 5,000 idle connections, cap above it (EMFILE)": (idle_flood(5000, 20), over_the_fd_limit),
        "300 wrong passwords from one address": (password_guessing(300), {}),
    }
    results = {}
    for name, (attack, attack_env) in attacks.items():
        SERVER = start_server(args.binary, args.fd_limit, {**attack_env, **env})
        try:
            client = CLIENT = Client(SERVER)
            seconds = max(args.seconds, 15) if "idle" in name else max(args.seconds, 25)
            results[name] = measure(SERVER, client, attack, seconds)
        finally:
            SERVER.stop()
        print(f"{name}: {results[name]}", file=sys.stderr)
    SERVER = start_server(args.binary, args.fd_limit, env)
    try:
        results["malformed requests"] = malformed_report(SERVER)
    finally:
        SERVER.stop()

    if args.json:
        print(json.dumps(results, indent=2))
        return
    columns = list(next(iter(results.values())).keys())
    print("| attack | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in results.items():
        if name == "malformed requests":
            continue
        print(f"| {name} | " + " | ".join(str(row[c]) for c in columns) + " |")
    print()
    print("| malformed request | answer |")
    print("|---|---|")
    for name, answer in results["malformed requests"].items():
        print(f"| {name} | {answer} |")


SERVER = None
CLIENT = None
# What the current attack's requests were answered (status → count), for attacks that send requests.
OUTCOME: dict = {}

if __name__ == "__main__":
    main()
