"""A `pds` process for the benchmark scripts: started on a free port with its output in a log file, waited for until
its `_health` answers, measured through /proc, and stopped with SIGTERM.

    from pds_process import serve
    server = serve(binary, data_dir, {"PDS_MAX_REPO_IMPORT_SIZE": str(1 << 30)})
    ...  server.xrpc("com.atproto.server.createAccount"), server.status_kib("VmHWM")
    server.stop()
"""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PDSProcess:
    """A running `pds` command that serves HTTP on `port`."""

    def __init__(self, binary: Path | str, arguments: list[str], port: int, log: Path, env: dict | None = None,
                 health: str = "/xrpc/_health", start_seconds: float = 60):
        """Starts `binary arguments` (output appended to `log`, `env` over the environment) and waits until
        `health` answers 2xx; kills it and raises, naming the log, if it exits or `start_seconds` pass first."""
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log
        with open(log, "ab") as output:
            self.process = subprocess.Popen([str(binary), *arguments], env=env, stdout=output,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                if requests.get(f"{self.url}{health}", timeout=1).ok:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError(f"{binary} {' '.join(arguments)} did not start; see {log}")
            time.sleep(0.1)

    def xrpc(self, method: str) -> str:
        """The URL of an XRPC method."""
        return f"{self.url}/xrpc/{method}"

    def status_kib(self, field: str) -> int:
        """A `/proc/<pid>/status` figure in KiB (VmHWM: peak RSS; VmRSS: current RSS)."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise RuntimeError(f"no {field}")

    def stop(self, seconds: float = 60):
        """SIGTERM, then SIGKILL if it has not exited after `seconds`."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(binary: Path | str, data_dir: Path, extra_env: dict | None = None) -> PDSProcess:
    """`pds serve` on a free port with `data_dir` (dev mode, no invite codes, no rate limits: one benchmark client
    would hit the per-IP and per-DID limits; LOG_LEVEL=error), `extra_env` over those; its log is
    `<data_dir>/server.log`. The environment's other `PDS_*` variables are left out."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}
    env.update({
        "PDS_DEV_MODE": "true", "PDS_PORT": str(port), "PDS_DATA_DIRECTORY": str(data_dir),
        "PDS_HOSTNAME": "localhost", "PDS_INVITE_REQUIRED": "false", "LOG_LEVEL": "error",
        "PDS_RATE_LIMITS_ENABLED": "false",
    })
    env.update(extra_env or {})
    return PDSProcess(binary, ["serve"], port, data_dir / "server.log", env)


def plc_serve(binary: Path | str, directory: Path, name: str, *arguments: str) -> PDSProcess:
    """`pds plc serve` on a free port with the database `<directory>/<name>.sqlite` and the log
    `<directory>/<name>.log`; `arguments` are more options (`--replicate URL`)."""
    port = free_port()
    return PDSProcess(
        binary, ["plc", "serve", "--port", str(port), "--database", str(directory / f"{name}.sqlite"), *arguments],
        port, directory / f"{name}.log", health="/_health", start_seconds=30)
