"""Helpers shared by the end-to-end tests: a real `pds` process (the debug build) on a free port with its own data
directory, and the account calls most tests start with. Test files import from here (and from repo_verify), never
from each other; the `pds` fixture is in conftest.py."""
import json
import os
import socket
import struct
import subprocess
import threading
import time
import uuid
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from atproto import Client, models

ROOT = Path(__file__).resolve().parents[2]


# MARK: - The server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bin_dir() -> Path:
    """The debug build's binary directory (`swift build --show-bin-path`)."""
    out = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(out)


def binary() -> Path:
    """The `pds` binary: `PDS_BINARY`, else the debug build's."""
    explicit = os.environ.get("PDS_BINARY")
    if explicit:
        return Path(explicit)
    return bin_dir() / "pds"


class Server:
    def __init__(self, url: str, data_dir: Path, process: subprocess.Popen):
        self.url = url
        self.data_dir = data_dir
        self.process = process

    def xrpc(self, method: str) -> str:
        return f"{self.url}/xrpc/{method}"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def dev_secrets(self) -> dict:
        """The secrets dev mode generated and persisted in the data directory."""
        return json.loads((self.data_dir / "dev-secrets.json").read_text())


# For load tests (thousands of writes from one address and DID), which would otherwise meet dev mode's rate limits.
NO_RATE_LIMITS = {"PDS_RATE_LIMITS_ENABLED": "false"}


def start_server(data_dir: Path, extra_env: dict | None = None) -> Server:
    """Starts `pds serve` in dev mode on a free port with `data_dir`; waits until `_health` answers. A port taken
    between choosing it and binding it (tests that open thousands of client sockets use the same range) is retried."""
    for attempt in range(6):
        try:
            return _start_server(data_dir, extra_env)
        except RuntimeError as error:
            if "Address already in use" not in str(error) or attempt == 5:
                raise
            time.sleep(0.5 * (attempt + 1))  # once three immediate retries all met a taken port
    raise AssertionError("unreachable")


def _start_server(data_dir: Path, extra_env: dict | None) -> Server:
    # A given PDS_PORT (a restart that must keep its public URL) is used; otherwise a free one.
    port = int((extra_env or {}).get("PDS_PORT") or free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update({
        "PDS_DEV_MODE": "true",
        "PDS_PORT": str(port),
        "PDS_DATA_DIRECTORY": str(data_dir),
        # The public URL is http://localhost:<port>: the DID documents' #atproto_pds endpoint, which the SDK
        # switches to after login, so it must be where the server is reachable.
        "PDS_HOSTNAME": "localhost",
        "PDS_INVITE_REQUIRED": "true",
        "PDS_ENABLE_DID_DOC_WITH_SESSION": "true",
    })
    env.update(extra_env or {})
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen([str(binary()), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{url}/xrpc/_health", process, data_dir / "server.log")
    return Server(url, data_dir, process)


# How long a starting server may take to answer `_health` (a benchmark with 10,000 accounts raises it: the start-up
# reconcile opens every actor store before the server listens).
START_SECONDS = 30.0


def wait_until_answering(url: str, process: subprocess.Popen, log: Path, seconds: float | None = None) -> None:
    """Waits until `url` answers 2xx; kills `process` and raises with its log if it exits or `seconds` pass
    (default `START_SECONDS`)."""
    deadline = time.monotonic() + (START_SECONDS if seconds is None else seconds)
    while True:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{process.args[0]} did not start:\n" + log.read_text())
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    """SIGTERM: graceful shutdown must exit cleanly."""
    server.process.send_signal(15)
    try:
        code = server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise
    assert code == 0, f"pds exited with {code} on SIGTERM"


@contextmanager
def plc_and_two_pdses(directory: Path, names: tuple[str, str], extra_env: dict | None = None):
    """A PLC directory (`pds plc serve`, log `<directory>/plc.log`) and two PDSes using it, for moving accounts
    between them: each in `<directory>/<name>` with the service DID `did:web:<name>.pds.test` and `extra_env`.
    Yields (first PDS, second PDS, the directory's URL); stops all three afterwards."""
    plc_port = free_port()
    with open(directory / "plc.log", "ab") as log:
        plc = subprocess.Popen(
            [str(binary()), "plc", "serve", "--port", str(plc_port), "--database", str(directory / "plc.sqlite")],
            env={k: v for k, v in os.environ.items() if not k.startswith("PDS_")}, stdout=log,
            stderr=subprocess.STDOUT)
    plc_url = f"http://127.0.0.1:{plc_port}"
    servers = []
    try:
        wait_until_answering(f"{plc_url}/export", plc, directory / "plc.log")
        for name in names:
            (directory / name).mkdir()
            servers.append(start_server(directory / name, {
                "PDS_DID_PLC_URL": plc_url, "PDS_SERVICE_DID": f"did:web:{name}.pds.test", **(extra_env or {})}))
        yield servers[0], servers[1], plc_url
    finally:
        for server in servers:
            stop_server(server)
        plc.terminate()
        plc.wait(timeout=10)


# MARK: - Accounts


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def xrpc(pds, method: str, token: str | None = None, **kwargs) -> requests.Response:
    """Calls `method` on `pds`: a POST when there is a `json` or `data` body, else a GET; `token` as the bearer."""
    verb = requests.post if "json" in kwargs or "data" in kwargs else requests.get
    return verb(pds.xrpc(method), headers=bearer(token) if token else {}, **kwargs)


def admin(pds) -> tuple[str, str]:
    """Admin Basic auth with the password dev mode generated."""
    return ("admin", pds.dev_secrets()["adminPassword"])


def invite(pds, uses: int = 1) -> str:
    r = requests.post(pds.xrpc("com.atproto.server.createInviteCode"), json={"useCount": uses}, auth=admin(pds))
    assert r.status_code == 200, r.text
    return r.json()["code"]


def new_handle() -> str:
    return f"u{uuid.uuid4().hex[:10]}.test"


def create_account(pds, handle=None, password="hunter2-long-password", code=None) -> dict:
    """Creates an account over XRPC (with a fresh invite unless `code` is given); the createAccount output."""
    handle = handle or new_handle()
    r = requests.post(
        pds.xrpc("com.atproto.server.createAccount"),
        json={"handle": handle, "email": f"{handle}@example.com", "password": password,
              "inviteCode": code or invite(pds)},
    )
    assert r.status_code == 200, r.text
    return r.json()


def sdk_client(pds, fetch_bsky_profile: bool = False) -> tuple[Client, str, str]:
    """A new account created and logged in with the Python `atproto` SDK: the client, its DID and its handle. With
    `fetch_bsky_profile`, `login()` also loads the profile (through the AppView proxy) as the SDK does by default."""
    handle = new_handle()
    password = "correct horse battery staple"
    Client(base_url=pds.url).com.atproto.server.create_account(
        models.ComAtprotoServerCreateAccount.Data(
            handle=handle, email=f"{handle}@example.com", password=password, invite_code=invite(pds)))
    client = Client(base_url=pds.url)
    client.login(handle, password, fetch_bsky_profile=fetch_bsky_profile)
    return client, client._session.did, handle


# MARK: - Blobs


def png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (8-bit RGB, one colour gradient)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes((x * 31 % 256, y * 17 % 256, 128)) for x in range(width))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# MARK: - Rate limits


def rate_limit_headers(response: requests.Response) -> dict:
    """The reference's rate-limit headers of a response (`RateLimit-Limit/Remaining/Reset/Policy`, `Retry-After`),
    absent ones left out."""
    names = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "Retry-After"]
    return {name: response.headers[name] for name in names if name in response.headers}


# MARK: - The process


def rss_mib(pid: int) -> float:
    """The resident set size of process `pid` in MiB (`VmRSS` in /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def tcp_socket_inode(local_port: int, remote_port: int) -> int | None:
    """The inode of the IPv4 TCP socket from `local_port` to `remote_port` (/proc/net/tcp), `None` when there is
    none or it belongs to no process any more (an orphaned socket shows inode 0)."""
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            if int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == remote_port:
                return inode or None
    return None


def holds_socket(pid: int, inode: int) -> bool:
    """Whether process `pid` has a file descriptor open on socket `inode`."""
    target = f"socket:[{inode}]"
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            if os.readlink(fd) == target:
                return True
        except FileNotFoundError:
            continue
    return False


def subscribe_repos_url(pds, query: str = "") -> str:
    """The `com.atproto.sync.subscribeRepos` WebSocket URL, with `query` (e.g. `?cursor=0`)."""
    return pds.url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos" + query


# MARK: - Relays


class Relay:
    """A stand-in relay recording every POST (path, content type, body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                relay.requests.append((self.path, self.headers.get("content-type"), body))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
