"""Rate limits over real HTTP: createSession's 30 attempts per 5 minutes per identifier and IP, answered with 429
`RateLimitExceeded` and the reference's headers; the bypass key; X-Forwarded-For from the (loopback) proxy."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pds_e2e import create_account, rate_limit_headers, start_server, stop_server

BYPASS_KEY = "e2e-bypass-key"


@pytest.fixture(scope="module")
def limited_pds(tmp_path_factory):
    server = start_server(
        tmp_path_factory.mktemp("pds-rate-limits"),
        {"PDS_RATE_LIMITS_ENABLED": "true", "PDS_RATE_LIMIT_BYPASS_KEY": BYPASS_KEY},
    )
    yield server
    stop_server(server)


def login(pds, identifier: str, password: str, headers: dict | None = None) -> requests.Response:
    return requests.post(
        pds.xrpc("com.atproto.server.createSession"),
        json={"identifier": identifier, "password": password}, headers=headers or {})


def test_create_session_answers_429_with_headers_after_30_attempts(limited_pds):
    account = create_account(limited_pds, password="the-right-password")
    handle = account["handle"]

    # 30 wrong passwords (each padded to 350 ms by the server, so sent 10 at a time): 401, counted down.
    with ThreadPoolExecutor(max_workers=10) as pool:
        failures = list(pool.map(lambda _: login(limited_pds, handle, "wrong"), range(30)))
    assert [r.status_code for r in failures] == [401] * 30
    assert all(rate_limit_headers(r)["RateLimit-Policy"] == "30;w=300" for r in failures)
    assert sorted(int(rate_limit_headers(r)["RateLimit-Remaining"]) for r in failures) == list(range(30))

    # The 31st attempt, even with the right password, is refused before the password is checked.
    started = time.time()
    refused = login(limited_pds, handle, "the-right-password")
    assert refused.status_code == 429, refused.text
    assert refused.json() == {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
    headers = rate_limit_headers(refused)
    assert headers["RateLimit-Limit"] == "30"
    assert headers["RateLimit-Remaining"] == "0"
    assert headers["RateLimit-Policy"] == "30;w=300"
    # The window started with the first attempt: it ends 300 s after it (Unix seconds).
    assert started - 60 <= int(headers["RateLimit-Reset"]) - 300 <= time.time() + 1
    assert 0 < int(headers["Retry-After"]) <= 300

    # The bypass key skips the limit (and its headers).
    bypassed = login(limited_pds, handle, "the-right-password", {"x-ratelimit-bypass": BYPASS_KEY})
    assert bypassed.status_code == 200, bypassed.text
    assert rate_limit_headers(bypassed) == {}

    # Through the loopback proxy, X-Forwarded-For names another client: its own identifier-IP counter.
    forwarded = login(limited_pds, handle, "the-right-password", {"X-Forwarded-For": "203.0.113.5"})
    assert forwarded.status_code == 200, forwarded.text
    assert rate_limit_headers(forwarded)["RateLimit-Remaining"] == "29"
