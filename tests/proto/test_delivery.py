# test_delivery.py: what is stored, byte for byte, checked through `buzon export`.
# SPDX-License-Identifier: MIT
import random
import re
import uuid

import pytest

from buzon import HOSTNAME, split_trace
from smtpraw import Raw, dot_stuff, send_mail

RECEIVED = re.compile(
    r"^Received: from (?P<helo>\S+) \((.*)\[127\.0\.0\.1\]\)\s+by "
    + re.escape(HOSTNAME) + r" \(buzon\)\s+with (?P<proto>ESMTPSA|ESMTPS|ESMTPA|ESMTP|SMTP)\b"
    r"(.*?)\bid (?P<id>[^\s;]+)(.*);\s*(?P<date>\S.+)$")


def mine(server, addr, marker):
    return [(f, m) for f, m in server.export(addr) if marker.encode() in m]


def body_for(marker, text=b"hello\r\n"):
    return (b"From: Sender <s@remote.test>\r\nTo: alice@example.test\r\n"
            b"Subject: delivery " + marker.encode() + b"\r\n"
            b"Date: Tue, 03 Jan 2006 10:00:00 +0000\r\n\r\n" + text)


def check_trace(msg, body, sender="s@remote.test", helo="client.example.net"):
    fields = split_trace(msg, body)
    assert len(fields) == 2, fields
    assert fields[0] == f"Return-Path: <{sender}>", fields
    m = RECEIVED.match(fields[1])
    assert m, f"Received field does not match RFC 5321 4.4 / RFC 3848 form: {fields[1]!r}"
    assert m.group("helo") == helo, fields[1]
    return m


def test_byte_for_byte(server):
    marker = uuid.uuid4().hex
    rnd = random.Random(1)
    lines = [b"From: s@remote.test", b"Subject: exact " + marker.encode(),
             b"X-Folded: a", b"\tb", b" c", b""]
    for i in range(400):
        n = rnd.randrange(0, 300)
        lines.append(bytes(rnd.choice(b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCxyz[\\]^_`{|}~")
                           for _ in range(n)))
    lines += [b".", b"..", b".hidden", b"From me", b">From you", b">>From us", b"", b"", b"end"]
    body = b"\r\n".join(lines) + b"\r\n"
    r = send_mail(server.smtp_port, "s@remote.test", ["alice@example.test"], body)
    assert (r.code, r.enh) == (250, "2.0.0"), r
    got = mine(server, "alice@example.test", marker)
    assert len(got) == 1
    from_line, m = got[0]
    assert from_line.startswith(b"From s@remote.test "), from_line
    match = check_trace(m, body)
    assert match.group("proto") == "ESMTP"
    # the queue id in the 250 reply is the one in Received
    assert match.group("id") in r.text, (r, match.group("id"))


def test_multi_recipient_and_alias(server):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    r = send_mail(server.smtp_port, "s@remote.test",
                  ["alice@example.test", "carol@other.test", "list@example.test"], body)
    assert r.code == 250, r
    for addr in ("alice@example.test", "bob@example.test", "carol@other.test"):
        got = mine(server, addr, marker)
        # alice is both direct and via the list: one copy
        assert len(got) == 1, (addr, len(got))
        check_trace(got[0][1], body)


def test_alias_case_and_plus(server):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    r = send_mail(server.smtp_port, "s@remote.test", ["LIST+x@Example.Test"], body)
    assert r.code == 250, r
    assert len(mine(server, "alice@example.test", marker)) == 1
    assert len(mine(server, "bob@example.test", marker)) == 1


def test_plus_address(server):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    r = send_mail(server.smtp_port, "s@remote.test", ["bob+news@example.test"], body)
    assert r.code == 250, r
    got = mine(server, "bob@example.test", marker)
    assert len(got) == 1
    check_trace(got[0][1], body)


def test_eightbit_body(server):
    marker = uuid.uuid4().hex
    text = ("Grüße aus Köln — ñandú ☃\r\n").encode() + bytes(range(0x80, 0x100)) + b"\r\n"
    body = body_for(marker, text)
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test> BODY=8BITMIME", 250)
        c.expect("RCPT TO:<carol@other.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        assert c.reply().code == 250
    got = mine(server, "carol@other.test", marker)
    assert len(got) == 1
    check_trace(got[0][1], body)


def test_smtputf8(server):
    marker = uuid.uuid4().hex
    server.add_user("josé@example.test", "pw-josé")
    body = ("From: Jörg <jörg@bücher.test>\r\nSubject: ü " + marker
            + "\r\n\r\nünïcödé\r\n").encode()
    with Raw(server.smtp_port) as c:
        c.ehlo()
        r = c.cmd("MAIL FROM:<jörg@bücher.test>")
        assert r.code in (550, 553) and r.enh == "5.6.7", r
        c.expect("RSET", 250)
        c.expect("MAIL FROM:<jörg@bücher.test> SMTPUTF8", 250)
        c.expect("RCPT TO:<josé@example.test>", 250)
        c.expect("RCPT TO:<josé+x@example.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        assert c.reply().code == 250
    got = mine(server, "josé@example.test", marker)
    assert len(got) == 1
    check_trace(got[0][1], body, sender="jörg@bücher.test")
    assert len(mine(server, "alice@example.test", marker)) == 1


def test_big_message_5mib(server):
    marker = uuid.uuid4().hex
    rnd = random.Random(5)
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789+/"
    line_pool = [bytes(rnd.choice(alphabet) for _ in range(76)) + b"\r\n" for _ in range(64)]
    n = (5 * 1024 * 1024) // 78
    body = body_for(marker, b"".join(line_pool[i % 64] for i in range(n)))
    r = send_mail(server.smtp_port, "s@remote.test", ["bob@example.test"], body)
    assert r.code == 250, r
    got = mine(server, "bob@example.test", marker)
    assert len(got) == 1
    check_trace(got[0][1], body)


def test_user_added_while_serving(server):
    marker = uuid.uuid4().hex
    addr = f"new{marker[:8]}@other.test"
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{addr}>", 550, "5.1.1")
    server.add_user(addr, "pw")
    body = body_for(marker)
    r = send_mail(server.smtp_port, "s@remote.test", [addr], body)
    assert r.code == 250, r
    assert len(mine(server, addr, marker)) == 1
    server.cli("user", "del", addr)
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect(f"RCPT TO:<{addr}>", 550, "5.1.1")


def test_alias_with_remote_member_queues(server):
    marker = uuid.uuid4().hex
    lst = f"team{marker[:8]}@example.test"
    server.cli("alias", "add", lst, "carol@other.test", f"ext-{marker}@remote.test")
    body = body_for(marker)
    r = send_mail(server.smtp_port, "s@remote.test", [lst], body)
    assert r.code == 250, r
    assert len(mine(server, "carol@other.test", marker)) == 1
    assert f"ext-{marker}@remote.test" in server.queue_addresses()


def test_null_sender_return_path(server):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    r = send_mail(server.smtp_port, "", ["alice@example.test"], body)
    assert r.code == 250, r
    got = mine(server, "alice@example.test", marker)
    assert len(got) == 1
    check_trace(got[0][1], body, sender="")


@pytest.mark.parametrize("n", [1, 3])
def test_several_messages_one_session(server, n):
    marker = uuid.uuid4().hex
    with Raw(server.smtp_port) as c:
        c.ehlo()
        for i in range(n):
            c.expect("MAIL FROM:<s@remote.test>", 250)
            c.expect("RCPT TO:<carol@other.test>", 250)
            c.expect("DATA", 354)
            c.send(dot_stuff(body_for(marker, b"part %d\r\n" % i)))
            assert c.reply().code == 250
    got = mine(server, "carol@other.test", marker)
    assert sorted(m.rsplit(b"\n", 2)[-2] for _, m in got) == [b"part %d" % i for i in range(n)]


def test_imap_summary_stored(server):
    """ENVELOPE and BODYSTRUCTURE are computed at delivery (for IMAP)."""
    import sqlite3
    marker = uuid.uuid4().hex
    body = (b"From: Sender <s@remote.test>\r\nTo: alice@example.test\r\n"
            b"Subject: parts " + marker.encode() + b"\r\n"
            b"Message-ID: <" + marker.encode() + b"@remote.test>\r\n"
            b"Date: Tue, 03 Jan 2006 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
            b"--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b1--\r\n")
    r = send_mail(server.smtp_port, "s@remote.test", ["alice@example.test"], body)
    assert r.code == 250, r
    db = sqlite3.connect(f"file:{server.data}/store.db?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute("SELECT envelope, bodystructure, body, hdr_subject FROM messages "
                         "WHERE hdr_message_id LIKE ?", (f"%{marker}%",)).fetchone()
    finally:
        db.close()
    assert row is not None
    envelope, bs, b, subject = row
    assert marker in subject
    assert envelope.startswith('("Tue, 03 Jan 2006 10:00:00 +0000" "parts ' + marker), envelope
    assert '(("Sender" NIL "s" "remote.test"))' in envelope, envelope
    assert '"mixed"' in bs.lower() and '"pdf"' in bs.lower() and '"a.pdf"' in bs, bs
    assert '"base64"' in bs.lower(), bs
    assert b.startswith("((") and '"a.pdf"' in b, b
