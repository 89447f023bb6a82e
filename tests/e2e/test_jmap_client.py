# test_jmap_client.py: runs jmap_client.mjs (the jmap-jam client library
# from npm, under node) against a real buzon: one message delivered by
# SMTP first, then every step of the script; afterwards IMAP confirms what
# the client sent arrived in the other account.  Skips when node or
# tests/e2e/node_modules/jmap-jam (make deps) are missing.
# SPDX-License-Identifier: MIT
import email
import email.utils
import imaplib
import os
import shutil
import smtplib
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "proto"))

from buzon import Server  # noqa: E402

ALICE, ALICE_PW = "alice@example.test", "alice-secret"
BOB, BOB_PW = "bob@example.test", "bob-secret"
SUBJECT = "Delivered for the JMAP client"


def missing():
    if shutil.which("node") is None:
        return "no node"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "jmap-jam")):
        return "jmap-jam not installed (npm ci in tests/e2e, make deps)"
    return None


@pytest.fixture
def srv(tmp_path):
    why = missing()
    if why:
        pytest.skip(why)
    s = Server(str(tmp_path), name="jmapclient", http=True, imap=True)
    s.add_user(ALICE, ALICE_PW)
    s.add_user(BOB, BOB_PW)
    s.start()
    yield s
    rc = s.stop()
    assert rc == 0 and not s.sanitizer_reports(), s.log_text()[-4000:]


def test_jmap_jam_client(srv):
    msg = (f"From: Bob <bob@example.org>\r\nTo: {ALICE}\r\n"
           f"Subject: {SUBJECT}\r\n\r\nHello from SMTP.\r\n")
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as s:
        s.sendmail("bob@example.org", [ALICE], msg)
    env = dict(os.environ, BASE=f"http://127.0.0.1:{srv.http_port}",
               USER=ALICE, PASS=ALICE_PW, USER2=BOB, PASS2=BOB_PW,
               SUBJECT=SUBJECT)
    p = subprocess.run(["node", os.path.join(HERE, "jmap_client.mjs")],
                       env=env, capture_output=True, text=True, timeout=120)
    print(p.stdout)
    assert p.returncode == 0, p.stdout + p.stderr + srv.log_text()[-4000:]
    assert "jmap-client: 11 passed, 0 failed" in p.stdout
    # what the client sent, read by another protocol in bob's INBOX
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    try:
        c.login(BOB, BOB_PW)
        c.select("INBOX", readonly=True)
        _, data = c.search(None, "SUBJECT", '"Sent by jmap-jam"')
        assert len(data[0].split()) == 1, data
        _, got = c.fetch(data[0], "(BODY.PEEK[])")
        m = email.message_from_bytes(got[0][1])
        assert email.utils.parseaddr(m["From"]) == ("Alice", ALICE), m["From"]
        assert email.utils.parseaddr(m["To"])[1] == BOB
        assert m.get_payload().strip() == "Sent through a JMAP client library."
    finally:
        c.logout()
