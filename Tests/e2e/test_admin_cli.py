"""The admin CLI (`pds account|invite|request-crawl`) as an operator runs it: the real binary, configured like the
server (an env file in the reference's pds.env format, or the PDS_* environment), against a running server. Every
command's table and --json output and exit status; the failures an operator meets (wrong admin password, server down,
unknown account) each one line on stderr; 250 accounts listed completely; a takedown enforced (SDK login and repo
reads refused, #account on the firehose) and reversed."""
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from atproto import Client
from atproto_client.exceptions import RequestErrorBase
from websockets.sync.client import connect

from pds_e2e import (
    NO_RATE_LIMITS, Relay, binary, create_account, free_port, invite, new_handle, start_server, stop_server,
    subscribe_repos_url,
)
from repo_verify import decode_frame


# MARK: - Running the CLI


def base_env() -> dict:
    """The environment without any PDS_* variable of the caller's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PDS_")}


def write_env_file(server, path: Path, **overrides) -> Path:
    """A pds.env for `server` in the reference installer's format (dev mode: the admin password is the generated
    one in <data>/dev-secrets.json unless PDS_ADMIN_PASSWORD is given)."""
    values = {
        "PDS_DEV_MODE": "true",
        "PDS_HOSTNAME": "localhost",
        "PDS_PORT": str(server.port),
        "PDS_DATA_DIRECTORY": str(server.data_dir),
    } | overrides
    path.write_text("# written by test_admin_cli\n" + "".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def run(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(binary()), *args], env=env if env is not None else base_env(), capture_output=True, text=True,
        timeout=300, input=stdin,
    )


class CLI:
    """`pds …` against one server, with its env file."""

    def __init__(self, server, env_file: Path):
        self.server = server
        self.env_file = env_file

    def __call__(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return run(*args, "--env-file", str(self.env_file), env=env)

    def ok(self, *args: str) -> str:
        """Runs a command that must succeed silently on stderr; its stdout."""
        result = self(*args)
        assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stderr}"
        assert result.stderr == "", result.stderr
        return result.stdout

    def json(self, *args: str):
        return json.loads(self.ok(*args, "--json"))


def table(text: str) -> list[list[str]]:
    """A table's rows (header included), split on runs of two or more spaces."""
    import re
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def record(text: str) -> dict:
    """A field/value table as a dict."""
    rows = table(text)
    assert rows[0] == ["FIELD", "VALUE"], rows
    return {row[0]: (row[1] if len(row) > 1 else "") for row in rows[1:]}


def one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == "", result.stdout
    return lines[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("pds-admin"), NO_RATE_LIMITS)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def cli(server, tmp_path_factory) -> CLI:
    return CLI(server, write_env_file(server, tmp_path_factory.mktemp("env") / "pds.env"))


# MARK: - Help


def test_help_groups_the_commands():
    result = run("--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SERVER SUBCOMMANDS:" in out and "ADMINISTRATION SUBCOMMANDS:" in out, out
    admin_section = out[out.index("ADMINISTRATION SUBCOMMANDS:"):]
    assert "serve (default)" in out[:out.index("ADMINISTRATION SUBCOMMANDS:")]
    for command in ["account", "invite", "request-crawl"]:
        assert f"  {command}" in admin_section, out
    account_help = run("account", "--help").stdout
    for command in ["list", "info", "create", "delete", "takedown", "untakedown", "reset-password", "set-handle",
                    "set-email", "migrate"]:
        assert f"  {command}" in account_help, account_help
    invite_help = run("invite", "--help").stdout
    for command in ["create", "list", "disable"]:
        assert f"  {command}" in invite_help, invite_help
    assert "--env-file" in run("account", "list", "--help").stdout


# MARK: - Accounts


def test_account_create_and_info(cli, server):
    out = cli.ok("account", "create", "Ada@Example.com", "ada")
    fields = record(out.split("Save this password")[0])
    assert fields["Handle"] == "ada.test"
    assert fields["DID"].startswith("did:plc:")
    assert len(fields["Password"]) == 24
    assert "Save this password" in out
    Client(base_url=server.url).login("ada.test", fields["Password"])

    created = cli.json("account", "create", "bea@example.com", "bea.test", "--password", "bea-password-123")
    assert set(created) == {"did", "handle", "email", "password"}
    assert created["handle"] == "bea.test" and created["password"] == "bea-password-123"

    info = record(cli.ok("account", "info", "ada.test"))
    assert info["DID"] == fields["DID"] and info["Handle"] == "ada.test"
    assert info["Email"] == "ada@example.com" and info["Status"] == "active"
    assert info["Email confirmed"] == "no" and info["Invites disabled"] == "no"
    assert info["Invited with"] != ""
    by_did = cli.json("account", "info", created["did"])
    assert by_did["did"] == created["did"] and by_did["handle"] == "bea.test"
    assert by_did["status"] == "active" and by_did["invitesDisabled"] is False
    assert by_did["invitedBy"]["uses"][0]["usedBy"] == created["did"]
    assert cli.json("account", "info", "@BEA.test")["did"] == created["did"]


def test_account_create_without_required_invites(tmp_path):
    """Where invite codes are not required, none is made (and left unused)."""
    (tmp_path / "data").mkdir()
    server = start_server(tmp_path / "data", {"PDS_INVITE_REQUIRED": "false"})
    try:
        cli = CLI(server, write_env_file(server, tmp_path / "pds.env"))
        created = cli.json("account", "create", "cyd@example.com", "cyd")
        assert created["handle"] == "cyd.test"
        assert cli.json("invite", "list") == []
        assert "invitedBy" not in cli.json("account", "info", "cyd.test")
    finally:
        stop_server(server)


def test_account_list_table_and_json(cli, server):
    account = create_account(server)
    rows = table(cli.ok("account", "list"))
    assert rows[0] == ["HANDLE", "EMAIL", "DID", "STATUS", "CREATED"]
    mine = [row for row in rows if row[2] == account["did"]]
    assert mine == [[account["handle"], f"{account['handle']}@example.com", account["did"], "active", mine[0][4]]]
    listed = cli.json("account", "list")
    entry = next(item for item in listed if item["did"] == account["did"])
    assert entry["handle"] == account["handle"] and entry["status"] == "active"
    assert {"did", "handle", "email", "indexedAt", "invites", "invitesDisabled"} <= set(entry)
    assert len(listed) == len(rows) - 1


def test_reset_password(cli, server):
    account = create_account(server, password="old-password-123")
    out = cli.ok("account", "reset-password", account["handle"])
    fields = record(out.split("Save this password")[0])
    assert fields["DID"] == account["did"] and len(fields["Password"]) == 24
    with pytest.raises(RequestErrorBase):
        Client(base_url=server.url).login(account["handle"], "old-password-123")
    Client(base_url=server.url).login(account["handle"], fields["Password"])
    # The old session is revoked, as the reference.
    refreshed = requests.post(
        server.xrpc("com.atproto.server.refreshSession"), headers={"Authorization": f"Bearer {account['refreshJwt']}"})
    assert refreshed.status_code == 400, refreshed.text

    again = cli.json("account", "reset-password", account["did"])
    assert again["did"] == account["did"] and again["handle"] == account["handle"]
    Client(base_url=server.url).login(account["handle"], again["password"])


def test_set_handle_and_email(cli, server):
    account = create_account(server)
    new = new_handle()
    fields = record(cli.ok("account", "set-handle", account["did"], new))
    assert fields == {"DID": account["did"], "Handle": new}
    # Reserved names are the admin's to give.
    assert cli.json("account", "set-handle", new, "support.test") == {"did": account["did"], "handle": "support.test"}
    assert requests.get(server.xrpc("com.atproto.identity.resolveHandle"), params={"handle": "support.test"}).json() \
        == {"did": account["did"]}

    fields = record(cli.ok("account", "set-email", "support.test", "Support@Example.org"))
    assert fields["Email"] == "support@example.org"
    assert cli.json("account", "set-email", account["did"], "help@example.org")["email"] == "help@example.org"
    assert cli.json("account", "info", account["did"])["email"] == "help@example.org"


def test_takedown_is_enforced_and_reversed(cli, server):
    handle = new_handle()
    password = "correct horse battery staple"
    account = create_account(server, handle=handle, password=password)
    did = account["did"]

    fields = record(cli.ok("account", "takedown", handle, "--ref", "abuse-42"))
    assert fields["Status"] == "takendown" and fields["Takedown ref"] == "abuse-42"
    assert cli.json("account", "info", did)["status"] == "takendown"
    with pytest.raises(RequestErrorBase) as refused:
        Client(base_url=server.url).login(handle, password)
    assert refused.value.response.content.error == "AccountTakedown"
    for method in ["com.atproto.sync.getLatestCommit", "com.atproto.sync.getRepo"]:
        read = requests.get(server.xrpc(method), params={"did": did})
        assert read.status_code == 400 and read.json()["error"] == "RepoTakendown", (method, read.text)
    listed = next(item for item in cli.json("account", "list") if item["did"] == did)
    assert listed["status"] == "takendown"

    output = cli.json("account", "untakedown", did)
    assert output["takedown"] == {"applied": False}
    assert output["subject"] == {"$type": "com.atproto.admin.defs#repoRef", "did": did}
    Client(base_url=server.url).login(handle, password)
    assert requests.get(server.xrpc("com.atproto.sync.getLatestCommit"), params={"did": did}).status_code == 200

    # The firehose carried both changes.
    statuses = []
    with connect(subscribe_repos_url(server, "?cursor=0"), open_timeout=10) as ws:
        while len(statuses) < 3:
            header, body = decode_frame(ws.recv(timeout=20))
            if header.get("t") == "#account" and body["did"] == did:
                statuses.append((body["active"], body.get("status")))
    assert statuses == [(True, None), (False, "takendown"), (True, None)]


def test_account_delete_names_the_missing_method_or_deletes(cli, server):
    account = create_account(server)
    refused = cli("account", "delete", account["did"])  # no terminal, no --yes
    assert refused.returncode == 64
    assert "without --yes" in one_error_line(refused)
    result = cli("account", "delete", account["did"], "--yes")
    if result.returncode == 0:  # once com.atproto.admin.deleteAccount is served
        assert account["did"] in result.stdout
        gone = cli("account", "info", account["did"])
        assert gone.returncode == 1
    else:
        line = one_error_line(result)
        assert result.returncode == 1
        assert line == f"error: http://localhost:{server.port} does not implement com.atproto.admin.deleteAccount " \
                       "yet (MethodNotImplemented)", line


# MARK: - Invites


def test_invites(cli, server):
    rows = table(cli.ok("invite", "create", "--uses", "3", "--count", "2"))
    assert rows[0] == ["CODE", "USES", "FOR"]
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 2 and all(row[1:] == ["3", "admin"] for row in rows[1:])
    created = cli.json("invite", "create")
    assert len(created) == 1 and created[0]["available"] == 1 and created[0]["forAccount"] == "admin"

    account = create_account(server, code=codes[0])
    listed = {code["code"]: code for code in cli.json("invite", "list")}
    assert listed[codes[0]]["available"] == 3
    assert [use["usedBy"] for use in listed[codes[0]]["uses"]] == [account["did"]]
    assert listed[codes[1]]["uses"] == [] and listed[created[0]["code"]]["disabled"] is False
    by_usage = cli.json("invite", "list", "--sort", "usage")
    assert len(by_usage) == len(listed)
    assert len(by_usage[0]["uses"]) >= 1

    assert cli.json("invite", "disable", codes[1]) == {"codes": [codes[1]], "accounts": []}
    table_rows = {row[0]: row for row in table(cli.ok("invite", "list"))[1:]}
    assert table_rows[codes[0]][1:3] == ["1/3", "usable"]
    assert table_rows[codes[1]][1:3] == ["0/3", "disabled"]
    refused = requests.post(
        server.xrpc("com.atproto.server.createAccount"),
        json={"handle": new_handle(), "email": "x@example.com", "password": "password-123", "inviteCode": codes[1]})
    assert refused.json()["error"] == "InvalidInviteCode"

    usage = cli("invite", "create", "--uses", "0")
    assert usage.returncode == 64 and "--uses must be at least 1" in usage.stderr


# MARK: - request-crawl


def test_request_crawl(server, tmp_path):
    relays = [Relay(), Relay()]
    try:
        env_file = write_env_file(
            server, tmp_path / "pds.env", PDS_HOSTNAME="pds.example.com",
            PDS_CRAWLERS=",".join(relay.url for relay in relays))
        cli = CLI(server, env_file)
        rows = table(cli.ok("request-crawl"))
        assert rows == [["RELAY", "RESULT"]] + [[relay.url, "ok"] for relay in relays]
        for relay in relays:
            assert relay.requests == [
                ("/xrpc/com.atproto.sync.requestCrawl", "application/json", b'{"hostname":"pds.example.com"}')]

        closed = f"http://127.0.0.1:{free_port()}"
        result = cli("request-crawl", relays[0].url, closed, "--json")
        assert result.returncode == 1
        outcome = json.loads(result.stdout)
        assert outcome[0] == {"host": relays[0].url, "ok": True}
        assert outcome[1]["ok"] is False and "connection refused" in outcome[1]["error"]
        assert result.stderr.splitlines() == [f"error: 1 of 2 relays did not accept the request: {closed}"]
        assert len(relays[0].requests) == 2
    finally:
        for relay in relays:
            relay.close()


# MARK: - Failures


def test_wrong_admin_password(cli, server, tmp_path):
    wrong = CLI(server, write_env_file(server, tmp_path / "pds.env", PDS_ADMIN_PASSWORD="not-the-password"))
    for args in [("account", "list"), ("account", "info", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"), ("invite", "list"),
                 ("invite", "create")]:
        result = wrong(*args)
        assert result.returncode == 77, (args, result.stderr)
        assert one_error_line(result).startswith(f"error: admin password rejected by http://localhost:{server.port}")


def test_server_down(cli, server):
    closed = f"http://127.0.0.1:{free_port()}"
    for args in [("account", "list"), ("invite", "list", "--json")]:
        result = cli(*args, "--url", closed)
        assert result.returncode == 69, result.stderr
        assert one_error_line(result) == f"error: cannot reach the PDS at {closed}: connection refused"


def test_unknown_accounts_are_named(cli, server):
    for name, message in [
        ("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", f"error: no account did:plc:aaaaaaaaaaaaaaaaaaaaaaaa on http://localhost:{server.port}"),
        ("nobody.test", f"error: no account with handle nobody.test on http://localhost:{server.port}"),
    ]:
        for args in [("account", "info", name), ("account", "takedown", name), ("account", "reset-password", name),
                     ("account", "set-email", name, "x@example.com")]:
            result = cli(*args)
            assert result.returncode == 1, (args, result.stderr)
            assert one_error_line(result) == message
    bad = cli("account", "info", "not a name")
    assert bad.returncode == 64 and one_error_line(bad) == "error: 'not a name' is neither a DID nor a handle"


def test_configuration_problems(server, tmp_path):
    missing = run("account", "list", "--env-file", str(tmp_path / "absent.env"))
    assert missing.returncode == 78
    assert one_error_line(missing) == f"error: env file {tmp_path / 'absent.env'}: no such file"
    broken = tmp_path / "broken.env"
    broken.write_text("PDS_PORT=1\nthis is not a variable\n")
    result = run("account", "list", "--env-file", str(broken))
    assert result.returncode == 78 and one_error_line(result) == f"error: env file {broken}, line 2: expected KEY=VALUE"
    # No password anywhere: not in the environment, no dev-secrets.json in an empty data directory.
    empty = tmp_path / "empty-data"
    empty.mkdir()
    env = base_env() | {"PDS_DEV_MODE": "true", "PDS_PORT": str(server.port), "PDS_DATA_DIRECTORY": str(empty)}
    result = run("account", "list", env=env)
    assert result.returncode == 78
    assert one_error_line(result) == "error: no admin password: set PDS_ADMIN_PASSWORD (or pass --env-file pds.env)"
    assert not (empty / "dev-secrets.json").exists()


def test_the_environment_alone_configures_the_cli(server):
    """Without --env-file: the PDS_* environment, as `pds serve` reads it (PDS_ENV_FILE names a file too)."""
    env = base_env() | {
        "PDS_DEV_MODE": "true", "PDS_PORT": str(server.port), "PDS_DATA_DIRECTORY": str(server.data_dir),
        "PDS_ADMIN_PASSWORD": server.dev_secrets()["adminPassword"],
    }
    result = run("invite", "list", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


# MARK: - A complete list


def test_250_accounts_are_listed_completely(tmp_path):
    (tmp_path / "data").mkdir()
    server = start_server(tmp_path / "data", NO_RATE_LIMITS)
    try:
        cli = CLI(server, write_env_file(server, tmp_path / "pds.env"))
        code = invite(server, uses=250)
        with ThreadPoolExecutor(max_workers=4) as pool:
            created = list(pool.map(lambda i: create_account(server, handle=f"user{i:03d}.test", code=code),
                                    range(250)))
        dids = {account["did"] for account in created}
        assert len(dids) == 250

        listed = cli.json("account", "list")
        assert len(listed) == 250
        assert {item["did"] for item in listed} == dids
        assert {item["handle"] for item in listed} == {f"user{i:03d}.test" for i in range(250)}

        out = cli.ok("account", "list")
        rows = table(out)
        assert len(rows) == 251 and {row[2] for row in rows[1:]} == dids
        # A sample of the output for people, kept next to the data for the report.
        (tmp_path / "account-list.txt").write_text(out)
        sample = os.environ.get("PDS_ADMIN_CLI_SAMPLE")
        if sample:
            Path(sample).write_text("$ pds account list --env-file pds.env\n" + "\n".join(out.splitlines()[:8]) +
                                    f"\n… ({len(rows) - 1} accounts)\n")
    finally:
        stop_server(server)
