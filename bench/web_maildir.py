#!/usr/bin/python3
# bench/web_maildir.py: the big INBOX that bench/web.sh opens in the webmail, over JMAP
# and over IMAP.
# SPDX-License-Identifier: MIT
#
# Usage: web_maildir.py DIR MESSAGES [SEED]
# Writes the Maildir DIR (cur/, new/, tmp/) with MESSAGES messages that look like a
# person's mail: about 60 correspondents, subjects from a small vocabulary, and
# threads: about 40 % of the messages reply to an earlier message (a recent one more
# often than an old one) with "Re: ", In-Reply-To and References, so a thread holds
# 1 to a few dozen messages. Bodies are 300-6000 octets of words; one message in 8
# is multipart/alternative (text and HTML), one in 20 carries a small attachment.
# One message in 10 is unread, one in 30 flagged. Each file's mtime (what
# `buzon import` takes as the internal date) and Date field step forward about
# 5 minutes per message, ending now; the file names sort in that order. Prints the
# number of messages and threads. The same SEED gives the same bytes.

import base64
import os
import random
import sys
import time

WORDS = (
    "the of and to in is for on that with as at by from this be are was it or an "
    "meeting report budget project draft review plan update release schedule team "
    "customer invoice contract server backup deploy question answer notes agenda "
    "travel lunch weekend office holiday design test results numbers quarter "
    "proposal feedback call tomorrow today monday friday please thanks regards "
    "attached document version change issue fix launch website order shipping "
    "payment account access password policy training workshop conference slides"
).split()
FIRST = ("Ana Luis Marta Pablo Elena Jorge Lucia Carlos Sofia Diego Carmen Javier "
         "Laura Miguel Paula Andres Isabel Tomas Rosa Daniel").split()
LAST = "Garcia Lopez Martin Sanchez Perez Gomez Ruiz Diaz Moreno Alvarez".split()


def words(rng, n):
    return " ".join(rng.choices(WORDS, k=n))


def paragraph_text(rng, size):
    out, total = [], 0
    while total < size:
        line = words(rng, rng.randint(6, 12)).capitalize() + "."
        out.append(line)
        total += len(line) + 1
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: web_maildir.py DIR MESSAGES [SEED]")
    top, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 6)
    people = [(f"{rng.choice(FIRST)} {rng.choice(LAST)}",
               f"{rng.choice(FIRST).lower()}.{k}@example{k % 5}.test") for k in range(60)]
    me = "u1@bench.test"
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(top, sub), exist_ok=True)
    step = 300
    t0 = int(time.time()) - n * step
    msgs = []  # per message: (message-id, subject, references list)
    threads = 0
    for i in range(n):
        t = t0 + i * step + rng.randrange(step // 2)
        name, addr = rng.choice(people)
        msgid = f"<{i}.{t}@example.test>"
        if msgs and rng.random() < 0.4:
            # a recent message more often than an old one
            back = min(len(msgs), int(rng.expovariate(1 / 40)) + 1)
            pid, psubj, prefs = msgs[-back]
            subject = psubj if psubj.startswith("Re: ") else "Re: " + psubj
            refs = (prefs + [pid])[-20:]
        else:
            subject = words(rng, rng.randint(2, 6)).capitalize()
            refs = []
            threads += 1
        msgs.append((msgid, subject, refs))
        head = (
            f"Return-Path: <{addr}>\n"
            f"Received: from mx.example.test by bench.test with ESMTPS id w{i:07d};"
            f" {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(t))}\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(t))}\n"
            f"From: {name} <{addr}>\n"
            f"To: <{me}>\n"
            f"Subject: {subject}\n"
            f"Message-ID: {msgid}\n"
        )
        if refs:
            head += f"In-Reply-To: {refs[-1]}\nReferences: {' '.join(refs)}\n"
        head += "MIME-Version: 1.0\n"
        text = paragraph_text(rng, rng.randint(300, 6000))
        kind = rng.randrange(40)
        if kind < 5:
            html = "<html><body>" + "".join(
                f"<p>{p}</p>" for p in text.splitlines()) + "</body></html>\n"
            body = ("Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
                    "--b1\nContent-Type: text/plain; charset=utf-8\n\n" + text +
                    "--b1\nContent-Type: text/html; charset=utf-8\n\n" + html +
                    "--b1--\n")
        elif kind < 7:
            blob = base64.encodebytes(rng.randbytes(rng.randint(2000, 20000))).decode()
            body = ("Content-Type: multipart/mixed; boundary=\"b2\"\n\n"
                    "--b2\nContent-Type: text/plain; charset=utf-8\n\n" + text +
                    "--b2\nContent-Type: application/pdf; name=\"doc.pdf\"\n"
                    "Content-Disposition: attachment; filename=\"doc.pdf\"\n"
                    "Content-Transfer-Encoding: base64\n\n" + blob + "--b2--\n")
        else:
            body = "Content-Type: text/plain; charset=utf-8\n\n" + text
        data = (head + body).encode()
        flags = "" if rng.random() < 0.1 else "S"
        if rng.random() < 1 / 30:
            flags = "F" + flags
        path = os.path.join(top, "cur", f"{t}.M{i:07d}P0.bench,S={len(data)}:2,{flags}")
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (t, t))
    print(f"{n} messages, {threads} threads")


if __name__ == "__main__":
    main()
