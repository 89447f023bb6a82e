# test_dns_cli.py: DKIM keys made by `buzon init` and the records printed by
# `buzon dns` (MX, SPF, DKIM, DMARC, SRV).
# SPDX-License-Identifier: MIT
import base64
import os
import re
import stat
import subprocess

import pytest

from buzon import Server, run, traversable

DOMAIN = "example.test"
HOST = "mx.example.test"
SELECTORS = {"buzon-rsa": "rsa", "buzon-ed25519": "ed25519"}


def records(text):
    """Zone-file lines of `buzon dns` -> list of (owner, ttl, type, data)."""
    out = []
    for ln in text.split("\n"):
        if not ln or ln.startswith(";"):
            continue
        m = re.match(r"^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$", ln)
        assert m, f"not a zone-file line: {ln!r}"
        out.append((m.group(1), int(m.group(2)), m.group(3), m.group(4)))
    return out


def txt_value(data):
    """Join the quoted character-strings of a TXT record (RFC 6376
    3.6.2.2), checking each fits in 255 octets (RFC 1035 3.3.14)."""
    parts = re.findall(r'"([^"]*)"', data)
    assert parts and re.fullmatch(r'("[^"]*"\s*)+', data.strip()), data
    assert all(len(p) <= 255 for p in parts), [len(p) for p in parts]
    return "".join(parts)


def public_key_b64(pem_path, kind):
    """The p= value the key file should publish, computed by openssl."""
    der = subprocess.run(["openssl", "pkey", "-in", pem_path, "-pubout",
                          "-outform", "DER"], check=True,
                         stdout=subprocess.PIPE).stdout
    if kind == "ed25519":
        der = der[-32:]  # RFC 8463 4.2: the raw key, not the SPKI
    return base64.b64encode(der).decode()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`buzon init` of a fresh directory; returns (conf, data dir)."""
    base = tmp_path_factory.mktemp("dns")
    traversable(base)
    d = base / "site"
    r = run(["init", str(d), "--domain", DOMAIN, "--hostname", HOST])
    assert r.returncode == 0, r
    assert b"dns" in r.stdout, r.stdout
    return str(d / "buzon.conf"), str(d / "data")


def test_init_creates_keys(site):
    conf, data = site
    kdir = os.path.join(data, "dkim", DOMAIN)
    assert stat.S_IMODE(os.stat(kdir).st_mode) == 0o700
    for sel, kind in SELECTORS.items():
        path = os.path.join(kdir, sel + ".pem")
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        text = subprocess.run(["openssl", "pkey", "-in", path, "-noout",
                               "-text"], check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT).stdout.decode()
        if kind == "rsa":
            assert "2048 bit" in text, text[:200]
        else:
            assert "ED25519" in text, text[:200]


def test_dns_records(site):
    conf, data = site
    r = run(["-c", conf, "dns", DOMAIN])
    assert r.returncode == 0, r
    assert r.stderr == b"", r.stderr  # keys exist: nothing created
    rec = records(r.stdout.decode())
    by = {}
    for owner, ttl, typ, val in rec:
        assert ttl > 0
        by.setdefault((owner, typ), []).append(val)
    assert by[(DOMAIN + ".", "MX")] == [f"10 {HOST}."]
    txt = [txt_value(v) for v in by[(DOMAIN + ".", "TXT")]]
    assert txt == ["v=spf1 mx -all"]
    dmarc = txt_value(by[("_dmarc." + DOMAIN + ".", "TXT")][0])
    assert dmarc.startswith("v=DMARC1; p=quarantine"), dmarc
    # the DKIM p= of each selector is the public half of its key file
    for sel, kind in SELECTORS.items():
        vals = by[(f"{sel}._domainkey.{DOMAIN}.", "TXT")]
        assert len(vals) == 1, vals
        tags = dict(t.strip().split("=", 1)
                    for t in txt_value(vals[0]).split(";") if t.strip())
        assert tags["v"] == "DKIM1" and tags["k"] == kind, tags
        pem = os.path.join(data, "dkim", DOMAIN, sel + ".pem")
        assert tags["p"] == public_key_b64(pem, kind)
    # SRV per RFC 6186 / RFC 8314, at the configured ports
    srv = {o.split(".")[0]: v[0] for (o, t), v in by.items() if t == "SRV"}
    assert srv["_submissions"] == f"0 1 2465 {HOST}."
    assert srv["_submission"] == f"5 1 2587 {HOST}."
    # `buzon init` turns IMAP and POP3 on; RFC 8314 5.1: implicit TLS
    # preferred, IMAP before POP3 (RFC 6186 3.4)
    assert srv["_imaps"] == f"0 1 2993 {HOST}."
    assert srv["_imap"] == f"5 1 2143 {HOST}."
    assert srv["_pop3s"] == f"10 1 2995 {HOST}."
    assert srv["_pop3"] == f"15 1 2110 {HOST}."


def test_dns_all_domains_creates_missing_keys(tmp_path):
    s = Server(tmp_path, name="dns")
    s.add_user("alice@example.test", "pw")  # creates the data dir
    r = s.cli("dns")
    out = r.stdout.decode()
    # both configured domains, keys created for them on the way
    for dom in ("example.test", "other.test"):
        assert f"buzon-rsa._domainkey.{dom}." in out, out
        assert f"buzon-ed25519._domainkey.{dom}." in out, out
        assert os.path.exists(os.path.join(s.data, "dkim", dom,
                                           "buzon-rsa.pem"))
    assert b"created DKIM keys" in r.stderr, r.stderr
    # the SRV records follow the listeners of this config
    assert f"_submission._tcp.example.test.".encode() in r.stdout
    assert f"5 1 {s.sub_port} ".encode() in r.stdout
    again = s.cli("dns", "OTHER.test")
    assert again.stderr == b"", again.stderr
    assert again.stdout.decode() == out[out.index("; buzon dns: records "
                                                  "for other.test"):]


def test_dns_errors_and_help(site):
    conf, _ = site
    r = run(["-c", conf, "dns", "elsewhere.example"])
    assert r.returncode == 1 and b"not in `domains`" in r.stderr, r
    r = run(["-c", conf, "dns", "--bogus"])
    assert r.returncode == 2, r
    r = run(["dns", "--help"])
    assert r.returncode == 0 and b"DKIM" in r.stdout, r
    r = run(["--help"])
    assert r.returncode == 0 and b"\n  dns " in r.stdout, r
