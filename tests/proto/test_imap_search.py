# test_imap_search.py: SEARCH / UID SEARCH (RFC 9051 6.4.4, RFC 3501
# 6.4.4), ESEARCH (RFC 4731), SEARCHRES (RFC 5182), MODSEQ (RFC 7162
# 3.1.5), WITHIN (RFC 5032), SORT and THREAD (RFC 5256, RFC 5957) end to
# end, through imaplib and raw bytes; messages are put in with APPEND.
# SPDX-License-Identifier: MIT
import base64
import email.utils
import imaplib
import re
import time
import uuid

import pytest

from conftest import finish, make_server
from imapraw import Imap, quote

CRLF = b"\r\n"


def msg(*lines, body=b""):
    """A message from header lines (str or bytes) and a body."""
    head = b"".join((ln.encode() if isinstance(ln, str) else ln) + CRLF
                    for ln in lines)
    return head + CRLF + body


# ---- the corpus for the search keys ----------------------------------

M1 = msg('From: "Alice Smith" <alice@a.example>',
         "To: Bob <bob@b.example>",
         "Cc: carol@c.example",
         "Bcc: dave@d.example",
         "Subject: Hello world",
         # 04:30 UTC on 2 Jan, but 1 Jan where it was written.
         "Date: Mon, 01 Jan 2024 23:30:00 -0500",
         "Message-ID: <m1@x.example>",
         "X-Custom: foo-bar",
         "Content-Type: text/plain",
         body=b"plain text body apple\r\n")
M2 = msg("From: =?ISO-8859-1?Q?Andr=E9?= <andre@x.example>",
         "To: team@b.example",
         # "Übung für alle"
         "Subject: =?UTF-8?B?w5xidW5nIGbDvHIgYWxsZQ==?=",
         "Date: Thu, 15 Feb 2024 10:00:00 +0000",
         "MIME-Version: 1.0",
         "Content-Type: text/plain; charset=utf-8",
         "Content-Transfer-Encoding: base64",
         body=base64.encodebytes("banana split über\r\n".encode())
         .replace(b"\n", CRLF))
M3 = msg("From: Carol <carol@c.example>",
         "To: alice@a.example",
         "Subject: Re: Hello",
         " world",
         "Date: 20 Mar 2024 08:00:00 +0100",
         "MIME-Version: 1.0",
         "Content-Type: multipart/alternative; boundary=b1",
         body=(b"--b1\r\n"
               b"Content-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
               b"caf=C3=A9 cher=\r\nry pie\r\n"
               b"--b1\r\n"
               b"Content-Type: text/html\r\n\r\n"
               b"<p>kiwi</p>\r\n"
               b"--b1--\r\n"))
M4 = msg("From: zed@z.example",
         "To: bob@b.example",
         "Subject: Latin one",
         "Date: Sat, 20 Apr 2024 12:00:00 +0000",
         "MIME-Version: 1.0",
         "Content-Type: text/plain; charset=iso-8859-1",
         "Content-Transfer-Encoding: 8bit",
         body=b"Viele Gr\xfc\xdfe aus K\xf6ln\r\n")
M5 = msg("From: big@z.example", "Subject: big one",
         body=b"".join(b"line %05d of filler text\r\n" % i
                       for i in range(600)))

CORPUS = [
    (M1, r"(\Seen \Flagged $Label1)", "10-Jan-2024 12:00:00 +0000"),
    (M2, r"(\Answered)", "15-Feb-2024 12:00:00 +0000"),
    (M3, r"(\Draft)", "20-Mar-2024 12:00:00 +0000"),
    (M4, r"(\Deleted $Other)", "20-Apr-2024 12:00:00 +0000"),
    (M5, "()", None),  # now - 100 s (YOUNGER / OLDER)
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = make_server(tmp_path_factory, "imap_search", imap=True)
    yield s
    finish(s)


def user(srv):
    addr = f"s{uuid.uuid4().hex[:8]}@example.test"
    srv.add_user(addr, "pw-" + addr)
    return addr, "pw-" + addr


def raw_client(srv, addr, pw):
    c = Imap(srv.imap_port)
    c.login(addr, pw)
    return c


def append(c, data, flags="()", date=None, mailbox="INBOX"):
    """APPEND with a synchronising literal; returns the new UID."""
    if date is None:
        date = time.strftime("%d-%b-%Y %H:%M:%S +0000",
                             time.gmtime(time.time() - 100))
    t = c.tag()
    c.send(f"{t} APPEND {mailbox} {flags} \"{date}\" {{{len(data)}}}\r\n")
    cont = c.response()
    assert cont.startswith(b"+"), cont
    c.send(data + CRLF)
    r = c.until_tagged(t)
    assert r.ok, r
    m = re.match(r"APPENDUID \d+ (\d+)", r.code or "")
    assert m, r
    return int(m.group(1))


def mailbox(srv, msgs):
    """A fresh user whose INBOX holds msgs [(bytes, flags, date)]; returns
    (raw client with INBOX selected, UIDs, (addr, pw))."""
    addr, pw = user(srv)
    c = raw_client(srv, addr, pw)
    uids = [append(c, *m) for m in msgs]
    c.ok("SELECT INBOX")
    return c, uids, (addr, pw)


def hits(r, name="SEARCH"):
    """Numbers of the untagged "* SEARCH ..." answer (exactly one)."""
    lines = r.lines(name)
    assert len(lines) == 1, r
    return [int(x) for x in lines[0].split()]


def search(c, keys, uid=False):
    r = c.ok(("UID SEARCH " if uid else "SEARCH ") + keys)
    return hits(r)


def esearch(c, args, uid=False):
    """The ESEARCH line of a RETURN search, tag checked and removed."""
    t = f"a{c.n + 1}"
    r = c.ok(("UID SEARCH " if uid else "SEARCH ") + args)
    lines = r.lines("ESEARCH")
    assert len(lines) == 1, r
    prefix = f'(TAG "{t}")'
    assert lines[0].startswith(prefix), r
    return lines[0][len(prefix):].strip()


def literal_cmd(c, head, lit, tail=b""):
    """Send "tag head{n}" + literal + tail with a synchronising literal;
    returns the Tagged reply."""
    t = c.tag()
    c.send(f"{t} {head}{{{len(lit)}}}\r\n".encode())
    cont = c.response()
    assert cont.startswith(b"+"), cont
    c.send(lit + tail + CRLF)
    return c.until_tagged(t)


def box(srv, msgs):
    """Body of the module fixtures: mailbox(srv, msgs), logged out at
    the end."""
    c, uids, cred = mailbox(srv, msgs)
    yield c, uids, cred
    c.logout()
    c.close()


@pytest.fixture(scope="module")
def corpus(srv):
    """One INBOX with CORPUS, selected by the first session (so every
    message is \\Recent in it)."""
    yield from box(srv, CORPUS)


# ---- keys --------------------------------------------------------------

FLAG_CASES = {
    "ALL": [1, 2, 3, 4, 5],
    "SEEN": [1], "UNSEEN": [2, 3, 4, 5],
    "FLAGGED": [1], "UNFLAGGED": [2, 3, 4, 5],
    "ANSWERED": [2], "UNANSWERED": [1, 3, 4, 5],
    "DRAFT": [3], "UNDRAFT": [1, 2, 4, 5],
    "DELETED": [4], "UNDELETED": [1, 2, 3, 5],
    "KEYWORD $Label1": [1], "UNKEYWORD $Label1": [2, 3, 4, 5],
    "KEYWORD $Other": [4], "KEYWORD $Nothing": [],
    "UNKEYWORD $Nothing": [1, 2, 3, 4, 5],
    "RECENT": [1, 2, 3, 4, 5], "NEW": [2, 3, 4, 5], "OLD": [],
}


def test_recent_in_second_session(srv, corpus):
    _, _, (addr, pw) = corpus
    c2 = raw_client(srv, addr, pw)
    c2.ok("SELECT INBOX")
    assert search(c2, "RECENT") == []
    assert search(c2, "NEW") == []
    assert search(c2, "OLD") == [1, 2, 3, 4, 5]
    c2.logout()


HEADER_CASES = {
    "FROM alice": [1], "TO alice": [3], 'FROM "alice smith"': [1],
    "FROM ANDRE@X": [2], "TO bob": [1, 4], "CC carol": [1],
    "BCC dave": [1], "BCC nobody": [], "CC c.example": [1],
    "SUBJECT hello": [1, 3],
    # M3's subject is folded: searched unfolded
    'SUBJECT "HELLO WORLD"': [1, 3],
    'SUBJECT "re: hello"': [3],
    "HEADER X-Custom foo-BAR": [1], 'HEADER X-Custom ""': [1],
    'HEADER x-custom ""': [1], 'HEADER X-None ""': [],
    'HEADER Date ""': [1, 2, 3, 4],
    "HEADER Message-ID m1@x": [1],
    "HEADER Content-Transfer-Encoding base64": [2],
    "HEADER Content-Type multipart": [3],
    # RFC 2047 words are decoded before matching, not matched raw
    "SUBJECT =?UTF-8?B?": [], "FROM Andr=E9": [],
}


UTF8_CASES = {
    "SUBJECT": [("übung", [2]), ("ÜBUNG FÜR", [2]), ("für alle", [2])],
    "FROM": [("andré", [2]), ("ANDRÉ", [2])],
    "BODY": [("über", [2]), ("café", [3]), ("grüße", [4]),
             ("KÖLN", [4]), ("Grüsse", [])],
    "TEXT": [("übung", [2]), ("andré", [2])],
}


def test_utf8_literals(corpus):
    c, _, _ = corpus
    for key, cases in UTF8_CASES.items():
        for needle, want in cases:
            r = literal_cmd(c, f"SEARCH CHARSET UTF-8 {key} ",
                            needle.encode())
            assert r.ok, (key, needle, r)
            assert hits(r) == want, (key, needle)


def test_utf8_with_imaplib(srv, corpus):
    _, _, (addr, pw) = corpus
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login(addr, pw)
    m.select("INBOX")
    m.literal = "übung".encode()
    typ, data = m.search("UTF-8", "SUBJECT")
    assert typ == "OK" and data == [b"2"]
    typ, data = m.search(None, "BODY", "cherry")
    assert typ == "OK" and data == [b"3"]
    m.logout()


BODY_CASES = {
    "BODY apple": [1],
    "BODY banana": [2],        # base64 body, decoded
    "BODY YmFuYW5h": [],       # ... and not matched encoded
    "BODY cherry": [3],        # QP soft line break joined
    "BODY =C3": [],
    "BODY kiwi": [3],          # the text/html alternative
    "BODY hello": [],          # only in a header
    "BODY ALICE": [],
    "TEXT hello": [1, 3],
    "TEXT alice": [1, 3],
    "TEXT apple": [1],
    'TEXT "foo-bar"': [1],
    "TEXT filler": [5],
    'BODY ""': [1, 2, 3, 4, 5],
}


DATE_CASES = {
    "BEFORE 15-Feb-2024": [1], "ON 15-Feb-2024": [2],
    "SINCE 15-Feb-2024": [2, 3, 4, 5], "ON 14-Feb-2024": [],
    "BEFORE 1-Jan-2000": [], "SINCE 1-jan-2000": [1, 2, 3, 4, 5],
    "BEFORE 21-MAR-2024 SINCE 20-Mar-2024": [3],
    # SENT*: the Date field in its own zone (1 Jan for M1, 2 Jan UTC)
    "SENTON 1-Jan-2024": [1], "SENTON 2-Jan-2024": [],
    "SENTBEFORE 2-Jan-2024": [1], "SENTSINCE 2-Jan-2024": [2, 3, 4],
    "SENTON 20-Mar-2024": [3], "SENTBEFORE 1-Jan-1990": [],
    "NOT SENTBEFORE 1-Jan-1990": [1, 2, 3, 4, 5],
    # RFC 5032: M5 arrived 100 s ago
    "YOUNGER 86400": [5], "OLDER 86400": [1, 2, 3, 4],
    "YOUNGER 1": [], "OLDER 1": [1, 2, 3, 4, 5],
}


def test_sizes(corpus):
    c, _, _ = corpus
    r = c.ok("FETCH 1:* RFC822.SIZE")
    sizes = {int(ln.split()[0]):
             int(re.search(r"RFC822.SIZE (\d+)", ln).group(1))
             for ln in r.lines("FETCH")}
    assert sizes[1] == len(M1) and sizes[5] == len(M5)
    for n in (len(M1), len(M4), 1000, len(M5)):
        want = sorted(i for i, s in sizes.items() if s > n)
        assert search(c, f"LARGER {n}") == want, n
        want = sorted(i for i, s in sizes.items() if s < n)
        assert search(c, f"SMALLER {n}") == want, n
    assert search(c, "LARGER 0") == [1, 2, 3, 4, 5]
    assert search(c, "SMALLER 0") == []


def test_sets_and_uid(corpus):
    c, uids, _ = corpus
    cases = {
        "2,4:*": [2, 4, 5], "*": [5], "3:1": [1, 2, 3], "1:*": [1, 2, 3, 4, 5],
        "5:9": [5], "2 3": [], "2,3 UNSEEN": [2, 3],
        f"UID {uids[1]}:{uids[2]}": [2, 3], f"UID {uids[4]}:*": [5],
        "UID *": [5], f"UID {uids[4] + 10}:{uids[4] + 20}": [],
        # RFC 9051 6.4.8: n:* always holds the last UID
        f"UID {uids[4] + 10}:*": [5], "9:*": [5],
        f"UID {uids[0]},{uids[3]} SEEN": [1],
    }
    for keys, want in cases.items():
        assert search(c, keys) == want, keys
    # UID SEARCH answers UIDs, whatever the keys
    assert search(c, "ALL", uid=True) == uids
    assert search(c, "2:3", uid=True) == uids[1:3]
    assert search(c, f"UID {uids[3]}", uid=True) == [uids[3]]
    assert search(c, "BODY banana", uid=True) == [uids[1]]


BOOL_CASES = {
    "OR SEEN ANSWERED": [1, 2],
    "NOT OR SEEN ANSWERED": [3, 4, 5],
    "NOT NOT SEEN": [1],
    "(SEEN) (FLAGGED)": [1],
    "(SEEN FLAGGED) ANSWERED": [],
    "NOT (OR SEEN (OR DRAFT DELETED))": [2, 5],
    "OR OR SEEN DRAFT BODY banana": [1, 2, 3],
    "OR (DRAFT BODY cherry) (FROM zed NOT DELETED)": [3],
    "OR BODY nothing-here SUBJECT latin": [4],
    "NOT BODY apple": [2, 3, 4, 5],
    "NOT TEXT hello": [2, 4, 5],
    "NOT HEADER X-Custom \"\"": [2, 3, 4, 5],
    "OR NOT SEEN NOT FLAGGED": [2, 3, 4, 5],
    "NOT (SEEN FLAGGED)": [2, 3, 4, 5],
    "OR 1 BODY kiwi": [1, 3],
    "OR SENTON 1-Jan-2024 LARGER 5000": [1, 5],
    "NOT ((((SEEN))))": [2, 3, 4, 5],
    "ALL NOT ALL": [],
}


@pytest.mark.parametrize("table", ["FLAG", "HEADER", "BODY", "DATE", "BOOL"])
def test_key_table(corpus, table):
    """Each table maps search keys to the corpus messages they match."""
    c, _, _ = corpus
    for keys, want in globals()[table + "_CASES"].items():
        assert search(c, keys) == want, keys


def test_case_insensitive_keys(corpus):
    c, _, _ = corpus
    assert search(c, "seen") == [1]
    assert search(c, "or Seen answered") == [1, 2]
    assert search(c, "subject HELLO Not Body Apple") == [3]
    assert search(c, "charset us-ascii from ALICE") == [1]


def test_syntax_errors(srv, corpus):
    # a session of its own: IMAP_ERRORS_MAX BADs end a session
    _, _, (addr, pw) = corpus
    c = raw_client(srv, addr, pw)
    c.ok("SELECT INBOX")
    for bad in ("SEARCH", "SEARCH FOO", "SEARCH OR SEEN", "SEARCH NOT",
                "SEARCH BEFORE 32-Jan-2024", "SEARCH ON 2024-01-01",
                "SEARCH LARGER x", "SEARCH (SEEN", "SEARCH SEEN)",
                "SEARCH 0", "SEARCH 1:0", "SEARCH UID x",
                "SEARCH HEADER Subject", "SEARCH MODSEQ x",
                "SEARCH RETURN (FOO) ALL", "SEARCH RETURN ALL",
                "SEARCH CHARSET", "SEARCH " + "NOT " * 200 + "ALL",
                "SEARCH " + "(" * 200 + "ALL" + ")" * 200):
        c.bad(bad)
    # still usable
    assert search(c, "SEEN") == [1]
    c.logout()


def test_not_selected(srv):
    addr, pw = user(srv)
    c = raw_client(srv, addr, pw)
    r = c.cmd("SEARCH ALL")
    assert r.status in ("BAD", "NO"), r
    r = c.cmd("SORT (DATE) UTF-8 ALL")
    assert r.status in ("BAD", "NO"), r
    c.logout()


def test_examine_and_empty_mailbox(srv):
    addr, pw = user(srv)
    c = raw_client(srv, addr, pw)
    c.ok("SELECT INBOX")
    assert search(c, "ALL") == []
    assert search(c, "BODY x") == []
    assert esearch(c, "RETURN (MIN MAX COUNT ALL) ALL") == "COUNT 0"
    assert hits(c.ok("SORT (DATE) UTF-8 ALL"), "SORT") == []
    r = c.ok("THREAD REFERENCES UTF-8 ALL")
    assert r.lines("THREAD") in ([""], []), r
    assert any(u == b"* THREAD" for u in r.untagged), r
    append(c, M1, "(\\Seen)")
    c.ok("NOOP")
    c.ok("EXAMINE INBOX")
    assert search(c, "SEEN BODY apple") == [1]
    c.logout()


# ---- MODSEQ (RFC 7162 3.1.5) -------------------------------------------

def test_modseq(srv):
    c, uids, cred = mailbox(srv, [(M1, "()", None)] * 3)
    r = c.ok("FETCH 1:* MODSEQ")
    ms = {int(ln.split()[0]):
          int(re.search(r"MODSEQ \((\d+)\)", ln).group(1))
          for ln in r.lines("FETCH")}
    c.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    r = c.ok("FETCH 2 MODSEQ")
    m2 = int(re.search(r"MODSEQ \((\d+)\)", r.lines("FETCH")[0]).group(1))
    assert m2 > max(ms.values())
    r = c.ok(f"SEARCH MODSEQ {m2}")
    assert r.lines("SEARCH") == [f"2 (MODSEQ {m2})"], r
    r = c.ok(f"SEARCH MODSEQ {min(ms.values())}")
    assert r.lines("SEARCH") == [f"1 2 3 (MODSEQ {m2})"], r
    # the entry-name form (RFC 7162 3.1.5)
    r = c.ok(f'SEARCH MODSEQ "/flags/\\\\flagged" all {m2}')
    assert r.lines("SEARCH") == [f"2 (MODSEQ {m2})"], r
    r = c.ok(f"UID SEARCH OR MODSEQ {m2} 1")
    assert r.lines("SEARCH") == [f"{uids[0]} {uids[1]} (MODSEQ {m2})"], r
    # no hit: no MODSEQ
    r = c.ok(f"SEARCH MODSEQ {m2 + 1000}")
    assert r.lines("SEARCH") == [""], r
    # without MODSEQ in the keys, no MODSEQ in the answer
    r = c.ok("SEARCH FLAGGED")
    assert r.lines("SEARCH") == ["2"], r
    assert esearch(c, f"RETURN (COUNT) MODSEQ {m2}") == \
        f"COUNT 1 MODSEQ {m2}"
    c.logout()
    # SEARCH MODSEQ is a CONDSTORE enabling command (RFC 7162 3.1):
    # FETCH responses from then on carry MODSEQ
    c = raw_client(srv, *cred)
    c.ok("SELECT INBOX")
    r = c.ok("STORE 1 +FLAGS (\\Answered)")
    assert "MODSEQ" not in r.lines("FETCH")[0], r
    c.ok("SEARCH MODSEQ 1")
    r = c.ok("STORE 1 +FLAGS (\\Seen)")
    assert "MODSEQ" in r.lines("FETCH")[0], r
    c.logout()


# ---- ESEARCH (RFC 4731) ------------------------------------------------

def test_esearch(corpus):
    c, uids, _ = corpus
    assert esearch(c, "RETURN (MIN MAX COUNT) UNSEEN") == \
        "MIN 2 MAX 5 COUNT 4"
    assert esearch(c, "RETURN () UNSEEN") == "ALL 2:5"
    assert esearch(c, "RETURN (ALL) OR 1 OR 3 5") == "ALL 1,3,5"
    assert esearch(c, "RETURN (ALL) NOT 4") == "ALL 1:3,5"
    assert esearch(c, "RETURN (COUNT) BODY nothing") == "COUNT 0"
    assert esearch(c, "RETURN (MIN MAX ALL) BEFORE 1-Jan-2000") == ""
    assert esearch(c, "RETURN (MAX) SEEN") == "MAX 1"
    assert esearch(c, "RETURN (min) charset utf-8 DRAFT") == "MIN 3"
    assert esearch(c, "RETURN (MIN) ALL", uid=True) == f"UID MIN {uids[0]}"
    assert esearch(c, "RETURN (ALL COUNT) 2:3", uid=True) == \
        f"UID ALL {uids[1]}:{uids[2]} COUNT 2"
    # the answer is an ESEARCH, never a SEARCH
    r = c.ok("SEARCH RETURN (COUNT) ALL")
    assert r.lines("SEARCH") == [] and len(r.lines("ESEARCH")) == 1


def test_imap4rev2_esearch(srv, corpus):
    """After ENABLE IMAP4rev2 a SEARCH without RETURN answers ESEARCH
    with ALL (RFC 9051 6.4.4, 7.3.4).  Checked once the capability is
    advertised (the session engineer lists it)."""
    _, uids, (addr, pw) = corpus
    c = raw_client(srv, addr, pw)
    if "IMAP4rev2" not in c.capabilities():
        c.logout()
        pytest.skip("IMAP4rev2 not advertised yet")
    c.ok("ENABLE IMAP4rev2")
    c.ok("SELECT INBOX")
    assert esearch(c, "UNSEEN") == "ALL 2:5"
    assert esearch(c, "BODY nothing") == ""
    assert esearch(c, "SEEN", uid=True) == f"UID ALL {uids[0]}"
    assert esearch(c, "RETURN (COUNT) ALL") == "COUNT 5"
    c.logout()


def test_esearch_tag_quoting_pipelined(corpus):
    c, _, _ = corpus
    c.send(b"x1 SEARCH RETURN (COUNT) SEEN\r\n"
           b"x2 SEARCH RETURN (MIN) UNSEEN\r\nx3 SEARCH DRAFT\r\n")
    r1 = c.until_tagged("x1")
    r2 = c.until_tagged("x2")
    r3 = c.until_tagged("x3")
    assert r1.untagged == [b'* ESEARCH (TAG "x1") COUNT 1'], r1
    assert r2.untagged == [b'* ESEARCH (TAG "x2") MIN 2'], r2
    assert r3.untagged == [b"* SEARCH 3"], r3


# ---- SEARCHRES (RFC 5182) ----------------------------------------------

def test_save_and_reuse(srv):
    msgs = [(msg(f"Subject: s{i}", body=b"x\r\n"),
             "(\\Seen)" if i in (1, 4) else "()", None) for i in range(1, 7)]
    c, uids, _ = mailbox(srv, msgs)
    # "$" before any SAVE: the empty set
    assert search(c, "$") == []
    r = c.ok("SEARCH RETURN (SAVE) UNSEEN")
    assert r.untagged == [], r
    r = c.ok("FETCH $ (UID)")
    assert sorted(int(x.split()[0]) for x in r.lines("FETCH")) == [2, 3, 5, 6]
    assert search(c, "$") == [2, 3, 5, 6]
    assert search(c, "NOT $") == [1, 4]
    assert search(c, "UID $", uid=True) == [uids[i] for i in (1, 2, 4, 5)]
    assert search(c, "OR $ 1") == [1, 2, 3, 5, 6]
    r = c.ok("UID FETCH $ (FLAGS)")
    assert len(r.lines("FETCH")) == 4
    # SAVE with MIN / MAX saves only those (RFC 5182 2.4)
    assert esearch(c, "RETURN (SAVE MIN) UNSEEN") == "MIN 2"
    assert search(c, "$") == [2]
    assert esearch(c, "RETURN (MAX SAVE MIN) UNSEEN") == "MIN 2 MAX 6"
    assert search(c, "$") == [2, 6]
    assert esearch(c, "RETURN (SAVE COUNT) UNSEEN") == "COUNT 4"
    assert search(c, "$") == [2, 3, 5, 6]
    # a search over "$" may save again
    c.ok("SEARCH RETURN (SAVE) $ 5:*")
    assert search(c, "$") == [5, 6]
    # STORE via "$", then search for it
    c.ok("STORE $ +FLAGS.SILENT (\\Flagged)")
    assert search(c, "FLAGGED") == [5, 6]
    # pipelined: SAVE then FETCH $ in one write (RFC 5182 2.2)
    c.send(b"p1 UID SEARCH RETURN (SAVE) SEEN\r\np2 FETCH $ (UID)\r\n")
    c.until_tagged("p1")
    r = c.until_tagged("p2")
    assert sorted(int(x.split()[0]) for x in r.lines("FETCH")) == [1, 4]
    # a failed SAVE (BADCHARSET) leaves "$" empty (RFC 5182 2.1)
    c.no("SEARCH RETURN (SAVE) CHARSET KOI8-R ALL", "BADCHARSET")
    assert search(c, "$") == []
    c.ok("SEARCH RETURN (SAVE) 1:2")
    # expunged messages drop out of "$"
    c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    c.ok("EXPUNGE")
    assert search(c, "$") == [1]
    assert search(c, "UID $", uid=True) == [uids[1]]
    # a new SELECT forgets "$"
    c.ok("SELECT INBOX")
    assert search(c, "$") == []
    c.logout()


# ---- search after expunge; EXPUNGE never sent during SEARCH -------------

def test_search_after_expunge(srv):
    msgs = [(msg(f"Subject: e{i}", body=b"word%d\r\n" % i), "()", None)
            for i in range(1, 6)]
    c, uids, (addr, pw) = mailbox(srv, msgs)
    c.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    assert search(c, "DELETED") == [2, 4]
    c.ok("EXPUNGE")
    assert search(c, "ALL") == [1, 2, 3]
    assert search(c, "ALL", uid=True) == [uids[0], uids[2], uids[4]]
    assert search(c, f"UID {uids[2]}") == [2]
    assert search(c, f"UID {uids[1]}") == []
    assert search(c, "BODY word5") == [3]
    assert search(c, "SUBJECT e3", uid=True) == [uids[2]]
    assert search(c, "*") == [3]
    assert search(c, "DELETED") == []
    # another session expunges: SEARCH answers with the old numbers and
    # no EXPUNGE comes with it (RFC 9051 7.5.1); NOOP then brings it.
    c2 = raw_client(srv, addr, pw)
    c2.ok("SELECT INBOX")
    c2.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    c2.ok("EXPUNGE")
    c2.logout()
    r = c.ok("SEARCH BODY word")
    assert not any(b"EXPUNGE" in u for u in r.untagged), r
    assert hits(r) == [2, 3]
    r = c.ok("SEARCH ALL")
    assert hits(r) == [1, 2, 3]
    r = c.ok("NOOP")
    assert any(u == b"* 1 EXPUNGE" for u in r.untagged), r
    assert search(c, "ALL") == [1, 2]
    c.logout()


# ---- BADCHARSET ----------------------------------------------------------

def test_badcharset(srv, corpus):
    _, _, (addr, pw) = corpus
    c = raw_client(srv, addr, pw)
    c.ok("SELECT INBOX")
    for line in ("SEARCH CHARSET ISO-8859-1 ALL",
                 "UID SEARCH CHARSET KOI8-R BODY x",
                 "SEARCH RETURN (COUNT) CHARSET x-unknown ALL",
                 "SORT (DATE) ISO-8859-1 ALL",
                 "UID SORT (DATE) windows-1252 ALL",
                 "THREAD REFERENCES KOI8-R ALL",
                 "THREAD ORDEREDSUBJECT latin1 ALL"):
        r = c.no(line, "BADCHARSET")
        assert r.code == "BADCHARSET (UTF-8 US-ASCII)", r
        assert r.untagged == [], r
    for cs in ("UTF-8", "utf-8", "US-ASCII", '"UTF-8"'):
        assert search(c, f"CHARSET {cs} SEEN") == [1]
    c.bad("THREAD NOSUCH UTF-8 ALL")
    c.bad("SORT (NOSUCH) UTF-8 ALL")
    c.bad("SORT DATE UTF-8 ALL")
    c.bad("SORT () UTF-8 ALL")
    c.bad("SORT (REVERSE) UTF-8 ALL")
    c.bad("SORT (DATE) UTF-8")
    c.logout()


# ---- SORT (RFC 5256, RFC 5957) -----------------------------------------

def pad(n):
    return b"p" * n + CRLF


SORT_MSGS = [
    (msg('From: "Zoe" <a@x.example>', 'To: "Mike" <m@y.example>',
         "Cc: c3@z.example", "Subject: Re: banana",
         "Date: Wed, 03 Jan 2024 00:00:00 +0000", body=pad(200)),
     "()", "01-May-2024 12:00:00 +0000"),
    (msg('From: "Adam" <z@x.example>', "To: <b@y.example>",
         "Cc: c1@z.example", "Subject: apple",
         "Date: Mon, 01 Jan 2024 00:00:00 +0000", body=pad(900)),
     "()", "03-May-2024 12:00:00 +0000"),
    (msg("From: b@x.example", 'To: "Carl" <a@y.example>',
         "Subject: [list] Cherry (fwd)",
         "Date: Tue, 02 Jan 2024 00:00:00 +0000", body=pad(10)),
     "()", "02-May-2024 12:00:00 +0000"),
    (msg("From: =?UTF-8?Q?Bea?= <w@x.example>", "To: Zed <n@y.example>",
         "Cc: c2@z.example", "Subject: APPLE", body=pad(500)),
     "()", "04-May-2024 12:00:00 +0000"),
]

SORT_CASES = {
    "ARRIVAL": [1, 3, 2, 4],
    "REVERSE ARRIVAL": [4, 2, 3, 1],
    "DATE": [2, 3, 1, 4],       # no Date: the internal date
    "REVERSE DATE": [4, 1, 3, 2],
    "FROM": [1, 3, 4, 2],       # addr-mailbox: a b w z
    "TO": [3, 2, 1, 4],         # a b m n
    "CC": [3, 2, 4, 1],         # none c1 c2 c3
    "REVERSE CC": [1, 4, 2, 3],
    "SUBJECT": [2, 4, 1, 3],    # apple = APPLE, banana, cherry
    "REVERSE SUBJECT": [3, 1, 2, 4],  # ties stay in sequence order
    "SIZE": [3, 1, 4, 2],
    "REVERSE SIZE": [2, 4, 1, 3],
    "DISPLAYFROM": [2, 3, 4, 1],  # Adam b@x.example Bea Zoe
    "DISPLAYTO": [2, 3, 1, 4],    # b@y.example Carl Mike Zed
    "REVERSE DISPLAYFROM": [1, 4, 3, 2],
    "SUBJECT REVERSE DATE": [4, 2, 1, 3],
    "SUBJECT ARRIVAL": [2, 4, 1, 3],
    "REVERSE SUBJECT REVERSE ARRIVAL": [3, 1, 4, 2],
    "SUBJECT DISPLAYFROM SIZE": [2, 4, 1, 3],
}


@pytest.fixture(scope="module")
def sorted_box(srv):
    yield from box(srv, SORT_MSGS)


def test_sort_keys(sorted_box):
    c, uids, _ = sorted_box
    sizes = [len(m[0]) for m in SORT_MSGS]
    assert sorted(range(1, 5), key=lambda i: sizes[i - 1]) == \
        SORT_CASES["SIZE"]
    for crit, want in SORT_CASES.items():
        r = c.ok(f"SORT ({crit}) UTF-8 ALL")
        assert hits(r, "SORT") == want, crit
        r = c.ok(f"UID SORT ({crit}) US-ASCII ALL")
        assert hits(r, "SORT") == [uids[i - 1] for i in want], crit


def test_sort_with_search_keys(sorted_box):
    c, uids, _ = sorted_box
    r = c.ok("SORT (SUBJECT) UTF-8 NOT FROM zoe")
    assert hits(r, "SORT") == [2, 4, 3]
    r = c.ok("SORT (REVERSE DATE) UTF-8 OR BODY ppppp 2:3")
    assert hits(r, "SORT") == [4, 1, 3, 2]
    r = c.ok("SORT (SIZE) UTF-8 LARGER 400")
    assert hits(r, "SORT") == [4, 2]
    r = c.ok("UID SORT (ARRIVAL) UTF-8 SUBJECT apple")
    assert hits(r, "SORT") == [uids[1], uids[3]]
    r = c.ok("SORT (DATE) UTF-8 SUBJECT nothing")
    assert hits(r, "SORT") == []


def test_sort_imaplib(srv, sorted_box):
    _, _, (addr, pw) = sorted_box
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login(addr, pw)
    m.select("INBOX", readonly=True)
    typ, data = m.sort("(DISPLAYFROM)", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"2 3 4 1"]
    typ, data = m.uid("SORT", "(REVERSE SIZE)", "UTF-8", "ALL")
    assert typ == "OK"
    _, uids = m.uid("SEARCH", None, "ALL")
    u = uids[0].split()
    assert data == [b" ".join(u[i - 1] for i in (2, 4, 1, 3))]
    m.logout()


def test_sort_modseq(srv, sorted_box):
    c, _, _ = sorted_box
    r = c.ok("FETCH 1:* MODSEQ")
    top = max(int(re.search(r"MODSEQ \((\d+)\)", ln).group(1))
              for ln in r.lines("FETCH"))
    r = c.ok(f"SORT (SUBJECT) UTF-8 MODSEQ {top}")
    lines = r.lines("SORT")
    assert len(lines) == 1 and lines[0].endswith(f"(MODSEQ {top})"), r


# ---- THREAD (RFC 5256) ---------------------------------------------------

def tmsg(mid, subject, day, refs=None, irt=None):
    lines = [f"Message-ID: <{mid}@t.example>", f"Subject: {subject}",
             f"Date: {day:02d} Jan 2024 10:00:00 +0000", "From: t@t.example"]
    if irt:
        lines.append(f"In-Reply-To: <{irt}@t.example>")
    if refs:
        lines.append("References: " +
                     " ".join(f"<{r}@t.example>" for r in refs))
    return (msg(*lines, body=b"t\r\n"), "()", "05-Jan-2024 10:00:00 +0000")


THREAD_MSGS = [
    tmsg("a", "Topic", 1),
    tmsg("b", "Re: Topic", 2, refs=["a"], irt="a"),
    tmsg("c", "Other", 3),
    tmsg("d", "Re: Topic", 4, refs=["a", "b"]),
    tmsg("e", "Re: Topic", 5, irt="a"),
    tmsg("f", "Lost", 6, refs=["missing1"]),
    tmsg("g", "Twins", 7, refs=["missing2"]),
    tmsg("h", "Re: Twins", 8, refs=["missing2"]),
    tmsg("i", "Re: Other", 9),
]
# (message thread; 5 arrived before 4, so dates, not numbers, order)
THREAD_MSGS[3], THREAD_MSGS[4] = THREAD_MSGS[4], THREAD_MSGS[3]
# seq: 1 a, 2 b, 3 c, 4 e (day 5), 5 d (day 4), 6 f, 7 g, 8 h, 9 i


@pytest.fixture(scope="module")
def thread_box(srv):
    yield from box(srv, THREAD_MSGS)


def thread_line(r):
    lines = r.lines("THREAD")
    assert len(lines) == 1, r
    return lines[0]


def test_thread_references(thread_box):
    c, uids, _ = thread_box
    r = c.ok("THREAD REFERENCES UTF-8 ALL")
    # 1 has children 2 (child 5) and 4 ordered by date; 9 joins 3 by
    # subject; 6's missing parent is dropped; 7 and 8 share a dummy.
    assert thread_line(r) == "(1 (2 5)(4))(3 9)(6)((7)(8))"
    r = c.ok("UID THREAD REFERENCES UTF-8 ALL")
    u = {i + 1: x for i, x in enumerate(uids)}
    want = (f"({u[1]} ({u[2]} {u[5]})({u[4]}))({u[3]} {u[9]})({u[6]})"
            f"(({u[7]})({u[8]}))")
    assert thread_line(r) == want
    # a subset: only what matches is threaded
    r = c.ok("THREAD REFERENCES UTF-8 NOT 2")
    assert thread_line(r) == "(1 (5)(4))(3 9)(6)((7)(8))"
    r = c.ok("THREAD REFERENCES UTF-8 SUBJECT twins")
    assert thread_line(r) == "((7)(8))"


def test_thread_orderedsubject(thread_box):
    c, uids, _ = thread_box
    r = c.ok("THREAD ORDEREDSUBJECT UTF-8 ALL")
    assert thread_line(r) == "(1 (2)(5)(4))(3 9)(6)(7 8)"
    r = c.ok("THREAD ORDEREDSUBJECT US-ASCII SUBJECT topic")
    assert thread_line(r) == "(1 (2)(5)(4))"
    r = c.ok("UID THREAD ORDEREDSUBJECT UTF-8 1:3")
    assert thread_line(r) == f"({uids[0]} {uids[1]})({uids[2]})"


def test_thread_imaplib(srv, thread_box):
    _, _, (addr, pw) = thread_box
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login(addr, pw)
    m.select("INBOX", readonly=True)
    typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
    assert typ == "OK" and data == [b"(1 (2 5)(4))(3 9)(6)((7)(8))"]
    m.logout()


# ---- imaplib on the corpus; a larger mailbox ------------------------------

def test_imaplib_search(srv, corpus):
    _, uids, (addr, pw) = corpus
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login(addr, pw)
    m.select("INBOX", readonly=True)
    typ, data = m.search(None, "OR", "SEEN", "DRAFT")
    assert typ == "OK" and data == [b"1 3"]
    typ, data = m.uid("SEARCH", None, "NOT", "DELETED")
    assert data == [" ".join(str(u) for i, u in enumerate(uids)
                             if i != 3).encode()]
    typ, data = m.search(None, "(SINCE 1-Mar-2024)", "(BEFORE 1-Apr-2024)")
    assert data == [b"3"]
    typ, data = m.search(None, "HEADER", "Subject", quote("latin one"))
    assert data == [b"4"]
    with pytest.raises(imaplib.IMAP4.error):
        m.search(None, "BOGUS")
    m.logout()


def append_many(c, msgs, date):
    """Pipelined APPENDs with LITERAL+ (RFC 7888), one write."""
    out, tags = b"", []
    for data in msgs:
        t = c.tag()
        tags.append(t)
        out += (f'{t} APPEND INBOX () "{date}" {{{len(data)}+}}\r\n'
                .encode() + data + CRLF)
    c.send(out)
    for t in tags:
        r = c.until_tagged(t)
        assert r.ok, r


def test_many_messages_text(srv):
    addr, pw = user(srv)
    c = raw_client(srv, addr, pw)
    n = 150
    msgs = []
    for i in range(n):
        body = b"common words here number %d\r\n" % i
        if i % 7 == 0:
            body += b"needle%d\r\n" % (i % 2)
        msgs.append(msg(f"Subject: bulk {i}",
                        f"Date: {email.utils.formatdate(1700000000 + i)}",
                        body=body))
    append_many(c, msgs, "01-Jan-2024 12:00:00 +0000")
    c.ok("SELECT INBOX")
    want0 = [i + 1 for i in range(n) if i % 14 == 0]
    want1 = [i + 1 for i in range(n) if i % 7 == 0 and i % 2 == 1]
    assert search(c, "BODY needle0") == want0
    assert search(c, "TEXT NEEDLE1") == want1
    assert search(c, 'SUBJECT "bulk 14"') == [15] + list(range(141, 151))
    assert search(c, "NOT TEXT common") == []
    assert esearch(c, "RETURN (COUNT) TEXT needle") == \
        f"COUNT {len(want0) + len(want1)}"
    runs = [f"{a}:{min(a + 5, n)}" for a in range(2, n + 1, 7)]
    assert esearch(c, "RETURN (ALL) NOT BODY needle") == "ALL " + ",".join(runs)
    r = c.ok("SORT (REVERSE DATE) UTF-8 ALL")
    assert hits(r, "SORT") == list(range(n, 0, -1))
    c.logout()


# ---- MIME corners of BODY / TEXT / HEADER --------------------------------

MIME_MSGS = [
    msg("Subject: outer", "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=zz",
        body=(b"--zz\r\nContent-Type: text/plain\r\n\r\nouterword\r\n"
              b"--zz\r\nContent-Type: message/rfc822\r\n\r\n"
              b"Subject: innersubj\r\nContent-Transfer-Encoding: base64\r\n"
              b"\r\n" + base64.b64encode(b"deepword here") + b"\r\n"
              b"--zz--\r\n")),
    msg("Subject: =?UTF-8?Q?ab?= =?UTF-8?Q?cd?=",
        "X-Label: =?UTF-8?B?w6l0w6k=?=", body=b"nothing\r\n"),
    msg("Subject: cp1252", "Content-Type: text/plain; charset=windows-1252",
        "Content-Transfer-Encoding: 8bit", body=b"\x80 price\r\n"),
    msg("Subject: koi8", "Content-Type: text/plain; charset=koi8-r",
        "Content-Transfer-Encoding: 8bit",
        body=b"\xf0\xd2\xc9\xd7\xc5\xd4 world\r\n"),
    msg("Subject: qp split", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        body=b"caf=C3=\r\n=A9 au lait=\r\n\r\n"),
    msg("Subject: unknown cs", "Content-Type: text/plain; charset=x-nosuch",
        body=b"rawword\r\n"),
    msg("Subject: attach", "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=yy",
        body=(b"--yy\r\nContent-Type: text/plain\r\n\r\nvisible\r\n"
              b"--yy\r\nContent-Type: text/plain; charset=utf-8\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n"
              + base64.b64encode("naïve".encode()) + b"\r\n--yy--\r\n")),
    msg("Subject: prefix boundary", "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=b1",
        body=(b"--b1\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
              b"--b1x is text, hiddenword\r\n"
              b"--b1\r\nContent-Type: application/x-data\r\n\r\n"
              b"attachword\r\n--b1--\r\n")),
]


def test_mime_corners(srv):
    c, _, _ = mailbox(srv, [(m, "()", None) for m in MIME_MSGS])
    for keys, want in {
        "BODY outerword": [1], "BODY deepword": [1],
        "BODY innersubj": [1],   # the inner header is outer body
        "SUBJECT innersubj": [], "SUBJECT abcd": [2], "SUBJECT ab": [2],
        "BODY price": [3], "BODY world": [4], "BODY rawword": [6],
        "BODY visible": [7], "TEXT LAIT": [5], "BODY nothing": [2],
        "BODY hiddenword": [8], "BODY first": [8],
    }.items():
        assert search(c, keys) == want, keys
    for head, needle, want in (
            ("HEADER X-Label ", "été", [2]), ("HEADER X-Label ", "ÉTÉ", [2]),
            ("BODY ", "€ price", [3]), ("BODY ", "ПРИВЕТ", [4]),
            ("BODY ", "привет world", [4]), ("BODY ", "café au", [5]),
            ("BODY ", "NAÏVE", [7]), ("TEXT ", "été", [2])):
        r = literal_cmd(c, "SEARCH CHARSET UTF-8 " + head, needle.encode())
        assert r.ok and hits(r) == want, (head, needle, r)
    c.logout()


# ---- malformed threading and sorting input: answered, every message once -

ODD_MSGS = [
    msg("Message-ID: <x@l>", "References: <y@l>", "Subject: loop a"),
    msg("Message-ID: <y@l>", "References: <x@l>", "Subject: loop b"),
    msg("Message-ID: <x@l>", "Subject: dup id"),
    msg("In-Reply-To: <x@l>", "Subject: Re: no id"),
    msg("Message-ID: <z@l>", "References: <z@l>", "Subject: self"),
    msg("Message-ID: <w@l>", "References: not an id <", "Subject:"),
    msg('Message-ID: <"q u"@l>', "References: <w@l> <w@l> <x@l>",
        "Subject: Re: Fwd: Re: [x] (fwd)", "From: <<>>",
        "To: undisclosed-recipients:;", "Date: not a date"),
    msg("From: =?UTF-8?B?broken", "Subject: =?UTF-8?Q?=", "Cc: ,,,",
        "Date: Mon, 99 Foo 2024 25:61:61 +9999"),
    msg("References: <a@l> <b@l> <c@l> <d@l> <e@l> <f@l> <a@l>",
        "Message-ID: <b@l>", "Subject: re: re: re:"),
]


def numbers(text):
    return sorted(int(x) for x in re.findall(r"\d+", text))


def test_odd_thread_and_sort_input(srv):
    c, _, _ = mailbox(srv, [(m + b"x\r\n", "()", None) for m in ODD_MSGS])
    every = list(range(1, len(ODD_MSGS) + 1))
    for alg in ("REFERENCES", "ORDEREDSUBJECT"):
        line = thread_line(c.ok(f"THREAD {alg} UTF-8 ALL"))
        assert numbers(line) == every, (alg, line)
        depth = 0
        for ch in line:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth >= 0, line
        assert depth == 0 and line.startswith("("), line
        assert "()" not in line, line
    # an empty Subject: is still a Subject field (the store keeps "")
    assert search(c, 'SUBJECT ""') == every
    assert search(c, 'HEADER Message-ID ""') == [1, 2, 3, 5, 6, 7, 9]
    assert search(c, 'FROM ""') == [7, 8]
    for key in ("ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO",
                "DISPLAYFROM", "DISPLAYTO", "REVERSE SUBJECT"):
        r = c.ok(f"SORT ({key}) UTF-8 ALL")
        assert sorted(hits(r, "SORT")) == every, key
    c.logout()
