# test_http_basic.py: the HTTP/1.1 server (src/web): keep-alive,
# pipelining, limits, parser errors with close, HEAD, OPTIONS, 405,
# gzip, security headers, smuggling attempts, TLS on https, timeouts.
# SPDX-License-Identifier: MIT
import base64
import gzip
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time

import pytest

from conftest import finish, make_server

ALICE = "alice@example.test"
PW = "alice-secret"
AUTH = "Basic " + base64.b64encode(f"{ALICE}:{PW}".encode()).decode()
JSON = {"Content-Type": "application/json", "Authorization": AUTH}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    srv = make_server(tmp_path_factory, "http_basic", http=True,
                      http_extra="idle_timeout = 2s\nrequest_timeout = 1s\n")
    yield srv
    finish(srv)


def raw(port, data, timeout=5, shut=True):
    """Send data on a fresh connection; return everything read until
    the server closes (shut: half-close our side after sending)."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.sendall(data)
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already reset by the server
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            raise AssertionError(f"the server did not close: {out[:200]}")
        if not b:
            break
        out += b
    s.close()
    return out


def statuses(data):
    """The status codes of the responses in data, framed by their
    Content-Length (HEAD responses are not handled here)."""
    out = []
    while data:
        head, sep, data = data.partition(b"\r\n\r\n")
        assert sep, head
        out.append(int(head.split(b" ", 2)[1]))
        m = re.search(rb"\r\nContent-Length: (\d+)", head)
        if out[-1] >= 200 and m:
            data = data[int(m.group(1)):]
    return out


def test_security_headers_and_date(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=5)
    c.request("GET", "/nowhere")
    r = c.getresponse()
    r.read()
    assert r.status == 404
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert r.getheader("Referrer-Policy") == "no-referrer"
    assert r.getheader("Strict-Transport-Security") is None  # plain
    date = r.getheader("Date")
    assert date.endswith(" GMT") and len(date) == 29, date
    time.strptime(date, "%a, %d %b %Y %H:%M:%S GMT")


def test_keep_alive_many_requests_one_connection(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=5)
    for _ in range(5):
        c.request("GET", "/.well-known/jmap", headers={"Authorization": AUTH})
        r = c.getresponse()
        assert r.status == 200
        json.loads(r.read())
        assert r.getheader("Connection") is None
    sock = c.sock
    c.request("GET", "/x")
    c.getresponse().read()
    assert c.sock is sock  # the same connection all along


def test_pipelining_in_order(web):
    reqs = b"".join(
        b"GET /p%d HTTP/1.1\r\nHost: a\r\n\r\n" % i for i in range(3))
    reqs += (b"POST /jmap/api/ HTTP/1.1\r\nHost: a\r\nAuthorization: "
             + AUTH.encode() + b"\r\nContent-Type: application/json\r\n"
             b"Content-Length: 2\r\n\r\n{}")
    reqs += b"GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    out = raw(web.http_port, reqs)
    assert statuses(out) == [404, 404, 404, 400, 404], out
    assert out.count(b"notRequest") == 1
    assert out.index(b"notRequest") < out.rindex(b"Not found")


def test_head_has_length_no_body(web):
    out = raw(web.http_port,
              b"HEAD /.well-known/jmap HTTP/1.1\r\nHost: a\r\nAuthorization: "
              + AUTH.encode() + b"\r\n\r\n"
              b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
    first, rest = out.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert b"Content-Length: " in first
    # no body: the next response follows the head at once
    assert rest.startswith(b"HTTP/1.1 404 "), rest[:80]


def test_options_and_405_allow(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=5)
    c.request("OPTIONS", "/jmap/api/")
    r = c.getresponse()
    r.read()
    assert r.status == 204
    assert r.getheader("Allow") == "POST, OPTIONS"
    c.request("GET", "/jmap/api/")
    r = c.getresponse()
    r.read()
    assert r.status == 405 and r.getheader("Allow") == "POST, OPTIONS"
    c.request("DELETE", "/.well-known/jmap")
    r = c.getresponse()
    r.read()
    assert r.status == 405
    assert r.getheader("Allow") == "GET, HEAD, OPTIONS"
    out = raw(web.http_port, b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(out) == [200] and b"Allow: GET, HEAD, POST" in out
    out = raw(web.http_port, b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert statuses(out) == [501]


@pytest.mark.parametrize("req,status", [
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-A: b\r\n" * 150 + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\n\r\n", 400),                 # no Host
    (b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
    (b"POST /jmap/api/ HTTP/1.1\r\nHost: a\r\n"
     b"Content-Length: 99999999999\r\n\r\n", 413),
    (b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", 501),
])
def test_parser_errors_answer_and_close(web, req, status):
    # whatever follows must not be read as a request
    out = raw(web.http_port, req + b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
              shut=False)
    assert statuses(out) == [status], out[:300]
    assert b"Connection: close\r\n" in out



def upload_refused(port, target, length, tls=False, total=8 << 20,
                   step=16 << 10):
    """Announce a body far over the limit, then keep sending it slowly
    while reading: return all that was read until the server closed.
    The 413 comes before the body is read; without a lingering close
    (RFC 9112 9.6) the server's close with unread input resets the
    connection and the reset can destroy the reply before it is read."""
    s = socket.create_connection(("127.0.0.1", port), 10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    # more than the server reads ahead, so input is still unread when
    # it decides to close
    first = 256 << 10
    s.sendall(b"POST %s HTTP/1.1\r\nHost: a\r\n"
              b"Content-Type: application/octet-stream\r\n"
              b"Content-Length: %d\r\n\r\n" % (target, length)
              + b"x" * first)
    chunk, sent, out = b"x" * step, first, b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sent < total:
            try:
                s.sendall(chunk)
                sent += step
            except OSError:
                sent = total  # the server closed; read what came
        s.settimeout(0.002 if sent < total else 5)
        try:
            b = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except ConnectionResetError:
            out += b"<RST>"
            break
        except ssl.SSLError:  # the TCP stream ended before close_notify
            out += b"<RST>"
            break
        if not b:
            if tls:
                out += tcp_end(s)
            break
        out += b
    s.close()
    return out


def tcp_end(s):
    """After a TLS close_notify: how the TCP stream under it ends, b""
    for a FIN, b"<RST>" for a reset."""
    t = socket.socket(fileno=os.dup(s.fileno()))
    t.settimeout(5)
    try:
        return t.recv(65536)
    except ConnectionResetError:
        return b"<RST>"
    finally:
        t.close()


@pytest.mark.parametrize("tls", [False, True])
@pytest.mark.parametrize("target,length,limit", [
    (b"/jmap/api/", 20 << 20, "maxSizeRequest"),  # over the route's limit
    (b"/jmap/upload/x/", 1 << 40, None),          # over the parser's
])
def test_413_survives_a_body_still_arriving(web, tls, target, length, limit):
    port = web.https_port if tls else web.http_port
    for _ in range(3):
        out = upload_refused(port, target, length, tls)
        # a clean end of stream (the server's FIN), no reset
        assert not out.endswith(b"<RST>"), out[:400]
        head, sep, body = out.partition(b"\r\n\r\n")
        assert sep and head.startswith(b"HTTP/1.1 413 "), out[:300]
        assert b"\r\nConnection: close\r\n" in head
        n = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
        assert len(body) == n, out[:300]
        if limit:
            assert json.loads(body)["limit"] == limit


@pytest.mark.parametrize("req", [
    # CL.TE and TE.CL desync attempts (RFC 9112 6.1, 11.2)
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
    b"Content-Length: 6\r\n\r\nhello!",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
    b"\r\n0\r\n\r\n",
    b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello",
    b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\nhello\r\n0\r\n\r\n",
])
def test_smuggling_refused_and_closed(web, req):
    out = raw(web.http_port,
              req + b"GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", shut=False)
    st = statuses(out)
    assert len(st) == 1 and st[0] in (400, 501), out[:300]
    assert b"Connection: close" in out


def test_chunked_body_accepted(web):
    body = b'{"using":["urn:ietf:params:jmap:core"],"methodCalls":' \
           b'[["Core/echo",{"k":1},"0"]]}'
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                      for i in range(0, len(body), 7))
    out = raw(web.http_port,
              b"POST /jmap/api/ HTTP/1.1\r\nHost: a\r\nAuthorization: "
              + AUTH.encode() + b"\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
    assert statuses(out) == [200], out
    assert json.loads(out.split(b"\r\n\r\n", 1)[1])["methodResponses"] == \
        [["Core/echo", {"k": 1}, "0"]]


def test_expect_100_continue(web):
    s = socket.create_connection(("127.0.0.1", web.http_port), 5)
    s.sendall(b"POST /jmap/api/ HTTP/1.1\r\nHost: a\r\nAuthorization: "
              + AUTH.encode() + b"\r\nContent-Type: application/json\r\n"
              b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(b"[]")
    assert s.recv(4096).startswith(b"HTTP/1.1 400 ")
    s.close()


def test_gzip_when_accepted_and_large(web):
    big = {"using": ["urn:ietf:params:jmap:core"],
           "methodCalls": [["Core/echo", {"pad": "x" * 5000}, "0"]]}
    hdrs = dict(JSON)
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=5)
    c.request("POST", "/jmap/api/", json.dumps(big),
              headers=dict(hdrs, **{"Accept-Encoding": "gzip"}))
    r = c.getresponse()
    data = r.read()
    assert r.getheader("Content-Encoding") == "gzip"
    assert r.getheader("Vary") == "Accept-Encoding"
    assert len(data) < 1000
    resp = json.loads(gzip.decompress(data))
    assert resp["methodResponses"][0][1]["pad"] == "x" * 5000
    # refused with q=0, or not asked for: identity
    for ae in ("gzip;q=0", None):
        h = dict(hdrs)
        if ae:
            h["Accept-Encoding"] = ae
        c.request("POST", "/jmap/api/", json.dumps(big), headers=h)
        r = c.getresponse()
        data = r.read()
        assert r.getheader("Content-Encoding") is None
        assert json.loads(data)["methodResponses"][0][1]["pad"][:3] == "xxx"
    # small bodies are never compressed
    c.request("GET", "/small", headers={"Accept-Encoding": "gzip"})
    r = c.getresponse()
    r.read()
    assert r.getheader("Content-Encoding") is None


def test_curl_compressed(web):
    out = subprocess.run(
        ["curl", "-s", "--compressed", "-u", f"{ALICE}:{PW}",
         "-H", "Content-Type: application/json", "-w", "\\n%{http_code}",
         "--data", json.dumps({"using": ["urn:ietf:params:jmap:core"],
                               "methodCalls": [["Core/echo",
                                                {"a": "y" * 3000}, "0"]]}),
         f"http://127.0.0.1:{web.http_port}/jmap/api/"],
        capture_output=True, timeout=20)
    body, code = out.stdout.rsplit(b"\n", 1)
    assert code == b"200"
    assert json.loads(body)["methodResponses"][0][1]["a"] == "y" * 3000


def test_https_tls_and_hsts(web):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", web.https_port, timeout=5,
                                    context=ctx)
    c.request("GET", "/.well-known/jmap", headers={"Authorization": AUTH})
    r = c.getresponse()
    sess = json.loads(r.read())
    assert r.status == 200
    assert r.getheader("Strict-Transport-Security").startswith("max-age=")
    assert sess["apiUrl"] == f"https://127.0.0.1:{web.https_port}/jmap/api/"
    # plain HTTP on the TLS port gets no answer
    out = raw(web.https_port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert not out.startswith(b"HTTP/")


def test_request_head_timeout(web):
    s = socket.create_connection(("127.0.0.1", web.http_port), 5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")  # never finished
    t0 = time.monotonic()
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b"Connection: close" in data
    assert time.monotonic() - t0 < 3
    s.close()


def test_idle_keepalive_closed(web):
    s = socket.create_connection(("127.0.0.1", web.http_port), 6)
    s.sendall(b"GET /none HTTP/1.1\r\nHost: a\r\n\r\n")
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 404")
    t0 = time.monotonic()
    assert s.recv(4096) == b""  # closed, without a response
    assert 1 < time.monotonic() - t0 < 5
    s.close()


def test_body_timeout(web):
    s = socket.create_connection(("127.0.0.1", web.http_port), 8)
    s.sendall(b"POST /jmap/api/ HTTP/1.1\r\nHost: a\r\n"
              b"Content-Length: 10\r\n\r\nabc")
    data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 408 "), data
    s.close()


def test_http10_closes(web):
    out = raw(web.http_port, b"GET /x HTTP/1.0\r\n\r\n"
              b"GET /y HTTP/1.0\r\n\r\n", shut=False)
    assert statuses(out) == [404]
    assert b"Connection: close" in out


def test_graceful_stop_with_idle_connection(tmp_path_factory):
    srv = make_server(tmp_path_factory, "http_stop", http=True)
    s = socket.create_connection(("127.0.0.1", srv.http_port), 5)
    s.sendall(b"GET /none HTTP/1.1\r\nHost: a\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 404")
    t0 = time.monotonic()
    finish(srv)  # exit 0, no sanitizer report
    assert time.monotonic() - t0 < 5
    assert s.recv(4096) == b""
    s.close()
