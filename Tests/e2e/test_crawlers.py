"""PDS_CRAWLERS against the real binary: relays (local http.server instances) get one
`com.atproto.sync.requestCrawl {"hostname": PDS_HOSTNAME}` after the first events, and no more within the reference's
20-minute window. (The Swift CrawlersTests check the window exactly; here a short pause only lets a wrong extra
request show up.)"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from pds_e2e import bearer, create_account, start_server, stop_server


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


def test_first_events_request_one_crawl_per_relay_then_none_within_the_window(tmp_path):
    relays = [Relay(), Relay()]
    server = start_server(tmp_path, {"PDS_CRAWLERS": ",".join(relay.url + "/" for relay in relays)})
    try:
        account = create_account(server)

        def write(n: int) -> None:
            r = requests.post(server.xrpc("com.atproto.repo.createRecord"), headers=bearer(account["accessJwt"]),
                              json={"repo": account["did"], "collection": "com.example.note", "record": {"n": n}})
            assert r.status_code == 200, r.text

        deadline = time.monotonic() + 60  # liveness only
        while any(len(relay.requests) < 1 for relay in relays):
            assert time.monotonic() < deadline, "no requestCrawl arrived"
            time.sleep(0.2)
            write(-1)  # should the notifier have subscribed after the account's events, this is a new one

        for n in range(5):
            write(n)
        create_account(server)
        time.sleep(1)

        for relay in relays:
            assert len(relay.requests) == 1, relay.requests
            path, content_type, body = relay.requests[0]
            assert path == "/xrpc/com.atproto.sync.requestCrawl"
            assert content_type == "application/json"
            assert json.loads(body) == {"hostname": "localhost"}
    finally:
        stop_server(server)
        for relay in relays:
            relay.close()
