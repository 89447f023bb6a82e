# fakepeer.py: a scripted SMTP server for the outbound queue tests.
# SPDX-License-Identifier: MIT
"""FakePeer listens on 127.0.0.1 and answers SMTP from a script, recording
every transaction.  rcpt_replies is a list of replies, one consumed per
RCPT (the last repeats); data_reply likewise per DATA.  starttls=(cert,
key) offers STARTTLS; inject=True writes a fake reply right after the
220 to STARTTLS, before the handshake (RFC 3207 4.2 attack).  host and
port choose the address (MX tests put peers on 127.0.0.N, one port).
greeting replaces the 220 banner (e.g. "421 4.3.2 busy": then the peer
hangs up).  auth=(user, password) offers AUTH with auth_mechs (only under
TLS when auth_tls_only), refuses MAIL with 530 until a client
authenticated, and answers AUTH with 235 for those credentials, else 535;
auth_reply="454 ..." answers every AUTH with that instead.  Each AUTH is
recorded in auths as (mechanism, user, password, tls)."""

import base64
import socket
import socketserver
import ssl
import threading


class FakePeer:
    def __init__(self, rcpt_replies=("250 2.1.5 ok",), data_reply=("250 2.0.0 queued",),
                 starttls=None, inject=False, host="127.0.0.1", port=0,
                 greeting="220 peer.test ESMTP fake", auth=None,
                 auth_mechs=("PLAIN", "LOGIN"), auth_tls_only=False, auth_reply=None):
        self.rcpt_replies = list(rcpt_replies)
        self.data_replies = list(data_reply)
        self.starttls = starttls
        self.inject = inject
        self.greeting = greeting
        self.auth = auth
        self.auth_mechs = auth_mechs
        self.auth_tls_only = auth_tls_only
        self.auth_reply = auth_reply
        self.auths = []        # (mechanism, user, password, tls)
        self.messages = []     # (mail_from, [rcpts], data bytes, tls: bool)
        self.commands = []     # every command line
        self.connections = 0
        self.lock = threading.Lock()
        peer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                peer._session(self.request)

        class Srv(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.srv = Srv((host, port), Handler)
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    def _next(self, lst):
        with self.lock:
            return lst.pop(0) if len(lst) > 1 else lst[0]

    def _session(self, sock):
        with self.lock:
            self.connections += 1
        f = sock.makefile("rb")
        tls = False

        def send(line):
            sock.sendall(line.encode() + b"\r\n")

        def b64line():
            ln = f.readline().rstrip(b"\r\n")
            with self.lock:
                self.commands.append(ln.decode("ascii", "replace"))
            return ln

        def decode(b):
            try:
                return base64.b64decode(b, validate=True).decode("utf-8", "replace")
            except ValueError:
                return None

        send(self.greeting)
        if not self.greeting.startswith("220"):
            return
        mail, rcpts = None, []
        authed = False
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            with self.lock:
                self.commands.append(cmd)
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                caps = ["250-peer.test", "250-PIPELINING", "250-8BITMIME",
                        "250-ENHANCEDSTATUSCODES", "250-DSN"]
                if self.starttls and not tls:
                    caps.append("250-STARTTLS")
                if self.auth and (tls or not self.auth_tls_only):
                    caps.append("250-AUTH " + " ".join(self.auth_mechs))
                caps.append("250 SIZE 10000000")
                sock.sendall(("\r\n".join(caps) + "\r\n").encode())
            elif verb == "STARTTLS" and self.starttls and not tls:
                if self.inject:
                    # the injected "reply" comes in the same segment
                    sock.sendall(b"220 2.0.0 go ahead\r\n250-injected\r\n250 fake\r\n")
                else:
                    send("220 2.0.0 go ahead")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(*self.starttls)
                sock = ctx.wrap_socket(sock, server_side=True)
                f = sock.makefile("rb")
                tls = True
                mail, rcpts, authed = None, [], False
            elif verb == "AUTH" and self.auth and not authed:
                args = cmd.split(" ")[1:]
                mech = args[0].upper() if args else ""
                if mech == "PLAIN":
                    if len(args) < 2:
                        send("334 ")
                        args.append(b64line())
                    parts = (decode(args[1]) or "").split("\0")
                    user, pw = (parts[1], parts[2]) if len(parts) == 3 else (None, None)
                elif mech == "LOGIN":
                    if len(args) < 2:
                        send("334 VXNlcm5hbWU6")
                        args.append(b64line())
                    user = decode(args[1])
                    send("334 UGFzc3dvcmQ6")
                    pw = decode(b64line())
                else:
                    send("504 5.5.4 unknown mechanism")
                    continue
                with self.lock:
                    self.auths.append((mech, user, pw, tls))
                if self.auth_reply:
                    send(self.auth_reply)
                elif (user, pw) == tuple(self.auth):
                    authed = True
                    send("235 2.7.0 authenticated")
                else:
                    send("535 5.7.8 authentication credentials invalid")
            elif verb == "MAIL" and self.auth and not authed:
                send("530 5.7.0 authentication required")
            elif verb == "MAIL":
                mail, rcpts = cmd, []
                send("250 2.1.0 ok")
            elif verb == "RCPT":
                r = self._next(self.rcpt_replies)
                if r.startswith("2"):
                    rcpts.append(cmd)
                send(r)
            elif verb == "DATA":
                if not rcpts:
                    send("554 5.5.1 no valid recipients")
                    continue
                send("354 go on")
                data = b""
                while True:
                    ln = f.readline()
                    if not ln or ln == b".\r\n":
                        break
                    data += ln[1:] if ln.startswith(b".") else ln
                r = self._next(self.data_replies)
                if r.startswith("2"):
                    with self.lock:
                        self.messages.append((mail, rcpts, data, tls))
                send(r)
            elif verb == "RSET":
                mail, rcpts = None, []
                send("250 2.0.0 ok")
            elif verb == "QUIT":
                send("221 2.0.0 bye")
                return
            else:
                send("502 5.5.2 unknown")


def free_closed_port():
    """A loopback port with nothing listening (for "peer down")."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
