# test_pop3_auth.py: POP3 USER/PASS, APOP, AUTH (RFC 5034), STLS (RFC 2595),
# pop3s, plaintext-auth policy, failed-login delay, the IN-USE lock.
# SPDX-License-Identifier: MIT
import base64
import hashlib
import poplib
import re
import socket
import time

import pytest

from pop3raw import (ALICE, APOP_SECRET, BOB, PW, Pop3, b64, fresh_source,
                     fresh_user, poplib_session, session)
from pop3raw import pop3_server, pop3_strict  # noqa: F401  (fixtures)
from smtpraw import Closed, tls_context

WRONG = "wrong-pw-4f1c9a"   # never valid; must never reach the log
SEEN_SECRETS = {PW, WRONG, APOP_SECRET}


def plain_token(user, password, authzid=""):
    return b64(f"{authzid}\0{user}\0{password}")


def timestamp(greeting):
    m = re.search(r"<[^<>]+@[^<>]+>", greeting.text)
    assert m, f"no APOP timestamp in greeting {greeting}"
    return m.group(0)


def apop_digest(greeting, secret):
    """RFC 1939 7: MD5 of timestamp + shared secret, lower-case hex."""
    return hashlib.md5((timestamp(greeting) + secret).encode()).hexdigest()


# ---- USER / PASS ----

def test_user_pass_poplib(pop3_server):
    with poplib_session(pop3_server.pop3_port, ALICE, PW) as p:
        assert p.getwelcome().startswith(b"+OK")
        n, size = p.stat()
        assert n >= 0 and size >= 0


def test_user_address_case_insensitive(pop3_server):
    with session(pop3_server.pop3_port, ALICE.upper(), PW) as c:
        c.stat()


def test_wrong_password(pop3_server):
    """RFC 3206 4: a credentials failure carries [AUTH]; the session is
    back in AUTHORIZATION and a correct login then works."""
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.ok(f"USER {ALICE}")
        c.err(f"PASS {WRONG}", "AUTH")
        c.err("STAT")
        c.login()
        c.stat()


def test_unknown_user(pop3_server):
    """An unknown user fails like a wrong password (at USER or at PASS)."""
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        r = c.cmd("USER nobody@example.test")
        if r.ok:
            c.err(f"PASS {PW}", "AUTH")
        c.err("STAT")


def test_password_with_spaces(pop3_server):
    """RFC 1939 7: PASS takes the rest of the line (spaces included)."""
    addr, _, _ = fresh_user(pop3_server, 1)
    pop3_server.cli("user", "passwd", addr, input="a pass  word \n")
    with Pop3(pop3_server.pop3_port) as c:
        c.ok(f"USER {addr}")
        c.ok("PASS a pass  word ")
        c.authed = True
        assert c.stat()[0] == 1


# ---- APOP (RFC 1939 7) ----

def test_apop_poplib(pop3_server):
    p = poplib.POP3("127.0.0.1", pop3_server.pop3_port, timeout=10)
    try:
        assert p.apop(ALICE, APOP_SECRET).startswith(b"+OK")
        p.stat()
    finally:
        p.quit()


def test_apop_raw(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.ok(f"APOP {ALICE} {apop_digest(c.greeting, APOP_SECRET)}")
        c.authed = True
        c.stat()
        c.err(f"APOP {ALICE} {apop_digest(c.greeting, APOP_SECRET)}")


def test_apop_wrong_digest(pop3_server):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err(f"APOP {ALICE} {apop_digest(c.greeting, 'not-the-secret')}", "AUTH")
        # the password is not the APOP secret
        c.err(f"APOP {ALICE} {apop_digest(c.greeting, PW)}", "AUTH")
        c.err("STAT")


def test_apop_account_without_secret(pop3_server):
    """APOP is off for an account without an APOP secret."""
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err(f"APOP {BOB} {apop_digest(c.greeting, '')}")
        c.err("STAT")


@pytest.mark.parametrize("line", ["APOP", f"APOP {ALICE}",
                                  f"APOP {ALICE} nothex", f"APOP {ALICE} 0123abcd"])
def test_apop_bad_syntax(pop3_server, line):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err(line)
        c.login()


# ---- AUTH (RFC 5034) ----

def test_auth_plain_initial_response(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.ok("AUTH PLAIN " + plain_token(ALICE, PW))
        c.authed = True
        c.stat()
        c.err("AUTH PLAIN " + plain_token(ALICE, PW))  # 5034 4: no second AUTH


def test_auth_plain_empty_challenge(pop3_server):
    """RFC 5034 4: without an initial response the server sends an empty
    challenge, exactly "+ "."""
    with Pop3(pop3_server.pop3_port) as c:
        c.send(b"AUTH PLAIN\r\n")
        assert c.line() == b"+ "
        c.ok(plain_token(ALICE, PW))
        c.authed = True
        c.stat()


def test_auth_plain_equals_is_empty_response(pop3_server):
    """RFC 5034 4: "=" is an empty initial response; PLAIN cannot use it."""
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err("AUTH PLAIN =")
        c.login()


def login_challenge(line, word):
    assert line.startswith(b"+ "), line
    assert base64.b64decode(line[2:]).lower().startswith(word), line


def test_auth_login(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.send(b"AUTH LOGIN\r\n")
        login_challenge(c.line(), b"username")
        c.send(b64(ALICE).encode() + b"\r\n")
        login_challenge(c.line(), b"password")
        c.ok(b64(PW))
        c.authed = True
        c.stat()


def test_auth_login_initial_response(pop3_server):
    with Pop3(pop3_server.pop3_port) as c:
        c.send(f"AUTH LOGIN {b64(ALICE)}\r\n".encode())
        login_challenge(c.line(), b"password")
        c.ok(b64(PW))
        c.authed = True
        c.stat()


@pytest.mark.parametrize("start,steps", [("AUTH PLAIN", []), ("AUTH LOGIN", []),
                                         ("AUTH LOGIN", [ALICE])])
def test_auth_cancel(pop3_server, start, steps):
    """RFC 5034 4: "*" cancels; -ERR, and the session goes on."""
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.send(start.encode() + b"\r\n")
        assert c.line().startswith(b"+ ")
        for s in steps:
            c.send(b64(s).encode() + b"\r\n")
            assert c.line().startswith(b"+ ")
        c.err("*")
        c.err("STAT")
        c.ok("AUTH PLAIN " + plain_token(ALICE, PW))
        c.authed = True
        c.stat()


@pytest.mark.parametrize("line", ["AUTH CRAM-MD5", "AUTH NOSUCHMECH abc",
                                  "AUTH PLAIN !!!notbase64", "AUTH PLAIN =AAA",
                                  "AUTH PLAIN " + b64("no-nuls-here")])
def test_auth_bad(pop3_server, line):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err(line)
        c.login()


def test_auth_bad_base64_continuation(pop3_server):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.send(b"AUTH PLAIN\r\n")
        assert c.line() == b"+ "
        c.err("AAA=BBB")
        c.login()


def test_auth_plain_wrong_password(pop3_server):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err("AUTH PLAIN " + plain_token(ALICE, WRONG), "AUTH")
        c.err("STAT")
        c.ok("AUTH PLAIN " + plain_token(ALICE, PW))
        c.authed = True


def test_auth_plain_authzid_mismatch(pop3_server):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.err("AUTH PLAIN " + plain_token(ALICE, PW, authzid=BOB))
        c.err("STAT")


def test_auth_long_continuation(pop3_server):
    """RFC 5034 4: SASL responses are not bound by the 255-octet command
    limit."""
    addr, _, msgs = fresh_user(pop3_server, 1)
    pw = "L" * 300
    pop3_server.cli("user", "passwd", addr, input=pw + "\n")
    tok = plain_token(addr, pw)
    assert len(tok) > 400
    with Pop3(pop3_server.pop3_port) as c:
        c.send(b"AUTH PLAIN\r\n")
        assert c.line() == b"+ "
        c.ok(tok)
        c.authed = True
        assert c.retr(1) == msgs[0]


# ---- pop3s (implicit TLS) ----

def test_pop3s_poplib(pop3_server):
    p = poplib.POP3_SSL("127.0.0.1", pop3_server.pop3s_port, timeout=10,
                        context=tls_context())
    try:
        assert p.getwelcome().startswith(b"+OK")
        p.user(ALICE)
        p.pass_(PW)
        p.stat()
    finally:
        p.quit()


def test_pop3s_raw(pop3_server):
    with Pop3(pop3_server.pop3s_port, tls=True) as c:
        assert c.greeting.ok, c.greeting
        c.err("STLS")  # RFC 2595 4: TLS is already active
        c.ok("AUTH PLAIN " + plain_token(ALICE, PW))
        c.authed = True
        c.stat()


def test_pop3s_rejects_plaintext(pop3_server):
    with socket.create_connection(("127.0.0.1", pop3_server.pop3s_port), 5) as s:
        s.sendall(b"CAPA\r\n")
        try:
            data = s.recv(100)
        except OSError:
            data = b""
        assert not data.startswith(b"+OK"), f"plaintext answered on pop3s: {data!r}"


# ---- STLS (RFC 2595 4) ----

def test_stls_poplib(pop3_strict):
    p = poplib.POP3("127.0.0.1", pop3_strict.pop3_port, timeout=10)
    try:
        assert "STLS" in p.capa()
        p.stls(tls_context())
        assert "STLS" not in p.capa()
        p.user(ALICE)
        p.pass_(PW)
        p.stat()
    finally:
        p.quit()


def test_stls_twice_and_with_argument(pop3_strict):
    with Pop3(pop3_strict.pop3_port) as c:
        c.err("STLS now")
        c.stls()
        c.err("STLS")
        c.login()
        c.stat()


@pytest.mark.parametrize("inject", [
    b"CAPA\r\n",
    f"USER {ALICE}\r\n".encode(),
    f"USER {ALICE}\r\nPASS {PW}\r\n".encode(),
    f"AUTH PLAIN {plain_token(ALICE, PW)}\r\nSTAT\r\n".encode(),
    b"NOOP\r\nQUIT\r\n"])
def test_stls_plaintext_injection(pop3_strict, inject):
    """RFC 2595 / DESIGN: plaintext pipelined behind STLS is discarded:
    nothing of it is answered or acted on after the handshake."""
    with Pop3(pop3_strict.pop3_port) as c:
        c.send(b"STLS\r\n" + inject)
        r = c.reply()
        assert r.ok, r
        assert c.buf == b"", f"plaintext after +OK: {c.buf!r}"
        c.sock = tls_context().wrap_socket(c.sock)
        # the first reply under TLS answers the first command under TLS
        capa = c.capa()
        assert "STLS" not in capa and "USER" in capa, capa
        c.nothing_pending()
        c.err("STAT")            # not logged in
        c.err(f"PASS {PW}")      # no USER was kept
        c.login()
        c.stat()


def test_plaintext_auth_refused_before_stls(pop3_strict):
    """plaintext_auth = no: USER/PASS/AUTH on the plain listener are
    refused with [AUTH] until STLS (RFC 3206 4 response code)."""
    with Pop3(pop3_strict.pop3_port) as c:
        capa = c.capa()
        # only what can be used is listed (RFC 2449 6.8): no USER, and no
        # plaintext SASL mechanism, until STLS
        assert "STLS" in capa and "USER" not in capa, capa
        assert not {"PLAIN", "LOGIN"} & set(capa.get("SASL", [])), capa
        c.err(f"USER {ALICE}", "AUTH")
        c.err(f"PASS {PW}")
        c.err("AUTH PLAIN " + plain_token(ALICE, PW), "AUTH")
        c.err("AUTH PLAIN", "AUTH")
        c.err("AUTH LOGIN", "AUTH")
        c.err("STAT")
        c.stls()
        capa = c.capa()
        assert "USER" in capa and {"PLAIN", "LOGIN"} <= set(capa["SASL"]), capa
        c.login()
        c.stat()


def test_strict_auth_after_stls(pop3_strict):
    with Pop3(pop3_strict.pop3_port) as c:
        c.stls()
        c.ok("AUTH PLAIN " + plain_token(ALICE, PW))
        c.authed = True
        c.stat()


def test_strict_pop3s_login(pop3_strict):
    with session(pop3_strict.pop3s_port, tls=True) as c:
        c.stat()


def test_loopback_allows_plaintext(pop3_server):
    """plaintext_auth = loopback: a loopback client may log in without
    TLS (USER/PASS and AUTH)."""
    with session(pop3_server.pop3_port) as c:
        c.stat()
    with Pop3(pop3_server.pop3_port) as c:
        c.ok("AUTH PLAIN " + plain_token(ALICE, PW))
        c.authed = True
        c.stat()


# ---- failed logins: delay and limit ----

def timed_fail(c, user=ALICE):
    c.ok(f"USER {user}")
    t = time.monotonic()
    c.err(f"PASS {WRONG}", "AUTH")
    return time.monotonic() - t


def test_failed_login_delay_per_address(pop3_server):
    """Failures are answered after a delay that grows per client address,
    across sessions; another address is not slowed."""
    a, b = fresh_source(), fresh_source()
    with Pop3(pop3_server.pop3_port, source=a) as c:
        d1 = timed_fail(c)
        c.ok("QUIT")
    with Pop3(pop3_server.pop3_port, source=a) as c:
        d2 = timed_fail(c)
    with Pop3(pop3_server.pop3_port, source=b) as c:
        d3 = timed_fail(c)
    assert d1 >= 0.3, f"first failure answered after {d1:.2f}s"
    assert d2 >= 1.5 * d1 * 0.9, f"second failure {d2:.2f}s after first {d1:.2f}s"
    assert d3 < d2 * 0.8, f"other address slowed: {d3:.2f}s vs {d2:.2f}s"


def test_failed_login_limit_closes(pop3_server):
    """After a few failed logins in one session the server hangs up."""
    fails = 0
    with Pop3(pop3_server.pop3_port, source=fresh_source(), timeout=20) as c:
        try:
            for _ in range(4):
                if not c.cmd(f"USER {ALICE}").ok:
                    break
                r = c.cmd(f"PASS {WRONG}")
                assert not r.ok, r
                fails += 1
            closed = c.is_closed(wait=10)
        except (Closed, OSError):
            closed = True
    assert fails >= 1 and closed, f"open after {fails} failed logins"


def test_success_after_failure(pop3_server):
    with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
        c.ok(f"USER {ALICE}")
        c.err(f"PASS {WRONG}", "AUTH")
        c.login()
        c.stat()


# ---- IN-USE (RFC 1939 8, RFC 2449 8.1.2) ----

def test_in_use_lock(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 2)
    first = session(pop3_server.pop3_port, addr, pw)
    try:
        with Pop3(pop3_server.pop3_port, source=fresh_source()) as c:
            c.ok(f"USER {addr}")
            c.err(f"PASS {pw}", "IN-USE")
            c.err("AUTH PLAIN " + plain_token(addr, pw), "IN-USE")
            c.err("STAT")
        assert first.retr(2) == msgs[1]
        first.ok("DELE 1")
        first.quit()
    finally:
        first.close()
    with session(pop3_server.pop3_port, addr, pw) as c:
        assert c.stat()[0] == 1
        assert c.retr(1) == msgs[1]


def test_in_use_released_on_drop(pop3_server):
    addr, pw, msgs = fresh_user(pop3_server, 1)
    first = session(pop3_server.pop3_port, addr, pw)
    first.ok("DELE 1")
    first.drop()
    deadline = time.monotonic() + 5
    while True:
        c = Pop3(pop3_server.pop3_port)
        c.ok(f"USER {addr}")
        r = c.cmd(f"PASS {pw}")
        if r.ok:
            break
        c.close()
        assert r.code == "IN-USE" and time.monotonic() < deadline, r
        time.sleep(0.1)
    c.authed = True
    with c:
        assert c.stat()[0] == 1
        assert c.retr(1) == msgs[0]


def test_other_mailbox_not_locked(pop3_server):
    a1, p1, _ = fresh_user(pop3_server, 1)
    a2, p2, _ = fresh_user(pop3_server, 1)
    with session(pop3_server.pop3_port, a1, p1) as c1:
        with session(pop3_server.pop3_port, a2, p2) as c2:
            assert c1.stat()[0] == 1 and c2.stat()[0] == 1


# ---- last: what the server logged ----

def test_passwords_never_logged(pop3_server, pop3_strict):
    tokens = {plain_token(ALICE, PW), plain_token(ALICE, WRONG), b64(PW)}
    for srv in (pop3_server, pop3_strict):
        log = srv.log_text()
        for s in SEEN_SECRETS | tokens:
            assert s not in log, f"{srv.name} logged a secret ({s[:6]}...)"
