#!/usr/bin/env bash
# tests/run.sh [unit|fuzz|proto]...: runs the built test binaries and prints
# one summary line "total: N passed, N failed".  Stops at the first failing
# stage.  Run through `make test`, which builds everything first.
set -u
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(unit fuzz proto)
passed=0
failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

finish() {
	echo "total: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

for stage in "${stages[@]}"; do
	case $stage in
	unit)
		echo "== unit tests"
		for t in build/asan/unit/test_*; do
			[ -x "$t" ] || continue
			if out=$("$t" 2>&1); then
				n=$(sed -n 's/.*: \([0-9]*\) passed, 0 failed.*/\1/p' <<<"$out" | tail -1)
				passed=$((passed + ${n:-1}))
				tail -1 <<<"$out"
			else
				echo "$out"
				failed=$((failed + 1))
				finish
			fi
		done ;;
	fuzz)
		echo "== fuzz corpus replay (ASan+UBSan)"
		for t in build/asan/fuzz/fuzz_*; do
			[ -x "$t" ] || continue
			name=${t##*/fuzz_}
			corpus=tests/fuzz/corpus/$name
			if [ ! -d "$corpus" ]; then
				echo "$t: no corpus at $corpus"
				failed=$((failed + 1))
				finish
			fi
			if out=$("$t" "$corpus" 2>&1); then
				passed=$((passed + 1))
				tail -1 <<<"$out"
			else
				echo "$out" | tail -40
				failed=$((failed + 1))
				finish
			fi
		done ;;
	proto)
		echo "== protocol tests (real binary, build/asan/buzon)"
		export BUZON_BIN=${BUZON_BIN:-$PWD/build/asan/buzon}
		log=$(mktemp)
		/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/proto 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		p=$(grep -Eo '[0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+')
		f=$(grep -Eo '[0-9]+ (failed|error)' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
		rm -f "$log"
		passed=$((passed + ${p:-0}))
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
			failed=$((failed + ${f:-1}))
			[ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
			finish
		fi ;;
	*) echo "unknown stage $stage"; exit 2 ;;
	esac
done
finish
