"""Independent checks of what the PDS serves, with `atmst` (MST), `cbrrr` (DAG-CBOR) and `cryptography`
(secp256k1): commit signatures, whole-repo CARs, and firehose `#commit` frames inverted from their own blocks."""
import io

import cbrrr
import requests
from atmst.blockstore import MemoryBlockStore
from atmst.blockstore.car_file import ReadOnlyCARBlockStore
from atmst.mst.node_store import NodeStore
from atmst.mst.node_walker import NodeWalker
from atmst.mst.node_wrangler import NodeWrangler
from cbrrr import CID, decode_dag_cbor, encode_dag_cbor
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    n = 0
    for ch in text:
        n = n * 58 + B58.index(ch)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def secp256k1_key(did_key: str) -> ec.EllipticCurvePublicKey:
    """The public key of a secp256k1 `did:key`."""
    assert did_key.startswith("did:key:z")
    raw = _b58decode(did_key[len("did:key:z"):])
    assert raw[:2] == b"\xe7\x01", "expected a secp256k1-pub multicodec"
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), raw[2:])


def verify_commit_signature(commit: dict, did_key: str) -> None:
    """ECDSA secp256k1 over sha256(DAG-CBOR of the unsigned commit), compact r||s, low-S; raises if invalid."""
    unsigned = {k: v for k, v in commit.items() if k != "sig"}
    sig = commit["sig"]
    assert len(sig) == 64
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    assert s <= SECP256K1_ORDER // 2, "signature must be low-S"
    secp256k1_key(did_key).verify(encode_dss_signature(r, s), encode_dag_cbor(unsigned), ec.ECDSA(hashes.SHA256()))


def signing_key(pds_url: str, did: str) -> str:
    """The account's `#atproto` signing key as a did:key, from the DID document describeRepo returns."""
    r = requests.get(f"{pds_url}/xrpc/com.atproto.repo.describeRepo", params={"repo": did}, timeout=30)
    assert r.status_code == 200, r.text
    methods = r.json()["didDoc"]["verificationMethod"]
    method = next(m for m in methods if m["id"].endswith("#atproto"))
    return "did:key:" + method["publicKeyMultibase"]


def car_blocks(car: bytes) -> tuple[CID, dict[bytes, bytes]]:
    """The root and every block of a CAR; each block's hash is checked against its CID."""
    store = ReadOnlyCARBlockStore(io.BytesIO(car))  # validate_hashes=True
    return store.car_root, {key: store.get_block(key) for key in store.block_offsets}


def verify_repo_car(car: bytes, did: str, did_key: str) -> tuple[dict, dict[str, CID]]:
    """A whole repo (sync.getRepo): signed commit, every record reachable with its block, and the MST rebuilt from
    the records alone has the commit's `data` root. Returns the commit and the records (path → CID)."""
    root, blocks = car_blocks(car)
    commit = decode_dag_cbor(blocks[bytes(root)])
    assert commit["did"] == did and commit["version"] == 3
    verify_commit_signature(commit, did_key)
    records = dict(NodeWalker(NodeStore(MemoryBlockStore(dict(blocks))), commit["data"]).iter_kv())
    for path, cid in records.items():
        assert bytes(cid) in blocks, f"record block missing: {path}"
    ns = NodeStore(MemoryBlockStore())
    rebuilt = ns.get_node(None).cid
    wrangler = NodeWrangler(ns)
    for path, cid in records.items():
        rebuilt = wrangler.put_record(rebuilt, path, cid)
    assert rebuilt == commit["data"], "the MST rebuilt from the records has another root"
    return commit, records


def invert_commit_frame(body: dict, did_key: str) -> None:
    """Checks a `#commit` frame with nothing but its own `blocks` CAR: the commit is signed by `did_key` and
    matches the frame; every op's `cid` is in the tree at `data`; undoing every op (create → delete the key,
    update and delete → put `prev` back) gives exactly `prevData`."""
    root, blocks = car_blocks(body["blocks"])
    assert root == body["commit"]
    commit = decode_dag_cbor(blocks[bytes(root)])
    assert commit["did"] == body["repo"] and commit["rev"] == body["rev"]
    verify_commit_signature(commit, did_key)
    if body.get("prevData") is None:  # a genesis commit: nothing to invert
        assert body["since"] is None
        return
    ns = NodeStore(MemoryBlockStore(dict(blocks)))
    tree = commit["data"]
    for op in body["ops"]:
        found = NodeWalker(ns, tree).find_rpath(op["path"])
        if op["action"] in ("create", "update"):
            assert op["cid"] is not None and found == op["cid"], op
            assert bytes(op["cid"]) in blocks, f"record block missing for {op}"
        else:
            assert op["action"] == "delete" and op["cid"] is None and found is None, op
        if op["action"] in ("update", "delete"):
            assert op.get("prev") is not None, f"sync 1.1 needs prev: {op}"
    wrangler = NodeWrangler(ns)
    for op in body["ops"]:
        if op["action"] == "create":
            tree = wrangler.del_record(tree, op["path"])
        else:
            tree = wrangler.put_record(tree, op["path"], op["prev"])
    assert tree == body["prevData"], f"inverted root differs from prevData at rev {body['rev']}"


def decode_frame(frame: bytes) -> tuple[dict, dict]:
    """A subscribeRepos message: the header and the body."""
    header, body = cbrrr.decode_multi_dag_cbor_in_violation_of_the_spec(frame)
    return header, body


class RepoChain:
    """Per-repo ordering of `#commit`/`#sync` frames: revs never go backwards, each `#commit`'s `since` is the rev
    last announced for the repo (a `#sync` re-bases the chain), and seqs are strictly increasing overall."""

    def __init__(self) -> None:
        self.last_rev: dict[str, str] = {}
        self.last_seq = 0

    def add(self, kind: str, body: dict) -> None:
        assert body["seq"] > self.last_seq, f"seq went from {self.last_seq} to {body['seq']}"
        self.last_seq = body["seq"]
        if kind == "#commit":
            repo = body["repo"]
            assert body["since"] == self.last_rev.get(repo), (repo, body["since"], self.last_rev.get(repo))
            assert repo not in self.last_rev or body["rev"] > self.last_rev[repo]
            self.last_rev[repo] = body["rev"]
        elif kind == "#sync":
            did = body["did"]
            assert did not in self.last_rev or body["rev"] >= self.last_rev[did]
            self.last_rev[did] = body["rev"]
