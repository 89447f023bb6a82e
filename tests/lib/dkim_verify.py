#!/usr/bin/python3
# dkim_verify.py: verify a message's DKIM signatures with an independent
# implementation (Debian's python3-dkim), the key coming from the command
# line instead of DNS.
# SPDX-License-Identifier: MIT
"""usage: dkim_verify.py MSGFILE SELECTOR DOMAIN TXTVALUE

Every DKIM-Signature field of MSGFILE must verify; the TXT record at
SELECTOR._domainkey.DOMAIN is TXTVALUE, and no other name resolves.
Exit status: 0 all verified, 1 a signature failed (or none present),
2 usage or environment errors.  The reason goes to stdout."""

import sys

# The key comes from the command line, so keep dkim from loading a DNS
# library (dnspython's import alone takes about a second).
sys.modules["dns"] = None
sys.modules["DNS"] = None
try:
    import dkim
except ImportError:
    print("python3-dkim is not installed (make deps)")
    sys.exit(2)


def main(argv):
    if len(argv) != 5:
        print(__doc__)
        return 2
    path, selector, domain, txt = argv[1:]
    want = f"{selector}._domainkey.{domain}".lower().rstrip(".")
    asked = []

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii", "replace")
        asked.append(name)
        if name.lower().rstrip(".") == want:
            return txt.encode()
        return None

    with open(path, "rb") as f:
        msg = f.read()
    try:
        d = dkim.DKIM(msg)
    except dkim.DKIMException as e:
        print(f"not a message: {e}")
        return 1
    n = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
    if n == 0:
        print("no DKIM-Signature field")
        return 1
    for idx in range(n):
        try:
            ok = d.verify(idx=idx, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print(f"signature {idx}: {e}")
            return 1
        if not ok:
            print(f"signature {idx}: does not verify (asked {asked})")
            return 1
    print(f"{n} signature(s) verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
