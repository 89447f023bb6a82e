#!/usr/bin/python3
# dnsd.py: a small authoritative DNS responder (UDP and TCP) for tests.
# SPDX-License-Identifier: MIT
"""Serve a zone file on 127.0.0.1 for tests, with the standard library only.

    dnsd.py --zone FILE [--port N] [--log FILE]

Binds UDP and TCP on the same port (N, or a free one when N is 0 or absent),
prints "PORT\\n" on stdout once both sockets listen, then answers until it
is killed (or until stdin reaches end of file, so a crashed test never
leaves it behind).

Zone file: one record per line, "#" comments, fields split on whitespace:

    NAME TYPE DATA...          NAME is absolute ("mx.test." or "mx.test")
    test.         SOA                      (the zone apex: negative answers
                                            carry its SOA; names outside every
                                            SOA zone are REFUSED)
    a.test.       A      192.0.2.1
    a.test.       AAAA   2001:db8::1
    a.test.       MX     10 mx1.a.test.   (MX target "." is the null MX)
    b.test.       CNAME  a.test.
    sf.test.      SERVFAIL                 (every query for the name: rcode 2)
    drop.test.    DROP                     (every query for the name: no reply)
    a.test.       DROP   AAAA              (only that type is dropped)
    a.test.       SERVFAIL AAAA            (only that type fails)

A name with records but none of the asked type is NODATA (NOERROR, empty
answer, SOA in the authority section); so is an empty non-terminal.  A name
below a zone apex with nothing at or under it is NXDOMAIN.  CNAMEs are
followed inside the zone file.  Queries are counted per "name/TYPE" and
the counts are written to --log (one "name TYPE" line per query) so tests
can check what the resolver asked.
"""

import argparse
import ipaddress
import os
import socket
import socketserver
import struct
import sys
import threading

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16,
         "AAAA": 28, "OPT": 41, "DS": 43, "DNSKEY": 48}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASS_IN = 1
TTL = 60


def norm(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


def wire_name(name):
    name = norm(name)
    if name == ".":
        return b"\x00"
    out = b""
    for label in name[:-1].split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


class Zone:
    def __init__(self, path):
        self.rrs = {}       # name -> [(type, rdata bytes, text)]
        self.special = {}   # (name, type or None) -> "SERVFAIL" | "DROP"
        self.apexes = set()
        with open(path, encoding="ascii") as f:
            for lineno, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                fields = line.split()
                if len(fields) < 2:
                    raise SystemExit("%s:%d: short line" % (path, lineno))
                self.add(norm(fields[0]), fields[1].upper(), fields[2:])

    def add(self, name, rtype, data):
        if rtype in ("SERVFAIL", "DROP", "REFUSED"):
            qt = TYPES[data[0].upper()] if data else None
            self.special[(name, qt)] = rtype
            return
        if rtype == "SOA":
            self.apexes.add(name)
            rdata = (wire_name("ns." + name) + wire_name("hostmaster." + name)
                     + struct.pack("!IIIII", 1, 3600, 600, 86400, 5))
        elif rtype == "A":
            rdata = ipaddress.IPv4Address(data[0]).packed
        elif rtype == "AAAA":
            rdata = ipaddress.IPv6Address(data[0]).packed
        elif rtype == "MX":
            rdata = struct.pack("!H", int(data[0])) + wire_name(data[1])
        elif rtype in ("CNAME", "NS"):
            rdata = wire_name(data[0])
        elif rtype == "TXT":
            text = " ".join(data).encode("ascii")
            rdata = bytes([len(text)]) + text
        else:
            raise SystemExit("unknown type %s" % rtype)
        self.rrs.setdefault(name, []).append((TYPES[rtype], rdata,
                                              data[0] if data else ""))

    def apex_of(self, name):
        best = None
        for apex in self.apexes:
            if name == apex or apex == "." or name.endswith("." + apex):
                if best is None or len(apex) > len(best):
                    best = apex
        return best

    def exists(self, name):
        if name in self.rrs or any(k[0] == name for k in self.special):
            return True
        return any(n.endswith("." + name) for n in self.rrs)

    def soa(self, apex):
        for t, rdata, _ in self.rrs.get(apex, []):
            if t == TYPES["SOA"]:
                return (apex, t, rdata)
        return None

    def lookup(self, qname, qtype):
        """Returns (action, rcode, answers, authority)."""
        answers = []
        name = qname
        for _ in range(8):  # CNAME chain bound
            for key in ((name, qtype), (name, None)):
                if key in self.special:
                    return self.special[key], 0, [], []
            apex = self.apex_of(name)
            if apex is None:
                return "ANSWER", 5, answers, []
            rrs = self.rrs.get(name, [])
            hit = [(name, t, r) for t, r, _ in rrs if t == qtype]
            if hit:
                return "ANSWER", 0, answers + hit, []
            cname = [(name, t, r, txt) for t, r, txt in rrs
                     if t == TYPES["CNAME"]]
            if cname and qtype != TYPES["CNAME"]:
                answers.append(cname[0][:3])
                name = norm(cname[0][3])
                continue
            soa = self.soa(apex)
            auth = [soa] if soa else []
            if self.exists(name):
                return "ANSWER", 0, answers, auth
            return "ANSWER", 3, answers, auth
        return "ANSWER", 2, [], []


def parse_query(msg):
    if len(msg) < 12:
        return None
    qid, flags, qd, _an, _ns, ar = struct.unpack("!HHHHHH", msg[:12])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0 or pos + n > len(msg):
            return None
        labels.append(msg[pos:pos + n].decode("ascii", "replace"))
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    question = msg[12:pos + 4]
    return qid, flags, ".".join(labels).lower() + ".", qtype, qclass, \
        question, ar > 0


def rr_bytes(name, rtype, rdata):
    return wire_name(name) + struct.pack("!HHIH", rtype, CLASS_IN, TTL,
                                         len(rdata)) + rdata


class Server:
    def __init__(self, zone, log):
        self.zone = zone
        self.log = log
        self.lock = threading.Lock()

    def answer(self, msg):
        q = parse_query(msg)
        if q is None:
            return None
        qid, flags, qname, qtype, qclass, question, edns = q
        if self.log:
            with self.lock:
                self.log.write("%s %s\n" % (qname, TYPE_NAMES.get(qtype,
                                                                  qtype)))
                self.log.flush()
        if qclass != CLASS_IN:
            action, rcode, ans, auth = "ANSWER", 5, [], []
        else:
            action, rcode, ans, auth = self.zone.lookup(qname, qtype)
        if action == "DROP":
            return None
        if action == "SERVFAIL":
            rcode = 2
        elif action == "REFUSED":
            rcode = 5
        # QR, AA (not on errors), RD copied, RA set so forwarders accept it.
        out_flags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode
        if rcode in (0, 3):
            out_flags |= 0x0400
        body = b"".join(rr_bytes(*rr) for rr in ans)
        body += b"".join(rr_bytes(*rr) for rr in auth)
        opt = b""
        if edns:
            opt = b"\x00" + struct.pack("!HHIH", TYPES["OPT"], 1232, 0, 0)
        header = struct.pack("!HHHHHH", qid, out_flags, 1, len(ans), len(auth),
                             1 if opt else 0)
        return header + question + body + opt


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = self.server.dns.answer(data)
        if reply is not None:
            if len(reply) > 512:
                reply = reply[:2] + bytes([reply[2] | 0x02]) + reply[3:12]
            sock.sendto(reply, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        f = self.request.makefile("rb")
        while True:
            head = f.read(2)
            if len(head) < 2:
                return
            (n,) = struct.unpack("!H", head)
            msg = f.read(n)
            if len(msg) < n:
                return
            reply = self.server.dns.answer(msg)
            if reply is None:
                return
            self.request.sendall(struct.pack("!H", len(reply)) + reply)


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def bind_pair(port):
    """Bind UDP and TCP on one port; a free one when port is 0."""
    for _ in range(50):
        udp = UDPServer(("127.0.0.1", port), UDPHandler)
        try:
            tcp = TCPServer(("127.0.0.1", udp.server_address[1]), TCPHandler)
        except OSError:
            udp.server_close()
            if port:
                raise
            continue
        return udp, tcp
    raise SystemExit("dnsd: no free port")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zone", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log")
    args = ap.parse_args()
    log = open(args.log, "a", encoding="ascii") if args.log else None
    dns = Server(Zone(args.zone), log)
    udp, tcp = bind_pair(args.port)
    for srv in (udp, tcp):
        srv.dns = dns
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stdout.write("%d\n" % udp.server_address[1])
    sys.stdout.flush()
    # Exit when the parent closes our stdin (or dies).
    while os.read(0, 4096):
        pass


if __name__ == "__main__":
    main()
