# conftest.py: fixtures that run the real buzon binary for tests/proto.
# SPDX-License-Identifier: MIT
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from buzon import LIVE, Server, buzon_bin  # noqa: E402

USERS = {
    "alice@example.test": "alice-secret",
    "bob@example.test": "bob-secret",
    "carol@other.test": "carol-secret",
}
LIST = "list@example.test"  # alias -> alice, bob


def pytest_configure(config):
    if not os.access(buzon_bin(), os.X_OK):
        pytest.exit(f"buzon binary not found at {buzon_bin()} "
                    "(set BUZON_BIN or run make build/asan/buzon)", 2)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in list(LIVE):
            text = srv.log_text()
            rep.sections.append((f"buzon log ({srv.name}, {srv.dir})",
                                 text[-8000:]))


def populate(srv):
    for addr, pw in USERS.items():
        srv.add_user(addr, pw)
    srv.cli("alias", "add", LIST, "alice@example.test", "bob@example.test")


def finish(srv):
    """Stop gracefully; a clean exit and a sanitizer-clean log are required."""
    if srv.proc is None:
        return
    rc = srv.stop()
    reports = srv.sanitizer_reports()
    assert rc == 0 and not reports, (
        f"buzon serve: exit {rc} on SIGTERM, sanitizer reports {reports}\n"
        + srv.log_text()[-8000:])


def make_server(tmp_path_factory, name, **kw):
    srv = Server(tmp_path_factory.mktemp(name), name=name, **kw)
    populate(srv)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    """A populated, running server shared by one test module."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    srv = make_server(tmp_path_factory, name)
    yield srv
    finish(srv)
