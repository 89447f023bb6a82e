# test_imap_multi.py: several sessions on one mailbox (RFC 9051 5.2,
# 7.5.1): EXPUNGE never during FETCH/STORE/SEARCH by number, flag
# changes of others, \Recent for exactly one session, EXISTS for new mail,
# POP3 deletions seen over IMAP (issue #3), a mailbox deleted under a
# session.
# SPDX-License-Identifier: MIT
import poplib
import re

import pytest

from conftest import finish, make_server
from pop3raw import smtp_deliver
from pop3raw import message as pop_message
from test_imap_select import (append, connect, fetch_flags, fresh_user,
                              two_sessions)


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    srv = make_server(tmp_path_factory, "imap_multi", imap=True, pop3=True,
                      pop3_extra="plaintext_auth = loopback")
    yield srv
    finish(srv)


def expunges(lines):
    return [int(m.group(1)) for m in
            (re.match(r"\* (\d+) EXPUNGE$", x) for x in lines) if m]


def test_no_expunge_during_store_then_at_noop(imap_server):
    a, b, uids = two_sessions(imap_server, 4)
    a.ok("STORE 2,3 +FLAGS.SILENT (\\Deleted)")
    u, _ = a.ok("EXPUNGE")
    # our own EXPUNGE: highest first, each number valid when read
    assert expunges(u) == [3, 2], u
    # b still sees 4 messages: a STORE by number gets no EXPUNGE
    u, t = b.ok("STORE 4 +FLAGS (\\Flagged)")
    assert expunges(u) == [] and fetch_flags(u)[4].startswith("\\Flagged")
    u, t = b.ok("STORE 1:4 -FLAGS.SILENT (\\Seen)")
    assert expunges(u) == [], u
    # a UID command may carry them (RFC 9051 7.5.1)
    u, _ = b.ok(f"UID STORE {uids[0]} +FLAGS.SILENT (\\Seen)")
    assert expunges(u) == [3, 2], u
    u, _ = b.ok("NOOP")
    assert expunges(u) == []
    u, _ = b.ok("STORE 2 +FLAGS (\\Answered)")
    assert fetch_flags(u) == {2: "\\Answered \\Flagged"}, u
    a.close()
    b.close()


def test_no_expunge_during_fetch(imap_server):
    a, b, uids = two_sessions(imap_server, 3)
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.ok("EXPUNGE")
    u, t = b.cmd("FETCH 1:3 (UID)")
    assert expunges(u) == [], u
    u, _ = b.ok("NOOP")
    assert expunges(u) == [1], u
    a.close()
    b.close()


def test_flags_of_others_reported_also_when_silent(imap_server):
    a, b, uids = two_sessions(imap_server, 2)
    a.ok("STORE 2 +FLAGS.SILENT (\\Seen $Label)")
    u, _ = b.ok("NOOP")
    assert fetch_flags(u) == {2: "\\Seen $Label"}, u
    # b's own .SILENT STORE still reports a's concurrent change
    a.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    u, _ = b.ok("STORE 2 +FLAGS.SILENT (\\Answered)")
    assert fetch_flags(u) == {1: "\\Flagged"}, u
    # concurrent updates are not lost: both flags end up set
    u, _ = a.ok("NOOP")
    assert fetch_flags(u)[2] == "\\Seen \\Answered \\Recent $Label", u
    a.close()
    b.close()


def test_new_mail_exists_recent_once(imap_server):
    a, b, _ = two_sessions(imap_server, 1)
    addr = a.user
    smtp_deliver(imap_server, addr, [pop_message("new-1")])
    ua, _ = a.ok("NOOP")
    ub, _ = b.ok("NOOP")
    assert "* 2 EXISTS" in ua and "* 2 EXISTS" in ub, (ua, ub)
    ra = int([x for x in ua if x.endswith(" RECENT")][0].split()[1])
    rb = int([x for x in ub if x.endswith(" RECENT")][0].split()[1])
    # the first message went to a's SELECT; the new one to one session
    assert ra + rb == 2, (ua, ub)
    u, _ = a.ok("STORE 2 +FLAGS (\\Seen)")
    u2, _ = b.ok("STORE 2 +FLAGS (\\Seen)")
    recent = ["\\Recent" in fetch_flags(u)[2],
              "\\Recent" in fetch_flags(u2)[2]]
    assert recent.count(True) == 1, (u, u2)
    a.close()
    b.close()


def test_pop3_dele_seen_as_expunge(imap_server):
    """Issue #3: POP3 deletions reach IMAP sessions."""
    addr, pw = fresh_user(imap_server)
    smtp_deliver(imap_server, addr, [pop_message(f"m{i}") for i in range(3)])
    c = connect(imap_server, addr, pw)
    u, _ = c.ok("SELECT INBOX")
    assert "* 3 EXISTS" in u
    p = poplib.POP3("127.0.0.1", imap_server.pop3_port, timeout=10)
    p.user(addr)
    p.pass_(pw)
    p.dele(2)
    p.quit()
    u, _ = c.ok("NOOP")
    assert expunges(u) == [2], u
    u, t = c.ok("FETCH 1:* (UID)")
    assert len([x for x in u if " FETCH " in x]) == 2, u
    c.close()


def test_mailbox_deleted_under_session(imap_server):
    """RFC 9051 7.1.5: the session cannot stay; BYE then close (as
    Dovecot does)."""
    addr, pw = fresh_user(imap_server)
    a = connect(imap_server, addr, pw)
    a.ok("CREATE Doomed")
    append(a, "Doomed")
    a.ok("SELECT Doomed")
    b = connect(imap_server, addr, pw)
    b.ok("DELETE Doomed")
    a.raw("X NOOP\r\n")
    assert a.line().startswith("* BYE ")
    with pytest.raises((EOFError, ConnectionError)):
        a.line()
    b.close()
