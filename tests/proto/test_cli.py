# test_cli.py: the admin CLI (init, user, alias, import/export, help, errors).
# SPDX-License-Identifier: MIT
import base64
import http.client
import json
import os
import re
import ssl

import pytest

from buzon import Server, free_port, parse_mboxrd, run, traversable
from conftest import finish, populate
from smtpraw import Raw


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A populated config + data dir; not serving (the CLI works alone)."""
    s = Server(tmp_path_factory.mktemp("cli"), name="cli")
    populate(s)
    return s


def lines(r):
    return [ln for ln in r.stdout.decode().split("\n") if ln]


# ---- init ----

def test_init_writes_config_that_serves(tmp_path):
    d = tmp_path / "site"
    traversable(tmp_path)
    r = run(["init", str(d), "--domain", "example.test", "--hostname", "mx.example.test"])
    assert r.returncode == 0, r
    conf = d / "buzon.conf"
    assert conf.exists()
    text = conf.read_text()
    assert re.search(r"^\s*hostname\s*=\s*mx\.example\.test\s*$", text, re.M), text
    assert re.search(r"^\s*domains\s*=.*\bexample\.test\b", text, re.M), text
    # point the listeners at free ports, keep everything else as written
    ports = {}
    out, section = [], None
    for ln in text.split("\n"):
        m = re.match(r"^\s*\[(\w+)\]", ln)
        if m:
            section = m.group(1)
        m = re.match(r"^\s*(\w+)\s*=", ln)
        if section == "listen" and m and not ln.lstrip().startswith("#"):
            key = m.group(1)
            val = ln.split("=", 1)[1].split("#")[0].strip()
            if val:
                ports[key] = free_port()
                ln = f"{key} = 127.0.0.1:{ports[key]}"
        out.append(ln)
    assert "smtp" in ports, f"init config has no smtp listener: {text}"
    conf.write_text("\n".join(out))
    s = Server.__new__(Server)
    s.dir, s.name, s.conf = str(d), "init", str(conf)
    s.data = str(d / "data")
    s.log_path = str(tmp_path / "init-serve.log")
    s.smtp_port = ports["smtp"]
    s.sub_port = ports.get("submission", ports["smtp"])
    s.subs_port = ports.get("submissions", ports["smtp"])
    s.proc, s.starts = None, 0
    s.add_user("admin@example.test", "pw")
    # the webmail is on for a newcomer: plain HTTP on loopback, and
    # HTTPS with the certificate the other TLS listeners use
    assert "http" in ports and "https" in ports, text
    assert re.search(r"^http\s*=\s*127\.0\.0\.1:", text, re.M), text
    s.start()
    try:
        with Raw(s.smtp_port) as c:
            assert c.greeting.code == 220
            assert c.greeting.lines[0].startswith("mx.example.test "), c.greeting
            c.ehlo()
            c.expect("MAIL FROM:<a@remote.test>", 250)
            c.expect("RCPT TO:<admin@example.test>", 250)
        auth = "Basic " + base64.b64encode(b"admin@example.test:pw").decode()
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for scheme, conn in (
                ("http", http.client.HTTPConnection(
                    "127.0.0.1", ports["http"], timeout=10)),
                ("https", http.client.HTTPSConnection(
                    "127.0.0.1", ports["https"], timeout=10, context=ctx))):
            conn.request("GET", "/")
            r = conn.getresponse()
            page = r.read()
            assert r.status == 200 and b"<html" in page.lower(), page[:200]
            assert r.getheader("Content-Type").startswith("text/html")
            conn.request("GET", "/.well-known/jmap")
            r = conn.getresponse()
            r.read()
            assert r.status == 401  # no password, no session
            conn.request("GET", "/.well-known/jmap",
                         headers={"Authorization": auth})
            r = conn.getresponse()
            sess = json.loads(r.read())
            assert r.status == 200, sess
            assert sess["username"] == "admin@example.test"
            assert sess["apiUrl"] == \
                f"{scheme}://127.0.0.1:{ports[scheme]}/jmap/api/"
            conn.close()
    finally:
        finish(s)


def test_init_refuses_to_overwrite(tmp_path):
    d = tmp_path / "site"
    assert run(["init", str(d), "--domain", "example.test"]).returncode == 0
    before = (d / "buzon.conf").read_bytes()
    r = run(["init", str(d), "--domain", "other.test"])
    assert r.returncode != 0, r
    assert (d / "buzon.conf").read_bytes() == before


# ---- users ----

def test_user_list(srv):
    r = srv.cli("user", "list")
    assert lines(r) == ["alice@example.test", "bob@example.test", "carol@other.test"]


def test_user_add_del(srv):
    srv.add_user("Dave@Example.Test", "dave-pw")
    assert "dave@example.test" in lines(srv.cli("user", "list"))
    r = srv.cli("user", "add", "dave@example.test", input="x\n", check=False)
    assert r.returncode != 0, "duplicate user accepted"
    srv.cli("user", "del", "dave@example.test")
    assert "dave@example.test" not in lines(srv.cli("user", "list"))
    r = srv.cli("user", "del", "dave@example.test", check=False)
    assert r.returncode != 0, "deleting a missing user succeeded"


@pytest.mark.parametrize("addr", ["eve@remote.test", "eve", "@example.test", "eve@",
                                  "eve@example.test.evil", "e ve@example.test"])
def test_user_add_bad_address(srv, addr):
    r = srv.cli("user", "add", addr, input="pw\n", check=False)
    assert r.returncode != 0, f"user add {addr!r} accepted"
    assert r.stderr.strip(), "no error message"
    assert addr.lower() not in lines(srv.cli("user", "list"))


def test_user_add_empty_password_refused(srv):
    r = srv.cli("user", "add", "empty@example.test", input="\n", check=False)
    assert r.returncode != 0
    r = srv.cli("user", "add", "empty@example.test", input="", check=False)
    assert r.returncode != 0
    assert "empty@example.test" not in lines(srv.cli("user", "list"))


def test_user_passwd(srv):
    srv.add_user("frank@example.test", "old")
    srv.cli("user", "passwd", "frank@example.test", input="new\n")
    r = srv.cli("user", "passwd", "nobody@example.test", input="x\n", check=False)
    assert r.returncode != 0


def test_password_not_in_db_plaintext(srv):
    srv.add_user("gina@example.test", "Very-Unique-Password-4711")
    for root, _, files in os.walk(srv.data):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert b"Very-Unique-Password-4711" not in fh.read(), f


# ---- aliases ----

def test_alias_list_and_del(srv):
    r = srv.cli("alias", "list")
    assert "list@example.test: alice@example.test, bob@example.test" in lines(r), lines(r)
    srv.cli("alias", "add", "team@other.test", "carol@other.test", "x@remote.test")
    srv.cli("alias", "add", "team@other.test", "alice@example.test")
    got = [ln for ln in lines(srv.cli("alias", "list")) if ln.startswith("team@")]
    assert got == ["team@other.test: alice@example.test, carol@other.test, x@remote.test"] or \
        got == ["team@other.test: carol@other.test, x@remote.test, alice@example.test"], got
    srv.cli("alias", "del", "team@other.test", "x@remote.test")
    got = [ln for ln in lines(srv.cli("alias", "list")) if ln.startswith("team@")]
    assert len(got) == 1 and "x@remote.test" not in got[0], got
    srv.cli("alias", "del", "team@other.test")
    assert not [ln for ln in lines(srv.cli("alias", "list")) if ln.startswith("team@")]
    r = srv.cli("alias", "del", "team@other.test", check=False)
    assert r.returncode != 0


def test_alias_bad(srv):
    r = srv.cli("alias", "add", "x@remote.test", "alice@example.test", check=False)
    assert r.returncode != 0, "alias outside local domains accepted"
    r = srv.cli("alias", "add", "alice@example.test", "bob@example.test", check=False)
    assert r.returncode != 0, "alias shadowing an account accepted"
    r = srv.cli("alias", "add", "lonely@example.test", check=False)
    assert r.returncode != 0, "alias without targets accepted"


# ---- import / export ----

MBOX = (b"From a@remote.test Mon Jan  2 15:04:05 2006\n"
        b"From: a@remote.test\nSubject: one\n\nfirst body\n>From quoted once\n"
        b">>From quoted twice\nFrom\n\n"
        b"From b@remote.test Tue Jan  3 15:04:05 2006\n"
        b"From: b@remote.test\nSubject: two\n\nsecond\n\n\ntrailing blank lines above\n\n")


def test_import_mbox_export_roundtrip(srv, tmp_path):
    srv.add_user("imp@example.test", "pw")
    f = tmp_path / "in.mbox"
    f.write_bytes(MBOX)
    srv.cli("import", "imp@example.test", "--mbox", str(f))
    got = srv.export("imp@example.test")
    want = parse_mboxrd(MBOX)
    assert [m for _, m in got] == [m for _, m in want]
    assert [fl.split(b" ")[1] for fl, _ in got] == [b"a@remote.test", b"b@remote.test"]
    # raw export: mboxrd quoting is applied again
    raw = srv.cli("export", "imp@example.test", "--mbox", "-").stdout
    assert b"\n>From quoted once\n>>From quoted twice\nFrom\n\nFrom b@remote.test " in raw, raw


def test_export_to_file_and_mailbox(srv, tmp_path):
    srv.add_user("arch@example.test", "pw")
    f = tmp_path / "in.mbox"
    f.write_bytes(MBOX)
    srv.cli("import", "arch@example.test", "Archive", "--mbox", str(f))
    assert srv.export("arch@example.test") == []
    out = tmp_path / "out.mbox"
    srv.cli("export", "arch@example.test", "Archive", "--mbox", str(out))
    assert [m for _, m in parse_mboxrd(out.read_bytes())] == [m for _, m in parse_mboxrd(MBOX)]


def test_import_maildir_export(srv, tmp_path):
    srv.add_user("md@example.test", "pw")
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    m1 = b"From: x@remote.test\r\nSubject: md1\r\n\r\nFrom the maildir\r\n.\r\nbye\r\n"
    m2 = b"From: y@remote.test\nSubject: md2\n\nlf only\n"
    (md / "cur" / "1000000001.M1P1.host:2,S").write_bytes(m1)
    (md / "new" / "1000000002.M2P2.host").write_bytes(m2)
    srv.cli("import", "md@example.test", "--maildir", str(md))
    got = sorted(m for _, m in srv.export("md@example.test"))
    assert got == sorted([m1.replace(b"\r\n", b"\n"), m2])
    raw = srv.cli("export", "md@example.test", "--mbox", "-").stdout
    assert b"\n>From the maildir\n" in raw


def test_export_unknown_user(srv):
    r = srv.cli("export", "nobody@example.test", "--mbox", "-", check=False)
    assert r.returncode != 0
    r = srv.cli("export", "alice@example.test", "NoSuchBox", "--mbox", "-", check=False)
    assert r.returncode != 0


def test_import_missing_file(srv, tmp_path):
    r = srv.cli("import", "alice@example.test", "--mbox", str(tmp_path / "none"), check=False)
    assert r.returncode != 0 and r.stderr.strip()


# ---- help and errors ----

COMMANDS = [["init"], ["serve"], ["user"], ["user", "add"], ["user", "del"],
            ["user", "passwd"], ["user", "list"], ["alias"], ["alias", "add"],
            ["alias", "del"], ["alias", "list"], ["export"], ["import"]]


def test_top_help_and_version():
    r = run(["--help"])
    assert r.returncode == 0 and r.stdout.strip(), r
    for cmd in ("init", "serve", "user", "alias", "export", "import"):
        assert cmd.encode() in r.stdout, cmd
    r = run(["--version"])
    assert r.returncode == 0 and r.stdout.strip(), r


@pytest.mark.parametrize("cmd", COMMANDS, ids=["-".join(c) for c in COMMANDS])
def test_command_help(srv, cmd):
    r = run(["-c", srv.conf] + cmd + ["--help"])
    assert r.returncode == 0, r
    assert r.stdout.strip(), "help went nowhere (expect stdout)"
    assert b"usage" in r.stdout.lower() or cmd[0].encode() in r.stdout, r.stdout


@pytest.mark.parametrize("args", [["frobnicate"], ["--frob"], ["user", "frob"],
                                  ["alias", "frob"], ["user"], ["serve", "--frob"],
                                  ["export", "alice@example.test", "--frob"],
                                  ["export", "alice@example.test"],
                                  ["import", "alice@example.test"],
                                  ["user", "add"], ["-c"]])
def test_bad_usage(srv, args):
    full = args if args == ["-c"] else ["-c", srv.conf] + args
    r = run(full, input=b"pw\n")
    assert r.returncode != 0, f"{args}: exit 0"
    assert r.stderr.strip(), f"{args}: no message on stderr"


@pytest.mark.parametrize("extra,lineno_of", [
    ("frobnicate = 1\n", "frobnicate"),
    ("[smtp]\nmax_message_size = lots\n", "max_message_size"),
    ("[smtp]\ngreet_delay = -3\n", "greet_delay"),
    ("[nosuchsection]\n", "[nosuchsection]"),
    ("[listen]\nsubmission = 127.0.0.1:99999\n", "submission"),
    ("hostname\n", "hostname\n"),
])
@pytest.mark.parametrize("cmd", [["serve"], ["user", "list"]])
def test_bad_config(tmp_path, extra, lineno_of, cmd):
    base = (f"hostname = mx.example.test\ndata_dir = data\ndomains = example.test\n"
            f"[listen]\nsmtp = 127.0.0.1:{free_port()}\n")
    text = base + extra
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    line = text[: text.index(lineno_of)].count("\n") + 1
    r = run(["-c", str(conf)] + cmd, timeout=15)
    assert r.returncode != 0
    err = r.stderr.decode()
    assert f"{conf}:{line}:" in err, err


def test_missing_config():
    r = run(["-c", "/nonexistent/buzon.conf", "user", "list"])
    assert r.returncode != 0 and b"/nonexistent/buzon.conf" in r.stderr


def test_buzon_config_env(srv):
    env = dict(os.environ, BUZON_CONFIG=srv.conf)
    r = run(["user", "list"], env=env, cwd="/")
    assert r.returncode == 0, r
    assert b"alice@example.test" in r.stdout
