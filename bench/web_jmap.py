#!/usr/bin/python3
# bench/web_jmap.py: latency of opening a big INBOX over JMAP and over IMAP, for
# bench/web.sh.
# SPDX-License-Identifier: MIT
#
# Usage: web_jmap.py jmap PORT USER PASSWORD REPS
#        web_jmap.py imap PORT USER PASSWORD REPS
# jmap: over one keep-alive HTTP connection (HTTP Basic, loopback), what the webmail
# sends to show a mailbox: "mbox" Mailbox/get (folder list with counts); "query"
# Email/query (inMailbox INBOX, receivedAt descending, collapseThreads, position 0,
# limit 50, calculateTotal); "list" the webmail's message-list request: that query,
# Email/get of its ids with the list properties and Thread/get of their threads, in one
# request; "body" Email/get of the first message with the reading pane's properties
# and body values. One unmeasured round first (its times are printed as "first": it
# includes the server's one-time work, e.g. threading every message).
# imap: one connection, logged in: "select" SELECT INBOX; "sort" UID SORT (REVERSE
# ARRIVAL) UTF-8 ALL (UID SEARCH ALL when the server has no SORT); "envelopes" UID
# FETCH of the newest 50 (UID FLAGS ENVELOPE RFC822.SIZE); "body" UID FETCH
# BODY.PEEK[] of the newest; "all" the sum. Same unmeasured first round.
# Prints a line per round ("rep=N op_ms=... ...") and then "median op_ms=... ...".

import base64
import http.client
import imaplib
import json
import statistics
import sys
import time

MAIL = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
LIST_PROPS = ["threadId", "mailboxIds", "keywords", "from", "to", "subject",
              "receivedAt", "preview", "hasAttachment", "size"]
BODY_PROPS = LIST_PROPS + ["cc", "bcc", "replyTo", "messageId", "references",
                           "sentAt", "textBody", "htmlBody", "attachments",
                           "bodyValues"]


class Jmap:
    def __init__(self, port, user, password):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.c.request("GET", "/.well-known/jmap", headers={"Authorization": self.auth})
        r = self.c.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"session resource: HTTP {r.status}: {body[:200]!r}")
        self.account = list(json.loads(body)["accounts"])[0]

    def call(self, calls):
        self.c.request("POST", "/jmap/api/",
                       json.dumps({"using": MAIL, "methodCalls": calls}),
                       headers={"Authorization": self.auth,
                                "Content-Type": "application/json"})
        r = self.c.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"JMAP: HTTP {r.status}: {body[:300]!r}")
        out = json.loads(body)["methodResponses"]
        for name, args, _ in out:
            if name == "error":
                sys.exit(f"JMAP error: {args} for {calls}")
        return out


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return (time.perf_counter() - t) * 1000, r


def jmap_round(j, inbox):
    a = j.account
    q = {"accountId": a, "filter": {"inMailbox": inbox},
         "sort": [{"property": "receivedAt", "isAscending": False}],
         "collapseThreads": True, "position": 0, "limit": 50, "calculateTotal": True}
    ms = {}
    ms["mbox"], _ = timed(lambda: j.call([["Mailbox/get", {"accountId": a}, "m"]]))
    ms["query"], r = timed(lambda: j.call([["Email/query", q, "q"]]))
    ids = r[0][1]["ids"]
    if len(ids) != 50:
        sys.exit(f"Email/query gave {len(ids)} ids, not 50")
    ms["list"], r = timed(lambda: j.call([
        ["Email/query", q, "q"],
        ["Email/get", {"accountId": a, "properties": LIST_PROPS,
                       "#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}}, "g"],
        ["Thread/get", {"accountId": a, "#ids": {"resultOf": "g", "name": "Email/get",
                                                 "path": "/list/*/threadId"}}, "t"]]))
    if len(r[1][1]["list"]) != 50:
        sys.exit("Email/get did not give the 50 Emails")
    ms["body"], r = timed(lambda: j.call([["Email/get", {
        "accountId": a, "ids": [ids[0]], "properties": BODY_PROPS,
        "fetchTextBodyValues": True, "fetchHTMLBodyValues": True,
        "maxBodyValueBytes": 1 << 20}, "b"]]))
    if len(r[0][1]["list"]) != 1 or not r[0][1]["list"][0]["bodyValues"]:
        sys.exit("Email/get of the first message gave no body")
    return ms


def jmap_main(port, user, password, reps):
    j = Jmap(port, user, password)
    r = j.call([["Mailbox/get", {"accountId": j.account}, "m"]])
    inbox = [m["id"] for m in r[0][1]["list"] if m.get("role") == "inbox"][0]
    return [jmap_round(j, inbox) for _ in range(reps + 1)]


def imap_round(port, user, password):
    c = imaplib.IMAP4("127.0.0.1", port)
    c.login(user, password)
    ms = {}
    ms["select"], r = timed(lambda: c.select("INBOX", readonly=True))
    if r[0] != "OK":
        sys.exit(f"SELECT: {r}")
    caps = c.capabilities
    if "SORT" in caps:
        ms["sort"], r = timed(lambda: c.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL"))
        uids = r[1][0].split()
    else:
        ms["sort"], r = timed(lambda: c.uid("SEARCH", "ALL"))
        uids = r[1][0].split()[::-1]
    if len(uids) < 50:
        sys.exit(f"only {len(uids)} messages over IMAP")
    newest = b",".join(uids[:50]).decode()
    ms["envelopes"], r = timed(lambda: c.uid("FETCH", newest, "(UID FLAGS ENVELOPE RFC822.SIZE)"))
    if sum(1 for x in r[1] if isinstance(x, tuple) or b"ENVELOPE" in x) < 50:
        sys.exit("UID FETCH ENVELOPE gave fewer than 50")
    ms["body"], r = timed(lambda: c.uid("FETCH", uids[0].decode(), "(BODY.PEEK[])"))
    if not isinstance(r[1][0], tuple) or len(r[1][0][1]) < 100:
        sys.exit("UID FETCH BODY.PEEK[] gave no message")
    ms["all"] = ms["select"] + ms["sort"] + ms["envelopes"] + ms["body"]
    c.logout()
    return ms


def imap_main(port, user, password, reps):
    return [imap_round(port, user, password) for _ in range(reps + 1)]


def line(prefix, ms):
    return prefix + " " + " ".join(f"{k}_ms={v:.1f}" for k, v in ms.items())


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("jmap", "imap"):
        sys.exit("usage: web_jmap.py jmap|imap PORT USER PASSWORD REPS")
    port, user, password, reps = int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    rounds = (jmap_main if sys.argv[1] == "jmap" else imap_main)(port, user, password, reps)
    print(line("first", rounds[0]))
    for k, ms in enumerate(rounds[1:], 1):
        print(line(f"rep={k}", ms))
    print(line("median", {k: statistics.median(r[k] for r in rounds[1:]) for k in rounds[1]}))


if __name__ == "__main__":
    main()
