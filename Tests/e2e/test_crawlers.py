"""PDS_CRAWLERS against the real binary: relays (local http.server instances) get one
`com.atproto.sync.requestCrawl {"hostname": PDS_HOSTNAME}` after the first events, and no more within the reference's
20-minute window. (The Swift CrawlersTests check the window exactly; here a short pause only lets a wrong extra
request show up.)"""
import json
import time

import requests

from pds_e2e import Relay, bearer, create_account, start_server, stop_server


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
