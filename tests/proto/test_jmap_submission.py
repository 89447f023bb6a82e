# test_jmap_submission.py: JMAP submission (RFC 8621 6-7): Identity/*,
# EmailSubmission/* sending through the SMTP submission path: to a local
# account (arrives, IMAP reads it), to a remote address (queued, then
# relayed to a fake peer with a DKIM signature that verifies),
# onSuccessUpdateEmail moving a draft to Sent, and the SetErrors.
# SPDX-License-Identifier: MIT
import base64
import http.client
import imaplib
import json
import os
import subprocess
import sys

import pytest

from buzon import Server
from conftest import USERS, finish, populate
from fakepeer import FakePeer, free_closed_port
from smtpraw import wait_until
from test_queue import DKIM_VERIFY, ed25519_key, relay_conf

ALICE = "alice@example.test"
BOB = "bob@example.test"
LIST = "list@example.test"  # alias -> alice, bob (conftest)
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUB = "urn:ietf:params:jmap:submission"


def auth(user):
    return "Basic " + base64.b64encode(
        f"{user}:{USERS[user]}".encode()).decode()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    peer = FakePeer()
    srv = Server(tmp_path_factory.mktemp("jsub"), name="jsub", http=True,
                 imap=True,
                 relay=relay_conf({"peer.test": f"127.0.0.1:{peer.port}",
                                   "dead.test": f"127.0.0.1:{free_closed_port()}"},
                                  queue="retry = 1h\n"))
    populate(srv)
    keydir = os.path.join(srv.data, "dkim", "example.test")
    os.makedirs(keydir, mode=0o700)
    txt = ed25519_key(os.path.join(keydir, "t1.pem"))
    srv.start()
    yield srv, peer, txt
    finish(srv)
    peer.close()


def api(srv, calls, user=ALICE):
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=30)
    c.request("POST", "/jmap/api/",
              json.dumps({"using": [CORE, MAIL, SUB], "methodCalls": calls}),
              headers={"Authorization": auth(user),
                       "Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200, body
    return json.loads(body)["methodResponses"]


def ok(srv, name, args, user=ALICE):
    resp = api(srv, [[name, args, "c"]], user)
    assert resp[0][0] == name, resp
    return resp[0][1]


def acct(srv, user=ALICE):
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("GET", "/.well-known/jmap", headers={"Authorization": auth(user)})
    s = json.loads(c.getresponse().read())
    c.close()
    return list(s["accounts"])[0]


def boxes(srv, aid, user=ALICE):
    a = ok(srv, "Mailbox/get", {"accountId": aid, "ids": None}, user)
    return {m["name"]: m["id"] for m in a["list"]}


def identity(srv, aid, email=ALICE):
    a = ok(srv, "Identity/get", {"accountId": aid, "ids": None})
    return [i for i in a["list"] if i["email"] == email][0]


def draft(srv, aid, to, subject, frm=ALICE, bcc=None):
    b = boxes(srv, aid)
    obj = {"mailboxIds": {b["Drafts"]: True},
           "keywords": {"$draft": True, "$seen": True},
           "from": [{"name": "Alice", "email": frm}],
           "to": [{"email": t} for t in to], "subject": subject,
           "textBody": [{"partId": "1", "type": "text/plain"}],
           "bodyValues": {"1": {"value": f"body of {subject}\n"}}}
    if bcc:
        obj["bcc"] = [{"email": t} for t in bcc]
    a = ok(srv, "Email/set", {"accountId": aid, "create": {"d": obj}})
    assert "d" in a["created"], a
    return a["created"]["d"]["id"]


def test_identities(env):
    srv, _, _ = env
    aid = acct(srv)
    a = ok(srv, "Identity/get", {"accountId": aid, "ids": None})
    emails = sorted(i["email"] for i in a["list"])
    # the account and the alias that expands to it
    assert emails == [ALICE, LIST], a
    me = identity(srv, aid)
    assert me["mayDelete"] is False and me["replyTo"] is None
    st = a["state"]
    u = ok(srv, "Identity/set", {"accountId": aid, "update": {
        me["id"]: {"name": "Alice A", "textSignature": "-- \nA"}}})
    assert me["id"] in u["updated"], u
    ch = ok(srv, "Identity/changes", {"accountId": aid, "sinceState": st})
    assert ch["updated"] == [me["id"]], ch
    assert identity(srv, aid)["name"] == "Alice A"
    # a +tag address is the account's; bob's address is not
    c = ok(srv, "Identity/set", {"accountId": aid, "create": {
        "t": {"email": "alice+news@example.test", "name": "news"},
        "x": {"email": BOB}}})
    assert "t" in c["created"] and c["created"]["t"]["mayDelete"] is True
    assert c["notCreated"]["x"]["type"] == "forbiddenFrom", c
    d = ok(srv, "Identity/set", {"accountId": aid,
                                  "destroy": [c["created"]["t"]["id"], me["id"]]})
    assert d["destroyed"] == [c["created"]["t"]["id"]]
    assert d["notDestroyed"][me["id"]]["type"] == "forbidden"


def test_send_local_and_move_draft_to_sent(env):
    srv, _, _ = env
    aid = acct(srv)
    b = boxes(srv, aid)
    eid = draft(srv, aid, [BOB], "jmap local", bcc=["carol@other.test"])
    ident = identity(srv, aid)["id"]
    resp = api(srv, [["EmailSubmission/set", {
        "accountId": aid,
        "create": {"s1": {"identityId": ident, "emailId": eid}},
        "onSuccessUpdateEmail": {"#s1": {
            "mailboxIds/" + b["Drafts"]: None, "mailboxIds/" + b["Sent"]: True,
            "keywords/$draft": None}}}, "0"]])
    assert resp[0][0] == "EmailSubmission/set", resp
    created = resp[0][1]["created"]["s1"]
    assert created["id"].startswith("S")
    # RFC 8621 7.5: the implicit Email/set follows with the same call id
    assert resp[1][0] == "Email/set" and resp[1][2] == "0", resp
    assert eid in resp[1][1]["updated"], resp[1]
    e = ok(srv, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["mailboxIds", "keywords"]})["list"][0]
    assert e["mailboxIds"] == {b["Sent"]: True}
    assert e["keywords"] == {"$seen": True}
    g = ok(srv, "EmailSubmission/get", {"accountId": aid, "ids": [created["id"]]})
    s = g["list"][0]
    assert s["undoStatus"] == "final" and s["emailId"] == eid
    assert s["envelope"]["mailFrom"]["email"] == ALICE
    rc = sorted(r["email"] for r in s["envelope"]["rcptTo"])
    assert rc == [BOB, "carol@other.test"]
    assert s["deliveryStatus"][BOB]["delivered"] == "yes"
    # bob reads it over IMAP; carol got it too (Bcc) but sees no Bcc field
    for user in (BOB, "carol@other.test"):
        c = imaplib.IMAP4("127.0.0.1", srv.imap_port)
        c.login(user, USERS[user])
        c.select("INBOX")
        _, data = c.search(None, "SUBJECT", '"jmap local"')
        assert data[0], user
        _, msg = c.fetch(data[0].split()[-1], "(BODY.PEEK[])")
        raw = msg[0][1]
        assert b"body of jmap local" in raw and b"\r\nBcc:" not in raw
        c.logout()
    q = ok(srv, "EmailSubmission/query", {"accountId": aid,
                                          "filter": {"emailIds": [eid]}})
    assert q["ids"] == [created["id"]] and q["total"] == 1


def test_send_remote_queued_and_dkim_signed(env):
    srv, peer, txt = env
    aid = acct(srv)
    eid = draft(srv, aid, ["far@peer.test"], "jmap remote")
    ident = identity(srv, aid)["id"]
    a = ok(srv, "EmailSubmission/set", {"accountId": aid, "create": {
        "r": {"identityId": ident, "emailId": eid}}})
    sid = a["created"]["r"]["id"]
    s = ok(srv, "EmailSubmission/get", {"accountId": aid, "ids": [sid]})["list"][0]
    assert s["deliveryStatus"]["far@peer.test"]["delivered"] == "queued"
    assert wait_until(lambda: any(b"jmap remote" in m[2] for m in peer.messages),
                      timeout=15), srv.log_text()[-3000:]
    m = [m for m in peer.messages if b"jmap remote" in m[2]][0]
    assert f"<{ALICE}>" in m[0] and len(m[1]) == 1 and "far@peer.test" in m[1][0], m[:2]
    assert b"DKIM-Signature:" in m[2]
    path = os.path.join(srv.data, "jmap-remote.eml")
    with open(path, "wb") as f:
        f.write(m[2])
    r = subprocess.run([sys.executable, DKIM_VERIFY, path, "t1",
                        "example.test", txt], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_send_remote_listed_in_queue(env, tmp_path_factory):
    # a route that refuses connections: the entry stays in the queue
    srv, _, _ = env
    aid = acct(srv)
    eid = draft(srv, aid, ["nobody@dead.test"], "jmap stays queued")
    ident = identity(srv, aid)["id"]
    a = ok(srv, "EmailSubmission/set", {"accountId": aid, "create": {
        "q": {"identityId": ident, "emailId": eid}}})
    assert "q" in a["created"], a
    out = srv.cli("queue", "list").stdout.decode()
    assert "<nobody@dead.test>" in out, out


def test_errors(env):
    srv, _, _ = env
    aid = acct(srv)
    ident = identity(srv, aid)["id"]
    forged = draft(srv, aid, [BOB], "forged", frm=BOB)
    no_rcpt = draft(srv, aid, [], "nobody")
    b = boxes(srv, aid)
    nofrom = ok(srv, "Email/set", {"accountId": aid, "create": {"n": {
        "mailboxIds": {b["Drafts"]: True}, "subject": "no from",
        "to": [{"email": BOB}],
        "textBody": [{"partId": "1", "type": "text/plain"}],
        "bodyValues": {"1": {"value": "x"}}}}})["created"]["n"]["id"]
    a = ok(srv, "EmailSubmission/set", {"accountId": aid, "create": {
        "f": {"identityId": ident, "emailId": forged},
        "n": {"identityId": ident, "emailId": no_rcpt},
        "i": {"identityId": ident, "emailId": nofrom},
        "u": {"identityId": ident, "emailId": forged,
              "envelope": {"mailFrom": {"email": ALICE},
                           "rcptTo": [{"email": "ghost@example.test"}]}},
        "m": {"identityId": ident, "emailId": "M999999"},
        "x": {"identityId": "I999999", "emailId": forged}}})
    nc = a["notCreated"]
    assert nc["f"]["type"] == "forbiddenFrom", nc
    assert nc["n"]["type"] == "noRecipients", nc
    assert nc["i"]["type"] == "invalidEmail", nc
    assert nc["m"]["type"] == "invalidProperties", nc
    assert nc["x"]["type"] == "invalidProperties", nc
    assert a["created"] == {}
    # forged From with an explicit envelope is still refused
    assert nc["u"]["type"] in ("forbiddenFrom", "invalidRecipients"), nc
    ok_env = ok(srv, "EmailSubmission/set", {"accountId": aid, "create": {
        "u": {"identityId": ident, "emailId": no_rcpt,
              "envelope": {"mailFrom": {"email": ALICE},
                           "rcptTo": [{"email": "ghost@example.test"}]}},
        "b": {"identityId": ident, "emailId": no_rcpt,
              "envelope": {"mailFrom": {"email": BOB},
                           "rcptTo": [{"email": BOB}]}}}})
    assert ok_env["notCreated"]["u"]["type"] == "invalidRecipients"
    assert ok_env["notCreated"]["u"]["invalidRecipients"] == ["ghost@example.test"]
    assert ok_env["notCreated"]["b"]["type"] == "forbiddenMailFrom"
    # undoStatus cannot become canceled
    subs = ok(srv, "EmailSubmission/query", {"accountId": aid})["ids"]
    u = ok(srv, "EmailSubmission/set", {"accountId": aid, "update": {
        subs[0]: {"undoStatus": "canceled"}}})
    assert u["notUpdated"][subs[0]]["type"] == "cannotUnsend"
    # the methods need the submission capability in "using"
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("POST", "/jmap/api/", json.dumps({
        "using": [CORE, MAIL],
        "methodCalls": [["Identity/get", {"accountId": aid}, "0"]]}),
        headers={"Authorization": auth(ALICE),
                 "Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())
    c.close()
    assert r["methodResponses"][0][0] == "error"


def test_submission_changes_and_destroy(env):
    srv, _, _ = env
    aid = acct(srv)
    st = ok(srv, "EmailSubmission/get", {"accountId": aid, "ids": []})["state"]
    eid = draft(srv, aid, [BOB], "jmap changes")
    ident = identity(srv, aid)["id"]
    sid = ok(srv, "EmailSubmission/set", {"accountId": aid, "create": {
        "c": {"identityId": ident, "emailId": eid}}})["created"]["c"]["id"]
    ch = ok(srv, "EmailSubmission/changes", {"accountId": aid, "sinceState": st})
    assert ch["created"] == [sid], ch
    d = ok(srv, "EmailSubmission/set", {"accountId": aid, "destroy": [sid]})
    assert d["destroyed"] == [sid]
    assert ok(srv, "EmailSubmission/get", {"accountId": aid,
                                           "ids": [sid]})["notFound"] == [sid]
