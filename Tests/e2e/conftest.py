"""Starts a real `pds` process (the debug build) on a free port with a temporary data directory."""
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary() -> Path:
    explicit = os.environ.get("PDS_BINARY")
    if explicit:
        return Path(explicit)
    out = subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(out) / "pds"


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
        import json

        return json.loads((self.data_dir / "dev-secrets.json").read_text())


def start_server(data_dir: Path, extra_env: dict | None = None) -> Server:
    """Starts `pds serve` in dev mode on a free port with `data_dir`; waits until `_health` answers."""
    port = _free_port()
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
    process = subprocess.Popen([str(_binary()), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{url}/xrpc/_health", process, data_dir / "server.log")
    return Server(url, data_dir, process)


def wait_until_answering(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Waits until `url` answers 2xx; kills `process` and raises with its log if it exits or `seconds` pass."""
    deadline = time.monotonic() + seconds
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


@pytest.fixture(scope="session")
def pds(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("pds-data"))
    yield server
    stop_server(server)
