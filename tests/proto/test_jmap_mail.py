# test_jmap_mail.py: JMAP Mail (RFC 8621) over HTTP against the IMAP
# store: Mailbox/*, Email/get|query|changes|set, Thread/*, state strings
# and /changes after SMTP and IMAP changes, IMAP seeing JMAP changes,
# errors; the mail capability advertised in the session resource.
# SPDX-License-Identifier: MIT
import base64
import http.client
import imaplib
import json
import smtplib

import pytest

from conftest import finish, make_server

ALICE = "alice@example.test"
PW = "alice-secret"
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
AUTH = "Basic " + base64.b64encode(f"{ALICE}:{PW}".encode()).decode()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    srv = make_server(tmp_path_factory, "jmap_mail", http=True, imap=True)
    yield srv
    finish(srv)


def api(srv, calls):
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=20)
    c.request("POST", "/jmap/api/",
              json.dumps({"using": [CORE, MAIL], "methodCalls": calls}),
              headers={"Authorization": AUTH,
                       "Content-Type": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    assert r.status == 200, body
    return json.loads(body)["methodResponses"]


def one(srv, name, args):
    resp = api(srv, [[name, args, "c"]])
    assert len(resp) == 1
    return resp[0]


def ok(srv, name, args):
    n, a, _ = one(srv, name, args)
    assert n == name, a
    return a


def acct(srv):
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("GET", "/.well-known/jmap", headers={"Authorization": AUTH})
    s = json.loads(c.getresponse().read())
    c.close()
    return s, list(s["accounts"])[0]


def smtp_send(srv, subject, extra="", body="hello there\r\n",
              to=ALICE):
    msg = (f"From: Bob <bob@example.test>\r\nTo: {to}\r\n"
           f"Subject: {subject}\r\n{extra}\r\n{body}")
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as s:
        s.sendmail("bob@example.test", [to], msg.encode())


def imap(srv):
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    c.login(ALICE, PW)
    return c


def mailboxes(srv, aid):
    a = ok(srv, "Mailbox/get", {"accountId": aid, "ids": None})
    return {m["name"]: m for m in a["list"]}, a["state"]


def test_advertised_and_usable(web):
    s, aid = acct(web)
    assert s["capabilities"][MAIL] == {}
    assert s["primaryAccounts"][MAIL] == aid
    assert "maxMailboxesPerEmail" in s["accounts"][aid][
        "accountCapabilities"][MAIL]
    boxes, _ = mailboxes(web, aid)
    assert boxes["INBOX"]["role"] == "inbox"
    assert boxes["Sent"]["role"] == "sent"
    assert boxes["Trash"]["role"] == "trash"
    assert boxes["INBOX"]["parentId"] is None
    assert boxes["INBOX"]["myRights"]["mayDelete"] is False
    assert boxes["INBOX"]["isSubscribed"] is True


def test_errors(web):
    _, aid = acct(web)
    n, a, _ = one(web, "Mailbox/get", {"accountId": "a999"})
    assert n == "error" and a["type"] == "accountNotFound"
    n, a, _ = one(web, "Email/get", {"accountId": aid, "ids": "x"})
    assert n == "error" and a["type"] == "invalidArguments"
    n, a, _ = one(web, "Email/get", {"accountId": aid, "ids": ["M1"],
                                     "properties": ["bogus"]})
    assert n == "error" and a["type"] == "invalidArguments"
    n, a, _ = one(web, "Email/changes", {"accountId": aid,
                                         "sinceState": "99999999"})
    assert n == "error" and a["type"] == "cannotCalculateChanges"
    n, a, _ = one(web, "Email/changes", {"accountId": aid,
                                         "sinceState": "junk"})
    assert n == "error" and a["type"] == "cannotCalculateChanges"
    n, a, _ = one(web, "Email/query", {"accountId": aid,
                                       "filter": {"nope": 1}})
    assert n == "error" and a["type"] == "unsupportedFilter"
    n, a, _ = one(web, "Email/query", {"accountId": aid,
                                       "sort": [{"property": "nope"}]})
    assert n == "error" and a["type"] == "unsupportedSort"
    n, a, _ = one(web, "Mailbox/set", {"accountId": aid,
                                       "ifInState": "1",
                                       "create": {"x": {"name": "Z"}}})
    assert n == "error" and a["type"] == "stateMismatch"
    n, a, _ = one(web, "Email/get", {"accountId": aid,
                                     "ids": ["M999999", "bad"]})
    assert n == "Email/get" and a["notFound"] == ["M999999", "bad"]


def test_smtp_delivery_and_get(web):
    _, aid = acct(web)
    boxes, st0 = mailboxes(web, aid)
    smtp_send(web, "=?UTF-8?Q?Caf=C3=A9?= talk",
              "Message-ID: <root@example.test>\r\n"
              "Cc: \"Carol C\" <carol@example.test>, dan@example.test\r\n"
              "Date: Tue, 01 Jun 2021 10:00:00 +0200\r\n"
              "List-Post: <mailto:list@example.test>\r\n")
    ch = ok(web, "Email/changes", {"accountId": aid, "sinceState": st0})
    assert len(ch["created"]) == 1 and ch["updated"] == []
    eid = ch["created"][0]
    mch = ok(web, "Mailbox/changes", {"accountId": aid, "sinceState": st0})
    assert boxes["INBOX"]["id"] in mch["updated"]
    g = ok(web, "Email/get", {"accountId": aid, "ids": [eid]})
    e = g["list"][0]
    assert e["subject"] == "Café talk"
    assert e["from"] == [{"name": "Bob", "email": "bob@example.test"}]
    assert e["cc"] == [{"name": "Carol C", "email": "carol@example.test"},
                       {"name": None, "email": "dan@example.test"}]
    assert e["messageId"] == ["root@example.test"]
    assert e["inReplyTo"] is None
    assert e["sentAt"] == "2021-06-01T08:00:00Z"
    assert e["mailboxIds"] == {boxes["INBOX"]["id"]: True}
    assert e["keywords"] == {}
    assert e["threadId"].startswith("T")
    assert e["size"] > 0
    g = ok(web, "Email/get", {
        "accountId": aid, "ids": [eid],
        "properties": ["header:Subject", "header:subject:asText",
                       "header:List-Post:asURLs", "header:Cc:asAddresses",
                       "header:X-None", "header:Received:all"]})
    e = g["list"][0]
    assert e["header:Subject"].strip() == "=?UTF-8?Q?Caf=C3=A9?= talk"
    assert e["header:subject:asText"] == "Café talk"
    assert e["header:List-Post:asURLs"] == ["mailto:list@example.test"]
    assert len(e["header:Cc:asAddresses"]) == 2
    assert e["header:X-None"] is None
    assert isinstance(e["header:Received:all"], list)
    assert set(e) == {"id", "header:Subject", "header:subject:asText",
                      "header:List-Post:asURLs", "header:Cc:asAddresses",
                      "header:X-None", "header:Received:all"}
    boxes2, _ = mailboxes(web, aid)
    assert boxes2["INBOX"]["totalEmails"] == boxes["INBOX"]["totalEmails"] + 1
    assert boxes2["INBOX"]["unreadEmails"] == \
        boxes["INBOX"]["unreadEmails"] + 1


def test_threads(web):
    _, aid = acct(web)
    st0 = ok(web, "Email/get", {"accountId": aid, "ids": []})["state"]
    smtp_send(web, "thread start", "Message-ID: <t1@example.test>\r\n")
    smtp_send(web, "Re: thread start",
              "Message-ID: <t2@example.test>\r\n"
              "In-Reply-To: <t1@example.test>\r\n"
              "References: <t1@example.test>\r\n")
    smtp_send(web, "other", "Message-ID: <t3@example.test>\r\n")
    ch = ok(web, "Email/changes", {"accountId": aid, "sinceState": st0})
    assert len(ch["created"]) == 3
    g = ok(web, "Email/get", {"accountId": aid, "ids": ch["created"],
                              "properties": ["threadId", "subject"]})
    t = {e["subject"]: e["threadId"] for e in g["list"]}
    assert t["thread start"] == t["Re: thread start"] != t["other"]
    tg = ok(web, "Thread/get", {"accountId": aid,
                                "ids": [t["thread start"], "T999999"]})
    assert tg["notFound"] == ["T999999"]
    assert len(tg["list"][0]["emailIds"]) == 2
    tc = ok(web, "Thread/changes", {"accountId": aid, "sinceState": st0})
    assert set(tc["created"]) == {t["thread start"], t["other"]}
    # collapseThreads: one per thread
    q = ok(web, "Email/query", {"accountId": aid,
                                "filter": {"subject": "thread start"},
                                "collapseThreads": True})
    assert q["total"] == 1
    q = ok(web, "Email/query", {"accountId": aid,
                                "filter": {"subject": "thread start"}})
    assert q["total"] == 2


def test_query(web):
    _, aid = acct(web)
    boxes, _ = mailboxes(web, aid)
    smtp_send(web, "query alpha", body="needle-in-body\r\n")
    smtp_send(web, "query beta", body="x" * 5000 + "\r\n")
    q = ok(web, "Email/query", {
        "accountId": aid,
        "filter": {"operator": "AND", "conditions": [
            {"inMailbox": boxes["INBOX"]["id"]},
            {"subject": "QUERY"}]},
        "sort": [{"property": "size", "isAscending": False}]})
    assert q["total"] == 2 and len(q["ids"]) == 2
    g = ok(web, "Email/get", {"accountId": aid, "ids": q["ids"],
                              "properties": ["subject", "size"]})
    assert [e["subject"] for e in g["list"]] == ["query beta",
                                                 "query alpha"]
    q2 = ok(web, "Email/query", {"accountId": aid,
                                 "filter": {"body": "NEEDLE-in"}})
    assert q2["ids"] == [q["ids"][1]]
    q3 = ok(web, "Email/query", {"accountId": aid,
                                 "filter": {"minSize": 5000}})
    assert q["ids"][0] in q3["ids"] and q["ids"][1] not in q3["ids"]
    q4 = ok(web, "Email/query", {"accountId": aid,
                                 "filter": {"from": "bob@example"},
                                 "sort": [{"property": "receivedAt"}],
                                 "position": 1, "limit": 2})
    assert q4["position"] == 1 and len(q4["ids"]) == 2
    q5 = ok(web, "Email/query", {"accountId": aid,
                                 "filter": {"from": "bob@example"},
                                 "sort": [{"property": "receivedAt"}],
                                 "anchor": q4["ids"][0], "anchorOffset": -1,
                                 "limit": 1})
    assert q5["position"] == 0
    n, a, _ = one(web, "Email/query", {"accountId": aid,
                                       "anchor": "M999999"})
    assert n == "error" and a["type"] == "anchorNotFound"
    q6 = ok(web, "Email/query", {"accountId": aid,
                                 "filter": {"header": ["Subject",
                                                       "alpha"]}})
    assert q6["ids"] == [q["ids"][1]]
    n, a, _ = one(web, "Email/queryChanges", {"accountId": aid,
                                              "sinceQueryState": "zz"})
    assert n == "error" and a["type"] == "cannotCalculateChanges"
    n, a, _ = one(web, "Email/queryChanges", {
        "accountId": aid, "sinceQueryState": str(10 ** 15)})
    assert n == "error" and a["type"] == "cannotCalculateChanges"


def test_imap_changes_seen_by_jmap(web):
    _, aid = acct(web)
    smtp_send(web, "imap flag me")
    q = ok(web, "Email/query", {"accountId": aid,
                                "filter": {"subject": "imap flag me"}})
    eid = q["ids"][0]
    st = ok(web, "Email/get", {"accountId": aid, "ids": []})["state"]
    c = imap(web)
    c.select("INBOX")
    typ, data = c.uid("SEARCH", None, "SUBJECT", '"imap flag me"')
    uid = data[0].split()[-1]
    c.uid("STORE", uid, "+FLAGS", "(\\Flagged $Work)")
    ch = ok(web, "Email/changes", {"accountId": aid, "sinceState": st})
    assert ch["updated"] == [eid] and ch["created"] == []
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["keywords"]})["list"][0]
    assert e["keywords"] == {"$flagged": True, "$work": True}
    # IMAP copy: the Email is now in two mailboxes
    c.uid("COPY", uid, "Archive")
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["mailboxIds"]})["list"][0]
    assert len(e["mailboxIds"]) == 2
    # IMAP expunge of both copies destroys it
    st = ok(web, "Email/get", {"accountId": aid, "ids": []})["state"]
    c.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    c.expunge()
    ch = ok(web, "Email/changes", {"accountId": aid, "sinceState": st})
    assert ch["updated"] == [eid]
    c.select("Archive")
    c.store("1:*", "+FLAGS", "(\\Deleted)")
    c.expunge()
    ch = ok(web, "Email/changes", {"accountId": aid, "sinceState": st})
    assert ch["destroyed"] == [eid] and ch["updated"] == []
    c.logout()


def test_jmap_changes_seen_by_imap(web):
    _, aid = acct(web)
    boxes, _ = mailboxes(web, aid)
    smtp_send(web, "jmap moves me")
    eid = ok(web, "Email/query", {
        "accountId": aid, "filter": {"subject": "jmap moves me"}})["ids"][0]
    c = imap(web)
    c.select("INBOX")
    typ, data = c.uid("SEARCH", None, "SUBJECT", '"jmap moves me"')
    uid = data[0].split()[-1]
    r = ok(web, "Email/set", {"accountId": aid, "update": {eid: {
        "keywords/$seen": True, "keywords/Custom": True}}})
    assert r["updated"] == {eid: None}
    c.noop()
    typ, data = c.uid("FETCH", uid, "(FLAGS)")
    assert b"\\Seen" in data[0] and b"custom" in data[0]
    # move: into Archive, out of INBOX
    r = ok(web, "Email/set", {"accountId": aid, "update": {eid: {
        "mailboxIds": {boxes["Archive"]["id"]: True}}}})
    assert r["updated"] == {eid: None}, r
    c.noop()
    typ, data = c.uid("SEARCH", None, "SUBJECT", '"jmap moves me"')
    assert data[0] == b""
    typ, data = c.status("Archive", "(MESSAGES)")
    c.select("Archive")
    typ, data = c.uid("SEARCH", None, "SUBJECT", '"jmap moves me"')
    assert data[0] != b""
    r = ok(web, "Email/set", {"accountId": aid, "update": {eid: {
        "mailboxIds": {"B999999": True}}, "M999999": {"keywords": {}}}})
    assert r["notUpdated"][eid]["type"] == "invalidProperties"
    assert r["notUpdated"]["M999999"]["type"] == "notFound"
    r = ok(web, "Email/set", {"accountId": aid, "update": {eid: {
        "keywords": {"bad(kw": True}}}})
    assert r["notUpdated"][eid]["type"] == "invalidProperties"
    r = ok(web, "Email/set", {"accountId": aid, "destroy": [eid, "M999999"]})
    assert r["destroyed"] == [eid]
    assert r["notDestroyed"]["M999999"]["type"] == "notFound"
    c.noop()
    typ, data = c.uid("SEARCH", None, "SUBJECT", '"jmap moves me"')
    assert data[0] == b""
    c.logout()


def test_mailbox_set_and_imap(web):
    _, aid = acct(web)
    _, st = mailboxes(web, aid)
    r = ok(web, "Mailbox/set", {"accountId": aid, "ifInState": st,
                                "create": {
                                    "p": {"name": "Projects",
                                          "isSubscribed": True},
                                    "c": {"name": "Buzon",
                                          "parentId": "#p"},
                                    "bad": {"name": "a/b"}}})
    pid, cid = r["created"]["p"]["id"], r["created"]["c"]["id"]
    assert r["notCreated"]["bad"]["type"] == "invalidProperties"
    boxes, st2 = mailboxes(web, aid)
    assert boxes["Buzon"]["parentId"] == pid
    ch = ok(web, "Mailbox/changes", {"accountId": aid, "sinceState": st})
    assert set(ch["created"]) == {pid, cid}
    c = imap(web)
    typ, data = c.list()
    names = b" ".join(data)
    assert b"Projects/Buzon" in names
    # IMAP rename is a JMAP update
    c.rename("Projects/Buzon", "Projects/Renamed")
    ch = ok(web, "Mailbox/changes", {"accountId": aid, "sinceState": st2})
    assert cid in ch["updated"]
    boxes, _ = mailboxes(web, aid)
    assert boxes["Renamed"]["id"] == cid
    # JMAP rename and unsubscribe; IMAP sees them
    r = ok(web, "Mailbox/set", {"accountId": aid, "update": {
        cid: {"name": "Done", "isSubscribed": False},
        boxes["INBOX"]["id"]: {"role": "trash"}}})
    assert cid in r["updated"]
    assert r["notUpdated"][boxes["INBOX"]["id"]]["type"] == \
        "invalidProperties"
    typ, data = c.list()
    assert b"Projects/Done" in b" ".join(data)
    # destroy: a parent with a child, a mailbox with mail
    c.append("Projects/Done", None, None, b"Subject: x\r\n\r\nx\r\n")
    r = ok(web, "Mailbox/set", {"accountId": aid, "destroy": [pid, cid]})
    assert r["notDestroyed"][pid]["type"] == "mailboxHasChild"
    assert r["notDestroyed"][cid]["type"] == "mailboxHasEmail"
    r = ok(web, "Mailbox/set", {"accountId": aid, "destroy": [cid],
                                "onDestroyRemoveEmails": True})
    assert r["destroyed"] == [cid]
    r = ok(web, "Mailbox/set", {"accountId": aid, "destroy": [pid]})
    assert r["destroyed"] == [pid]
    ch = ok(web, "Mailbox/changes", {"accountId": aid, "sinceState": st})
    assert pid not in ch["created"] + ch["updated"]
    q = ok(web, "Mailbox/query", {"accountId": aid,
                                  "filter": {"hasAnyRole": True}})
    assert q["total"] == 6
    q = ok(web, "Mailbox/query", {"accountId": aid,
                                  "filter": {"role": "inbox"}})
    assert q["ids"] == [boxes["INBOX"]["id"]]
    c.logout()


def test_mailbox_query_changes(web):
    """Mailbox/queryChanges (RFC 8620 5.6) turns the old results into
    the new ones after a create, a rename and a destroy."""
    _, aid = acct(web)
    q0 = ok(web, "Mailbox/query", {"accountId": aid})
    assert q0["canCalculateChanges"] is True
    r = ok(web, "Mailbox/set", {"accountId": aid, "create": {
        "a": {"name": "Qc One"}, "b": {"name": "Qc Two"}}})
    one_id, two_id = r["created"]["a"]["id"], r["created"]["b"]["id"]
    q1 = ok(web, "Mailbox/query", {"accountId": aid})
    qc = ok(web, "Mailbox/queryChanges", {
        "accountId": aid, "sinceQueryState": q0["queryState"],
        "calculateTotal": True})
    assert qc["newQueryState"] == q1["queryState"]
    assert qc["total"] == q1["total"] == q0["total"] + 2
    assert apply_query_changes(q0["ids"], qc) == q1["ids"]
    ok(web, "Mailbox/set", {"accountId": aid,
                            "update": {one_id: {"name": "Zz Qc One"}},
                            "destroy": [two_id]})
    q2 = ok(web, "Mailbox/query", {"accountId": aid})
    qc = ok(web, "Mailbox/queryChanges", {
        "accountId": aid, "sinceQueryState": q1["queryState"]})
    assert two_id in qc["removed"]
    assert apply_query_changes(q1["ids"], qc) == q2["ids"]
    n, a, _ = one(web, "Mailbox/queryChanges", {
        "accountId": aid, "sinceQueryState": q1["queryState"],
        "maxChanges": 1})
    assert n == "error" and a["type"] == "tooManyChanges"
    n, a, _ = one(web, "Mailbox/queryChanges", {
        "accountId": aid, "sinceQueryState": "zz"})
    assert n == "error" and a["type"] == "cannotCalculateChanges"
    ok(web, "Mailbox/set", {"accountId": aid, "destroy": [one_id]})


def test_changes_paging(web):
    _, aid = acct(web)
    st = ok(web, "Email/get", {"accountId": aid, "ids": []})["state"]
    for i in range(5):
        smtp_send(web, f"page {i}")
    seen = []
    for _ in range(10):
        ch = ok(web, "Email/changes", {"accountId": aid, "sinceState": st,
                                       "maxChanges": 2})
        assert len(ch["created"]) <= 2
        seen += ch["created"]
        st = ch["newState"]
        if not ch["hasMoreChanges"]:
            break
    assert len(seen) == 5 and len(set(seen)) == 5


# ---- Email/query at scale: the mailbox fast path against the scan ----

# (from name, subject, Message-ID, parent ids, internal date, flags, pad)
BIG = [
    ("Carol", "A start", "a1", [], "01-Jan-2024 10:00:00 +0000", r"(\Seen)", 0),
    ("Alice", "Re: A start", "a2", ["a1"], "02-Jan-2024 10:00:00 +0000", "()", 10),
    ("Bob", "B topic", "b1", [], "03-Jan-2024 10:00:00 +0000", r"(\Seen)", 20),
    ("Dave", "Re: A start", "a3", ["a1", "a2"], "04-Jan-2024 10:00:00 +0000",
     r"(\Seen)", 30),
    ("Eve", "C alone", "c1", [], "05-Jan-2024 10:00:00 +0000", "()", 4000),
    ("Frank", "Re: B topic", "b2", ["b1"], "06-Jan-2024 10:00:00 +0000",
     r"(\Seen)", 40),
    ("Grace", "D alone", "d1", [], "07-Jan-2024 10:00:00 +0000", r"(\Seen)", 50),
]


@pytest.fixture(scope="module")
def big(web):
    """Mailbox "Big" with BIG appended over IMAP: {from name: Email id},
    the mailbox id, the account id."""
    c = imap(web)
    c.create("Big")
    for name, subj, mid, parents, date, flags, pad in BIG:
        refs = ""
        if parents:
            refs = (f"In-Reply-To: <{parents[-1]}@big.test>\r\nReferences: "
                    + " ".join(f"<{p}@big.test>" for p in parents) + "\r\n")
        msg = (f"From: {name} <{name.lower()}@example.test>\r\nTo: {ALICE}\r\n"
               f"Subject: {subj}\r\nMessage-ID: <{mid}@big.test>\r\n{refs}\r\n"
               f"body of {mid}\r\n" + "p" * pad + "\r\n")
        typ, _ = c.append("Big", flags, f'"{date}"', msg.encode())
        assert typ == "OK"
    c.logout()
    _, aid = acct(web)
    boxes, _ = mailboxes(web, aid)
    box = boxes["Big"]["id"]
    q = ok(web, "Email/query", {"accountId": aid, "filter": {"inMailbox": box}})
    g = ok(web, "Email/get", {"accountId": aid, "ids": q["ids"],
                              "properties": ["from"]})
    ids = {e["from"][0]["name"]: e["id"] for e in g["list"]}
    assert len(ids) == len(BIG)
    return ids, box, aid


def big_query(web, aid, box, scan, **kw):
    # the same filter, once as {"inMailbox"} (the mailbox index) and once
    # inside an AND operator (the general scan)
    f = {"inMailbox": box}
    if scan:
        f = {"operator": "AND", "conditions": [f]}
    return ok(web, "Email/query", {"accountId": aid, "filter": f, **kw})


def test_query_mailbox_order_and_collapse(web, big):
    ids, box, aid = big
    newest = [ids[n] for n in ("Grace", "Frank", "Eve", "Dave", "Bob",
                               "Alice", "Carol")]
    collapsed = [ids[n] for n in ("Grace", "Frank", "Eve", "Dave")]
    for scan in (False, True):
        for asc in (False, True):
            for collapse in (False, True):
                q = big_query(web, aid, box, scan, collapseThreads=collapse,
                              sort=[{"property": "receivedAt",
                                     "isAscending": asc}])
                want = collapsed if collapse else newest
                if asc:
                    # ascending, the first of each thread is the oldest
                    want = ([ids[n] for n in ("Carol", "Bob", "Eve", "Grace")]
                            if collapse else newest[::-1])
                assert q["ids"] == want, (scan, asc, collapse)
                assert q["total"] == len(want)
                assert q["canCalculateChanges"] is True


def test_query_collapse_paging_and_anchor(web, big):
    ids, box, aid = big
    desc = [{"property": "receivedAt", "isAscending": False}]
    for scan in (False, True):
        q = big_query(web, aid, box, scan, sort=desc, collapseThreads=True,
                      position=1, limit=2)
        assert q["ids"] == [ids["Frank"], ids["Eve"]]
        assert q["position"] == 1 and q["total"] == 4
        q = big_query(web, aid, box, scan, sort=desc, collapseThreads=True,
                      position=-1)
        assert q["ids"] == [ids["Dave"]] and q["position"] == 3
        q = big_query(web, aid, box, scan, sort=desc, collapseThreads=True,
                      position=9)
        assert q["ids"] == [] and q["position"] == 4
        # RFC 8620 5.5: the anchor's index plus anchorOffset, position
        # ignored
        q = big_query(web, aid, box, scan, sort=desc, collapseThreads=True,
                      anchor=ids["Eve"], anchorOffset=-1, position=3, limit=2)
        assert q["ids"] == [ids["Frank"], ids["Eve"]] and q["position"] == 1
        q = big_query(web, aid, box, scan, sort=desc, collapseThreads=True,
                      anchor=ids["Frank"], anchorOffset=-5)
        assert q["position"] == 0 and q["ids"][0] == ids["Grace"]
        # Carol's Email is collapsed into Dave's thread: not a result
        n, a, _ = one(web, "Email/query", {
            "accountId": aid, "filter": {"inMailbox": box},
            "sort": desc, "collapseThreads": True, "anchor": ids["Carol"]})
        assert n == "error" and a["type"] == "anchorNotFound"
    # a mailbox of nobody (or of another account) holds nothing
    q = ok(web, "Email/query", {"accountId": aid,
                                "filter": {"inMailbox": "B999999"},
                                "sort": desc})
    assert q["ids"] == [] and q["total"] == 0


def test_query_sorts(web, big):
    ids, box, aid = big
    g = ok(web, "Email/get", {"accountId": aid, "ids": list(ids.values()),
                              "properties": ["size", "subject", "from"]})
    by = {e["id"]: e for e in g["list"]}
    num = {v: int(v[1:]) for v in ids.values()}
    cases = {
        "size": lambda i: (by[i]["size"], num[i]),
        "subject": lambda i: (by[i]["subject"].lower(), num[i]),
        "from": lambda i: (by[i]["from"][0]["name"].lower(), num[i]),
    }
    for prop, key in cases.items():
        for asc in (True, False):
            q = ok(web, "Email/query", {
                "accountId": aid, "filter": {"inMailbox": box},
                "sort": [{"property": prop, "isAscending": asc}]})
            want = sorted(ids.values(), key=key, reverse=not asc)
            assert q["ids"] == want, (prop, asc)
    q = ok(web, "Email/query", {
        "accountId": aid, "filter": {"inMailbox": box},
        "sort": [{"property": "size", "isAscending": False}], "limit": 1})
    assert q["ids"] == [ids["Eve"]]


def test_thread_get_null_and_order(web, big):
    ids, box, aid = big
    g = ok(web, "Email/get", {"accountId": aid, "ids": list(ids.values()),
                              "properties": ["threadId"]})
    tid = {e["id"]: e["threadId"] for e in g["list"]}
    a_thread = tid[ids["Carol"]]
    assert tid[ids["Alice"]] == tid[ids["Dave"]] == a_thread
    t = ok(web, "Thread/get", {"accountId": aid, "ids": [a_thread]})
    # RFC 8621 3: oldest receivedAt first
    assert t["list"][0]["emailIds"] == [ids["Carol"], ids["Alice"],
                                        ids["Dave"]]
    every = ok(web, "Thread/get", {"accountId": aid, "ids": None})
    assert every["notFound"] == [] and every["state"] == t["state"]
    threads = {x["id"]: x["emailIds"] for x in every["list"]}
    assert len(threads) == len(every["list"])
    assert threads[a_thread] == t["list"][0]["emailIds"]
    for e, th in tid.items():
        assert e in threads[th]
    # every Email of the account is in exactly one of them
    allq = ok(web, "Email/query", {"accountId": aid})
    listed = [e for x in threads.values() for e in x]
    assert sorted(listed) == sorted(allq["ids"])
    # ids given twice are answered twice
    t2 = ok(web, "Thread/get", {"accountId": aid,
                                "ids": [a_thread, a_thread]})
    assert len(t2["list"]) == 2


def test_mailbox_counts_big(web, big):
    _, aid = acct(web)
    boxes, _ = mailboxes(web, aid)
    b = boxes["Big"]
    # unread: Alice (thread A) and Eve (alone)
    assert (b["totalEmails"], b["totalThreads"]) == (7, 4)
    assert (b["unreadEmails"], b["unreadThreads"]) == (2, 2)


def test_query_state_after_change(web, big):
    ids, box, aid = big
    desc = [{"property": "receivedAt", "isAscending": False}]
    q0 = big_query(web, aid, box, False, sort=desc, collapseThreads=True)
    again = big_query(web, aid, box, False, sort=desc, collapseThreads=True)
    assert again["queryState"] == q0["queryState"]
    # Email/set moves Grace's Email out: the state moves, the results
    # follow, and queryChanges turns the old results into the new ones
    # (RFC 8620 5.6: removed first, then added by index)
    boxes, _ = mailboxes(web, aid)
    flat0 = big_query(web, aid, box, False, sort=desc)
    s = ok(web, "Email/set", {"accountId": aid, "update": {
        ids["Grace"]: {"mailboxIds": {boxes["Archive"]["id"]: True}}}})
    assert ids["Grace"] in s["updated"]
    q1 = big_query(web, aid, box, False, sort=desc, collapseThreads=True)
    assert q1["queryState"] != q0["queryState"]
    assert q1["ids"] == [ids["Frank"], ids["Eve"], ids["Dave"]]
    for collapse, old in ((True, q0), (False, flat0)):
        new = big_query(web, aid, box, False, sort=desc,
                        collapseThreads=collapse)
        qc = ok(web, "Email/queryChanges", {
            "accountId": aid, "filter": {"inMailbox": box}, "sort": desc,
            "collapseThreads": collapse, "calculateTotal": True,
            "sinceQueryState": old["queryState"]})
        assert qc["oldQueryState"] == old["queryState"]
        assert qc["newQueryState"] == new["queryState"]
        assert qc["total"] == new["total"]
        assert ids["Grace"] in qc["removed"]
        assert apply_query_changes(old["ids"], qc) == new["ids"], collapse
        # nothing since: nothing to do
        qc = ok(web, "Email/queryChanges", {
            "accountId": aid, "filter": {"inMailbox": box}, "sort": desc,
            "collapseThreads": collapse,
            "sinceQueryState": new["queryState"]})
        assert qc["removed"] == [] and qc["added"] == []
    # back, for the other tests: Grace's thread is the newest again
    ok(web, "Email/set", {"accountId": aid, "update": {
        ids["Grace"]: {"mailboxIds": {box: True}}}})
    q2 = big_query(web, aid, box, False, sort=desc, collapseThreads=True)
    assert q2["ids"] == q0["ids"]
    qc = ok(web, "Email/queryChanges", {
        "accountId": aid, "filter": {"inMailbox": box}, "sort": desc,
        "collapseThreads": True, "sinceQueryState": q1["queryState"]})
    assert apply_query_changes(q1["ids"], qc) == q2["ids"]
    # Grace back: removed and added again, 2 changes; maxChanges 1 is
    # too few (RFC 8620 5.6 tooManyChanges)
    qc = ok(web, "Email/queryChanges", {
        "accountId": aid, "filter": {"inMailbox": box}, "sort": desc,
        "sinceQueryState": q1["queryState"], "maxChanges": 2})
    assert qc["removed"] == [ids["Grace"]], qc
    assert [a["id"] for a in qc["added"]] == [ids["Grace"]], qc
    n, a, _ = one(web, "Email/queryChanges", {
        "accountId": aid, "filter": {"inMailbox": box}, "sort": desc,
        "sinceQueryState": q1["queryState"], "maxChanges": 1})
    assert n == "error" and a["type"] == "tooManyChanges"


def apply_query_changes(old, qc):
    """What a client does with an Email/queryChanges answer (RFC 8620
    5.6): drop the removed ids, then insert the added ones at their
    index, lowest index first."""
    ids = [i for i in old if i not in set(qc["removed"])]
    for a in sorted(qc["added"], key=lambda a: a["index"]):
        ids.insert(a["index"], a["id"])
    return ids
