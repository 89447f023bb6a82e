# test_imap_mailboxes.py: CREATE, DELETE, RENAME, SUBSCRIBE, LIST (with
# LIST-EXTENDED, CHILDREN, SPECIAL-USE, LIST-STATUS), LSUB, STATUS,
# GETQUOTAROOT, modified UTF-7 names.
# SPDX-License-Identifier: MIT
import re

import pytest

from conftest import USERS
from imapraw import Imap, imap_server, own_server  # noqa: F401

CAROL = "carol@other.test"

LIST_RE = re.compile(r'^\((.*?)\) "/" (.*?)( \(.*\))?$')


def listing(r, kind="LIST"):
    """{name: (set of attributes, extended data or None)}."""
    out = {}
    for ln in r.lines(kind):
        m = LIST_RE.match(ln)
        assert m, ln
        name = m.group(2)
        if name.startswith('"'):
            name = name[1:-1]
        out[name] = (set(m.group(1).split()), m.group(3))
    return out


@pytest.fixture
def c(imap_server):
    with Imap(imap_server.imap_port) as conn:
        conn.login(CAROL, USERS[CAROL])
        yield conn


def test_special_use_on_new_account(c):
    got = listing(c.ok('LIST "" "*"'))
    assert got["INBOX"][0] >= {"\\HasNoChildren"}
    for name, attr in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"),
                       ("Trash", "\\Trash"), ("Junk", "\\Junk"),
                       ("Archive", "\\Archive")):
        assert attr in got[name][0], got
    got = listing(c.ok('LIST (SPECIAL-USE) "" "*"'))
    assert "INBOX" not in got and "Sent" in got


def test_separator_and_inbox_case(c):
    r = c.ok('LIST "" ""')
    assert r.untagged == [b'* LIST (\\Noselect) "/" ""']
    assert list(listing(c.ok('LIST "" "inbox"'))) == ["INBOX"]


def test_create_delete_rename_hierarchy(c):
    c.ok("CREATE a/b/c")
    c.no("CREATE a/b", "ALREADYEXISTS")
    c.no("CREATE INBOX", "ALREADYEXISTS")
    c.no('CREATE "x//y"', "CANNOT")
    c.ok("CREATE trail/")
    got = listing(c.ok('LIST "" "*"'))
    assert "\\HasChildren" in got["a"][0] and "\\HasChildren" in got["a/b"][0]
    assert "\\HasNoChildren" in got["a/b/c"][0] and "trail" in got
    assert set(listing(c.ok('LIST "" "a/%"'))) == {"a/b"}
    assert set(listing(c.ok('LIST "a/" "%"'))) == {"a/b"}
    assert set(listing(c.ok('LIST "" "a*"'))) == {"a", "a/b", "a/b/c"}
    c.no("DELETE a", "CANNOT")  # has inferiors
    c.no("DELETE INBOX", "CANNOT")
    c.no("DELETE nope", "NONEXISTENT")
    c.ok("RENAME a z")
    assert set(listing(c.ok('LIST "" "z*"'))) == {"z", "z/b", "z/b/c"}
    assert listing(c.ok('LIST "" "a*"')) == {}
    c.no("RENAME nope x", "NONEXISTENT")
    c.no("RENAME z Sent", "ALREADYEXISTS")
    for n in ("z/b/c", "z/b", "z", "trail"):
        c.ok(f"DELETE {n}")


def test_subscriptions_lsub_and_list_extended(c):
    c.ok("CREATE sub/child")
    c.ok("SUBSCRIBE sub/child")
    c.ok("SUBSCRIBE ghost")  # need not exist
    got = listing(c.ok('LSUB "" "*"'), "LSUB")
    assert "sub/child" in got and "ghost" in got and "sub" not in got
    got = listing(c.ok('LIST (SUBSCRIBED) "" "*"'))
    assert got["ghost"][0] == {"\\Subscribed", "\\NonExistent"}
    assert "\\Subscribed" in got["sub/child"][0]
    got = listing(c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'))
    assert got["sub"][1] == ' ("CHILDINFO" ("SUBSCRIBED"))', got
    got = listing(c.ok('LIST "" "*" RETURN (SUBSCRIBED)'))
    assert "\\Subscribed" in got["sub/child"][0]
    assert "\\Subscribed" not in got["sub"][0]
    c.bad('LIST (RECURSIVEMATCH) "" "*"')
    c.ok("UNSUBSCRIBE ghost")
    c.ok("UNSUBSCRIBE sub/child")
    assert listing(c.ok('LSUB "" "ghost"'), "LSUB") == {}
    c.ok("DELETE sub/child")
    c.ok("DELETE sub")


def test_status_and_list_status(c):
    r = c.ok("STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY SIZE)")
    (st,) = r.lines("STATUS")
    assert re.match(r"^INBOX \(MESSAGES 0 UIDNEXT \d+ UIDVALIDITY \d+ "
                    r"UNSEEN 0 SIZE 0\)$", st), st
    c.no("STATUS nope (MESSAGES)", "NONEXISTENT")
    c.bad("STATUS INBOX (BOGUS)")
    r = c.ok('LIST "" "*" RETURN (STATUS (MESSAGES))')
    names = [u for u in r.untagged if u.startswith(b"* STATUS ")]
    assert b"* STATUS INBOX (MESSAGES 0)" in names
    assert len(names) == len(r.lines("LIST"))


def test_utf7_names_round_trip(c):
    c.ok('CREATE "Entw&APw-rfe"')  # "Entwürfe"
    got = listing(c.ok('LIST "" "Entw*"'))
    assert list(got) == ["Entw&APw-rfe"]
    c.bad('CREATE "bad&Jjo"')  # unterminated shift
    c.ok('DELETE "Entw&APw-rfe"')


def test_quota(c):
    # no [imap] quota in this server: no quota root (RFC 9208 5.1)
    r = c.ok("GETQUOTAROOT INBOX")
    assert r.untagged == [b"* QUOTAROOT INBOX"]
    c.no('GETQUOTA ""', "NONEXISTENT")
    c.no("GETQUOTAROOT nope", "NONEXISTENT")


def test_quota_configured(tmp_path_factory):
    with own_server(tmp_path_factory, "imapq", "quota = 10M") as srv:
        with Imap(srv.imap_port) as c:
            c.login()
            assert "QUOTA" in c.capabilities()
            r = c.ok("GETQUOTAROOT INBOX")
            assert r.untagged == [b'* QUOTAROOT INBOX ""',
                                  b'* QUOTA "" (STORAGE 0 10240)'], r
            r = c.ok('GETQUOTA ""')
            assert r.untagged == [b'* QUOTA "" (STORAGE 0 10240)']
