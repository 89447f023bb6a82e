# test_swaks.py: a real client (swaks) against the MX and submission ports.
# SPDX-License-Identifier: MIT
import subprocess
import uuid

import pytest

from conftest import USERS


def swaks(*args):
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--timeout", "15",
                        "--helo", "swaks.example.net"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def mine(server, addr, marker):
    return [m for _, m in server.export(addr) if marker.encode() in m]


@pytest.mark.parametrize("extra", [[], ["--pipeline"], ["--tls"]],
                         ids=["plain", "pipeline", "starttls"])
def test_swaks_mx(server, extra):
    marker = uuid.uuid4().hex
    rc, out = swaks("--port", str(server.smtp_port), "--from", "s@remote.test",
                    "--to", "alice@example.test", "--header", f"Subject: swaks {marker}",
                    "--body", f"body {marker}", *extra)
    assert rc == 0, out
    got = mine(server, "alice@example.test", marker)
    assert len(got) == 1, out
    assert got[0].startswith(b"Return-Path: <s@remote.test>\nReceived: from swaks.example.net ")


@pytest.mark.parametrize("mode", ["starttls", "tlsc"])
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_submission(server, mode, mech):
    marker = uuid.uuid4().hex
    port = server.sub_port if mode == "starttls" else server.subs_port
    tls = ["--tls"] if mode == "starttls" else ["--tlsc"]
    rc, out = swaks("--port", str(port), *tls, "--auth", mech,
                    "--auth-user", "alice@example.test",
                    "--auth-password", USERS["alice@example.test"],
                    "--from", "alice@example.test",
                    "--to", f"bob@example.test,far-{marker}@remote.test",
                    "--header", f"Subject: sub {marker}", "--body", f"body {marker}")
    assert rc == 0, out
    assert len(mine(server, "bob@example.test", marker)) == 1, out
    assert f"far-{marker}@remote.test" in server.queue_addresses()


def test_swaks_submission_requires_auth(server):
    rc, out = swaks("--port", str(server.sub_port), "--tls", "--from", "alice@example.test",
                    "--to", "bob@example.test")
    assert rc != 0, out
    assert "530 5.7.0" in out, out


def test_swaks_bad_password(server):
    rc, out = swaks("--port", str(server.sub_port), "--tls", "--auth", "PLAIN",
                    "--auth-user", "carol@other.test", "--auth-password", "wrong",
                    "--from", "carol@other.test", "--to", "bob@example.test")
    assert rc != 0, out
    assert "535 5.7.8" in out, out
