# buzon.py: start the real buzon binary on free ports and drive its CLI.
# SPDX-License-Identifier: MIT
"""Helpers shared by the protocol suites (imported by conftest.py).

Server owns one temp directory holding buzon.conf and the data dir, runs
`buzon -c CONF serve` with stderr captured to a log file, and offers the
admin CLI (user/alias/export/import) plus a read-only view of the outbound
queue in data_dir/store.db.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOSTNAME = "mx.example.test"
MAX_SIZE = 10 * 1024 * 1024
# Outbound mail of servers that do not test relaying goes to a port where
# nothing listens: every attempt is deferred and entries stay queued.
DEAD_RELAY = "[relay]\nsmarthost = 127.0.0.1:1\n"
LIVE = []  # servers currently running (their logs are shown on failure)


def buzon_bin():
    return os.environ.get("BUZON_BIN") or os.path.join(REPO, "build/asan/buzon")


_ports_given = set()


def free_port():
    """A port nothing listens on, never the same twice in this process
    (the kernel may hand a just-closed port out again, and a server with
    several listeners asks for several in a row)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def run(args, input=None, cwd=None, timeout=30, env=None):
    """Run buzon with args; returns CompletedProcess with bytes output."""
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run(
        [buzon_bin()] + list(args),
        input=input,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )


def traversable(path):
    """Run as root, `buzon serve` drops to an unprivileged user that must
    still reach the data dir: pytest makes its temp dirs 0700, so open
    the search (x) bit on every ancestor up to the system temp dir."""
    if os.geteuid() != 0:
        return
    p = os.path.abspath(path)
    while p not in ("/", "/tmp"):
        st = os.stat(p)
        os.chmod(p, st.st_mode | 0o711)
        p = os.path.dirname(p)


SANITIZER_MARKS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer",
                   b"runtime error:", b"SUMMARY: UndefinedBehaviorSanitizer")


class Server:
    """One buzon instance in its own directory (config + data)."""

    def __init__(self, tmpdir, name="buzon", smtp_extra="", extra="",
                 pop3=False, pop3_extra="", imap=False, imap_extra="",
                 http=False, http_extra="", relay=DEAD_RELAY):
        """pop3=True adds the pop3 (STLS) and pop3s (implicit TLS)
        listeners and a [pop3] section holding pop3_extra, and start()
        waits for them too.  imap=True does the same for imap (STARTTLS)
        and imaps with an [imap] section: plaintext_auth = loopback (so
        tests may LOGIN without TLS) unless imap_extra sets it, then
        imap_extra.  http=True adds the http (plain) and https (TLS)
        listeners and a [web] section holding http_extra (the server's
        default plaintext_auth = loopback applies unless it says
        otherwise).  relay is written before [log]: the
        [relay]/[routes]/[queue] sections (by default all remote mail
        goes to a closed port, so queued mail stays queued)."""
        self.dir = str(tmpdir)
        self.name = name
        self.conf = os.path.join(self.dir, "buzon.conf")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "serve.log")
        self.smtp_port = free_port()
        self.sub_port = free_port()
        self.subs_port = free_port()
        self.pop3 = pop3
        self.pop3_port = free_port() if pop3 else None
        self.pop3s_port = free_port() if pop3 else None
        self.imap = imap
        self.imap_port = free_port() if imap else None
        self.imaps_port = free_port() if imap else None
        self.http = http
        self.http_port = free_port() if http else None
        self.https_port = free_port() if http else None
        self.proc = None
        self.starts = 0
        traversable(self.dir)
        pop3_listen = pop3_section = ""
        if pop3:
            pop3_listen = (f"pop3 = 127.0.0.1:{self.pop3_port}\n"
                           f"pop3s = 127.0.0.1:{self.pop3s_port}\n")
            pop3_section = f"[pop3]\n{pop3_extra}\n" if pop3_extra else ""
        imap_listen = imap_section = ""
        if imap:
            imap_listen = (f"imap = 127.0.0.1:{self.imap_port}\n"
                           f"imaps = 127.0.0.1:{self.imaps_port}\n")
            plain = ("" if "plaintext_auth" in imap_extra
                     else "plaintext_auth = loopback\n")
            imap_section = f"[imap]\n{plain}{imap_extra}\n"
        http_listen = http_section = ""
        if http:
            http_listen = (f"http = 127.0.0.1:{self.http_port}\n"
                           f"https = 127.0.0.1:{self.https_port}\n")
            http_section = f"[web]\n{http_extra}\n" if http_extra else ""
        with open(self.conf, "w") as f:
            f.write(
                f"""# written by tests/proto
hostname = {HOSTNAME}
data_dir = data
domains = example.test other.test
{extra}
[listen]
smtp = 127.0.0.1:{self.smtp_port}
submission = 127.0.0.1:{self.sub_port}
submissions = 127.0.0.1:{self.subs_port}
{pop3_listen}{imap_listen}{http_listen}
[smtp]
greet_delay = 300ms
max_message_size = 10M
max_recipients = 1000
{smtp_extra}
{pop3_section}{imap_section}{http_section}{relay}
[log]
level = info
"""
            )

    # ---- process control ----

    def start(self, timeout=15):
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"===== start #{self.starts}\n".encode())
        log.flush()
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.proc = subprocess.Popen(
            [buzon_bin(), "-c", self.conf, "serve"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=self.dir,
            env=env,
        )
        log.close()
        LIVE.append(self)
        deadline = time.monotonic() + timeout
        pending = [self.sub_port, self.subs_port, self.smtp_port]
        if getattr(self, "pop3", False):  # test_cli builds Servers by hand
            pending += [self.pop3_port, self.pop3s_port]
        if getattr(self, "imap", False):
            pending += [self.imap_port, self.imaps_port]
        if getattr(self, "http", False):
            pending += [self.http_port, self.https_port]
        while pending:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"buzon serve exited with {self.proc.returncode} at start:\n"
                    + self.log_text()
                )
            try:
                socket.create_connection(("127.0.0.1", pending[0]), 0.5).close()
                pending.pop(0)
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        "buzon serve not listening:\n" + self.log_text())
                time.sleep(0.05)
        # the sockets are bound (and connectable) before the store is
        # open: wait for the log line that says everything is up
        while self.log_text().count("buzon ready") < self.starts:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("buzon serve not ready:\n" + self.log_text())
            time.sleep(0.02)
        return self

    def stop(self, timeout=20):
        """SIGTERM; returns the exit status (must be 0 for a clean stop)."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = "timeout"
        self._gone()
        return rc

    def kill9(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self._gone()

    def _gone(self):
        self.proc = None
        if self in LIVE:
            LIVE.remove(self)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def sanitizer_reports(self):
        with open(self.log_path, "rb") as f:
            data = f.read()
        return [m.decode() for m in SANITIZER_MARKS if m in data]

    # ---- CLI ----

    def cli(self, *args, input=None, check=True, timeout=60):
        r = run(["-c", self.conf] + list(args), input=input, cwd=self.dir,
                timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(
                f"buzon {' '.join(args)} exited {r.returncode}\n"
                f"stdout: {r.stdout!r}\nstderr: {r.stderr!r}")
        return r

    def add_user(self, addr, password):
        self.cli("user", "add", addr, input=password + "\n")

    def set_apop(self, addr, secret):
        """Give addr an APOP secret (`buzon user passwd --apop`, stdin)."""
        self.cli("user", "passwd", "--apop", addr, input=secret + "\n")

    def export(self, addr, mailbox=None):
        """Returns the list of messages (bytes, LF line ends) in addr's mailbox."""
        args = ["export", addr] + ([mailbox] if mailbox else []) + ["--mbox", "-"]
        r = self.cli(*args)
        return parse_mboxrd(r.stdout)

    # ---- outbound queue (read-only peek at the store) ----

    def queue_rows(self):
        """All rows of queue_rcpt (tuples of column values) plus queue count."""
        path = os.path.join(self.data, "store.db")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            n = db.execute("SELECT count(*) FROM queue").fetchone()[0]
            rows = db.execute("SELECT * FROM queue_rcpt").fetchall()
        finally:
            db.close()
        return n, rows

    def queue_addresses(self):
        _, rows = self.queue_rows()
        out = []
        for row in rows:
            for v in row:
                if isinstance(v, bytes):
                    v = v.decode("utf-8", "replace")
                if isinstance(v, str) and "@" in v:
                    out.append(v.lower())
        return out


def parse_mboxrd(data):
    """Split mboxrd output into messages.

    Every message starts with a "From " line; body lines matching ^>+From
    lose one '>'; the blank line written after each message is removed.
    Returns a list of (from_line, message_bytes)."""
    assert b"\r\n" not in data, "export must write LF line ends"
    if data == b"":
        return []
    msgs = []
    cur = None
    for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
        if line.startswith(b"From "):
            if cur is not None:
                msgs.append(cur)
            cur = [line, []]
            continue
        assert cur is not None, f"mbox does not start with From line: {data[:80]!r}"
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        cur[1].append(line)
    if cur is not None:
        msgs.append(cur)
    out = []
    for from_line, lines in msgs:
        assert lines and lines[-1] == b"", (
            f"message after {from_line!r} is not followed by a blank line")
        body = b"\n".join(lines[:-1]) + b"\n"
        out.append((from_line, body))
    return out


def split_trace(msg, original):
    """msg is an exported message (LF), original the bytes sent (CRLF).
    Asserts the export is trace headers + original; returns the trace
    header fields as a list of unfolded strings."""
    want = original.replace(b"\r\n", b"\n")
    assert msg.endswith(want), (
        f"exported message does not end with what was sent:\n"
        f"got  {msg[-300:]!r}\nwant {want[-300:]!r}")
    prefix = msg[: len(msg) - len(want)]
    fields = []
    for line in prefix.split(b"\n")[:-1]:
        if line[:1] in (b" ", b"\t"):
            assert fields, f"continuation line first: {prefix!r}"
            fields[-1] += " " + line.strip().decode("utf-8", "replace")
        else:
            fields.append(line.decode("utf-8", "replace"))
    assert prefix.endswith(b"\n") or prefix == b"", repr(prefix)
    return fields
