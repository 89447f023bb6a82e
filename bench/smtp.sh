#!/bin/bash
# bench/smtp.sh: SMTP delivery throughput, buzon vs a private Postfix, side by side.
# SPDX-License-Identifier: MIT
#
# Usage (as root, Debian 12, from anywhere; builds nothing, run `make` first):
#   bench/smtp.sh                      both servers, 3 repetitions, 20 and 100 sessions
#   ONLY=postfix bench/smtp.sh         Postfix only (ONLY=buzon: buzon only)
#   REPS=5 MSGS=5000 SIZE=4096 SESSIONS="20 100" BUZON=./buzon bench/smtp.sh
#   KEEP=1 bench/smtp.sh               keep the temp dir (logs, configs) afterwards
#   BUZON_GREET_DELAY=300ms bench/smtp.sh   buzon's [smtp] greet_delay (default 0 here, as
#                                      Postfix greets at once; "default" keeps buzon's own)
#
# Each measurement runs
#   smtp-source -s S -m MSGS -l SIZE -d -f sender@bench.test -t u1@bench.test 127.0.0.1:PORT
# and times it from start until every message is durably delivered:
#   buzon:   smtp-source exits (buzon replies 250 only after fsync);
#   Postfix: the Maildir new/ holds MSGS files and the queue is empty (polled).
# Runs are interleaved (rep 1: Postfix, buzon; rep 2: ...), each on a fresh mailbox
# (buzon: a fresh `buzon init` data dir; Postfix: the Maildir is removed between runs).
# Medians are printed as messages/s with the ratio buzon/Postfix.
# Only loopback is used. Installs Postfix from Debian if missing (needs apt).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUZON=${BUZON:-$ROOT/buzon}
REPS=${REPS:-3}
MSGS=${MSGS:-5000}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-"20 100"}
ONLY=${ONLY:-}
KEEP=${KEEP:-}
BUZON_GREET_DELAY=${BUZON_GREET_DELAY:-0}
POLL=${POLL:-0.02}
TIMEOUT=${TIMEOUT:-600}
FROM=sender@bench.test
RCPT=u1@bench.test
# Postfix's virtual(8) delivers as this (non-root) user; buzon drops to it ([server] user).
MAILUSER=${MAILUSER:-nobody}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

[ "$(id -u)" = 0 ] || die "run as root (Postfix needs it)"
case "$ONLY" in "" | postfix | buzon) ;; *) die "ONLY must be postfix or buzon" ;; esac
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

# Number of directory entries in $1 (0 if it does not exist), without sorting.
count_files() {
	local n
	if [ -d "$1" ]; then
		# shellcheck disable=SC2012 # maildir names are plain; ls -f does not sort
		n=$(ls -f "$1" | wc -l)
		echo $((n - 2))
	else
		echo 0
	fi
}

PF_UP=
stop_servers() {
	[ -z "$PF_UP" ] || postfix -c "$PF/etc" stop >/dev/null 2>&1
}
bench_tmp buzon-bench
PF=$TMP/postfix

MAIL_UID=$(id -u "$MAILUSER")
MAIL_GID=$(id -g "$MAILUSER")
[ "$MAIL_UID" != 0 ] || die "MAILUSER must not be root"

# ---------------------------------------------------------------- Postfix

# A private instance: its own config, queue, data and mail directories under $PF,
# one smtpd on 127.0.0.1:$PF_PORT, bench.test delivered by virtual(8) to a Maildir.
pf_setup() {
	pf_prepare
	mkdir -p "$PF/mail"
	chown "$MAIL_UID:$MAIL_GID" "$PF/mail"
	echo "$RCPT bench.test/u1/" >"$PF/etc/vmailbox"
	postmap "$PF/etc/vmailbox"
	pf_start \
		"virtual_mailbox_domains = bench.test" \
		"virtual_mailbox_base = $PF/mail" \
		"virtual_mailbox_maps = hash:$PF/etc/vmailbox" \
		"virtual_uid_maps = static:$MAIL_UID" \
		"virtual_gid_maps = static:$MAIL_GID" \
		"virtual_mailbox_limit = 0"
}

# pf_run SESSIONS: sets RUN_T to the wall time in seconds until delivered and
# PF_ACCEPT_T to the time until smtp-source finished (all messages queued).
pf_run() {
	local s=$1 md=$PF/mail/bench.test/u1 t0 t1 n q deadline
	rm -rf "$md"
	[ "$(pf_queue_count)" = 0 ] || die "postfix queue not empty before a run"
	t0=$(now)
	smtp-source -s "$s" -m "$MSGS" -l "$SIZE" -d -f "$FROM" -t "$RCPT" \
		"127.0.0.1:$PF_PORT" >"$TMP/source.out" 2>&1 ||
		die "smtp-source (postfix) failed: $(tail -3 "$TMP/source.out")"
	PF_ACCEPT_T=$(echo "$(now) - $t0" | bc -l)
	deadline=$(($(date +%s) + TIMEOUT))
	while :; do
		n=$(count_files "$md/new")
		if [ "$n" -ge "$MSGS" ] && [ "$(pf_queue_count)" = 0 ]; then
			break
		fi
		[ "$(date +%s)" -lt "$deadline" ] ||
			die "postfix: only $n of $MSGS delivered after ${TIMEOUT}s"
		sleep "$POLL"
	done
	t1=$(now)
	[ "$n" = "$MSGS" ] || die "postfix delivered $n messages, expected $MSGS"
	RUN_T=$(echo "$t1 - $t0" | bc -l)
}

# ---------------------------------------------------------------- buzon

# bz_count DIR: sets BZ_COUNT to the number of messages in u1's INBOX, counted
# in the mbox that `buzon export` writes to stdout (the export runs as the data
# dir's owner, who cannot write into $TMP). Exits when the export fails.
bz_count() {
	"$BUZON" -c "$1/buzon.conf" export "$RCPT" --mbox - >"$1.mbox" 2>"$1.export.log" ||
		die "buzon export failed: $(tail -3 "$1.export.log")"
	BZ_COUNT=$(grep -c '^From ' "$1.mbox" || true)
	rm -f "$1.mbox"
}

# bz_run SESSIONS RUN: sets RUN_T to the wall time in seconds.
bz_run() {
	local s=$1 dir=$TMP/buzon-$2-$1 t0 t1 port
	port=$(free_port)
	bz_init "$dir" "$port" "$BZ_EXTRA"
	bz_serve "$dir" "$port"
	t0=$(now)
	smtp-source -s "$s" -m "$MSGS" -l "$SIZE" -d -f "$FROM" -t "$RCPT" \
		"127.0.0.1:$port" >"$TMP/source.out" 2>&1 ||
		die "smtp-source (buzon) failed: $(tail -3 "$TMP/source.out")"
	t1=$(now)
	bz_stop
	bz_count "$dir"
	[ "$BZ_COUNT" = "$MSGS" ] || die "buzon stored $BZ_COUNT messages, expected $MSGS"
	# Keep the disk usage flat across runs.
	[ -n "$KEEP" ] || rm -rf "$dir"
	RUN_T=$(echo "$t1 - $t0" | bc -l)
}

# ---------------------------------------------------------------- main

# Config lines added to every buzon instance (after its [listen] section).
BZ_EXTRA="[server]
user = $MAILUSER"
case "$BUZON_GREET_DELAY" in
default) ;;
*) BZ_EXTRA+="
[smtp]
greet_delay = $BUZON_GREET_DELAY" ;;
esac
# All sessions come from 127.0.0.1: raise buzon's per-IP limit (default 200) when
# needed. Postfix exempts $mynetworks from its per-client limits.
# shellcheck disable=SC2086 # a list of numbers
max_s=$(printf '%s\n' $SESSIONS | sort -n | tail -1)
if [ "$max_s" -gt 200 ]; then
	BZ_EXTRA+="
[limits]
connections_per_ip = $max_s"
fi

command -v bc >/dev/null || die "bc is needed"
if want postfix; then
	pf_install
	pf_setup
fi
command -v smtp-source >/dev/null || pf_install
if want buzon; then
	[ -x "$BUZON" ] || die "$BUZON not found: run make (or ONLY=postfix)"
fi

echo "SMTP delivery benchmark: $MSGS messages of $SIZE bytes, sessions: $SESSIONS, $REPS reps"
echo "host: $(nproc) CPUs, $(uname -r), filesystem of $TMP: $(df -T "$TMP" | awk 'NR == 2 { print $2 }')," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
if want postfix; then
	echo "postfix $(postconf -h mail_version) on 127.0.0.1:$PF_PORT: virtual(8) Maildir," \
		"in_flow_delay=$(postconf -c "$PF/etc" -h in_flow_delay)," \
		"virtual concurrency=$(postconf -c "$PF/etc" -h default_destination_concurrency_limit)"
fi
if want buzon; then
	echo "$("$BUZON" --version 2>&1 | head -1) ($BUZON), set by this script:" \
		"$(printf '%s' "$BZ_EXTRA" | grep -v '^\[' | paste -sd, - | sed "s/,/, /g")"
fi
echo

declare -A RATES
for rep in $(seq 1 "$REPS"); do
	for s in $SESSIONS; do
		line="run $rep  -s $(printf '%-3s' "$s")"
		if want postfix; then
			pf_run "$s"
			t=$RUN_T
			r=$(echo "$MSGS / $t" | bc -l)
			RATES[postfix,$s]+="$r "
			line+=$(printf '  postfix %6.2f s %7.1f msg/s (accepted in %.2f s)' \
				"$t" "$r" "$PF_ACCEPT_T")
		fi
		if want buzon; then
			bz_run "$s" "$rep"
			t=$RUN_T
			r=$(echo "$MSGS / $t" | bc -l)
			RATES[buzon,$s]+="$r "
			line+=$(printf '  buzon %6.2f s %7.1f msg/s (stored: %s)' "$t" "$r" "$BZ_COUNT")
		fi
		echo "$line"
	done
done

echo
echo "medians (messages/s, higher is better; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
for s in $SESSIONS; do
	medians_line "-s $(printf '%-3s' "$s")" "$s"
done
