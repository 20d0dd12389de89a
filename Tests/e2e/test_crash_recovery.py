"""Crash consistency: concurrent writers on several accounts, the server killed with SIGKILL mid-writes and
restarted on the same data directory, a few times over. After every restart:

* every acknowledged write is there (the path holds its last acknowledged state, or the state of the one write
  that was in flight on that path when the server died);
* every repo exported by sync.getRepo verifies (signature, MST rebuilt from the records, record blocks);
* the firehose replayed from cursor 0 has gap-free, increasing seqs, every `#commit` inverts from its own blocks,
  `since` chains through `#commit`/`#sync`, and each repo's last announced rev is getLatestCommit's rev.

A crash rarely lands between an actor commit and its event, so the last cycle also breaks `sequencer.sqlite` (a
trigger that aborts inserts) before the kill: each account's first write then commits without its event and later
writes are refused, and the restart must announce every such commit with a `#sync`.

No timed assertions: only generous liveness timeouts."""
import random
import re
import sqlite3
import threading

import requests
from websockets.sync.client import connect

from pds_e2e import NO_RATE_LIMITS, bearer, create_account, start_server, stop_server
from repo_verify import RepoChain, decode_frame, invert_commit_frame, signing_key, verify_repo_car

COLLECTION = "com.example.crash"
ACCOUNTS = 3
WRITERS_PER_ACCOUNT = 2
KEYS_PER_WRITER = 5
CYCLES = 3
ACKS_BEFORE_KILL = 40
TIMEOUT = 30

ABSENT = ("absent",)


class Writer(threading.Thread):
    """Writes to its own record keys of one account until stopped or the server dies.

    `state` holds each owned path's last acknowledged state (`("cid", cid)` or `ABSENT`); `in_flight` the states
    the unacknowledged request would have left (`("text", text)` or `ABSENT`) when the connection broke."""

    def __init__(self, url: str, account: dict, name: str, state: dict, acked: list, seed: int):
        super().__init__(daemon=True)
        self.url, self.account, self.name = url, account, name
        self.state = state
        self.acked = acked  # shared: (uri, cid, rev) of every acknowledged write
        self.in_flight: dict[str, tuple] = {}
        self.unexpected: list[str] = []
        self.sequencer_broken = False
        self.refused = 0
        self.stop = threading.Event()
        self.random = random.Random(seed)
        self.counter = 0

    def text(self) -> str:
        self.counter += 1
        return f"{self.name}-{self.counter}-{self.random.random()}"

    def post(self, method: str, body: dict) -> dict | None:
        r = requests.post(f"{self.url}/xrpc/{method}", headers=bearer(self.account["accessJwt"]),
                          json={"repo": self.account["did"], **body}, timeout=TIMEOUT)
        if r.status_code != 200:
            if self.sequencer_broken and r.status_code == 500 and r.json()["error"] == "InternalServerError":
                self.refused += 1  # the actor waits for a working sequencer: nothing was written
            else:
                self.unexpected.append(f"{method}: {r.status_code} {r.text}")
            return None
        return r.json()

    def ack(self, path: str, cid: str | None, rev: str) -> None:
        self.state[path] = ("cid", cid) if cid else ABSENT
        self.acked.append((f"at://{self.account['did']}/{COLLECTION}/{path}", cid, rev))

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step(self.random.choice(sorted(self.state)))
            except requests.RequestException:
                return  # the server is gone; `in_flight` says what may have landed

    def step(self, rkey: str) -> None:
        record = {"$type": COLLECTION, "text": self.text()}
        if self.state[rkey] == ABSENT:
            self.in_flight = {rkey: ("text", record["text"])}
            if self.random.random() < 0.5:
                out = self.post("com.atproto.repo.createRecord",
                                {"collection": COLLECTION, "rkey": rkey, "record": record})
                if out:
                    self.ack(rkey, out["cid"], out["commit"]["rev"])
            else:
                out = self.post("com.atproto.repo.applyWrites", {"writes": [
                    {"$type": "com.atproto.repo.applyWrites#create", "collection": COLLECTION, "rkey": rkey,
                     "value": record}]})
                if out:
                    self.ack(rkey, out["results"][0]["cid"], out["commit"]["rev"])
        else:
            choice = self.random.random()
            if choice < 0.35:
                self.in_flight = {rkey: ("text", record["text"])}
                out = self.post("com.atproto.repo.putRecord",
                                {"collection": COLLECTION, "rkey": rkey, "record": record})
                if out:
                    self.ack(rkey, out["cid"], out["commit"]["rev"])
            elif choice < 0.6:
                self.in_flight = {rkey: ABSENT}
                out = self.post("com.atproto.repo.deleteRecord", {"collection": COLLECTION, "rkey": rkey})
                if out:
                    self.ack(rkey, None, out["commit"]["rev"])
            else:
                # one commit: update this path and delete (or create) another of ours
                other = self.random.choice(sorted(set(self.state) - {rkey}))
                writes = [{"$type": "com.atproto.repo.applyWrites#update", "collection": COLLECTION, "rkey": rkey,
                           "value": record}]
                self.in_flight = {rkey: ("text", record["text"])}
                other_record = {"$type": COLLECTION, "text": self.text()}
                if self.state[other] == ABSENT:
                    writes.append({"$type": "com.atproto.repo.applyWrites#create", "collection": COLLECTION,
                                   "rkey": other, "value": other_record})
                    self.in_flight[other] = ("text", other_record["text"])
                else:
                    writes.append({"$type": "com.atproto.repo.applyWrites#delete", "collection": COLLECTION,
                                   "rkey": other})
                    self.in_flight[other] = ABSENT
                out = self.post("com.atproto.repo.applyWrites", {"writes": writes})
                if out:
                    self.ack(rkey, out["results"][0]["cid"], out["commit"]["rev"])
                    self.ack(other, out["results"][1].get("cid"), out["commit"]["rev"])
        self.in_flight = {}


def check_acknowledged_writes(url: str, account: dict, states: dict, in_flight: dict) -> None:
    """Every owned path holds its last acknowledged state or its in-flight one; then `states` becomes what is
    there (the in-flight write either landed or did not)."""
    for rkey, acknowledged in states.items():
        r = requests.get(f"{url}/xrpc/com.atproto.repo.getRecord",
                         params={"repo": account["did"], "collection": COLLECTION, "rkey": rkey}, timeout=TIMEOUT)
        if r.status_code == 200:
            cid, text = r.json()["cid"], r.json()["value"]["text"]
            ok = acknowledged == ("cid", cid) or in_flight.get(rkey) == ("text", text)
            states[rkey] = ("cid", cid)
        else:
            assert r.status_code == 400 and r.json()["error"] == "RecordNotFound", r.text
            ok = acknowledged == ABSENT or in_flight.get(rkey) == ABSENT
            states[rkey] = ABSENT
        assert ok, f"{account['did']} {rkey}: acknowledged {acknowledged}, in flight {in_flight.get(rkey)}, " \
                   f"found {states[rkey]}"


def check_repos(url: str, accounts: list[dict], states: dict, acked: list) -> dict[str, str]:
    """Each repo's CAR verifies and holds exactly the expected records; returns each repo's latest rev."""
    latest = {}
    for account in accounts:
        did = account["did"]
        rev = requests.get(f"{url}/xrpc/com.atproto.sync.getLatestCommit", params={"did": did},
                           timeout=TIMEOUT).json()["rev"]
        car = requests.get(f"{url}/xrpc/com.atproto.sync.getRepo", params={"did": did}, timeout=TIMEOUT)
        assert car.status_code == 200, car.text
        commit, records = verify_repo_car(car.content, did, signing_key(url, did))
        assert commit["rev"] == rev
        expected = {f"{COLLECTION}/{rkey}": state[1] for rkey, state in states[did].items() if state != ABSENT}
        assert {path: cid.encode() for path, cid in records.items() if path.startswith(COLLECTION)} == expected
        assert all(ack_rev <= rev for uri, _, ack_rev in acked if uri.startswith(f"at://{did}/"))
        latest[did] = rev
    return latest


def check_firehose(url: str, marker: dict, latest: dict[str, str]) -> None:
    """Replays from cursor 0 up to a fresh marker commit: gap-free seqs, invertible commits, chained revs, and
    every repo's last announced rev equal to its latest commit."""
    r = requests.post(f"{url}/xrpc/com.atproto.repo.createRecord", headers=bearer(marker["accessJwt"]),
                      json={"repo": marker["did"], "collection": "com.example.marker", "record": {"n": 1}},
                      timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    until = (marker["did"], r.json()["commit"]["rev"])
    keys: dict[str, str] = {}
    chain = RepoChain()
    ws_url = url.replace("http://", "ws://") + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
    with connect(ws_url, open_timeout=TIMEOUT, max_size=None) as ws:
        while True:
            header, body = decode_frame(ws.recv(timeout=60))
            assert header["op"] == 1, body
            assert body["seq"] == chain.last_seq + 1, f"gap: {chain.last_seq} -> {body['seq']}"
            chain.add(header["t"], body)
            if header["t"] == "#commit":
                repo = body["repo"]
                if repo not in keys:
                    keys[repo] = signing_key(url, repo)
                invert_commit_frame(body, keys[repo])
                if (repo, body["rev"]) == until:
                    break
    for did, rev in latest.items():
        assert chain.last_rev.get(did) == rev, f"{did}: firehose ends at {chain.last_rev.get(did)}, repo at {rev}"


def break_sequencer(data_dir, broken: bool) -> None:
    """Adds (or drops) a trigger in `sequencer.sqlite` that aborts every insert: a real sequencer failure."""
    with sqlite3.connect(data_dir / "sequencer.sqlite", timeout=TIMEOUT) as db:
        if broken:
            db.execute("CREATE TRIGGER e2e_fault BEFORE INSERT ON repo_seq BEGIN SELECT RAISE(ABORT, 'e2e'); END")
        else:
            db.execute("DROP TRIGGER e2e_fault")


def test_kill_9_mid_writes_loses_nothing_acknowledged(tmp_path):
    server = start_server(tmp_path, NO_RATE_LIMITS)
    accounts = [create_account(server) for _ in range(ACCOUNTS)]
    marker = create_account(server)
    states = {a["did"]: {} for a in accounts}
    owners = {}
    for a in accounts:
        for w in range(WRITERS_PER_ACCOUNT):
            owned = {f"w{w}k{k}": ABSENT for k in range(KEYS_PER_WRITER)}
            states[a["did"]].update(owned)
            owners[(a["did"], w)] = list(owned)
    acked: list = []
    try:
        for cycle in range(CYCLES):
            broken = cycle == CYCLES - 1
            if broken:
                break_sequencer(tmp_path, True)
            writers = []
            for n, a in enumerate(accounts):
                for w in range(WRITERS_PER_ACCOUNT):
                    own = {k: states[a["did"]][k] for k in owners[(a["did"], w)]}
                    writer = Writer(server.url, a, f"c{cycle}a{n}w{w}", own, acked, seed=cycle * 100 + n * 10 + w)
                    writer.sequencer_broken = broken
                    writers.append(writer)
            start = len(acked)
            for writer in writers:
                writer.start()

            def ready() -> bool:
                if broken:  # every account has a commit without its event once its writers are refused
                    return all(w.refused > 0 for w in writers)
                return len(acked) - start >= ACKS_BEFORE_KILL

            for _ in range(1200):  # liveness: at most ~120 s for the writes before the kill
                if ready() or not any(w.is_alive() for w in writers):
                    break
                threading.Event().wait(0.1)
            threading.Event().wait(random.Random(cycle).random() * 0.3)
            server.process.kill()  # SIGKILL, mid-writes
            server.process.wait(TIMEOUT)
            for writer in writers:
                writer.join(TIMEOUT)
                assert not writer.is_alive()
                assert writer.unexpected == [], writer.unexpected
            assert ready()
            if broken:
                break_sequencer(tmp_path, False)

            server = start_server(tmp_path, NO_RATE_LIMITS)
            summaries = [re.search(r"recovery\.synced=(\d+)", line).group(1)
                         for line in (tmp_path / "server.log").read_text().splitlines()
                         if "Start-up reconcile done" in line]
            # Every start reconciled (a start retried on a port taken meanwhile logs its own summary first).
            assert len(summaries) >= cycle + 2
            if broken:
                assert int(summaries[-1]) == ACCOUNTS, summaries
            for writer in writers:
                check_acknowledged_writes(server.url, writer.account, writer.state, writer.in_flight)
                states[writer.account["did"]].update(writer.state)
            latest = check_repos(server.url, accounts, states, acked)
            check_firehose(server.url, marker, latest)
    finally:
        stop_server(server)
