#!/usr/bin/env python3
"""Writes the fuzzing seed corpora in Fuzz/corpus/<target>/ (committed; rerun to regenerate).

Seeds come from the atproto interop fixtures (../shared/interop or $ATPROTO_INTEROP, when present) and from small
hand-written protocol examples: records, a CAR file, signed PLC operations, XRPC request targets and WebSocket
frames. A minimal canonical DAG-CBOR encoder is included so that the CAR, PLC and frame seeds are well formed.
"""
import base64
import hashlib
import json
import os
import struct
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "corpus"
INTEROP = Path(os.environ.get("ATPROTO_INTEROP", ROOT.parent.parent / "shared" / "interop"))


class Link:
    """A CID link (tag 42) in a DAG-CBOR value."""

    def __init__(self, cid: bytes):
        self.cid = cid


def head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(value) -> bytes:
    """Canonical DAG-CBOR: shortest heads, map keys by length then bytes, links as tag 42."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, Link):
        return b"\xd8\x2a" + cbor(b"\x00" + value.cid)
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return head(5, len(keys)) + b"".join(cbor(k) + cbor(value[k]) for k in keys)
    raise TypeError(type(value))


def cid_for(data: bytes, codec: int = 0x71) -> bytes:
    return bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def cid_string(cid: bytes) -> str:
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def did_key(key: ec.EllipticCurvePrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    prefix = b"\xe7\x01" if isinstance(key.curve, ec.SECP256K1) else b"\x80\x24"
    return "did:key:z" + base58(prefix + public)


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> str:
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    order = {"secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
             "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551}[key.curve.name]
    if s > order // 2:
        s = order - s
    return base64.urlsafe_b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode().rstrip("=")


def signed(key, operation: dict) -> dict:
    return {**operation, "sig": sign(key, cbor(operation))}


def write(target: str, name: str, data: bytes) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


BLOB = {"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"},
        "mimeType": "image/png", "size": 12345}
POST_URI = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3jzfcijpj2z2a"
STRONG = {"uri": POST_URI, "cid": "bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q"}
NOW = "2026-12-03T09:00:00.000Z"
RECORDS = {
    "post": {"$type": "app.bsky.feed.post", "text": "hello @alice.test https://example.com #tag", "createdAt": NOW,
             "langs": ["en", "pt-BR"],
             "facets": [{"index": {"byteStart": 6, "byteEnd": 17},
                         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz"}]},
                        {"index": {"byteStart": 18, "byteEnd": 37},
                         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}]},
                        {"index": {"byteStart": 38, "byteEnd": 42},
                         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}]}]},
    "reply": {"$type": "app.bsky.feed.post", "text": "reply", "createdAt": NOW, "reply": {"root": STRONG, "parent": STRONG},
              "embed": {"$type": "app.bsky.embed.images", "images": [
                  {"image": BLOB, "alt": "a picture", "aspectRatio": {"width": 640, "height": 480}}]}},
    "quote": {"$type": "app.bsky.feed.post", "text": "quote", "createdAt": NOW,
              "embed": {"$type": "app.bsky.embed.recordWithMedia", "record": {"$type": "app.bsky.embed.record", "record": STRONG},
                        "media": {"$type": "app.bsky.embed.external", "external": {
                            "uri": "https://example.com", "title": "t", "description": "d", "thumb": BLOB}}},
              "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "nudity"}]}, "tags": ["a", "b"]},
    "profile": {"$type": "app.bsky.actor.profile", "displayName": "Alice", "description": "hi", "avatar": BLOB,
                "pinnedPost": STRONG, "createdAt": NOW},
    "like": {"$type": "app.bsky.feed.like", "subject": STRONG, "createdAt": NOW},
    "repost": {"$type": "app.bsky.feed.repost", "subject": STRONG, "createdAt": NOW},
    "follow": {"$type": "app.bsky.graph.follow", "subject": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "createdAt": NOW},
    "block": {"$type": "app.bsky.graph.block", "subject": "did:web:example.com", "createdAt": NOW},
    "list": {"$type": "app.bsky.graph.list", "purpose": "app.bsky.graph.defs#curatelist", "name": "friends",
             "description": "d", "createdAt": NOW},
    "listitem": {"$type": "app.bsky.graph.listitem", "subject": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
                 "list": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.graph.list/3jzfcijpj2z2a", "createdAt": NOW},
    "threadgate": {"$type": "app.bsky.feed.threadgate", "post": POST_URI, "createdAt": NOW,
                   "allow": [{"$type": "app.bsky.feed.threadgate#mentionRule"},
                             {"$type": "app.bsky.feed.threadgate#listRule", "list": POST_URI}]},
    "postgate": {"$type": "app.bsky.feed.postgate", "post": POST_URI, "createdAt": NOW, "detachedEmbeddingUris": [POST_URI],
                 "embeddingRules": [{"$type": "app.bsky.feed.postgate#disableRule"}]},
    "generator": {"$type": "app.bsky.feed.generator", "did": "did:web:feed.example.com", "displayName": "feed",
                  "createdAt": NOW},
    "starterpack": {"$type": "app.bsky.graph.starterpack", "name": "pack", "list": POST_URI, "createdAt": NOW,
                    "feeds": [{"uri": POST_URI}]},
    "invalid-post": {"$type": "app.bsky.feed.post", "text": 12, "createdAt": "yesterday"},
}


def to_lex(value):
    """JSON data model to a DAG-CBOR value: {"$link"} to links, {"$bytes"} to bytes."""
    if isinstance(value, dict):
        if set(value) == {"$link"}:
            raw = base64.b32decode(value["$link"][1:].upper() + "=" * (-len(value["$link"][1:]) % 8))
            return Link(raw)
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"] + "=" * (-len(value["$bytes"]) % 4))
        return {k: to_lex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_lex(v) for v in value]
    return value


def ws_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = b"\x12\x34\x56\x78") -> bytes:
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    masked = 0x80 if mask else 0
    if n < 126:
        length = bytes([masked | n])
    elif n < 1 << 16:
        length = bytes([masked | 126]) + struct.pack(">H", n)
    else:
        length = bytes([masked | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([first]) + length + mask + payload
    return bytes([first]) + length + payload


def main() -> None:
    # Records: lexicon and JSON seeds, and their DAG-CBOR for the CBOR seeds.
    for name, record in RECORDS.items():
        write("lexicon", f"{name}.json", json_bytes(record))
        write("json", f"record-{name}.json", json_bytes(record))
        write("cbor", f"record-{name}.cbor", cbor(to_lex(record)))

    # Interop data-model fixtures: JSON and CBOR pairs, valid and invalid JSON records.
    fixtures = INTEROP / "data-model" / "data-model-fixtures.json"
    if fixtures.exists():
        for i, case in enumerate(json.loads(fixtures.read_text())):
            write("json", f"interop-{i}.json", json_bytes(case["json"]))
            write("cbor", f"interop-{i}.cbor", base64.b64decode(case["cbor_base64"] + "=" * (-len(case["cbor_base64"]) % 4)))
    for kind in ("valid", "invalid"):
        path = INTEROP / "data-model" / f"data-model-{kind}.json"
        if path.exists():
            for i, case in enumerate(json.loads(path.read_text())):
                write("json", f"interop-{kind}-{i}.json", json_bytes(case["json"]))
    for text in (b'{"a":"\\ud83d\\ude00","b":-0,"c":1e3,"d":[[[]]],"e":"\\u0000"}', b' [1, 2.5, true, null] ',
                 b'{"a":{"$bytes":"nFERjvLLiw9qm45JrqH9QTzyC2Lu1Xb4ne6+sBrCzI0"}}', b'"\\/\\b\\f\\n\\r\\t"'):
        write("json", f"syntax-{len(text)}.json", text)

    # A CAR: a record block and a commit-like block pointing at it.
    record_block = cbor(to_lex(RECORDS["post"]))
    record_cid = cid_for(record_block)
    commit = {"did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "version": 3, "data": Link(record_cid), "rev": "3jzfcijpj2z2a",
              "prev": None, "sig": b"\x01" * 64}
    commit_block = cbor(commit)
    commit_cid = cid_for(commit_block)
    header = cbor({"version": 1, "roots": [Link(commit_cid)]})
    car = varint(len(header)) + header
    for cid, block in ((commit_cid, commit_block), (record_cid, record_block)):
        car += varint(len(cid) + len(block)) + cid + block
    raw = b"hello blob"
    raw_cid = cid_for(raw, 0x55)
    write("car", "repo.car", car)
    write("car", "repo-raw-block.car", car + varint(len(raw_cid) + len(raw)) + raw_cid + raw)
    write("car", "header-only.car", varint(len(header)) + header)
    write("cbor", "commit.cbor", commit_block)
    write("cbor", "car-header.cbor", header)

    # PLC operations, signed with fixed-seed keys so that the seeds are stable.
    rotation = ec.derive_private_key(0x1234567890ABCDEF, ec.SECP256K1())
    p256 = ec.derive_private_key(0xFEDCBA0987654321, ec.SECP256R1())
    genesis = signed(rotation, {
        "type": "plc_operation", "rotationKeys": [did_key(rotation), did_key(p256)],
        "verificationMethods": {"atproto": did_key(p256)}, "alsoKnownAs": ["at://alice.test"],
        "services": {"atproto_pds": {"type": "AtprotoPersonalDataServer", "endpoint": "https://pds.example.com"}},
        "prev": None})
    genesis_cid = cid_string(cid_for(cbor(genesis)))
    update = signed(p256, {**{k: v for k, v in genesis.items() if k != "sig"}, "alsoKnownAs": ["at://bob.test"],
                           "prev": genesis_cid})
    tombstone = signed(rotation, {"type": "plc_tombstone", "prev": genesis_cid})
    legacy = signed(rotation, {"type": "create", "signingKey": did_key(rotation), "recoveryKey": did_key(p256),
                               "handle": "alice.test", "service": "https://pds.example.com", "prev": None})
    for name, operation in (("genesis", genesis), ("update", update), ("tombstone", tombstone), ("legacy-create", legacy)):
        write("plc", f"{name}.json", json_bytes(operation))

    # XRPC request targets: queries with parameters of each lexicon type.
    targets = [
        "/xrpc/app.bsky.feed.getAuthorFeed?actor=alice.test&limit=50&filter=posts_with_replies&includePins=true",
        "/xrpc/com.atproto.repo.listRecords?repo=did:plc:ewvi7nxzyoun6zhxrhs64oiz&collection=app.bsky.feed.post&limit=10&reverse=false&cursor=3jzfcijpj2z2a",
        "/xrpc/com.atproto.repo.getRecord?repo=alice.test&collection=app.bsky.feed.post&rkey=3jzfcijpj2z2a&cid=bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q",
        "/xrpc/com.atproto.sync.getBlocks?did=did:plc:ewvi7nxzyoun6zhxrhs64oiz&cids=bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q&cids=bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy",
        "/xrpc/com.atproto.sync.listRepos?limit=1000&cursor=abc",
        "/xrpc/com.atproto.sync.getRepo?did=did%3Aplc%3Aewvi7nxzyoun6zhxrhs64oiz&since=3jzfcijpj2z2a",
        "/xrpc/com.atproto.sync.subscribeRepos?cursor=12345",
        "/xrpc/com.atproto.identity.resolveHandle?handle=alice.test",
        "/xrpc/app.bsky.feed.getPosts?uris=at%3A%2F%2Fdid%3Aplc%3Aewvi7nxzyoun6zhxrhs64oiz%2Fapp.bsky.feed.post%2F3jzfcijpj2z2a&uris=at://x.test/app.bsky.feed.post/1",
        "/xrpc/com.atproto.admin.getAccountInfos?dids=did:plc:a&dids=did:web:example.com",
        "/xrpc/com.atproto.server.getServiceAuth?aud=did:web:example.com&exp=1700000000&lxm=app.bsky.feed.getTimeline",
        "/xrpc/com.atproto.sync.getBlob?did=did:plc:ewvi7nxzyoun6zhxrhs64oiz&cid=bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy",
        "/xrpc/com.atproto.label.queryLabels?uriPatterns=*&sources=did:plc:a&limit=5",
        "/xrpc/app.bsky.actor.getPreferences",
        "/xrpc/com.atproto.server.describeServer/?",
    ]
    for i, target in enumerate(targets):
        write("xrpc-params", f"target-{i}.txt", target.encode())

    # WebSocket frames: subscription frames in binary messages (masked as clients send them), control frames,
    # fragments, and bare subscription frames.
    commit_frame = cbor({"op": 1, "t": "#commit"}) + cbor({"seq": 1, "repo": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
                                                            "commit": Link(commit_cid), "blocks": car, "ops": [],
                                                            "rev": "3jzfcijpj2z2a", "since": None, "time": NOW,
                                                            "tooBig": False, "blobs": [], "rebase": False})
    identity_frame = cbor({"op": 1, "t": "#identity"}) + cbor({"seq": 2, "did": "did:plc:a", "time": NOW})
    error_frame = cbor({"op": -1}) + cbor({"error": "FutureCursor", "message": "Cursor in the future."})
    for name, frame in (("commit", commit_frame), ("identity", identity_frame), ("error", error_frame)):
        write("websocket", f"{name}.frame", frame)
        write("websocket", f"{name}.masked.ws", ws_frame(2, frame))
    write("websocket", "commit.unmasked.ws", ws_frame(2, commit_frame, mask=None))
    write("websocket", "fragments.ws", ws_frame(2, identity_frame[:5], fin=False) + ws_frame(0, identity_frame[5:]))
    write("websocket", "control.ws", ws_frame(9, b"ping") + ws_frame(10, b"") + ws_frame(8, b"\x03\xe8bye"))
    write("websocket", "text.ws", ws_frame(1, "héllo".encode()))
    write("websocket", "long16.ws", ws_frame(2, bytes(300)))


if __name__ == "__main__":
    sys.exit(main())
