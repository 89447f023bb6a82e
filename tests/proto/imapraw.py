# imapraw.py: exact-bytes IMAP client and fixtures for the IMAP suites.
# SPDX-License-Identifier: MIT
"""Imap sends exactly the bytes it is given and reads IMAP responses
(RFC 9051 2.2.2 and 7: untagged "* ...", continuation "+ ..." and tagged
"tag OK/NO/BAD [code] text"), joining literals ({n} at the end of a line)
into one logical response, so tests can pipeline, inject and check bytes.
It reuses the socket plumbing of smtpraw.Raw.  The module also holds the
server fixture of the IMAP suites (import it into a test module)."""

import base64
import contextlib
import re

import pytest

from conftest import USERS, finish, populate
from buzon import Server
from smtpraw import Raw as _Raw
from smtpraw import tls_context  # noqa: F401  (re-exported for the suites)

ALICE = "alice@example.test"
BOB = "bob@example.test"
PW = USERS[ALICE]

TAGGED_RE = re.compile(rb"^([^ *+]+) (OK|NO|BAD)(?: \[([^\]]*)\])? ?(.*)$",
                       re.S)
LITERAL_RE = re.compile(rb"~?\{(\d+)\+?\}$")


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def quote(s):
    """s as an IMAP quoted string."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Tagged:
    """A tagged status response: tag, status ("OK"/"NO"/"BAD"), code (the
    text inside [] or None), text; untagged: the responses before it."""

    def __init__(self, raw, untagged):
        m = TAGGED_RE.match(raw)
        assert m, f"not a tagged response: {raw!r}"
        self.raw = raw
        self.tag = m.group(1).decode()
        self.status = m.group(2).decode()
        self.code = m.group(3).decode() if m.group(3) is not None else None
        self.text = m.group(4).decode("utf-8", "replace")
        self.untagged = untagged

    @property
    def ok(self):
        return self.status == "OK"

    def lines(self, name):
        """Untagged responses whose first word (after a number for
        EXISTS/FETCH...) is name, as str without "* NAME "."""
        out = []
        for u in self.untagged:
            s = u.decode("utf-8", "replace")
            parts = s.split(" ", 2)
            if len(parts) >= 2 and parts[1].upper() == name.upper():
                out.append(parts[2] if len(parts) > 2 else "")
            elif (len(parts) >= 3 and parts[1].isdigit()
                  and parts[2].split(" ")[0].upper() == name.upper()):
                out.append(s[2:])
        return out

    def __repr__(self):
        return f"Tagged({self.raw!r}, untagged={self.untagged!r})"


class Imap(_Raw):
    """Raw IMAP connection.  Imap(port, tls=..., greet=True)."""

    def __init__(self, port, **kw):
        self.n = 0
        greet = kw.pop("greet", True)
        _Raw.__init__(self, port, greet=False, **kw)
        self.greeting = self.response() if greet else None

    def reply(self):  # smtpraw's reply() is SMTP's
        return self.response()

    def response(self):
        """One response: a line, with every literal it announces read and
        joined in (b"* 1 FETCH (BODY[] {3}\\r\\nabc)")."""
        out = self.line()
        while True:
            m = LITERAL_RE.search(out)
            if not m or out.startswith(b"+ ") or out == b"+":
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]
            out += self.line()

    def tag(self):
        self.n += 1
        return f"a{self.n}"

    def until_tagged(self, tag):
        """Read responses up to the tagged one for tag."""
        untagged = []
        while True:
            r = self.response()
            if r.startswith(tag.encode() + b" "):
                return Tagged(r, untagged)
            untagged.append(r)

    def cmd(self, line):
        """Send "tag line" CRLF; returns the Tagged reply."""
        t = self.tag()
        if isinstance(line, str):
            line = line.encode()
        self.send(t.encode() + b" " + line + b"\r\n")
        return self.until_tagged(t)

    def ok(self, line):
        r = self.cmd(line)
        assert r.ok, f"{line!r}: expected OK, got {r}"
        return r

    def no(self, line, code=None):
        r = self.cmd(line)
        assert r.status == "NO", f"{line!r}: expected NO, got {r}"
        if code is not None:
            assert r.code is not None and r.code.split(" ")[0] == code, r
        return r

    def bad(self, line, code=None):
        r = self.cmd(line)
        assert r.status == "BAD", f"{line!r}: expected BAD, got {r}"
        if code is not None:
            assert r.code is not None and r.code.split(" ")[0] == code, r
        return r

    def capabilities(self):
        r = self.ok("CAPABILITY")
        caps = r.lines("CAPABILITY")
        assert len(caps) == 1, r
        return caps[0].split(" ")

    def login(self, user=ALICE, password=PW):
        return self.ok(f"LOGIN {quote(user)} {quote(password)}")

    def starttls(self):
        r = self.ok("STARTTLS")
        assert self.buf == b"", f"bytes after OK to STARTTLS: {self.buf!r}"
        self.sock = tls_context().wrap_socket(self.sock)
        return r

    def logout(self):
        r = self.ok("LOGOUT")
        assert any(u.startswith(b"* BYE") for u in r.untagged), r
        return r


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    """One server with imap/imaps (plaintext LOGIN allowed on loopback)
    and the users of conftest.USERS."""
    srv = Server(tmp_path_factory.mktemp("imap"), name="imap", imap=True)
    populate(srv)
    srv.start()
    yield srv
    finish(srv)


@contextlib.contextmanager
def own_server(tmp_path_factory, name, imap_extra="", extra=""):
    """A server of its own for one test (other [imap] settings)."""
    srv = Server(tmp_path_factory.mktemp(name), name=name, imap=True,
                 imap_extra=imap_extra, extra=extra)
    populate(srv)
    srv.start()
    try:
        yield srv
    finally:
        finish(srv)
