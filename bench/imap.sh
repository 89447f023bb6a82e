#!/bin/bash
# bench/imap.sh: IMAP throughput, SEARCH TEXT and IDLE memory, buzon vs a private Dovecot.
# SPDX-License-Identifier: MIT
#
# Usage (as root, Debian 12, from anywhere; run `make` first):
#   bench/imap.sh                          everything, both servers, 3 repetitions
#   ONLY=dovecot bench/imap.sh             Dovecot only (ONLY=buzon: buzon only)
#   PARTS="load search idle" bench/imap.sh the parts to run (any of the three)
#   REPS=3 DURATION=10 WARMUP=2 CLIENTS_LIST="20 200" USERS=50 MSGS=500 \
#     MIN_SIZE=4096 MAX_SIZE=65536 SEARCH_MSGS=100000 IDLE_N=10000 bench/imap.sh
#   HASH=yescrypt bench/imap.sh            buzon's own password hash for the load part
#   KEEP=1 bench/imap.sh                   keep the temp dir (maildirs, configs, logs)
#
# load: both servers get the same mailboxes, USERS users u1..uN@bench.test (password
# bench-password) with MSGS messages each of MIN_SIZE..MAX_SIZE octets, made by
# bench/pop3_maildirs.py (fixed seed). buzon imports them (`buzon import --maildir`),
# Dovecot serves a copy of the same Maildirs (its defaults but for the process limits,
# raised for 200 clients). Both check the same password hash through
# crypt(3): SHA-512-crypt by default (HASH=sha512, about 3 ms of CPU per login), as
# buzon's own yescrypt costs about 30 ms per login here and would make LOGIN most of the
# work of both servers (HASH=yescrypt measures that). One load generator,
# bench/imap_load.c, runs C concurrent clients for DURATION seconds (after WARMUP
# seconds not counted), for each C in CLIENTS_LIST; each client runs sessions back to
# back: LOGIN, SELECT INBOX, FETCH 1:* (FLAGS UID), UID FETCH of the newest 50
# ENVELOPEs, UID FETCH BODY.PEEK[] of 3 random messages, UID STORE +FLAGS \Seen (or
# -FLAGS), APPEND of a 2 KB message, UID STORE +FLAGS.SILENT \Deleted of it, EXPUNGE,
# LOGOUT: 12 commands; an operation is a command. A user is in at most ceil(C/USERS)
# sessions at once. Before timing, one session per user checks on each server that
# every message is there (count, octets, a hash of the bytes equal on both servers).
# Runs are interleaved (rep 1: Dovecot, buzon; rep 2: ...). Printed per run and as
# medians: operations/s, p99 latency of all commands (and, per run, the p99 of connect to
# greeting, which is not a command), the server's memory (the PSS of
# its processes, summed: Dovecot runs a process per connection, buzon one process) at
# the end of the run, its CPU cores, and buzon/Dovecot.
# search: one more user, search@bench.test, with SEARCH_MSGS messages of 1-4 KB in
# INBOX, three of which hold "needle-in-haystack" (one in the Subject, two in the
# body); the time of one UID SEARCH TEXT "needle-in-haystack" (must find 3) on each
# server, median of SEARCH_REPS runs on one connection after one unmeasured run (page
# cache warm for both; Dovecot has no FTS plugin, its default).
# idle: a fresh buzon, IDLE_N connections each LOGIN, SELECT INBOX, IDLE; buzon's
# memory with one connection idle and with all idle, KiB per connection.
# Only loopback is used. Installs dovecot-imapd from Debian if missing (needs apt).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUZON=${BUZON:-$ROOT/buzon}
LOAD=${LOAD:-$ROOT/build/release/imap_load}
REPS=${REPS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CLIENTS_LIST=${CLIENTS_LIST:-20 200}
USERS=${USERS:-50}
MSGS=${MSGS:-500}
MIN_SIZE=${MIN_SIZE:-4096}
MAX_SIZE=${MAX_SIZE:-65536}
SEARCH_MSGS=${SEARCH_MSGS:-100000}
SEARCH_REPS=${SEARCH_REPS:-3}
IDLE_N=${IDLE_N:-10000}
PARTS=${PARTS:-load search idle}
HASH=${HASH:-sha512}
ONLY=${ONLY:-}
KEEP=${KEEP:-}
PASSWORD=bench-password # what bz_init gives u1; the others get it here
NEEDLE=needle-in-haystack
# Both servers read the mail as this (non-root) user.
MAILUSER=${MAILUSER:-nobody}

# shellcheck source=bench/common.sh
. "$ROOT/bench/common.sh"

[ "$(id -u)" = 0 ] || die "run as root (Dovecot and the install need it)"
case "$ONLY" in "" | dovecot | buzon) ;; *) die "ONLY must be dovecot or buzon" ;; esac
case "$HASH" in sha512 | yescrypt) ;; *) die "HASH must be sha512 or yescrypt" ;; esac
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
command -v bc >/dev/null || die "bc is needed"

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
bench_tmp buzon-imap
DV=$TMP/dovecot
BZ=$TMP/buzon

MAIL_UID=$(id -u "$MAILUSER")
MAIL_GID=$(id -g "$MAILUSER")
[ "$MAIL_UID" != 0 ] || die "MAILUSER must not be root"

# The accounts of both servers: u1..uN, plus search when that part runs.
ACCOUNTS=$(seq -f 'u%g' 1 "$USERS")
part search && ACCOUNTS+=" search"

# ---------------------------------------------------------------- data

# make_data: the load Maildirs ($TMP/maildirs/uN/Maildir, expected counts in
# $TMP/expected) and the search Maildir ($TMP/maildirs/search/Maildir).
make_data() {
	/usr/bin/python3 "$ROOT/bench/pop3_maildirs.py" "$TMP/maildirs" "$USERS" "$MSGS" \
		"$MIN_SIZE" "$MAX_SIZE" >"$TMP/expected" || die "generating the maildirs failed"
	if part search; then
		/usr/bin/python3 "$ROOT/bench/pop3_maildirs.py" "$TMP/search" 1 "$SEARCH_MSGS" \
			1000 4000 7 >/dev/null || die "generating the search maildir failed"
		mv "$TMP/search/u1" "$TMP/maildirs/search"
		# The needle replaces octets of the same length (the sizes in the
		# file names stay true): the Subject text of one message, a body line
		# of two others. "-" is not in the generated bodies' alphabet.
		/usr/bin/python3 - "$TMP/maildirs/search/Maildir/cur" "$SEARCH_MSGS" "$NEEDLE" <<'EOF' ||
import os, sys
cur, n, needle = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
names = {int(f.split(".M")[1].split("P")[0]): f for f in os.listdir(cur)}
for k, num in enumerate((n // 7 + 1, n // 2 + 1, n)):
    path = os.path.join(cur, names[num])
    with open(path, "rb") as f:
        data = f.read()
    if k == 0:
        at = data.index(b"\nSubject: ") + 10
    else:
        at = data.index(b"\n\n") + 2 + 77 * (3 + k)
    data = data[:at] + needle + data[at + len(needle):]
    with open(path, "wb") as f:
        f.write(data)
EOF
			die "placing the needle failed"
	fi
	chmod -R a+rX "$TMP/maildirs"
}

# ---------------------------------------------------------------- Dovecot

# eatmydata for the imports (see bz_users).
emd_install() {
	command -v eatmydata >/dev/null && return
	echo "installing eatmydata from Debian..."
	apt-cache show eatmydata >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		eatmydata >"$TMP/apt.log" 2>&1 || die "apt-get install eatmydata failed: $(tail -3 "$TMP/apt.log")"
}

dv_install() {
	if command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap ]; then
		return
	fi
	echo "installing dovecot-imapd from Debian..."
	apt-cache show dovecot-imapd >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		dovecot-imapd >"$TMP/apt.log" 2>&1 ||
		die "apt-get install dovecot-imapd failed: $(tail -3 "$TMP/apt.log")"
	[ -x /usr/lib/dovecot/imap ] || die "dovecot-imapd is installed but /usr/lib/dovecot/imap is not"
}

# A private instance: its own config, base_dir, state_dir and log under $DV, one
# IMAP listener on 127.0.0.1:$DV_PORT, users from a passwd-file holding the same
# password hashes as buzon's store, homes holding a copy of the Maildirs.
dv_setup() {
	local a
	DV_PORT=$(free_port)
	mkdir -p "$DV/run" "$DV/state" "$DV/log"
	cp -a "$TMP/maildirs" "$DV/home"
	chown -R "$MAIL_UID:$MAIL_GID" "$DV/home"
	: >"$DV/passwd"
	for a in $ACCOUNTS; do
		printf '%s@bench.test:{CRYPT}%s:%s:%s::%s::\n' "$a" "${BZ_HASH[$a]}" "$MAIL_UID" \
			"$MAIL_GID" "$DV/home/$a" >>"$DV/passwd"
	done
	chgrp dovecot "$DV/passwd" # read by the auth process (user dovecot)
	chmod 640 "$DV/passwd"
	cat >"$DV/dovecot.conf" <<EOF
# Written by bench/imap.sh; everything not set here is Dovecot's default
# (no FTS plugin: SEARCH TEXT reads the messages).
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/log/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
# All clients come from 127.0.0.1 (default 10 per user and address).
mail_max_userip_connections = 1000
# The default of 100 processes per service stalls logins for good at 200
# clients (imap-login runs a process per connection): raised.
default_process_limit = 1000
default_client_limit = 4000
passdb {
  driver = passwd-file
  args = scheme=CRYPT $DV/passwd
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
EOF
	dovecot -c "$DV/dovecot.conf" >"$DV/log/start.log" 2>&1 ||
		die "dovecot failed to start: $(tail -3 "$DV/log/start.log") $(tail -3 "$DV/log/dovecot.log" 2>/dev/null)"
	DV_UP=1
	wait_port "$DV_PORT" || die "dovecot does not listen on $DV_PORT: $(tail -3 "$DV/log/dovecot.log")"
	DV_PID=$(cat "$DV/run/master.pid")
}

# ---------------------------------------------------------------- buzon

# set_hashes DB SETTING: every account's password hash becomes crypt(PASSWORD,
# SETTING with a fresh salt) (buzon stopped; it verifies $6$ hashes, which it
# reads for migrations).
set_hashes() {
	/usr/bin/python3 -W ignore - "$1" "$2" "$PASSWORD" <<'EOF'
import crypt, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h = crypt.crypt(sys.argv[3], sys.argv[2] + crypt.mksalt(crypt.METHOD_SHA512).split("$")[-1])
db.execute("UPDATE accounts SET pwhash = ?", (h,))
db.commit()
EOF
}

# bz_users DIR CONF: add the accounts (u1 exists), importing their Maildirs
# when there is mail for them. The import runs under eatmydata (fsync off:
# `buzon import` commits each message durably, about 13 ms each here, and
# the search part has 100,000); a sync(1) follows.
bz_users() {
	local a
	for a in $ACCOUNTS; do
		if [ "$a" != u1 ]; then
			echo "$PASSWORD" | "$BUZON" -c "$2" user add "$a@bench.test" \
				>>"$1.user.log" 2>&1 || die "buzon user add $a failed: $(tail -3 "$1.user.log")"
		fi
		if [ -d "$TMP/maildirs/$a" ]; then
			eatmydata "$BUZON" -c "$2" import "$a@bench.test" --maildir "$TMP/maildirs/$a/Maildir" \
				>>"$1.import.log" 2>&1 || die "buzon import $a failed: $(tail -3 "$1.import.log")"
		fi
	done
}

# One data dir for the load and search parts. Sets BZ_PORT and BZ_HASH[name].
bz_setup() {
	local a hash t0
	BZ_PORT=$(free_port)
	bz_init "$BZ" "$(free_port)" "imap = 127.0.0.1:$BZ_PORT
[imap]
plaintext_auth = loopback
[server]
user = $MAILUSER
[limits]
connections_per_ip = $((IDLE_N + 1000))
connections = $((IDLE_N + 1000))"
	t0=$(date +%s.%N)
	bz_users "$BZ" "$BZ/buzon.conf"
	sync
	BZ_IMPORT_S=$(echo "$(date +%s.%N) - $t0" | bc -l)
	# shellcheck disable=SC2016
	[ "$HASH" = yescrypt ] || set_hashes "$BZ/data/store.db" '$6$'
	declare -gA BZ_HASH
	while read -r a hash; do
		BZ_HASH[$a]=$hash
	done < <(/usr/bin/python3 - "$BZ/data/store.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for addr, h in db.execute("SELECT address, pwhash FROM accounts"):
    print(addr.split("@")[0], h)
EOF
	)
	[ "${#BZ_HASH[@]}" = "$(echo "$ACCOUNTS" | wc -w)" ] ||
		die "read ${#BZ_HASH[@]} password hashes from buzon's store"
	if want buzon; then
		bz_serve "$BZ" "$BZ_PORT"
	fi
}

# ---------------------------------------------------------------- measuring

# proc_tree PID: "CPU_SECONDS PSS_KIB" of process PID and its live
# descendants (CPU includes the children they reaped: Dovecot forks a
# process per connection), from /proc.
proc_tree() {
	/usr/bin/python3 - "$1" <<'EOF'
import os, sys
hz = os.sysconf("SC_CLK_TCK")
parent, times = {}, {}
for d in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{d}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    parent[int(d)] = int(st[1])
    times[int(d)] = sum(int(x) for x in st[11:15])  # utime stime cutime cstime
tree, todo = [], [int(sys.argv[1])]
while todo:
    p = todo.pop()
    tree.append(p)
    todo += [c for c, pp in parent.items() if pp == p]
pss = 0
for p in tree:
    try:
        with open(f"/proc/{p}/smaps_rollup") as f:
            pss += sum(int(l.split()[1]) for l in f if l.startswith("Pss:"))
    except OSError:
        pass
print(sum(times.get(p, 0) for p in tree) / hz, pss)
EOF
}

# verify NAME PORT: one session per user fetching every message; the counts and
# octets must equal what was generated, the hashes those of the other server.
verify() {
	"$LOAD" -V -c "$(( USERS < 20 ? USERS : 20 ))" -n "$USERS" -w "$PASSWORD" "$2" \
		>"$TMP/verify.$1" 2>"$TMP/verify.$1.err" ||
		die "$1: verify session failed: $(tail -3 "$TMP/verify.$1.err")"
	cut -d' ' -f1-3 "$TMP/verify.$1" | diff -q - "$TMP/expected" >/dev/null ||
		die "$1 does not serve the generated mailboxes: diff $TMP/verify.$1 $TMP/expected"
	if [ -f "$TMP/verify.dovecot" ] && [ -f "$TMP/verify.buzon" ]; then
		diff -q "$TMP/verify.dovecot" "$TMP/verify.buzon" >/dev/null ||
			die "buzon and dovecot serve different bytes: diff $TMP/verify.dovecot $TMP/verify.buzon"
	fi
}

# run NAME PORT PID CLIENTS: one timed load run; sets OPS, P99, CP99 (connect to
# greeting, not an operation: a server that is slow to take connections
# shows it there, not in P99), MEM (MiB),
# CORES and the report LINE.
run() {
	local out f lp scpu0 scpu1 mem ccpu busy
	read -r scpu0 _ < <(proc_tree "$3")
	"$LOAD" -c "$4" -n "$USERS" -w "$PASSWORD" -D "$DURATION" -W "$WARMUP" "$2" \
		>"$TMP/load.$1.$4" 2>"$TMP/load.$1.err" &
	lp=$!
	sleep "$(echo "$WARMUP + $DURATION - 0.5" | bc -l)"
	read -r scpu1 mem < <(proc_tree "$3")
	wait "$lp" || die "$1: load run failed: $(tail -3 "$TMP/load.$1.err")"
	out=$(tail -1 "$TMP/load.$1.$4")
	declare -A kv
	for f in $out; do kv[${f%%=*}]=${f#*=}; done
	OPS=${kv[ops_per_s]} P99=${kv[p99_ms]} CP99=${kv[connect_p99_ms]}
	ccpu=${kv[client_cpu_s]} busy=${kv[machine_busy_s]}
	MEM=$(echo "$mem / 1024" | bc -l)
	# server CPU over warm-up + run, per second of that
	CORES=$(echo "($scpu1 - $scpu0) / ($WARMUP + $DURATION - 0.5)" | bc -l)
	LINE=$(printf '  %s %7.1f ops/s p99 %6.1f ms (connect p99 %6.1f) %6.1f MiB (cores: server %.2f, client %.2f, all %.2f)' \
		"$1" "$OPS" "$P99" "$CP99" "$MEM" "$CORES" "$(echo "$ccpu / $DURATION" | bc -l)" \
		"$(echo "$busy / $DURATION" | bc -l)")
	if [ "$(echo "$ccpu / $DURATION > 0.8" | bc -l)" = 1 ]; then
		echo "warning: $1: the load generator used $(echo "$ccpu / $DURATION" | bc -l | cut -c1-4) cores" >&2
	fi
}

load_part() {
	local c rep line ops_d ops_b p99_d p99_b mem_d mem_b so sp sm bo bp bm
	echo "load: $USERS users x $MSGS messages of $MIN_SIZE-$MAX_SIZE octets;" \
		"${DURATION}s runs after ${WARMUP}s warm-up, $REPS reps, clients: $CLIENTS_LIST"
	for c in $CLIENTS_LIST; do
		ops_d='' ops_b='' p99_d='' p99_b='' mem_d='' mem_b=''
		echo "$c clients:"
		for rep in $(seq 1 "$REPS"); do
			line="run $rep"
			if want dovecot; then
				run dovecot "$DV_PORT" "$DV_PID" "$c"
				ops_d+="$OPS " p99_d+="$P99 " mem_d+="$MEM " line+=$LINE
			fi
			if want buzon; then
				run buzon "$BZ_PORT" "$BUZON_PID" "$c"
				ops_b+="$OPS " p99_b+="$P99 " mem_b+="$MEM " line+=$LINE
			fi
			echo "$line"
		done
		line="  medians, $c clients:"
		if want dovecot; then
			# shellcheck disable=SC2086
			so=$(median $ops_d) sp=$(median $p99_d) sm=$(median $mem_d)
			line+=$(printf ' dovecot %.1f ops/s p99 %.1f ms %.1f MiB;' "$so" "$sp" "$sm")
		fi
		if want buzon; then
			# shellcheck disable=SC2086
			bo=$(median $ops_b) bp=$(median $p99_b) bm=$(median $mem_b)
			line+=$(printf ' buzon %.1f ops/s p99 %.1f ms %.1f MiB' "$bo" "$bp" "$bm")
		fi
		if want dovecot && want buzon; then
			line+=$(printf '\n  buzon/dovecot, %s clients: %.2f x the ops/s, %.2f x the p99, %.2f x the memory' \
				"$c" "$(echo "$bo / $so" | bc -l)" "$(echo "$bp / $sp" | bc -l)" \
				"$(echo "$bm / $sm" | bc -l)")
		fi
		echo "$line"
		RESULTS+="$line"$'\n'
	done
}

# search_one NAME PORT: sets SEARCH_MS (median) and prints the runs.
search_one() {
	local out
	out=$("$LOAD" -X "UID SEARCH TEXT \"$NEEDLE\"" -U search@bench.test -w "$PASSWORD" \
		-r $((SEARCH_REPS + 1)) -H 3 "$2" 2>"$TMP/search.$1.err") ||
		die "$1: search failed: $(tail -3 "$TMP/search.$1.err")"
	# the first run only warms the page cache
	# shellcheck disable=SC2046
	SEARCH_MS=$(median $(echo "$out" | sed -n 's/^run=[0-9]* ms=\([0-9.]*\).*/\1/p' | tail -n +2))
	printf '  %s: SELECT %s ms (first), UID SEARCH TEXT: runs %s ms; median %s ms, 3 hits\n' \
		"$1" "$(echo "$out" | sed -n 's/^select_ms=//p')" \
		"$(echo "$out" | sed -n 's/^run=[0-9]* ms=\([0-9.]*\).*/\1/p' | paste -sd' ')" "$SEARCH_MS"
}

search_part() {
	local sd sb line
	echo "search: search@bench.test, INBOX of $SEARCH_MSGS messages of 1000-4000 octets" \
		"($(du -sh "$TMP/maildirs/search" | cut -f1) of Maildir), UID SEARCH TEXT \"$NEEDLE\""
	want dovecot && search_one dovecot "$DV_PORT" && sd=$SEARCH_MS
	want buzon && search_one buzon "$BZ_PORT" && sb=$SEARCH_MS
	if want dovecot && want buzon; then
		line=$(printf '  search: dovecot %.1f ms, buzon %.1f ms: buzon is %.1f x faster' \
			"$sd" "$sb" "$(echo "$sd / $sb" | bc -l)")
		echo "$line"
		RESULTS+="$line"$'\n'
	fi
}

# idle_part: buzon restarted (a fresh process on the same data) with cheap
# password hashes, then IDLE_N idle connections.
idle_part() {
	local out f line
	if ! ulimit -n 65536 2>/dev/null; then
		ulimit -n "$(ulimit -Hn)"
	fi
	[ "$(ulimit -n)" -gt $((IDLE_N + 100)) ] ||
		die "RLIMIT_NOFILE $(ulimit -n) is too low for IDLE_N=$IDLE_N"
	bz_stop
	# IDLE_N logins: the cheapest hash buzon verifies (SHA-512-crypt, 1000
	# rounds); the memory of idle sessions is what is measured here
	# shellcheck disable=SC2016
	set_hashes "$BZ/data/store.db" '$6$rounds=1000$'
	bz_serve "$BZ" "$BZ_PORT"
	out=$("$LOAD" -I "$IDLE_N" -P "$BUZON_PID" -n "$USERS" -w "$PASSWORD" "$BZ_PORT" \
		2>"$TMP/idle.err") || die "idle run failed: $(tail -3 "$TMP/idle.err") $out"
	declare -A kv
	for f in $out; do kv[${f%%=*}]=${f#*=}; done
	line=$(printf '  idle: %s connections (LOGIN, SELECT INBOX of %s messages, IDLE) opened in %s s;' \
		"${kv[idle]}" "$MSGS" "${kv[opened_s]}")
	line+=$(printf ' buzon RSS %s KiB with one, %s KiB with all (peak %s KiB): %s KiB per connection' \
		"${kv[rss0_kib]}" "${kv[rss_kib]}" "${kv[hwm_kib]}" "${kv[kib_per_conn]}")
	echo "$line"
	RESULTS+="$line"$'\n'
}

# ---------------------------------------------------------------- main

want dovecot && { part load || part search; } && dv_install
emd_install
[ -x "$BUZON" ] || die "$BUZON not found: run make"
if [ ! -x "$LOAD" ] || [ "$ROOT/bench/imap_load.c" -nt "$LOAD" ]; then
	mkdir -p "$(dirname "$LOAD")"
	${CC:-cc} -O2 -g -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$LOAD" \
		"$ROOT/bench/imap_load.c" -lpthread -lm || die "cannot build $LOAD"
fi

echo "IMAP benchmark: parts: $PARTS; $("$BUZON" --version 2>&1 | head -1) ($BUZON)"
echo "host: $(nproc) CPUs, $(uname -r), filesystem of $TMP:" \
	"$(df -T "$TMP" | awk 'NR == 2 { print $2 }'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
RESULTS=''
make_data
echo "mailboxes: $(du -sh "$TMP/maildirs" | cut -f1) of Maildirs"
# buzon's store gives the password hashes Dovecot uses, so it is set up
# even with ONLY=dovecot (it is not started then).
bz_setup
echo "buzon: imported $(echo "$ACCOUNTS" | wc -w) Maildirs in $(printf '%.0f' "$BZ_IMPORT_S") s (fsync off);" \
	"on 127.0.0.1:$BZ_PORT with [imap] plaintext_auth = loopback, [server] user = $MAILUSER"
if want dovecot && { part load || part search; }; then
	dv_setup
	echo "dovecot $(dovecot --version) on 127.0.0.1:$DV_PORT: Maildir, passwd-file, default services but" \
		"default_process_limit = 1000, default_client_limit = 4000"
fi
echo "password hashes: $(echo "${BZ_HASH[u1]}" | cut -d'$' -f1-3 | cut -c1-12)... (crypt(3)) on both servers"
if part load; then
	want dovecot && verify dovecot "$DV_PORT"
	want buzon && verify buzon "$BZ_PORT"
	echo "verified: every user's messages (count, octets, bytes$(want dovecot && want buzon && echo ", same on both servers"))"
	# The verify pass fetched every message through 20 sessions at once;
	# buzon starts afresh so that its memory is not that peak's (Dovecot's
	# session processes are gone by now too).
	if want buzon; then
		bz_stop
		bz_serve "$BZ" "$BZ_PORT"
	fi
	load_part
fi
part search && search_part
stop_servers
if part idle && want buzon; then
	idle_part
fi
bz_stop
echo
echo "results (load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s' "$RESULTS"
