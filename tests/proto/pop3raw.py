# pop3raw.py: exact-bytes POP3 client and fixtures for the POP3 suites.
# SPDX-License-Identifier: MIT
"""Pop3 sends exactly the bytes it is given and parses POP3 replies
(RFC 1939 3: status lines, multi-line responses with dot-stuffing,
RFC 2449 8 response codes), so tests can pipeline and inject.  It reuses
the socket plumbing of smtpraw.Raw.  The module also holds the server
fixtures of the POP3 suites (import them into a test module to use them)
and helpers to put messages into a mailbox."""

import base64
import contextlib
import os
import poplib
import re
import ssl
import time
import uuid

import pytest

from conftest import USERS, finish, populate
from buzon import Server
from smtpraw import Raw as _Raw
from smtpraw import dot_stuff, tls_context

ALICE = "alice@example.test"
BOB = "bob@example.test"
PW = USERS[ALICE]
APOP_SECRET = "alice-apop-secret"

CODE_RE = re.compile(r"^\[([A-Z0-9/-]+)\] ?")


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


class Resp:
    """A status line: ok is True for +OK; code is the RFC 2449 8 response
    code ("AUTH", "IN-USE", "SYS/TEMP", ...) of a -ERR, or None."""

    def __init__(self, raw):
        self.raw = raw
        if raw == b"+OK" or raw.startswith(b"+OK "):
            self.ok = True
            rest = raw[4:]
        elif raw == b"-ERR" or raw.startswith(b"-ERR "):
            self.ok = False
            rest = raw[5:]
        else:
            raise AssertionError(f"not a POP3 status line: {raw!r}")
        self.text = rest.decode("utf-8", "replace")
        m = CODE_RE.match(self.text) if not self.ok else None
        self.code = m.group(1) if m else None

    def __repr__(self):
        return f"Resp({self.raw!r})"


class Pop3(_Raw):
    """Raw POP3 connection.  Pop3(port, tls=..., source="127.0.0.N")."""

    greeting: Resp

    def reply(self):
        return Resp(self.line())

    def nothing_pending(self, wait=0.25):
        _Raw.nothing_pending(self, wait)

    def ok(self, line):
        r = self.cmd(line)
        assert r.ok, f"{line!r}: expected +OK, got {r}"
        return r

    def err(self, line, code=None):
        r = self.cmd(line)
        assert not r.ok, f"{line!r}: expected -ERR, got {r}"
        assert r.text.strip(), f"{line!r}: -ERR without a reason: {r}"
        if code is not None:
            assert r.code == code, f"{line!r}: expected -ERR [{code}], got {r}"
        return r

    # ---- multi-line responses (RFC 1939 3) ----

    def block(self):
        """Read the lines of a multi-line response up to the final "."
        (after its +OK line was read); returns the content as bytes with
        CRLF line ends, dot-unstuffed.  Every line must end in CRLF and
        every line starting with "." must be stuffed."""
        acc = bytearray(self.buf)
        if acc.startswith(b".\r\n"):
            self.buf = bytes(acc[3:])
            return b""
        start = 0
        while True:
            i = acc.find(b"\r\n.\r\n", start)
            if i >= 0:
                break
            start = max(0, len(acc) - 4)
            try:
                chunk = self.sock.recv(1 << 20)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                raise AssertionError(
                    f"connection closed inside a multi-line response; "
                    f"got {len(acc)} octets ending {bytes(acc[-200:])!r}")
            acc += chunk
        body = bytes(acc[: i + 2])
        self.buf = bytes(acc[i + 5:])
        return unstuff(body)

    def multi(self, line):
        """Send a command that answers +OK + multi-line; returns
        (Resp, content bytes)."""
        r = self.ok(line)
        return r, self.block()

    def lines(self, line):
        """multi() split into lines (without CRLF) as str."""
        _, body = self.multi(line)
        return [ln.decode("utf-8", "replace") for ln in body.split(b"\r\n")[:-1]]

    # ---- sessions ----

    def stls(self):
        r = self.cmd("STLS")
        assert r.ok, f"STLS: {r}"
        assert self.buf == b"", f"bytes after +OK to STLS: {self.buf!r}"
        self.sock = tls_context().wrap_socket(self.sock)
        return r

    def login(self, user=ALICE, password=PW):
        """USER/PASS; a -ERR [IN-USE] (the previous test's session still
        being torn down) is retried a few times."""
        for _ in range(4):
            self.ok(f"USER {user}")
            r = self.cmd(f"PASS {password}")
            if r.ok:
                self.authed = True
                return r
            assert r.code == "IN-USE", f"PASS: {r}"
            time.sleep(0.3)
        raise AssertionError(f"mailbox of {user} stays locked: {r}")

    def drop(self):
        """Close the socket without QUIT (a dropped connection)."""
        self.authed = False
        _Raw.close(self)

    def close(self):
        """Polite close: QUIT first when logged in, so the next test's
        login does not race the release of the mailbox lock."""
        if getattr(self, "authed", False):
            self.authed = False
            try:
                self.sock.settimeout(2)
                self.send(b"QUIT\r\n")
                while True:
                    self.line()
            except Exception:
                pass
        _Raw.close(self)

    def capa(self):
        """CAPA as {TAG: [args]} (RFC 2449 5; tags are case-insensitive)."""
        out = {}
        for ln in self.lines("CAPA"):
            parts = ln.split(" ")
            out[parts[0].upper()] = parts[1:]
        return out

    def stat(self):
        r = self.ok("STAT")
        m = re.match(r"^(\d+) (\d+)( .*)?$", r.text)
        assert m, f"STAT drop listing format (RFC 1939 5): {r}"
        return int(m.group(1)), int(m.group(2))

    def scan_list(self):
        """LIST as {msgno: size}."""
        out = {}
        for ln in self.lines("LIST"):
            m = re.match(r"^(\d+) (\d+)( .*)?$", ln)
            assert m, f"LIST scan listing format (RFC 1939 5): {ln!r}"
            out[int(m.group(1))] = int(m.group(2))
        return out

    def uidl(self):
        """UIDL as {msgno: uid}."""
        out = {}
        for ln in self.lines("UIDL"):
            m = re.match(r"^(\d+) ([\x21-\x7e]{1,70})$", ln)
            assert m, f"UIDL unique-id listing format (RFC 1939 7): {ln!r}"
            out[int(m.group(1))] = m.group(2)
        return out

    def retr(self, n):
        return self.multi(f"RETR {n}")[1]

    def quit(self):
        self.authed = False
        r = self.ok("QUIT")
        assert self.is_closed(), "connection open after QUIT"
        return r


def unstuff(body):
    """Undo RFC 1939 3 byte-stuffing of CRLF lines (final "." excluded)."""
    lines = body.split(b"\r\n")
    assert lines[-1] == b"", f"multi-line response not CRLF-terminated: {body[-80:]!r}"
    out = []
    for ln in lines[:-1]:
        if ln.startswith(b"."):
            assert ln.startswith(b".."), f"line not dot-stuffed: {ln[:80]!r}"
            ln = ln[1:]
        assert b"\n" not in ln and b"\r" not in ln, f"bare CR/LF in line: {ln[:80]!r}"
        out.append(ln)
    return b"\r\n".join(out) + b"\r\n"


def session(port, user=ALICE, password=PW, source=None, tls=False,
            stls=False):
    """A logged-in Pop3 (USER/PASS), optionally over STLS or pop3s."""
    c = Pop3(port, tls=tls, source=source)
    assert c.greeting.ok, c.greeting
    if stls:
        c.stls()
    try:
        c.login(user, password)
    except BaseException:
        c.drop()
        raise
    return c


@contextlib.contextmanager
def poplib_session(port, user, password):
    """A logged-in poplib.POP3 (stdlib client), QUIT at the end."""
    p = poplib.POP3("127.0.0.1", port, timeout=10)
    try:
        p.user(user)
        p.pass_(password)
        yield p
    finally:
        p.quit()


# ---- messages ----

def message(marker, body=b"", headers=b""):
    """A small message (CRLF) whose Subject holds marker."""
    if isinstance(marker, str):
        marker = marker.encode()
    return (b"From: Sender <s@remote.test>\r\nTo: someone@example.test\r\n"
            b"Subject: " + marker + b"\r\nMessage-ID: <" + marker
            + b"@remote.test>\r\n" + headers + b"\r\n"
            + (body or b"body " + marker + b"\r\n"))


def import_messages(server, addr, msgs):
    """Add msgs (bytes, CRLF line ends) to addr's INBOX, in order, with
    `buzon import --maildir`, which stores them byte for byte."""
    d = os.path.join(server.dir, "maildir-" + uuid.uuid4().hex[:12])
    os.makedirs(os.path.join(d, "new"))
    os.makedirs(os.path.join(d, "cur"))
    for i, m in enumerate(msgs):
        assert m.endswith(b"\r\n")
        with open(os.path.join(d, "new", f"{i:06d}.msg"), "wb") as f:
            f.write(m)
    server.cli("import", addr, "--maildir", d, timeout=120)


def smtp_deliver(server, addr, msgs, sender="s@remote.test"):
    """Deliver msgs over SMTP in one session (each gets trace headers
    prepended: the RETR text ends with the message)."""
    from smtpraw import Raw
    with Raw(server.smtp_port) as c:
        c.ehlo()
        for m in msgs:
            c.expect(f"MAIL FROM:<{sender}>", 250)
            c.expect(f"RCPT TO:<{addr}>", 250)
            c.expect("DATA", 354)
            c.send(dot_stuff(m))
            r = c.reply()
            assert r.code == 250, r
        c.cmd("QUIT")


_users = [0]


def fresh_user(server, n_msgs=0):
    """A new account with an empty INBOX (plus n_msgs small imported
    messages); returns (address, password, [messages])."""
    _users[0] += 1
    addr = f"p{_users[0]}-{uuid.uuid4().hex[:8]}@example.test"
    pw = "pw-" + uuid.uuid4().hex
    server.add_user(addr, pw)
    msgs = [message(f"m{i}-{uuid.uuid4().hex}") for i in range(n_msgs)]
    if msgs:
        import_messages(server, addr, msgs)
    return addr, pw, msgs


_sources = [10]


def fresh_source():
    """A loopback address no other test used, so the per-address delay
    after failed logins of one test does not slow another."""
    _sources[0] += 1
    assert _sources[0] < 250
    return f"127.0.0.{_sources[0]}"


# ---- fixtures (import them into a test module) ----

def make_pop3_server(tmp_path_factory, name, plaintext_auth=None, extra=""):
    """A populated, running server with POP3 listeners; alice has an
    APOP secret.  extra: more [pop3] lines."""
    if plaintext_auth:
        extra = f"plaintext_auth = {plaintext_auth}\n{extra}"
    srv = Server(tmp_path_factory.mktemp(name), name=name, pop3=True,
                 pop3_extra=extra)
    populate(srv)
    srv.set_apop(ALICE, APOP_SECRET)
    srv.start()
    return srv


@pytest.fixture(scope="module")
def pop3_server(request, tmp_path_factory):
    """POP3 with plaintext auth allowed on loopback (poplib-friendly)."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    srv = make_pop3_server(tmp_path_factory, name, "loopback")
    yield srv
    finish(srv)


@pytest.fixture(scope="module")
def pop3_strict(request, tmp_path_factory):
    """POP3 with the default plaintext_auth (no): STLS before login."""
    name = request.module.__name__.rsplit(".", 1)[-1] + "_strict"
    srv = make_pop3_server(tmp_path_factory, name)
    yield srv
    finish(srv)

