#!/usr/bin/python3
# bench/pop3_maildirs.py: the mailboxes that bench/pop3.sh gives both POP3 servers.
# SPDX-License-Identifier: MIT
#
# Usage: pop3_maildirs.py DIR USERS MESSAGES MIN_SIZE MAX_SIZE [SEED]
# Writes DIR/uN/Maildir (N = 1..USERS), each with MESSAGES messages in cur/,
# sizes uniform in [MIN_SIZE, MAX_SIZE] octets (LF line ends, as Maildir keeps
# them). File names are Dovecot-style, "TIME.MnP0.bench,S=SIZE,W=CRLFSIZE:2,S"
# (seen, so neither server renames anything during the runs). Bodies are
# 76-column base64-looking text with about one line in 50 starting with "." so
# that RETR has dot-stuffing to do. Prints on stdout, per user,
# "uN@bench.test MESSAGES OCTETS": OCTETS is the sum of the CRLF sizes, what
# RETR must deliver once unstuffed. The same SEED gives the same bytes.

import base64
import os
import random
import sys


def message(rng, user, n, size):
    head = (
        f"Return-Path: <sender{n % 7}@example.test>\n"
        f"Delivered-To: {user}\n"
        f"Received: from client.example.test (client.example.test [192.0.2.{n % 250 + 1}])\n"
        f"\tby bench.test with ESMTPS id bench{n:06d}; Mon, 1 Jan 2024 00:00:00 +0000\n"
        f"Date: Mon, 1 Jan 2024 00:{n // 60 % 60:02d}:{n % 60:02d} +0000\n"
        f"From: Sender {n % 7} <sender{n % 7}@example.test>\n"
        f"To: <{user}>\n"
        f"Subject: bench message {n} for {user}\n"
        f"Message-ID: <{n}.{user}@example.test>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=us-ascii\n"
        "\n"
    ).encode()
    need = max(size - len(head), 2)
    raw = base64.b64encode(rng.randbytes(need)).replace(b"+", b".")[:need]
    lines = [raw[i:i + 76] for i in range(0, len(raw), 77)]
    for i in range(0, len(lines), 50):
        j = i + rng.randrange(50)
        if j < len(lines):
            lines[j] = b"." + lines[j][1:]
    body = b"\n".join(lines)[:need - 1] + b"\n"
    return head + body


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: pop3_maildirs.py DIR USERS MESSAGES MIN_SIZE MAX_SIZE [SEED]")
    top = sys.argv[1]
    users, msgs, lo, hi = (int(a) for a in sys.argv[2:6])
    rng = random.Random(int(sys.argv[6]) if len(sys.argv) == 7 else 1939)
    for u in range(1, users + 1):
        user = f"u{u}@bench.test"
        md = os.path.join(top, f"u{u}", "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        total = 0
        for n in range(1, msgs + 1):
            data = message(rng, user, n, rng.randint(lo, hi))
            crlf = len(data) + data.count(b"\n")
            name = f"{1700000000 + n}.M{n}P0.bench,S={len(data)},W={crlf}:2,S"
            with open(os.path.join(md, "cur", name), "wb") as f:
                f.write(data)
            total += crlf
        print(f"{user} {msgs} {total}")


if __name__ == "__main__":
    main()
