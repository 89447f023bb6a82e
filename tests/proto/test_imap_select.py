# test_imap_select.py: SELECT / EXAMINE responses (RFC 3501 6.3.1-2,
# RFC 9051 6.3.2, RFC 7162 CONDSTORE/QRESYNC), CLOSE, UNSELECT, CHECK.
# Also the raw client the other test_imap_{store,multi,append,idle}.py use.
# SPDX-License-Identifier: MIT
import re
import socket
import uuid

import pytest

from conftest import finish, make_server


class Imap:
    """A raw IMAP client: cmd() returns (untagged lines, tagged line);
    literals in responses are kept inline as bytes decoded latin-1."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.buf = b""
        self.n = 0
        self.greeting = self.line()

    def close(self):
        self.sock.close()

    def raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def _fill(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self):
        """One response line; a literal {n} at its end is read in."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            ln, self.buf = self.buf.split(b"\r\n", 1)
            out += ln
            m = re.search(rb"\{(\d+)\}$", ln)
            if not m:
                return out.decode("latin-1")
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]

    def tag(self):
        self.n += 1
        return f"T{self.n}"

    def read_until(self, tag):
        untagged = []
        while True:
            ln = self.line()
            if ln.startswith(tag + " "):
                return untagged, ln
            untagged.append(ln)

    def cmd(self, text, literals=()):
        """Send `tag text`; each literal in literals follows a {n}
        announcement already in text (the "+" is awaited)."""
        t = self.tag()
        parts = (t + " " + text).split("\x00")
        if literals:
            # text holds "\0" where each literal goes
            self.raw(parts[0].encode())
            for i, lit in enumerate(literals):
                lit = lit if isinstance(lit, bytes) else lit.encode()
                self.raw(f"{{{len(lit)}}}\r\n".encode())
                ln = self.line()
                assert ln.startswith("+"), ln
                self.raw(lit + parts[i + 1].encode())
            self.raw(b"\r\n")
        else:
            self.raw((t + " " + text + "\r\n").encode())
        return self.read_until(t)

    def ok(self, text, literals=()):
        u, t = self.cmd(text, literals)
        assert t.split(" ", 2)[1] == "OK", (text, u, t)
        return u, t

    def login(self, user, pw):
        self.ok(f'LOGIN "{user}" "{pw}"')
        self.user = user
        return self


def fresh_user(srv):
    addr = f"u{uuid.uuid4().hex[:10]}@example.test"
    srv.add_user(addr, "pw-" + addr)
    return addr, "pw-" + addr


def connect(srv, addr, pw):
    return Imap(srv.imap_port).login(addr, pw)


def two_sessions(srv, n, second="SELECT"):
    """A new user with n messages in INBOX, and two sessions on it: a
    (SELECT) and b (`second`: SELECT or EXAMINE).  Returns (a, b, uids)."""
    addr, pw = fresh_user(srv)
    a = connect(srv, addr, pw)
    uids = [append(a, "INBOX") for _ in range(n)]
    a.ok("SELECT INBOX")
    b = connect(srv, addr, pw)
    b.ok(f"{second} INBOX")
    return a, b, uids


def message(subject="hello", body="body text"):
    return (f"From: a@example.test\r\nTo: b@example.test\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@x>\r\n"
            f"\r\n{body}\r\n")


def append(c, box, msg=None, flags=""):
    msg = msg if msg is not None else message()
    fl = f"({flags}) " if flags else ""
    u, t = c.ok(f"APPEND {box} {fl}\x00", [msg])
    m = re.search(r"\[APPENDUID (\d+) ([\d:,]+)\]", t)
    assert m, t
    return int(m.group(2))


def fetch_flags(lines):
    """{seq: flags string} from untagged FETCH lines."""
    out = {}
    for ln in lines:
        m = re.match(r"\* (\d+) FETCH \(.*FLAGS \(([^)]*)\)", ln)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def code_of(lines, name):
    for ln in lines:
        m = re.search(r"\[" + name + r" ?([^\]]*)\]", ln)
        if m:
            return m.group(1)
    return None


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    srv = make_server(tmp_path_factory, "imap_select", imap=True)
    yield srv
    finish(srv)


def test_select_responses(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    append(c, "INBOX", flags="\\Seen")
    append(c, "INBOX", flags="$Work")
    u, t = c.ok("SELECT INBOX")
    assert re.match(r"T\d+ OK \[READ-WRITE\] SELECT completed", t), t
    assert "* 2 EXISTS" in u
    # APPEND's messages were not yet claimed: this session has \Recent
    assert "* 2 RECENT" in u
    assert code_of(u, "UNSEEN") == "2"
    fl = [x for x in u if x.startswith("* FLAGS ")][0]
    assert fl == "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)"
    assert code_of(u, "PERMANENTFLAGS") == \
        "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)"
    assert int(code_of(u, "UIDVALIDITY")) > 0
    assert code_of(u, "UIDNEXT") == "3"
    assert int(code_of(u, "HIGHESTMODSEQ")) > 0
    # a second session gets no \Recent (RFC 3501 2.3.2)
    c2 = connect(imap_server, addr, pw)
    u2, _ = c2.ok("SELECT INBOX")
    assert "* 0 RECENT" in u2
    c2.close()
    c.close()


def test_select_missing_and_reselect(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    u, t = c.cmd("SELECT Nope")
    assert " NO [NONEXISTENT]" in t
    c.ok("SELECT INBOX")
    # RFC 9051 6.3.2 / RFC 7162 3.2.11: [CLOSED] for the old one
    u, t = c.ok("EXAMINE Sent")
    assert u[0].startswith("* OK [CLOSED]"), u
    assert "[READ-ONLY]" in t
    assert code_of(u, "PERMANENTFLAGS") == "()"
    # a failed SELECT leaves no mailbox selected
    u, t = c.cmd("SELECT Nope")
    assert " NO " in t and u[0].startswith("* OK [CLOSED]")
    u, t = c.cmd("FETCH 1 FLAGS")
    assert " BAD " in t or " NO " in t
    c.close()


def test_examine_is_read_only(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    append(c, "INBOX")
    u, t = c.ok("EXAMINE INBOX")
    assert "* 0 RECENT" in u  # EXAMINE claims no \Recent
    u, t = c.cmd("STORE 1 +FLAGS (\\Seen)")
    assert " NO [READ-ONLY]" in t
    u, t = c.cmd("EXPUNGE")
    assert " NO [READ-ONLY]" in t
    u, t = c.cmd("MOVE 1 Trash")
    assert " NO [READ-ONLY]" in t
    u, t = c.ok("COPY 1 Trash")  # COPY from a read-only mailbox is fine
    assert "[COPYUID " in t
    # the \Recent is still there for a read-write session
    c2 = connect(imap_server, addr, pw)
    u, _ = c2.ok("SELECT INBOX")
    assert "* 1 RECENT" in u
    c.close()
    c2.close()


def test_close_expunges_silently_unselect_does_not(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    for _ in range(3):
        append(c, "INBOX")
    c.ok("SELECT INBOX")
    c.ok("STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    u, t = c.ok("CLOSE")
    assert not any("EXPUNGE" in x for x in u), u
    u, t = c.cmd("FETCH 1 FLAGS")
    assert " OK " not in t  # no mailbox selected
    u, _ = c.ok("SELECT INBOX")
    assert "* 1 EXISTS" in u
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    c.ok("UNSELECT")
    u, _ = c.ok("EXAMINE INBOX")
    assert "* 1 EXISTS" in u
    # CLOSE in EXAMINE does not expunge
    c.ok("CLOSE")
    u, _ = c.ok("SELECT INBOX")
    assert "* 1 EXISTS" in u
    c.ok("CHECK")
    c.close()


def test_condstore_select(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    append(c, "INBOX")
    u, t = c.ok("SELECT INBOX (CONDSTORE)")
    hms = int(code_of(u, "HIGHESTMODSEQ"))
    # CONDSTORE on: FETCH responses of STORE carry MODSEQ
    u, t = c.ok("STORE 1 +FLAGS (\\Flagged)")
    m = re.match(r"\* 1 FETCH \(FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)", u[0])
    assert m, u
    assert "\\Flagged" in m.group(1) and int(m.group(2)) > hms


def test_qresync_select_vanished_earlier(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    uids = [append(c, "INBOX") for _ in range(5)]
    u, _ = c.ok("SELECT INBOX")
    uidvalidity = int(code_of(u, "UIDVALIDITY"))
    hms = int(code_of(u, "HIGHESTMODSEQ"))
    c.ok(f"UID STORE {uids[1]},{uids[3]} +FLAGS.SILENT (\\Deleted)")
    c.ok("STORE 5 +FLAGS (\\Answered)")
    c.ok("EXPUNGE")
    c.ok("UNSELECT")
    # QRESYNC needs ENABLE first (RFC 7162 3.2.5)
    u, t = c.cmd(f"SELECT INBOX (QRESYNC ({uidvalidity} {hms}))")
    assert " BAD " in t
    c.ok("ENABLE QRESYNC")
    u, t = c.ok(f"SELECT INBOX (QRESYNC ({uidvalidity} {hms}))")
    assert f"* VANISHED (EARLIER) {uids[1]},{uids[3]}" in u, u
    fetches = [x for x in u if " FETCH " in x]
    # the flag change of message 5 (now number 3), with UID and MODSEQ;
    # \Deleted of the expunged ones is not reported
    assert len(fetches) == 1, fetches
    assert re.match(rf"\* 3 FETCH \(UID {uids[4]} FLAGS \(\\Answered\) "
                    r"MODSEQ \(\d+\)\)", fetches[0]), fetches
    # known-uids narrows VANISHED
    c.ok("UNSELECT")
    u, t = c.ok(f"SELECT INBOX (QRESYNC ({uidvalidity} {hms} {uids[3]}))")
    assert f"* VANISHED (EARLIER) {uids[3]}" in u, u
    # a wrong UIDVALIDITY: a plain select
    c.ok("UNSELECT")
    u, t = c.ok(f"SELECT INBOX (QRESYNC ({uidvalidity + 1} {hms}))")
    assert not any("VANISHED" in x for x in u)
    c.close()


def test_rev2_select(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    append(c, "INBOX")
    if "IMAP4rev2" not in c.ok("CAPABILITY")[0][0]:
        pytest.skip("IMAP4rev2 is not advertised yet")
    c.ok("ENABLE IMAP4rev2")
    u, t = c.ok("SELECT INBOX")
    assert '* LIST (\\HasNoChildren) "/" INBOX' in u, u
    assert not any(x.endswith(" RECENT") or "[UNSEEN" in x for x in u), u
    c.close()


def test_uid_expunge(imap_server):
    """RFC 4315 2.1: only \\Deleted messages in the UID set go."""
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    uids = [append(c, "INBOX") for _ in range(4)]
    c.ok("SELECT INBOX")
    c.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    u, _ = c.ok(f"UID EXPUNGE {uids[1]}:{uids[3]}")
    assert u == ["* 3 EXPUNGE", "* 2 EXPUNGE"], u
    u, _ = c.ok("EXPUNGE")
    assert u == ["* 1 EXPUNGE"], u
    u, _ = c.ok("UID FETCH 1:* (UID)")
    assert len(u) == 1 and f"UID {uids[3]}" in u[0], u
    c.close()
