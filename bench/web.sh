#!/bin/bash
# bench/web.sh: opening a 100,000-message INBOX in the webmail and over JMAP, next to the
# same over IMAP (buzon and a private Dovecot).
# SPDX-License-Identifier: MIT
#
# Usage (as root, Debian 12, from anywhere; run `make` and `make e2e-deps`-style
# `npm ci` in tests/e2e first):
#   bench/web.sh                         everything, 5 repetitions
#   MSGS=20000 REPS=3 bench/web.sh       a smaller INBOX, fewer repetitions
#   ONLY=buzon bench/web.sh              no Dovecot (ONLY=dovecot: Dovecot's IMAP only)
#   PARTS="jmap imap browser"            the parts to run
#   DATA=/var/tmp/web100k bench/web.sh   keep the generated Maildir and buzon's imported
#                                        store there and reuse them next time
#   KEEP=1 bench/web.sh                  keep the temp dir
#
# Data: bench/web_maildir.py writes one INBOX of MSGS messages with threads (about 40 %
# replies), 300-6000 octet bodies, some HTML and attachments, 10 % unread (fixed seed);
# buzon imports it (`buzon import --maildir` under eatmydata), Dovecot serves a copy.
# jmap (bench/web_jmap.py): on one keep-alive connection, Mailbox/get; Email/query
# (inMailbox, receivedAt descending, collapseThreads, limit 50, calculateTotal); the
# webmail's list request (that query + Email/get of the 50 with the list properties +
# Thread/get); Email/get of the newest with body values.
# imap (same script): SELECT INBOX, UID SORT (REVERSE ARRIVAL), UID FETCH ENVELOPE of
# the newest 50, UID FETCH BODY.PEEK[] of the newest; buzon and Dovecot.
# browser (bench/web_first_screen.mjs, Debian's chromium through playwright-core): login
# submitted -> the 50 rows of the message list shown; click on the newest -> its text
# shown; reload with the session cookie -> the list shown again.  Timed by the page's
# clock up to the frame that paints the rows (drv_*: the same as playwright sees them,
# its click and polling overheads included: what login_ms and reload_ms used to be).
# Each part prints its first (cold: buzon threads every message on the first JMAP call)
# round, then the medians of REPS rounds.  Target (issue #6): first screen < 300 ms.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUZON=${BUZON:-$ROOT/buzon}
MSGS=${MSGS:-100000}
REPS=${REPS:-5}
PARTS=${PARTS:-jmap imap browser}
ONLY=${ONLY:-}
DATA=${DATA:-}
PASSWORD=bench-password
MAILUSER=${MAILUSER:-nobody}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

[ "$(id -u)" = 0 ] || die "run as root (Dovecot and the install need it)"
case "$ONLY" in "" | dovecot | buzon) ;; *) die "ONLY must be dovecot or buzon" ;; esac
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
[ -x "$BUZON" ] || die "$BUZON not found: run make"

DV_UP=
stop_servers() {
	if [ -n "$DV_UP" ]; then
		doveadm -c "$DV/dovecot.conf" stop >/dev/null 2>&1 ||
			kill -TERM "$(cat "$DV/run/master.pid")" 2>/dev/null
		DV_UP=
	fi
}
bench_tmp buzon-web
DV=$TMP/dovecot
[ -n "$DATA" ] || DATA=$TMP/data
mkdir -p "$DATA"
chmod 755 "$DATA"

apt_get() {
	command -v "$1" >/dev/null && return
	echo "installing $2 from Debian..."
	apt-cache show "$2" >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "$2" \
		>"$TMP/apt.log" 2>&1 || die "apt-get install $2 failed: $(tail -3 "$TMP/apt.log")"
}

# The Maildir (made once per DATA and MSGS) and buzon's store imported from it.
make_data() {
	local t0
	if [ ! -f "$DATA/maildir.$MSGS.done" ]; then
		rm -rf "$DATA/Maildir" "$DATA/bz"*
		t0=$(now)
		/usr/bin/python3 "$ROOT/bench/web_maildir.py" "$DATA/Maildir" "$MSGS" >"$DATA/maildir.txt" ||
			die "generating the Maildir failed"
		printf 'generated %s in %.0f s\n' "$(cat "$DATA/maildir.txt")" "$(echo "$(now) - $t0" | bc -l)"
		touch "$DATA/maildir.$MSGS.done"
	fi
	if [ ! -f "$DATA/bz.done" ]; then
		bz_init "$DATA/bz" "$(free_port)" ""
		t0=$(now)
		eatmydata "$BUZON" -c "$DATA/bz/buzon.conf" import u1@bench.test --maildir "$DATA/Maildir" \
			>"$DATA/bz.import.log" 2>&1 || die "buzon import failed: $(tail -3 "$DATA/bz.import.log")"
		sync
		printf 'buzon imported them in %.0f s (fsync off)\n' "$(echo "$(now) - $t0" | bc -l)"
		touch "$DATA/bz.done"
	fi
	chmod -R a+rX "$DATA/Maildir"
}

# A copy of the imported store (the runs thread it, and a newer buzon migrates it)
# with http and imap listeners.
bz_setup() {
	local conf=$TMP/bz/buzon.conf
	cp -a "$DATA/bz" "$TMP/bz"
	BZ_HTTP=$(free_port) BZ_IMAP=$(free_port)
	awk '/^[ \t]*\[/ { skip = ($0 ~ /^[ \t]*\[(listen|imap|server)\]/) } !skip { print }' \
		"$conf" >"$conf.new"
	printf '\n[listen]\nsmtp = 127.0.0.1:%s\nhttp = 127.0.0.1:%s\nimap = 127.0.0.1:%s\n' \
		"$(free_port)" "$BZ_HTTP" "$BZ_IMAP" >>"$conf.new"
	printf '[imap]\nplaintext_auth = loopback\n[server]\nuser = %s\n' "$MAILUSER" >>"$conf.new"
	mv "$conf.new" "$conf"
	chown -R "$MAILUSER:" "$TMP/bz/data"
	bz_serve "$TMP/bz" "$BZ_HTTP"
}

dv_setup() {
	local uid gid
	uid=$(id -u "$MAILUSER") gid=$(id -g "$MAILUSER")
	DV_PORT=$(free_port)
	mkdir -p "$DV/run" "$DV/state" "$DV/log" "$DV/home/u1"
	cp -a "$DATA/Maildir" "$DV/home/u1/Maildir"
	chown -R "$uid:$gid" "$DV/home"
	printf 'u1@bench.test:{PLAIN}%s:%s:%s::%s::\n' "$PASSWORD" "$uid" "$gid" "$DV/home/u1" >"$DV/passwd"
	chgrp dovecot "$DV/passwd"
	chmod 640 "$DV/passwd"
	cat >"$DV/dovecot.conf" <<EOC
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
first_valid_uid = $uid
passdb {
  driver = passwd-file
  args = $DV/passwd
}
userdb {
  driver = passwd-file
  args = $DV/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DV_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOC
	dovecot -c "$DV/dovecot.conf" >"$DV/log/start.log" 2>&1 ||
		die "dovecot failed to start: $(tail -3 "$DV/log/start.log")"
	DV_UP=1
	wait_port "$DV_PORT" || die "dovecot does not listen on $DV_PORT"
}

# run LABEL CMD...: print the command's rounds, keep its median line in RESULTS.
RESULTS=''
run() {
	local label=$1 out
	shift
	out=$("$@" 2>"$TMP/run.err") || die "$label failed: $(tail -3 "$TMP/run.err") $out"
	echo "$out" | sed "s/^/  $label /"
	RESULTS+="  $label $(echo "$out" | grep '^median')"$'\n'
	RESULTS+="  $label $(echo "$out" | grep '^first') (cold)"$'\n'
}

apt_get eatmydata eatmydata
want dovecot && part imap && apt_get dovecot dovecot-imapd
echo "web benchmark: $MSGS messages in INBOX, parts: $PARTS, $REPS reps;" \
	"$("$BUZON" --version 2>&1 | head -1) ($BUZON)"
echo "host: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
make_data
if want buzon; then
	bz_setup
	part jmap && run "buzon jmap" /usr/bin/python3 "$ROOT/bench/web_jmap.py" jmap "$BZ_HTTP" \
		u1@bench.test "$PASSWORD" "$REPS"
	part imap && run "buzon imap" /usr/bin/python3 "$ROOT/bench/web_jmap.py" imap "$BZ_IMAP" \
		u1@bench.test "$PASSWORD" "$REPS"
	part browser && run "buzon browser" env BASE="http://127.0.0.1:$BZ_HTTP" USER=u1@bench.test \
		PASS="$PASSWORD" REPS="$REPS" ROOT="$ROOT" node "$ROOT/bench/web_first_screen.mjs"
	bz_stop
fi
if want dovecot && part imap; then
	dv_setup
	echo "dovecot $(dovecot --version) on 127.0.0.1:$DV_PORT (Maildir, its defaults)"
	run "dovecot imap" /usr/bin/python3 "$ROOT/bench/web_jmap.py" imap "$DV_PORT" \
		u1@bench.test "$PASSWORD" "$REPS"
	stop_servers
fi
echo
echo "results, medians of $REPS (ms; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s' "$RESULTS"
