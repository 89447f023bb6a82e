# test_auth_fail.py: failed AUTH (own server: failures slow down later logins).
# SPDX-License-Identifier: MIT
import base64

from conftest import USERS
from smtpraw import Raw

ALICE = "alice@example.test"


def tls_session(server, source):
    c = Raw(server.sub_port, source=source, timeout=30)
    c.ehlo()
    c.starttls()
    c.ehlo()
    return c


def test_bad_password(server):
    with tls_session(server, "127.0.0.2") as c:
        r = c.auth_plain(ALICE, "wrong")
        assert (r.code, r.enh) == (535, "5.7.8"), r
        c.expect("MAIL FROM:<alice@example.test>", 530, "5.7.0")


def test_unknown_user_same_answer(server):
    with tls_session(server, "127.0.0.3") as c:
        r = c.auth_plain("nobody@example.test", "whatever")
        assert (r.code, r.enh) == (535, "5.7.8"), r


def test_bad_password_login(server):
    with tls_session(server, "127.0.0.4") as c:
        r = c.cmd("AUTH LOGIN")
        assert r.code == 334, r
        assert c.cmd(base64.b64encode(ALICE.encode()).decode()).code == 334
        r = c.cmd(base64.b64encode(b"nope").decode())
        assert (r.code, r.enh) == (535, "5.7.8"), r


def test_authzid_mismatch_refused(server):
    with tls_session(server, "127.0.0.5") as c:
        tok = base64.b64encode(
            f"bob@example.test\0{ALICE}\0{USERS[ALICE]}".encode()).decode()
        r = c.cmd(f"AUTH PLAIN {tok}")
        assert 500 <= r.code < 600, r


def test_good_password_after_failure(server):
    with tls_session(server, "127.0.0.6") as c:
        assert c.auth_plain(ALICE, "wrong").code == 535
        r = c.auth_plain(ALICE, USERS[ALICE])
        assert (r.code, r.enh) == (235, "2.7.0"), r
        c.expect("MAIL FROM:<alice@example.test>", 250)


def test_password_change_takes_effect(server):
    server.cli("user", "passwd", "bob@example.test", input="new-bob-pw\n")
    with tls_session(server, "127.0.0.7") as c:
        r = c.auth_plain("bob@example.test", USERS["bob@example.test"])
        assert r.code == 535, r
    with tls_session(server, "127.0.0.8") as c:
        r = c.auth_plain("bob@example.test", "new-bob-pw")
        assert r.code == 235, r


def test_repeated_failures_disconnect(server):
    with tls_session(server, "127.0.0.9") as c:
        codes = []
        for _ in range(5):
            try:
                r = c.auth_plain(ALICE, "wrong")
            except Exception:
                break
            codes.append(r.code)
            if r.code == 421:
                break
        assert codes and codes[0] == 535, codes
        assert codes[-1] == 421 or len(codes) < 5, \
            f"no disconnect after {len(codes)} failed AUTH: {codes}"
