# test_pop3_large.py: byte-exact RETR of 8-bit, long-line, dot-heavy and
# 20 MiB messages (RFC 1939 3 framing and byte-stuffing), plain and TLS.
# SPDX-License-Identifier: MIT
import random
import time
import uuid

import pytest

from pop3raw import Pop3, fresh_user, import_messages, session, smtp_deliver
from pop3raw import pop3_server  # noqa: F401  (fixture)

BIG = 20 * 1024 * 1024

# no CR, LF or NUL inside lines: every other octet value is kept as is
CLEAN = bytes.maketrans(b"\r\n\x00", b"abc")


def head(kind):
    return (f"From: S <s@remote.test>\r\nTo: r@example.test\r\n"
            f"Subject: {kind} {uuid.uuid4().hex}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n").encode()


def eight_bit():
    rnd = random.Random(8)
    lines = [bytes(range(1, 256)).translate(CLEAN),
             "Grüße aus Zürich — ¡olé! 日本語".encode(),
             rnd.randbytes(300).translate(CLEAN),
             b"\xff" * 40, b"\x80.", b".\xc3\xa9"]
    return head("8bit") + b"".join(ln + b"\r\n" for ln in lines)


def long_lines():
    rnd = random.Random(5000)
    lines = [b"a" * 5000, b"." + b"b" * 4999, rnd.randbytes(5000).translate(CLEAN),
             b"c" * 70000, b"short", b"d" * 65535, b"e" * 65536, b"f" * 5000]
    return head("long") + b"".join(ln + b"\r\n" for ln in lines)


def dots():
    lines = [b".", b"..", b"...", b". ", b".x", b"", b".", b"", b"x.", b"."]
    return head("dots") + b"".join(ln + b"\r\n" for ln in lines)


def big():
    """20 MiB of 8-bit lines of 0..300 octets, some starting with "."."""
    rnd = random.Random(20)
    out = bytearray(head("big"))
    pool = rnd.randbytes(1 << 16).translate(CLEAN)
    while len(out) < BIG - 400:
        n = rnd.randrange(0, 301)
        off = rnd.randrange(0, len(pool) - n)
        if rnd.random() < 0.05:
            out += b"." + pool[off:off + n] + b"\r\n"
        else:
            out += pool[off:off + n] + b"\r\n"
    out += b"." * (BIG - len(out) - 2) + b"\r\n"
    assert len(out) == BIG
    return bytes(out)


@pytest.fixture(scope="module")
def box(pop3_server):
    """One mailbox holding the four messages (imported byte for byte)."""
    addr, pw, _ = fresh_user(pop3_server)
    msgs = [eight_bit(), long_lines(), dots(), big()]
    import_messages(pop3_server, addr, msgs)
    return addr, pw, msgs


def port_kw(server, mode):
    if mode == "pop3s":
        return server.pop3s_port, {"tls": True}
    if mode == "stls":
        return server.pop3_port, {"stls": True}
    return server.pop3_port, {}


@pytest.mark.parametrize("mode", ["plain", "stls", "pop3s"])
def test_retr_exact(pop3_server, box, mode):
    addr, pw, msgs = box
    port, kw = port_kw(pop3_server, mode)
    with session(port, addr, pw, **kw) as c:
        assert c.stat() == (4, sum(len(m) for m in msgs))
        assert c.scan_list() == {i + 1: len(m) for i, m in enumerate(msgs)}
        for n in (1, 2, 3):
            got = c.retr(n)
            assert got == msgs[n - 1], f"message {n} differs"
        t = time.monotonic()
        got = c.retr(4)
        took = time.monotonic() - t
        assert len(got) == BIG and got == msgs[3], "20 MiB message differs"
        assert took < 30, f"RETR of 20 MiB took {took:.1f}s"
        c.nothing_pending()


def test_top_of_large(pop3_server, box):
    addr, pw, msgs = box
    with session(pop3_server.pop3_port, addr, pw) as c:
        for n, m in enumerate(msgs, 1):
            h = m[: m.index(b"\r\n\r\n") + 4]
            assert c.multi(f"TOP {n} 0")[1] == h
            assert c.multi(f"TOP {n} 3")[1] == m[: len(h)] + b"".join(
                ln + b"\r\n" for ln in m[len(h):].split(b"\r\n", 3)[:3])


def test_pipelined_large_and_small(pop3_server, box):
    """A 20 MiB response followed in the same packet by more commands: the
    answers come complete and in order."""
    addr, pw, msgs = box
    with session(pop3_server.pop3_port, addr, pw) as c:
        c.send(b"RETR 4\r\nRETR 3\r\nLIST 4\r\nRETR 2\r\nNOOP\r\n")
        assert c.reply().ok
        assert c.block() == msgs[3]
        assert c.reply().ok
        assert c.block() == msgs[2]
        r = c.reply()
        assert r.ok and r.text.split()[:2] == ["4", str(BIG)], r
        assert c.reply().ok
        assert c.block() == msgs[1]
        assert c.reply().ok
        c.nothing_pending()


@pytest.mark.parametrize("tls", [False, True])
def test_drop_during_large_retr(pop3_server, box, tls):
    """A client that goes away in the middle of a 20 MiB RETR: the server
    copes (sanitizer-clean at the end) and the mailbox is intact."""
    addr, pw, msgs = box
    port = pop3_server.pop3s_port if tls else pop3_server.pop3_port
    c = session(port, addr, pw, tls=tls)
    c.send(b"RETR 4\r\n")
    got = 0
    while got < 1 << 20:
        n = len(c.sock.recv(65536))
        assert n, "closed during RETR"
        got += n
    c.drop()
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.stat() == (4, sum(len(m) for m in msgs))
        assert c.retr(3) == msgs[2]


def test_smtp_delivered_8bit(pop3_server):
    """A message received over SMTP: RETR is the trace fields followed by
    exactly the octets sent, and LIST gives its length."""
    addr, pw, _ = fresh_user(pop3_server)
    m = eight_bit()
    smtp_deliver(pop3_server, addr, [m])
    with session(pop3_server.pop3_port, addr, pw) as c:
        size = c.scan_list()[1]
        got = c.retr(1)
        assert len(got) == size
        assert got.endswith(m), got[-200:]
        trace = got[: len(got) - len(m)]
        assert trace.startswith(b"Return-Path: <s@remote.test>\r\nReceived: "), trace
        assert b"\r\n\r\n" not in trace


def test_many_messages(pop3_server):
    """100 messages: LIST/UIDL list all, sizes add up, and the last one
    is reachable."""
    addr, pw, _ = fresh_user(pop3_server)
    msgs = [head(f"n{i}") + (b"%d\r\n" % i) * (i % 7) for i in range(100)]
    import_messages(pop3_server, addr, msgs)
    with Pop3(pop3_server.pop3_port) as c:
        c.login(addr, pw)
        assert c.stat() == (100, sum(len(m) for m in msgs))
        assert c.scan_list() == {i + 1: len(m) for i, m in enumerate(msgs)}
        assert len(set(c.uidl().values())) == 100
        assert c.retr(100) == msgs[99]
