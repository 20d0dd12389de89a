"""Stand-ins for the services a PDS proxies to (an AppView, a chat service, a report service): real HTTP/1.1 servers on
loopback that check every incoming service JWT the way a real service does and record what they received.

Each request's `Authorization: Bearer <jwt>` must be a service JWT of the reference's shape (header `{typ: JWT, alg:
ES256K}`, claims exactly `iat, iss, aud, exp, lxm, jti`), addressed to this service (`aud` = its bare DID), bound to
the called method (`lxm`), unexpired and living 60 seconds, and signed by the issuer's `#atproto` key, read from the
issuer's DID document in the PDS's PLC directory (the embedded one in dev mode, `<pds>/plc`) and checked with the
`atproto` SDK's signature code. A request that fails any check is answered 401 `BadJwt` and recorded as such.

A service is `did:web:localhost%3A<port>` and serves its own `/.well-known/did.json`, naming itself under its service
id, so a PDS can reach it through an `atproto-proxy: <did>#<id>` header. Methods answered (anything else is `echo`):

- `app.bsky.actor.getProfile`: a profile of the caller, under the handle asked for (`unknown.test` when the `actor` is a
  DID), display name "Fake Profile";
- `app.bsky.feed.getTimeline`: one post of `did:plc:fakeauthor…`, indexed in 2024; `app.bsky.feed.getAuthorFeed`: one
  such post of the `actor` asked for (a DID);
- `app.bsky.feed.getPostThread`: `NotFound` for any post;
- `app.bsky.feed.getFeed` (an AppView): the feed whose generator record is in `records`, as the real AppView serves it:
  the service JWT must be addressed to the generator (`aud` = the record's `did`, `lxm` =
  `app.bsky.feed.getFeedSkeleton`); it is passed on to the generator's `getFeedSkeleton` (its DID document's
  `#bsky_fg` endpoint), whose post URIs are hydrated into minimal post views;
- `app.bsky.feed.getFeedSkeleton` (a feed generator): the post URIs in `skeleton`;
- `app.bsky.notification.registerPush` / `unregisterPush`: an empty 200;
- `com.atproto.repo.getRecord` (public: no JWT needed): the record in `records` under its AT URI, or 400
  `RecordNotFound`;
- `chat.bsky.convo.listConvos`: no conversations;
- `com.atproto.moderation.createReport`: the report as the lexicon's output;
- `com.example.fake.echo`: what arrived (method, path, query, headers, body, claims) as JSON, with the response headers
  a PDS forwards and two it must not (`x-upstream-private`, `set-cookie`);
- `com.example.fake.stream?bytes=N`: N bytes of a fixed pattern, written 64 KiB at a time;
- `com.example.fake.fail?status=S`: status S with a JSON XRPC error (`FakeError`) and `retry-after: 7`;
- `com.example.fake.flaky?key=K`: the first request with key K gets its connection closed without an answer.

The profile, timeline, author feed and thread answer `atproto-repo-rev: <rev>` when `known_revs` holds a revision for
the caller (the AppView has indexed the caller's repo up to it, and knows nothing newer), and no such header otherwise.
Every body sent is kept in `sent` (by method), so a test can check what passed through.
"""
import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from atproto_crypto.verify import verify_signature

PATTERN = bytes(range(256)) * 256  # 64 KiB

# Methods a service answers without a service JWT (a request without `Authorization` is not checked).
PUBLIC_METHODS = {"com.atproto.repo.getRecord"}


FAKE_CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"


FAKE_AUTHOR = "did:plc:fakeauthoraaaaaaaaaaaaaa"


def fake_feed_item(author: str) -> dict:
    """A post of `author` (a DID) indexed in 2024, before anything a test writes."""
    return {"post": {
        "uri": f"at://{author}/app.bsky.feed.post/3kfakepost222",
        "cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm",
        "author": {"did": author, "handle": "fake-author.test", "displayName": "Fake Author"},
        "record": {"$type": "app.bsky.feed.post", "text": "an old post", "createdAt": "2024-01-01T00:00:00.000Z"},
        "indexedAt": "2024-01-01T00:00:00.000Z", "likeCount": 0, "replyCount": 0, "repostCount": 0, "quoteCount": 0,
    }}


# The post the fake AppView shows in every timeline.
FAKE_FEED_ITEM = fake_feed_item(FAKE_AUTHOR)


def pattern_bytes(count: int) -> bytes:
    """The first `count` bytes `com.example.fake.stream` sends."""
    return (PATTERN * (count // len(PATTERN) + 1))[:count]


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    """One request as a fake service saw it."""
    method: str
    nsid: str
    path: str
    query: dict
    headers: dict  # lower-cased names; repeated headers joined with ", "
    body: bytes
    claims: dict | None
    problems: list = field(default_factory=list)
    client_port: int = 0

    @property
    def verified(self) -> bool:
        return self.claims is not None and not self.problems


class FakeService:
    def __init__(self, service_id: str, service_type: str, endpoint: str | None = None) -> None:
        """`endpoint`: the service endpoint its DID document publishes, when not this server itself (to name an
        unreachable one)."""
        self.service_id = service_id
        self.service_type = service_type
        self.endpoint = endpoint
        self.plc_url: str | None = None  # the PDS's PLC directory, set once the PDS runs
        self.verify = True
        self.records: dict[str, dict] = {}  # an AppView's index: AT URI -> record value
        self.skeleton: list[str] = []  # a feed generator's feed: post AT URIs
        self.received: list[Received] = []
        self.known_revs: dict[str, str] = {}  # caller DID -> the repo revision this AppView claims to have indexed
        self.sent: dict[str, bytes] = {}  # method -> the last body answered
        self._keys: dict[str, str] = {}
        self._flaky: set[str] = set()
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                service._handle(self)

            def do_HEAD(self) -> None:
                service._handle(self)

            def do_POST(self) -> None:
                service._handle(self)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def did(self) -> str:
        return f"did:web:localhost%3A{self.port}"

    @property
    def proxy_header(self) -> str:
        """The `atproto-proxy` value naming this service."""
        return f"{self.did}#{self.service_id}"

    def calls(self, nsid: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.nsid == nsid]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # MARK: - Service JWTs

    def _signing_key(self, did: str) -> str:
        """The issuer's `#atproto` key as a did:key, from its DID document in the PDS's PLC directory."""
        with self._lock:
            if did in self._keys:
                return self._keys[did]
        document = requests.get(f"{self.plc_url}/{did}", timeout=10).json()
        method = next(m for m in document["verificationMethod"] if m["id"] in ("#atproto", f"{did}#atproto"))
        key = "did:key:" + method["publicKeyMultibase"]
        with self._lock:
            self._keys[did] = key
        return key

    def _expected(self, nsid: str, query: dict) -> tuple[str | None, str]:
        """The `aud` and `lxm` a service JWT for `nsid` must carry: this service and the method, except for `getFeed`,
        whose JWT is for the feed's generator (the DID in its record) and its `getFeedSkeleton`."""
        if nsid == "app.bsky.feed.getFeed":
            record = self.records.get(query.get("feed", ""))
            return (record or {}).get("did"), "app.bsky.feed.getFeedSkeleton"
        return self.did, nsid

    def _check_jwt(self, authorization: str | None, nsid: str, query: dict) -> tuple[dict | None, list]:
        if not authorization or not authorization.startswith("Bearer "):
            return None, ["no bearer token"]
        token = authorization[len("Bearer "):]
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(payload_b64))
        except ValueError as error:
            return None, [f"malformed token: {error}"]
        if not self.verify:
            return claims, []
        problems = []
        now = time.time()
        if header != {"typ": "JWT", "alg": "ES256K"}:
            problems.append(f"header {header}")
        if set(claims) != {"iat", "iss", "aud", "exp", "lxm", "jti"}:
            problems.append(f"claims {sorted(claims)}")
        aud, lxm = self._expected(nsid, query)
        if claims.get("aud") != aud:
            problems.append(f"aud {claims.get('aud')} is not {aud}")
        if claims.get("lxm") != lxm:
            problems.append(f"lxm {claims.get('lxm')} is not {lxm}")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or not isinstance(iat, int) or exp - iat != 60:
            problems.append(f"exp {exp} is not iat {iat} + 60")
        elif not (iat <= now + 5 and exp > now):
            problems.append(f"not valid now: iat {iat} exp {exp} now {now}")
        jti = claims.get("jti", "")
        if not (isinstance(jti, str) and len(jti) == 32 and all(c in "0123456789abcdef" for c in jti)):
            problems.append(f"jti {jti!r}")
        try:
            signed = f"{header_b64}.{payload_b64}".encode()
            if not verify_signature(self._signing_key(claims["iss"]), signed, b64url_decode(signature_b64)):
                problems.append("bad signature")
        except Exception as error:  # noqa: BLE001 - reported as a problem
            problems.append(f"signature not verifiable: {error!r}")
        return claims, problems

    # MARK: - Answers

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        if split.path == "/.well-known/did.json":
            return self._send(request, 200, {
                "@context": ["https://www.w3.org/ns/did/v1"], "id": self.did,
                "service": [{"id": f"#{self.service_id}", "type": self.service_type, "serviceEndpoint": self.endpoint or self.url}],
            })
        nsid = split.path.removeprefix("/xrpc/")
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        length = int(request.headers.get("content-length", 0))
        body = request.rfile.read(length) if length else b""
        headers = {}
        for name, value in request.headers.items():
            headers[name.lower()] = headers[name.lower()] + ", " + value if name.lower() in headers else value
        public = nsid in PUBLIC_METHODS and "authorization" not in headers
        claims, problems = (None, []) if public else self._check_jwt(request.headers.get("authorization"), nsid, query)
        received = Received(request.command, nsid, request.path, query, headers, body, claims, problems,
                            request.client_address[1])
        with self._lock:
            self.received.append(received)
        if not public and not received.verified:
            return self._send(request, 401, {"error": "BadJwt", "message": "; ".join(problems)})

        with self._lock:
            rev = self.known_revs.get(claims["iss"]) if claims else None
        rev_header = {"atproto-repo-rev": rev} if rev else {}
        if nsid == "com.atproto.repo.getRecord":
            uri = f"at://{query.get('repo')}/{query.get('collection')}/{query.get('rkey')}"
            if uri not in self.records:
                return self._send(request, 400,
                                  {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"})
            return self._send(request, 200, {"uri": uri, "cid": FAKE_CID, "value": self.records[uri]})
        if nsid == "app.bsky.feed.getFeed":
            return self._feed(request, query)
        if nsid == "app.bsky.feed.getFeedSkeleton":
            return self._send(request, 200, {"feed": [{"post": uri} for uri in self.skeleton]})
        if nsid in ("app.bsky.notification.registerPush", "app.bsky.notification.unregisterPush"):
            request.send_response(200)
            request.send_header("content-length", "0")
            request.end_headers()
            return None

        if nsid == "app.bsky.actor.getProfile":
            return self._send(request, 200, {
                "did": claims["iss"], "handle": actor if not (actor := query.get("actor", "")).startswith("did:") and actor
                else "unknown.test", "displayName": "Fake Profile",
                "followersCount": 0, "followsCount": 0, "postsCount": 0,
            }, rev_header, nsid)
        if nsid == "app.bsky.feed.getTimeline":
            return self._send(request, 200, {"cursor": "fake-cursor", "feed": [FAKE_FEED_ITEM]}, rev_header, nsid)
        if nsid == "app.bsky.feed.getAuthorFeed":
            return self._send(request, 200, {"feed": [fake_feed_item(query.get("actor", FAKE_AUTHOR))]}, rev_header,
                              nsid)
        if nsid == "app.bsky.feed.getPostThread":
            return self._send(request, 400, {"error": "NotFound", "message": f"Post not found: {query.get('uri')}"},
                              rev_header, nsid)
        if nsid == "chat.bsky.convo.listConvos":
            return self._send(request, 200, {"convos": []})
        if nsid == "com.atproto.moderation.createReport":
            report = json.loads(body)
            return self._send(request, 200, {
                "id": len(self.received), "reasonType": report["reasonType"], "subject": report["subject"],
                "reportedBy": claims["iss"], "createdAt": "2024-01-01T00:00:00.000Z",
            })
        if nsid == "com.example.fake.stream":
            return self._stream(request, int(query["bytes"]))
        if nsid == "com.example.fake.fail":
            return self._send(request, int(query["status"]),
                              {"error": "FakeError", "message": f"fake failure {query['status']}"},
                              {"retry-after": "7", "atproto-repo-rev": "3kfailrev"})
        if nsid == "com.example.fake.flaky":
            with self._lock:
                first = query["key"] not in self._flaky
                self._flaky.add(query["key"])
            if first:
                request.close_connection = True
                return None
        return self._send(request, 200, {
            "method": request.command, "path": request.path, "query": query, "headers": headers,
            "body": body.decode("utf-8", "replace"), "claims": claims,
        }, {
            "content-language": "fr", "atproto-repo-rev": "3kfakerev", "atproto-content-labelers": "did:plc:labeler",
            "retry-after": "3", "x-upstream-private": "secret", "set-cookie": "upstream=1",
        })

    def _feed(self, request, query: dict) -> None:
        """`getFeed` as an AppView: the skeleton from the generator named in the feed's record (the caller's service JWT
        passed on to it), hydrated."""
        generator = self.records[query["feed"]]["did"]
        host = generator.removeprefix("did:web:").replace("%3A", ":")
        document = requests.get(f"http://{host}/.well-known/did.json", timeout=10).json()
        endpoint = next(service["serviceEndpoint"] for service in document["service"]
                        if service["id"] in ("#bsky_fg", f"{generator}#bsky_fg"))
        skeleton = requests.get(f"{endpoint}/xrpc/app.bsky.feed.getFeedSkeleton", params=query, timeout=10,
                                headers={"authorization": request.headers["authorization"]})
        if skeleton.status_code != 200:
            return self._send(request, skeleton.status_code, skeleton.json())
        feed = [{"post": {
            "uri": item["post"], "cid": FAKE_CID, "indexedAt": "2024-01-01T00:00:00.000Z",
            "author": {"did": item["post"].removeprefix("at://").split("/")[0], "handle": "author.test"},
            "record": {"$type": "app.bsky.feed.post", "text": "from the feed", "createdAt": "2024-01-01T00:00:00.000Z"},
        }} for item in skeleton.json()["feed"]]
        return self._send(request, 200, {"feed": feed})

    def _send(self, request, status: int, payload: dict, headers: dict | None = None, nsid: str | None = None) -> None:
        data = json.dumps(payload).encode()
        if nsid:
            with self._lock:
                self.sent[nsid] = data
        request.send_response(status)
        request.send_header("content-type", "application/json; charset=utf-8")
        request.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)

    @staticmethod
    def _stream(request, count: int) -> None:
        request.send_response(200)
        request.send_header("content-type", "application/octet-stream")
        request.send_header("content-length", str(count))
        request.end_headers()
        if request.command == "HEAD":
            return
        sent = 0
        try:
            while sent < count:
                chunk = PATTERN[: min(len(PATTERN), count - sent)]
                request.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            request.close_connection = True


def appview() -> FakeService:
    return FakeService("bsky_appview", "BskyAppView")


def feed_generator() -> FakeService:
    return FakeService("bsky_fg", "BskyFeedGenerator")


def push_service() -> FakeService:
    return FakeService("bsky_notif", "BskyNotificationService")


def chat_service() -> FakeService:
    return FakeService("bsky_chat", "BskyChatService")


def report_service() -> FakeService:
    return FakeService("atproto_labeler", "AtprotoLabeler")
