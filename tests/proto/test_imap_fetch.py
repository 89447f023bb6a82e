# test_imap_fetch.py: FETCH / UID FETCH (RFC 9051 6.4.5, 7.5.2; RFC 3516
# BINARY; RFC 7162 CHANGEDSINCE/MODSEQ) through imaplib, messages put in
# with APPEND.
# SPDX-License-Identifier: MIT
import email
import email.policy
import imaplib
import re
import uuid

import pytest

from conftest import finish, make_server

NESTED = (
    b"From: a@example.com\r\n"
    b"Subject: test\r\n"
    b"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain\r\n"
    b"\r\n"
    b"hello\r\n"
    b"--XX\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Subject: inner\r\n"
    b"Content-Type: multipart/alternative; boundary=YY\r\n"
    b"\r\n"
    b"--YY\r\n"
    b"\r\n"
    b"inner text\r\n"
    b"--YY\r\n"
    b"Content-Type: text/html\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"PGI+aGk8L2I+\r\n"
    b"--YY--\r\n"
    b"\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"a=00b=3D\r\n"
    b"--XX--\r\n"
    b"epilogue\r\n")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = make_server(tmp_path_factory, "imap_fetch", imap=True)
    yield s
    finish(s)


def login(srv, msgs):
    addr = f"f{uuid.uuid4().hex[:8]}@example.test"
    srv.add_user(addr, "pw-" + addr)
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login(addr, "pw-" + addr)
    for msg in msgs:
        typ, _ = m.append("INBOX", None, None, msg)
        assert typ == "OK"
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    return m


def fetch1(m, spec, seq="1"):
    typ, data = m.fetch(seq, spec)
    assert typ == "OK", data
    return data


def body_of(data):
    for d in data:
        if isinstance(d, tuple):
            return d[1]
    return None


def test_sections(srv):
    m = login(srv, [NESTED])
    cases = {
        "BODY.PEEK[1]": b"hello",
        "BODY.PEEK[1.MIME]": b"Content-Type: text/plain\r\n\r\n",
        "BODY.PEEK[2.HEADER]": (b"Subject: inner\r\nContent-Type: "
                                b"multipart/alternative; boundary=YY"
                                b"\r\n\r\n"),
        "BODY.PEEK[2.1]": b"inner text",
        "BODY.PEEK[2.2]": b"PGI+aGk8L2I+",
        "BINARY.PEEK[2.2]": b"<b>hi</b>",
        "BODY.PEEK[HEADER.FIELDS (SUBJECT from)]":
            b"From: a@example.com\r\nSubject: test\r\n\r\n",
        "BODY.PEEK[HEADER.FIELDS.NOT (Content-Type FROM)]":
            b"Subject: test\r\n\r\n",
        "BODY.PEEK[1]<1.3>": b"ell",
        "BODY.PEEK[]": NESTED,
        "RFC822.HEADER": NESTED[:NESTED.index(b"\r\n\r\n") + 4],
        "BODY.PEEK[TEXT]": NESTED[NESTED.index(b"\r\n\r\n") + 4:],
    }
    for spec, want in cases.items():
        assert body_of(fetch1(m, spec)) == want, spec
    d = fetch1(m, "BINARY.SIZE[2.2]")
    assert b"BINARY.SIZE[2.2] 9" in d[0]
    d = fetch1(m, "BODY.PEEK[4]")
    assert b"BODY[4] NIL" in d[0]
    d = fetch1(m, "BODY.PEEK[1]<10.5>")
    assert body_of(d) == b""
    assert b"BODY[1]<10>" in d[0][0]
    m.logout()


def test_binary_nul_literal8(srv):
    m = login(srv, [NESTED])
    tag = m._new_tag().decode()
    m.send(f"{tag} FETCH 1 BINARY.PEEK[3]\r\n".encode())
    raw = b""
    while not raw.endswith(b"\r\n") or f"{tag} ".encode() not in raw:
        raw += m.sock.recv(65536)
    assert b"BINARY[3] ~{4}\r\na\x00b=)" in raw
    m.logout()


def test_unknown_cte(srv):
    m = login(srv, [b"Subject: u\r\nContent-Transfer-Encoding: x-uue\r\n"
                    b"\r\nbegin\r\n"])
    typ, data = m.fetch("1", "BINARY.PEEK[1]")
    assert typ == "NO" and b"UNKNOWN-CTE" in data[0]
    m.logout()


def test_seen(srv):
    m = login(srv, [NESTED, NESTED])
    d = fetch1(m, "(FLAGS BODY.PEEK[1])", "1")
    assert b"\\Seen" not in d[0][0]
    d = fetch1(m, "FLAGS", "1")
    assert b"\\Seen" not in d[0]
    # BODY[] sets \Seen and reports FLAGS with it.
    d = fetch1(m, "BODY[1]", "2")
    assert b"FLAGS (" in repr(d).encode() and b"\\\\Seen" in repr(d).encode()
    d = fetch1(m, "FLAGS", "2")
    assert b"\\Seen" in d[0]
    m.logout()
    # EXAMINE: read-only, nothing set.
    m2 = login(srv, [NESTED])
    m2.select("INBOX", readonly=True)
    fetch1(m2, "BODY[1]")
    d = fetch1(m2, "FLAGS")
    assert b"\\Seen" not in d[0]
    m2.logout()


def test_items_and_uid(srv):
    m = login(srv, [NESTED])
    typ, data = m.uid("FETCH", "1:*", "(RFC822.SIZE INTERNALDATE FLAGS)")
    assert typ == "OK"
    line = data[0].decode()
    assert re.search(r"UID \d+", line)
    assert f"RFC822.SIZE {len(NESTED)}" in line
    assert re.search(r'INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} '
                     r'\d\d:\d\d:\d\d \+0000"', line)
    d = fetch1(m, "(ENVELOPE BODYSTRUCTURE BODY)")
    text = d[0].decode() if isinstance(d[0], bytes) else str(d)
    assert '"test"' in text and '"mixed"' in text.lower()
    d = fetch1(m, "MODSEQ")
    assert re.search(rb"MODSEQ \(\d+\)", d[0])
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        m.fetch("5", "FLAGS")
    m.logout()


def test_changedsince(srv):
    m = login(srv, [NESTED, NESTED])
    d = fetch1(m, "MODSEQ", "1:*")
    ms = [int(re.search(rb"MODSEQ \((\d+)\)", x).group(1)) for x in d]
    top = max(ms)
    typ, data = m.fetch("1:*", f"(FLAGS) (CHANGEDSINCE {top})")
    assert typ == "OK" and data == [None]
    m.store("2", "+FLAGS", "\\Flagged")
    typ, data = m.fetch("1:*", f"(FLAGS) (CHANGEDSINCE {top})")
    assert typ == "OK" and len(data) == 1
    assert data[0].startswith(b"2 (") and b"MODSEQ" in data[0]
    m.logout()


def test_big_message_byte_exact(srv):
    line = b"x" * 998 + b"\r\n"
    big = (b"Subject: big\r\n\r\n" + line * (20 * 1024 * 1024 // 1000))
    m = login(srv, [big])
    d = fetch1(m, "BODY.PEEK[]")
    assert body_of(d) == big
    d = fetch1(m, "BODY.PEEK[1]<1000.5000>")
    assert body_of(d) == big[16 + 1000:16 + 6000]
    m.logout()


def test_many_messages(srv):
    msgs = [b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i) for i in range(300)]
    m = login(srv, msgs)
    typ, data = m.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    subs = [body_of([d]) for d in data if isinstance(d, tuple)]
    assert subs == [b"Subject: m%d\r\n\r\n" % i for i in range(300)]
    m.logout()


def test_python_email_oracle(srv):
    """BODY[n] of each leaf agrees with Python's email package."""
    msg = email.message.EmailMessage()
    msg["Subject"] = "oracle"
    msg["From"] = "x@example.com"
    msg.set_content("plain text\n")
    msg.add_alternative("<p>html</p>\n", subtype="html")
    msg.add_attachment(b"\x00\x01binary", maintype="application",
                       subtype="octet-stream", filename="b.bin")
    raw = msg.as_bytes(policy=email.policy.SMTP)
    m = login(srv, [raw])
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    leaves = [p for p in parsed.walk() if not p.is_multipart()]
    paths = ["1.1", "1.2", "2"]
    for path, leaf in zip(paths, leaves):
        d = fetch1(m, f"BINARY.PEEK[{path}]")
        got = body_of(d)
        want = leaf.get_payload(decode=True)
        if leaf.get_content_maintype() == "text":
            want = want.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        assert got == want, path
    m.logout()
