"""Signed did:plc operations for tests and benchmarks, made here (not by the PDS): secp256k1 rotation keys with the
`cryptography` package, DAG-CBOR with cbrrr. An operation is signed over the DAG-CBOR of its unsigned form (low-S
ECDSA, compact r||s, base64url without padding); its CID is CIDv1 dag-cbor sha2-256 of the signed form; a DID is
`did:plc:` and the first 24 base32 characters of the SHA-256 of the signed genesis operation."""
import base64
import hashlib

import cbrrr
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, remainder = divmod(number, 58)
        out = B58[remainder] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


class Key:
    """A secp256k1 rotation key."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256K1())
        compressed = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        self.did = "did:key:z" + base58btc(bytes([0xE7, 0x01]) + compressed)

    def sign(self, data: bytes) -> str:
        r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
        if s > SECP256K1_N // 2:
            s = SECP256K1_N - s
        return base64.urlsafe_b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode().rstrip("=")


def cid_of(operation: dict) -> str:
    digest = hashlib.sha256(cbrrr.encode_dag_cbor(operation)).digest()
    return "b" + b32(bytes([0x01, 0x71, 0x12, 0x20]) + digest)


def signed(unsigned: dict, key: Key) -> dict:
    return {**unsigned, "sig": key.sign(cbrrr.encode_dag_cbor(unsigned))}


def update(rotation: list[Key], handle: str, prev: str | None, signer: Key, pds: str = "https://pds.test") -> dict:
    """A signed `plc_operation` (genesis when `prev` is None)."""
    return signed({
        "type": "plc_operation",
        "rotationKeys": [k.did for k in rotation],
        "verificationMethods": {"atproto": rotation[-1].did},
        "alsoKnownAs": [f"at://{handle}"],
        "services": {"atproto_pds": {"type": "AtprotoPersonalDataServer", "endpoint": pds}},
        "prev": prev,
    }, signer)


def tombstone(prev: str, signer: Key) -> dict:
    return signed({"type": "plc_tombstone", "prev": prev}, signer)


def did_of(genesis: dict) -> str:
    return "did:plc:" + b32(hashlib.sha256(cbrrr.encode_dag_cbor(genesis)).digest())[:24]


_POOL: list[Key] = []


def key_pool(index: int) -> Key:
    """One of 16 shared keys (generating two keys per DID would dominate a large run; DIDs differ by handle)."""
    while len(_POOL) < 16:
        _POOL.append(Key())
    return _POOL[index % 16]


def scenario(index: int, domain: str = "test") -> tuple[str, list[dict]]:
    """One DID's history of four operations, by `index % 5`: 0-2 three handle updates; 3 an update by the second
    rotation key that the first (higher-priority) key then nullifies with a recovery, and an update after it;
    4 two updates and a tombstone. Returns the DID and its operations in submission order."""
    recovery, rotation = key_pool(index), key_pool(index + 7)
    keys = [recovery, rotation]
    genesis = update(keys, f"u{index}.{domain}", None, rotation)
    did = did_of(genesis)
    ops = [genesis]
    kind = index % 5
    if kind <= 2:
        for step in range(3):
            ops.append(update(keys, f"u{index}-{step}.{domain}", cid_of(ops[-1]), rotation))
    elif kind == 3:
        hijack = update([rotation], f"hijack{index}.{domain}", cid_of(genesis), rotation)
        recover = update(keys, f"r{index}.{domain}", cid_of(genesis), recovery)
        ops += [hijack, recover, update(keys, f"r{index}-2.{domain}", cid_of(recover), rotation)]
    else:
        for step in range(2):
            ops.append(update(keys, f"u{index}-{step}.{domain}", cid_of(ops[-1]), rotation))
        ops.append(tombstone(cid_of(ops[-1]), rotation))
    return did, ops
