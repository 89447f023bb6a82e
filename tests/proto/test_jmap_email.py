# test_jmap_email.py: JMAP Email bodies (RFC 8621 4.1.4): bodyStructure,
# textBody/htmlBody/attachments, bodyValues, preview, part blobs and
# their download; Email/set create, Email/import, Email/parse,
# SearchSnippet/get, body filters.  Python's email package builds the
# messages and is the oracle.
# SPDX-License-Identifier: MIT
import email
import email.policy
import http.client
import json
from email.message import EmailMessage

import pytest

from conftest import finish, make_server
from test_jmap_mail import ALICE, AUTH, acct, imap, mailboxes, ok, one

PNG = bytes(range(256)) * 7


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    srv = make_server(tmp_path_factory, "jmap_email", http=True, imap=True)
    yield srv
    finish(srv)


def deliver(srv, msg):
    import smtplib
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as s:
        s.sendmail("bob@example.test", [ALICE],
                   msg.as_bytes(policy=email.policy.SMTP))


def find(srv, aid, subject):
    q = ok(srv, "Email/query", {"accountId": aid,
                                "filter": {"subject": subject}})
    assert len(q["ids"]) == 1, q
    return q["ids"][0]


def rich_message(subject):
    m = EmailMessage()
    m["From"] = "Bob <bob@example.test>"
    m["To"] = ALICE
    m["Subject"] = subject
    m.set_content("Plain caf\u00e9 text\nsecond line\n", charset="utf-8",
                  cte="quoted-printable")
    m.add_alternative("<p>Html <b>caf\u00e9</b> &amp; more</p>\n",
                      subtype="html")
    m.add_attachment(PNG, maintype="image", subtype="png",
                     filename="pic.png")
    m.add_attachment("l\u00e9gende\n".encode("latin-1"), maintype="text",
                     subtype="plain", filename="notes.txt")
    return m


def download(srv, aid, blob, name="f", typ="application/octet-stream"):
    s, _ = acct(srv)
    url = (s["downloadUrl"].replace("{accountId}", aid)
           .replace("{blobId}", blob).replace("{name}", name)
           .replace("{type}", typ))
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("GET", url, headers={"Authorization": AUTH})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, r


def upload(srv, aid, data, typ="message/rfc822"):
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("POST", f"/jmap/upload/{aid}/", data,
              headers={"Authorization": AUTH, "Content-Type": typ})
    r = c.getresponse()
    up = json.loads(r.read())
    c.close()
    assert r.status == 201, up
    return up["blobId"]


def oracle_leaves(msg):
    """(type, decoded payload) of the leaves, in order."""
    out = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        out.append((p.get_content_type(), p.get_payload(decode=True)))
    return out


def test_body_structure_and_lists(web):
    _, aid = acct(web)
    m = rich_message("rich one")
    deliver(web, m)
    eid = find(web, aid, "rich one")
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["bodyStructure", "textBody",
                                             "htmlBody", "attachments",
                                             "hasAttachment", "preview",
                                             "bodyValues"],
                              "fetchAllBodyValues": True})["list"][0]
    bs = e["bodyStructure"]
    assert bs["type"] == "multipart/mixed" and bs["partId"] is None
    assert bs["blobId"] is None
    alt = bs["subParts"][0]
    assert alt["type"] == "multipart/alternative"
    assert [p["type"] for p in alt["subParts"]] == ["text/plain",
                                                     "text/html"]
    assert [p["partId"] for p in alt["subParts"]] == ["1.1", "1.2"]
    assert [p["type"] for p in bs["subParts"][1:]] == ["image/png",
                                                        "text/plain"]
    assert bs["subParts"][1]["name"] == "pic.png"
    assert bs["subParts"][1]["disposition"] == "attachment"
    assert bs["subParts"][1]["size"] == len(PNG)
    assert bs["subParts"][1]["charset"] is None
    notes = list(m.iter_attachments())[1]
    assert bs["subParts"][2]["charset"] == \
        (notes.get_content_charset() or "us-ascii")
    assert [p["partId"] for p in e["textBody"]] == ["1.1"]
    assert [p["partId"] for p in e["htmlBody"]] == ["1.2"]
    assert [p["partId"] for p in e["attachments"]] == ["2", "3"]
    assert e["hasAttachment"] is True
    leaves = oracle_leaves(m)
    assert e["bodyValues"]["1.1"]["value"] == \
        leaves[0][1].decode("utf-8")
    assert e["bodyValues"]["1.1"]["isEncodingProblem"] is False
    assert e["bodyValues"]["1.2"]["value"] == leaves[1][1].decode("utf-8")
    assert e["preview"] == "Plain caf\u00e9 text second line"
    # part blob download is the decoded content, byte for byte
    st, got, r = download(web, aid, bs["subParts"][1]["blobId"], "pic.png",
                          "image/png")
    assert st == 200 and got == PNG
    assert r.getheader("Content-Type") == "image/png"
    assert "attachment" in r.getheader("Content-Disposition")
    # the whole message
    whole = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                                  "properties": ["blobId", "size"]})
    st, raw, _ = download(web, aid, whole["list"][0]["blobId"])
    assert st == 200 and len(raw) == whole["list"][0]["size"]
    assert email.message_from_bytes(raw)["Subject"] == "rich one"
    # fetchTextBodyValues only, truncated
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["bodyValues"],
                              "fetchTextBodyValues": True,
                              "maxBodyValueBytes": 9})["list"][0]
    assert list(e["bodyValues"]) == ["1.1"]
    v = e["bodyValues"]["1.1"]
    assert v["isTruncated"] is True and v["value"] == "Plain caf"
    # bodyProperties
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["attachments"],
                              "bodyProperties": ["partId", "headers",
                                                 "header:Content-Type"]}
           )["list"][0]
    a0 = e["attachments"][0]
    assert set(a0) == {"partId", "headers", "header:Content-Type"}
    assert "image/png" in a0["header:Content-Type"]


def test_charset_and_encoding_problem(web):
    _, aid = acct(web)
    m = EmailMessage()
    m["From"] = "bob@example.test"
    m["To"] = ALICE
    m["Subject"] = "latin one"
    m.set_content("na\u00efve r\u00e9sum\u00e9\n", charset="iso-8859-1",
                  cte="base64")
    deliver(web, m)
    eid = find(web, aid, "latin one")
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["bodyValues", "textBody"],
                              "fetchTextBodyValues": True})["list"][0]
    assert e["textBody"][0]["partId"] == "1"
    assert e["textBody"][0]["charset"] == "iso-8859-1"
    v = e["bodyValues"]["1"]
    assert v["value"] == "na\u00efve r\u00e9sum\u00e9\n"
    assert v["isEncodingProblem"] is False
    # body filter searches the decoded text (base64 + latin-1)
    q = ok(web, "Email/query", {"accountId": aid,
                                "filter": {"body": "R\u00c9SUM\u00c9"}})
    assert q["ids"] == [eid]
    q = ok(web, "Email/query", {"accountId": aid,
                                "filter": {"text": "naïve"}})
    assert eid in q["ids"]
    # invalid UTF-8 is an encoding problem
    raw = (b"From: bob@example.test\r\nTo: " + ALICE.encode() +
           b"\r\nSubject: broken one\r\nContent-Type: text/plain; "
           b"charset=utf-8\r\n\r\nbad \xff\xfe bytes\r\n")
    import smtplib
    with smtplib.SMTP("127.0.0.1", web.smtp_port, timeout=10) as s:
        s.sendmail("bob@example.test", [ALICE], raw)
    eid = find(web, aid, "broken one")
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["bodyValues"],
                              "fetchAllBodyValues": True})["list"][0]
    assert e["bodyValues"]["1"]["isEncodingProblem"] is True
    assert "\ufffd" in e["bodyValues"]["1"]["value"]


def test_create_seen_by_imap(web):
    _, aid = acct(web)
    boxes, _ = mailboxes(web, aid)
    drafts = boxes["Drafts"]["id"]
    blob = upload(web, aid, PNG, "image/png")
    r = ok(web, "Email/set", {"accountId": aid, "create": {"k1": {
        "mailboxIds": {drafts: True},
        "keywords": {"$draft": True, "$seen": True},
        "from": [{"name": "Alice \u00c0", "email": ALICE}],
        "to": [{"name": None, "email": "bob@example.test"}],
        "subject": "Draft \u00e9t\u00e9",
        "header:X-Test:asText": "yes",
        "textBody": [{"partId": "t", "type": "text/plain"}],
        "htmlBody": [{"partId": "h", "type": "text/html"}],
        "bodyValues": {"t": {"value": "caf\u00e9 body\n"},
                       "h": {"value": "<p>caf\u00e9</p>"}},
        "attachments": [{"blobId": blob, "type": "image/png",
                         "name": "p.png"}],
    }}})
    assert "k1" in r["created"], r
    c = r["created"]["k1"]
    assert set(c) >= {"id", "blobId", "threadId", "size"}
    e = ok(web, "Email/get", {"accountId": aid, "ids": [c["id"]],
                              "properties": ["subject", "from", "keywords",
                                             "mailboxIds", "textBody",
                                             "attachments", "bodyValues",
                                             "header:X-Test:asText"],
                              "fetchAllBodyValues": True})["list"][0]
    assert e["subject"] == "Draft \u00e9t\u00e9"
    assert e["from"] == [{"name": "Alice \u00c0", "email": ALICE}]
    assert e["keywords"] == {"$draft": True, "$seen": True}
    assert e["mailboxIds"] == {drafts: True}
    assert e["header:X-Test:asText"] == "yes"
    tid = e["textBody"][0]["partId"]
    assert e["bodyValues"][tid]["value"] == "caf\u00e9 body\n"
    st, got, _ = download(web, aid, e["attachments"][0]["blobId"])
    assert got == PNG
    # IMAP sees it, with its flags, and Python parses it
    im = imap(web)
    im.select("Drafts")
    typ, data = im.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    assert uids
    typ, data = im.uid("FETCH", uids[-1], "(FLAGS BODY.PEEK[])")
    flags = data[0][0].decode()
    assert "\\Draft" in flags and "\\Seen" in flags
    parsed = email.message_from_bytes(data[0][1], policy=email.policy.default)
    assert str(parsed["Subject"]) == "Draft \u00e9t\u00e9"
    body = parsed.get_body(("plain",))
    assert body.get_content().replace("\r\n", "\n") == "caf\u00e9 body\n"
    att = list(parsed.iter_attachments())
    assert att[0].get_filename() == "p.png"
    assert att[0].get_payload(decode=True) == PNG
    im.logout()
    # a bad create
    r = ok(web, "Email/set", {"accountId": aid, "create": {"k2": {
        "mailboxIds": {drafts: True}, "bogus": 1}}})
    assert r["notCreated"]["k2"]["type"] == "invalidProperties"
    r = ok(web, "Email/set", {"accountId": aid, "create": {"k3": {
        "mailboxIds": {}, "subject": "x"}}})
    assert r["notCreated"]["k3"]["properties"] == ["mailboxIds"]


def test_import_and_parse(web):
    _, aid = acct(web)
    boxes, _ = mailboxes(web, aid)
    m = rich_message("imported one")
    m["Message-ID"] = "<imp@example.test>"
    blob = upload(web, aid, m.as_bytes(policy=email.policy.SMTP))
    p = ok(web, "Email/parse", {"accountId": aid,
                                "blobIds": [blob, "U" + "0" * 32],
                                "fetchTextBodyValues": True})
    assert p["notFound"] == ["U" + "0" * 32]
    e = p["parsed"][blob]
    assert e["subject"] == "imported one"
    assert e["messageId"] == ["imp@example.test"]
    assert [x["partId"] for x in e["attachments"]] == ["2", "3"]
    assert "1.1" in e["bodyValues"]
    r = ok(web, "Email/import", {"accountId": aid, "emails": {"i1": {
        "blobId": blob, "mailboxIds": {boxes["Archive"]["id"]: True,
                                       boxes["INBOX"]["id"]: True},
        "keywords": {"$flagged": True},
        "receivedAt": "2021-03-04T05:06:07Z"}}})
    c = r["created"]["i1"]
    e = ok(web, "Email/get", {"accountId": aid, "ids": [c["id"]],
                              "properties": ["mailboxIds", "receivedAt",
                                             "keywords", "subject"]}
           )["list"][0]
    assert e["receivedAt"] == "2021-03-04T05:06:07Z"
    assert e["mailboxIds"] == {boxes["Archive"]["id"]: True,
                               boxes["INBOX"]["id"]: True}
    assert e["keywords"] == {"$flagged": True}
    r = ok(web, "Email/import", {"accountId": aid, "emails": {"i2": {
        "blobId": "U" + "1" * 32,
        "mailboxIds": {boxes["INBOX"]["id"]: True}}}})
    assert r["notCreated"]["i2"]["type"] == "blobNotFound"
    # parse an attached message through its part blob id
    outer = EmailMessage()
    outer["Subject"] = "carrier"
    outer["From"] = "bob@example.test"
    outer["To"] = ALICE
    outer.set_content("see attached\n")
    inner = EmailMessage()
    inner["Subject"] = "the inner one"
    inner["From"] = "carol@example.test"
    inner.set_content("inner text\n")
    outer.add_attachment(inner)
    deliver(web, outer)
    eid = find(web, aid, "carrier")
    e = ok(web, "Email/get", {"accountId": aid, "ids": [eid],
                              "properties": ["attachments"]})["list"][0]
    att = e["attachments"][0]
    assert att["type"] == "message/rfc822"
    p = ok(web, "Email/parse", {"accountId": aid, "blobIds": [att["blobId"]],
                                "properties": ["subject", "preview"]})
    assert p["parsed"][att["blobId"]] == {"subject": "the inner one",
                                          "preview": "inner text"}
    # Email/copy: one account only
    n, a, _ = one(web, "Email/copy", {"accountId": aid,
                                      "fromAccountId": "a999",
                                      "create": {}})
    assert n == "error" and a["type"] == "fromAccountNotFound"


def test_snippets(web):
    _, aid = acct(web)
    m = EmailMessage()
    m["From"] = "bob@example.test"
    m["To"] = ALICE
    m["Subject"] = "Snippet <Planning> meeting"
    m.set_content("Agenda: the planning & budget for <next> year.\n")
    deliver(web, m)
    eid = find(web, aid, "Snippet")
    r = ok(web, "SearchSnippet/get", {"accountId": aid, "emailIds": [eid, "M999999"],
                                      "filter": {"text": "planning"}})
    assert r["notFound"] == ["M999999"]
    s = r["list"][0]
    assert s["emailId"] == eid
    assert s["subject"] == "Snippet &lt;<mark>Planning</mark>&gt; meeting"
    assert s["preview"] == ("Agenda: the <mark>planning</mark> &amp; "
                            "budget for &lt;next&gt; year.")
    r = ok(web, "SearchSnippet/get", {"accountId": aid, "emailIds": [eid],
                                      "filter": {"subject": "zzz"}})
    assert r["list"][0]["subject"] is None


def test_get_all_ids(web):
    _, aid = acct(web)
    g = ok(web, "Email/get", {"accountId": aid, "ids": None,
                              "properties": ["id"]})
    q = ok(web, "Email/query", {"accountId": aid})
    assert sorted(x["id"] for x in g["list"]) == sorted(q["ids"])
