# test_pop3_fetchmail.py: a real client (fetchmail) downloads over STLS, in
# keep mode (UIDL tracking) and in delete mode.
# SPDX-License-Identifier: MIT
import os
import shutil
import subprocess
import uuid

import pytest

from pop3raw import fresh_user, message, session, smtp_deliver
from pop3raw import pop3_strict  # noqa: F401  (fixture)


class Fetchmail:
    """One fetchmail configuration (its own HOME, rcfile, idfile and
    output directory, where the MDA writes each message to a file)."""

    def __init__(self, srv, addr, pw, keep):
        self.dir = os.path.join(srv.dir, "fm-" + uuid.uuid4().hex[:8])
        self.out = os.path.join(self.dir, "out")
        os.makedirs(self.out)
        mda = os.path.join(self.dir, "mda.sh")
        with open(mda, "w") as f:
            f.write(f'#!/bin/sh\nexec cat > "$(mktemp {self.out}/m.XXXXXXXX)"\n')
        os.chmod(mda, 0o755)
        self.rc = os.path.join(self.dir, "fetchmailrc")
        with open(self.rc, "w") as f:
            f.write(f"""set no syslog
set invisible
poll 127.0.0.1 with proto POP3 port {srv.pop3_port} uidl timeout 30
  user "{addr}" there with password "{pw}" is "root" here
  sslproto "TLS1.2+" no sslcertck
  {"keep" if keep else "no keep"} no rewrite
  mda "{mda}"
""")
        os.chmod(self.rc, 0o600)
        self.seen = set()

    def run(self):
        """Run once; returns (exit status, output, [new messages])."""
        env = dict(os.environ, HOME=self.dir)
        r = subprocess.run(
            ["fetchmail", "-f", self.rc, "-i", os.path.join(self.dir, "ids"),
             "--pidfile", os.path.join(self.dir, "pid"), "-v", "--nodetach"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            timeout=120)
        new = []
        for name in sorted(os.listdir(self.out)):
            if name not in self.seen:
                self.seen.add(name)
                with open(os.path.join(self.out, name), "rb") as f:
                    new.append(f.read())
        return r.returncode, r.stdout.decode("utf-8", "replace"), new


def retr_all(srv, addr, pw):
    with session(srv.pop3_port, addr, pw, stls=True) as c:
        got = [c.retr(n) for n in sorted(c.scan_list())]
        c.quit()
    return got


def lf(b):
    return b.replace(b"\r\n", b"\n")


@pytest.fixture(scope="module", autouse=True)
def have_fetchmail():
    assert shutil.which("fetchmail"), "fetchmail not installed (make deps)"


def sent(n, tag):
    return [message(f"{tag}{i}-{uuid.uuid4().hex}",
                    body=b".dot line\r\n\xc3\xa9t\xc3\xa9\r\nend\r\n")
            for i in range(n)]


def test_fetchmail_keep(pop3_strict):
    addr, pw, _ = fresh_user(pop3_strict)
    msgs = sent(3, "keep")
    smtp_deliver(pop3_strict, addr, msgs)
    stored = retr_all(pop3_strict, addr, pw)
    assert len(stored) == 3 and all(s.endswith(m) for s, m in zip(stored, msgs))
    fm = Fetchmail(pop3_strict, addr, pw, keep=True)
    rc, out, new = fm.run()
    assert rc == 0, out
    assert "STLS" in out, out
    assert sorted(new) == sorted(lf(s) for s in stored), out
    assert retr_all(pop3_strict, addr, pw) == stored  # kept on the server
    # UIDL tracking: nothing new the second time ...
    rc, out, new = fm.run()
    assert rc == 1 and new == [], out
    # ... and only the new message after another delivery
    more = sent(1, "more")
    smtp_deliver(pop3_strict, addr, more)
    rc, out, new = fm.run()
    assert rc == 0 and len(new) == 1 and new[0].endswith(lf(more[0])), out


def test_fetchmail_delete(pop3_strict):
    addr, pw, _ = fresh_user(pop3_strict)
    msgs = sent(4, "del")
    smtp_deliver(pop3_strict, addr, msgs)
    stored = retr_all(pop3_strict, addr, pw)
    fm = Fetchmail(pop3_strict, addr, pw, keep=False)
    rc, out, new = fm.run()
    assert rc == 0, out
    assert sorted(new) == sorted(lf(s) for s in stored), out
    for m in msgs:
        assert sum(n.endswith(lf(m)) for n in new) == 1
    assert retr_all(pop3_strict, addr, pw) == []
    assert pop3_strict.export(addr) == []
    rc, out, new = fm.run()
    assert rc == 1 and new == [], out
