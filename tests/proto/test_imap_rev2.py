# test_imap_rev2.py: IMAP4rev2 (RFC 9051) next to IMAP4rev1: the same
# session with and without "ENABLE IMAP4rev2", compared byte for byte
# (SELECT, FLAGS, SEARCH/ESEARCH, unsolicited FETCH with UID, RECENT),
# UTF-8 mailbox names against modified UTF-7 ones, ENABLE rules and the
# RFC 5530 codes both revisions share.
# SPDX-License-Identifier: MIT
import re
import uuid

import pytest

from imapraw import Imap, imap_server  # noqa: F401

NAME = "Entwürfe"
NAME_UTF7 = "Entw&APw-rfe"


def fresh_user(srv):
    addr = f"r{uuid.uuid4().hex[:10]}@example.test"
    srv.add_user(addr, "pw-" + addr)
    return addr, "pw-" + addr


def session(srv, addr, pw, rev2):
    c = Imap(srv.imap_port)
    c.login(addr, pw)
    if rev2:
        r = c.ok("ENABLE IMAP4rev2")
        assert r.untagged == [b"* ENABLED IMAP4rev2"], r
    return c


def message(subject):
    return (f"From: a@example.test\r\nTo: b@example.test\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@x>\r\n"
            f"\r\nbody\r\n").encode()


def append(c, box, subject, flags=""):
    """APPEND with a LITERAL+ literal; box is sent as given (bytes)."""
    msg = message(subject)
    fl = f"({flags}) ".encode() if flags else b""
    r = c.cmd(b"APPEND " + box + b" " + fl +
              f"{{{len(msg)}+}}\r\n".encode() + msg)
    assert r.ok and r.code.startswith("APPENDUID "), r
    return r


def mask(lines):
    """Untagged lines with the values that differ between users
    (UIDVALIDITY, HIGHESTMODSEQ) replaced by V and M."""
    out = []
    for ln in lines:
        ln = re.sub(rb"\[UIDVALIDITY \d+\]", b"[UIDVALIDITY V]", ln)
        ln = re.sub(rb"\[HIGHESTMODSEQ \d+\]", b"[HIGHESTMODSEQ M]", ln)
        out.append(ln)
    return out


SELECT_COMMON_HEAD = [
    b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    b"* 2 EXISTS",
]
SELECT_COMMON_TAIL = [
    b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft"
    b" \\*)] Flags permitted.",
    b"* OK [UIDVALIDITY V] UIDs valid",
    b"* OK [UIDNEXT 3] Predicted next UID",
    b"* OK [HIGHESTMODSEQ M] Highest",
]

# What differs between the two revisions in the same session.
EXPECT = {
    False: {
        "select": SELECT_COMMON_HEAD + [
            b"* 2 RECENT",
            b"* OK [UNSEEN 2] First unseen.",
        ] + SELECT_COMMON_TAIL,
        "fetch": [b"* 1 FETCH (FLAGS (\\Seen \\Recent))",
                  b"* 2 FETCH (FLAGS (\\Recent))"],
        "search": [b"* SEARCH 1 2"],
        "uid_search_none": [b"* SEARCH"],
        # another session flagged message 2 and appended message 3
        # (\Recent for that session, which synced first)
        "noop": [b"* 2 FETCH (FLAGS (\\Flagged \\Recent))",
                 b"* 3 EXISTS", b"* 2 RECENT"],
    },
    True: {
        # RFC 9051 6.3.2: LIST, no RECENT, no [UNSEEN] (Appendix E 10-12)
        "select": SELECT_COMMON_HEAD + SELECT_COMMON_TAIL + [
            b'* LIST (\\HasNoChildren) "/" INBOX',
        ],
        # \Recent is deprecated (RFC 9051 2.3.2)
        "fetch": [b"* 1 FETCH (FLAGS (\\Seen))",
                  b"* 2 FETCH (FLAGS ())"],
        # RFC 9051 6.4.4: ESEARCH only; nothing found: just the tag
        "search": [b'* ESEARCH (TAG "@T@") ALL 1:2'],
        "uid_search_none": [b'* ESEARCH (TAG "@T@") UID'],
        # RFC 9051 7.5.2: an unsolicited FETCH carries UID
        "noop": [b"* 2 FETCH (UID 2 FLAGS (\\Flagged))", b"* 3 EXISTS"],
    },
}


@pytest.mark.parametrize("rev2", [False, True], ids=["rev1", "rev2"])
def test_same_session_both_revisions(imap_server, rev2):
    addr, pw = fresh_user(imap_server)
    c = session(imap_server, addr, pw, rev2)
    want = EXPECT[rev2]
    append(c, b"INBOX", "one", "\\Seen")
    append(c, b"INBOX", "two")
    r = c.ok("SELECT INBOX")
    assert r.code == "READ-WRITE"
    assert mask(r.untagged) == want["select"], r
    assert c.ok("FETCH 1:* FLAGS").untagged == want["fetch"]
    r = c.ok("SEARCH ALL")
    assert r.untagged == [x.replace(b"@T@", r.tag.encode())
                          for x in want["search"]], r
    r = c.ok("UID SEARCH DELETED")
    assert r.untagged == [x.replace(b"@T@", r.tag.encode())
                          for x in want["uid_search_none"]], r
    # another session (IMAP4rev1) changes the mailbox
    d = session(imap_server, addr, pw, False)
    d.ok("SELECT INBOX")
    d.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    append(d, b"INBOX", "three")
    assert c.ok("NOOP").untagged == want["noop"]
    # unchanged in both: STATUS DELETED/SIZE, CHECK, LSUB, codes
    r = c.ok("STATUS INBOX (MESSAGES DELETED)")
    assert r.untagged == [b"* STATUS INBOX (MESSAGES 3 DELETED 0)"], r
    c.ok("CHECK")
    c.ok('LSUB "" "*"')
    c.no("SELECT nope", "NONEXISTENT")
    c.no("STATUS nope (MESSAGES)", "NONEXISTENT")
    c.no("DELETE nope", "NONEXISTENT")
    c.no("CREATE INBOX", "ALREADYEXISTS")
    c.logout()
    d.logout()


def test_capability_and_enable(imap_server):
    addr, pw = fresh_user(imap_server)
    c = Imap(imap_server.imap_port)
    caps = c.capabilities()
    assert "IMAP4rev1" in caps and "IMAP4rev2" in caps, caps
    # RFC 5161 3.1: ENABLE only in the authenticated state
    c.bad("ENABLE IMAP4rev2", "CLIENTBUG")
    c.login(addr, pw)
    caps = c.capabilities()
    assert "IMAP4rev1" in caps and "IMAP4rev2" in caps, caps
    r = c.ok("ENABLE IMAP4rev2")
    assert r.untagged == [b"* ENABLED IMAP4rev2"], r
    # enabling again is fine: ENABLED lists what this command turned on
    r = c.ok("ENABLE imap4REV2")
    assert r.untagged == [b"* ENABLED"], r
    c.ok("SELECT INBOX")
    c.bad("ENABLE IMAP4rev2", "CLIENTBUG")
    c.logout()


def test_utf8_mailbox_names(imap_server):
    addr, pw = fresh_user(imap_server)
    c = session(imap_server, addr, pw, True)
    d = session(imap_server, addr, pw, False)
    u8 = NAME.encode()
    # RFC 9051 5.1: UTF-8 names, quoted ...
    c.ok(b'CREATE "' + u8 + b'"')
    r = c.ok('LIST "" "Entw*"')
    assert r.untagged == [b'* LIST (\\HasNoChildren) "/" "' + u8 + b'"'], r
    # ... the same mailbox for an IMAP4rev1 session, in modified UTF-7
    r = d.ok('LIST "" "Entw*"')
    assert r.untagged == [
        b'* LIST (\\HasNoChildren) "/" ' + NAME_UTF7.encode()], r
    # ... and as a literal (LITERAL+/LITERAL- non-synchronizing)
    kid = "Über/Kind".encode()
    c.ok(f"CREATE {{{len(kid)}+}}\r\n".encode() + kid)
    r = c.ok('LIST "" "*ber*"')
    assert r.untagged == [
        b'* LIST (\\HasChildren) "/" "' + "Über".encode() + b'"',
        b'* LIST (\\HasNoChildren) "/" "' + kid + b'"'], r
    r = d.ok('LIST "" "*ber*"')
    assert r.untagged == [b'* LIST (\\HasChildren) "/" &ANw-ber',
                          b'* LIST (\\HasNoChildren) "/" &ANw-ber/Kind'], r
    # STATUS, APPEND, SELECT with the UTF-8 name
    append(c, b'"' + u8 + b'"', "draft")
    r = c.ok(b'STATUS "' + u8 + b'" (MESSAGES)')
    assert r.untagged == [b'* STATUS "' + u8 + b'" (MESSAGES 1)'], r
    r = d.ok(f"STATUS {NAME_UTF7} (MESSAGES)")
    assert r.untagged == [
        f"* STATUS {NAME_UTF7} (MESSAGES 1)".encode()], r
    r = c.ok(b'SELECT "' + u8 + b'"')
    assert r.untagged[-1] == b'* LIST (\\HasNoChildren) "/" "' + u8 + b'"', r
    # a UTF-8 LIST pattern
    r = c.ok(b'LIST "" "Entw\xc3\xbc*"')
    assert r.untagged == [b'* LIST (\\HasNoChildren) "/" "' + u8 + b'"'], r
    # COPY to a UTF-8 name; RENAME to one, seen in UTF-7 by IMAP4rev1
    r = c.ok(b'COPY 1 "' + u8 + b'"')
    assert r.code.startswith("COPYUID "), r
    # with rev2 "&" is just a character: the UTF-7 spelling is another
    # name (and the failed SELECT leaves no mailbox selected)
    c.no(f"SELECT {NAME_UTF7}", "NONEXISTENT")
    gone = "Gelöscht".encode()
    c.ok(b'RENAME "' + u8 + b'" "' + gone + b'"')
    r = d.ok('LIST "" "Gel*"')
    assert r.untagged == [b'* LIST (\\HasNoChildren) "/" Gel&APY-scht'], r
    r = d.ok("STATUS Gel&APY-scht (MESSAGES)")
    assert r.untagged == [b"* STATUS Gel&APY-scht (MESSAGES 2)"], r
    c.logout()
    d.logout()


def test_invalid_names_refused(imap_server):
    addr, pw = fresh_user(imap_server)
    c = session(imap_server, addr, pw, True)
    d = session(imap_server, addr, pw, False)
    # not UTF-8 (a literal: the parser takes any octets there)
    c.bad(b"CREATE {3+}\r\n\xff\xfe\xfd", "CLIENTBUG")
    c.bad(b"CREATE {4+}\r\nab\xc3(", "CLIENTBUG")
    c.bad(b"SELECT {2+}\r\n\xc0\xaf", "CLIENTBUG")  # overlong "/"
    # nor in a quoted string
    c.bad(b'CREATE "a\xffb"')
    # control characters
    c.bad(b"CREATE {3+}\r\na\x01b", "CLIENTBUG")
    # IMAP4rev1 names are 7-bit (modified UTF-7)
    d.bad(b"CREATE {" + str(len(NAME.encode())).encode() + b"+}\r\n" +
          NAME.encode(), "CLIENTBUG")
    assert c.ok('LIST "" "*"').untagged == d.ok('LIST "" "*"').untagged
    # an IMAP4rev1 session gets no 8-bit text back for a UTF-7 name
    r = d.no("SELECT &AOQ-nope", "NONEXISTENT")
    assert r.raw.isascii(), r
    r = d.no("APPEND &AOQ-nope {1+}\r\nx", "TRYCREATE")
    assert r.raw.isascii(), r
    c.logout()
    d.logout()


def test_select_list_attributes(imap_server):
    """RFC 9051 6.3.2: the LIST response of SELECT has accurate
    attributes: children and special use."""
    addr, pw = fresh_user(imap_server)
    c = session(imap_server, addr, pw, True)
    r = c.ok("EXAMINE Sent")
    assert r.untagged[-1] == b'* LIST (\\HasNoChildren \\Sent) "/" Sent', r
    c.ok("CREATE Sent/2026")
    r = c.ok("SELECT Sent")
    assert r.untagged[0] == b"* OK [CLOSED] Previous mailbox closed.", r
    assert r.untagged[-1] == b'* LIST (\\HasChildren \\Sent) "/" Sent', r
    c.logout()


def test_idle_update_has_uid(imap_server):
    """RFC 9051 7.5.2: flag changes by others, reported in IDLE, carry
    UID; new mail gives EXISTS without RECENT."""
    addr, pw = fresh_user(imap_server)
    c = session(imap_server, addr, pw, True)
    d = session(imap_server, addr, pw, False)
    append(d, b"INBOX", "one", "\\Seen")
    c.ok("SELECT INBOX")
    d.ok("SELECT INBOX")
    c.send(b"i1 IDLE\r\n")
    assert c.response() == b"+ idling"
    d.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    assert c.response() == b"* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged))"
    append(d, b"INBOX", "two")
    assert c.response() == b"* 2 EXISTS"
    c.send(b"DONE\r\n")
    r = c.until_tagged("i1")
    assert r.ok and r.untagged == [], r
    c.logout()
    d.logout()
