#!/usr/bin/python3
# bench/idle_conns.py: hold N idle SMTP connections open and report a server's memory per connection.
# SPDX-License-Identifier: MIT
#
# Usage: bench/idle_conns.py --pid PID --port PORT [-n 10000] [--no-ehlo]
#            [--sources 1] [--window 500] [--hold 0] [--timeout 120] [--target-kib 64]
# After one warm-up session (greeting, EHLO, QUIT), once the server's threads and RSS hold
# still, it reads the baseline from /proc/PID/status. Each connection then reads the 220
# greeting, sends EHLO and reads the 250 reply (unless --no-ehlo), and stays idle. With
# every connection idle, it reads VmHWM and VmRSS again and prints KiB per connection,
# (peak RSS - baseline RSS) / N, against --target-kib (user-space memory only: kernel
# socket buffers are not in RSS). --sources K binds the client side to 127.0.0.1..127.0.0.K
# in turn (more ephemeral ports). --window bounds connections not yet idle (the listen
# backlog is finite). --hold S keeps the connections open S more seconds before closing
# them. Exits 1 if a connection failed or closed early, not for a missed target.
# Needs RLIMIT_NOFILE above N (the caller runs `ulimit -n 65536`).

import argparse
import errno
import os
import resource
import select
import selectors
import socket
import sys
import time

CONNECTING, GREETING, EHLO, IDLE = range(4)


def proc_status(pid):
    """Return VmHWM, VmRSS (KiB) and thread count of pid."""
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "Threads"):
                vals[key] = int(rest.split()[0])
    return vals


def reply_done(buf):
    """If buf holds a complete SMTP reply (RFC 5321 4.2.1), return its code, else None."""
    start = 0
    while True:
        end = buf.find(b"\r\n", start)
        if end < 0:
            return None
        line = buf[start:end]
        if len(line) < 4 or line[3:4] != b"-":
            return line[:3].decode("ascii", "replace")
        start = end + 2


def warm_up(args):
    """Run one whole session (greeting, EHLO, QUIT) so that whatever the server sets
    up lazily is counted in the baseline, wait until its thread count and RSS hold
    still for a second (or 15 s pass), and return proc_status() then."""
    with socket.create_connection((args.host, args.port), timeout=30) as s:
        buf = b""
        for cmd in (None, b"EHLO warmup.bench.test\r\n", b"QUIT\r\n"):
            if cmd:
                s.sendall(cmd)
            while reply_done(buf) is None:
                data = s.recv(4096)
                if not data:
                    sys.exit("idle_conns: warm-up session closed early")
                buf += data
            buf = b""
    prev = proc_status(args.pid)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        time.sleep(1.0)
        cur = proc_status(args.pid)
        if (cur["Threads"], cur["VmRSS"]) == (prev["Threads"], prev["VmRSS"]):
            return cur
        prev = cur
    return prev


class Conn:
    __slots__ = ("sock", "state", "buf")

    def __init__(self, sock):
        self.sock = sock
        self.state = CONNECTING
        self.buf = b""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--no-ehlo", action="store_true")
    ap.add_argument("--sources", type=int, default=1)
    ap.add_argument("--window", type=int, default=500)
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--target-kib", type=float, default=64)
    args = ap.parse_args()

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.n + 64:
        sys.exit(f"idle_conns: RLIMIT_NOFILE {soft} is below {args.n + 64}: ulimit -n")

    before = warm_up(args)
    sel = selectors.DefaultSelector()
    idle = []
    failed = {}
    started = 0
    busy = 0
    t0 = time.monotonic()

    def fail(c, why):
        nonlocal busy
        failed[why] = failed.get(why, 0) + 1
        sel.unregister(c.sock)
        c.sock.close()
        busy -= 1

    while len(idle) + sum(failed.values()) < args.n:
        while started < args.n and busy < args.window:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            if args.sources > 1:
                s.bind((f"127.0.0.{started % args.sources + 1}", 0))
            err = s.connect_ex((args.host, args.port))
            if err not in (0, errno.EINPROGRESS):
                sys.exit(f"idle_conns: connect #{started}: {os.strerror(err)}")
            c = Conn(s)
            sel.register(s, selectors.EVENT_WRITE, c)
            started += 1
            busy += 1
        if time.monotonic() - t0 > args.timeout:
            sys.exit(f"idle_conns: timeout with {len(idle)} idle, {busy} pending")
        for key, _ in sel.select(timeout=1.0):
            c = key.data
            if c.state == CONNECTING:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    fail(c, "connect: " + os.strerror(err))
                    continue
                c.state = GREETING
                sel.modify(c.sock, selectors.EVENT_READ, c)
                continue
            try:
                data = c.sock.recv(4096)
            except ConnectionError as e:
                fail(c, f"recv: {e.strerror}")
                continue
            if not data:
                fail(c, "closed by server" + (" after greeting" if c.state == EHLO else ""))
                continue
            c.buf += data
            code = reply_done(c.buf)
            if code is None:
                continue
            want = "220" if c.state == GREETING else "250"
            if code != want:
                fail(c, f"reply {code}")
                continue
            c.buf = b""
            if c.state == GREETING and not args.no_ehlo:
                c.sock.send(b"EHLO idle.bench.test\r\n")
                c.state = EHLO
                continue
            c.state = IDLE
            sel.unregister(c.sock)
            busy -= 1
            idle.append(c)
    t_open = time.monotonic() - t0

    # Let the server settle, then check that every idle connection is still open
    # (readable means data or EOF, neither expected from an idle session).
    time.sleep(1.0)
    poller = select.poll()
    for c in idle:
        poller.register(c.sock, select.POLLIN)
    gone = len(poller.poll(0))
    after = proc_status(args.pid)

    n = len(idle)
    print(f"connections: {n} idle of {args.n} opened in {t_open:.1f} s"
          f" ({'greeting only' if args.no_ehlo else 'greeting + EHLO'},"
          f" {args.sources} source address{'es' if args.sources > 1 else ''})")
    for why, k in sorted(failed.items()):
        print(f"  failed: {k} x {why}")
    if gone:
        print(f"  {gone} idle connections were closed or got data during the measurement")
    print(f"server pid {args.pid}: threads {before.get('Threads')} -> {after.get('Threads')}")
    for key in ("VmHWM", "VmRSS"):
        b, a = before[key], after[key]
        per = (a - b) / n if n else float("nan")
        print(f"  {key}: {b} KiB -> {a} KiB, +{a - b} KiB, {per:.2f} KiB per connection")
    # The figure quoted: peak RSS growth over the idle server's RSS, per
    # connection; the peak divided by n (start-up memory included) bounds it.
    if n:
        per = (after["VmHWM"] - before["VmRSS"]) / n
        bound = after["VmHWM"] / n
        verdict = "met" if per < args.target_kib else "MISSED"
        print(f"result: peak RSS {after['VmHWM']} KiB with {n} idle connections,"
              f" {per:.2f} KiB per connection (peak / n: {bound:.2f} KiB);"
              f" target < {args.target_kib:g} KiB: {verdict}")
    if args.hold > 0:
        time.sleep(args.hold)
    for c in idle:
        c.sock.close()
    return 0 if n == args.n and not gone else 1


if __name__ == "__main__":
    sys.exit(main())
