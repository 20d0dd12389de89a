"""Metrics and logs of the real binary (our extension, PDS_METRICS_* and LOG_FORMAT): `/metrics` counters move under
a small load and need the token; the separate metrics port serves only on 127.0.0.1; with LOG_FORMAT=json and
LOG_LEVEL=debug every output line is a JSON object, request lines carry request ids that match the `x-request-id`
response headers, and no access or refresh JWT, password or metrics token ever appears in the output."""
import json
import re

import requests
from atproto import Client, models
from websockets.sync.client import connect

from pds_e2e import bearer, free_port, invite, new_handle, start_server, stop_server, subscribe_repos_url

TOKEN = "metrics-e2e-token-7f3a9c1b5d"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$')


def scrape(url: str, token: str | None = TOKEN) -> dict[str, float]:
    r = requests.get(url, headers=bearer(token) if token else {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples = {}
    for line in r.text.splitlines():
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        samples[match.group(1)] = float(match.group(2))
    return samples


def test_metrics_move_under_load_and_need_the_token_and_logs_are_json_without_secrets(tmp_path):
    server = start_server(tmp_path, {
        "PDS_METRICS_ENABLED": "true", "PDS_METRICS_TOKEN": TOKEN, "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
    })
    secrets: list[str] = [TOKEN]
    request_ids: set[str] = set()
    try:
        metrics = f"{server.url}/metrics"
        for headers in [{}, bearer("wrong"), {"Authorization": TOKEN}]:
            r = requests.get(metrics, headers=headers)
            assert r.status_code == 401, r.text
            assert "pds_http_requests_total" not in r.text
            request_ids.add(r.headers["x-request-id"])
        before = scrape(metrics)

        # A small load: an account, a login, writes, reads, a refresh, a wrong password.
        handle, password = new_handle(), "correct horse battery staple e2e"
        secrets.append(password)
        Client(base_url=server.url).com.atproto.server.create_account(
            models.ComAtprotoServerCreateAccount.Data(
                handle=handle, email=f"{handle}@example.com", password=password, invite_code=invite(server)))
        r = requests.post(server.xrpc("com.atproto.server.createSession"),
                          json={"identifier": handle, "password": password})
        assert r.status_code == 200, r.text
        session = r.json()
        secrets += [session["accessJwt"], session["refreshJwt"]]
        did, access = session["did"], session["accessJwt"]
        writes = 6
        for i in range(writes):
            r = requests.post(server.xrpc("com.atproto.repo.createRecord"), headers=bearer(access), json={
                "repo": did, "collection": "app.bsky.feed.post",
                "record": {"$type": "app.bsky.feed.post", "text": f"post {i}", "createdAt": "2024-01-01T00:00:00Z"}})
            assert r.status_code == 200, r.text
            request_ids.add(r.headers["x-request-id"])
        r = requests.post(server.xrpc("com.atproto.repo.uploadBlob"), data=b"\x89PNG" + b"\0" * 996,
                          headers={**bearer(access), "Content-Type": "image/png"})
        assert r.status_code == 200, r.text
        r = requests.get(server.xrpc("com.atproto.server.getSession"), headers=bearer(access))
        assert r.status_code == 200, r.text
        r = requests.post(server.xrpc("com.atproto.server.refreshSession"), headers=bearer(session["refreshJwt"]))
        assert r.status_code == 200, r.text
        secrets += [r.json()["accessJwt"], r.json()["refreshJwt"]]
        r = requests.post(server.xrpc("com.atproto.server.createSession"),
                          json={"identifier": handle, "password": "wrong-password-e2e"})
        assert r.status_code == 401
        secrets.append("wrong-password-e2e")
        r = requests.get(server.xrpc("com.atproto.repo.listRecords"),
                         params={"repo": did, "collection": "app.bsky.feed.post"}, headers=bearer(access))
        assert r.status_code == 200 and len(r.json()["records"]) == writes
        for i in range(3):
            requests.get(server.xrpc(f"io.example.made.up{i}"))

        # A firehose subscriber from the start: counted while connected, caught up once it has read every event.
        with connect(subscribe_repos_url(server, "?cursor=0"), max_size=None) as firehose:
            firehose.recv(timeout=10)
            during = scrape(metrics)
            assert during["pds_firehose_subscribers"] == 1
            assert "pds_firehose_subscriber_lag_max_events" in during
            for _ in range(int(during["pds_sequencer_head_seq"]) - 1):
                firehose.recv(timeout=10)
            caught_up = scrape(metrics)
            assert caught_up["pds_firehose_subscriber_lag_max_events"] == 0

        after = scrape(metrics)
        created = 'pds_http_requests_total{endpoint="com.atproto.repo.createRecord",status="2xx"}'
        assert after[created] - before.get(created, 0) == writes
        duration = 'pds_http_request_duration_seconds_count{endpoint="com.atproto.repo.createRecord",status="2xx"}'
        assert after[duration] - before.get(duration, 0) == writes
        login_failed = 'pds_http_requests_total{endpoint="com.atproto.server.createSession",status="4xx"}'
        assert after[login_failed] == 1
        unknown = [k for k in after if 'endpoint="unknown"' in k and k.startswith("pds_http_requests_total")]
        assert sum(after[k] for k in unknown) == 3
        assert not any("io.example" in k for k in after)
        assert after["pds_sequencer_head_seq"] >= before["pds_sequencer_head_seq"] + writes
        assert after["pds_sequencer_batch_size_count"] > before.get("pds_sequencer_batch_size_count", 0)
        assert after["pds_actor_handle_cache_hits_total"] > before.get("pds_actor_handle_cache_hits_total", 0)
        assert after["pds_actor_handle_cache_misses_total"] >= 1
        assert after["pds_actor_handle_cache_open_handles"] >= 1
        assert after["pds_blob_uploaded_bytes_total"] == 1000
        assert after["process_open_fds"] > 0 and after["process_max_fds"] >= after["process_open_fds"]
        assert after["pds_firehose_subscribers"] == 0
    finally:
        stop_server(server)

    # Every output line is one JSON object with the fields; request lines carry their request id.
    log = (tmp_path / "server.log").read_text()
    lines = [json.loads(line) for line in log.splitlines()]
    assert lines, "no log output"
    for entry in lines:
        assert {"timestamp", "level", "label", "message", "metadata"} <= entry.keys(), entry
    completed = [e for e in lines if e["message"] == "request completed"]
    logged_ids = {e["metadata"].get("hb.request.id") for e in completed}
    assert None not in logged_ids
    assert request_ids <= logged_ids
    assert any(e["metadata"].get("http.path") == "/xrpc/com.atproto.repo.createRecord" for e in completed)
    for secret in secrets:
        assert secret not in log, "a secret was logged"


def test_logfmt_is_the_default(tmp_path):
    server = start_server(tmp_path)
    try:
        r = requests.get(server.xrpc("_health"))
        request_id = r.headers["x-request-id"]
    finally:
        stop_server(server)
    lines = (tmp_path / "server.log").read_text().splitlines()
    assert lines
    for line in lines:
        assert re.match(r'^ts=\S+ level=\w+ label=\S+ msg=', line), line
    assert any(f"hb.request.id={request_id}" in line and 'msg="request completed"' in line for line in lines)


def test_a_separate_metrics_port_on_loopback_only(tmp_path):
    port = free_port()
    server = start_server(tmp_path, {"PDS_METRICS_ENABLED": "true", "PDS_METRICS_PORT": str(port)})
    try:
        assert requests.get(f"{server.url}/metrics").status_code == 404
        requests.get(server.xrpc("_health"))
        samples = scrape(f"http://127.0.0.1:{port}/metrics", token=None)
        assert samples['pds_http_requests_total{endpoint="_health",status="2xx"}'] >= 1
    finally:
        stop_server(server)
