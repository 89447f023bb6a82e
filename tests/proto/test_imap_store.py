# test_imap_store.py: STORE / UID STORE (RFC 9051 6.4.6), .SILENT,
# keywords, UNCHANGEDSINCE and MODSEQ (RFC 7162 3.1.3).
# SPDX-License-Identifier: MIT
import re

import pytest

from conftest import finish, make_server
from test_imap_select import (append, connect, fetch_flags, fresh_user,
                              two_sessions)


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    srv = make_server(tmp_path_factory, "imap_store", imap=True)
    yield srv
    finish(srv)


def selected(srv, n=3):
    addr, pw = fresh_user(srv)
    c = connect(srv, addr, pw)
    uids = [append(c, "INBOX") for _ in range(n)]
    c.ok("SELECT INBOX")
    return c, uids


def test_store_modes(imap_server):
    c, uids = selected(imap_server)
    u, _ = c.ok("STORE 1 FLAGS (\\Seen \\Flagged)")
    assert fetch_flags(u) == {1: "\\Seen \\Flagged \\Recent"}, u
    u, _ = c.ok("STORE 1 -FLAGS (\\Seen)")
    assert fetch_flags(u) == {1: "\\Flagged \\Recent"}
    u, _ = c.ok("STORE 1:2 +FLAGS (\\Answered)")
    assert fetch_flags(u) == {1: "\\Answered \\Flagged \\Recent",
                              2: "\\Answered \\Recent"}
    # .SILENT: no FETCH for our own change
    u, _ = c.ok("STORE 3 +FLAGS.SILENT (\\Draft)")
    assert u == []
    u, _ = c.ok("FETCH 3 FLAGS")
    assert fetch_flags(u) == {3: "\\Draft \\Recent"}
    # \Recent cannot be stored (RFC 9051 2.3.2)
    u, t = c.cmd("STORE 1 +FLAGS (\\Recent)")
    assert " BAD " in t
    # numbers past the end are BAD, "*" means the last
    u, t = c.cmd("STORE 4 +FLAGS (\\Seen)")
    assert " BAD " in t
    u, _ = c.ok("STORE * +FLAGS (\\Seen)")
    assert list(fetch_flags(u)) == [3]
    c.close()


def test_uid_store_and_keywords(imap_server):
    c, uids = selected(imap_server)
    u, t = c.ok(f"UID STORE {uids[1]} +FLAGS ($Work Junk)")
    assert re.match(rf"\* 2 FETCH \(UID {uids[1]} FLAGS \(\\Recent \$Work "
                    r"Junk\)\)", u[0]), u
    # a FLAGS update for the new keywords (RFC 9051 7.3.5)
    assert any(x.startswith("* FLAGS (") and "$Work" in x for x in u), u
    # keywords compare without case; removal
    u, _ = c.ok(f"UID STORE {uids[1]} -FLAGS (junk)")
    assert fetch_flags(u) == {2: "\\Recent $Work"}
    # UIDs not in the mailbox are ignored (RFC 9051 6.4.8)
    u, t = c.ok("UID STORE 999 +FLAGS (\\Seen)")
    assert u == []
    u, _ = c.ok("SELECT INBOX")  # reselect: keywords in PERMANENTFLAGS
    assert any("$Work" in x and "PERMANENTFLAGS" in x for x in u), u
    c.close()


def test_unchangedsince_and_modseq(imap_server):
    c, uids = selected(imap_server)
    # UNCHANGEDSINCE turns CONDSTORE on (RFC 7162 3.1)
    u, t = c.ok("STORE 1 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($Done)")
    assert "[MODIFIED 1]" in t, t
    u, t = c.ok("STORE 2 +FLAGS (\\Seen)")
    m = re.match(r"\* 2 FETCH \(FLAGS \(\\Seen \\Recent\) MODSEQ \((\d+)\)\)",
                 u[0])
    assert m, u
    ms = int(m.group(1))
    # unchanged since ms: applied, and .SILENT still sends MODSEQ
    u, t = c.ok(f"STORE 2 (UNCHANGEDSINCE {ms}) +FLAGS.SILENT (\\Flagged)")
    assert "MODIFIED" not in t
    m2 = re.match(r"\* 2 FETCH \(MODSEQ \((\d+)\)\)", u[0])
    assert m2 and int(m2.group(1)) > ms, u
    # now stale: refused, MODIFIED names it, others in the set change
    u, t = c.ok(f"UID STORE {uids[1]},{uids[2]} (UNCHANGEDSINCE {ms}) "
                "+FLAGS (\\Answered)")
    assert f"[MODIFIED {uids[1]}]" in t, t
    assert re.match(rf"\* 3 FETCH \(UID {uids[2]} FLAGS \(\\Answered "
                    r"\\Recent\) MODSEQ \(\d+\)\)", u[0]), u
    c.close()


def test_store_read_only_session_sees_changes(imap_server):
    a, b, _ = two_sessions(imap_server, 1, "EXAMINE")
    a.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    u, _ = b.ok("NOOP")
    assert fetch_flags(u) == {1: "\\Flagged"}, u
    a.close()
    b.close()
