# test_queue_smarthost.py: [relay] smarthost with AUTH (PLAIN, LOGIN) only
# after STARTTLS, require_tls, and AUTH refusals (deferred or bounced by
# the reply code).
# SPDX-License-Identifier: MIT
import base64
import os

import pytest

from buzon import Server
from conftest import finish, populate
from fakepeer import FakePeer
from smtpraw import wait_until
from test_queue import body_for, dsn_fields, dsns, peer_cert, submit  # noqa: F401

USER, PASSWORD = "relay-user@isp.test", "s3cret pass"


def start_relay(tmp_path_factory, name, peer, extra=""):
    relay = (f"[relay]\nsmarthost = 127.0.0.1:{peer.port}\n{extra}"
             "[queue]\nretry = 1s\nretry_max = 2s\n")
    srv = Server(tmp_path_factory.mktemp(name), name=name, relay=relay)
    populate(srv)
    srv.start()
    return srv


def creds(tmp_path_factory=None, use_file=False):
    if not use_file:
        return f"smarthost_user = {USER}\nsmarthost_password = {PASSWORD}\n"
    d = tmp_path_factory.mktemp("pw")
    os.chmod(d, 0o755)
    path = os.path.join(str(d), "smarthost.pw")
    with open(path, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(path, 0o644)  # whichever user reads the config
    return f"smarthost_user = {USER}\nsmarthost_password_file = {path}\n"


def queue_list(srv):
    return srv.cli("queue", "list").stdout.decode()


def verbs(peer):
    return [c.split(" ")[0].upper() for c in peer.commands]


def secret_on_wire(peer):
    """Any base64 form of the password (PLAIN or LOGIN) in a command."""
    forms = [base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode(),
             base64.b64encode(PASSWORD.encode()).decode()]
    return any(f in c for c in peer.commands for f in forms)


@pytest.mark.parametrize("mech,use_file", [("PLAIN", False), ("LOGIN", True)])
def test_auth_only_after_starttls(tmp_path_factory, peer_cert, mech, use_file):
    # AUTH is offered in clear too: buzon must still wait for TLS
    p = FakePeer(starttls=peer_cert, auth=(USER, PASSWORD), auth_mechs=(mech,))
    a = None
    try:
        a = start_relay(tmp_path_factory, f"sh{mech.lower()}", p,
                        creds(tmp_path_factory, use_file))
        submit(a, ["x@remote.test"], body_for(f"sh{mech}", to="x@remote.test"))
        assert wait_until(lambda: p.messages, timeout=10), \
            (p.commands, a.log_text()[-3000:])
        assert p.auths == [(mech, USER, PASSWORD, True)], p.auths
        assert verbs(p)[:4] == ["EHLO", "STARTTLS", "EHLO", "AUTH"], p.commands
        mail, rcpts, _, tls = p.messages[0]
        assert tls and mail.startswith("MAIL FROM:<alice@example.test>")
        assert rcpts[0].startswith("RCPT TO:<x@remote.test>")
        assert wait_until(lambda: a.queue_rows()[0] == 0, timeout=10)
    finally:
        p.close()
        if a is not None:
            finish(a)


@pytest.mark.parametrize("require_tls,reason", [
    ("yes", "TLS is required but the server does not offer STARTTLS"),
    ("no", "Refusing AUTH on an unencrypted connection"),
])
def test_no_tls_no_credentials_sent(tmp_path_factory, require_tls, reason):
    """A smarthost without STARTTLS: with require_tls the mail is not sent
    in clear; without it the mail still waits, as the password would go
    in clear.  Either way it stays queued with the reason shown."""
    p = FakePeer(auth=(USER, PASSWORD))
    a = None
    try:
        a = start_relay(tmp_path_factory, f"shclear{require_tls}", p,
                        creds() + f"require_tls = {require_tls}\n")
        submit(a, ["x@remote.test"], body_for("clear", to="x@remote.test"))
        assert wait_until(lambda: p.connections >= 2 and reason in queue_list(a),
                          timeout=15), (p.commands, a.log_text()[-3000:])
        out = queue_list(a)
        assert "<x@remote.test> pending" in out, out
        assert p.messages == [] and p.auths == []
        assert "MAIL" not in verbs(p) and "AUTH" not in verbs(p), p.commands
        assert not secret_on_wire(p)
        assert a.queue_rows()[0] == 1
    finally:
        p.close()
        if a is not None:
            finish(a)


def test_auth_temporary_refusal_deferred(tmp_path_factory, peer_cert):
    p = FakePeer(starttls=peer_cert, auth=(USER, PASSWORD),
                 auth_reply="454 4.7.0 temporary authentication failure")
    a = None
    try:
        a = start_relay(tmp_path_factory, "sh454", p, creds())
        submit(a, ["x@remote.test"], body_for("auth454", to="x@remote.test"))
        assert wait_until(lambda: len(p.auths) >= 2, timeout=15), a.log_text()[-3000:]
        out = queue_list(a)
        assert "454 4.7.0 temporary authentication failure" in out, out
        assert "<x@remote.test> pending" in out, out
        assert p.messages == [] and "MAIL" not in verbs(p)
        assert dsns(a, "alice@example.test") == []
    finally:
        p.close()
        if a is not None:
            finish(a)


def test_auth_rejected_bounces(tmp_path_factory, peer_cert):
    p = FakePeer(starttls=peer_cert, auth=(USER, "another password"))
    a = None
    try:
        a = start_relay(tmp_path_factory, "sh535", p, creds())
        submit(a, ["x@remote.test"], body_for("auth535", to="x@remote.test"))
        assert wait_until(lambda: dsns(a, "alice@example.test"), timeout=15), \
            a.log_text()[-3000:]
        assert p.auths == [("PLAIN", USER, PASSWORD, True)], p.auths
        assert p.messages == [] and "MAIL" not in verbs(p)
        _, rcpts = dsn_fields(dsns(a, "alice@example.test")[0])
        assert rcpts[0]["Final-Recipient"] == "rfc822; x@remote.test"
        assert rcpts[0]["Action"] == "failed"
        assert rcpts[0]["Status"] == "5.7.8"
        assert "535 5.7.8" in rcpts[0]["Diagnostic-Code"]
        assert wait_until(lambda: a.queue_rows()[0] == 0, timeout=10)
    finally:
        p.close()
        if a is not None:
            finish(a)
