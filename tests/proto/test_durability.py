# test_durability.py: kill -9 after 250 loses nothing; kill -9 mid-DATA leaves nothing.
# SPDX-License-Identifier: MIT
import os
import time
import uuid

import pytest

from conftest import finish, make_server
from smtpraw import Closed, Raw, dot_stuff


@pytest.fixture
def srv(tmp_path_factory):
    s = make_server(tmp_path_factory, "durable")
    yield s
    if s.proc is not None:
        finish(s)


def body_for(marker, i=0):
    return (b"From: s@remote.test\r\nSubject: durable " + marker.encode()
            + b" %d\r\n\r\n" % i + b"payload line\r\n" * 2000)


def mine(srv, addr, marker):
    return [m for _, m in srv.export(addr) if marker.encode() in m]


def test_kill9_after_250(srv):
    marker = uuid.uuid4().hex
    bodies = [body_for(marker, i) for i in range(3)]
    with Raw(srv.smtp_port) as c:
        c.ehlo()
        for i, body in enumerate(bodies):
            c.expect("MAIL FROM:<s@remote.test>", 250)
            c.expect("RCPT TO:<alice@example.test>", 250)
            c.expect("RCPT TO:<list@example.test>", 250)
            c.expect("DATA", 354)
            c.send(dot_stuff(body))
            r = c.reply()
            assert r.code == 250, r
        srv.kill9()  # at once after the last 250
    # the CLI reads the store without the server
    for addr in ("alice@example.test", "bob@example.test"):
        got = mine(srv, addr, marker)
        assert len(got) == 3, (addr, len(got))
        for body in bodies:
            assert sum(m.endswith(body.replace(b"\r\n", b"\n")) for m in got) == 1
    srv.start()
    assert len(mine(srv, "alice@example.test", marker)) == 3
    with Raw(srv.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RCPT TO:<bob@example.test>", 250)


def test_kill9_after_250_submission_queue(srv):
    marker = uuid.uuid4().hex
    with Raw(srv.sub_port) as c:
        c.ehlo()
        c.starttls()
        c.ehlo()
        assert c.auth_plain("alice@example.test", "alice-secret").code == 235
        c.expect("MAIL FROM:<alice@example.test>", 250)
        c.expect(f"RCPT TO:<q-{marker}@remote.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body_for(marker)))
        assert c.reply().code == 250
        srv.kill9()
    assert f"q-{marker}@remote.test" in srv.queue_addresses()


def test_kill9_mid_data(srv):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    c = Raw(srv.smtp_port)
    c.ehlo()
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.expect("RCPT TO:<alice@example.test>", 250)
    c.expect("DATA", 354)
    c.send(body[: len(body) // 2])
    time.sleep(0.3)
    srv.kill9()
    c.close()
    assert mine(srv, "alice@example.test", marker) == []
    srv.start()
    assert mine(srv, "alice@example.test", marker) == []
    # the server works normally after the crash
    with Raw(srv.smtp_port) as c2:
        c2.ehlo()
        c2.expect("MAIL FROM:<s@remote.test>", 250)
        c2.expect("RCPT TO:<alice@example.test>", 250)
        c2.expect("DATA", 354)
        c2.send(dot_stuff(body))
        assert c2.reply().code == 250
    got = mine(srv, "alice@example.test", marker)
    assert len(got) == 1 and got[0].endswith(body.replace(b"\r\n", b"\n"))


def test_kill9_mid_bdat(srv):
    marker = uuid.uuid4().hex
    body = body_for(marker)
    c = Raw(srv.smtp_port)
    c.ehlo()
    c.expect("MAIL FROM:<s@remote.test>", 250)
    c.expect("RCPT TO:<bob@example.test>", 250)
    c.send(b"BDAT 100\r\n" + body[:100])
    assert c.reply().code == 250
    c.send(b"BDAT %d LAST\r\n" % (len(body) - 100) + body[100:1000])
    time.sleep(0.3)
    srv.kill9()
    c.close()
    srv.start()
    assert mine(srv, "bob@example.test", marker) == []


def test_tmp_leftovers_cleaned_or_ignored(srv):
    """Blobs of unfinished messages must not accumulate across crashes."""
    marker = uuid.uuid4().hex
    for _ in range(2):
        c = Raw(srv.smtp_port)
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RCPT TO:<alice@example.test>", 250)
        c.expect("DATA", 354)
        c.send(body_for(marker)[:20000])
        time.sleep(0.3)
        srv.kill9()
        c.close()
        srv.start()
    tmp = os.path.join(srv.data, "tmp")
    left = os.listdir(tmp) if os.path.isdir(tmp) else []
    assert left == [], f"temp files left after restart: {left}"


def test_sigterm_with_client_connected(srv):
    c = Raw(srv.smtp_port)
    c.ehlo()
    c.expect("MAIL FROM:<s@remote.test>", 250)
    t = time.monotonic()
    rc = srv.stop(timeout=15)
    assert rc == 0, srv.log_text()[-3000:]
    assert time.monotonic() - t < 10
    try:
        r = c.reply()
        assert r.code == 421, r
    except Closed:
        pass
    c.close()
    assert srv.sanitizer_reports() == []


def test_sigterm_waits_for_nothing_lost(srv):
    """A 250 sent just before SIGTERM is durable as well."""
    marker = uuid.uuid4().hex
    with Raw(srv.smtp_port) as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@remote.test>", 250)
        c.expect("RCPT TO:<carol@other.test>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body_for(marker)))
        assert c.reply().code == 250
    assert srv.stop() == 0
    assert len(mine(srv, "carol@other.test", marker)) == 1
