# test_pop3_basic.py: POP3 greeting, CAPA, command syntax, states and errors.
# SPDX-License-Identifier: MIT
import random
import re

import pytest

import socket

from pop3raw import ALICE, PW, Pop3, b64, fresh_user, session
from pop3raw import pop3_server  # noqa: F401  (fixture)
from smtpraw import Closed

REQUIRED_CAPA = ["TOP", "USER", "UIDL", "RESP-CODES", "AUTH-RESP-CODE",
                 "PIPELINING", "SASL", "EXPIRE", "IMPLEMENTATION"]


@pytest.fixture(scope="module")
def box2(pop3_server):
    """A mailbox holding two messages, shared by the tests that must not
    change it (each checks that it did not)."""
    return fresh_user(pop3_server, 2)


@pytest.fixture
def two(pop3_server, box2):
    """A logged-in session on box2."""
    addr, pw, msgs = box2
    c = session(pop3_server.pop3_port, addr, pw)
    yield c, msgs
    c.close()


# ---- greeting and CAPA ----

def test_greeting_apop_timestamp(pop3_server):
    """RFC 1939 7: the banner holds a msg-id style timestamp, different
    for every banner."""
    stamps = []
    for _ in range(2):
        with Pop3(pop3_server.pop3_port) as c:
            assert c.greeting.ok, c.greeting
            m = re.search(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>",
                          c.greeting.text)
            assert m, f"no APOP timestamp in greeting {c.greeting}"
            stamps.append(m.group(0))
    assert stamps[0] != stamps[1], stamps


def check_capa(capa, stls):
    for tag in REQUIRED_CAPA:
        assert tag in capa, f"CAPA lacks {tag}: {capa}"
    assert ("STLS" in capa) == stls, capa
    assert capa["EXPIRE"] == ["NEVER"], capa
    assert capa["IMPLEMENTATION"], capa
    assert {"PLAIN", "LOGIN"} <= {m.upper() for m in capa["SASL"]}, capa


def test_capa_plain_listener(pop3_server):
    """RFC 2449 5 / RFC 2595 4: STLS is listed before TLS only."""
    with Pop3(pop3_server.pop3_port) as c:
        check_capa(c.capa(), stls=True)
        c.stls()
        check_capa(c.capa(), stls=False)
        c.login()
        capa = c.capa()
        assert "STLS" not in capa, capa
        for tag in ("TOP", "UIDL", "PIPELINING", "RESP-CODES"):
            assert tag in capa, capa


def test_capa_pop3s(pop3_server):
    with Pop3(pop3_server.pop3s_port, tls=True) as c:
        assert c.greeting.ok, c.greeting
        check_capa(c.capa(), stls=False)


def test_capa_transaction_state(pop3_server):
    """RFC 2449 5: CAPA works in TRANSACTION; STLS is AUTHORIZATION only."""
    with session(pop3_server.pop3_port) as c:
        capa = c.capa()
        assert "STLS" not in capa and "TOP" in capa and "UIDL" in capa, capa
        c.ok("NOOP")


def test_capa_multiline_framing(pop3_server):
    """The CAPA lines come as one multi-line response ending in ".", with
    nothing after it."""
    with Pop3(pop3_server.pop3_port) as c:
        c.send(b"CAPA\r\n")
        assert c.reply().ok
        body = c.block()
        assert body.endswith(b"\r\n") and body.count(b"\r\n") >= len(REQUIRED_CAPA)
        c.nothing_pending()


# ---- keywords, states ----

def test_keywords_case_insensitive(pop3_server):
    """RFC 1939 3: keywords are case-insensitive."""
    with Pop3(pop3_server.pop3_port) as c:
        c.ok(f"user {ALICE}")
        c.ok(f"pAsS {PW}")
        c.stat()
        c.ok("noop")
        c.send(b"capa\r\n")
        assert c.reply().ok
        c.block()
        c.ok("Quit")
        assert c.is_closed()


@pytest.mark.parametrize("cmd", ["STAT", "LIST", "LIST 1", "RETR 1", "DELE 1",
                                 "NOOP", "RSET", "TOP 1 0", "UIDL", "UIDL 1"])
def test_transaction_commands_refused_before_login(pop3_server, cmd):
    with Pop3(pop3_server.pop3_port) as c:
        c.err(cmd)
        c.login()
        c.stat()


@pytest.mark.parametrize("cmd", [f"USER {ALICE}", f"PASS {PW}", "APOP alice 0123",
                                 "AUTH PLAIN " + b64(f"\0{ALICE}\0{PW}"), "STLS"])
def test_authorization_commands_refused_after_login(pop3_server, cmd):
    """RFC 1939 / 5034 4 / 2595 4: only valid in AUTHORIZATION."""
    with session(pop3_server.pop3_port) as c:
        c.err(cmd)
        c.stat()
        c.ok("NOOP")


def test_pass_without_user(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.err(f"PASS {PW}")
        c.err("STAT")
        c.login()


def test_quit_in_authorization(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.ok(f"USER {ALICE}")
        c.quit()


def test_noop_rset(two):
    c, _ = two
    c.ok("NOOP")
    c.ok("RSET")
    assert c.stat()[0] == 2


# ---- bad input ----

@pytest.mark.parametrize("cmd", [
    "XYZZY", "", "RETR", "RETR x", "RETR -1", "RETR 0", "RETR 3", "RETR +1",
    "RETR 1x", "RETR 99999999999", "RETR 4294967297", "DELE", "DELE abc",
    "DELE 0", "DELE 3", "TOP", "TOP 1", "TOP x 1", "TOP 1 x", "TOP 1 -1",
    "TOP 3 0", "LIST 0", "LIST 3", "LIST abc", "UIDL 0", "UIDL 3", "UIDL abc",
    "LIST 1 2", "RETR 1 2", "DELE 1 2"])
def test_bad_arguments(two, cmd):
    """Missing, non-numeric, out of range, extra arguments and bad spacing
    (RFC 1939 3: one space between arguments): -ERR with a reason, and
    the session goes on with nothing changed."""
    c, msgs = two
    c.err(cmd)
    assert c.stat()[0] == 2
    assert sorted(c.scan_list()) == [1, 2]
    assert c.retr(2).endswith(msgs[1])


def test_unknown_command_both_states(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.err("HELO there")
        c.err("EHLO there")
        c.login()
        c.err("FETCH 1")
        c.err("STATX")
        c.stat()


def test_line_limit_boundary(pop3_server):
    """RFC 2449 4: a command line is up to 255 octets with its CRLF.  PASS
    takes the rest of the line, so a 248-octet password makes a line of
    exactly 255 octets, and one octet more is too long."""
    pw255 = "a" * 248
    addr, _, _ = fresh_user(pop3_server)
    pop3_server.cli("user", "passwd", addr, input=pw255 + "\n")
    with Pop3(pop3_server.pop3_port) as c:
        c.ok(f"USER {addr}")
        line = f"PASS {pw255}\r\n".encode()
        assert len(line) == 255
        c.send(line)
        assert c.reply().ok
        c.stat()
    addr2, _, _ = fresh_user(pop3_server)
    pop3_server.cli("user", "passwd", addr2, input=pw255 + "b\n")
    with Pop3(pop3_server.pop3_port) as c:
        c.ok(f"USER {addr2}")
        c.err(f"PASS {pw255}b")
        c.nothing_pending()
        c.err("STAT")  # not logged in
        c.capa()


def test_long_line_tail_not_executed(two):
    """An over-long line is discarded up to its line end: its tail is not
    taken as a new command (one -ERR, message 1 not deleted)."""
    c, _ = two
    c.send(b"X" * 255 + b"DELE 1\r\n")
    r = c.reply()
    assert not r.ok, r
    c.nothing_pending()
    assert c.stat()[0] == 2
    c.ok("LIST 1")


def test_very_long_line_in_pieces(two):
    """A 200 kB line sent in pieces gets one -ERR; the session goes on."""
    c, msgs = two
    for _ in range(20):
        c.send(b"NOOP " + b"z" * 10000)
    c.send(b"\r\n")
    assert not c.reply().ok
    c.nothing_pending()
    c.ok("NOOP")
    assert c.retr(1).endswith(msgs[0])


GARBAGE = [b"\x00\x00\x00\x00", b"NOOP\x00", b"\xff\xfe\xfd\xfc\xfb",
           b"\x1b[31mRETR 1\x1b[0m", b"ST\x07AT", b"\x80\x81 \x82\x83",
           b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"]


def random_garbage(seed, n):
    rnd = random.Random(seed)
    return [bytes(b for b in rnd.randbytes(rnd.randrange(1, 200)) if b not in (10, 13))
            for _ in range(n)]


@pytest.mark.parametrize("logged_in", [False, True])
@pytest.mark.parametrize("lines", [GARBAGE[:4], GARBAGE[4:], random_garbage(1939, 4)],
                         ids=["fixed1", "fixed2", "random"])
def test_binary_garbage(pop3_server, box2, logged_in, lines):
    """Each line of binary garbage gets -ERR and the session goes on."""
    addr, pw, msgs = box2
    with Pop3(pop3_server.pop3_port) as c:
        if logged_in:
            c.login(addr, pw)
        for ln in lines:
            c.send(ln + b"\r\n")
            r = c.reply()
            assert not r.ok, f"{ln!r}: {r}"
        c.nothing_pending()
        if not logged_in:
            c.login(addr, pw)
        assert c.retr(1) == msgs[0]


def test_too_many_errors_closes(pop3_server):
    """After a limit of bad commands the server closes the session."""
    with Pop3(pop3_server.pop3_port) as c:
        errors = 0
        closed = False
        for i in range(100):
            try:
                c.send(f"BOGUS{i}\r\n".encode())
                r = c.reply()
            except socket.timeout:
                raise
            except (Closed, OSError):
                closed = True
                break
            assert not r.ok, r
            errors += 1
        assert closed, "still open after 100 bad commands"
        assert errors >= 3, f"closed after only {errors} errors"
    with session(pop3_server.pop3_port) as c:
        c.stat()


# ---- pipelining (RFC 2449 6.6) ----

def test_pipelining_transaction(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 3)
    with session(pop3_server.pop3_port, addr, pw) as c:
        ref_list = c.scan_list()
        ref_uidl = c.uidl()
        ref_retr = [c.retr(i) for i in (1, 2, 3)]
    script = (f"USER {addr}\r\nPASS {pw}\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 1\r\n"
              "TOP 2 0\r\nLIST 2\r\nRETR 9\r\nDELE 3\r\nRETR 3\r\nSTAT\r\nRSET\r\n"
              "RETR 3\r\nNOOP\r\nQUIT\r\n").encode()
    with Pop3(pop3_server.pop3_port) as c:
        c.send(script)
        assert c.reply().ok and c.reply().ok   # USER, PASS
        r = c.reply()
        assert r.ok and r.text.split()[:2] == ["3", str(sum(ref_list.values()))], r
        r = c.reply()
        assert r.ok
        got = [ln.split() for ln in c.block().decode().splitlines()]
        assert {int(a): int(b) for a, b in got} == ref_list
        assert c.reply().ok
        got = [ln.split() for ln in c.block().decode().splitlines()]
        assert {int(a): b for a, b in got} == ref_uidl
        assert c.reply().ok
        assert c.block() == ref_retr[0]
        assert c.reply().ok
        top = c.block()
        assert ref_retr[1].startswith(top) and top.endswith(b"\r\n\r\n"), top
        r = c.reply()
        assert r.ok and r.text.split()[:2] == ["2", str(ref_list[2])], r
        assert not c.reply().ok     # RETR 9
        assert c.reply().ok         # DELE 3
        assert not c.reply().ok     # RETR 3 (deleted)
        r = c.reply()
        assert r.ok and r.text.split()[0] == "2", r
        assert c.reply().ok         # RSET
        assert c.reply().ok
        assert c.block() == ref_retr[2]
        assert c.reply().ok         # NOOP
        assert c.reply().ok         # QUIT
        assert c.is_closed()
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.stat()[0] == 3


def test_commands_split_across_packets(two):
    """Commands arriving in pieces (and several per piece) are answered
    the same."""
    c, msgs = two
    script = b"NOOP\r\nLIST 1\r\nRETR 2\r\nSTAT\r\n"
    rnd = random.Random(5)
    i = 0
    while i < len(script):
        j = min(len(script), i + rnd.randrange(1, 6))
        c.send(script[i:j])
        i = j
    assert c.reply().ok
    assert c.reply().text.startswith("1 ")
    assert c.reply().ok
    assert c.block().endswith(msgs[1])
    assert c.reply().text.startswith("2 ")
    c.nothing_pending()
