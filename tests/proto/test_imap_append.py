# test_imap_append.py: APPEND (RFC 9051 6.3.12), MULTIAPPEND (RFC 3502),
# literal8 (RFC 3516), APPENDUID/COPYUID (RFC 4315), TRYCREATE, quota,
# durability (kill -9 after OK), COPY and MOVE (RFC 6851).
# SPDX-License-Identifier: MIT
import re

import pytest

from conftest import finish, make_server
from test_imap_select import (append, code_of, connect, fetch_flags,
                              fresh_user, message)


@pytest.fixture(scope="module")
def imap_server(tmp_path_factory):
    srv = make_server(tmp_path_factory, "imap_append", imap=True,
                      imap_extra="quota = 100k")
    yield srv
    finish(srv)


def exists(c, box):
    u, _ = c.ok(f"EXAMINE {box}")
    n = [int(x.split()[1]) for x in u if x.endswith(" EXISTS")][0]
    c.ok("UNSELECT")
    return n


def test_append_flags_date_appenduid(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    u, t = c.ok('APPEND Drafts (\\Draft $Todo) "05-Mar-2024 10:11:12 +0100" '
                '\x00', [message("draft")])
    m = re.search(r"\[APPENDUID (\d+) (\d+)\]", t)
    assert m and m.group(2) == "1", t
    u, _ = c.ok("SELECT Drafts")
    assert code_of(u, "UIDVALIDITY") == m.group(1)
    u, _ = c.ok("FETCH 1 (FLAGS INTERNALDATE)")
    assert "\\Draft" in u[0] and "$Todo" in u[0], u
    assert '"05-Mar-2024 09:11:12 +0000"' in u[0] or \
        '"05-Mar-2024 10:11:12 +0100"' in u[0], u
    c.close()


def test_append_trycreate_and_bad(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    u, t = c.cmd("APPEND Missing \x00", [message()])
    assert " NO [TRYCREATE]" in t, t
    u, t = c.cmd("APPEND INBOX (\\Recent) \x00", [message()])
    assert " BAD " in t
    u, t = c.cmd('APPEND INBOX "31-Feb-2024 00:00:00 +0000" \x00',
                 [message()])
    assert " BAD " in t
    assert exists(c, "INBOX") == 0
    c.close()


def test_multiappend_all_or_nothing(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    u, t = c.ok("APPEND INBOX (\\Seen) \x00 \x00 ($A) \x00",
                [message("1"), message("2"), message("3")])
    assert re.search(r"\[APPENDUID \d+ 1:3\]", t), t
    assert exists(c, "INBOX") == 3
    # a bad second message: nothing is stored (RFC 3502 3)
    u, t = c.cmd("APPEND INBOX \x00 (\\Bogus) \x00",
                 [message("4"), message("5")])
    assert " BAD " in t
    assert exists(c, "INBOX") == 3
    c.close()


def test_binary_append(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    msg = message("bin").encode()
    t = c.tag()
    c.raw(f"{t} APPEND INBOX ~{{{len(msg)}}}\r\n".encode())
    assert c.line().startswith("+")
    c.raw(msg + b"\r\n")
    u, r = c.read_until(t)
    assert " OK [APPENDUID" in r, r
    # NUL cannot be kept as text (RFC 3516 4.4): UNKNOWN-CTE
    bad = b"Subject: x\r\n\r\na\x00b\r\n"
    t = c.tag()
    c.raw(f"{t} APPEND INBOX ~{{{len(bad)}}}\r\n".encode())
    assert c.line().startswith("+")
    c.raw(bad + b"\r\n")
    u, r = c.read_until(t)
    assert " NO [UNKNOWN-CTE]" in r, r
    c.close()


def test_quota(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    big = message("big", "x" * 70000)
    c.ok("APPEND INBOX \x00", [big])
    u, t = c.cmd("APPEND INBOX \x00", [big])
    assert " NO [OVERQUOTA]" in t, t
    c.close()


def test_append_durable_after_kill(tmp_path_factory):
    srv = make_server(tmp_path_factory, "imap_append_kill", imap=True)
    try:
        addr, pw = fresh_user(srv)
        c = connect(srv, addr, pw)
        uid = append(c, "INBOX", message("durable"))
        srv.kill9()
        srv.start()
        c = connect(srv, addr, pw)
        u, _ = c.ok("SELECT INBOX")
        assert "* 1 EXISTS" in u
        u, _ = c.ok("UID FETCH 1:* (UID)")
        assert f"UID {uid}" in u[0]
        c.close()
    finally:
        finish(srv)


def test_append_to_selected_gives_exists(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    c.ok("SELECT INBOX")
    u, t = c.ok("APPEND INBOX \x00", [message()])
    assert "* 1 EXISTS" in u, u


def test_copy_copyuid(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    for _ in range(3):
        append(c, "INBOX")
    c.ok("SELECT INBOX")
    c.ok("STORE 2 +FLAGS.SILENT (\\Flagged $K)")
    u, t = c.ok("COPY 2:3 Archive")
    m = re.search(r"\[COPYUID (\d+) 2:3 1:2\]", t)
    assert m, t
    u, t = c.cmd("COPY 1 Nowhere")
    assert " NO [TRYCREATE]" in t
    u, t = c.ok("UID COPY 1,3 Archive")
    assert re.search(r"\[COPYUID \d+ 1,3 3:4\]", t), t
    c.ok("EXAMINE Archive")
    u, _ = c.ok("FETCH 1 FLAGS")
    assert fetch_flags(u)[1] == "\\Flagged $K"  # flags kept
    # copy into the selected mailbox: EXISTS
    c.ok("SELECT INBOX")
    u, t = c.ok("COPY 1 INBOX")
    assert "* 4 EXISTS" in u, u
    c.close()


def test_move(imap_server):
    addr, pw = fresh_user(imap_server)
    c = connect(imap_server, addr, pw)
    for _ in range(4):
        append(c, "INBOX")
    c.ok("SELECT INBOX")
    u, t = c.ok("MOVE 2:3 Trash")
    # RFC 6851 3.3: COPYUID in an untagged OK, then the EXPUNGEs
    assert re.match(r"\* OK \[COPYUID \d+ 2:3 1:2\]", u[0]), u
    assert u[1:] == ["* 3 EXPUNGE", "* 2 EXPUNGE"], u
    assert exists(c, "Trash") == 2
    c.ok("SELECT INBOX")
    u, t = c.ok("UID MOVE 4 Trash")
    assert re.match(r"\* OK \[COPYUID \d+ 4 3\]", u[0]), u
    assert u[1:] == ["* 2 EXPUNGE"], u
    # with QRESYNC: VANISHED instead of EXPUNGE
    c.ok("UNSELECT")
    c.ok("ENABLE QRESYNC")
    c.ok("SELECT INBOX")
    u, t = c.ok("MOVE 1 Trash")
    assert u[1:] == ["* VANISHED 1"], u
    c.close()


def test_group_commit_durable_after_kill(tmp_path_factory):
    """STORE, COPY, MOVE and EXPUNGE from several sessions at once share
    commits (store_combine.c); every change acknowledged with OK before a
    kill -9 is there after the restart (DESIGN.md: durable before OK)."""
    import threading

    srv = make_server(tmp_path_factory, "imap_combine_kill", imap=True)
    try:
        users = [fresh_user(srv) for _ in range(6)]
        for addr, pw in users:
            c = connect(srv, addr, pw)
            for i in range(8):
                append(c, "INBOX", message(f"m{i}"))
            c.close()
        acked = {}

        def worker(addr, pw):
            c = connect(srv, addr, pw)
            c.ok("SELECT INBOX")
            done = []
            for uid in range(1, 9):
                c.ok(f"UID STORE {uid} +FLAGS.SILENT (\\Flagged $Done)")
                done.append(("flag", uid))
                if uid % 2 == 0:
                    c.ok(f"UID COPY {uid} Archive")
                    done.append(("copy", uid))
                if uid % 4 == 0:
                    c.ok(f"UID MOVE {uid} Trash")
                    done.append(("move", uid))
            c.ok("UID STORE 1 +FLAGS.SILENT (\\Deleted)")
            c.ok("UID EXPUNGE 1")
            done.append(("expunge", 1))
            acked[addr] = done

        threads = [threading.Thread(target=worker, args=u) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        srv.kill9()
        srv.start()
        for addr, pw in users:
            done = acked[addr]
            c = connect(srv, addr, pw)
            c.ok("EXAMINE INBOX")
            u, _ = c.ok("UID FETCH 1:* (UID FLAGS)")
            inbox = {int(re.search(r"UID (\d+)", ln).group(1)): ln for ln in u
                     if " FETCH " in ln}
            # 8 appended, 4 and 8 moved, 1 expunged
            assert sorted(inbox) == [2, 3, 5, 6, 7], (addr, sorted(inbox))
            for uid, ln in inbox.items():
                assert "\\Flagged" in ln and "$Done" in ln, ln
            for box, want in (("Archive", 4), ("Trash", 2)):
                u, _ = c.ok(f"STATUS {box} (MESSAGES)")
                assert f"MESSAGES {want}" in u[0], (box, u)
            assert ("expunge", 1) in done
            c.close()
    finally:
        finish(srv)
