# test_imap_clients.py: real IMAP clients against buzon over IMAPS: mbsync
# (isync) and offlineimap synchronise a mailbox both ways (new mail, flag
# changes, deletions, folder creation, checked on both sides), mutt reads a
# message under tmux.
# SPDX-License-Identifier: MIT
import email
import email.policy
import glob
import hashlib
import imaplib
import os
import re
import shutil
import ssl
import subprocess
import time
import uuid

import pytest

from imapraw import imap_server  # noqa: F401  (fixture)
from imapraw import quote, tls_context
from pop3raw import fresh_user, message, smtp_deliver

# Maildir info letters (https://cr.yp.to/proto/maildir.html) and the
# IMAP system flags they stand for.
MAILDIR_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
                 "S": "\\Seen", "T": "\\Deleted"}
# Mailboxes every new account has (SPECIAL-USE, issue #4).
SPECIAL = {"Sent", "Drafts", "Trash", "Junk", "Archive"}


def need(tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (make deps installs it)")


def server_cert(srv):
    """Path of the self-signed certificate buzon made in its data dir."""
    certs = glob.glob(os.path.join(srv.data, "tls", "*.crt"))
    assert len(certs) == 1, f"expected one certificate in data/tls: {certs}"
    return certs[0]


def workdir(srv, name):
    d = os.path.join(srv.dir, f"{name}-{uuid.uuid4().hex[:8]}")
    os.makedirs(d)
    return d


def subject_of(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    return str(msg["Subject"])


# ---------------------------------------------------------------- server side


class Imap:
    """An imaplib session over IMAPS, the independent checker."""

    def __init__(self, srv, addr, pw):
        self.c = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port,
                                   ssl_context=tls_context(), timeout=30)
        self.ok(self.c.login(addr, pw))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.c.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    @staticmethod
    def ok(r):
        typ, data = r
        assert typ == "OK", f"{typ} {data}"
        return data

    def mailboxes(self):
        names = []
        for line in self.ok(self.c.list('""', "*")):
            m = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) (.*)$', line)
            assert m, line
            name = m.group(2).decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if "\\noselect" not in m.group(1).decode().lower():
                names.append(name)
        return names

    def state(self, mailbox):
        """{subject: set of flags} of a mailbox (EXAMINE: changes nothing)."""
        self.ok(self.c.select(quote(mailbox), readonly=True))
        typ, data = self.c.uid("FETCH", "1:*",
                               "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK", data
        out = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            flags = set(imaplib.ParseFlags(item[0]))
            flags = {f.decode() for f in flags} - {"\\Recent"}
            subj = subject_of(item[1])
            assert subj not in out, f"{subj} twice in {mailbox}"
            out[subj] = flags
        self.c.close()
        return out

    def everything(self):
        """{mailbox: {subject: flags}} of every selectable mailbox."""
        return {mb: self.state(mb) for mb in self.mailboxes()}

    def uid_of(self, mailbox, subj):
        self.ok(self.c.select(quote(mailbox)))
        data = self.ok(self.c.uid("SEARCH", "HEADER", "Subject",
                                  quote(subj)))
        uids = data[0].split()
        assert len(uids) == 1, f"{subj} in {mailbox}: {data}"
        return uids[0].decode()

    def store(self, mailbox, subj, how, flags):
        uid = self.uid_of(mailbox, subj)
        self.ok(self.c.uid("STORE", uid, how, flags))
        self.c.close()

    def delete(self, mailbox, subj):
        uid = self.uid_of(mailbox, subj)
        self.ok(self.c.uid("STORE", uid, "+FLAGS", "(\\Deleted)"))
        self.ok(self.c.expunge())
        self.c.close()

    def append(self, mailbox, raw, flags=""):
        self.ok(self.c.append(quote(mailbox), flags, None, raw))


# ---------------------------------------------------------------- client side


def maildir_state(path):
    """{subject: flags} of one Maildir (cur/ and new/); messages marked
    trashed (T) count as deleted."""
    out = {}
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(path, sub)):
            info = name.split(":2,", 1)[1] if ":2," in name else ""
            flags = {MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS}
            if "\\Deleted" in flags:
                continue
            with open(os.path.join(path, sub, name), "rb") as f:
                subj = subject_of(f.read())
            assert subj not in out, f"{subj} twice in {path}"
            out[subj] = flags
    return out


def maildir_find(path, subj):
    """Path of the message file with this Subject in a Maildir."""
    for sub in ("cur", "new"):
        for name in os.listdir(os.path.join(path, sub)):
            p = os.path.join(path, sub, name)
            with open(p, "rb") as f:
                if subject_of(f.read()) == subj:
                    return p
    raise AssertionError(f"{subj} not in {path}")


def maildir_set_flags(path, subj, letters):
    """Give the message the Maildir flags letters (moved to cur/)."""
    p = maildir_find(path, subj)
    name = os.path.basename(p).split(":2,", 1)[0]
    dest = os.path.join(path, "cur", name + ":2," + "".join(sorted(letters)))
    os.rename(p, dest)


def maildir_add(path, raw, letters=""):
    """Deliver raw into a Maildir (made when missing) as a client would."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    name = f"{int(time.time())}.{uuid.uuid4().hex}.test"
    tmp = os.path.join(path, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(raw.replace(b"\r\n", b"\n"))
    if letters:
        os.rename(tmp, os.path.join(path, "cur", name + ":2," + letters))
    else:
        os.rename(tmp, os.path.join(path, "new", name))


def run(args, env_home, timeout=120):
    env = dict(os.environ, HOME=env_home)
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, timeout=timeout)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, f"{args[0]} exited {r.returncode}:\n{out[-6000:]}"
    return out


# ---------------------------------------------------------------- the scenario


def subjects(tag, n):
    return [f"{tag}-{i}-{uuid.uuid4().hex[:8]}" for i in range(n)]


def two_way_sync(srv, configure, sync, local_box):
    """The scenario both synchronisers go through.  configure(addr, pw)
    writes the client's configuration for a fresh account, sync() runs the
    client once, local_box(name) is the Maildir path of mailbox name.
    1. server: 4 messages in INBOX (SMTP), a folder Projects with one;
       sync; the client side has them all, with their flags.
    2. both sides change: on the server one new message, \\Flagged on
       one, one deleted; on the client \\Seen+\\Flagged on another, one
       deleted, one new message and a new folder Local with a message;
       sync; both sides hold the same, as expected.
    3. sync again: nothing changes."""
    addr, pw, _ = fresh_user(srv)
    configure(addr, pw)
    inbox = subjects("in", 4)
    smtp_deliver(srv, addr, [message(s) for s in inbox])
    proj = subjects("proj", 1)
    with Imap(srv, addr, pw) as c:
        c.ok(c.c.create("Projects"))
        c.append("Projects", message(proj[0]), "(\\Answered)")
    sync()
    want = {"INBOX": {s: set() for s in inbox},
            "Projects": {proj[0]: {"\\Answered"}}}
    for mb, msgs in want.items():
        assert maildir_state(local_box(mb)) == msgs, mb

    # 2: changes on both sides
    srv_new, cli_new, local_msg = subjects("srvnew", 1), subjects("clinew", 1), \
        subjects("local", 1)
    smtp_deliver(srv, addr, [message(srv_new[0])])
    with Imap(srv, addr, pw) as c:
        c.store("INBOX", inbox[0], "+FLAGS", "(\\Flagged)")
        c.delete("INBOX", inbox[1])
    maildir_set_flags(local_box("INBOX"), inbox[2], "FS")
    os.unlink(maildir_find(local_box("INBOX"), inbox[3]))
    maildir_add(local_box("INBOX"), message(cli_new[0]), "S")
    maildir_add(local_box("Local"), message(local_msg[0]))
    sync()
    want = {"INBOX": {inbox[0]: {"\\Flagged"}, inbox[2]: {"\\Flagged", "\\Seen"},
                      srv_new[0]: set(), cli_new[0]: {"\\Seen"}},
            "Projects": {proj[0]: {"\\Answered"}},
            "Local": {local_msg[0]: set()}}
    with Imap(srv, addr, pw) as c:
        on_server = c.everything()
    for mb, msgs in want.items():
        assert on_server.get(mb) == msgs, f"server {mb}: {on_server.get(mb)}"
        assert maildir_state(local_box(mb)) == msgs, f"client {mb}"
    extra = set(on_server) - set(want) - SPECIAL
    assert not extra, f"unexpected mailboxes on the server: {extra}"

    # 3: a sync without changes changes nothing
    sync()
    with Imap(srv, addr, pw) as c:
        assert c.everything() == on_server
    for mb, msgs in want.items():
        assert maildir_state(local_box(mb)) == msgs, f"client {mb}"


def client_dirs(srv, name):
    """A client's HOME, its Maildir root and its configuration file."""
    d = workdir(srv, name)
    mail = os.path.join(d, "mail")
    os.makedirs(mail)
    return d, mail, os.path.join(d, name + "rc")


def test_mbsync_two_way(imap_server):
    need("mbsync")
    srv = imap_server
    d, mail, rc = client_dirs(srv, "mbsync")

    def configure(addr, pw):
        # mbsync trusts a self-signed certificate only when it is given
        # as is (CertificateFile), system CAs off
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount buzon
Host 127.0.0.1
Port {srv.imaps_port}
User {addr}
Pass {pw}
SSLType IMAPS
CertificateFile {server_cert(srv)}
SystemCertificates no

IMAPStore far
Account buzon

MaildirStore near
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel all
Far :far:
Near :near:
Patterns *
Create Both
Expunge Both
SyncState *
""")

    def sync():
        run(["mbsync", "-c", rc, "-a"], d)

    two_way_sync(srv, configure, sync, lambda name: os.path.join(mail, name))


def cert_sha256(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def test_offlineimap_two_way(imap_server):
    need("offlineimap")
    srv = imap_server
    d, mail, rc = client_dirs(srv, "offlineimap")

    def configure(addr, pw):
        # the self-signed certificate is pinned by its fingerprint
        with open(rc, "w") as f:
            f.write(f"""[general]
accounts = buzon
metadata = {d}/meta

[Account buzon]
localrepository = near
remoterepository = far

[Repository near]
type = Maildir
localfolders = {mail}

[Repository far]
type = IMAP
remotehost = 127.0.0.1
remoteport = {srv.imaps_port}
remoteuser = {addr}
remotepass = {pw}
ssl = yes
cert_fingerprint = {cert_sha256(server_cert(srv))}
""")

    def sync():
        out = run(["offlineimap", "-c", rc, "-o", "-u", "basic"], d)
        assert "ERROR" not in out, out

    two_way_sync(srv, configure, sync, lambda name: os.path.join(mail, name))


# ---------------------------------------------------------------- mutt


class Tmux:
    """A private tmux server (its own socket) running one command."""

    def __init__(self, d, cmd, env):
        need("tmux")
        self.sock = os.path.join(d, "tmux.sock")
        self.env = env
        self.tmux("new-session", "-d", "-x", "150", "-y", "40", cmd)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=self.env, timeout=20, check=True)

    def screen(self):
        return self.tmux("capture-pane", "-p").stdout.decode("utf-8", "replace")

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def wait(self, pattern, timeout=30, answer=None):
        """Wait until the screen matches pattern (a regex); while waiting,
        answer maps a regex of a prompt to the keys that answer it."""
        deadline = time.monotonic() + timeout
        answered = set()
        while True:
            s = self.screen()
            if re.search(pattern, s):
                return s
            for prompt, key in (answer or {}).items():
                if prompt not in answered and re.search(prompt, s):
                    self.keys(key)
                    answered.add(prompt)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} on the screen:\n{s}")
            time.sleep(0.2)

    def alive(self):
        return subprocess.run(["tmux", "-S", self.sock, "has-session"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=self.env,
                              timeout=20).returncode == 0

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=self.env, timeout=20)


def test_mutt_reads_over_imaps(imap_server):
    need("mutt")
    need("tmux")
    srv = imap_server
    addr, pw, _ = fresh_user(srv)
    subj = f"mutt-{uuid.uuid4().hex[:10]}"
    body_mark = f"body-{uuid.uuid4().hex[:10]}"
    smtp_deliver(srv, addr, [message(subj, body=f"Hello,\r\n{body_mark}\r\n".encode())])
    d = workdir(srv, "mutt")
    with open(os.path.join(d, "muttrc"), "w") as f:
        f.write(f"""set imap_user="{addr}"
set imap_pass="{pw}"
set folder="imaps://127.0.0.1:{srv.imaps_port}/"
set spoolfile="+INBOX"
set certificate_file="{server_cert(srv)}"
set ssl_verify_host=no
set ssl_force_tls=yes
set record=""
set postponed=""
set header_cache=""
set move=no
set quit=yes
set mark_old=no
set beep=no
set imap_check_subscribed=no
set pager_stop=yes
set wait_key=no
""")
    env = dict(os.environ, HOME=d, TERM="xterm", LANG="C.UTF-8")
    t = Tmux(d, f"mutt -n -F {d}/muttrc", env)
    try:
        # a certificate not signed by a known CA is trusted when it is the
        # one in certificate_file; should mutt still ask, accept it once
        prompts = {r"\(r\)eject, accept \(o\)nce": "o"}
        index = t.wait(re.escape(subj), answer=prompts)
        assert addr.split("@")[0] in index or "INBOX" in index, index
        t.keys("Enter")
        page = t.wait(re.escape(body_mark))
        assert subj in page, page
        t.keys("q")
        t.wait(re.escape(subj))
        t.keys("q")
        # quit=yes: mutt syncs the mailbox (the \Seen flag) and exits
        deadline = time.monotonic() + 20
        while t.alive():
            assert time.monotonic() < deadline, t.screen()
            time.sleep(0.2)
    finally:
        t.close()
    with Imap(srv, addr, pw) as c:
        assert c.state("INBOX") == {subj: {"\\Seen"}}
