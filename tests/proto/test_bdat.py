# test_bdat.py: CHUNKING / BDAT (RFC 3030) on the MX port.
# SPDX-License-Identifier: MIT
import random
import uuid

import pytest

from buzon import MAX_SIZE, split_trace
from smtpraw import Raw


def body_for(marker):
    return (b"From: s@remote.test\r\nSubject: bdat " + marker.encode() + b"\r\n\r\n"
            b"line one\r\n.\r\n..dots stay as sent\r\n\r\n.\r\nFrom here\r\nlast\r\n")


def delivered(server, addr, marker):
    return [m for _, m in server.export(addr) if marker.encode() in m]


@pytest.fixture
def c(server):
    conn = Raw(server.smtp_port)
    conn.ehlo()
    yield conn
    conn.close()


def start_tx(c, rcpt="alice@example.test"):
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.expect(f"RCPT TO:<{rcpt}>", 250)


def check_one(server, addr, marker, body):
    msgs = delivered(server, addr, marker)
    assert len(msgs) == 1, msgs
    fields = split_trace(msgs[0], body)
    assert fields[0] == "Return-Path: <s@remote.test>", fields
    assert fields[1].startswith("Received: "), fields
    assert len(fields) == 2, fields


def test_bdat_single_last(server, c):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    start_tx(c)
    c.send(b"BDAT %d LAST\r\n" % len(body) + body)
    r = c.reply()
    assert (r.code, r.enh) == (250, "2.0.0"), r
    check_one(server, "alice@example.test", marker, body)


def test_bdat_without_final_crlf_is_stored_with_one(server, c):
    """RFC 5322 allows a body to end without CRLF, but every reader wants
    whole lines (POP3 sizes, RETR framing): the stored copy gets one."""
    marker = uuid.uuid4().hex
    body = b"Subject: bdat " + marker.encode() + b"\r\n\r\nno line end"
    start_tx(c)
    c.send(b"BDAT %d LAST\r\n" % len(body) + body)
    r = c.reply()
    assert (r.code, r.enh) == (250, "2.0.0"), r
    check_one(server, "alice@example.test", marker, body + b"\r\n")


def test_bdat_chunks_then_zero_last(server, c):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    start_tx(c)
    # split inside a CRLF and right at "\r\n.\r\n": BDAT data is never unstuffed
    cuts = [0, 7, body.index(b"\r\n.\r\n") + 1, body.index(b"\r\n.\r\n") + 3, len(body)]
    for a, b in zip(cuts, cuts[1:]):
        c.send(b"BDAT %d\r\n" % (b - a) + body[a:b])
        r = c.reply()
        assert r.code == 250, r
    r = c.cmd("BDAT 0 LAST")
    assert r.code == 250, r
    check_one(server, "alice@example.test", marker, body)


def test_bdat_pipelined_random_chunks(server, c):
    marker = uuid.uuid4().hex
    rnd = random.Random(7)
    body = body_for(marker) + b"".join(
        b"%d %s\r\n" % (i, b"x" * rnd.randrange(0, 200)) for i in range(300))
    start_tx(c, "bob@example.test")
    out, pos, n = b"", 0, 0
    while pos < len(body):
        k = min(len(body) - pos, rnd.randrange(1, 5000))
        last = pos + k == len(body)
        out += b"BDAT %d%s\r\n" % (k, b" LAST" if last else b"") + body[pos:pos + k]
        pos += k
        n += 1
    c.send(out)
    codes = [c.reply().code for _ in range(n)]
    assert codes == [250] * n, codes
    c.nothing_pending()
    check_one(server, "bob@example.test", marker, body)


def test_bdat_bad_sequence_discards_chunk(c):
    # RFC 3030 2: after a failed BDAT the chunk is still read and discarded
    c.send(b"BDAT 6\r\nNOOP\r\n")
    r = c.reply()
    assert (r.code, r.enh) == (503, "5.5.1"), r
    c.expect("HELP", 214)
    c.nothing_pending()
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.send(b"BDAT 6 LAST\r\nNOOP\r\n")  # no recipient yet
    r = c.reply()
    assert (r.code, r.enh) == (503, "5.5.1"), r
    c.expect("HELP", 214)
    c.nothing_pending()


def test_bdat_after_last_and_data_mix(server, c):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    start_tx(c)
    c.send(b"BDAT %d\r\n" % len(body) + body)
    assert c.reply().code == 250
    c.expect("DATA", 503, "5.5.1")  # no DATA inside a BDAT transaction
    c.expect("RSET", 250)
    assert delivered(server, "alice@example.test", marker) == []
    c.expect("RSET", 250)
    start_tx(c)
    c.send(b"BDAT %d LAST\r\n" % len(body) + body)
    assert c.reply().code == 250
    c.send(b"BDAT 6 LAST\r\nHELP\r\n")
    r = c.reply()
    assert r.code == 503, r
    c.expect("NOOP", 250)
    c.nothing_pending()
    assert len(delivered(server, "alice@example.test", marker)) == 1


def test_bdat_syntax(c):
    start_tx(c)
    for bad in ("BDAT", "BDAT x", "BDAT -1", "BDAT LAST"):
        r = c.cmd(bad)
        assert r.code == 501, f"{bad}: {r}"
        assert r.enh is not None and r.enh.startswith("5.5."), f"{bad}: {r}"
        c.expect("RSET", 250)
        start_tx(c)


def test_bdat_too_big(server, c):
    start_tx(c)
    size = MAX_SIZE + 1
    c.send(b"BDAT %d LAST\r\n" % size)
    chunk = b"a" * 65536
    left = size
    while left:
        k = min(left, len(chunk))
        c.send(chunk[:k])
        left -= k
    r = c.reply()
    assert (r.code, r.enh) == (552, "5.3.4"), r
    c.expect("RSET", 250)
    c.expect("NOOP", 250)
    c.nothing_pending()


def test_bdat_rset_midway(server, c):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    start_tx(c)
    c.send(b"BDAT 10\r\n" + body[:10])
    assert c.reply().code == 250
    c.expect("RSET", 250)
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.expect("RCPT TO:<alice@example.test>", 250)
    c.send(b"BDAT %d LAST\r\n" % len(body) + body)
    assert c.reply().code == 250
    check_one(server, "alice@example.test", marker, body)


def test_bdat_bare_lf_and_binary_bytes(server, c):
    """BDAT data is taken as given (RFC 3030); a bare LF inside BDAT must not
    be taken as a command separator (it is either refused or stored)."""
    marker = uuid.uuid4().hex
    body = (b"Subject: " + marker.encode() + b"\r\n\r\nline\nMAIL FROM:<evil@x.test>\r\n"
            b"RCPT TO:<bob@example.test>\r\n")
    start_tx(c)
    c.send(b"BDAT %d LAST\r\n" % len(body) + body)
    r = c.reply()
    assert r.code in (250, 550, 554), r
    c.expect("NOOP", 250)
    c.nothing_pending()
    assert delivered(server, "bob@example.test", marker) == []
