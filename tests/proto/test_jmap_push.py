# test_jmap_push.py: JMAP push (RFC 8620 7.1, 7.3): StateChange events on
# the event-source stream after SMTP delivery, IMAP STORE/APPEND/EXPUNGE
# from another connection, JMAP Email/set and Identity/set, with the
# state /get returns afterwards; EmailDelivery (RFC 8621 1.5: new Emails
# only); the types filter, closeafter=state, Last-Event-ID, coalescing,
# and accounts kept apart.
# SPDX-License-Identifier: MIT
import http.client
import imaplib
import json
import smtplib
import socket
import time

import pytest

from conftest import USERS, finish, make_server

from test_jmap_submission import ALICE, acct, auth, ok

BOB = "bob@example.test"


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    srv = make_server(tmp_path_factory, "jmap_push", http=True, imap=True)
    yield srv
    finish(srv)


def state_of(srv, typ, user=ALICE):
    return ok(srv, typ + "/get", {"accountId": acct(srv, user), "ids": []},
              user)["state"]


def smtp_send(srv, subject, to=ALICE):
    msg = (f"From: Carol <carol@other.test>\r\nTo: {to}\r\n"
           f"Subject: {subject}\r\n\r\nhello\r\n")
    with smtplib.SMTP("127.0.0.1", srv.smtp_port, timeout=10) as s:
        s.sendmail("carol@other.test", [to], msg.encode())


def imap(srv, user=ALICE):
    c = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    c.login(user, USERS[user])
    return c


class Stream:
    """An event-source stream read from a raw socket (chunked)."""

    def __init__(self, srv, types="*", closeafter="no", user=ALICE,
                 last_id=None):
        self.s = socket.create_connection(("127.0.0.1", srv.http_port), 10)
        extra = f"Last-Event-ID: {last_id}\r\n" if last_id else ""
        self.s.sendall(
            f"GET /jmap/eventsource/?types={types}&closeafter={closeafter}"
            f"&ping=0 HTTP/1.1\r\nHost: a\r\nAuthorization: {auth(user)}"
            f"\r\n{extra}\r\n".encode())
        self.raw = b""
        self.body = b""
        self.ended = False  # last chunk seen
        self.closed = False  # EOF
        while b"\r\n\r\n" not in self.raw:
            self._recv(10)
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert b"Transfer-Encoding: chunked" in head
        self.events = []
        self._dechunk()

    def _recv(self, timeout):
        self.s.settimeout(timeout)
        try:
            b = self.s.recv(65536)
        except socket.timeout:
            return False
        if not b:
            self.closed = True
            return False
        self.raw += b
        return True

    def _dechunk(self):
        while b"\r\n" in self.raw:
            size, rest = self.raw.split(b"\r\n", 1)
            n = int(size, 16)
            if len(rest) < n + 2:
                return
            if n == 0:
                self.ended = True
            self.body += rest[:n]
            self.raw = rest[n + 2:]
        while b"\n\n" in self.body:
            ev, self.body = self.body.split(b"\n\n", 1)
            fields = {}
            for line in ev.decode().split("\n"):
                k, _, v = line.partition(": ")
                fields[k] = v
            self.events.append(fields)

    def wait(self, n=1, timeout=10):
        """The first n events not taken yet (fails on timeout)."""
        t0 = time.monotonic()
        while len(self.events) < n and not self.closed:
            left = timeout - (time.monotonic() - t0)
            assert left > 0, f"no event within {timeout}s: {self.events}"
            self._recv(left)
            self._dechunk()
        assert len(self.events) >= n, self.events
        got, self.events = self.events[:n], self.events[n:]
        return got

    def quiet(self, secs=1.0):
        """No event arrives within secs."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < secs and not self.closed:
            self._recv(max(0.05, secs - (time.monotonic() - t0)))
            self._dechunk()
        return self.events == []

    def close(self):
        self.s.close()


def change(ev, aid):
    """The TypeState of aid in a state event."""
    assert ev["event"] == "state", ev
    d = json.loads(ev["data"])
    assert d["@type"] == "StateChange"
    assert list(d["changed"]) == [aid], d
    ts = d["changed"][aid]
    # one state for every type of the account; the event id is it.
    # EmailDelivery has its own: the state when the newest Email came.
    rest = {v for k, v in ts.items() if k != "EmailDelivery"}
    assert rest <= {ev["id"]}, ev
    if "EmailDelivery" in ts:
        assert int(ts["EmailDelivery"]) <= int(ev["id"]), ev
    return ts


def test_each_change_pushes_the_state_get_returns(web):
    aid = acct(web)
    es = Stream(web)
    assert es.quiet(0.5)  # nothing changed since it opened
    try:
        # SMTP delivery: a new Email in a new Thread, INBOX counts
        smtp_send(web, "pushed one")
        ts = change(es.wait()[0], aid)
        assert {"Email", "Mailbox", "Thread", "EmailDelivery"} <= set(ts), ts
        assert "Identity" not in ts and "EmailSubmission" not in ts
        for t in ("Email", "Mailbox", "Thread"):
            assert ts[t] == state_of(web, t), t
        assert es.quiet(0.5)  # reading made no change to push

        # IMAP STORE from another connection
        c = imap(web)
        c.select("INBOX")
        assert c.store("1:*", "+FLAGS", "(\\Flagged)")[0] == "OK"
        ts = change(es.wait()[0], aid)
        assert {"Email", "Mailbox"} <= set(ts) and "Thread" not in ts, ts
        assert ts["Email"] == state_of(web, "Email")

        # IMAP APPEND, then EXPUNGE
        assert c.append("INBOX", None, None,
                        b"Subject: appended\r\n\r\nx\r\n")[0] == "OK"
        ts = change(es.wait()[0], aid)
        assert ts["Email"] == state_of(web, "Email")
        c.store("1", "+FLAGS", "(\\Deleted)")
        assert c.expunge()[0] == "OK"
        ts = change(es.wait()[0], aid)
        assert "Email" in ts and ts["Email"] == state_of(web, "Email")
        c.logout()

        # JMAP Email/set: the pushed state is the set's newState
        ids = ok(web, "Email/query", {"accountId": aid})["ids"]
        r = ok(web, "Email/set", {"accountId": aid, "update": {
            ids[0]: {"keywords/$seen": True}}})
        ts = change(es.wait()[0], aid)
        assert ts["Email"] == r["newState"] == state_of(web, "Email")
        assert "Identity" not in ts

        # Identity/set: only Identity changed
        ident = ok(web, "Identity/get", {"accountId": aid, "ids": None})
        if not es.quiet(0.5):  # Identity/get made the default identities
            change(es.wait()[0], aid)
        me = [i for i in ident["list"] if i["email"] == ALICE][0]
        r = ok(web, "Identity/set", {"accountId": aid, "update": {
            me["id"]: {"name": "Alice Pushed"}}})
        ts = change(es.wait()[0], aid)
        assert list(ts) == ["Identity"], ts
        assert ts["Identity"] == r["newState"] == state_of(web, "Identity")

        # JMAP Mailbox/set create (no mailbox row of a message changes)
        r = ok(web, "Mailbox/set", {"accountId": aid, "create": {
            "n": {"name": "Pushed"}}})
        ts = change(es.wait()[0], aid)
        assert list(ts) == ["Mailbox"], ts
        assert ts["Mailbox"] == r["newState"] == state_of(web, "Mailbox")
    finally:
        es.close()


def test_types_filter(web):
    aid = acct(web)
    ident = Stream(web, types="Identity")
    mail = Stream(web, types="Mailbox,Email")
    other = Stream(web, types="CalendarEvent")  # unknown: never changes
    try:
        smtp_send(web, "filtered")
        ts = change(mail.wait()[0], aid)
        assert sorted(ts) == ["Email", "Mailbox"], ts
        assert ident.quiet(0.5) and other.quiet(0.1)
        me = [i for i in ok(web, "Identity/get", {
            "accountId": aid, "ids": None})["list"]
            if i["email"] == ALICE][0]
        ok(web, "Identity/set", {"accountId": aid, "update": {
            me["id"]: {"name": "Alice Filtered"}}})
        ts = change(ident.wait()[0], aid)
        assert list(ts) == ["Identity"], ts
        assert mail.quiet(0.5) and other.quiet(0.1)
    finally:
        ident.close()
        mail.close()
        other.close()


def test_bad_types_rejected(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=10)
    for q in ("types=Email,,Mailbox", "types=Email,", "types=,Email"):
        c.request("GET", f"/jmap/eventsource/?{q}&closeafter=no&ping=0",
                  headers={"Authorization": auth(ALICE)})
        r = c.getresponse()
        r.read()
        assert r.status == 400, q
    c.close()


def test_closeafter_state(web):
    aid = acct(web)
    es = Stream(web, closeafter="state")
    try:
        smtp_send(web, "close after")
        change(es.wait()[0], aid)
        t0 = time.monotonic()
        while not es.closed and time.monotonic() - t0 < 5:
            es._recv(5)
            es._dechunk()
        assert es.ended and es.closed and es.events == []
    finally:
        es.close()


def test_accounts_apart(web):
    a, b = acct(web), acct(web, BOB)
    assert a != b
    ea, eb = Stream(web), Stream(web, user=BOB)
    try:
        smtp_send(web, "for alice only")
        change(ea.wait()[0], a)
        assert eb.quiet(0.7)
        smtp_send(web, "for bob only", to=BOB)
        ts = change(eb.wait()[0], b)
        assert ts["Email"] == state_of(web, "Email", BOB)
        assert ea.quiet(0.7)
    finally:
        ea.close()
        eb.close()


def test_last_event_id_sends_what_was_missed(web):
    aid = acct(web)
    old = state_of(web, "Email")
    smtp_send(web, "while away")
    es = Stream(web, last_id=old)
    try:
        ts = change(es.wait()[0], aid)
        assert ts["Email"] == state_of(web, "Email") != old
    finally:
        es.close()
    # an id this account never had is ignored: nothing to send
    es = Stream(web, last_id="999999999")
    try:
        assert es.quiet(0.7)
    finally:
        es.close()


def test_commits_in_a_burst_are_coalesced(web):
    aid = acct(web)
    for i in range(8):
        smtp_send(web, f"burst {i}")
    ids = ok(web, "Email/query", {"accountId": aid})["ids"][:8]
    assert len(ids) == 8
    es = Stream(web)
    try:
        # one commit per Email: far fewer events than commits
        r = ok(web, "Email/set", {"accountId": aid, "update": {
            i: {"keywords/$answered": True} for i in ids}})
        assert sorted(r["updated"]) == sorted(ids)
        got = es.wait()
        while change(got[-1], aid)["Email"] != r["newState"]:
            got += es.wait()
        assert len(got) < 4, got
        assert es.quiet(0.5)
    finally:
        es.close()


def test_email_delivery_only_for_new_emails(web):
    # RFC 8621 1.5: the EmailDelivery state MUST change when a new Email
    # is added and SHOULD NOT change on other Email changes
    aid = acct(web)
    dl = Stream(web, types="EmailDelivery")
    every = Stream(web)
    c = imap(web)
    seen = []

    def delivered(action):
        before = state_of(web, "Email")
        action()
        ts = change(every.wait()[0], aid)
        assert "Email" in ts and "EmailDelivery" in ts, ts
        got = change(dl.wait()[0], aid)
        assert got == {"EmailDelivery": ts["EmailDelivery"]}, got
        # the state the new Email was created at: after the old one
        d = int(got["EmailDelivery"])
        assert int(before) < d <= int(state_of(web, "Email"))
        assert seen == [] or d > seen[-1]
        seen.append(d)

    def not_delivered(action):
        action()
        ts = change(every.wait()[0], aid)
        assert "Email" in ts and "EmailDelivery" not in ts, ts
        assert dl.quiet(0.4)

    try:
        assert dl.quiet(0.3) and every.quiet(0.1)
        delivered(lambda: smtp_send(web, "delivery one"))
        ids = ok(web, "Email/query", {"accountId": aid, "sort": [
            {"property": "receivedAt", "isAscending": False}]})["ids"]
        # $seen from JMAP, a flag from IMAP
        not_delivered(lambda: ok(web, "Email/set", {
            "accountId": aid, "update": {ids[0]: {"keywords/$seen": True}}}))
        c.select("INBOX")
        not_delivered(lambda: c.store("1", "+FLAGS", "(\\Flagged)"))
        # IMAP APPEND: a new Email
        delivered(lambda: c.append("INBOX", None, None,
                                   b"Subject: appended for delivery\r\n"
                                   b"\r\nx\r\n"))
        # a copy, moves and an expunge of Emails the account has
        n = int(c.select("INBOX")[1][0])
        not_delivered(lambda: c.copy(str(n), "Trash"))
        not_delivered(lambda: c._simple_command("MOVE", str(n), "Drafts"))
        not_delivered(lambda: ok(web, "Email/set", {
            "accountId": aid, "update": {ids[0]: {
                "mailboxIds": {mbox_id(web, aid, "Trash"): True}}}}))

        def expunge():
            c.select("Trash")
            c.store("1:*", "+FLAGS", "(\\Deleted)")
            c.expunge()
        not_delivered(expunge)
        # JMAP Email/set create and Email/import: new Emails
        drafts = mbox_id(web, aid, "Drafts")
        made = {}
        delivered(lambda: made.update(ok(web, "Email/set", {
            "accountId": aid, "create": {"d": {
                "mailboxIds": {drafts: True}, "subject": "a draft",
                "keywords": {"$draft": True},
                "bodyValues": {"b": {"value": "text"}},
                "textBody": [{"partId": "b", "type": "text/plain"}]}}})))
        blob = upload(web, aid, b"Subject: imported\r\n\r\nbody\r\n")
        delivered(lambda: ok(web, "Email/import", {
            "accountId": aid, "emails": {"i": {
                "blobId": blob, "mailboxIds": {drafts: True}}}}))
        # destroying an Email is no delivery either
        not_delivered(lambda: ok(web, "Email/set", {
            "accountId": aid, "destroy": [made["created"]["d"]["id"]]}))
    finally:
        c.logout()
        dl.close()
        every.close()


def upload(srv, aid, data):
    c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request("POST", f"/jmap/upload/{aid}/", data,
              headers={"Authorization": auth(ALICE),
                       "Content-Type": "message/rfc822"})
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    assert r.status == 201, body
    return body["blobId"]


def mbox_id(srv, aid, name):
    boxes = ok(srv, "Mailbox/get", {"accountId": aid, "ids": None})["list"]
    return [m["id"] for m in boxes if m["name"] == name][0]


def test_email_delivery_after_last_event_id(web):
    aid = acct(web)
    old = state_of(web, "Email")
    ids = ok(web, "Email/query", {"accountId": aid})["ids"]
    ok(web, "Email/set", {"accountId": aid, "update": {
        ids[0]: {"keywords/$flagged": True}}})
    # only a flag changed since old: nothing for EmailDelivery
    es = Stream(web, types="EmailDelivery", last_id=old)
    try:
        assert es.quiet(0.7)
    finally:
        es.close()
    smtp_send(web, "delivered while away")
    es = Stream(web, types="EmailDelivery,Mailbox", last_id=old)
    try:
        ts = change(es.wait()[0], aid)
        assert sorted(ts) == ["EmailDelivery", "Mailbox"], ts
    finally:
        es.close()
