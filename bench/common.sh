# bench/common.sh: shell helpers shared by the bench/ scripts (sourced, not run).
# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Expects the caller to have set BUZON (path of the binary). Defines die, free_port,
# wait_port and the buzon instance helpers bz_init, bz_serve and bz_stop.

die() {
	echo "${0##*/}: $*" >&2
	exit 1
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
