# test_imap_auth.py: IMAP LOGIN, AUTHENTICATE PLAIN/LOGIN with SASL-IR,
# cancel, failure delay, LOGINDISABLED, STARTTLS, imaps, imaplib.
# SPDX-License-Identifier: MIT
import imaplib
import ssl
import time

from imapraw import (ALICE, PW, Imap, b64, imap_server,  # noqa: F401
                     own_server, quote)
from smtpraw import tls_context


def plain(user=ALICE, pw=PW, authz=""):
    return b64(f"{authz}\0{user}\0{pw}")


def test_login_ok_and_bad_with_delay(imap_server):
    with Imap(imap_server.imap_port) as c:
        t = time.monotonic()
        r = c.no(f"LOGIN {quote(ALICE)} wrong", "AUTHENTICATIONFAILED")
        assert time.monotonic() - t >= 0.2, "failed logins are delayed"
        c.login()
        c.bad("LOGIN x y", "CLIENTBUG")


def test_login_bare_name_gets_default_domain(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.ok(f"LOGIN alice {quote(PW)}")


def test_three_failures_bye(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.no("LOGIN nobody x1", "AUTHENTICATIONFAILED")
        c.no("LOGIN nobody x2", "AUTHENTICATIONFAILED")
        c.no("LOGIN nobody x3", "AUTHENTICATIONFAILED")
        assert c.response().startswith(b"* BYE")
        assert c.is_closed()


def test_authenticate_plain_sasl_ir(imap_server):
    with Imap(imap_server.imap_port) as c:
        r = c.ok(f"AUTHENTICATE PLAIN {plain()}")
        assert r.code.startswith("CAPABILITY "), r


def test_authenticate_plain_continuation(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"a1 AUTHENTICATE PLAIN\r\n")
        assert c.response() == b"+ "
        c.send(plain().encode() + b"\r\n")
        assert c.until_tagged("a1").ok


def test_authenticate_login(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"a1 AUTHENTICATE LOGIN\r\n")
        assert c.response() == b"+ VXNlcm5hbWU6"
        c.send(b64(ALICE).encode() + b"\r\n")
        assert c.response() == b"+ UGFzc3dvcmQ6"
        c.send(b64(PW).encode() + b"\r\n")
        assert c.until_tagged("a1").ok
    with Imap(imap_server.imap_port) as c:
        c.send(f"a1 AUTHENTICATE LOGIN {b64(ALICE)}\r\n".encode())
        assert c.response() == b"+ UGFzc3dvcmQ6"
        c.send(b64("bad").encode() + b"\r\n")
        r = c.until_tagged("a1")
        assert r.status == "NO" and r.code == "AUTHENTICATIONFAILED", r


def test_authenticate_cancel_and_garbage(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"a1 AUTHENTICATE PLAIN\r\n")
        assert c.response() == b"+ "
        c.send(b"*\r\n")
        assert c.until_tagged("a1").status == "BAD"
        c.bad("AUTHENTICATE PLAIN !!!notbase64")
        c.no("AUTHENTICATE X-UNKNOWN", "CANNOT")
        r = c.no(f"AUTHENTICATE PLAIN {plain(authz='bob@example.test')}")
        c.ok("NOOP")


def test_plaintext_refused_without_tls(tmp_path_factory):
    with own_server(tmp_path_factory, "imapnoplain",
                    "plaintext_auth = no") as srv:
        with Imap(srv.imap_port) as c:
            caps = c.capabilities()
            assert "LOGINDISABLED" in caps and "STARTTLS" in caps
            assert not any(x.startswith("AUTH=") for x in caps)
            c.no(f"LOGIN {quote(ALICE)} {quote(PW)}", "PRIVACYREQUIRED")
            c.no(f"AUTHENTICATE PLAIN {plain()}", "PRIVACYREQUIRED")
            c.starttls()
            caps = c.capabilities()
            assert "LOGINDISABLED" not in caps and "STARTTLS" not in caps
            assert "AUTH=PLAIN" in caps
            c.login()
        with Imap(srv.imaps_port, tls=True) as c:
            assert "AUTH=PLAIN" in c.capabilities()
            c.login()


def test_starttls_discards_injected_plaintext(imap_server):
    with Imap(imap_server.imap_port) as c:
        c.send(b"s1 STARTTLS\r\ns2 LOGIN alice alice-secret\r\n")
        r = c.until_tagged("s1")
        assert r.ok
        assert c.buf == b""
        c.sock = tls_context().wrap_socket(c.sock)
        # s2 was sent in plaintext before the handshake: never answered
        r = c.cmd("NOOP")
        assert r.ok and r.untagged == [], r
        c.bad("STARTTLS", "CLIENTBUG")  # already under TLS
        c.ok("CAPABILITY")


def test_imaplib(imap_server):
    m = imaplib.IMAP4(host="127.0.0.1", port=imap_server.imap_port)
    m.starttls(ssl_context=tls_context())
    typ, _ = m.login(ALICE, PW)
    assert typ == "OK"
    typ, data = m.namespace()
    assert typ == "OK"
    m.logout()
    m = imaplib.IMAP4_SSL(host="127.0.0.1", port=imap_server.imaps_port,
                          ssl_context=tls_context())
    typ, _ = m.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{PW}".encode())
    assert typ == "OK"
    m.logout()
