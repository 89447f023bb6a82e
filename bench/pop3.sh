#!/bin/bash
# bench/pop3.sh: POP3 download throughput, buzon vs a private Dovecot, side by side.
# SPDX-License-Identifier: MIT
#
# Usage (as root, Debian 12, from anywhere; run `make` first):
#   bench/pop3.sh                      both servers, 3 repetitions
#   ONLY=dovecot bench/pop3.sh         Dovecot only (ONLY=buzon: buzon only)
#   REPS=5 SESSIONS=400 CLIENTS=20 USERS=50 MSGS=200 MIN_SIZE=4096 MAX_SIZE=65536 bench/pop3.sh
#   KEEP=1 bench/pop3.sh               keep the temp dir (maildirs, configs, logs) afterwards
#
# Both servers get the same mailboxes: USERS users u1..uN@bench.test (password
# bench-password) with MSGS messages each of MIN_SIZE..MAX_SIZE octets, made once per
# run by bench/pop3_maildirs.py (fixed seed). buzon imports them (`buzon import
# --maildir`); Dovecot serves a copy of the same Maildirs (passwd-file userdb, the
# same yescrypt hash as buzon's, verified through crypt(3) like buzon does).
# One load generator, bench/pop3_load.c (build/release/pop3_load), runs SESSIONS
# sessions from CLIENTS concurrent clients, each a full USER, PASS, LIST, RETR 1..n
# (one at a time), QUIT, in keep mode (no DELE); a user is never in two sessions at
# once (POP3 maildrop lock). It checks every RETR against the LIST size.
# Before timing, one session per user on each server checks that both serve the
# same messages (count, octets and a hash of the bytes, against the generated
# Maildirs) and warms caches and Dovecot's indexes.
# Runs are interleaved (rep 1: Dovecot, buzon; rep 2: ...). Printed per run and as
# medians: sessions/s, MB/s (10^6 octets of message data per second), and buzon/Dovecot;
# per run also the server's CPU time per session (its processes only, from /proc)
# and the cores used by the server, the load generator and everything else (other
# work on the machine: when that is not near 0, the rates are disturbed).
# Only loopback is used. Installs dovecot-pop3d from Debian if missing (needs apt).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUZON=${BUZON:-$ROOT/buzon}
LOAD=${LOAD:-$ROOT/build/release/pop3_load}
REPS=${REPS:-3}
SESSIONS=${SESSIONS:-400}
CLIENTS=${CLIENTS:-20}
USERS=${USERS:-50}
MSGS=${MSGS:-200}
MIN_SIZE=${MIN_SIZE:-4096}
MAX_SIZE=${MAX_SIZE:-65536}
ONLY=${ONLY:-}
KEEP=${KEEP:-}
PASSWORD=bench-password # what bz_init gives u1; the others get it here
# Both servers read the mail as this (non-root) user.
MAILUSER=${MAILUSER:-nobody}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

[ "$(id -u)" = 0 ] || die "run as root (Dovecot and the install need it)"
case "$ONLY" in "" | dovecot | buzon) ;; *) die "ONLY must be dovecot or buzon" ;; esac
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
[ "$CLIENTS" -le "$USERS" ] || die "CLIENTS must not exceed USERS (one session per user at once)"

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

DV_UP=
stop_servers() {
	if [ -n "$DV_UP" ]; then
		doveadm -c "$DV/dovecot.conf" stop >/dev/null 2>&1 ||
			kill -TERM "$(cat "$DV/run/master.pid")" 2>/dev/null
		DV_UP=
	fi
}
bench_tmp buzon-pop3
DV=$TMP/dovecot
BZ=$TMP/buzon

MAIL_UID=$(id -u "$MAILUSER")
MAIL_GID=$(id -g "$MAILUSER")
[ "$MAIL_UID" != 0 ] || die "MAILUSER must not be root"

# ---------------------------------------------------------------- Dovecot

dv_install() {
	if command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/pop3 ]; then
		return
	fi
	echo "installing dovecot-pop3d from Debian..."
	# Another apt may hold the dpkg lock (e.g. `make deps`): wait for it. Update
	# the package lists only when the package is unknown to them. The packages'
	# own service is not started (no init here) and is not used.
	apt-cache show dovecot-pop3d >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		dovecot-pop3d >"$TMP/apt.log" 2>&1 ||
		die "apt-get install dovecot-pop3d failed: $(tail -3 "$TMP/apt.log")"
	[ -x /usr/lib/dovecot/pop3 ] || die "dovecot-pop3d is installed but /usr/lib/dovecot/pop3 is not"
}

# A private instance: its own config, base_dir, state_dir and log under $DV, one
# POP3 listener on 127.0.0.1:$DV_PORT, users from a passwd-file whose lines carry
# buzon's password hashes (from $BZ's store) and homes holding a copy of the Maildirs.
dv_setup() {
	local u hash
	DV_PORT=$(free_port)
	mkdir -p "$DV/run" "$DV/state" "$DV/log"
	cp -a "$TMP/maildirs" "$DV/home"
	chown -R "$MAIL_UID:$MAIL_GID" "$DV/home"
	: >"$DV/passwd"
	for u in $(seq 1 "$USERS"); do
		hash=${BZ_HASH[$u]}
		printf 'u%s@bench.test:{CRYPT}%s:%s:%s::%s::\n' "$u" "$hash" "$MAIL_UID" "$MAIL_GID" \
			"$DV/home/u$u" >>"$DV/passwd"
	done
	# Read by the auth process, which runs as default_internal_user (dovecot).
	chgrp dovecot "$DV/passwd"
	chmod 640 "$DV/passwd"
	cat >"$DV/dovecot.conf" <<EOF
# Written by bench/pop3.sh; everything not set here is Dovecot's default.
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/log/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
# All clients come from 127.0.0.1 (default 10 per user and address).
mail_max_userip_connections = 1000
passdb {
  driver = passwd-file
  args = scheme=CRYPT $DV/passwd
}
userdb {
  driver = passwd-file
  args = $DV/passwd
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $DV_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
EOF
	dovecot -c "$DV/dovecot.conf" >"$DV/log/start.log" 2>&1 ||
		die "dovecot failed to start: $(tail -3 "$DV/log/start.log") $(tail -3 "$DV/log/dovecot.log" 2>/dev/null)"
	DV_UP=1
	wait_port "$DV_PORT" || die "dovecot does not listen on $DV_PORT: $(tail -3 "$DV/log/dovecot.log")"
}

# ---------------------------------------------------------------- buzon

# One data dir for the whole run: USERS accounts, each with the Maildir imported
# into INBOX. Sets BZ_PORT and BZ_HASH[N] (the stored password hash of uN).
bz_setup() {
	local u port_smtp
	port_smtp=$(free_port)
	BZ_PORT=$(free_port)
	bz_init "$BZ" "$port_smtp" "pop3 = 127.0.0.1:$BZ_PORT
[pop3]
plaintext_auth = loopback
[server]
user = $MAILUSER"
	for u in $(seq 1 "$USERS"); do
		if [ "$u" != 1 ]; then # bz_init added u1
			echo "$PASSWORD" | "$BUZON" -c "$BZ/buzon.conf" user add "u$u@bench.test" \
				>>"$BZ.user.log" 2>&1 || die "buzon user add u$u failed: $(tail -3 "$BZ.user.log")"
		fi
		"$BUZON" -c "$BZ/buzon.conf" import "u$u@bench.test" --maildir "$TMP/maildirs/u$u/Maildir" \
			>>"$BZ.import.log" 2>&1 || die "buzon import u$u failed: $(tail -3 "$BZ.import.log")"
	done
	declare -gA BZ_HASH
	while read -r u hash; do
		BZ_HASH[$u]=$hash
	done < <(/usr/bin/python3 - "$BZ/data/store.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for addr, h in db.execute("SELECT address, pwhash FROM accounts"):
    print(addr.split("@")[0][1:], h)
EOF
	)
	[ "${#BZ_HASH[@]}" = "$USERS" ] || die "read ${#BZ_HASH[@]} password hashes from buzon's store"
	bz_serve "$BZ" "$BZ_PORT"
}

# ---------------------------------------------------------------- runs

# verify NAME PORT: one session per user; the counts and octets must equal what
# was generated, and the hashes must equal those of the other server (when run).
verify() {
	"$LOAD" -V -c "$CLIENTS" -n "$USERS" -w "$PASSWORD" "$2" >"$TMP/verify.$1" 2>"$TMP/verify.$1.err" ||
		die "$1: verify session failed: $(tail -3 "$TMP/verify.$1.err")"
	grep -v = "$TMP/verify.$1" | cut -d' ' -f1-3 | diff -q - "$TMP/expected" >/dev/null ||
		die "$1 does not serve the generated mailboxes: diff $TMP/verify.$1 $TMP/expected"
	if [ -f "$TMP/verify.dovecot" ] && [ -f "$TMP/verify.buzon" ]; then
		diff -q <(grep -v = "$TMP/verify.dovecot") <(grep -v = "$TMP/verify.buzon") >/dev/null ||
			die "buzon and dovecot serve different bytes: diff $TMP/verify.dovecot $TMP/verify.buzon"
	fi
}

# tree_cpu PID: CPU seconds used so far by process PID, its live descendants and
# the children it has reaped (Dovecot's master forks a process per session), from
# /proc: other work on the machine does not count.
tree_cpu() {
	/usr/bin/python3 - "$1" <<'EOF'
import os, sys
hz = os.sysconf("SC_CLK_TCK")
procs = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after "pid (comm)": state ppid ... utime stime cutime cstime (3rd to 15th)
        procs[int(d)] = (int(st[1]), [int(x) for x in st[11:15]])
root = int(sys.argv[1])
total, todo = sum(procs[root][1]), [root]
while todo:
    p = todo.pop()
    for c, (ppid, t) in procs.items():
        if ppid == p:
            total += t[0] + t[1]
            todo.append(c)
print(total / hz)
EOF
}

# run NAME PORT PID: one timed measurement of the server PID listening on PORT;
# sets SPS, MBPS, MSCPU (server CPU ms per session) and the report LINE.
run() {
	local out f sessions octets wall ccpu busy scpu0 scpu
	scpu0=$(tree_cpu "$3")
	out=$("$LOAD" -c "$CLIENTS" -n "$USERS" -s "$SESSIONS" -w "$PASSWORD" "$2" 2>"$TMP/load.$1.err") ||
		die "$1: load run failed: $(tail -3 "$TMP/load.$1.err")"
	scpu=$(echo "$(tree_cpu "$3") - $scpu0" | bc -l)
	declare -A kv
	for f in $out; do kv[${f%%=*}]=${f#*=}; done
	sessions=${kv[sessions]} octets=${kv[octets]} wall=${kv[wall_s]}
	ccpu=${kv[client_cpu_s]} busy=${kv[machine_busy_s]}
	SPS=$(echo "$sessions / $wall" | bc -l)
	MSCPU=$(echo "$scpu * 1000 / $sessions" | bc -l)
	MBPS=$(echo "$octets / $wall / 1000000" | bc -l)
	LINE=$(printf '  %s %6.2f s %5.1f sess/s %6.1f MB/s (%.0f ms CPU/session; cores: server %.2f, client %.2f, other %.2f)' \
		"$1" "$wall" "$SPS" "$MBPS" "$MSCPU" \
		"$(echo "$scpu / $wall" | bc -l)" "$(echo "$ccpu / $wall" | bc -l)" \
		"$(echo "($busy - $ccpu - $scpu) / $wall" | bc -l)")
	# The load generator must not be what limits the rate.
	if [ "$(echo "$ccpu / $wall > 0.8" | bc -l)" = 1 ]; then
		echo "warning: $1: the load generator used $(echo "$ccpu / $wall" | bc -l | cut -c1-4) cores" >&2
	fi
}

# ---------------------------------------------------------------- main

command -v bc >/dev/null || die "bc is needed"
want dovecot && dv_install
[ -x "$BUZON" ] || die "$BUZON not found: run make"
[ -x "$LOAD" ] || make -s -C "$ROOT" build/release/pop3_load >/dev/null ||
	die "cannot build $LOAD"

echo "POP3 download benchmark: $USERS users x $MSGS messages of $MIN_SIZE-$MAX_SIZE octets," \
	"$SESSIONS sessions (USER, PASS, LIST, RETR all, QUIT) from $CLIENTS clients, $REPS reps"
echo "host: $(nproc) CPUs, $(uname -r), filesystem of $TMP:" \
	"$(df -T "$TMP" | awk 'NR == 2 { print $2 }'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

/usr/bin/python3 "$ROOT/bench/pop3_maildirs.py" "$TMP/maildirs" "$USERS" "$MSGS" "$MIN_SIZE" \
	"$MAX_SIZE" >"$TMP/expected" || die "generating the maildirs failed"
chmod -R a+rX "$TMP/maildirs"
echo "mailboxes: $(du -sh "$TMP/maildirs" | cut -f1) of Maildirs;" \
	"a session downloads $(awk '{ s += $3 } END { printf "%.1f", s / NR / 1e6 }' "$TMP/expected") MB on average"

# buzon's store gives the password hashes Dovecot uses, so it is set up even
# with ONLY=dovecot (it is not started then).
bz_setup
if ! want buzon; then
	bz_stop
fi
if want dovecot; then
	dv_setup
	echo "dovecot $(dovecot --version) on 127.0.0.1:$DV_PORT: Maildir, passwd-file, default services"
	verify dovecot "$DV_PORT"
fi
if want buzon; then
	echo "$("$BUZON" --version 2>&1 | head -1) ($BUZON) on 127.0.0.1:$BZ_PORT, set by this script:" \
		"[pop3] plaintext_auth = loopback, [server] user = $MAILUSER"
	verify buzon "$BZ_PORT"
fi
# What one login's password check costs (same hash, same crypt(3), both servers).
hash_ms=$(/usr/bin/python3 -W ignore - "${BZ_HASH[1]}" "$PASSWORD" 2>/dev/null <<'EOF' || true
import crypt, sys, time
t = time.process_time()
for _ in range(10):
    assert crypt.crypt(sys.argv[2], sys.argv[1]) == sys.argv[1]
print(round((time.process_time() - t) * 100))
EOF
)
echo "password check: crypt(3) \$$(echo "${BZ_HASH[1]}" | cut -d'$' -f2)\$ hashes (buzon's) on both" \
	"servers${hash_ms:+, $hash_ms ms of CPU per login here}"
echo "verified: every user's messages (count, octets$(want dovecot && want buzon && echo ", same bytes on both servers"))"
echo

SPS_D='' SPS_B='' MB_D='' MB_B='' CPU_D='' CPU_B=''
for rep in $(seq 1 "$REPS"); do
	line="run $rep"
	if want dovecot; then
		run dovecot "$DV_PORT" "$(cat "$DV/run/master.pid")"
		SPS_D+="$SPS " MB_D+="$MBPS " CPU_D+="$MSCPU " line+=$LINE
	fi
	if want buzon; then
		run buzon "$BZ_PORT" "$BUZON_PID"
		SPS_B+="$SPS " MB_B+="$MBPS " CPU_B+="$MSCPU " line+=$LINE
	fi
	echo "$line"
done

echo
echo "medians (higher is better; load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
line=''
if want dovecot; then
	# shellcheck disable=SC2086
	sd=$(median $SPS_D) md=$(median $MB_D) cd=$(median $CPU_D)
	line+=$(printf '  dovecot %5.1f sess/s %6.1f MB/s %4.0f ms CPU/session' "$sd" "$md" "$cd")
fi
if want buzon; then
	# shellcheck disable=SC2086
	sb=$(median $SPS_B) mb=$(median $MB_B) cb=$(median $CPU_B)
	line+=$(printf '  buzon %5.1f sess/s %6.1f MB/s %4.0f ms CPU/session' "$sb" "$mb" "$cb")
fi
if want dovecot && want buzon; then
	line+=$(printf '\n  buzon/dovecot: %.2f x the sessions/s, %.2f x the CPU per session' \
		"$(echo "$sb / $sd" | bc -l)" "$(echo "$cb / $cd" | bc -l)")
fi
echo "$line"
