# smtpraw.py: exact-bytes SMTP client for the protocol suites.
# SPDX-License-Identifier: MIT
"""A tiny SMTP client that sends exactly the bytes it is given and parses
replies (multi-line aware), so tests can pipeline, smuggle and inject."""

import base64
import socket
import ssl
import time

TIMEOUT = 10


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines  # texts after "NNN-" / "NNN "

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def enh(self):
        """Enhanced status code of the first line, or None."""
        first = self.lines[0].split(" ", 1)[0] if self.lines else ""
        parts = first.split(".")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return first
        return None

    def __repr__(self):
        return f"Reply({self.code}, {self.lines!r})"


class Closed(Exception):
    pass


class Raw:
    def __init__(self, port, host="127.0.0.1", tls=False, greet=True,
                 timeout=TIMEOUT, source=None):
        self.sock = socket.create_connection(
            (host, port), timeout, source_address=(source, 0) if source else None)
        self.sock.settimeout(timeout)
        self.buf = b""
        if tls:
            self.sock = tls_context().wrap_socket(self.sock)
        self.greeting = self.reply() if greet else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except ssl.SSLError:
            chunk = b""
        if not chunk:
            raise Closed(f"connection closed; pending {self.buf!r}")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            assert len(ln) >= 3 and ln[:3].isdigit(), f"bad reply line {ln!r}"
            code = int(ln[:3])
            sep = ln[3:4]
            assert sep in (b"-", b" ", b""), f"bad reply line {ln!r}"
            lines.append(ln[4:].decode("utf-8", "replace"))
            if sep != b"-":
                return Reply(code, lines)

    def cmd(self, line):
        """Send one command line (CRLF added) and return its reply."""
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return self.reply()

    def expect(self, line, code, enh=None):
        r = self.cmd(line)
        assert r.code == code, f"{line!r}: expected {code}, got {r}"
        if enh is not None:
            assert r.enh == enh, f"{line!r}: expected {code} {enh}, got {r}"
        return r

    def ehlo(self, name="client.example.net"):
        r = self.cmd(f"EHLO {name}")
        assert r.code == 250, r
        return r

    def keywords(self, r):
        return [ln.split(" ")[0].upper() for ln in r.lines[1:]]

    def starttls(self):
        r = self.cmd("STARTTLS")
        assert r.code == 220, r
        assert self.buf == b"", f"bytes after 220 to STARTTLS: {self.buf!r}"
        self.sock = tls_context().wrap_socket(self.sock)
        return r

    def auth_plain(self, user, password):
        tok = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return self.cmd(f"AUTH PLAIN {tok}")

    def is_closed(self, wait=3.0):
        """True if the server closes the connection (no further bytes)
        within wait seconds.  Extra bytes raise AssertionError."""
        if self.buf:
            raise AssertionError(f"unexpected bytes: {self.buf!r}")
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return False
        except (ConnectionResetError, ssl.SSLError):
            return True
        finally:
            self.sock.settimeout(TIMEOUT)
        if data:
            raise AssertionError(f"unexpected bytes instead of close: {data!r}")
        return True

    def nothing_pending(self, wait=0.5):
        """Assert that the server sends nothing more within wait seconds."""
        assert self.buf == b"", f"unexpected bytes: {self.buf!r}"
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            data = None
        finally:
            self.sock.settimeout(TIMEOUT)
        assert data is None, f"unexpected bytes: {data!r}"


def dot_stuff(body):
    """RFC 5321 4.5.2: body (CRLF lines) -> DATA bytes incl. the final dot."""
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    out = b"".join((b"." + ln if ln.startswith(b".") else ln) + b"\r\n"
                   for ln in lines)
    return out + b".\r\n"


def send_mail(port, sender, rcpts, body, tls=False, starttls=False,
              auth=None, ehlo="client.example.net"):
    """Full transaction with replies checked; returns the final reply."""
    with Raw(port, tls=tls) as c:
        assert c.greeting.code == 220, c.greeting
        c.ehlo(ehlo)
        if starttls:
            c.starttls()
            c.ehlo(ehlo)
        if auth:
            r = c.auth_plain(*auth)
            assert r.code == 235, r
        c.expect(f"MAIL FROM:<{sender}>", 250)
        for rc in rcpts:
            c.expect(f"RCPT TO:<{rc}>", 250)
        c.expect("DATA", 354)
        c.send(dot_stuff(body))
        r = c.reply()
        c.cmd("QUIT")
        return r


def wait_until(fn, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)
