# test_imap_basic.py: IMAP session basics: greeting, CAPABILITY, NOOP,
# LOGOUT, ID, ENABLE, NAMESPACE, bad commands, states, literals, limits.
# SPDX-License-Identifier: MIT
import socket
import time

import pytest

from buzon import Server
from conftest import finish, populate
from imapraw import ALICE, PW, Imap, imap_server, own_server  # noqa: F401


def test_greeting_has_capabilities(imap_server):
    with Imap(imap_server.imap_port) as c:
        g = c.greeting
        assert g.startswith(b"* OK [CAPABILITY IMAP4rev1 "), g
        assert g.endswith(b"] buzon ready"), g
        caps = g[len(b"* OK [CAPABILITY "):g.index(b"]")].decode().split()
        assert caps == c.capabilities()
        # loopback with plaintext_auth = loopback: passwords allowed
        assert "STARTTLS" in caps and "AUTH=PLAIN" in caps
        assert "LOGINDISABLED" not in caps
        assert "LITERAL+" in caps and "SASL-IR" in caps


def test_capability_changes_at_login(imap_server):
    with Imap(imap_server.imap_port) as c:
        r = c.login()
        assert r.code.startswith("CAPABILITY IMAP4rev1"), r
        caps = r.code.split()[1:]
        assert caps == c.capabilities()
        for gone in ("STARTTLS", "AUTH=PLAIN", "AUTH=LOGIN", "SASL-IR"):
            assert gone not in caps


def test_noop_logout(imap_server):
    with Imap(imap_server.imap_port) as c:
        r = c.ok("NOOP")
        assert r.untagged == []
        c.send(b"x1 LOGOUT\r\n")
        assert c.response() == b"* BYE Logging out"
        assert c.response() == b"x1 OK Logout completed"
        assert c.is_closed()


def test_id_and_namespace(imap_server):
    with Imap(imap_server.imap_port) as c:
        r = c.ok('ID ("name" "pytest" "version" "1")')
        assert r.untagged == [b'* ID ("name" "buzon")']
        c.ok("ID NIL")
        c.bad('ID ("name")')
        c.login()
        r = c.ok("NAMESPACE")
        assert r.untagged == [b'* NAMESPACE (("" "/")) NIL NIL']


def test_enable(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.bad("ENABLE CONDSTORE", "CLIENTBUG")  # not authenticated
        c.login()
        # RFC 5161 3.1: unknown or unadvertised names are ignored
        r = c.ok("ENABLE X-UNKNOWN")
        assert r.untagged == [b"* ENABLED"]
        c.bad("ENABLE")


def test_bad_commands_and_states(imap_server):
    with Imap(imap_server.imap_port) as c:
        r = c.bad("FROBNICATE")
        assert r.tag == "a1"
        c.send(b"\r\n")  # empty lines are ignored
        c.send(b"(bad\r\n")
        assert c.response().startswith(b"* BAD"), "untagged for a bad tag"
        c.bad("CAPABILITY extra")
        c.bad("LIST \"\" *", "CLIENTBUG")
        c.bad("FETCH 1 FLAGS", "CLIENTBUG")
        c.login()
        c.bad("LOGIN a b", "CLIENTBUG")
        c.bad("AUTHENTICATE PLAIN", "CLIENTBUG")
        c.bad("FETCH 1 FLAGS", "CLIENTBUG")  # nothing selected


def test_pipelined_commands_answered_in_order(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"p1 NOOP\r\np2 CAPABILITY\r\np3 NOOP\r\n")
        assert c.until_tagged("p1").ok
        r = c.until_tagged("p2")
        assert r.ok and len(r.lines("CAPABILITY")) == 1
        assert c.until_tagged("p3").ok


def test_login_with_literals(imap_server):
    with Imap(imap_server.imap_port) as c:
        user, pw = ALICE.encode(), PW.encode()
        c.send(b"l1 LOGIN {%d}\r\n" % len(user))
        assert c.response() == b"+ Ready for literal data"
        c.send(user + b" {%d}\r\n" % len(pw))
        assert c.response() == b"+ Ready for literal data"
        c.send(pw + b"\r\n")
        assert c.until_tagged("l1").ok
    with Imap(imap_server.imap_port) as c:
        # LITERAL+: no continuation
        c.send(b"l2 LOGIN {%d+}\r\n%s {%d+}\r\n%s\r\n"
               % (len(user), user, len(pw), pw))
        r = c.until_tagged("l2")
        assert r.ok and r.untagged == [], r


def test_line_too_long(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"t1 NOOP " + b"x" * (70 * 1024) + b"\r\n")
        r = c.until_tagged("t1")
        assert r.status == "BAD" and r.code == "TOOBIG", r
        c.ok("NOOP")  # the session goes on


def test_error_limit_bye(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"".join(b"e%d FROB\r\n" % i for i in range(25)))
        lines = []
        try:
            while True:
                lines.append(c.response())
        except Exception:
            pass
        bad = [ln for ln in lines if b" BAD " in ln]
        assert len(bad) == 20, lines
        assert lines[-1].startswith(b"* BYE"), lines


def test_wrong_state_counts_errors(imap_server):
    with Imap(imap_server.imap_port) as c:
        for _ in range(3):
            c.bad("SELECT INBOX", "CLIENTBUG")
        c.ok("NOOP")


def test_preauth_and_idle_timeout(tmp_path_factory):
    with own_server(tmp_path_factory, "imapto", "idle_timeout = 1s") as srv:
        with Imap(srv.imap_port) as c:
            c.login()
            time.sleep(1.6)
            assert c.response() == b"* BYE Autologout; idle for too long"
            assert c.is_closed()


def test_shutdown_says_bye(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("imapbye"), name="imapbye",
                 imap=True)
    populate(srv)
    srv.start()
    c = Imap(srv.imap_port)
    c.login()
    try:
        finish(srv)
        assert c.response().startswith(b"* BYE [UNAVAILABLE]")
    finally:
        c.close()


def test_too_many_connections_refused(tmp_path_factory):
    with own_server(tmp_path_factory, "imapcap",
                    extra="[limits]\nconnections_per_ip = 1\n") as srv:
        # start()'s probes of the ports may still be counted (they are
        # then refused with a BYE greeting, or reset): retry
        c = None
        for _ in range(100):
            try:
                c = Imap(srv.imap_port)
            except Exception:
                c = None
            if c is not None and c.greeting.startswith(b"* OK"):
                break
            if c is not None:
                c.close()
                c = None
            time.sleep(0.05)
        assert c is not None, "never got a greeting"
        with c:
            c.ok("NOOP")
            s = socket.create_connection(("127.0.0.1", srv.imap_port), 5)
            data = s.recv(200)
            s.close()
            assert data.startswith(b"* BYE [UNAVAILABLE]"), data
