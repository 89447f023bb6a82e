# test_imap_idle.py: IDLE (RFC 2177): woken by SMTP delivery within a
# second, by another session's STORE and EXPUNGE; DONE.
# SPDX-License-Identifier: MIT
import socket
import time

import pytest

from conftest import finish, make_server
from pop3raw import message as pop_message
from pop3raw import smtp_deliver
from test_imap_select import connect, fresh_user, two_sessions


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    srv = make_server(tmp_path_factory, "imap_idle", imap=True)
    yield srv
    finish(srv)


def idle(c):
    t = c.tag()
    c.raw(f"{t} IDLE\r\n")
    assert c.line() == "+ idling"
    return t


def wait_line(c, timeout):
    c.sock.settimeout(timeout)
    try:
        return c.line()
    finally:
        c.sock.settimeout(10)


def test_idle_wakes_on_smtp_delivery(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    c.ok("SELECT INBOX")
    t = idle(c)
    with pytest.raises(socket.timeout):
        wait_line(c, 0.3)  # nothing to say yet
    start = time.monotonic()
    smtp_deliver(imap_server, addr, [pop_message("wake")])
    assert wait_line(c, 1.0) == "* 1 EXISTS"
    assert time.monotonic() - start < 1.5
    assert wait_line(c, 1.0) == "* 1 RECENT"
    c.raw("DONE\r\n")
    u, r = c.read_until(t)
    assert r == f"{t} OK IDLE terminated", r
    assert u == []
    c.close()


def test_idle_sees_store_and_expunge(imap_server):
    a, b, _ = two_sessions(imap_server, 3)
    t = idle(b)
    a.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert wait_line(b, 1.0) == "* 2 FETCH (FLAGS (\\Deleted))"
    a.ok("EXPUNGE")
    assert wait_line(b, 1.0) == "* 2 EXPUNGE"
    b.raw("done\r\n")
    u, r = b.read_until(t)
    assert " OK " in r and u == []
    u, _ = b.ok("NOOP")
    assert u == []
    a.close()
    b.close()


def test_idle_pending_updates_sent_at_start(imap_server):
    a, b, _ = two_sessions(imap_server, 1)
    a.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    time.sleep(0.2)
    t = idle(b)
    assert wait_line(b, 1.0) == "* 1 FETCH (FLAGS (\\Flagged))"
    b.raw("DONE\r\n")
    b.read_until(t)
    a.close()
    b.close()


def test_idle_bad_line_ends_it(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    t = idle(c)  # IDLE is fine in the authenticated state too
    c.raw("NOOP\r\n")
    u, r = c.read_until(t)
    assert " BAD " in r
    c.ok("NOOP")
    c.close()
