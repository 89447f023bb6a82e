# test_jmap_core.py: JMAP core (RFC 8620) over HTTP: the session
# resource, Basic authentication (failures, delays, plain HTTP refused),
# Core/echo, result references, request-level and method-level errors,
# limits, blob upload/download, the event-source stream.
# SPDX-License-Identifier: MIT
import base64
import http.client
import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from conftest import finish, make_server

ALICE = "alice@example.test"
PW = "alice-secret"
CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUB = "urn:ietf:params:jmap:submission"


def basic(user, pw):
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


AUTH = basic(ALICE, PW)


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    srv = make_server(tmp_path_factory, "jmap_core", http=True)
    yield srv
    finish(srv)


def call(srv, body, auth=AUTH, ctype="application/json", port=None):
    c = http.client.HTTPConnection("127.0.0.1", port or srv.http_port,
                                   timeout=10)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    hdrs = {"Authorization": auth}
    if ctype:
        hdrs["Content-Type"] = ctype
    c.request("POST", "/jmap/api/", data, headers=hdrs)
    r = c.getresponse()
    raw = r.read()
    c.close()
    if r.getheader("Content-Type", "").startswith("text/plain"):
        return r, raw
    return r, json.loads(raw) if raw else None


def api(srv, calls, using=(CORE,)):
    r, j = call(srv, {"using": list(using), "methodCalls": calls})
    assert r.status == 200, j
    return j


def session(srv, auth=AUTH, port=None):
    c = http.client.HTTPConnection("127.0.0.1", port or srv.http_port,
                                   timeout=10)
    c.request("GET", "/.well-known/jmap", headers={"Authorization": auth})
    r = c.getresponse()
    return r, r.read()


def test_session_resource(web):
    r, body = session(web)
    assert r.status == 200
    assert r.getheader("Content-Type") == "application/json"
    s = json.loads(body)
    core = s["capabilities"][CORE]
    for k in ("maxSizeUpload", "maxConcurrentUpload", "maxSizeRequest",
              "maxConcurrentRequests", "maxCallsInRequest",
              "maxObjectsInGet", "maxObjectsInSet"):
        assert isinstance(core[k], int) and core[k] > 0, k
    assert isinstance(core["collationAlgorithms"], list)
    # core, mail (RFC 8621 1.3.1) and submission (1.3.2): the latter two
    # empty here, their limits per account, the user's account primary
    assert list(s["capabilities"]) == [CORE, MAIL, SUB]
    assert s["capabilities"][MAIL] == {} and s["capabilities"][SUB] == {}
    assert s["username"] == ALICE
    (acc, info), = s["accounts"].items()
    assert info["name"] == ALICE and info["isPersonal"] is True
    assert s["primaryAccounts"] == {MAIL: acc, SUB: acc}
    assert sorted(info["accountCapabilities"]) == [MAIL, SUB]
    am = info["accountCapabilities"][MAIL]
    assert am["maxSizeMailboxName"] >= 100 and am["maxMailboxDepth"] >= 1
    assert "receivedAt" in am["emailQuerySortOptions"]
    base = f"http://127.0.0.1:{web.http_port}"
    assert s["apiUrl"] == base + "/jmap/api/"
    assert s["uploadUrl"] == base + "/jmap/upload/{accountId}/"
    assert s["downloadUrl"].startswith(base + "/jmap/download/{accountId}/")
    for v in ("{blobId}", "{name}", "{type}"):
        assert v in s["downloadUrl"]
    for v in ("{types}", "{closeafter}", "{ping}"):
        assert v in s["eventSourceUrl"]
    assert isinstance(s["state"], str) and s["state"]
    # the state is stable, and the API reports the same one
    assert json.loads(session(web)[1])["state"] == s["state"]
    j = api(web, [["Core/echo", {}, "0"]])
    assert j["sessionState"] == s["state"]


def test_urllib_with_basic_auth_handler(web):
    mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    url = f"http://127.0.0.1:{web.http_port}/.well-known/jmap"
    mgr.add_password(None, url, ALICE, PW)
    opener = urllib.request.build_opener(
        urllib.request.HTTPBasicAuthHandler(mgr))
    with opener.open(url, timeout=10) as r:
        assert json.loads(r.read())["username"] == ALICE


def test_auth_required_and_challenge(web):
    r, body = session(web, auth="")
    assert r.status == 401
    assert r.getheader("WWW-Authenticate") == \
        'Basic realm="buzon", charset="UTF-8"'
    r, body = session(web, auth="Bearer abc")
    assert r.status == 401


def test_wrong_password_is_delayed(web):
    t0 = time.monotonic()
    r, _ = session(web, auth=basic(ALICE, "wrong"))
    t1 = time.monotonic()
    assert r.status == 401 and r.getheader("WWW-Authenticate")
    assert t1 - t0 >= 0.45  # AUTH_FAIL_DELAY_MS
    r, _ = session(web, auth=basic("nobody@example.test", "x"))
    assert r.status == 401
    assert time.monotonic() - t1 >= 0.9  # doubled
    # a success resets the delay for the address
    assert session(web)[0].status == 200
    t2 = time.monotonic()
    assert session(web, auth=basic(ALICE, "bad"))[0].status == 401
    assert time.monotonic() - t2 < 0.9
    assert session(web)[0].status == 200


def test_login_cached_per_connection(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=10)
    times = []
    for _ in range(3):
        t0 = time.monotonic()
        c.request("GET", "/.well-known/jmap", headers={"Authorization": AUTH})
        r = c.getresponse()
        r.read()
        assert r.status == 200
        times.append(time.monotonic() - t0)
    # another password on the same connection is checked again
    c.request("GET", "/.well-known/jmap",
              headers={"Authorization": basic(ALICE, "nope")})
    r = c.getresponse()
    r.read()
    assert r.status == 401
    c.close()
    assert web.log_text().count("http login user=alice@example.test") >= 1


def test_plain_http_refused_when_disabled(tmp_path_factory):
    srv = make_server(tmp_path_factory, "jmap_noplain", http=True,
                      http_extra="plaintext_auth = no\n")
    try:
        r, body = session(srv)
        assert r.status == 403
        assert b"https" in body
        r, _ = call(srv, {"using": [CORE], "methodCalls": []})
        assert r.status == 403
        # over TLS it works
        import ssl
        ctx = ssl._create_unverified_context()
        c = http.client.HTTPSConnection("127.0.0.1", srv.https_port,
                                        timeout=10, context=ctx)
        c.request("GET", "/.well-known/jmap", headers={"Authorization": AUTH})
        assert c.getresponse().status == 200
    finally:
        finish(srv)


def test_core_echo(web):
    args = {"hello": True, "n": [1, 2, {"x": None}], "s": "ñ"}
    j = api(web, [["Core/echo", args, "c1"]])
    assert j["methodResponses"] == [["Core/echo", args, "c1"]]
    assert "createdIds" not in j


def test_created_ids_echoed(web):
    r, j = call(web, {"using": [CORE], "methodCalls": [],
                      "createdIds": {"k1": "id1"}})
    assert r.status == 200
    assert j == {"methodResponses": [], "sessionState": j["sessionState"],
                 "createdIds": {"k1": "id1"}}


def test_result_references(web):
    calls = [
        ["Core/echo", {"list": [{"id": "a", "t": ["x", "y"]},
                                {"id": "b", "t": ["z"]}],
                       "o": {"a/b": 1, "m~n": 2}}, "t0"],
        ["Core/echo", {"#ids": {"resultOf": "t0", "name": "Core/echo",
                                "path": "/list/*/id"}}, "t1"],
        ["Core/echo", {"#ts": {"resultOf": "t0", "name": "Core/echo",
                               "path": "/list/*/t"}}, "t2"],
        ["Core/echo", {"#one": {"resultOf": "t0", "name": "Core/echo",
                                "path": "/list/1/id"}}, "t3"],
        ["Core/echo", {"#esc": {"resultOf": "t0", "name": "Core/echo",
                                "path": "/o/a~1b"},
                       "#esc2": {"resultOf": "t0", "name": "Core/echo",
                                 "path": "/o/m~0n"}}, "t4"],
        ["Core/echo", {"#all": {"resultOf": "t1", "name": "Core/echo",
                                "path": ""}}, "t5"],
    ]
    r = api(web, calls)["methodResponses"]
    assert r[1] == ["Core/echo", {"ids": ["a", "b"]}, "t1"]
    assert r[2] == ["Core/echo", {"ts": ["x", "y", "z"]}, "t2"]  # flattened
    assert r[3] == ["Core/echo", {"one": "b"}, "t3"]
    assert r[4] == ["Core/echo", {"esc": 1, "esc2": 2}, "t4"]
    assert r[5] == ["Core/echo", {"all": {"ids": ["a", "b"]}}, "t5"]


@pytest.mark.parametrize("ref", [
    {"resultOf": "nope", "name": "Core/echo", "path": "/a"},
    {"resultOf": "t0", "name": "Other/get", "path": "/a"},
    {"resultOf": "t0", "name": "Core/echo", "path": "/missing"},
    {"resultOf": "t0", "name": "Core/echo", "path": "/a/5"},
    {"resultOf": "t0", "name": "Core/echo", "path": "/a/01"},
    {"resultOf": "t0", "name": "Core/echo", "path": "a"},
    {"resultOf": "t0", "name": "Core/echo", "path": "/b~2"},
    {"resultOf": "t0", "name": "Core/echo"},
    "t0",
    {"resultOf": "t2", "name": "Core/echo", "path": "/a"},  # later call
    {"resultOf": "te", "name": "Core/echo", "path": "/a"},  # an error
])
def test_invalid_result_reference(web, ref):
    calls = [["Core/echo", {"a": [1, 2], "b~2": 0}, "t0"],
             ["Nope/nope", {}, "te"],
             ["Core/echo", {"#x": ref}, "t1"],
             ["Core/echo", {"after": 1}, "t2"]]
    r = api(web, calls)["methodResponses"]
    assert r[2][0] == "error" and r[2][2] == "t1"
    assert r[2][1]["type"] == "invalidResultReference", r[2]
    # processing goes on after a failed call
    assert r[3] == ["Core/echo", {"after": 1}, "t2"]


def test_reference_and_direct_argument_conflict(web):
    r = api(web, [["Core/echo", {"a": 1}, "t0"],
                  ["Core/echo", {"a": 2, "#a": {"resultOf": "t0",
                                                "name": "Core/echo",
                                                "path": "/a"}}, "t1"]])
    assert r["methodResponses"][1][1]["type"] == "invalidArguments"


def test_unknown_method_and_capability_not_used(web):
    # Mailbox/get exists (RFC 8621) but "using" lacks the mail capability
    r = api(web, [["Mailbox/get", {}, "a"], ["Core/echo", {}, "b"]])
    assert r["methodResponses"][0] == [
        "error", {"type": "unknownMethod",
                  "description": "its capability is not in \"using\""},
        "a"]
    assert r["methodResponses"][1] == ["Core/echo", {}, "b"]
    # Core/echo without the core capability in "using"
    r = api(web, [["Core/echo", {}, "a"]], using=())
    assert r["methodResponses"][0][1]["type"] == "unknownMethod"


def problem(r, j, kind, status=400):
    assert r.status == status, j
    assert r.getheader("Content-Type") == "application/problem+json"
    assert j["type"] == "urn:ietf:params:jmap:error:" + kind, j
    assert j["status"] == status


def test_unknown_capability(web):
    r, j = call(web, {"using": [CORE, "https://example.com/foo"],
                      "methodCalls": []})
    problem(r, j, "unknownCapability")
    assert "https://example.com/foo" in j["detail"]


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"a":1,"a":2}',
                                  b"\xff\xfe"])
def test_not_json(web, body):
    r, j = call(web, body)
    problem(r, j, "notJSON")


def test_wrong_content_type_is_not_json(web):
    r, j = call(web, {"using": [CORE], "methodCalls": []},
                ctype="text/plain")
    problem(r, j, "notJSON")
    r, j = call(web, {"using": [CORE], "methodCalls": []}, ctype=None)
    problem(r, j, "notJSON")
    r, j = call(web, {"using": [CORE], "methodCalls": []},
                ctype="application/json; charset=utf-8")
    assert r.status == 200


@pytest.mark.parametrize("req", [
    [], {"using": [CORE]}, {"methodCalls": []},
    {"using": "x", "methodCalls": []},
    {"using": [1], "methodCalls": []},
    {"using": [CORE], "methodCalls": [["Core/echo", {}]]},
    {"using": [CORE], "methodCalls": [["Core/echo", [], "0"]]},
    {"using": [CORE], "methodCalls": [[1, {}, "0"]]},
    {"using": [CORE], "methodCalls": [["Core/echo", {}, 0]]},
    {"using": [CORE], "methodCalls": [], "createdIds": []},
])
def test_not_request(web, req):
    r, j = call(web, req)
    problem(r, j, "notRequest")


def test_limit_max_calls(web):
    lim = json.loads(session(web)[1])["capabilities"][CORE]
    n = lim["maxCallsInRequest"]
    ok = api(web, [["Core/echo", {}, str(i)] for i in range(n)])
    assert len(ok["methodResponses"]) == n
    r, j = call(web, {"using": [CORE], "methodCalls":
                      [["Core/echo", {}, str(i)] for i in range(n + 1)]})
    problem(r, j, "limit")
    assert j["limit"] == "maxCallsInRequest"


def test_limit_max_size_request(web):
    lim = json.loads(session(web)[1])["capabilities"][CORE]
    n = lim["maxSizeRequest"]
    # a body of exactly the limit is read (and is not JSON)
    r, j = call(web, b" " * n)
    problem(r, j, "notJSON")
    # one octet more is refused from the head alone, and the
    # connection closes (the body is never read)
    sock = socket.create_connection(("127.0.0.1", web.http_port), 10)
    sock.sendall(b"POST /jmap/api/ HTTP/1.1\r\nHost: a\r\nAuthorization: "
                 + AUTH.encode() + b"\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % (n + 1))
    out = b""
    while True:
        b = sock.recv(65536)
        if not b:
            break
        out += b
    sock.close()
    head, body = out.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in head
    j = json.loads(body)
    assert j["type"] == "urn:ietf:params:jmap:error:limit"
    assert j["limit"] == "maxSizeRequest"


def test_upload_download_round_trip(web):
    s = json.loads(session(web)[1])
    acc = next(iter(s["accounts"]))
    data = bytes(range(256)) * 50
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=10)
    c.request("POST", s["uploadUrl"].replace("{accountId}", acc), data,
              headers={"Authorization": AUTH,
                       "Content-Type": "image/png"})
    r = c.getresponse()
    up = json.loads(r.read())
    assert r.status == 201, up
    assert up["accountId"] == acc and up["size"] == len(data)
    assert up["type"] == "image/png"
    url = (s["downloadUrl"].replace("{accountId}", acc)
           .replace("{blobId}", up["blobId"])
           .replace("{name}", "pic%201.png")
           .replace("{type}", "image/png"))
    c.request("GET", url, headers={"Authorization": AUTH})
    r = c.getresponse()
    got = r.read()
    assert r.status == 200 and got == data
    assert r.getheader("Content-Type") == "image/png"
    assert r.getheader("Content-Disposition") == \
        "attachment; filename*=UTF-8''pic%201.png"
    # another account's id, a bad blob id: 404
    for bad in (url.replace(f"/{acc}/", "/a999/"),
                url.replace(up["blobId"], "U" + "0" * 32),
                url.replace(up["blobId"], "../../etc")):
        c.request("GET", bad, headers={"Authorization": AUTH})
        r = c.getresponse()
        r.read()
        assert r.status == 404, bad
    c.close()


def test_upload_to_other_account_refused(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=10)
    c.request("POST", "/jmap/upload/a999/", b"x",
              headers={"Authorization": AUTH})
    r = c.getresponse()
    r.read()
    assert r.status == 404
    c.close()


def test_event_source_pings(web):
    s = socket.create_connection(("127.0.0.1", web.http_port), 10)
    s.sendall(b"GET /jmap/eventsource/?types=*&closeafter=no&ping=1 "
              b"HTTP/1.1\r\nHost: a\r\nAuthorization: " + AUTH.encode()
              + b"\r\n\r\n")
    buf = b""
    t0 = time.monotonic()
    while buf.count(b"event: ping") < 2 and time.monotonic() - t0 < 6:
        buf += s.recv(4096)
    head = buf.split(b"\r\n\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"Content-Type: text/event-stream" in head
    assert b"Transfer-Encoding: chunked" in head
    assert b'data: {"interval":1}' in buf
    assert buf.count(b"event: ping") >= 2
    assert time.monotonic() - t0 >= 1.5
    s.close()


def test_event_source_bad_arguments(web):
    c = http.client.HTTPConnection("127.0.0.1", web.http_port, timeout=10)
    for q in ("types=*&closeafter=maybe&ping=0", "closeafter=no&ping=0",
              "types=*&closeafter=no&ping=x"):
        c.request("GET", "/jmap/eventsource/?" + q,
                  headers={"Authorization": AUTH})
        r = c.getresponse()
        r.read()
        assert r.status == 400, q
    c.close()


def test_event_stream_closed_on_stop(tmp_path_factory):
    srv = make_server(tmp_path_factory, "jmap_es_stop", http=True)
    s = socket.create_connection(("127.0.0.1", srv.http_port), 10)
    s.sendall(b"GET /jmap/eventsource/?types=*&closeafter=no&ping=0 "
              b"HTTP/1.1\r\nHost: a\r\nAuthorization: " + AUTH.encode()
              + b"\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
    finish(srv)
    rest = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        rest += b
    assert rest.endswith(b"0\r\n\r\n")  # the stream ended properly
    s.close()
