#!/bin/bash
# bench/idle.sh: buzon's memory per idle SMTP connection (10,000 connections by default).
# SPDX-License-Identifier: MIT
#
# Usage (from anywhere; run `make` first; root is not required but is how it was measured):
#   bench/idle.sh                      10,000 connections, each: greeting, EHLO, then idle
#   N=20000 SOURCES=4 bench/idle.sh    more connections, spread over 127.0.0.1..127.0.0.4
#   NO_EHLO=1 bench/idle.sh            read the greeting only, send nothing
#   SERVER=smtp-sink bench/idle.sh     the same against Postfix's smtp-sink (checks the tool)
#   KEEP=1 bench/idle.sh               keep the temp dir (config, log) afterwards
# It starts a fresh buzon (`buzon init` in a temp dir, one SMTP listener on a free
# loopback port, [limits] connections_per_ip = 20000 and connections = N + 100),
# raises RLIMIT_NOFILE to 65536 or else to the hard limit (inherited by buzon and the
# client), opens the connections with bench/idle_conns.py and prints the server's
# VmHWM/VmRSS before and after, and KiB per connection against the 64 KiB target.
# The greet delay is left at buzon's default.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUZON=${BUZON:-$ROOT/buzon}
N=${N:-10000}
SOURCES=${SOURCES:-1}
NO_EHLO=${NO_EHLO:-}
SERVER=${SERVER:-buzon}
KEEP=${KEEP:-}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

# Without CAP_SYS_RESOURCE the hard limit caps this; the client and buzon each
# need about N descriptors, so the hard limit is enough when it exceeds N + 100.
if ! ulimit -n 65536 2>/dev/null; then
	ulimit -n "$(ulimit -Hn)"
	[ "$(ulimit -n)" -gt $((N + 100)) ] ||
		die "RLIMIT_NOFILE hard limit $(ulimit -Hn) is too low for N=$N"
	echo "note: could not raise RLIMIT_NOFILE to 65536, using the hard limit $(ulimit -n)"
fi

SINK_PID=

stop_servers() {
	if [ -n "$SINK_PID" ]; then
		kill -TERM "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
}
bench_tmp buzon-idle

PORT=$(free_port)
case "$SERVER" in
buzon)
	[ -x "$BUZON" ] || die "$BUZON not found: run make"
	bz_init "$TMP/buzon" "$PORT" "[limits]
connections_per_ip = 20000
connections = $((N + 100))"
	bz_serve "$TMP/buzon" "$PORT"
	PID=$BUZON_PID
	echo "buzon $BUZON on 127.0.0.1:$PORT, config: [limits] connections_per_ip = 20000," \
		"connections = $((N + 100)) (set by this script), everything else default"
	;;
smtp-sink)
	command -v smtp-sink >/dev/null || die "smtp-sink not found (apt-get install postfix)"
	# One process with an event loop; -m raises its default of 256 connections,
	# -u is required as root; the last argument is the listen backlog.
	sink_user=()
	[ "$(id -u)" != 0 ] || sink_user=(-u nobody)
	smtp-sink "${sink_user[@]}" -m $((N + 100)) "127.0.0.1:$PORT" 1024 >/dev/null 2>&1 &
	SINK_PID=$!
	PID=$SINK_PID
	wait_port "$PORT" || die "smtp-sink does not listen on $PORT"
	echo "smtp-sink (Postfix) on 127.0.0.1:$PORT"
	;;
*) die "SERVER must be buzon or smtp-sink" ;;
esac
# idle_conns.py runs one warm-up session and waits for the server to settle
# before it reads the baseline.

args=(--pid "$PID" --port "$PORT" -n "$N" --sources "$SOURCES")
[ -z "$NO_EHLO" ] || args+=(--no-ehlo)
echo "client: bench/idle_conns.py ${args[*]} (RLIMIT_NOFILE $(ulimit -n))"
/usr/bin/python3 "$ROOT/bench/idle_conns.py" "${args[@]}"
