# test_jmap_submission.py: JMAP submission (RFC 8621 6-7): Identity/*,
# EmailSubmission/* sending through the SMTP submission path: to a local
# account (arrives, IMAP reads it), to a remote address (queued, then
# relayed to a fake peer with a DKIM signature that verifies),
# onSuccessUpdateEmail moving a draft to Sent, and the SetErrors.
# deliveryStatus follows the queue: a peer accepting ("unknown": relayed,
# RFC 8621 7), refusing with 550 ("no"), deferring with 451 ("queued",
# with its reply); /changes reports each move; another sender's ENVID
# cannot touch a submission; onSuccessDestroyEmail and onSuccess* keyed
# by an existing id.
# SPDX-License-Identifier: MIT
import base64
import http.client
import imaplib
import json
import os
import subprocess
import sys
import time

import pytest

from buzon import Server
from conftest import USERS, finish, populate
from fakepeer import FakePeer, free_closed_port
from smtpraw import Raw, dot_stuff, wait_until
from test_queue import DKIM_VERIFY, ed25519_key, relay_conf

ALICE = "alice@example.test"
BOB = "bob@example.test"
LIST = "list@example.test"  # alias -> alice, bob (conftest)
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUB = "urn:ietf:params:jmap:submission"
QUEUED = "250 2.1.5 Queued for relay"  # smtpReply before the first attempt
REFUSED = "550 5.1.1 no such user here"
DEFERRED = "451 4.3.0 try again later"
LIFETIME = 2  # queue lifetime, seconds (retries only come from flushes)


def auth(user):
    return "Basic " + base64.b64encode(
        f"{user}:{USERS[user]}".encode()).decode()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    peer = FakePeer()
    bad = FakePeer(rcpt_replies=(REFUSED,))
    slow = FakePeer(rcpt_replies=(DEFERRED,))
    late = free_closed_port()  # a peer comes up there later
    srv = Server(tmp_path_factory.mktemp("jsub"), name="jsub", http=True,
                 imap=True,
                 relay=relay_conf({"peer.test": f"127.0.0.1:{peer.port}",
                                   "bad.test": f"127.0.0.1:{bad.port}",
                                   "slow.test": f"127.0.0.1:{slow.port}",
                                   "late.test": f"127.0.0.1:{late}",
                                   "dead.test": f"127.0.0.1:{free_closed_port()}"},
                                  queue=f"retry = 1h\nlifetime = {LIFETIME}s\n"))
    srv.peers = {"bad": bad, "slow": slow, "late": late}
    populate(srv)
    keydir = os.path.join(srv.data, "dkim", "example.test")
    os.makedirs(keydir, mode=0o700)
    txt = ed25519_key(os.path.join(keydir, "t1.pem"))
    srv.start()
    yield srv, peer, txt
    finish(srv)
    for p in (peer, bad, slow):
        p.close()


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


def send(srv, aid, eid, **args):
    """EmailSubmission/set creating one submission of eid; its id."""
    ident = identity(srv, aid)["id"]
    a = ok(srv, "EmailSubmission/set", {"accountId": aid, "create": {
        "s": {"identityId": ident, "emailId": eid}}, **args})
    assert "s" in a["created"], a
    assert a["created"]["s"]["undoStatus"] == "final", a
    return a["created"]["s"]["id"]


def submission(srv, aid, sid):
    g = ok(srv, "EmailSubmission/get", {"accountId": aid, "ids": [sid]})
    assert len(g["list"]) == 1, g
    return g["list"][0], g["state"]


def wait_status(srv, aid, sid, rcpt, pred, timeout=15):
    """Poll until pred(deliveryStatus[rcpt]) holds; that status."""
    got = {}

    def check():
        got["s"] = submission(srv, aid, sid)[0]["deliveryStatus"][rcpt]
        return pred(got["s"])
    assert wait_until(check, timeout=timeout), (got, srv.log_text()[-3000:])
    return got["s"]


def send_first_attempt(srv, aid, rcpt, subject):
    """Send a draft to rcpt and wait for the queue's first outcome for
    it; the submission id and rcpt's status then."""
    sid = send(srv, aid, draft(srv, aid, [rcpt], subject))
    return sid, wait_status(srv, aid, sid, rcpt,
                            lambda d: d["smtpReply"] != QUEUED)


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
    # local: delivered by the submission itself
    for r in (BOB, "carol@other.test"):
        assert s["deliveryStatus"][r] == {
            "delivered": "yes", "smtpReply": "250 2.1.5 Delivered",
            "displayed": "unknown"}, s
    # private bookkeeping never shows
    assert not [k for k in s if k.startswith("_")], s
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
    # the queue may have relayed it already
    assert s["deliveryStatus"]["far@peer.test"]["delivered"] in ("queued", "unknown")
    assert wait_until(lambda: any(b"jmap remote" in m[2] for m in peer.messages),
                      timeout=15), srv.log_text()[-3000:]
    m = [m for m in peer.messages if b"jmap remote" in m[2]][0]
    assert f"<{ALICE}>" in m[0] and len(m[1]) == 1 and "far@peer.test" in m[1][0], m[:2]
    # the envelope id names the submission (RFC 8621 7, RFC 3461 ENVID)
    assert f"ENVID=buzon-jmap.{sid[1:]}." in m[0], m[0]
    # relayed: the peer's reply; "unknown" since relaying is no proof of
    # delivery to the final mail store (RFC 8621 7)
    st = wait_status(srv, aid, sid, "far@peer.test",
                     lambda d: d["delivered"] != "queued")
    assert st == {"delivered": "unknown", "smtpReply": "250 2.0.0 queued",
                  "displayed": "unknown"}, st
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


def test_remote_refused_is_no(env):
    srv, _, _ = env
    aid = acct(srv)
    st0 = submission_state(srv, aid)
    sid = send(srv, aid, draft(srv, aid, ["who@bad.test"], "jmap refused"))
    st = wait_status(srv, aid, sid, "who@bad.test",
                     lambda d: d["delivered"] != "queued")
    assert st == {"delivered": "no", "smtpReply": REFUSED,
                  "displayed": "unknown"}, st
    ch = ok(srv, "EmailSubmission/changes", {"accountId": aid, "sinceState": st0})
    assert ch["created"] == [sid] and ch["updated"] == [], (st0, ch)


def test_remote_deferred_stays_queued_with_reply(env):
    srv, _, _ = env
    aid = acct(srv)
    _, st = send_first_attempt(srv, aid, "who@slow.test", "jmap deferred")
    assert st == {"delivered": "queued", "smtpReply": DEFERRED,
                  "displayed": "unknown"}, st
    assert "<who@slow.test>" in srv.cli("queue", "list").stdout.decode()


def queue_id(srv, rcpt):
    """The id of the queue entry holding rcpt (`buzon queue list`)."""
    qid = None
    for line in srv.cli("queue", "list").stdout.decode().splitlines():
        if not line.startswith(" "):
            qid = line.split()[0]
        elif f"<{rcpt}>" in line:
            return qid
    raise AssertionError(f"{rcpt} not queued")


def test_lifetime_expired_is_no(env):
    # deferred, then retried after the queue lifetime: it fails for good
    # with the queue's own text, given a reply code (RFC 8621 7)
    srv, _, _ = env
    aid = acct(srv)
    t0 = time.monotonic()
    sid, st = send_first_attempt(srv, aid, "old@slow.test", "jmap expires")
    assert st["delivered"] == "queued" and st["smtpReply"] == DEFERRED, st
    time.sleep(max(0.0, LIFETIME + 1 - (time.monotonic() - t0)))
    srv.cli("queue", "flush", queue_id(srv, "old@slow.test"))
    st = wait_status(srv, aid, sid, "old@slow.test",
                     lambda d: d["delivered"] != "queued")
    assert st["delivered"] == "no", st
    assert st["smtpReply"].startswith("550 5.0.0 delivery time expired"), st
    assert DEFERRED in st["smtpReply"], st


def submission_state(srv, aid):
    return ok(srv, "EmailSubmission/get", {"accountId": aid, "ids": []})["state"]


def test_changes_follow_the_queue(env):
    # first attempt: nobody listens (4xx, still queued); then a peer
    # comes up, a flush retries, and /changes reports the submission
    srv, _, _ = env
    aid = acct(srv)
    sid, first = send_first_attempt(srv, aid, "who@late.test", "jmap late")
    assert first["delivered"] == "queued" and first["smtpReply"][0] == "4", first
    s, st1 = submission(srv, aid, sid)
    ch = ok(srv, "EmailSubmission/changes", {"accountId": aid, "sinceState": st1})
    assert ch["created"] == ch["updated"] == [], ch
    peer = FakePeer(port=srv.peers["late"])
    try:
        srv.cli("queue", "flush", queue_id(srv, "who@late.test"))
        st = wait_status(srv, aid, sid, "who@late.test",
                         lambda d: d["delivered"] != "queued")
        assert st["delivered"] == "unknown" and st["smtpReply"] == "250 2.0.0 queued"
    finally:
        peer.close()
    ch = ok(srv, "EmailSubmission/changes", {"accountId": aid, "sinceState": st1})
    assert ch["updated"] == [sid] and ch["created"] == [], ch
    assert ch["newState"] != st1
    # nothing else moved it: the other fields are as they were
    s2, _ = submission(srv, aid, sid)
    assert {k: v for k, v in s2.items() if k != "deliveryStatus"} == \
        {k: v for k, v in s.items() if k != "deliveryStatus"}


def test_alias_with_local_and_remote_targets(env):
    # one rcptTo expanding to a local account and a refused remote
    # address: its status is the one still open, here "no"
    srv, _, _ = env
    aid = acct(srv)
    srv.cli("alias", "add", "mix@example.test", BOB, "mixed@bad.test")
    sid = send(srv, aid, draft(srv, aid, ["mix@example.test"], "jmap mixed"))
    st = wait_status(srv, aid, sid, "mix@example.test",
                     lambda d: d["delivered"] != "queued")
    assert st["delivered"] == "no" and st["smtpReply"] == REFUSED, st
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    c.login(BOB, USERS[BOB])
    c.select("INBOX")
    assert c.search(None, "SUBJECT", '"jmap mixed"')[1][0]
    c.logout()


def test_foreign_envid_cannot_touch_a_submission(env):
    # bob submits over SMTP with an ENVID naming alice's submission
    # (without its secret): the refusal it gets is not recorded there
    srv, _, _ = env
    aid = acct(srv)
    sid, before = send_first_attempt(srv, aid, "who2@slow.test", "jmap victim")
    s0, st0 = submission(srv, aid, sid)
    for envid in (f"buzon-jmap.{sid[1:]}.00000000000000000000000000000000",
                  f"buzon-jmap.{sid[1:]}."):
        with Raw(srv.sub_port) as c:
            c.ehlo()
            c.starttls()
            c.ehlo()
            assert c.auth_plain(BOB, USERS[BOB]).code == 235
            c.expect(f"MAIL FROM:<{BOB}> ENVID={envid}", 250)
            c.expect("RCPT TO:<who2@bad.test>", 250)
            c.expect("DATA", 354)
            c.send(dot_stuff(b"Subject: forged envid\r\n\r\nx\r\n"))
            assert c.reply().code == 250
        # refused by the peer: the entry is gone once its attempt is
        # recorded, and the outcome hook runs before that
        assert wait_until(lambda: "who2@bad.test" not in srv.queue_addresses(),
                          timeout=15), srv.log_text()[-3000:]
    s1, st1 = submission(srv, aid, sid)
    assert s1 == s0 and st1 == st0, (s0, s1)
    assert s1["deliveryStatus"]["who2@slow.test"] == before


def test_on_success_destroy_and_by_id(env):
    srv, _, _ = env
    aid = acct(srv)
    b = boxes(srv, aid)
    eid = draft(srv, aid, [BOB], "jmap destroy after")
    ident = identity(srv, aid)["id"]
    resp = api(srv, [["EmailSubmission/set", {
        "accountId": aid,
        "create": {"s": {"identityId": ident, "emailId": eid},
                   "bad": {"identityId": ident, "emailId": "M999999"}},
        "onSuccessDestroyEmail": ["#s", "#bad"]}, "0"]])
    assert resp[0][0] == "EmailSubmission/set", resp
    sid = resp[0][1]["created"]["s"]["id"]
    assert "bad" in resp[0][1]["notCreated"]
    assert resp[1][0] == "Email/set" and resp[1][1]["destroyed"] == [eid], resp
    assert ok(srv, "Email/get", {"accountId": aid, "ids": [eid]})["notFound"] == [eid]
    # the submission keeps its emailId (RFC 8621 7.5) and bob has the mail
    assert submission(srv, aid, sid)[0]["emailId"] == eid
    # keyed by an existing submission's id: runs when that update works
    eid2 = draft(srv, aid, [BOB], "jmap by id")
    sid2 = send(srv, aid, eid2)
    resp = api(srv, [["EmailSubmission/set", {
        "accountId": aid, "update": {sid2: {"undoStatus": "final"}},
        "onSuccessUpdateEmail": {sid2: {"keywords/$draft": None,
                                        "mailboxIds/" + b["Drafts"]: None,
                                        "mailboxIds/" + b["Sent"]: True}}}, "0"]])
    assert sid2 in resp[0][1]["updated"], resp
    assert resp[1][0] == "Email/set" and eid2 in resp[1][1]["updated"], resp
    e = ok(srv, "Email/get", {"accountId": aid, "ids": [eid2],
                              "properties": ["mailboxIds", "keywords"]})["list"][0]
    assert e["mailboxIds"] == {b["Sent"]: True} and "$draft" not in e["keywords"]
    # a refused update runs nothing
    resp = api(srv, [["EmailSubmission/set", {
        "accountId": aid, "update": {sid2: {"undoStatus": "canceled"}},
        "onSuccessDestroyEmail": [sid2]}, "0"]])
    assert len(resp) == 1 and sid2 in resp[0][1]["notUpdated"], resp
    # wrong types are invalidArguments
    resp = api(srv, [["EmailSubmission/set", {
        "accountId": aid, "onSuccessDestroyEmail": {"x": 1}}, "0"]])
    assert resp[0][0] == "error" and resp[0][1]["type"] == "invalidArguments"


def test_capability_is_honest(env):
    # RFC 8621 1.3.2: no delayed send (undoStatus is "final" at once),
    # no submission extensions taken from the client's envelope
    srv, _, _ = env
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("GET", "/.well-known/jmap", headers={"Authorization": auth(ALICE)})
    sess = json.loads(c.getresponse().read())
    c.close()
    aid, info = list(sess["accounts"].items())[0]
    assert sess["capabilities"][SUB] == {}
    assert sess["primaryAccounts"][SUB] == aid
    assert info["accountCapabilities"][SUB] == {
        "maxDelayedSend": 0, "submissionExtensions": {}}
