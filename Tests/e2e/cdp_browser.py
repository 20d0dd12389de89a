"""A headless Chromium (the Debian `chromium` package) driven over the DevTools protocol with the `websockets`
client: enough to open pages, fill and submit forms as a person would, read the page, and take screenshots."""
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import requests
from websockets.sync.client import connect


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One Chromium process with one page."""

    def __init__(self):
        binary = chromium_binary()
        if binary is None:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--disable-dev-shm-usage", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        deadline = time.monotonic() + 30
        while port is None:
            line = self.process.stderr.readline()
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
            elif (not line and self.process.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start")
        pages = [t for t in requests.get(f"http://127.0.0.1:{port}/json/list").json() if t["type"] == "page"]
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(pages[0]["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024))
        self.ids = itertools.count(1)
        self.send("Page.enable")
        self.send("Runtime.enable")

    def send(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.evaluate("window.__leaving = true")
        self.send("Page.navigate", url=url)

    def wait_for(self, expression: str, seconds: float = 20) -> None:
        """Waits until `expression` is truthy in a loaded page that is not the one `click` left (when it was told to
        expect a new one)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.evaluate(f"!window.__leaving && document.readyState === 'complete' && !!({expression})"):
                    return
            except RuntimeError:
                pass  # the page is between documents
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression} on {self.url()}")
            time.sleep(0.1)

    def url(self) -> str:
        try:
            return self.evaluate("location.href")
        except RuntimeError:
            return "?"

    def text(self) -> str:
        return self.evaluate("document.body.innerText")

    def type_into(self, element_id: str, text: str) -> None:
        """Focuses a field, clears it and types `text` as keyboard input."""
        self.evaluate(f"(() => {{ const e = document.getElementById({json.dumps(element_id)}); e.focus(); e.select(); }})()")
        self.send("Input.insertText", text=text)

    def click(self, element_id: str) -> None:
        """Clicks an element by dispatching a real mouse press and release at its centre; the page is marked, so
        that `wait_for` waits for the document the click leads to."""
        self.evaluate("window.__leaving = true")
        box = self.evaluate(
            f"(() => {{ const e = document.getElementById({json.dumps(element_id)}); e.scrollIntoView();"
            " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def screenshot(self, path: str, width: int, height: int, mobile: bool) -> None:
        """A PNG of the page at a viewport size (a phone when `mobile`)."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        time.sleep(0.2)  # let layout settle at the new size before capturing
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        self.send("Emulation.clearDeviceMetricsOverride")

    def close(self) -> None:
        try:
            self.stack.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def screenshots_dir() -> str | None:
    """Where to write the README's screenshots (`OAUTH_SCREENSHOTS=docs`), or None."""
    directory = os.environ.get("OAUTH_SCREENSHOTS")
    if directory:
        os.makedirs(directory, exist_ok=True)
    return directory
