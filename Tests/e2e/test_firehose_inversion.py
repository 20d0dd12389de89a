"""The firehose is invertible (sync 1.1): a consumer subscribed from cursor 0 while the SDK and plain requests
create, update, delete and applyWrites checks every `#commit` frame with only the frame's own blocks: the commit is
signed by the account's key (from its DID document), every op's CID is in the new tree, undoing every op gives
exactly `prevData`, revs increase and `since` chains to the previous commit."""
import threading

import requests
from atproto import models
from websockets.sync.client import connect

from pds_e2e import bearer, sdk_client, start_server, stop_server
from repo_verify import RepoChain, decode_frame, invert_commit_frame, signing_key


class Consumer(threading.Thread):
    """Collects subscribeRepos frames from cursor 0 until told which (repo, rev) to stop after."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
        self.frames: list[tuple[dict, dict]] = []
        self.until: tuple[str, str] | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with connect(self.url, open_timeout=30, max_size=None) as ws:
                self.ready.set()
                commits = set()
                idle = 0.0
                while self.until not in commits:
                    try:
                        header, body = decode_frame(ws.recv(timeout=0.5))
                    except TimeoutError:
                        idle += 0.5
                        assert idle < 60, "no frame for 60 s"  # liveness only
                        continue
                    idle = 0.0
                    assert header["op"] == 1, body
                    self.frames.append((header, body))
                    if header["t"] == "#commit":
                        commits.add((body["repo"], body["rev"]))
        except BaseException as error:  # reported by the test
            self.error = error
            self.ready.set()


def test_every_commit_frame_inverts_to_prev_data(tmp_path):
    pds = start_server(tmp_path)
    try:
        consumer = Consumer(pds.url)
        consumer.start()
        assert consumer.ready.wait(30) and consumer.error is None, consumer.error

        client, did, _ = sdk_client(pds)
        other, other_did, _ = sdk_client(pds)
        token = client._session.access_jwt
        repo = client.com.atproto.repo

        posts = [client.send_post(f"post {n}", profile_identify=did) for n in range(6)]
        other.send_post("from the other account", profile_identify=other_did)
        # updates: putRecord of a profile (create, then update), and of an existing post
        for name in ("first", "second"):
            repo.put_record(models.ComAtprotoRepoPutRecord.Data(
                repo=did, collection="app.bsky.actor.profile", rkey="self",
                record={"$type": "app.bsky.actor.profile", "displayName": name}))
        rkey = posts[0].uri.rsplit("/", 1)[1]
        repo.put_record(models.ComAtprotoRepoPutRecord.Data(
            repo=did, collection="app.bsky.feed.post", rkey=rkey,
            record={"$type": "app.bsky.feed.post", "text": "edited", "createdAt": client.get_current_time_iso()}))
        # deletes
        client.delete_post(posts[1].uri)
        client.delete_post(posts[2].uri)
        # applyWrites mixing all three, with plain requests
        now = client.get_current_time_iso()
        r = requests.post(pds.xrpc("com.atproto.repo.applyWrites"), headers=bearer(token), json={
            "repo": did,
            "writes": [
                {"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post",
                 "value": {"$type": "app.bsky.feed.post", "text": f"batch {n}", "createdAt": now}}
                for n in range(5)
            ] + [
                {"$type": "com.atproto.repo.applyWrites#update", "collection": "app.bsky.feed.post",
                 "rkey": posts[3].uri.rsplit("/", 1)[1],
                 "value": {"$type": "app.bsky.feed.post", "text": "batch edit", "createdAt": now}},
                {"$type": "com.atproto.repo.applyWrites#delete", "collection": "app.bsky.feed.post",
                 "rkey": posts[4].uri.rsplit("/", 1)[1]},
            ],
        })
        assert r.status_code == 200, r.text
        # two records with the same content share a block; deleting one must still invert
        for rkey in ("twin-a", "twin-b"):
            r = requests.post(pds.xrpc("com.atproto.repo.createRecord"), headers=bearer(token), json={
                "repo": did, "collection": "com.example.twin", "rkey": rkey, "record": {"same": True}})
            assert r.status_code == 200, r.text
        r = requests.post(pds.xrpc("com.atproto.repo.deleteRecord"), headers=bearer(token), json={
            "repo": did, "collection": "com.example.twin", "rkey": "twin-a"})
        assert r.status_code == 200, r.text

        latest = requests.get(pds.xrpc("com.atproto.sync.getLatestCommit"), params={"did": did}).json()
        consumer.until = (did, latest["rev"])
        consumer.join(120)
        assert not consumer.is_alive(), "the consumer did not reach the last commit"
        assert consumer.error is None, repr(consumer.error)

        keys = {d: signing_key(pds.url, d) for d in (did, other_did)}
        chain = RepoChain()
        actions: dict[str, int] = {}
        commits = 0
        for header, body in consumer.frames:
            chain.add(header["t"], body)
            if header["t"] != "#commit":
                continue
            invert_commit_frame(body, keys[body["repo"]])
            commits += 1
            for op in body["ops"]:
                actions[op["action"]] = actions.get(op["action"], 0) + 1
        assert chain.last_rev[did] == latest["rev"]
        assert commits == 18  # 2 genesis + 16 writes
        assert actions.get("create", 0) >= 10 and actions.get("update", 0) >= 3 and actions.get("delete", 0) >= 4
    finally:
        stop_server(pds)
