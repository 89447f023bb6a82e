#!/bin/bash
# bench/relay.sh: relay throughput end to end, buzon vs a private Postfix as the relay,
# both delivering to Postfix's smtp-sink; then the same with a 4xx destination alongside.
# SPDX-License-Identifier: MIT
#
# Usage (as root, Debian 12, from anywhere; builds nothing, run `make` first):
#   bench/relay.sh                     both relays, 3 repetitions
#   ONLY=postfix bench/relay.sh        Postfix only (ONLY=buzon: buzon only)
#   REPS=5 MSGS=5000 SIZE=4096 SESSIONS=20 BUZON=./buzon bench/relay.sh
#   BZ_CONCURRENCY=20 bench/relay.sh   buzon's [queue] concurrency (default: buzon's own)
#   FROM=sender@bench.test bench/relay.sh   a local sender: buzon DKIM-signs each message
#   KEEP=1 bench/relay.sh              keep the temp dir (logs, configs) afterwards
#
# Two smtp-sink processes listen on loopback: "sink" accepts everything, "fail" answers
# every RCPT with 450 (smtp-sink -r rcpt).  On both relays fwd@bench.test is an alias
# of u@sink.test and bad@bench.test one of x@fail.test; sink.test and fail.test are
# routed to the sinks (buzon: [routes]; Postfix: transport_maps).  A run is
#   smtp-source -s SESSIONS -m MSGS -l SIZE -d -f FROM -t fwd@bench.test RELAY
# timed from its start until the sink has counted MSGS more messages (its -c counter),
# i.e. relayed end to end.  Mode "alone" runs only that; mode "with 4xx" runs a second
# smtp-source at the same time sending MSGS messages to bad@bench.test, which the relay
# can never deliver: the rate to sink.test should stay as it was alone (no head-of-line
# blocking; the relay still has to take twice the mail in).  Each run line also shows
# when smtp-source was done ("accepted in") and how long after that the sink got the
# last message ("+s"): the relay's backlog; a blocked queue makes it grow.
# Runs are interleaved (rep 1: Postfix, buzon; rep 2: ...).  buzon gets a fresh data
# dir per run; Postfix's queue is emptied (postsuper -d ALL) after each run.  Medians
# of messages/s are printed with the ratio buzon/Postfix.  Only loopback is used.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUZON=${BUZON:-$ROOT/buzon}
REPS=${REPS:-3}
MSGS=${MSGS:-5000}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-20}
ONLY=${ONLY:-}
KEEP=${KEEP:-}
BZ_CONCURRENCY=${BZ_CONCURRENCY:-}
POLL=${POLL:-0.02}
TIMEOUT=${TIMEOUT:-600}
# An outside sender whose mail a local alias forwards: neither relay signs it.
FROM=${FROM:-sender@source.test}
GOOD=fwd@bench.test
BAD=bad@bench.test
MAILUSER=${MAILUSER:-nobody}
MODES="alone with4xx"

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

[ "$(id -u)" = 0 ] || die "run as root (Postfix needs it)"
case "$ONLY" in "" | postfix | buzon) ;; *) die "ONLY must be postfix or buzon" ;; esac
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

PF_UP=
SINK_PIDS=()
stop_servers() {
	[ -z "$PF_UP" ] || postfix -c "$PF/etc" stop >/dev/null 2>&1
	local p
	for p in "${SINK_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
bench_tmp buzon-relay-bench
PF=$TMP/postfix

# ---------------------------------------------------------------- sinks

# sink_start NAME ARGS...: an smtp-sink on a free port with running counters
# (-c) in $TMP/NAME.count; sets SINK_PORT.
sink_start() {
	local name=$1
	shift
	SINK_PORT=$(free_port)
	smtp-sink -u "$MAILUSER" -c "$@" "127.0.0.1:$SINK_PORT" 1024 \
		>"$TMP/$name.count" 2>"$TMP/$name.err" &
	SINK_PIDS+=($!)
	wait_port "$SINK_PORT" || die "smtp-sink $name does not listen: $(cat "$TMP/$name.err")"
}

# sink_count NAME: the number of messages sink NAME has received so far.
sink_count() {
	local n
	n=$(tail -c 200 "$TMP/$1.count" | tr '\r' '\n' |
		sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
	echo "${n:-0}"
}

# ---------------------------------------------------------------- one run

# relay_run PORT MODE: submit to the relay on PORT and wait for the sink; sets RUN_T
# (seconds until the sink had them all) and ACCEPT_T (until smtp-source exited).
relay_run() {
	local port=$1 mode=$2 base t0 t1 n bad_pid='' deadline
	base=$(sink_count sink)
	t0=$(now)
	if [ "$mode" = with4xx ]; then
		smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" -d -f "$FROM" -t "$BAD" \
			"127.0.0.1:$port" >"$TMP/source-bad.out" 2>&1 &
		bad_pid=$!
	fi
	smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" -d -f "$FROM" -t "$GOOD" \
		"127.0.0.1:$port" >"$TMP/source.out" 2>&1 ||
		die "smtp-source failed: $(tail -3 "$TMP/source.out")"
	ACCEPT_T=$(echo "$(now) - $t0" | bc -l)
	deadline=$(($(date +%s) + TIMEOUT))
	while :; do
		n=$(($(sink_count sink) - base))
		[ "$n" -lt "$MSGS" ] || break
		[ "$(date +%s)" -lt "$deadline" ] ||
			die "only $n of $MSGS relayed after ${TIMEOUT}s"
		sleep "$POLL"
	done
	t1=$(now)
	[ "$n" = "$MSGS" ] || die "the sink got $n messages, expected $MSGS"
	if [ -n "$bad_pid" ]; then
		wait "$bad_pid" || die "smtp-source (4xx) failed: $(tail -3 "$TMP/source-bad.out")"
	fi
	RUN_T=$(echo "$t1 - $t0" | bc -l)
}

# ---------------------------------------------------------------- Postfix

pf_setup() {
	pf_prepare
	printf '%s u@sink.test\n%s x@fail.test\n' "$GOOD" "$BAD" >"$PF/etc/valias"
	printf 'sink.test smtp:[127.0.0.1]:%s\nfail.test smtp:[127.0.0.1]:%s\n' \
		"$SINK_GOOD" "$SINK_FAIL" >"$PF/etc/transport"
	postmap "$PF/etc/valias" "$PF/etc/transport"
	pf_start \
		"virtual_alias_domains = bench.test" \
		"virtual_alias_maps = hash:$PF/etc/valias" \
		"transport_maps = hash:$PF/etc/transport" \
		"smtp_tls_security_level = none"
}

# pf_deferred: recipients Postfix deferred so far (its maillog).
pf_deferred() {
	grep -c 'to=<x@fail.test>.*status=deferred' "$PF/log/maillog" 2>/dev/null || true
}

pf_run() {
	local deadline
	[ "$(pf_queue_count)" = 0 ] || die "postfix queue not empty before a run"
	relay_run "$PF_PORT" "$1"
	# The 4xx mail stays deferred: drop it so that no retry falls into a later run.
	postsuper -c "$PF/etc" -d ALL >/dev/null 2>&1
	deadline=$(($(date +%s) + 60))
	while [ "$(pf_queue_count)" != 0 ]; do
		[ "$(date +%s)" -lt "$deadline" ] || die "postfix queue does not empty"
		sleep 0.2
		postsuper -c "$PF/etc" -d ALL >/dev/null 2>&1
	done
}

# ---------------------------------------------------------------- buzon

# bz_run MODE RUN: a fresh buzon relay for one run.
bz_run() {
	local dir=$TMP/buzon-$2-$1 port
	port=$(free_port)
	bz_init "$dir" "$port" "$BZ_EXTRA"
	if ! "$BUZON" -c "$dir/buzon.conf" alias add "$GOOD" u@sink.test >"$dir.alias.log" 2>&1 ||
		! "$BUZON" -c "$dir/buzon.conf" alias add "$BAD" x@fail.test >>"$dir.alias.log" 2>&1; then
		die "buzon alias add failed: $(tail -3 "$dir.alias.log")"
	fi
	bz_serve "$dir" "$port"
	relay_run "$port" "$1"
	bz_stop
	BZ_DEFERRED=$(grep -c 'to=<x@fail.test> .*result="4' "$dir.log" || true)
	[ -n "$KEEP" ] || rm -rf "$dir"
}

# ---------------------------------------------------------------- main

command -v bc >/dev/null || die "bc is needed"
pf_install
sink_start sink
SINK_GOOD=$SINK_PORT
sink_start fail -r rcpt
SINK_FAIL=$SINK_PORT
want postfix && pf_setup
if want buzon; then
	[ -x "$BUZON" ] || die "$BUZON not found: run make (or ONLY=postfix)"
fi

BZ_EXTRA="[server]
user = $MAILUSER
[smtp]
greet_delay = 0
[routes]
sink.test = 127.0.0.1:$SINK_GOOD
fail.test = 127.0.0.1:$SINK_FAIL"
if [ -n "$BZ_CONCURRENCY" ]; then
	BZ_EXTRA+="
[queue]
concurrency = $BZ_CONCURRENCY"
fi

echo "relay benchmark: $MSGS messages of $SIZE bytes from $SESSIONS sessions ($FROM ->" \
	"$GOOD -> u@sink.test), $REPS reps"
echo "host: $(nproc) CPUs, $(uname -r), filesystem of $TMP: $(df -T "$TMP" | awk 'NR == 2 { print $2 }')," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
if want postfix; then
	echo "postfix $(postconf -h mail_version): in_flow_delay=$(postconf -c "$PF/etc" -h in_flow_delay)," \
		"smtp concurrency=$(postconf -c "$PF/etc" -h default_destination_concurrency_limit)" \
		"(initial $(postconf -c "$PF/etc" -h initial_destination_concurrency))"
fi
if want buzon; then
	echo "$("$BUZON" --version 2>&1 | head -1) ($BUZON): [queue] concurrency=${BZ_CONCURRENCY:-default}," \
		"greet_delay=0"
fi
echo "sinks: smtp-sink on 127.0.0.1:$SINK_GOOD (accepts), 127.0.0.1:$SINK_FAIL (450 to RCPT)"
echo

declare -A RATES
for rep in $(seq 1 "$REPS"); do
	for mode in $MODES; do
		line="run $rep  $(printf '%-8s' "$mode")"
		if want postfix; then
			d0=$(pf_deferred)
			pf_run "$mode"
			r=$(echo "$MSGS / $RUN_T" | bc -l)
			RATES[postfix,$mode]+="$r "
			line+=$(printf '  postfix %6.2f s %7.1f msg/s (accepted in %5.2f s, +%.2f s' \
				"$RUN_T" "$r" "$ACCEPT_T" "$(echo "$RUN_T - $ACCEPT_T" | bc -l)")
			[ "$mode" = alone ] || line+=", 450s: $(($(pf_deferred) - d0))"
			line+=")"
		fi
		if want buzon; then
			bz_run "$mode" "$rep"
			r=$(echo "$MSGS / $RUN_T" | bc -l)
			RATES[buzon,$mode]+="$r "
			line+=$(printf '  buzon %6.2f s %7.1f msg/s (accepted in %5.2f s, +%.2f s' \
				"$RUN_T" "$r" "$ACCEPT_T" "$(echo "$RUN_T - $ACCEPT_T" | bc -l)")
			[ "$mode" = alone ] || line+=", 450s: $BZ_DEFERRED"
			line+=")"
		fi
		echo "$line"
	done
done

echo
echo "medians (messages/s relayed to sink.test, higher is better; load average now" \
	"$(cut -d' ' -f1-3 /proc/loadavg)):"
for mode in $MODES; do
	medians_line "$(printf '%-8s' "$mode")" "$mode"
done
echo "with4xx/alone (1.00: the 4xx destination does not slow the others down):"
for who in postfix buzon; do
	want "$who" || continue
	# shellcheck disable=SC2086
	a=$(median ${RATES[$who,alone]})
	# shellcheck disable=SC2086
	b=$(median ${RATES[$who,with4xx]})
	printf '  %-8s %.2f\n' "$who" "$(echo "$b / $a" | bc -l)"
done
