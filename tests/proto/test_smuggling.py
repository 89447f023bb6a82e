# test_smuggling.py: SMTP smuggling (end-of-data variants) on the MX port.
# SPDX-License-Identifier: MIT
import time
import uuid

import pytest

from smtpraw import Raw

# Only <CRLF>.<CRLF> ends DATA (RFC 5321 4.1.1.4); everything else is message text.
SEQS = [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r.\n", b"\r\n.\r", b"\r\n.\n", b"\r\n\x00.\r\n",
        b"\n.\r\n", b"\r\n.\r\r\n", b"\r\r\n.\r\r\n", b"\n\n.\n\n", b"\r\n.\x00\r\n",
        b"\n.", b"\r\n..\n"]


def has_bare(seq):
    s = seq.replace(b"\r\n", b"")
    return b"\r" in s or b"\n" in s


@pytest.mark.parametrize("split", [False, True], ids=["one-packet", "split"])
@pytest.mark.parametrize("seq", SEQS, ids=[repr(s)[2:-1] for s in SEQS])
def test_smuggling(server, seq, split):
    marker = uuid.uuid4().hex
    first = b"From: a@remote.test\r\nSubject: outer " + marker.encode() + b"\r\n\r\ntext"
    smuggled = (b"MAIL FROM:<evil@x.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                b"Subject: smuggled " + marker.encode() + b"\r\n\r\nevil\r\n")
    end = b"\r\n.\r\n"
    with Raw(server.smtp_port) as c:
        c.ehlo("smuggler.example.net")
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        if split:
            c.send(first + seq)
            time.sleep(0.05)
            c.send(smuggled)
            time.sleep(0.05)
            c.send(end)
        else:
            c.send(first + seq + smuggled + end)
        r = c.reply()
        if has_bare(seq):
            assert (r.code, r.enh) == (550, "5.6.0"), r
        else:
            assert r.code == 250 or 500 <= r.code < 600, r
        # exactly one reply for the whole message, then a usable session
        c.nothing_pending()
        c.expect("NOOP", 250)
        c.expect("RCPT TO:<bob@example.test>", 503)  # no transaction survived
    assert not any(marker.encode() in m for _, m in server.export("bob@example.test"))
    outer = [m for _, m in server.export("alice@example.test") if marker.encode() in m]
    if r.code == 250:
        assert len(outer) == 1
        assert b"MAIL FROM:<evil@x.test>" in outer[0]
    else:
        assert outer == []


def test_bare_lf_in_header(server):
    marker = uuid.uuid4().hex
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: " + marker.encode() + b"\nX: y\r\n\r\nbody\r\n.\r\n")
        r = c.reply()
        assert (r.code, r.enh) == (550, "5.6.0"), r
        c.nothing_pending()
    assert not any(marker.encode() in m for _, m in server.export("alice@example.test"))


def test_dot_lf_does_not_end_data(server):
    """"\n.\n" alone (no CRLF anywhere) must not end DATA: the server is
    still reading the message when the real end arrives."""
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<a@remote.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(b"Subject: x\r\n\r\nbody\n.\n")
        c.nothing_pending(0.7)
        c.send(b".\r\n")  # "\n.\n" + ".\r\n": still no <CRLF>.<CRLF>
        c.nothing_pending(0.5)
        c.send(b"\r\n.\r\n")
        r = c.reply()
        assert (r.code, r.enh) == (550, "5.6.0"), r
