"""The `pds` fixture: one real `pds` process for the session (the helpers are in pds_e2e.py)."""
import pytest

from pds_e2e import start_server, stop_server


@pytest.fixture(scope="session")
def pds(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("pds-data"))
    yield server
    stop_server(server)
