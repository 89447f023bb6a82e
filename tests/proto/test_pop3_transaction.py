# test_pop3_transaction.py: POP3 TRANSACTION and UPDATE states (RFC 1939 5-6),
# UIDL (RFC 1939 7), the maildrop snapshot, and durability of DELE/QUIT.
# SPDX-License-Identifier: MIT
import re
import time
import uuid

import pytest

from pop3raw import (fresh_user, import_messages, message, poplib_session,
                     session, smtp_deliver)
from conftest import finish
from pop3raw import make_pop3_server

IDLE_S = 3


@pytest.fixture(scope="module")
def pop3_server(tmp_path_factory):
    """Plaintext auth on loopback, and a short idle timeout."""
    srv = make_pop3_server(tmp_path_factory, "pop3_transaction", "loopback",
                           f"idle_timeout = {IDLE_S}s")
    yield srv
    finish(srv)


def contents(srv, addr, pw):
    """[(uid, RETR text)] of the mailbox, in message-number order (the
    session ends with QUIT and deletes nothing)."""
    with session(srv.pop3_port, addr, pw) as c:
        uids = c.uidl()
        out = [(uids[n], c.retr(n)) for n in sorted(c.scan_list())]
        c.quit()
    return out


def marked(srv, n_msgs, dele):
    """A new mailbox of n_msgs messages: returns (addr, pw, contents
    before, a session in which the messages numbered dele are marked)."""
    addr, pw, _ = fresh_user(srv, n_msgs)
    before = contents(srv, addr, pw)
    c = session(srv.pop3_port, addr, pw)
    for n in dele:
        c.ok(f"DELE {n}")
    return addr, pw, before, c


def restart(srv, kill=False):
    if kill:
        srv.kill9()
    else:
        assert srv.stop() == 0, srv.log_text()[-3000:]
    srv.start()


# ---- STAT / LIST / RETR ----

def test_stat_list_retr_sizes(pop3_server):
    """RFC 1939 5: sizes are the exact octets RETR sends (CRLF lines,
    before stuffing), STAT totals them."""
    addr, pw, _ = fresh_user(pop3_server)
    msgs = [message("a-" + uuid.uuid4().hex),
            message("b-" + uuid.uuid4().hex,
                    body=b".leading dot\r\n..two dots\r\n.\r\nend\r\n"),
            message("c-" + uuid.uuid4().hex, body=b"x" * 900 + b"\r\n" * 3)]
    import_messages(pop3_server, addr, msgs)
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.stat() == (3, sum(len(m) for m in msgs))
        assert c.scan_list() == {i + 1: len(m) for i, m in enumerate(msgs)}
        for i, m in enumerate(msgs, 1):
            r = c.ok(f"LIST {i}")
            assert re.match(rf"^{i} {len(m)}( .*)?$", r.text), r
            assert c.retr(i) == m
        c.nothing_pending()


def test_retr_poplib_octets(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 2)
    with poplib_session(pop3_server.pop3_port, addr, pw) as p:
        sizes = {int(a): int(b) for a, b in
                 (ln.split() for ln in p.list()[1])}
        for n, m in enumerate(msgs, 1):
            _, lines, octets = p.retr(n)
            assert octets == sizes[n] == len(m)
            assert b"\r\n".join(lines) + b"\r\n" == m


def test_empty_mailbox(pop3_server):
    addr, pw, _ = fresh_user(pop3_server)
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.stat() == (0, 0)
        assert c.multi("LIST")[1] == b""
        assert c.multi("UIDL")[1] == b""
        c.err("RETR 1")
        c.err("LIST 1")
        c.err("DELE 1")


# ---- TOP (RFC 1939 7) ----

def test_top(pop3_server):
    addr, pw, _ = fresh_user(pop3_server)
    head = (b"From: s@remote.test\r\nSubject: top " + uuid.uuid4().hex.encode()
            + b"\r\n\r\n")
    body_lines = [b"line one", b".dotted", b"", b"..", b"line five"]
    m = head + b"".join(ln + b"\r\n" for ln in body_lines)
    import_messages(pop3_server, addr, [m])
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.multi("TOP 1 0")[1] == head
        for n in range(1, len(body_lines) + 1):
            want = head + b"".join(ln + b"\r\n" for ln in body_lines[:n])
            assert c.multi(f"TOP 1 {n}")[1] == want, n
        assert c.multi("TOP 1 1000")[1] == m
        assert c.retr(1) == m
        c.ok("DELE 1")
        c.err("TOP 1 0")
        c.nothing_pending()


def test_top_poplib(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 1)
    with poplib_session(pop3_server.pop3_port, addr, pw) as p:
        _, lines, _ = p.top(1, 0)
        assert lines[-1] == b"" and msgs[0].startswith(b"\r\n".join(lines) + b"\r\n")


# ---- DELE / RSET / UPDATE ----

def test_dele_hides_until_rset(pop3_server):
    """RFC 1939 5: a message marked deleted is invisible to STAT, LIST,
    RETR, TOP, UIDL; numbers of the others do not change; RSET unmarks."""
    addr, pw, msgs = fresh_user(pop3_server, 3)
    with session(pop3_server.pop3_port, addr, pw) as c:
        uids = c.uidl()
        c.ok("DELE 2")
        c.err("DELE 2")
        assert c.stat() == (2, len(msgs[0]) + len(msgs[2]))
        assert c.scan_list() == {1: len(msgs[0]), 3: len(msgs[2])}
        for cmd in ("LIST 2", "RETR 2", "TOP 2 0", "UIDL 2"):
            c.err(cmd)
        assert c.uidl() == {1: uids[1], 3: uids[3]}
        assert c.retr(3) == msgs[2]
        c.ok("RSET")
        assert c.stat()[0] == 3
        assert c.retr(2) == msgs[1]
        assert c.uidl() == uids
        c.quit()
    assert [m for _, m in contents(pop3_server, addr, pw)] == msgs


def test_dele_quit_removes(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 3)
    with session(pop3_server.pop3_port, addr, pw) as c:
        c.ok("DELE 1")
        c.ok("DELE 3")
        c.quit()
    assert [m for _, m in contents(pop3_server, addr, pw)] == [msgs[1]]
    got = pop3_server.export(addr)
    assert [m for _, m in got] == [msgs[1].replace(b"\r\n", b"\n")]


def test_dele_all_quit(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 4)
    with session(pop3_server.pop3_port, addr, pw) as c:
        for n in range(1, 5):
            c.ok(f"DELE {n}")
        assert c.stat() == (0, 0)
        c.quit()
    assert contents(pop3_server, addr, pw) == []


def test_dele_dropped_connection_keeps(pop3_server):
    """A dropped connection (no QUIT) removes nothing."""
    addr, pw, before, c = marked(pop3_server, 3, [1, 2, 3])
    c.drop()
    assert contents(pop3_server, addr, pw) == before


def test_dele_idle_timeout_keeps(pop3_server):
    """An idle session is closed after the timeout ([pop3] idle_timeout),
    and a timeout is not a QUIT: nothing removed."""
    addr, pw, before, c = marked(pop3_server, 2, [1])
    t = time.monotonic()
    c.sock.settimeout(IDLE_S + 10)
    data = b""
    try:
        while True:
            chunk = c.sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    waited = time.monotonic() - t
    c.drop()
    assert IDLE_S - 0.5 <= waited < IDLE_S + 5, f"closed after {waited:.1f}s"
    assert data == b"" or (data.startswith(b"-ERR") and data.endswith(b"\r\n")
                           and data.count(b"\r\n") == 1), data
    assert contents(pop3_server, addr, pw) == before


def test_retr_all_quit_keeps(pop3_server):
    """Download-and-keep: RETR of everything then QUIT deletes nothing."""
    addr, pw, msgs = fresh_user(pop3_server, 2)
    first = contents(pop3_server, addr, pw)
    assert [m for _, m in first] == msgs
    assert contents(pop3_server, addr, pw) == first


# ---- UIDL (RFC 1939 7) ----

def test_uidl_unique_and_consistent(pop3_server):
    addr, pw, _ = fresh_user(pop3_server)
    same = message("same-" + uuid.uuid4().hex)
    import_messages(pop3_server, addr, [same, same, message("other")])
    with session(pop3_server.pop3_port, addr, pw) as c:
        uids = c.uidl()
        assert sorted(uids) == [1, 2, 3]
        assert len(set(uids.values())) == 3, f"UIDs not unique: {uids}"
        for n, u in uids.items():
            r = c.ok(f"UIDL {n}")
            assert r.text == f"{n} {u}", r
        c.quit()
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.uidl() == uids


def test_uidl_never_reused(pop3_server):
    addr, pw, _ = fresh_user(pop3_server, 3)
    old = {u for u, _ in contents(pop3_server, addr, pw)}
    with session(pop3_server.pop3_port, addr, pw) as c:
        for n in (1, 2, 3):
            c.ok(f"DELE {n}")
        c.quit()
    import_messages(pop3_server, addr, [message(f"new{i}-{uuid.uuid4().hex}")
                                        for i in range(3)])
    new = {u for u, _ in contents(pop3_server, addr, pw)}
    assert len(new) == 3 and not (old & new), (old, new)


# ---- snapshot (RFC 1939 maildrop) ----

def test_delivery_during_session_invisible(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 2)
    late = message("late-" + uuid.uuid4().hex)
    with session(pop3_server.pop3_port, addr, pw) as c:
        before = c.uidl()
        smtp_deliver(pop3_server, addr, [late])
        assert c.stat() == (2, sum(len(m) for m in msgs))
        assert c.uidl() == before
        for cmd in ("LIST 3", "RETR 3", "TOP 3 0", "UIDL 3", "DELE 3"):
            c.err(cmd)
        c.ok("DELE 1")
        c.ok("DELE 2")
        c.quit()
    got = contents(pop3_server, addr, pw)
    assert len(got) == 1 and got[0][1].endswith(late), got
    assert got[0][0] not in before.values()


# ---- durability across restarts and kills ----

def test_dele_quit_survives_restart_uidl_stable(pop3_server):
    addr, pw, before, c = marked(pop3_server, 3, [2])
    c.quit()
    restart(pop3_server)
    assert contents(pop3_server, addr, pw) == [before[0], before[2]]
    restart(pop3_server, kill=True)
    assert contents(pop3_server, addr, pw) == [before[0], before[2]]


def test_kill9_right_after_quit_ok(pop3_server):
    """+OK to QUIT means the deletions are on disk (DESIGN: durability)."""
    addr, pw, before, c = marked(pop3_server, 3, [1, 3])
    c.authed = False
    c.send(b"QUIT\r\n")
    r = c.reply()
    pop3_server.kill9()
    c.close()
    assert r.ok, r
    pop3_server.start()
    assert contents(pop3_server, addr, pw) == [before[1]]


def test_dele_then_kill9_keeps(pop3_server):
    addr, pw, before, c = marked(pop3_server, 2, [1, 2])
    c.nothing_pending()
    pop3_server.kill9()
    c.drop()
    pop3_server.start()
    assert contents(pop3_server, addr, pw) == before


def test_dele_then_sigterm_keeps(pop3_server):
    """A graceful stop during a session is not a QUIT: nothing removed."""
    addr, pw, before, c = marked(pop3_server, 2, [2])
    try:
        assert pop3_server.stop() == 0, pop3_server.log_text()[-3000:]
    finally:
        c.drop()
    pop3_server.start()
    assert contents(pop3_server, addr, pw) == before
