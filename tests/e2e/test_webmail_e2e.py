# test_webmail_e2e.py: runs webmail.mjs (Debian's chromium through
# playwright-core) against a real buzon with mail delivered by SMTP, then
# checks on the server (JMAP, Basic) what the clicks changed.  Skips when
# chromium, node or tests/e2e/node_modules (make deps) are missing.
# SPDX-License-Identifier: MIT
import base64
import http.client
import json
import os
import shutil
import smtplib
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "proto"))

from buzon import Server  # noqa: E402

ALICE = "alice@example.test"
PW = "alice-secret"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing():
    if not os.access(CHROMIUM, os.X_OK):
        return f"no chromium at {CHROMIUM}"
    if shutil.which("node") is None:
        return "no node"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        return "playwright-core not installed (make deps)"
    return None


def deliver(srv, subject, body, sender="bob@example.org", name="Bob"):
    msg = (f"From: {name} <{sender}>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
           f"\r\n{body}\r\n")
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as s:
        s.sendmail(sender, [ALICE], msg)


def jmap(srv, calls, user=ALICE, pw=PW):
    auth = "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("POST", "/jmap/api/", json.dumps({
        "using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
                  "urn:ietf:params:jmap:submission"],
        "methodCalls": calls}),
        headers={"Authorization": auth, "Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200
    return {x[2]: x[1] for x in json.loads(r.read())["methodResponses"]}


@pytest.fixture
def srv(tmp_path):
    (tmp_path / "srv").mkdir()
    s = Server(str(tmp_path / "srv"), name="e2e", http=True)
    s.add_user(ALICE, PW)
    s.add_user("bob@example.test", "bob-secret")
    s.start()
    yield s
    rc = s.stop()
    assert rc == 0 and not s.sanitizer_reports(), s.log_text()[-4000:]


def test_webmail_in_chromium(srv, tmp_path):
    why = missing()
    if why:
        pytest.skip(why)
    deliver(srv, "Quarterly report",
            "Hi Alice,\n\nthe numbers are up <b>not bold</b>.\n")
    deliver(srv, "Lunch on Friday", "Shall we?", "dan@example.org", "Dan")
    out = os.environ.get("E2E_OUT") or os.path.join(
        HERE, "..", "..", "build", "e2e")
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, BASE=f"http://127.0.0.1:{srv.http_port}",
               SMTP_PORT=str(srv.smtp_port), USER=ALICE, PASS=PW, OUT=out)
    p = subprocess.run(["node", os.path.join(HERE, "webmail.mjs")], env=env,
                       capture_output=True, text=True, timeout=120)
    print(p.stdout, f"screenshots in {os.path.abspath(out)}")
    assert p.returncode == 0, p.stdout + p.stderr + srv.log_text()[-4000:]
    assert "e2e: " in p.stdout
    # what the browser did, seen from the server
    r = jmap(srv, [
        ["Mailbox/get", {"accountId": "a1"}, "m"],
        ["Email/query", {"accountId": "a1"}, "q"],
        ["Email/get", {"accountId": "a1", "#ids": {
            "resultOf": "q", "name": "Email/query", "path": "/ids"},
            "properties": ["subject", "keywords", "mailboxIds",
                           "attachments"]}, "g"]])
    role = {m["role"]: m["id"] for m in r["m"]["list"]}
    mails = {e["subject"]: e for e in r["g"]["list"]}
    q = mails["Quarterly report"]
    # flagged with s; marked unread with u, then read again for the reply
    assert q["keywords"].get("$flagged") and q["keywords"].get("$seen")
    assert list(mails["Lunch on Friday"]["mailboxIds"]) == [role["trash"]]
    assert list(mails["Pushed while open"]["mailboxIds"]) == [role["inbox"]]
    d = mails["Re: Quarterly report"]
    assert list(d["mailboxIds"]) == [role["drafts"]] and d["keywords"]["$draft"]
    assert [a["name"] for a in d["attachments"]] == ["notes.txt"]
    assert all(e["keywords"].get("$seen") for e in mails.values())
    sent = mails["Sent from the webmail"]
    assert list(sent["mailboxIds"]) == [role["sent"]]
    assert "$draft" not in sent["keywords"]
    # it arrived in bob's INBOX
    r = jmap(srv, [["Email/query", {"accountId": "a2"}, "q"],
                   ["Email/get", {"accountId": "a2", "#ids": {
                       "resultOf": "q", "name": "Email/query",
                       "path": "/ids"}, "properties": ["subject", "from"]},
                    "g"]], user="bob@example.test", pw="bob-secret")
    got = {e["subject"]: e for e in r["g"]["list"]}
    assert got["Sent from the webmail"]["from"][0]["email"] == ALICE
    assert mails["XSS probe"]["keywords"].get("$seen")
