# test_relay.py: the MX port is not an open relay (classic relay tricks).
# SPDX-License-Identifier: MIT
import pytest

from smtpraw import Raw, dot_stuff

TRICKS = [
    "<relaytest@remote.test>",
    "<relaytest%remote.test@example.test>",
    '<"relaytest%remote.test"@example.test>',
    "<relaytest@remote.test@example.test>",
    '<"relaytest@remote.test"@example.test>',
    "<remote.test!relaytest@example.test>",
    "<@example.test:relaytest@remote.test>",
    "<@example.test,@other.test:relaytest@remote.test>",
    "<relaytest@[1.2.3.4]>",
    "<relaytest@[IPv6:::1]>",
    "<relaytest@[127.0.0.1]>",
    "<relaytest@remote.test.>",
    "<relaytest@example.test.remote.test>",
    "<relaytest@example.test.>",
    '<"relaytest"@remote.test>',
    "<relaytest\\@remote.test@example.test>",
    "<relaytest@REMOTE.TEST>",
    "<remote.test!relaytest>",
    "<relaytest%remote.test>",
    "relaytest@remote.test",
    " <relaytest@remote.test>",
    "<relaytest@localhost>",
    "<alice+x@remote.test>",
    "<alice@example.test@remote.test>",
    "<relaytest@remote.test%example.test>",
    "<relaytest@example.test%remote.test>",
    "<@remote.test:relaytest@example.test>",
]


@pytest.mark.parametrize("sender", ["<alice@example.test>", "<spam@remote.test>", "<>"])
def test_plain_relay_denied(server, sender):
    with Raw(server.smtp_port) as c:
        c.ehlo("relay.example.net")
        c.expect(f"MAIL FROM:{sender}", 250)
        r = c.cmd("RCPT TO:<victim@remote.test>")
        assert (r.code, r.enh) == (554, "5.7.1"), r
        assert "relay access denied" in r.text.lower(), r
        c.expect("DATA", 503, "5.5.1")


@pytest.mark.parametrize("rcpt", TRICKS)
def test_relay_trick(server, rcpt):
    with Raw(server.smtp_port) as c:
        c.ehlo("relay.example.net")
        c.expect("MAIL FROM:<alice@example.test>", 250)
        r = c.cmd(f"RCPT TO:{rcpt}")
        assert r.code >= 400, f"RCPT TO:{rcpt} accepted: {r}"
        r = c.cmd("DATA")
        if r.code == 354:  # cannot happen when RCPT failed; finish to observe
            c.send(dot_stuff(b"Subject: relay\r\n\r\nrelay\r\n"))
            r = c.reply()
            raise AssertionError(f"DATA accepted after refused RCPT {rcpt}: {r}")
        assert r.code == 503, r


def test_relay_tricks_leave_queue_empty(server):
    # runs after the trick tests in this module
    n, rows = server.queue_rows()
    assert (n, rows) == (0, []), rows


def test_local_still_accepted_after_tricks(server):
    with Raw(server.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<x@remote.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
