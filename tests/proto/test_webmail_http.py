# test_webmail_http.py: the webmail over HTTP: the embedded app (types,
# ETag/304, gzip, CSP), the cookie login (attributes, failure delay,
# cross-origin refusal), CSRF refusal of cookie-authenticated API calls,
# logout, and Basic authentication still working beside cookies.
# SPDX-License-Identifier: MIT
import base64
import gzip
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

import pytest

from conftest import finish, make_server

# The browser test lives in tests/e2e; collected here too so that `make
# test` runs it (it skips without chromium, node or playwright-core).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from test_webmail_e2e import srv, test_webmail_in_chromium  # noqa: E402,F401

ALICE = "alice@example.test"
PW = "alice-secret"
APP = os.path.join(os.path.dirname(__file__), "..", "..", "src", "web", "app")
ECHO = {"using": ["urn:ietf:params:jmap:core"],
        "methodCalls": [["Core/echo", {"hello": 1}, "e"]]}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    srv = make_server(tmp_path_factory, "webmail", http=True)
    yield srv
    finish(srv)


def req(srv, method, path, body=None, headers=None, tls=False):
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c = http.client.HTTPSConnection("127.0.0.1", srv.https_port,
                                        timeout=10, context=ctx)
    else:
        c = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=10)
    c.request(method, path, body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


def login(srv, user=ALICE, pw=PW, tls=False, extra=None):
    body = urllib.parse.urlencode({"username": user, "password": pw})
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    hdrs.update(extra or {})
    return req(srv, "POST", "/login", body, hdrs, tls=tls)


def session_cookie(r):
    sc = r.getheader("Set-Cookie")
    assert sc and sc.startswith("buzon_session="), sc
    return sc, sc.split(";")[0]


def logged_in(srv):
    r, data = login(srv)
    assert r.status == 200, data
    _, cookie = session_cookie(r)
    return cookie, json.loads(data)["csrf"]


def api(srv, cookie, csrf=None, body=ECHO):
    hdrs = {"Cookie": cookie, "Content-Type": "application/json"}
    if csrf is not None:
        hdrs["X-Buzon-CSRF"] = csrf
    return req(srv, "POST", "/jmap/api/", json.dumps(body), hdrs)


# ---- the app ----

def test_index_served_with_csp(web):
    r, data = req(web, "GET", "/")
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/html; charset=utf-8"
    assert data == open(os.path.join(APP, "index.html"), "rb").read()
    csp = r.getheader("Content-Security-Policy")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    # scripts only from the app's files: no inline script, no eval, and
    # nothing the message frame could borrow
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert r.getheader("X-Frame-Options") == "DENY"
    assert r.getheader("X-Content-Type-Options") == "nosniff"


def test_every_asset_served_byte_exact(web):
    types = {"js": "text/javascript; charset=utf-8",
             "css": "text/css; charset=utf-8",
             "html": "text/html; charset=utf-8"}
    names = sorted(os.listdir(APP))
    assert {"index.html", "app.css", "app.js"} <= set(names)
    for name in names:
        r, data = req(web, "GET", "/app/" + name)
        assert r.status == 200, name
        assert data == open(os.path.join(APP, name), "rb").read(), name
        assert r.getheader("Content-Type") == types[name.rsplit(".", 1)[1]]


def test_etag_and_revalidation(web):
    r, _ = req(web, "GET", "/app/app.js")
    etag = r.getheader("ETag")
    assert etag and etag.startswith('"') and etag.endswith('"')
    cc = r.getheader("Cache-Control")
    assert cc == "no-cache", cc  # one Cache-Control, the asset's own
    r2, data = req(web, "GET", "/app/app.js", headers={"If-None-Match": etag})
    assert r2.status == 304 and data == b""
    assert r2.getheader("ETag") == etag
    assert r2.getheader("Content-Length") is None
    r3, _ = req(web, "GET", "/app/app.js",
                headers={"If-None-Match": '"other", W/' + etag})
    assert r3.status == 304
    r4, data = req(web, "GET", "/app/app.js",
                   headers={"If-None-Match": '"stale"'})
    assert r4.status == 200 and len(data) > 0
    # each file has its own tag
    r5, _ = req(web, "GET", "/app/app.css")
    assert r5.getheader("ETag") != etag


def test_gzip_and_head(web):
    plain = open(os.path.join(APP, "app.js"), "rb").read()
    r, data = req(web, "GET", "/app/app.js",
                  headers={"Accept-Encoding": "gzip"})
    assert r.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(data) == plain
    assert len(data) < len(plain)
    r, data = req(web, "HEAD", "/")
    assert r.status == 200 and data == b""
    assert int(r.getheader("Content-Length")) == os.path.getsize(
        os.path.join(APP, "index.html"))


@pytest.mark.parametrize("path", ["/app/", "/app/nope.js", "/app/x/app.js",
                                  "/app/%2e%2e/app.js", "/index.html",
                                  "/app/../../etc/passwd"])
def test_unknown_paths(web, path):
    r, _ = req(web, "GET", path)
    assert r.status == 404, path


def test_methods(web):
    r, _ = req(web, "POST", "/", "x", {"Content-Type": "text/plain"})
    assert r.status == 405 and "GET" in r.getheader("Allow")
    r, _ = req(web, "GET", "/login")
    assert r.status == 405 and "POST" in r.getheader("Allow")


# ---- login, cookies ----

def test_no_session(web):
    r, _ = req(web, "GET", "/session")
    assert r.status == 401
    # never a Basic challenge: the browser would open its own dialog
    assert r.getheader("WWW-Authenticate") is None


def test_login_cookie_attributes(web):
    r, data = login(web)
    assert r.status == 200
    who = json.loads(data)
    assert who["username"] == ALICE
    assert len(who["csrf"]) == 64
    sc, cookie = session_cookie(r)
    attrs = [a.strip() for a in sc.split(";")[1:]]
    assert "HttpOnly" in attrs and "SameSite=Strict" in attrs
    assert "Path=/" in attrs
    assert "Secure" not in attrs  # plain HTTP (loopback)
    sid = cookie.split("=", 1)[1]
    assert len(sid) == 64 and int(sid, 16) >= 0
    assert sid != who["csrf"]
    r, data = req(web, "GET", "/session", headers={"Cookie": cookie})
    assert r.status == 200 and json.loads(data) == who
    # a second login is a new session with new secrets
    r2, data2 = login(web)
    assert session_cookie(r2)[1] != cookie
    assert json.loads(data2)["csrf"] != who["csrf"]


def test_login_over_tls_sets_secure(web):
    r, _ = login(web, tls=True)
    assert r.status == 200
    sc, _ = session_cookie(r)
    assert "Secure" in [a.strip() for a in sc.split(";")]


def test_login_wrong_password_delayed(web):
    t0 = time.monotonic()
    r, _ = login(web, pw="wrong")
    assert r.status == 401
    assert r.getheader("Set-Cookie") is None
    assert time.monotonic() - t0 >= 0.4  # the limiter's failure delay
    r, _ = login(web, user="nobody@example.test")
    assert r.status == 401
    r, _ = login(web)  # success clears the failures
    assert r.status == 200


def test_login_form_errors(web):
    r, _ = req(web, "POST", "/login", "username=a&password=b",
               {"Content-Type": "text/plain"})
    assert r.status == 415
    r, _ = req(web, "POST", "/login", "username=" + ALICE,
               {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    r, _ = req(web, "POST", "/login", "password=x&username=",
               {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400


def test_login_cross_origin_refused(web):
    r, _ = login(web, extra={"Origin": "http://evil.example"})
    assert r.status == 403
    port = web.http_port
    r, _ = login(web, extra={"Origin": f"http://127.0.0.1:{port}"})
    assert r.status == 200


def test_cookie_api_needs_csrf(web):
    cookie, csrf = logged_in(web)
    r, _ = api(web, cookie)
    assert r.status == 403
    r, _ = api(web, cookie, "0" * 64)
    assert r.status == 403
    r, _ = api(web, cookie, csrf[:-1])
    assert r.status == 403
    r, data = api(web, cookie, csrf)
    assert r.status == 200
    assert json.loads(data)["methodResponses"][0][1] == {"hello": 1}
    # GET endpoints work with the cookie alone
    r, data = req(web, "GET", "/.well-known/jmap", headers={"Cookie": cookie})
    assert r.status == 200 and json.loads(data)["username"] == ALICE
    # an upload is a POST: the token is required there too
    r, _ = req(web, "POST", "/jmap/upload/a1/", b"x",
               {"Cookie": cookie, "Content-Type": "text/plain"})
    assert r.status == 403


def test_unknown_cookie(web):
    r, _ = api(web, "buzon_session=" + "ab" * 32, "cd" * 32)
    assert r.status == 401
    r, _ = req(web, "GET", "/.well-known/jmap",
               headers={"Cookie": "buzon_session=short"})
    assert r.status == 401


def test_basic_still_works(web):
    auth = "Basic " + base64.b64encode(f"{ALICE}:{PW}".encode()).decode()
    # an Authorization field wins over a stale cookie; no CSRF needed
    r, data = req(web, "POST", "/jmap/api/", json.dumps(ECHO),
                  {"Authorization": auth, "Content-Type": "application/json",
                   "Cookie": "buzon_session=" + "ab" * 32})
    assert r.status == 200, data


def test_logout(web):
    cookie, csrf = logged_in(web)
    r, _ = req(web, "POST", "/logout", "", {"Cookie": cookie})
    assert r.status == 403  # without the token: still logged in
    r, _ = req(web, "GET", "/session", headers={"Cookie": cookie})
    assert r.status == 200
    r, _ = req(web, "POST", "/logout", "",
               {"Cookie": cookie, "X-Buzon-CSRF": csrf})
    assert r.status == 204
    sc = r.getheader("Set-Cookie")
    assert sc.startswith("buzon_session=;") and "Max-Age=0" in sc
    r, _ = req(web, "GET", "/session", headers={"Cookie": cookie})
    assert r.status == 401
    r, _ = api(web, cookie, csrf)
    assert r.status == 401


def test_plain_http_login_refused_off_loopback(tmp_path_factory):
    srv = make_server(tmp_path_factory, "webmail_noplain", http=True,
                      http_extra="plaintext_auth = no")
    try:
        r, _ = login(srv)
        assert r.status == 403
        r, _ = login(srv, tls=True)
        assert r.status == 200
    finally:
        finish(srv)
