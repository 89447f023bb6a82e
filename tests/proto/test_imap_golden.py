# test_imap_golden.py: ENVELOPE / BODYSTRUCTURE / BODY / RFC822.SIZE golden
# files (RFC 3501 7.4.2, RFC 9051 7.5.2) for a corpus of real-world and
# malformed messages, checked byte for byte against
# tests/proto/data/imap_golden/NAME.expected and, independently, against
# what Python's email package makes of the same bytes (part tree, types,
# parameters, sizes, line counts, envelope addresses).
# The corpus is built here; BUZON_GOLDEN_UPDATE=1 rewrites the .eml and
# .expected files (review the diff: the RFC decides, not the old bytes).
# SPDX-License-Identifier: MIT
import email
import email.errors
import email.policy
import email.utils
import os
import re

import pytest

from conftest import finish, make_server
from imapraw import Imap

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "imap_golden")
UPDATE = os.environ.get("BUZON_GOLDEN_UPDATE") == "1"
ITEMS = "(ENVELOPE BODYSTRUCTURE BODY RFC822.SIZE)"

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "imap_golden")


def crlf(s):
    """Text with "\\n" line ends -> CRLF bytes (latin-1 keeps 8-bit bytes)."""
    return s.replace("\n", "\r\n").encode("latin-1")


HDR = ("Date: Tue, 13 Feb 2024 09:15:02 +0100\n"
       "From: Alice Example <alice@example.org>\n"
       "To: bob@example.net\n"
       "Message-ID: <{id}@example.org>\n")


def hdr(mid, extra=""):
    return HDR.format(id=mid) + extra


def alternative_html():
    return crlf(hdr("alt1", "Subject: Lunch on Friday?\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/alternative;\n"
                    "\tboundary=\"000000000000a1b2c3\"\n") + """
--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Shall we meet at 12:30 at the caf=C3=A9?

Alice
--000000000000a1b2c3
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Shall we meet at 12:30 at the caf=C3=A9?<br><br>Alice</div=
>
--000000000000a1b2c3--
""")


def mixed_attachments():
    return crlf(hdr("mix1", "Subject: =?UTF-8?Q?Factura_n=C2=BA_42?=\n"
                    "Cc: \"Smith, John\" <john@example.com>, "
                    "=?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"=-=-=\"\n") + """This is a multi-part message in MIME format.

--=-=-=
Content-Type: text/plain; charset=us-ascii
Content-Language: en, fr (French)

See attached.
--=-=-=
Content-Type: application/pdf; name="=?UTF-8?B?RmFjdHVyYSDDsS5wZGY=?="
Content-Disposition: attachment;
 filename*=UTF-8''Factura%20%C3%B1.pdf; size=12
Content-Transfer-Encoding: base64
Content-ID: <part2@example.org>
Content-Description: the invoice

JVBERi0xLjQKJQ==
--=-=-=
Content-Type: image/png; name*0="very-long-name-";
 name*1="continued.png"
Content-Disposition: inline; filename="dot.png"
Content-Location: http://example.org/dot.png
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Transfer-Encoding: BASE64

iVBORw0KGgo=
--=-=-=--
""")


def forwarded():
    return crlf(hdr("fwd1", "Subject: Fwd: Meeting notes\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=outer\n") + """
--outer
Content-Type: text/plain

Forwarding this.

--outer
Content-Type: message/rfc822
Content-Disposition: inline

Return-Path: <carol@example.com>
Date: Mon, 12 Feb 2024 18:00:00 -0500
From: Carol <carol@example.com>
Sender: list-bounces@lists.example.com
Reply-To: team@lists.example.com
To: Alice Example <alice@example.org>, dave@example.com
Cc: undisclosed-recipients:;
Subject: Meeting notes
In-Reply-To: <prev@example.com>
Message-ID: <notes@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8; format=flowed

Notes: nothing decided.
--inner
Content-Type: text/html; charset=utf-8

<p>Notes: nothing decided.</p>
--inner--

--outer--
""")


def digest():
    return crlf(hdr("dig1", "Subject: Digest, Vol 3, Issue 7\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/digest; boundary=\"dig\"\n") + """
--dig

From: one@example.com
Subject: first

First message.
--dig
Content-Type: message/rfc822

From: two@example.com
Subject: second

Second message.

--dig
Content-Type: text/plain

not a message
--dig--
""")


def signed():
    return crlf(hdr("sig1", "Subject: signed\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/signed; micalg=pgp-sha256;\n"
                    " protocol=\"application/pgp-signature\";"
                    " boundary=\"sig-b\"\n") + """
--sig-b
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

signed text
--sig-b
Content-Type: application/pgp-signature; name="signature.asc"
Content-Description: OpenPGP digital signature
Content-Disposition: attachment; filename="signature.asc"

-----BEGIN PGP SIGNATURE-----

iQEzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
--sig-b--
""")


def calendar():
    return crlf(hdr("cal1", "Subject: Invitation: Review @ Thu 15 Feb\n"
                    "MIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"m\"\n") + """
--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset="UTF-8"

You have been invited.
--a
Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
Content-Transfer-Encoding: 7bit

BEGIN:VCALENDAR
METHOD:REQUEST
BEGIN:VEVENT
SUMMARY:Review
END:VEVENT
END:VCALENDAR
--a--

--m
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

QkVHSU46VkNBTEVOREFSCkVORDpWQ0FMRU5EQVIK
--m--
""")


def headers_missing():
    return crlf("Subject: only a subject\n\nno from, no date\n")


def headers_empty():
    return crlf("Date:\nSubject:\nFrom:\nSender:\nReply-To:\nTo:\nCc:\n"
                "Bcc:\nIn-Reply-To:\nMessage-ID:\n\nempty headers\n")


def headers_duplicated():
    return crlf("Subject: first subject\n"
                "Subject: second subject\n"
                "From: first@example.com\n"
                "From: second@example.com\n"
                "Content-Type: text/html\n"
                "Content-Type: text/xml\n"
                "Message-ID: <a@x>\n"
                "Message-ID: <b@x>\n"
                "\n<p>dup</p>\n")


def bad_boundary():
    # The body never uses the declared boundary.
    return crlf(hdr("bb1", "Subject: bad boundary\n"
                    "Content-Type: multipart/mixed; boundary=\"right\"\n") + """
--wrong
Content-Type: text/plain

text
--wrong--
""")


def boundary_missing():
    return crlf(hdr("bb2", "Subject: no boundary parameter\n"
                    "Content-Type: multipart/mixed\n") + """
--x
Content-Type: text/plain

text
--x--
""")


def unterminated():
    return crlf(hdr("unt1", "Subject: unterminated\n"
                    "Content-Type: multipart/mixed; boundary=b1\n") + """
--b1
Content-Type: text/plain

one
--b1
Content-Type: multipart/alternative; boundary=b2

--b2
Content-Type: text/plain

two, and then the message stops
""")


def header_8bit():
    return ("Date: Tue, 13 Feb 2024 09:15:02 +0100\r\n"
            "From: J\u00fcrgen M\u00fcller <juergen@example.de>\r\n"
            "To: Bj\u00f6rk <bjork@example.is>\r\n"
            "Subject: Gr\u00fc\u00dfe aus K\u00f6ln\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n"
            "Hall\u00f6chen\r\n").encode("utf-8")


def groups():
    return crlf("Date: Tue, 13 Feb 2024 09:15:02 +0100\n"
                "From: Alice <alice@example.org>\n"
                "To: Team: bob@example.net, \"Carol C.\" <carol@example.com>;,"
                " dave@example.com\n"
                "Cc: Empty group:;\n"
                "Bcc: undisclosed-recipients:;\n"
                "Subject: groups\n"
                "\nbody\n")


def comments_quoted():
    return crlf("Date: Tue, 13 Feb 2024 09:15:02 +0100 (CET)\n"
                "From: \"Last, First\" <first.last@example.org> (work)\n"
                "Sender: (comment) sender@example.org\n"
                "Reply-To: \"quoted local\"@example.org\n"
                "To: \"a\\\"b\"@example.com, <@route.example:x@example.com>,"
                " Name (Comment) <n@example.com>\n"
                "Cc: plain@example.com (Plain Person), bare-local\n"
                "Subject: comments\n"
                "In-Reply-To: <x@example.org> (comment)\n"
                "Message-ID: <id \"with\" quote@example.org>\n"
                "\nbody\n")


def encoded_subject():
    return crlf("From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.de>\n"
                "To: =?utf-8?q?=E2=9C=89?= <x@example.com>\n"
                "Subject: =?UTF-8?B?w4TDpMO2?= =?UTF-8?Q?_und_mehr?=\n"
                " folded \"quoted\" \\ backslash\n"
                "\nbody\n")


def deep_nesting():
    # Past MIME_DEPTH_MAX: the deepest parts are opaque leaves.
    depth = 40
    head = hdr("deep", "Subject: deep\n")
    parts = []
    for i in range(depth):
        parts.append(f"Content-Type: multipart/mixed; boundary=\"d{i}\"\n\n"
                     f"--d{i}\n")
    body = "".join(parts) + "Content-Type: text/plain\n\ncore\n"
    for i in reversed(range(depth)):
        body += f"--d{i}--\n"
    return crlf(head + body)


def deep_rfc822():
    head = hdr("deep822", "Subject: deep message/rfc822\n")
    body = ""
    for i in range(30):
        body += f"Content-Type: message/rfc822\n\nSubject: level {i}\n"
    body += "\nleaf\n"
    return crlf(head + body)


def bare_lf():
    return (hdr("lf1", "Subject: bare LF\n"
                "Content-Type: multipart/mixed; boundary=lf\n") +
            "\n--lf\nContent-Type: text/plain\n\nline one\nline two\n"
            "--lf\nContent-Type: text/html\n\n<p>x</p>\n--lf--\n"
            ).encode("ascii")


def mixed_line_ends():
    return (b"From: a@example.com\r\nSubject: mixed\n"
            b"Content-Type: text/plain\r\n\r\none\ntwo\r\nthree\rfour\r\n")


def no_subtype():
    return crlf(hdr("nst", "Subject: content-type without subtype\n"
                    "Content-Type: text; charset=iso-8859-1\n") +
                "\nbody\n")


def params_without_values():
    return crlf(hdr("pwv", "Subject: parameters without values\n"
                    "Content-Type: multipart/mixed; boundary=p; foo;"
                    " bar=; baz=\"\"\n") + """
--p
Content-Type: text/plain; charset; format=flowed; delsp
Content-Disposition: attachment; filename

x
--p
Content-Type: application/octet-stream; name=
Content-Disposition: ; filename=a.bin

y
--p--
""")


def parts_200():
    s = hdr("p200", "Subject: 200 parts\n"
            "Content-Type: multipart/mixed; boundary=\"many\"\n") + "\n"
    for i in range(200):
        s += f"--many\nContent-Type: text/plain; name=\"p{i}.txt\"\n\n"
        s += "x" * (i % 7) + "\n" * (i % 3) + "\n"
    s += "--many--\n"
    return crlf(s)


def empty_body():
    return crlf("From: a@example.com\nSubject: empty\n\n")


def header_only():
    # No blank line at all: every byte is header.
    return b"From: a@example.com\r\nSubject: header only"


def empty_multipart():
    return crlf(hdr("emp", "Subject: empty multipart\n"
                    "Content-Type: multipart/mixed; boundary=e\n") +
                "\npreamble only\n--e--\n")


def encoded_message_rfc822():
    # RFC 2046 5.2.1: message/rfc822 must not be base64; it is not parsed.
    return crlf(hdr("enc822", "Subject: base64 message/rfc822\n"
                    "Content-Type: multipart/mixed; boundary=z\n") + """
--z
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

U3ViamVjdDogaGkKCmJvZHkK
--z--
""")


def long_and_literal_strings():
    long_subject = "word " * 300
    return crlf("From: a@example.com\n"
                f"Subject: {long_subject.strip()}\n"
                "Content-Type: text/plain; name=\"quote\\\"in name\"\n"
                "Content-Description: tab\there\n"
                "\nbody\n")


def boundary_lookalike():
    return crlf(hdr("look", "Subject: boundary look-alikes\n"
                    "Content-Type: multipart/mixed; boundary=\"ab\"\n") + """
--abc
--ab  \t
Content-Type: text/plain

--abX
not a boundary
--ab--trailing
--ab--
epilogue
""")


CORPUS = {
    "alternative_html": alternative_html,
    "mixed_attachments": mixed_attachments,
    "forwarded": forwarded,
    "digest": digest,
    "signed": signed,
    "calendar": calendar,
    "headers_missing": headers_missing,
    "headers_empty": headers_empty,
    "headers_duplicated": headers_duplicated,
    "bad_boundary": bad_boundary,
    "boundary_missing": boundary_missing,
    "unterminated": unterminated,
    "header_8bit": header_8bit,
    "groups": groups,
    "comments_quoted": comments_quoted,
    "encoded_subject": encoded_subject,
    "deep_nesting": deep_nesting,
    "deep_rfc822": deep_rfc822,
    "bare_lf": bare_lf,
    "mixed_line_ends": mixed_line_ends,
    "no_subtype": no_subtype,
    "params_without_values": params_without_values,
    "parts_200": parts_200,
    "empty_body": empty_body,
    "header_only": header_only,
    "empty_multipart": empty_multipart,
    "encoded_message_rfc822": encoded_message_rfc822,
    "long_and_literal_strings": long_and_literal_strings,
    "boundary_lookalike": boundary_lookalike,
}


def build():
    return {name: fn() for name, fn in CORPUS.items()}


# ---- reading IMAP data (RFC 9051 4) ----

TOKEN_RE = re.compile(rb'[^\s()"{]+')


def parse_sexp(b):
    """The first parenthesised list of b as nested Python lists: NIL is
    None, strings are bytes, atoms (numbers, NIL excepted) are str."""
    pos = b.index(b"(")
    stack = [[]]
    while pos < len(b):
        c = b[pos:pos + 1]
        if c == b" ":
            pos += 1
        elif c == b"(":
            stack.append([])
            pos += 1
        elif c == b")":
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
            if len(stack) == 1:
                return stack[0][0]
        elif c == b'"':
            out = bytearray()
            pos += 1
            while b[pos:pos + 1] != b'"':
                if b[pos:pos + 1] == b"\\":
                    pos += 1
                out += b[pos:pos + 1]
                pos += 1
            stack[-1].append(bytes(out))
            pos += 1
        elif c == b"{":
            end = b.index(b"}\r\n", pos)
            n = int(b[pos + 1:end])
            stack[-1].append(b[end + 3:end + 3 + n])
            pos = end + 3 + n
        else:
            m = TOKEN_RE.match(b, pos)
            tok = m.group(0).decode()
            stack[-1].append(None if tok.upper() == "NIL" else tok)
            pos = m.end()
    raise AssertionError(f"unbalanced: {b!r}")


def fetch_items(resp):
    """{"ENVELOPE": ..., "BODYSTRUCTURE": ...} of a FETCH response."""
    lst = parse_sexp(resp)
    return {lst[i].upper(): lst[i + 1] for i in range(0, len(lst), 2)}


# ---- the server's answers ----

@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """NAME -> the FETCH response bytes after "* n FETCH " (with CRLF)."""
    srv = make_server(tmp_path_factory, "imap_golden", imap=True)
    corpus = build()
    names = sorted(corpus)
    out = {}
    try:
        c = Imap(srv.imap_port)
        c.login()
        c.ok("CREATE golden")
        for name in names:
            data = corpus[name]
            c.send(f"{c.tag()} APPEND golden {{{len(data)}+}}\r\n".encode()
                   + data + b"\r\n")
            r = c.until_tagged(f"a{c.n}")
            assert r.ok, (name, r)
        c.ok("EXAMINE golden")
        for i, name in enumerate(names, 1):
            r = c.ok(f"FETCH {i} {ITEMS}")
            resp = [u for u in r.untagged if u.startswith(f"* {i} FETCH ".encode())]
            assert len(resp) == 1, (name, r)
            out[name] = resp[0][len(f"* {i} FETCH "):] + b"\r\n"
        c.logout()
    finally:
        finish(srv)
    return out


def test_corpus_files():
    """The .eml files are what this module builds (BUZON_GOLDEN_UPDATE=1
    writes them)."""
    os.makedirs(DATA, exist_ok=True)
    for name, data in build().items():
        path = os.path.join(DATA, name + ".eml")
        if UPDATE:
            with open(path, "wb") as f:
                f.write(data)
        with open(path, "rb") as f:
            assert f.read() == data, f"{path} differs from the generator"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_golden(answers, name):
    path = os.path.join(DATA, name + ".expected")
    if UPDATE:
        with open(path, "wb") as f:
            f.write(answers[name])
    with open(path, "rb") as f:
        want = f.read()
    assert answers[name] == want, (
        f"{name}: FETCH {ITEMS} changed\nwant {want!r}\ngot  "
        f"{answers[name]!r}")


# ---- the independent oracle: Python's email package ----

def raw_bytes(s):
    return s.encode("ascii", "surrogateescape")


def unfold(v):
    """RFC 5322 2.2.3: unfolding removes the CRLFs."""
    return None if v is None else re.sub(r"\r?\n", "", str(v))


def addr_spec(a):
    """An ENVELOPE address (name adl mailbox host) as "mailbox@host";
    None for group markers."""
    if a[3] is None:
        return None
    return (a[2] or b"").decode("latin-1") + "@" + a[3].decode("latin-1")


def unquote_local(a):
    """ENVELOPE mailbox names are the local part without its quoting
    (RFC 5322 3.4.1 quoted-string)."""
    local, _, host = a.rpartition("@")
    if local.startswith('"') and local.endswith('"'):
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
    return local + "@" + host


def check_envelope(env, msg, where):
    date, subject, frm, sender, reply_to, to, cc, bcc, irt, mid = env

    def hv(field):
        # the first occurrence as sent (8-bit bytes kept as surrogates)
        raw_v = [v for k, v in msg.raw_items() if k.lower() == field]
        v = unfold(raw_v[0]) if raw_v else None
        return v.strip(" \t") if v is not None else None

    def raw(field):
        v = hv(field)
        return None if v is None else raw_bytes(v)

    assert date == raw("date"), where
    assert subject == raw("subject"), where
    assert irt == raw("in-reply-to"), where
    assert mid == raw("message-id"), where

    def addrs(field):
        v = hv(field)
        if not v:
            return []
        return [unquote_local(a)
                for _, a in email.utils.getaddresses([v]) if "@" in a]

    def env_addrs(lst):
        # a bare local part gets the host MISSING_DOMAIN (as Dovecot);
        # email drops it
        return [s for s in map(addr_spec, lst or [])
                if s is not None and not s.endswith("@MISSING_DOMAIN")]

    # RFC 3501 7.4.2: Sender and Reply-To default to From.
    for field, got, fallback in (("from", frm, None),
                                 ("sender", sender, "from"),
                                 ("reply-to", reply_to, "from"),
                                 ("to", to, None), ("cc", cc, None),
                                 ("bcc", bcc, None)):
        want = addrs(field) or (addrs(fallback) if fallback else [])
        assert env_addrs(got) == want, (where, field, got, want)


def leaf_payload(part):
    p = part.get_payload()
    assert isinstance(p, str)
    try:
        return raw_bytes(p)
    except UnicodeEncodeError:
        # email decoded an 8bit body with its charset: encode it back
        return p.encode(part.get_content_charset() or "utf-8",
                        "surrogateescape")


def check_part(bs, part, where, counts, open_end=False):
    """bs: a BODYSTRUCTURE (RFC 3501 7.4.2) list; part: email's view.
    open_end: part is the last of a multipart that the message ends
    inside (no close-delimiter)."""
    counts[0] += 1
    if isinstance(bs[0], list):
        kids = []
        for x in bs:
            if not isinstance(x, list):
                break
            kids.append(x)
        subtype = bs[len(kids)]
        assert part.get_content_maintype() == "multipart", where
        assert subtype.decode().lower() == part.get_content_subtype(), where
        sub = part.get_payload()
        if not isinstance(sub, list) or not sub:
            # RFC 2046 5.1.1 wants one part: shown as an empty text part
            assert len(kids) == 1 and kids[0][6] == "0", (where, kids)
            return
        assert len(kids) == len(sub), (where, len(kids), len(sub))
        unclosed = open_end or any(
            isinstance(d, email.errors.CloseBoundaryNotFoundDefect)
            for d in part.defects)
        for i, (k, s) in enumerate(zip(kids, sub), 1):
            check_part(k, s, f"{where}.{i}", counts,
                       unclosed and i == len(sub))
        return
    typ = bs[0].decode().lower()
    subtype = bs[1].decode().lower()
    ctype = part.get_content_type()
    cte = (part.get("content-transfer-encoding") or "7bit").lower()
    if ctype.startswith("multipart/") or (
            ctype == "message/rfc822" and (
                not part.is_multipart() or
                cte.strip() not in ("7bit", "8bit", "binary"))):
        # buzon does not descend into a multipart without a usable
        # boundary, past the depth limit, or into an encoded message
        # (RFC 2046 5.2.1): an opaque application/octet-stream leaf.
        assert (typ, subtype) == ("application", "octet-stream"), where
        return
    assert f"{typ}/{subtype}" == ctype, (where, typ, subtype, ctype)
    # Parameters without RFC 2231 "*" (email decodes those).
    params = {}
    if bs[2] is not None:
        for i in range(0, len(bs[2]), 2):
            params[bs[2][i].decode().lower()] = bs[2][i + 1]
    want = {}
    # RFC 2045 5.2: an invalid Content-Type counts as the default.
    valid = "/" in (part.get("content-type") or "/").split(";")[0]
    for k, v in (part.get_params() or [])[1:] if valid else []:
        # a parameter without "=value" is not one (RFC 2045 5.1)
        if isinstance(v, str) and "*" not in k and k and (
                v != "" or params.get(k.lower()) == b""):
            want[k.lower()] = raw_bytes(email.utils.unquote(v))
    if typ == "text" and "charset" not in want:
        want["charset"] = b"us-ascii"  # RFC 2045 5.2 default
    got = {k: v for k, v in params.items() if "*" not in k}
    for k in set(want) | set(got):
        if k in want and k in got:
            assert got[k] == want[k], (where, k, got[k], want[k])
    assert set(got) - set(want) <= {""}, (where, got, want)
    enc = (part.get("content-transfer-encoding") or "7bit").split()[0]
    assert bs[5].decode().lower() == enc.lower().rstrip(";"), where
    if ctype == "message/rfc822":
        inner = part.get_payload()[0]
        check_envelope(bs[7], inner, where + ".env")
        check_part(bs[8], inner, where + ".msg", counts)
        return
    body = leaf_payload(part)
    if open_end and int(bs[6]) != len(body):
        # RFC 2046 5.1.1: the line end before a delimiter is the
        # delimiter's; without one it stays in the part (email drops it)
        for eol in (b"\r\n", b"\n"):
            if int(bs[6]) == len(body) + len(eol):
                body += eol
                break
    assert int(bs[6]) == len(body), (where, bs[6], len(body))
    if typ == "text":
        assert int(bs[7]) == body.count(b"\n"), (where, bs[7], body)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_oracle(answers, name):
    data = build()[name]
    items = fetch_items(answers[name])
    assert int(items["RFC822.SIZE"]) == len(data)
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    check_envelope(items["ENVELOPE"], msg, name)
    counts = [0]
    check_part(items["BODYSTRUCTURE"], msg, name, counts)
    # BODY is BODYSTRUCTURE without the extension data.
    assert strip_ext(items["BODYSTRUCTURE"]) == items["BODY"], name


def strip_ext(bs):
    """The non-extensible BODY form of a BODYSTRUCTURE."""
    if isinstance(bs[0], list):
        kids = []
        for x in bs:
            if not isinstance(x, list):
                break
            kids.append(strip_ext(x))
        return kids + [bs[len(kids)]]
    typ = (bs[0] or b"").lower()
    sub = (bs[1] or b"").lower()
    n = 7
    if typ == b"message" and sub in (b"rfc822", b"global"):
        return bs[:7] + [bs[7], strip_ext(bs[8]), bs[9]]
    if typ == b"text":
        n = 8
    return bs[:n]
