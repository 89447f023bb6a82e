# test_smtp_basic.py: greeting, EHLO/HELO, replies, limits, pipelining on the MX port.
# SPDX-License-Identifier: MIT
import re
import socket
import time
import uuid

import pytest

from buzon import HOSTNAME, MAX_SIZE
from smtpraw import Raw, dot_stuff

ENH = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def msg(marker, extra=b""):
    return (b"From: sender@remote.test\r\nTo: alice@example.test\r\n"
            b"Subject: " + marker.encode() + b"\r\n\r\nhello " + marker.encode()
            + b"\r\n" + extra)


def count_marker(server, addr, marker):
    return sum(1 for _, m in server.export(addr) if marker.encode() in m)


@pytest.fixture
def c(server):
    conn = Raw(server.smtp_port)
    yield conn
    conn.close()


def test_greeting(c):
    assert c.greeting.code == 220
    assert c.greeting.lines == [f"{HOSTNAME} ESMTP buzon"]


def test_ehlo_keywords(c):
    r = c.ehlo()
    assert r.lines[0].split(" ")[0] == HOSTNAME
    kw = {ln.split(" ")[0].upper(): ln for ln in r.lines[1:]}
    for k in ("PIPELINING", "SIZE", "8BITMIME", "SMTPUTF8",
              "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "STARTTLS", "HELP"):
        assert k in kw, f"{k} not advertised: {r.lines}"
    assert kw["SIZE"] == f"SIZE {MAX_SIZE}"
    # RFC 4954: no AUTH before TLS is up.
    assert "AUTH" not in kw


def test_ehlo_reply_format(server):
    """Every EHLO line but the last is '250-', the last '250 ' (RFC 5321 4.2.1)."""
    s = socket.create_connection(("127.0.0.1", server.smtp_port), 10)
    f = s.makefile("rb")
    assert f.readline().startswith(b"220 ")
    s.sendall(b"EHLO x.example.net\r\n")
    lines = []
    while True:
        ln = f.readline()
        assert ln.endswith(b"\r\n"), ln
        lines.append(ln)
        if ln[3:4] == b" ":
            break
    assert all(ln.startswith(b"250-") for ln in lines[:-1]), lines
    assert lines[-1].startswith(b"250 ")
    s.close()


def test_helo(c):
    r = c.cmd("HELO client.example.net")
    assert r.code == 250
    assert HOSTNAME in r.lines[0]
    assert len(r.lines) == 1
    c.expect("MAIL FROM:<a@remote.test>", 250)


def test_helo_without_name(c):
    c.expect("HELO", 501, "5.5.4")
    c.expect("EHLO", 501, "5.5.4")


def test_noop_rset_quit(c):
    c.expect("NOOP", 250, "2.0.0")
    c.expect("RSET", 250, "2.0.0")
    r = c.cmd("QUIT")
    assert r.code == 221 and r.enh == "2.0.0", r
    assert c.is_closed()


def test_help(c):
    r = c.cmd("HELP")
    assert r.code == 214, r
    assert r.enh == "2.0.0", r


def test_enhanced_codes_everywhere(c):
    c.ehlo()
    for line in ("NOOP", "RSET", "MAIL FROM:<x@remote.test>", "RCPT TO:<alice@example.test>",
                 "RCPT TO:<nobody@example.test>", "VRFY alice", "EXPN list",
                 "BOGUS", "HELP", "RSET"):
        r = c.cmd(line)
        assert r.enh is not None and ENH.match(r.enh), f"{line}: {r}"
        assert r.enh[0] == str(r.code)[0], f"{line}: class mismatch {r}"


def test_unknown_command(c):
    c.ehlo()
    c.expect("FROB", 500, "5.5.1")
    c.expect("NOOP", 250)


@pytest.mark.parametrize("verb", ["SEND FROM:<a@b.test>", "SOML FROM:<a@b.test>",
                                  "SAML FROM:<a@b.test>", "TURN"])
def test_obsolete_commands(c, verb):
    c.ehlo()
    r = c.expect(verb, 502, "5.5.1")
    assert len(r.lines[0].split(" ", 1)) == 2 and r.lines[0].split(" ", 1)[1].strip(), \
        f"502 without a reason: {r}"


def test_bad_sequence(c):
    c.expect("MAIL FROM:<a@remote.test>", 503, "5.5.1")  # before EHLO
    c.ehlo()
    c.expect("RCPT TO:<alice@example.test>", 503, "5.5.1")
    c.expect("DATA", 503, "5.5.1")
    c.expect("MAIL FROM:<a@remote.test>", 250)
    c.expect("MAIL FROM:<a@remote.test>", 503, "5.5.1")  # nested MAIL
    c.expect("DATA", 503, "5.5.1")  # no recipient yet
    c.expect("RCPT TO:<alice@example.test>", 250)
    c.expect("RSET", 250)
    c.expect("RCPT TO:<alice@example.test>", 503, "5.5.1")


def test_ehlo_resets_transaction(c):
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    c.ehlo()
    c.expect("RCPT TO:<alice@example.test>", 503, "5.5.1")
    c.expect("MAIL FROM:<a@remote.test>", 250)


@pytest.mark.parametrize("line", [
    "MAIL FROM:a@remote.test",
    "MAIL FROM:<a@remote.test",
    "MAIL TO:<a@remote.test>",
    "MAIL FROM:<a@remote.test> FROB=1",
    "MAIL FROM:<a@remote.test> SIZE=abc",
    "MAIL FROM:<a@@remote.test>",
    "MAIL",
])
def test_mail_syntax(c, line):
    c.ehlo()
    r = c.cmd(line)
    assert r.code in (501, 555, 553), r
    assert r.enh is not None and r.enh.startswith("5."), r
    c.expect("MAIL FROM:<a@remote.test>", 250)


@pytest.mark.parametrize("line", ["RCPT TO:alice@example.test", "RCPT TO:<alice@example.test",
                                  "RCPT FROM:<alice@example.test>", "RCPT"])
def test_rcpt_syntax(c, line):
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    r = c.cmd(line)
    assert r.code in (501, 553), r
    assert r.enh is not None and r.enh.startswith("5."), r
    c.expect("RCPT TO:<alice@example.test>", 250)


def test_null_sender(c):
    c.ehlo()
    c.expect("MAIL FROM:<>", 250)
    c.expect("RCPT TO:<alice@example.test>", 250)


def test_unknown_user(c):
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    c.expect("RCPT TO:<nobody@example.test>", 550, "5.1.1")
    c.expect("RCPT TO:<nobody@other.test>", 550, "5.1.1")
    c.expect("RCPT TO:<alice@example.test>", 250)


def test_case_insensitive_and_plus(c):
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    for rc in ("ALICE@EXAMPLE.TEST", "Alice@Example.Test", "alice+tag@example.test",
               "Bob+x+y@EXAMPLE.test", "LIST@example.test", "carol@OTHER.TEST"):
        c.expect(f"RCPT TO:<{rc}>", 250, "2.1.5")
    c.expect("RCPT TO:<alicex@example.test>", 550, "5.1.1")
    c.expect("RCPT TO:<+alice@example.test>", 550, "5.1.1")


def test_vrfy_expn_unauthenticated(c):
    c.ehlo()
    c.expect("VRFY alice@example.test", 252, "2.5.0")
    c.expect("VRFY nobody@example.test", 252, "2.5.0")  # no user enumeration
    c.expect("EXPN list@example.test", 502, "5.5.1")


def test_line_length_limit(c):
    c.ehlo()
    ok = b"NOOP " + b"x" * (512 - 7)
    assert len(ok) + 2 == 512
    c.send(ok + b"\r\n")
    r = c.reply()
    assert r.code == 250, r
    bad = b"NOOP " + b"x" * (513 - 7)
    assert len(bad) + 2 == 513
    c.send(bad + b"\r\n")
    r = c.reply()
    assert (r.code, r.enh) == (500, "5.5.2"), r
    c.expect("NOOP", 250)  # session still usable
    # a much longer line (bigger than any socket read) also gets one reply
    c.send(b"NOOP " + b"y" * 100000 + b"\r\nNOOP\r\n")
    r = c.reply()
    assert (r.code, r.enh) == (500, "5.5.2"), r
    r = c.reply()
    assert r.code == 250, r
    c.nothing_pending()


@pytest.mark.parametrize("raw", [b"NOOP\n", b"NO\rOP\r\n", b"NOOP\r\r\n", b"NO\x00OP\r\n",
                                 b"NOOP\x00\r\n"])
def test_bad_line_bytes(c, raw):
    c.ehlo()
    c.send(raw)
    r = c.reply()
    assert (r.code, r.enh) == (500, "5.5.2"), r
    c.expect("NOOP", 250)
    c.nothing_pending()


def test_too_many_errors_421(c):
    c.ehlo()
    got = []
    c.send(b"BOGUS\r\n" * 40)
    try:
        while True:
            r = c.reply()
            got.append(r.code)
            if r.code == 421:
                break
    except Exception as e:  # closed without a 421
        raise AssertionError(f"no 421 after errors: {got} ({e})")
    assert all(code == 500 for code in got[:-1]), got
    assert 2 <= len(got) <= 40, got
    assert c.is_closed()


def test_size_declared(c):
    c.ehlo()
    c.expect(f"MAIL FROM:<a@remote.test> SIZE={MAX_SIZE + 1}", 552, "5.3.4")
    c.expect(f"MAIL FROM:<a@remote.test> SIZE={MAX_SIZE}", 250)
    c.expect("RSET", 250)
    # RFC 1870 6: size-value is 1*20DIGIT; 20 digits beyond 64 bits are
    # still a size (too big), more digits are a syntax error
    c.expect("MAIL FROM:<a@remote.test> SIZE=99999999999999999999", 552, "5.3.4")
    c.expect("MAIL FROM:<a@remote.test> SIZE=99999999999999999999999", 555, "5.5.4")


def test_message_too_big(server, c):
    marker = uuid.uuid4().hex
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    c.expect("RCPT TO:<alice@example.test>", 250)
    c.expect("DATA", 354)
    line = b"z" * 998 + b"\r\n"
    body = msg(marker) + line * (MAX_SIZE // len(line) + 2)
    c.send(dot_stuff(body))
    r = c.reply()
    assert (r.code, r.enh) == (552, "5.3.4"), r
    c.expect("NOOP", 250)
    c.expect("RCPT TO:<alice@example.test>", 503)  # transaction gone
    assert count_marker(server, "alice@example.test", marker) == 0


def test_message_just_under_limit(server, c):
    marker = uuid.uuid4().hex
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    c.expect("RCPT TO:<bob@example.test>", 250)
    c.expect("DATA", 354)
    head = msg(marker)
    line = b"q" * 78 + b"\r\n"
    # keep room for the trace headers the server adds
    body = head + line * ((MAX_SIZE - 64 * 1024 - len(head)) // len(line))
    c.send(dot_stuff(body))
    r = c.reply()
    assert r.code == 250, r
    msgs = [m for _, m in server.export("bob@example.test") if marker.encode() in m]
    assert len(msgs) == 1
    assert msgs[0].endswith(body.replace(b"\r\n", b"\n"))


def test_recipient_limit(server, c):
    marker = uuid.uuid4().hex
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test>", 250)
    cmds = b"".join(b"RCPT TO:<alice+%d@example.test>\r\n" % i for i in range(1001))
    c.send(cmds)
    codes = [c.reply() for _ in range(1001)]
    assert all(r.code == 250 for r in codes[:1000]), [r for r in codes if r.code != 250][:3]
    assert (codes[1000].code, codes[1000].enh) == (452, "4.5.3"), codes[1000]
    c.expect("DATA", 354)
    c.send(dot_stuff(msg(marker)))
    r = c.reply()
    assert r.code == 250, r
    # one account, one copy
    assert count_marker(server, "alice@example.test", marker) == 1


def test_pipelined_transaction(server, c):
    marker = uuid.uuid4().hex
    c.ehlo()
    c.send(b"MAIL FROM:<p@remote.test>\r\nRCPT TO:<alice@example.test>\r\n"
           b"RCPT TO:<nobody@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
    got = [c.reply() for _ in range(5)]
    assert [r.code for r in got] == [250, 250, 550, 250, 354], got
    c.send(dot_stuff(msg(marker)) + b"NOOP\r\nQUIT\r\n")
    r = c.reply()
    assert r.code == 250 and r.enh == "2.0.0", r
    assert c.reply().code == 250
    assert c.reply().code == 221
    assert c.is_closed()
    assert count_marker(server, "alice@example.test", marker) == 1
    assert count_marker(server, "bob@example.test", marker) == 1


def test_pipelined_replies_in_one_write(server):
    """RFC 2920: all replies for a pipelined group arrive (order kept)."""
    with Raw(server.smtp_port) as c:
        c.send(b"EHLO a.example.net\r\nNOOP\r\nMAIL FROM:<a@remote.test>\r\n"
               b"RCPT TO:<bob@example.test>\r\nRSET\r\nHELP\r\nNOOP\r\n")
        codes = [c.reply().code for _ in range(7)]
        assert codes == [250, 250, 250, 250, 250, 214, 250], codes


def test_early_talker(server):
    s = socket.create_connection(("127.0.0.1", server.smtp_port), 10)
    s.sendall(b"EHLO eager.example.net\r\n")
    c = Raw.__new__(Raw)
    c.sock, c.buf, c.greeting = s, b"", None
    r = c.reply()
    assert (r.code, r.enh) == (554, "5.5.0"), r
    assert c.is_closed()
    c.close()


def test_greet_delay_only_on_mx(server):
    t = time.monotonic()
    with Raw(server.smtp_port) as c:
        assert c.greeting.code == 220
    assert time.monotonic() - t >= 0.25
    # submission: no delay, and talking first is not punished there
    t = time.monotonic()
    with Raw(server.sub_port) as c:
        assert c.greeting.code == 220
    assert time.monotonic() - t < 0.25


def test_pipelining_past_data(server):
    marker = uuid.uuid4().hex
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.send(b"MAIL FROM:<a@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
               + dot_stuff(msg(marker)))
        assert c.reply().code == 250
        assert c.reply().code == 250
        r = c.reply()
        assert (r.code, r.enh) == (554, "5.5.0"), r
        assert c.is_closed()
    assert count_marker(server, "alice@example.test", marker) == 0


def test_data_dot_stuffing_and_empty_lines(server):
    marker = uuid.uuid4().hex
    body = (b"Subject: " + marker.encode() + b"\r\n\r\n.leading dot\r\n..two dots\r\n"
            b".\r\n\r\n\r\nFrom the start\r\n>From quoted\r\nend\r\n")
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect("RCPT TO:<carol@other.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        assert c.reply().code == 250
    msgs = [m for _, m in server.export("carol@other.test") if marker.encode() in m]
    assert len(msgs) == 1
    assert msgs[0].endswith(body.replace(b"\r\n", b"\n"))


def test_data_line_too_long_is_accepted_or_rejected_whole(server):
    """A text line over 1000 octets: either the message is refused (5xx) or
    delivered intact; never truncated or split into two messages."""
    marker = uuid.uuid4().hex
    body = b"Subject: " + marker.encode() + b"\r\n\r\n" + b"w" * 5000 + b"\r\nend\r\n"
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect("RCPT TO:<carol@other.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        r = c.reply()
        assert r.code in (250, 500, 550, 554), r
        c.expect("NOOP", 250)
        c.nothing_pending()
    msgs = [m for _, m in server.export("carol@other.test") if marker.encode() in m]
    if r.code == 250:
        assert len(msgs) == 1 and msgs[0].endswith(body.replace(b"\r\n", b"\n"))
    else:
        assert msgs == []


def test_mail_rcpt_extension_params(c):
    """DSN (RFC 3461), SIZE, BODY and SMTPUTF8 parameters are accepted."""
    c.ehlo()
    c.expect("MAIL FROM:<a@remote.test> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=abc+2Bx", 250)
    c.expect("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE "
             "ORCPT=rfc822;alice@example.test", 250)
    c.expect("RCPT TO:<bob@example.test> NOTIFY=NEVER", 250)
    r = c.cmd("RCPT TO:<bob@example.test> NOTIFY=NEVER,SUCCESS")
    assert r.code in (501, 555) and r.enh.startswith("5."), r
    c.expect("RSET", 250)
    c.expect("MAIL FROM:<a@remote.test> BODY=7BIT SMTPUTF8", 250)
    c.expect("RSET", 250)
    for bad in ("MAIL FROM:<a@remote.test> RET=ALL", "MAIL FROM:<a@remote.test> BODY=9BIT",
                "MAIL FROM:<a@remote.test> SIZE=1 SIZE=2"):
        r = c.cmd(bad)
        assert r.code in (501, 555) and r.enh.startswith("5."), f"{bad}: {r}"


def test_case_insensitive_verbs(c):
    c.cmd("ehlo lower.example.net")
    c.expect("mail from:<a@remote.test>", 250)
    c.expect("rcpt to:<alice@example.test>", 250)
    c.expect("rset", 250)
    c.expect("Mail From:<a@remote.test>", 250)
