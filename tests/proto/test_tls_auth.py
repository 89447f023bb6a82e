# test_tls_auth.py: STARTTLS (25/587), implicit TLS (465), AUTH, submission, queue.
# SPDX-License-Identifier: MIT
import base64
import smtplib
import uuid

import pytest

from buzon import HOSTNAME, split_trace
from conftest import USERS
from smtpraw import Raw, dot_stuff, tls_context

ALICE = "alice@example.test"
PW = USERS[ALICE]


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def delivered(server, addr, marker):
    return [m for _, m in server.export(addr) if marker.encode() in m]


def body_for(marker, extra=b""):
    return (b"From: Alice <alice@example.test>\r\nTo: x\r\nSubject: " + marker.encode()
            + b"\r\n" + extra + b"\r\nbody " + marker.encode() + b"\r\n")


def ehlo_kw(r):
    return {ln.split(" ")[0].upper(): ln for ln in r.lines[1:]}


# ---- STARTTLS ----

@pytest.mark.parametrize("port_name", ["smtp_port", "sub_port"])
def test_starttls_capabilities(server, port_name):
    with Raw(getattr(server, port_name)) as c:
        kw = ehlo_kw(c.ehlo())
        assert "STARTTLS" in kw and "AUTH" not in kw, kw
        r = c.starttls()
        assert r.enh == "2.0.0", r
        kw = ehlo_kw(c.ehlo())
        assert "STARTTLS" not in kw, kw
        assert "AUTH" in kw, kw
        mechs = kw["AUTH"].upper().split()[1:]
        assert "PLAIN" in mechs and "LOGIN" in mechs, kw["AUTH"]
        r = c.cmd("STARTTLS")
        assert 500 <= r.code < 600, r  # TLS already active
        c.expect("NOOP", 250)


def test_starttls_syntax_and_sequence(server):
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("STARTTLS now", 501, "5.5.4")
        c.expect("NOOP", 250)


@pytest.mark.parametrize("port_name", ["smtp_port", "sub_port"])
@pytest.mark.parametrize("inject", [b"RSET\r\n", b"HELP\r\n", b"MAIL FROM:<evil@x.test>\r\n",
                                    b"EHLO evil.test\r\nMAIL FROM:<evil@x.test>\r\n"
                                    b"RCPT TO:<alice@example.test>\r\n"])
def test_starttls_plaintext_injection(server, port_name, inject):
    """RFC 3207 4.2: bytes pipelined after STARTTLS are discarded."""
    with Raw(getattr(server, port_name)) as c:
        c.ehlo()
        c.send(b"STARTTLS\r\n" + inject)
        r = c.reply()
        assert r.code == 220, r
        assert c.buf == b"", f"plaintext after 220: {c.buf!r}"
        c.sock = tls_context().wrap_socket(c.sock)
        # the injected commands must never be answered
        c.send(b"NOOP\r\n")
        r = c.reply()
        assert (r.code, r.enh) == (250, "2.0.0"), f"first TLS reply {r}"
        c.nothing_pending()
        # and they left no state behind: no transaction, no EHLO
        c.expect("RCPT TO:<alice@example.test>", 503, "5.5.1")
        if port_name == "smtp_port":
            c.expect("MAIL FROM:<a@remote.test>", 503, "5.5.1")
        c.ehlo()
        if port_name == "sub_port":
            assert c.auth_plain(ALICE, PW).code == 235
        c.expect("RCPT TO:<alice@example.test>", 503, "5.5.1")


def test_starttls_resets_transaction(server):
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.starttls()
        c.ehlo()
        c.expect("RCPT TO:<alice@example.test>", 503, "5.5.1")
        c.expect("DATA", 503, "5.5.1")


def test_starttls_mx_delivery_received_esmtps(server):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    with Raw(server.smtp_port) as c:
        c.ehlo("tls.example.net")
        c.starttls()
        c.ehlo("tls.example.net")
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RCPT TO:<bob@example.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        assert c.reply().code == 250
    msgs = delivered(server, "bob@example.test", marker)
    assert len(msgs) == 1
    fields = split_trace(msgs[0], body)
    rec = fields[1]
    assert rec.startswith("Received: from tls.example.net ("), rec
    assert "[127.0.0.1]" in rec and f"by {HOSTNAME} (buzon)" in rec, rec
    assert " with ESMTPS " in rec and "TLS" in rec, rec


def test_plain_mx_received_esmtp(server):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    with Raw(server.smtp_port) as c:
        c.ehlo("plain.example.net")
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RCPT TO:<bob@example.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        assert c.reply().code == 250
    fields = split_trace(delivered(server, "bob@example.test", marker)[0], body)
    assert " with ESMTP id " in fields[1] or " with ESMTP " in fields[1], fields
    assert " with ESMTPS" not in fields[1], fields
    # MX mail is stored as received: no Date/Message-ID added
    assert len(fields) == 2, fields


def test_helo_received_smtp_keyword(server):
    """RFC 3848: HELO sessions are 'with SMTP'."""
    marker = uuid.uuid4().hex
    body = body_for(marker)
    with Raw(server.smtp_port) as c:
        c.expect("HELO old.example.net", 250)
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RCPT TO:<bob@example.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        assert c.reply().code == 250
    fields = split_trace(delivered(server, "bob@example.test", marker)[0], body)
    assert " with SMTP " in fields[1], fields


def test_implicit_tls_465(server):
    with Raw(server.subs_port, tls=True) as c:
        assert c.greeting.code == 220
        assert c.greeting.lines[0].startswith(HOSTNAME)
        kw = ehlo_kw(c.ehlo())
        assert "STARTTLS" not in kw and "AUTH" in kw, kw
        c.expect("MAIL FROM:<alice@example.test>", 530, "5.7.0")
        r = c.auth_plain(ALICE, PW)
        assert (r.code, r.enh) == (235, "2.7.0"), r


def test_implicit_tls_rejects_plaintext(server):
    with Raw(server.subs_port, greet=False, timeout=5) as c:
        c.send(b"EHLO plain.example.net\r\n")
        try:
            data = c.sock.recv(100)
        except OSError:
            data = b""
        assert not data.startswith(b"2"), f"plaintext answered on 465: {data!r}"


# ---- submission without TLS ----

def test_submission_plaintext(server):
    with Raw(server.sub_port) as c:
        assert c.greeting.code == 220
        c.ehlo()
        c.expect("MAIL FROM:<alice@example.test>", 530, "5.7.0")
        r = c.auth_plain(ALICE, PW)
        assert r.code in (538, 530), r
        if r.code == 538:
            assert r.enh == "5.7.11", r
        r = c.cmd("AUTH LOGIN")
        assert r.code in (538, 530), r
        c.expect("NOOP", 250)


def test_mx_auth_before_tls_refused(server):
    with Raw(server.smtp_port) as c:
        c.ehlo()
        r = c.auth_plain(ALICE, PW)
        assert 500 <= r.code < 600, r
        c.expect("NOOP", 250)


# ---- AUTH mechanisms ----

@pytest.fixture
def tls587(server):
    c = Raw(server.sub_port)
    c.ehlo()
    c.starttls()
    c.ehlo()
    yield c
    c.close()


def test_auth_plain_initial(tls587):
    r = tls587.auth_plain(ALICE, PW)
    assert (r.code, r.enh) == (235, "2.7.0"), r


def test_auth_plain_continuation(tls587):
    r = tls587.cmd("AUTH PLAIN")
    assert r.code == 334 and r.lines == [""], r
    r = tls587.cmd(b64(f"\0{ALICE}\0{PW}"))
    assert (r.code, r.enh) == (235, "2.7.0"), r


def test_auth_plain_uppercase_address(tls587):
    r = tls587.auth_plain(ALICE.upper(), PW)
    assert r.code == 235, r


def test_auth_login(tls587):
    r = tls587.cmd("AUTH LOGIN")
    assert r.code == 334 and base64.b64decode(r.lines[0]).lower().startswith(b"username"), r
    r = tls587.cmd(b64(ALICE))
    assert r.code == 334 and base64.b64decode(r.lines[0]).lower().startswith(b"password"), r
    r = tls587.cmd(b64(PW))
    assert (r.code, r.enh) == (235, "2.7.0"), r


def test_auth_login_initial_response(tls587):
    r = tls587.cmd("AUTH LOGIN " + b64(ALICE))
    assert r.code == 334 and base64.b64decode(r.lines[0]).lower().startswith(b"password"), r
    r = tls587.cmd(b64(PW))
    assert r.code == 235, r


@pytest.mark.parametrize("start", ["AUTH PLAIN", "AUTH LOGIN"])
def test_auth_cancel(tls587, start):
    r = tls587.cmd(start)
    assert r.code == 334, r
    r = tls587.cmd("*")
    assert r.code == 501, r
    assert r.enh is not None and r.enh.startswith("5."), r
    r = tls587.auth_plain(ALICE, PW)
    assert r.code == 235, r


def test_auth_twice(tls587):
    assert tls587.auth_plain(ALICE, PW).code == 235
    r = tls587.auth_plain(ALICE, PW)
    assert (r.code, r.enh) == (503, "5.5.1"), r


def test_auth_unknown_mechanism(tls587):
    r = tls587.cmd("AUTH CRAM-MD5")
    assert (r.code, r.enh) == (504, "5.5.4"), r
    r = tls587.cmd("AUTH PLAIN !!!notbase64")
    assert r.code == 501, r
    assert tls587.auth_plain(ALICE, PW).code == 235


def test_auth_during_transaction(server):
    """RFC 4954 4: AUTH is not permitted during a mail transaction."""
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.starttls()
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test>", 250)
        r = c.auth_plain(ALICE, PW)
        assert (r.code, r.enh) == (503, "5.5.1"), r
        c.expect("RCPT TO:<alice@example.test>", 250)


def test_mail_before_auth_tls(tls587):
    tls587.expect("MAIL FROM:<alice@example.test>", 530, "5.7.0")
    tls587.expect("RCPT TO:<bob@example.test>", 503)


# ---- submission ----

def test_submission_local_and_remote(server, tls587):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    assert tls587.auth_plain(ALICE, PW).code == 235
    tls587.expect("MAIL FROM:<alice@example.test>", 250)
    tls587.expect("RCPT TO:<bob@example.test>", 250)
    tls587.expect(f"RCPT TO:<friend-{marker}@remote.test>", 250)
    tls587.expect(f"RCPT TO:<Other-{marker}@Elsewhere.Test>", 250)
    tls587.expect("DATA", 354)
    tls587.send(dot_stuff(body))
    r = tls587.reply()
    assert (r.code, r.enh) == (250, "2.0.0"), r
    msgs = delivered(server, "bob@example.test", marker)
    assert len(msgs) == 1
    m = msgs[0]
    head = m.split(b"\n\n", 1)[0]
    assert head.startswith(b"Return-Path: <alice@example.test>\n"), head
    assert b" with ESMTPSA " in head, head
    # Date and Message-ID were missing: added once
    assert head.count(b"\nDate: ") == 1, head
    assert head.count(b"\nMessage-ID: ") + head.count(b"\nMessage-Id: ") == 1, head
    addrs = server.queue_addresses()
    assert f"friend-{marker}@remote.test" in addrs, addrs
    assert f"other-{marker}@elsewhere.test" in addrs, addrs
    assert all("bob@example.test" != a for a in addrs), addrs


def test_submission_keeps_existing_date_and_id(server, tls587):
    marker = uuid.uuid4().hex
    extra = (b"Date: Mon, 02 Jan 2006 15:04:05 +0000\r\n"
             b"Message-ID: <" + marker.encode() + b"@example.test>\r\n")
    body = body_for(marker, extra)
    assert tls587.auth_plain(ALICE, PW).code == 235
    tls587.expect("MAIL FROM:<alice@example.test>", 250)
    tls587.expect("RCPT TO:<bob@example.test>", 250)
    tls587.expect("DATA", 354)
    tls587.send(dot_stuff(body))
    assert tls587.reply().code == 250
    fields = split_trace(delivered(server, "bob@example.test", marker)[0], body)
    assert [f.split(":")[0] for f in fields] == ["Return-Path", "Received"], fields


def test_vrfy_expn_authenticated(tls587):
    assert tls587.auth_plain(ALICE, PW).code == 235
    r = tls587.cmd("VRFY <bob@example.test>")
    assert r.code == 250 and "bob@example.test" in r.text, r
    r = tls587.cmd("VRFY <nobody@example.test>")
    assert r.code in (550, 551, 553), r
    r = tls587.cmd("EXPN <list@example.test>")
    assert r.code == 250, r
    assert any("alice@example.test" in ln for ln in r.lines), r
    assert any("bob@example.test" in ln for ln in r.lines), r
    assert len(r.lines) == 2, r


def test_mx_auth_after_starttls_allows_relay(server):
    marker = uuid.uuid4().hex
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.starttls()
        c.ehlo()
        c.expect(f"RCPT TO:<x-{marker}@remote.test>", 503)
        assert c.auth_plain(ALICE, PW).code == 235
        c.expect("MAIL FROM:<alice@example.test>", 250)
        c.expect(f"RCPT TO:<x-{marker}@remote.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body_for(marker)))
        assert c.reply().code == 250
    assert f"x-{marker}@remote.test" in server.queue_addresses()


# ---- stdlib client ----

def test_smtplib_starttls_login_sendmail(server):
    marker = uuid.uuid4().hex
    with smtplib.SMTP("127.0.0.1", server.sub_port, timeout=10) as s:
        s.starttls(context=tls_context())
        s.login(ALICE, PW)
        refused = s.sendmail(ALICE, ["carol@other.test"],
                             f"Subject: {marker}\r\n\r\nhi\r\n")
        assert refused == {}
    assert len(delivered(server, "carol@other.test", marker)) == 1


def test_smtplib_ssl_465(server):
    marker = uuid.uuid4().hex
    with smtplib.SMTP_SSL("127.0.0.1", server.subs_port, timeout=10,
                          context=tls_context()) as s:
        s.login(ALICE, PW)
        s.sendmail(ALICE, ["carol@other.test", "bob@example.test"],
                   f"Subject: {marker}\r\n\r\nhi\r\n")
    assert len(delivered(server, "carol@other.test", marker)) == 1
    assert len(delivered(server, "bob@example.test", marker)) == 1
