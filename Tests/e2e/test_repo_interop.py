"""A repo CAR written by the Swift code must verify with independent Python tooling.

`repo-fixture` (Sources/repo-fixture) writes a deterministic repository (creates, updates and deletes over several
commits) as a CAR plus a JSON summary. This test reads it with `atmst` (MST walk and rebuild) and `cbrrr`
(DAG-CBOR), and checks the commit signature with `cryptography` (secp256k1, low-S).
"""
import hashlib
import json
import random
import subprocess

import pytest
from atmst.blockstore import MemoryBlockStore
from atmst.blockstore.car_file import ReadOnlyCARBlockStore
from atmst.mst.node import MSTNode
from atmst.mst.node_store import NodeStore
from atmst.mst.node_walker import NodeWalker
from atmst.mst.node_wrangler import NodeWrangler
from cbrrr import CID, decode_dag_cbor, encode_dag_cbor
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from pds_e2e import ROOT, bin_dir
from repo_verify import SECP256K1_ORDER, secp256k1_key


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    binary = bin_dir() / "repo-fixture"
    if not binary.exists():
        subprocess.run(["swift", "build", "--product", "repo-fixture"], cwd=ROOT, check=True)
    out = tmp_path_factory.mktemp("repo")
    subprocess.run([str(binary), str(out)], check=True, capture_output=True)
    summary = json.loads((out / "repo.json").read_text())
    return out / "repo.car", summary


def test_car_blocks_and_commit(fixture):
    car_path, summary = fixture
    with open(car_path, "rb") as f:
        bs = ReadOnlyCARBlockStore(f)  # validate_hashes=True
        assert bs.car_root.encode("base32") == summary["commit"]
        # every block hashes to its CID, and decodes/re-encodes canonically
        for key in bs.block_offsets:
            data = bs.get_block(key)
            assert encode_dag_cbor(decode_dag_cbor(data)) == data
        commit_bytes = bs.get_block(bytes(bs.car_root))
    # the commit is the first block and no block repeats
    raw = car_path.read_bytes()
    commit = decode_dag_cbor(commit_bytes)
    assert set(commit) == {"did", "version", "data", "rev", "prev", "sig"}
    assert commit["did"] == summary["did"]
    assert commit["version"] == 3
    assert commit["prev"] is None
    assert commit["rev"] == summary["rev"]
    assert commit["data"].encode("base32") == summary["data"]
    assert raw.find(bytes(bs.car_root)) < raw.find(bytes(commit["data"]))

    # signature: ECDSA secp256k1 over sha256(DAG-CBOR of the unsigned commit), compact r||s, low-S
    unsigned = {k: v for k, v in commit.items() if k != "sig"}
    sig = commit["sig"]
    assert len(sig) == 64
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    assert s <= SECP256K1_ORDER // 2, "signature must be low-S"
    key = secp256k1_key(summary["signingKey"])
    key.verify(encode_dss_signature(r, s), encode_dag_cbor(unsigned), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        tampered = dict(unsigned, rev="2222222222222")
        key.verify(encode_dss_signature(r, s), encode_dag_cbor(tampered), ec.ECDSA(hashes.SHA256()))


def test_mst_walk_matches(fixture):
    car_path, summary = fixture
    with open(car_path, "rb") as f:
        bs = ReadOnlyCARBlockStore(f)
        commit = decode_dag_cbor(bs.get_block(bytes(bs.car_root)))
        ns = NodeStore(bs)
        walked = {k: v.encode("base32") for k, v in NodeWalker(ns, commit["data"]).iter_kv()}
        assert walked == summary["records"]
        assert len(walked) > 300
        # every node keeps keys at the layer their hash gives, sorted
        for node in NodeWalker(ns, commit["data"]).iter_nodes():
            heights = {MSTNode.key_height(k) for k in node.keys}
            assert len(heights) <= 1
            assert list(node.keys) == sorted(node.keys)
        # every record is present, and hashes to its CID
        for cid in walked.values():
            data = bs.get_block(bytes(CID.decode(cid)))
            assert hashlib.sha256(data).digest() == bytes(CID.decode(cid))[4:]


def test_mst_rebuilt_by_atmst_has_same_root(fixture):
    _, summary = fixture
    items = list(summary["records"].items())
    random.Random(5).shuffle(items)
    ns = NodeStore(MemoryBlockStore())
    wrangler = NodeWrangler(ns)
    root = ns.get_node(None).cid
    for key, cid in items:
        root = wrangler.put_record(root, key, CID.decode(cid))
    assert root.encode("base32") == summary["data"]
