# test_dsn.py: success DSNs (RFC 3461 4.1, 6; RFC 3464) for local delivery.
# SPDX-License-Identifier: MIT
import email
import email.policy
import uuid

from smtpraw import Raw, dot_stuff, wait_until


def dsns_for(server, addr, marker):
    """DSN messages in addr's mailbox that mention marker."""
    out = []
    for from_line, m in server.export(addr):
        if marker.encode() in m and b"multipart/report" in m:
            out.append((from_line, m))
    return out


def transaction(server, sender, rcpt_lines, marker, mail_params=""):
    body = (b"From: <" + sender.encode() + b">\r\nSubject: dsn " + marker.encode()
            + b"\r\nMessage-ID: <" + marker.encode() + b"@test>\r\n\r\nhello\r\n")
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect(f"MAIL FROM:<{sender}>{mail_params}", 250)
        for line in rcpt_lines:
            c.expect(line, 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        r = c.reply()
        assert (r.code, r.enh) == (250, "2.0.0"), r


def parse(m):
    return email.message_from_bytes(m, policy=email.policy.compat32)


def test_success_dsn_to_local_sender(server):
    marker = uuid.uuid4().hex
    transaction(server, "alice@example.test",
                ["RCPT TO:<bob@example.test> NOTIFY=SUCCESS ORCPT=rfc822;Bob+2Bx@example.test"],
                marker, f" ENVID=env-{marker} RET=HDRS")
    assert wait_until(lambda: dsns_for(server, "alice@example.test", marker))
    (from_line, m), = dsns_for(server, "alice@example.test", marker)
    # the DSN comes from the null reverse-path (RFC 3461 6.2, RFC 5321 4.5.5)
    assert from_line.startswith(b"From MAILER-DAEMON ") or b"<>" in m.split(b"\n")[0], from_line
    assert m.startswith(b"Return-Path: <>\n"), m[:80]
    msg = parse(m)
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "text/rfc822-headers"]
    status = parts[1].as_bytes()
    assert b"Reporting-MTA: dns; mx.example.test" in status
    assert f"Original-Envelope-Id: env-{marker}".encode() in status
    assert b"Original-Recipient: rfc822;Bob+x@example.test" in status
    assert b"Final-Recipient: rfc822; bob@example.test" in status
    assert b"Action: delivered" in status
    assert b"Status: 2.0.0" in status
    # headers only for a success report (RFC 3461 4.3)
    returned = parts[2].as_bytes()
    assert f"Subject: dsn {marker}".encode() in returned
    assert b"hello" not in returned
    # and the message itself reached bob
    assert any(marker.encode() in m2 and b"multipart/report" not in m2
               for _, m2 in server.export("bob@example.test"))


def test_no_dsn_without_notify_success(server):
    marker = uuid.uuid4().hex
    transaction(server, "alice@example.test",
                ["RCPT TO:<bob@example.test>",
                 "RCPT TO:<carol@other.test> NOTIFY=FAILURE,DELAY"], marker)
    transaction(server, "alice@example.test",
                ["RCPT TO:<bob@example.test> NOTIFY=NEVER"], marker)
    # a success DSN request in a later transaction is answered: it proves
    # the earlier ones had their chance to produce one
    transaction(server, "alice@example.test",
                ["RCPT TO:<bob@example.test> NOTIFY=SUCCESS"], marker + "-last")
    assert wait_until(lambda: dsns_for(server, "alice@example.test", marker + "-last"))
    assert len(dsns_for(server, "alice@example.test", marker)) == 1  # the -last one


def test_one_dsn_per_transaction_listing_each_recipient(server):
    marker = uuid.uuid4().hex
    transaction(server, "alice@example.test",
                ["RCPT TO:<bob@example.test> NOTIFY=SUCCESS",
                 "RCPT TO:<carol@other.test> NOTIFY=SUCCESS,FAILURE",
                 "RCPT TO:<alice@example.test>"], marker)
    assert wait_until(lambda: dsns_for(server, "alice@example.test", marker))
    dsns = dsns_for(server, "alice@example.test", marker)
    assert len(dsns) == 1, len(dsns)
    status = parse(dsns[0][1]).get_payload()[1].as_bytes()
    assert status.count(b"Action: delivered") == 2
    assert b"Final-Recipient: rfc822; carol@other.test" in status
    assert b"Final-Recipient: rfc822; alice@example.test" not in status


def test_null_sender_never_gets_dsn(server):
    marker = uuid.uuid4().hex
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<>", 250)
        c.expect("RCPT TO:<bob@example.test> NOTIFY=SUCCESS", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(b"Subject: null " + marker.encode() + b"\r\n\r\nx\r\n"))
        assert c.reply().code == 250
    n, _ = server.queue_rows()
    for addr in ("alice@example.test", "bob@example.test"):
        assert dsns_for(server, addr, marker) == []
    assert server.queue_rows()[0] == n


def test_remote_sender_dsn_is_queued(server):
    marker = uuid.uuid4().hex
    sender = f"dsn-{marker}@remote.test"
    transaction(server, sender, ["RCPT TO:<bob@example.test> NOTIFY=SUCCESS"], marker)
    assert wait_until(lambda: sender in server.queue_addresses())


def test_envid_and_orcpt_injection(server):
    marker = uuid.uuid4().hex
    with Raw(server.smtp_port) as c:
        c.ehlo()
        # RFC 3461 4.4: the decoded ENVID must be printable US-ASCII
        c.expect(f"MAIL FROM:<alice@example.test> ENVID={marker}+0D+0ASubject:+20x",
                 555, "5.5.4")
        c.expect("MAIL FROM:<alice@example.test>", 250)
        r = c.cmd("RCPT TO:<bob@example.test> NOTIFY=SUCCESS "
                  "ORCPT=rfc822;x+0D+0ABcc:+20evil@x.test")
        if r.code == 250:
            c.expect("DATA", 354)
            c.send(dot_stuff(b"Subject: " + marker.encode() + b"\r\n\r\nx\r\n"))
            assert c.reply().code == 250
            assert wait_until(lambda: dsns_for(server, "alice@example.test", marker))
            (_, m), = dsns_for(server, "alice@example.test", marker)
            for line in m.split(b"\n"):
                assert not line.startswith(b"Bcc:"), m
        else:
            assert (r.code, r.enh) in ((501, "5.5.4"), (555, "5.5.4")), r
