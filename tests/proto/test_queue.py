# test_queue.py: the outbound queue runner: relay to another buzon (byte
# exact, DKIM), retries, bounces (RFC 3464 DSN), lifetime, STARTTLS, crash.
# SPDX-License-Identifier: MIT
import email
import email.policy
import os
import subprocess
import sys
import threading
import time

import pytest

from buzon import Server, split_trace
from conftest import USERS, finish, populate
from fakepeer import FakePeer, free_closed_port
from smtpraw import send_mail, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
DKIM_VERIFY = os.path.join(HERE, "..", "lib", "dkim_verify.py")
ALICE = ("alice@example.test", USERS["alice@example.test"])


def relay_conf(routes, queue="retry = 1s\nretry_max = 2s\n"):
    lines = "".join(f"{d} = {hp}\n" for d, hp in routes.items())
    return f"[routes]\n{lines}[queue]\n{queue}"


def start_a(tmp_path_factory, name, routes, queue="retry = 1s\nretry_max = 2s\n"):
    srv = Server(tmp_path_factory.mktemp(name), name=name,
                 relay=relay_conf(routes, queue))
    populate(srv)
    srv.start()
    return srv


def submit(srv, rcpts, body, sender="alice@example.test"):
    r = send_mail(srv.sub_port, sender, rcpts, body, starttls=True, auth=ALICE)
    assert r.code == 250, r
    return r


def body_for(marker, to="x@peer.test"):
    return (f"From: Alice <alice@example.test>\r\nTo: <{to}>\r\n"
            f"Subject: queue {marker}\r\nMessage-ID: <{marker}@example.test>\r\n"
            f"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
            f"\r\nhello {marker}\r\n.leading dot\r\n\r\nend\r\n").encode()


def queue_empty(srv):
    return srv.queue_rows()[0] == 0


@pytest.fixture
def peer():
    p = FakePeer()
    yield p
    p.close()


def test_relay_to_peer_via_route(tmp_path_factory, peer):
    a = start_a(tmp_path_factory, "qroute", {"peer.test": f"127.0.0.1:{peer.port}"})
    try:
        body = body_for("route1")
        submit(a, ["x@peer.test", "y@peer.test"], body)
        assert wait_until(lambda: peer.messages, timeout=10), a.log_text()[-3000:]
        mail, rcpts, data, _ = peer.messages[0]
        assert mail.startswith("MAIL FROM:<alice@example.test>"), mail
        assert sorted(r.split(">")[0] for r in rcpts) == ["RCPT TO:<x@peer.test",
                                                         "RCPT TO:<y@peer.test"]
        # dot-stuffing undone by the peer: the body arrives as submitted
        assert data.endswith(body), data
        assert b"\r\n.leading dot\r\n" in data
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert peer.connections == 1  # both recipients in one transaction
    finally:
        finish(a)


def test_new_mail_kicks_the_runner(tmp_path_factory, peer):
    """With [queue] poll = 1h the runner looks at the database once at
    start and then only when kicked: new mail must still leave, so the
    SMTP server's commit kicked it.  The second message is submitted after
    the first was delivered, so after at least one completed scan."""
    a = start_a(tmp_path_factory, "qkick", {"peer.test": f"127.0.0.1:{peer.port}"},
                queue="retry = 1s\nretry_max = 2s\npoll = 1h\n")
    try:
        for i in (1, 2):
            submit(a, ["x@peer.test"], body_for(f"kick{i}"))
            assert wait_until(lambda: len(peer.messages) == i, timeout=10), \
                a.log_text()[-3000:]
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        finish(a)


def test_relay_large_message_byte_exact(tmp_path_factory, peer):
    """A 3 MiB message is read from its file in chunks (page cache or the
    worker pool) and arrives byte for byte, dot-stuffing undone."""
    a = start_a(tmp_path_factory, "qlarge", {"peer.test": f"127.0.0.1:{peer.port}"})
    try:
        lines = [b"line %06d %s" % (i, b".x" * (i % 40)) for i in range(60000)]
        lines[100:100] = [b".", b"..", b".end"]
        body = body_for("large1")[:-len(b"end\r\n")] + b"\r\n".join(lines) + b"\r\n"
        assert len(body) > 3 << 20
        submit(a, ["x@peer.test"], body)
        assert wait_until(lambda: peer.messages, timeout=30), a.log_text()[-3000:]
        _, _, data, _ = peer.messages[0]
        assert data.endswith(body)
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        finish(a)


def blob_files(srv):
    root = os.path.join(srv.data, "blobs")
    return sum(len(files) for _, _, files in os.walk(root))


def test_burst_recorded_in_batches(tmp_path_factory, peer):
    """Many attempts finish close together and are recorded in shared
    transactions: every delivered entry leaves the queue and its message
    file is removed; the entries of a destination answering 451 stay,
    each with its attempt and reply recorded, and keep their files."""
    slow = FakePeer(rcpt_replies=["451 4.3.0 busy"])
    a = start_a(tmp_path_factory, "qburst",
                {"peer.test": f"127.0.0.1:{peer.port}",
                 "slow.test": f"127.0.0.1:{slow.port}"},
                queue="retry = 1h\nretry_max = 1h\n")
    try:
        errors = []

        def send(i):
            to = "x@slow.test" if i % 5 == 0 else "x@peer.test"
            try:
                submit(a, [to], body_for(f"burst{i}", to=to))
            except AssertionError as e:
                errors.append(e)

        threads = [threading.Thread(target=send, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert wait_until(lambda: len(peer.messages) == 32, timeout=30), \
            a.log_text()[-3000:]
        assert wait_until(lambda: a.queue_rows()[0] == 8, timeout=15), \
            a.log_text()[-3000:]
        _, rows = a.queue_rows()
        assert len(rows) == 8
        for row in rows:
            # (queue_id, address, orcpt, notify, state, attempts, ...)
            assert row[1] == "x@slow.test" and row[4] == 0 and row[5] == 1, row
            assert any(isinstance(v, str) and v.startswith("451 4.3.0 busy")
                       for v in row), row
        assert wait_until(lambda: blob_files(a) == 8, timeout=10), blob_files(a)
        assert len(slow.messages) == 0
    finally:
        slow.close()
        finish(a)


def test_451_then_250_delivered_on_retry(tmp_path_factory):
    p = FakePeer(rcpt_replies=["451 4.3.0 try again later", "250 2.1.5 ok"])
    a = start_a(tmp_path_factory, "qretry", {"peer.test": f"127.0.0.1:{p.port}"})
    try:
        submit(a, ["x@peer.test"], body_for("retry1"))
        assert wait_until(lambda: p.messages, timeout=15), a.log_text()[-3000:]
        assert p.connections >= 2
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert "451 4.3.0 try again later" in a.log_text()
    finally:
        p.close()
        finish(a)


def dsns(srv, addr):
    out = []
    for _, raw in srv.export(addr):
        m = email.message_from_bytes(raw, policy=email.policy.compat32)
        if m.get_content_type() == "multipart/report":
            out.append(m)
    return out


def dsn_fields(msg):
    """(per-message fields, [per-recipient fields]) of a DSN."""
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert parts[1].get_content_type() == "message/delivery-status"
    groups = parts[1].get_payload()
    return groups[0], groups[1:]


def test_550_bounces_with_rfc3464_dsn(tmp_path_factory):
    p = FakePeer(rcpt_replies=["550 5.1.1 no such user here"])
    a = start_a(tmp_path_factory, "qbounce", {"peer.test": f"127.0.0.1:{p.port}"})
    try:
        body = body_for("bounce1", to="nobody@peer.test")
        submit(a, ["nobody@peer.test"], body)
        assert wait_until(lambda: dsns(a, "alice@example.test"), timeout=15), \
            a.log_text()[-3000:]
        msg = dsns(a, "alice@example.test")[0]
        assert msg["From"].startswith("Mail Delivery System")
        per_msg, rcpts = dsn_fields(msg)
        assert per_msg["Reporting-MTA"] == "dns; mx.example.test"
        assert len(rcpts) == 1
        r = rcpts[0]
        assert r["Final-Recipient"] == "rfc822; nobody@peer.test"
        assert r["Action"] == "failed"
        assert r["Status"] == "5.1.1"
        assert r["Remote-MTA"] == "dns; 127.0.0.1"
        assert "550 5.1.1 no such user here" in r["Diagnostic-Code"]
        assert r["Diagnostic-Code"].startswith("smtp; ")
        # no RET given: the message comes back whole
        returned = msg.get_payload()[2]
        assert returned.get_content_type() == "message/rfc822"
        assert b"hello bounce1" in returned.as_bytes()
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert p.messages == []
    finally:
        p.close()
        finish(a)


def test_null_sender_never_bounced(tmp_path_factory):
    p = FakePeer(rcpt_replies=["550 5.1.1 no"])
    a = start_a(tmp_path_factory, "qnull", {"peer.test": f"127.0.0.1:{p.port}"})
    try:
        # a DSN from <> to a remote address is queued by the MX port
        # path only; submission with MAIL FROM:<> is allowed for users
        r = send_mail(a.sub_port, "", ["z@peer.test"], body_for("null1"),
                      starttls=True, auth=ALICE)
        assert r.code == 250, r
        assert wait_until(lambda: queue_empty(a), timeout=15), a.log_text()[-3000:]
        time.sleep(0.5)
        assert dsns(a, "alice@example.test") == []
    finally:
        p.close()
        finish(a)


def test_peer_down_retried_then_bounced_at_lifetime(tmp_path_factory):
    port = free_closed_port()
    a = start_a(tmp_path_factory, "qdown", {"peer.test": f"127.0.0.1:{port}"},
                queue="retry = 1s\nretry_max = 1s\nlifetime = 4s\n")
    try:
        submit(a, ["gone@peer.test"], body_for("down1", to="gone@peer.test"))
        assert wait_until(lambda: dsns(a, "alice@example.test"), timeout=20), \
            a.log_text()[-3000:]
        log = a.log_text()
        assert log.count("Connection refused") >= 2, log[-3000:]
        _, rcpts = dsn_fields(dsns(a, "alice@example.test")[0])
        assert rcpts[0]["Action"] == "failed"
        assert rcpts[0]["Status"] == "4.4.7"
        assert "Connection refused" in rcpts[0]["Diagnostic-Code"]
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        finish(a)


@pytest.fixture(scope="module")
def peer_cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("peercert")
    crt, key = str(d / "peer.crt"), str(d / "peer.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj",
                    "/CN=peer.test"], check=True, capture_output=True)
    return crt, key


@pytest.mark.parametrize("inject", [False, True])
def test_starttls_used_and_injection_ignored(tmp_path_factory, peer_cert, inject):
    p = FakePeer(starttls=peer_cert, inject=inject)
    a = start_a(tmp_path_factory, "qtls", {"peer.test": f"127.0.0.1:{p.port}"})
    try:
        submit(a, ["x@peer.test"], body_for("tls1"))
        assert wait_until(lambda: p.messages, timeout=10), \
            (p.commands, a.log_text()[-3000:])
        assert p.messages[0][3] is True  # sent inside TLS
        # EHLO again after the handshake (RFC 3207 4.2), nothing else
        # was taken from the injected lines
        verbs = [c.split(" ")[0].upper() for c in p.commands]
        assert verbs[:3] == ["EHLO", "STARTTLS", "EHLO"], p.commands
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        p.close()
        finish(a)


def test_kill9_with_mail_queued_delivered_after_restart(tmp_path_factory):
    port = free_closed_port()
    a = start_a(tmp_path_factory, "qkill", {"peer.test": f"127.0.0.1:{port}"},
                queue="retry = 1h\n")
    p = FakePeer()
    try:
        submit(a, ["x@peer.test"], body_for("kill1"))
        assert wait_until(lambda: "Connection refused" in a.log_text(), timeout=10)
        a.kill9()
        assert a.queue_rows()[0] == 1
        with open(a.conf) as f:
            conf = f.read()
        with open(a.conf, "w") as f:
            f.write(conf.replace(f"127.0.0.1:{port}", f"127.0.0.1:{p.port}"))
        a.start()
        a.cli("queue", "flush")
        assert wait_until(lambda: p.messages, timeout=10), a.log_text()[-3000:]
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        p.close()
        finish(a)


def ed25519_key(path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", path],
                   check=True, capture_output=True)
    os.chmod(path, 0o600)
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    import base64
    return "v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:]).decode()


def test_two_instances_byte_exact_with_dkim(tmp_path_factory):
    b = Server(tmp_path_factory.mktemp("qb"), name="qb", extra="domains = b.test")
    b.add_user("bob@b.test", "bob-secret")
    b.start()
    a = Server(tmp_path_factory.mktemp("qa"), name="qa",
               relay=relay_conf({"b.test": f"127.0.0.1:{b.smtp_port}"}))
    populate(a)
    keydir = os.path.join(a.data, "dkim", "example.test")
    os.makedirs(keydir, mode=0o700)
    txt = ed25519_key(os.path.join(keydir, "t1.pem"))
    a.start()
    try:
        body = body_for("pair1", to="bob@b.test")
        submit(a, ["bob@b.test"], body)
        assert wait_until(lambda: b.export("bob@b.test"), timeout=15), \
            a.log_text()[-3000:]
        msg = b.export("bob@b.test")[0][1]
        fields = split_trace(msg, body)
        names = [f.split(":", 1)[0].lower() for f in fields]
        assert names == ["return-path", "received", "dkim-signature", "received"], fields
        assert fields[0] == "Return-Path: <alice@example.test>"
        assert "s=t1" in fields[2] and "d=example.test" in fields[2]
        path = os.path.join(str(tmp_path_factory.getbasetemp()), "qa-msg.eml")
        with open(path, "wb") as f:
            f.write(msg.replace(b"\n", b"\r\n"))
        r = subprocess.run([sys.executable, DKIM_VERIFY, path, "t1", "example.test", txt],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        finish(a)
        finish(b)


def test_queue_cli_list_hold_release_delete(tmp_path_factory):
    port = free_closed_port()
    p = FakePeer()
    a = start_a(tmp_path_factory, "qcli", {"peer.test": f"127.0.0.1:{port}"},
                queue="retry = 1h\n")
    try:
        submit(a, ["x@peer.test"], body_for("cli1"))
        submit(a, ["y@peer.test"], body_for("cli2"))
        assert wait_until(lambda: a.log_text().count("Connection refused") >= 2,
                          timeout=10)
        out = a.cli("queue", "list").stdout.decode()
        ids = [ln.split()[0] for ln in out.splitlines() if not ln.startswith(" ")]
        assert len(ids) == 2, out
        assert "<alice@example.test>" in out and "<x@peer.test> pending" in out
        assert "Connection refused" in out and "attempts=1" in out, out
        a.cli("queue", "hold", ids[0])
        assert " held" in a.cli("queue", "list").stdout.decode().splitlines()[0]
        a.cli("queue", "delete", ids[1])
        assert a.queue_rows()[0] == 1
        r = a.cli("queue", "delete", "999", check=False)
        assert r.returncode == 1 and b"no queue entry" in r.stderr
        assert a.cli("queue", "bogus", check=False).returncode == 2
        # route to a live peer, then flush: held entries stay until release
        with open(a.conf) as f:
            conf = f.read()
        a.stop()
        with open(a.conf, "w") as f:
            f.write(conf.replace(f"127.0.0.1:{port}", f"127.0.0.1:{p.port}"))
        a.start()
        a.cli("queue", "flush")
        time.sleep(2.5)
        assert p.messages == [] and a.queue_rows()[0] == 1
        a.cli("queue", "release", ids[0])
        a.cli("queue", "flush", ids[0])
        assert wait_until(lambda: p.messages, timeout=10), a.log_text()[-3000:]
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        p.close()
        finish(a)
