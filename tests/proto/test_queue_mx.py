# test_queue_mx.py: the queue runner's MX path (RFC 5321 5.1, RFC 7505)
# against tests/lib/dnsd.py: preference order and fallback, equal
# preferences spread, implicit MX, null MX, NXDOMAIN, SERVFAIL.
# SPDX-License-Identifier: MIT
"""No [routes] here: every destination is found through DNS.  MX hosts
are fake peers on 127.0.0.N (Linux answers the whole of 127/8), all on
one port given to buzon as `[relay] mx_port` (25 outside tests)."""
import os
import subprocess
import sys

import pytest

from buzon import Server
from conftest import finish, populate
from fakepeer import FakePeer
from smtpraw import wait_until
from test_queue import body_for, dsn_fields, dsns, queue_empty, submit

HERE = os.path.dirname(os.path.abspath(__file__))
DNSD = os.path.join(HERE, "..", "lib", "dnsd.py")

# "example." is not one of libunbound's built-in local zones ("test." is).
ZONE = """
example. SOA
pref.example. MX 20 mx2.pref.example.
pref.example. MX 10 mx1.pref.example.
mx1.pref.example. A 127.0.0.2
mx2.pref.example. A 127.0.0.3
# the best MX refuses connections
down.example. MX 10 mx1.down.example.
down.example. MX 20 mx2.down.example.
mx1.down.example. A 127.0.0.4
mx2.down.example. A 127.0.0.5
# the best MX greets with 421
busy.example. MX 10 mx1.busy.example.
busy.example. MX 20 mx2.busy.example.
mx1.busy.example. A 127.0.0.6
mx2.busy.example. A 127.0.0.7
# every MX is down
alldown.example. MX 10 mx1.alldown.example.
alldown.example. MX 20 mx2.alldown.example.
mx1.alldown.example. A 127.0.0.12
mx2.alldown.example. A 127.0.0.13
# eq0.example ... eq11.example: two MX hosts of equal preference
a.equal.example. A 127.0.0.8
b.equal.example. A 127.0.0.9
# no MX: the domain's own address (RFC 5321 5.1 implicit MX)
implicit.example. A 127.0.0.10
implicit.example. TXT no-mx-here
# RFC 7505 null MX: the domain takes no mail
nullmx.example. A 127.0.0.11
nullmx.example. MX 0 .
sf.example. SERVFAIL
""" + "".join(f"eq{i}.example. MX 10 a.equal.example.\n"
              f"eq{i}.example. MX 10 b.equal.example.\n" for i in range(12))


@pytest.fixture(scope="module")
def dnsd(tmp_path_factory):
    d = tmp_path_factory.mktemp("dnsd")
    zone, log = d / "zone", d / "queries"
    zone.write_text(ZONE)
    p = subprocess.Popen([sys.executable, DNSD, "--zone", str(zone), "--log", str(log)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    port = int(p.stdout.readline())
    yield port, log
    p.stdin.close()  # dnsd exits at end of stdin
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class Peers:
    """Fake MX hosts on 127.0.0.N sharing one port."""

    def __init__(self):
        self.port = 0
        self.all = []

    def at(self, ip, **kw):
        p = FakePeer(host=ip, port=self.port, **kw)
        self.port = p.port
        self.all.append(p)
        return p

    def close(self):
        for p in self.all:
            p.close()


@pytest.fixture
def peers():
    ps = Peers()
    yield ps
    ps.close()


def start(tmp_path_factory, name, dnsd, port, queue="retry = 1s\nretry_max = 2s\n"):
    if port == 0:  # no peer needed: any closed port
        port = 1
    srv = Server(tmp_path_factory.mktemp(name), name=name,
                 relay=f"[relay]\nresolver = 127.0.0.1:{dnsd[0]}\nmx_port = {port}\n"
                       f"[queue]\n{queue}")
    populate(srv)
    srv.start()
    return srv


def delivered(peer, marker):
    return [m for m in peer.messages if f"hello {marker}\r\n".encode() in m[2]]


def test_lowest_preference_first(tmp_path_factory, dnsd, peers):
    mx1, mx2 = peers.at("127.0.0.2"), peers.at("127.0.0.3")
    a = start(tmp_path_factory, "mxpref", dnsd, peers.port)
    try:
        for i in range(2):
            submit(a, [f"u{i}@pref.example"], body_for(f"pref{i}", to=f"u{i}@pref.example"))
            assert wait_until(lambda: delivered(mx1, f"pref{i}"), timeout=10), \
                a.log_text()[-3000:]
        assert mx2.connections == 0
        mail, rcpts, data, _ = mx1.messages[0]
        assert mail.startswith("MAIL FROM:<alice@example.test>")
        assert rcpts[0].startswith("RCPT TO:<u0@pref.example>")
        assert b"\r\n.leading dot\r\n" in data
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert "dest=mx:pref.example resolved status=ok addrs=2" in a.log_text()
    finally:
        finish(a)


@pytest.mark.parametrize("domain,first", [("down", "refused"), ("busy", "421")])
def test_failing_best_mx_falls_back_to_next(tmp_path_factory, dnsd, peers, domain, first):
    ip1, ip2 = {"down": ("127.0.0.4", "127.0.0.5"),
                "busy": ("127.0.0.6", "127.0.0.7")}[domain]
    mx2 = peers.at(ip2)
    mx1 = None
    if first == "421":
        mx1 = peers.at(ip1, greeting="421 4.3.2 too busy, try another MX")
    a = start(tmp_path_factory, f"mx{domain}", dnsd, peers.port)
    try:
        rcpt = f"x@{domain}.example"
        submit(a, [rcpt], body_for(f"fb{domain}", to=rcpt))
        assert wait_until(lambda: delivered(mx2, f"fb{domain}"), timeout=10), \
            a.log_text()[-3000:]
        log = a.log_text()
        if mx1 is None:
            assert f"connect to mx1.{domain}.example[{ip1}]:{peers.port}: " \
                   "Connection refused" in log, log[-3000:]
        else:
            assert mx1.connections == 1 and mx1.commands == []
            assert f"host=mx1.{domain}.example session failed: 421" in log, log[-3000:]
        # one attempt, not a retry: the fallback happened at once
        assert f"host=mx2.{domain}.example" in log
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert dsns(a, "alice@example.test") == []
    finally:
        finish(a)


def test_every_mx_down_is_one_failed_attempt(tmp_path_factory, dnsd):
    # nothing on 127.0.0.12/13: both tried in order, then deferred
    a = start(tmp_path_factory, "mxall", dnsd, 0, queue="retry = 1h\n")
    try:
        submit(a, ["x@alldown.example"], body_for("all1", to="x@alldown.example"))
        assert wait_until(lambda: "deferred=1" in a.log_text(), timeout=10), \
            a.log_text()[-3000:]
        log = a.log_text()
        i1 = log.find("connect to mx1.alldown.example[127.0.0.12]:1: Connection refused")
        i2 = log.find("connect to mx2.alldown.example[127.0.0.13]:1: Connection refused")
        assert 0 <= i1 < i2, log[-3000:]
        out = a.cli("queue", "list").stdout.decode()
        assert "attempts=1" in out and "<x@alldown.example> pending" in out, out
        assert dsns(a, "alice@example.test") == []
    finally:
        finish(a)


def test_equal_preferences_spread(tmp_path_factory, dnsd, peers):
    # one message per domain, all queued at once: every domain is routed
    # on its own, each with its own random order of the two hosts
    ea, eb = peers.at("127.0.0.8"), peers.at("127.0.0.9")
    a = start(tmp_path_factory, "mxequal", dnsd, peers.port)
    n = 12  # all on one host by chance: 2 * 2**-12
    try:
        for i in range(n):
            rcpt = f"e{i}@eq{i}.example"
            submit(a, [rcpt], body_for(f"eq{i}", to=rcpt))
        assert wait_until(lambda: len(ea.messages) + len(eb.messages) == n,
                          timeout=15), a.log_text()[-3000:]
        for i in range(n):
            assert len(delivered(ea, f"eq{i}") + delivered(eb, f"eq{i}")) == 1
        assert ea.messages and eb.messages, (len(ea.messages), len(eb.messages))
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        finish(a)


def test_implicit_mx(tmp_path_factory, dnsd, peers):
    host = peers.at("127.0.0.10")
    a = start(tmp_path_factory, "mximplicit", dnsd, peers.port)
    try:
        submit(a, ["x@implicit.example"], body_for("imp1", to="x@implicit.example"))
        assert wait_until(lambda: delivered(host, "imp1"), timeout=10), \
            a.log_text()[-3000:]
        assert "host=implicit.example addr=127.0.0.10" in a.log_text()
        assert wait_until(lambda: queue_empty(a), timeout=10)
    finally:
        finish(a)


def one_dsn(a):
    assert wait_until(lambda: dsns(a, "alice@example.test"), timeout=10), \
        a.log_text()[-3000:]
    got = dsns(a, "alice@example.test")
    assert len(got) == 1
    return dsn_fields(got[0])[1]


def test_null_mx_bounces_at_once(tmp_path_factory, dnsd, peers):
    # the domain has an address with a listening peer: never used
    host = peers.at("127.0.0.11")
    ok = peers.at("127.0.0.2")
    a = start(tmp_path_factory, "mxnull", dnsd, peers.port)
    try:
        body = body_for("null1", to="x@nullmx.example")
        submit(a, ["x@nullmx.example", "y@pref.example"], body)
        rcpts = one_dsn(a)
        assert len(rcpts) == 1, rcpts
        r = rcpts[0]
        assert r["Final-Recipient"] == "rfc822; x@nullmx.example"
        assert r["Action"] == "failed"
        # RFC 7505 3: 556 with 5.1.10 (recipient domain has a null MX)
        assert r["Status"] == "5.1.10"
        assert r["Diagnostic-Code"].startswith("smtp; 556 ")
        assert "null MX" in r["Diagnostic-Code"]
        assert "Remote-MTA" not in r
        assert wait_until(lambda: delivered(ok, "null1"), timeout=10)
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert host.connections == 0
        assert a.log_text().count("resolved status=null-mx") == 1
    finally:
        finish(a)


def test_nxdomain_bounces(tmp_path_factory, dnsd):
    a = start(tmp_path_factory, "mxnx", dnsd, 0)
    try:
        submit(a, ["x@nx.example"], body_for("nx1", to="x@nx.example"))
        r = one_dsn(a)[0]
        assert r["Final-Recipient"] == "rfc822; x@nx.example"
        assert r["Action"] == "failed"
        assert r["Status"] == "5.1.2"
        assert "nx.example" in r["Diagnostic-Code"]
        assert wait_until(lambda: queue_empty(a), timeout=10)
        assert "resolved status=nxdomain" in a.log_text()
    finally:
        finish(a)


def test_servfail_is_retried(tmp_path_factory, dnsd):
    a = start(tmp_path_factory, "mxsf", dnsd, 0, queue="retry = 1s\nretry_max = 1s\n")
    try:
        submit(a, ["x@sf.example"], body_for("sf1", to="x@sf.example"))
        assert wait_until(lambda: a.log_text().count("resolved status=tempfail") >= 2,
                          timeout=20), a.log_text()[-3000:]
        out = a.cli("queue", "list").stdout.decode()
        assert "<x@sf.example> pending" in out, out
        assert "sf.example" in out and "attempts=" in out, out
        assert a.queue_rows()[0] == 1
        assert dsns(a, "alice@example.test") == []
        with open(dnsd[1]) as f:
            assert "sf.example. MX\n" in f.read()
    finally:
        finish(a)
