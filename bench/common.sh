# bench/common.sh: shell helpers shared by the bench/ scripts (sourced, not run).
# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Expects the caller to have set BUZON (path of the binary). Defines die, now, median,
# medians_line, free_port, wait_port, the Postfix helpers pf_install, pf_prepare, pf_start and
# pf_queue_count, and the buzon instance helpers bz_init, bz_serve and bz_stop.

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# Wall clock in seconds with nanoseconds.
now() { date +%s.%N; }

# The median of the numbers given as arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Install Postfix (smtp-source, smtp-sink) from Debian when missing; the apt log
# goes to $TMP/apt.log.
pf_install() {
	if command -v postfix >/dev/null && command -v smtp-source >/dev/null; then
		return
	fi
	echo "installing postfix from Debian..."
	echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
	# Another apt may hold the dpkg lock (e.g. `make deps`): wait for it. Update
	# the package lists only when postfix is unknown to them.
	apt-cache show postfix >/dev/null 2>&1 || apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q postfix \
		>"$TMP/apt.log" 2>&1 || die "apt-get install postfix failed: $(tail -3 "$TMP/apt.log")"
	command -v smtp-source >/dev/null || die "postfix is installed but smtp-source is not in PATH"
}

# A private Postfix instance under $PF (its own config, queue and data dirs; the
# caller sets PF): pf_prepare makes the dirs and copies /etc/postfix; pf_start
# SETTING... writes the settings shared by the bench scripts, then the given
# "name = value" settings, makes one smtpd on 127.0.0.1:$PF_PORT (a free port) and
# starts Postfix (sets PF_UP; the caller's stop_servers stops it).  pf_queue_count
# prints the number of queued messages.
pf_prepare() {
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data" "$PF/log"
	cp -a /etc/postfix/. "$PF/etc/"
	# master(8) runs its lock file in data_directory as mail_owner; the copied
	# makedefs.out symlink only draws a warning from `postfix check`.
	chown "$(postconf -h mail_owner):" "$PF/data"
	rm -f "$PF/etc/makedefs.out"
}

pf_start() {
	PF_PORT=$(free_port)
	postconf -c "$PF/etc" -e \
		"config_directory = $PF/etc" \
		"queue_directory = $PF/queue" \
		"data_directory = $PF/data" \
		"myhostname = postfix.bench.local" \
		"mydestination =" \
		"myorigin = \$myhostname" \
		"alias_maps =" \
		"alias_database =" \
		"inet_interfaces = 127.0.0.1" \
		"inet_protocols = ipv4" \
		"mynetworks = 127.0.0.0/8" \
		"relayhost =" \
		"message_size_limit = 52428800" \
		"syslog_name = postfix-bench" \
		"maillog_file_prefixes = /var, /dev/stdout, $PF/log" \
		"maillog_file = $PF/log/maillog" \
		"$@"
	# No chroot (the private queue dir has no /etc copies); the public smtpd
	# is replaced by one on the bench port.
	postconf -c "$PF/etc" -F '*/*/chroot = n'
	postconf -c "$PF/etc" -X -M smtp/inet
	postconf -c "$PF/etc" -M "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - n - - smtpd"
	postfix -c "$PF/etc" check
	postfix -c "$PF/etc" start >/dev/null 2>&1 ||
		die "postfix start failed (see $PF/log/maillog)"
	# shellcheck disable=SC2034 # read by the caller's stop_servers
	PF_UP=1
	wait_port "$PF_PORT" || die "postfix does not listen on $PF_PORT"
}

pf_queue_count() {
	local q=$PF/queue
	find "$q/incoming" "$q/active" "$q/deferred" "$q/maildrop" "$q/hold" -type f 2>/dev/null |
		wc -l
}

# medians_line LABEL KEY: print LABEL, then the medians of the rates in
# ${RATES[postfix,KEY]} and ${RATES[buzon,KEY]} (an associative array of the
# caller's, space-separated messages/s) for the servers `want` (the caller's)
# accepts, and their ratio buzon/Postfix.
medians_line() {
	local line="  $1" pm='' bm=''
	if want postfix; then
		# shellcheck disable=SC2086 # a list of numbers
		pm=$(median ${RATES[postfix,$2]})
		line+=$(printf '  postfix %7.1f' "$pm")
	fi
	if want buzon; then
		# shellcheck disable=SC2086
		bm=$(median ${RATES[buzon,$2]})
		line+=$(printf '  buzon %7.1f' "$bm")
	fi
	if [ -n "$pm" ] && [ -n "$bm" ]; then
		line+=$(printf '  buzon/postfix %.2f' "$(echo "$bm / $pm" | bc -l)")
	fi
	echo "$line"
}

# A free TCP port on 127.0.0.1 (bound then released: a race is possible but unlikely).
free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Wait up to 10 s until something accepts TCP connections on 127.0.0.1:$1.
wait_port() {
	local _
	for _ in $(seq 1 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# bz_init DIR PORT EXTRA: `buzon init DIR` for bench.test, then replace the
# [listen] section (and any [smtp] or [limits]) with one SMTP listener on
# 127.0.0.1:PORT followed by EXTRA (more config lines, may be empty), and add
# the user u1@bench.test. Logs go to DIR.*.log.
bz_init() {
	local dir=$1 port=$2 extra=$3 conf=$1/buzon.conf
	mkdir -p "$dir"
	"$BUZON" init "$dir" --domain bench.test --hostname bench.test >"$dir.init.log" 2>&1 ||
		die "buzon init failed: $(tail -3 "$dir.init.log")"
	awk '/^[ \t]*\[/ { skip = ($0 ~ /^[ \t]*\[(listen|limits|smtp)\]/) }
		!skip { print }' "$conf" >"$conf.new"
	printf '\n[listen]\nsmtp = 127.0.0.1:%s\n%s' "$port" "${extra:+
$extra
}" >>"$conf.new"
	mv "$conf.new" "$conf"
	echo "bench-password" | "$BUZON" -c "$conf" user add u1@bench.test \
		>"$dir.user.log" 2>&1 || die "buzon user add failed: $(tail -3 "$dir.user.log")"
}

# bz_serve DIR PORT: start `buzon serve` for DIR in the background (stderr to
# DIR.log), wait until it listens on PORT; sets BUZON_PID.
bz_serve() {
	"$BUZON" -c "$1/buzon.conf" serve 2>"$1.log" &
	BUZON_PID=$!
	wait_port "$2" || die "buzon does not listen on $2: $(tail -3 "$1.log")"
}

# bz_stop: SIGTERM the buzon started by bz_serve and wait for it.
bz_stop() {
	if [ -n "${BUZON_PID:-}" ]; then
		kill -TERM "$BUZON_PID" 2>/dev/null || true
		wait "$BUZON_PID" 2>/dev/null || true
		BUZON_PID=
	fi
}

# bench_tmp NAME: make the world-readable temp dir TMP (servers drop to other
# users) under ${BENCH_TMP:-/tmp} and arrange that on exit the function
# stop_servers (the caller defines it) runs, buzon is stopped and TMP is removed
# unless KEEP is set.
bench_tmp() {
	TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/$1.XXXXXX")
	chmod 755 "$TMP"
	trap bench_exit EXIT
	trap 'exit 130' INT TERM
}

bench_exit() {
	local rc=$?
	set +e
	stop_servers
	bz_stop
	if [ -n "${KEEP:-}" ]; then
		echo "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
