# test_queue_postfix.py: interop with Postfix (Debian) in both directions:
# buzon's queue relays to a private Postfix that delivers to a Maildir, and
# a private Postfix relays into buzon's MX port.
# SPDX-License-Identifier: MIT
"""The Postfix instance is private: its own config, queue, data and mail
directories in a temp dir, one smtpd on a free loopback port, pf.test
delivered by virtual(8) to a Maildir, everything else relayed to buzon
(relayhost = [127.0.0.1]:buzon's MX port).  Needs the postfix binary and
root (master(8) drops to its own users); skipped otherwise."""
import glob
import os
import shutil
import socket
import subprocess
import time

import pytest

from buzon import Server, free_port, split_trace, traversable
from conftest import finish, populate
from smtpraw import send_mail, wait_until
from test_queue import body_for, queue_empty, submit

MAILUSER = "nobody"  # virtual(8) delivers as this uid

pytestmark = [
    pytest.mark.skipif(shutil.which("postfix") is None or shutil.which("postconf") is None,
                       reason="Postfix is not installed (Debian package postfix)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a private Postfix needs root"),
]


def postconf(*args):
    subprocess.run(["postconf"] + list(args), check=True, capture_output=True)


class Postfix:
    def __init__(self, root, relay_port):
        import pwd
        pw = pwd.getpwnam(MAILUSER)
        self.root = str(root)
        self.port = free_port()
        etc, self.mail = f"{self.root}/etc", f"{self.root}/mail"
        self.etc = etc
        for d in ("etc", "queue", "data", "mail", "log"):
            os.makedirs(f"{self.root}/{d}", exist_ok=True)
        traversable(self.mail)
        subprocess.run(["cp", "-a", "/etc/postfix/.", etc + "/"], check=True)
        os.chown(self.mail, pw.pw_uid, pw.pw_gid)
        # master(8) keeps its lock in data_directory as mail_owner
        owner = subprocess.run(["postconf", "-h", "mail_owner"], check=True,
                               capture_output=True, text=True).stdout.strip()
        shutil.chown(f"{self.root}/data", user=owner)
        if os.path.lexists(f"{etc}/makedefs.out"):
            os.unlink(f"{etc}/makedefs.out")
        with open(f"{etc}/vmailbox", "w") as f:
            f.write("u1@pf.test pf.test/u1/\n")
        postconf("-c", etc, "-e",
                 f"config_directory = {etc}",
                 f"queue_directory = {self.root}/queue",
                 f"data_directory = {self.root}/data",
                 "myhostname = postfix.pf.test",
                 "mydestination =",
                 "myorigin = $myhostname",
                 "alias_maps =", "alias_database =",
                 "inet_interfaces = 127.0.0.1",
                 "inet_protocols = ipv4",
                 "mynetworks = 127.0.0.0/8",
                 f"relayhost = [127.0.0.1]:{relay_port}",
                 # Debian's main.cf may say "error" (local-only setups)
                 "default_transport = smtp",
                 "relay_transport = relay",
                 "smtp_tls_security_level = may",
                 "virtual_mailbox_domains = pf.test",
                 f"virtual_mailbox_base = {self.mail}",
                 f"virtual_mailbox_maps = hash:{etc}/vmailbox",
                 f"virtual_uid_maps = static:{pw.pw_uid}",
                 f"virtual_gid_maps = static:{pw.pw_gid}",
                 "virtual_mailbox_limit = 0",
                 "message_size_limit = 10485760",
                 "smtpd_forbid_bare_newline = yes",
                 "syslog_name = postfix-buzon-test",
                 f"maillog_file_prefixes = /var, /dev/stdout, {self.root}/log",
                 f"maillog_file = {self.root}/log/maillog")
        subprocess.run(["postmap", f"{etc}/vmailbox"], check=True)
        # no chroot (the private queue has no /etc copies); the public
        # smtpd is replaced by one on our port
        postconf("-c", etc, "-F", "*/*/chroot = n")
        postconf("-c", etc, "-X", "-M", "smtp/inet")
        postconf("-c", etc, "-M",
                 f"127.0.0.1:{self.port}/inet = 127.0.0.1:{self.port} inet n - n - - smtpd")
        r = subprocess.run(["postfix", "-c", etc, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"postfix start: {r.stdout}{r.stderr}{self.log()}")
        self.up = True
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "postfix not listening\n" + self.log()
                time.sleep(0.05)

    def log(self):
        try:
            with open(f"{self.root}/log/maillog", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def maildir(self):
        out = []
        for p in sorted(glob.glob(f"{self.mail}/pf.test/u1/new/*")):
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        if self.up:
            subprocess.run(["postfix", "-c", self.etc, "stop"], capture_output=True)
            self.up = False


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(buzon, postfix): buzon routes pf.test to Postfix, Postfix relays
    everything else to buzon's MX port."""
    b = Server(tmp_path_factory.mktemp("pfbuzon"), name="pfbuzon",
               relay="[routes]\npf.test = 127.0.0.1:{PFPORT}\n"
                     "[queue]\nretry = 1s\nretry_max = 2s\n")
    pf = Postfix(tmp_path_factory.mktemp("postfix"), b.smtp_port)
    with open(b.conf) as f:
        conf = f.read()
    with open(b.conf, "w") as f:
        f.write(conf.replace("{PFPORT}", str(pf.port)))
    populate(b)
    try:
        b.start()
    except Exception:
        pf.stop()
        raise
    yield b, pf
    pf.stop()
    finish(b)


def test_buzon_relays_to_postfix_maildir(pair):
    b, pf = pair
    body = body_for("topf", to="u1@pf.test")
    submit(b, ["u1@pf.test"], body)
    assert wait_until(pf.maildir, timeout=20), b.log_text()[-3000:] + pf.log()
    msgs = pf.maildir()
    assert len(msgs) == 1
    got = msgs[0]
    # Postfix's Maildir has LF line ends; what buzon sent follows the trace
    # fields (Return-Path, Delivered-To, Postfix's and buzon's Received)
    fields = split_trace(got, body)
    names = [f.split(":", 1)[0].lower() for f in fields]
    assert names == ["return-path", "x-original-to", "delivered-to", "received",
                     "received"], fields
    assert fields[0] == "Return-Path: <alice@example.test>"
    assert fields[2] == "Delivered-To: u1@pf.test"
    assert "by postfix.pf.test" in fields[3], fields
    assert "by mx.example.test" in fields[4], fields
    assert b"\n.leading dot\n" in got  # dot-stuffing undone by Postfix
    assert wait_until(lambda: queue_empty(b), timeout=10)
    assert "status=sent" in pf.log(), pf.log()


def test_postfix_relays_into_buzon_mx(pair):
    b, pf = pair
    body = (b"From: Someone <someone@pf.test>\r\nTo: <bob@example.test>\r\n"
            b"Subject: from postfix\r\nMessage-ID: <frompf1@pf.test>\r\n"
            b"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n"
            b"hello frompf1\r\n.leading dot\r\n\r\nend\r\n")
    r = send_mail(pf.port, "someone@pf.test", ["bob@example.test"], body)
    assert r.code == 250, r
    assert wait_until(lambda: b.export("bob@example.test"), timeout=20), \
        b.log_text()[-3000:] + pf.log()
    msg = b.export("bob@example.test")[0][1]
    fields = split_trace(msg, body)
    names = [f.split(":", 1)[0].lower() for f in fields]
    # buzon's trace on top; Postfix added its own Received
    assert names[0] == "return-path" and "received" in names[1:], fields
    assert fields[0] == "Return-Path: <someone@pf.test>"
    assert any("postfix.pf.test" in f for f in fields[1:]), fields
