# Shared by the integration tests: real simpuld and simpul binaries on
# temporary data directories. Each test file sources this, calls its
# checks, and ends with `finish`, which prints "N passed, N failed" and
# sets the exit status ctest reads.
set -u

: "${SIMPUL:?path of the simpul binary}"
: "${SIMPULD:?path of the simpuld binary}"

SP_PASSED=0
SP_FAILED=0
SP_PIDS=()
SP_CLEANUP=()   # commands run at exit, after the daemons are gone (umount...)
SP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/simpul-it.XXXXXX")

cleanup() {
	local pid c
	for pid in "${SP_PIDS[@]}"; do
		{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
	done
	for c in "${SP_CLEANUP[@]}"; do
		eval "$c" 2>/dev/null
	done
	rm -rf "$SP_TMP"
}
trap cleanup EXIT

pass() { SP_PASSED=$((SP_PASSED + 1)); echo "ok - $*"; }
fail() { SP_FAILED=$((SP_FAILED + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# expect_exit CODE DESCRIPTION COMMAND...: runs COMMAND, output in $OUT/$ERR.
expect_exit() {
	local want=$1 what=$2 got
	shift 2
	"$@" >"$SP_TMP/out" 2>"$SP_TMP/err"
	got=$?
	OUT=$(cat "$SP_TMP/out")
	ERR=$(cat "$SP_TMP/err")
	if [ "$got" -eq "$want" ]; then
		pass "$what (exit $got)"
	else
		fail "$what: exit $got, wanted $want; stdout: $OUT; stderr: $ERR"
	fi
}

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.1 s until
# it succeeds (a pass) or SECONDS run out (a failure).
wait_for() {
	local secs=$1 what=$2 i
	shift 2
	for i in $(seq 1 $((secs * 10))); do
		if "$@" >/dev/null 2>&1; then pass "$what"; return 0; fi
		sleep 0.1
	done
	fail "$what (still not true after ${secs}s)"
	return 1
}

# not COMMAND...: succeeds when COMMAND fails (for check).
not() { ! "$@"; }

# matches STRING REGEX (bash extended regex)
matches() { [[ $1 =~ $2 ]]; }

# contains HAYSTACK NEEDLE
contains() { case "$1" in *"$2"*) return 0 ;; *) return 1 ;; esac; }

# new_node NAME: a fresh data directory, initialised; prints its path.
new_node() {
	local dir="$SP_TMP/$1"
	"$SIMPUL" --data "$dir" init >/dev/null || return 1
	echo "$dir"
}

# start_node DIR [SIMPULD OPTIONS]: starts simpuld on DIR in the background
# (listening for peers on a free loopback port unless --listen is given)
# and waits until it answers; sets SP_LAST_PID.
start_node() {
	local dir=$1 i
	shift
	case " $* " in
	*" --listen "*) ;;
	*) set -- --listen 127.0.0.1:0 "$@" ;;
	esac
	"$SIMPULD" --data "$dir" --log-level debug "$@" 2>>"$dir.log" &
	SP_LAST_PID=$!
	SP_PIDS+=("$SP_LAST_PID")
	for i in $(seq 1 200); do
		if "$SIMPUL" --data "$dir" status >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$SP_LAST_PID" 2>/dev/null; then
			echo "simpuld exited early; log:" >&2
			cat "$dir.log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "simpuld did not answer within 10 s" >&2
	return 1
}

# node_port DIR: the TCP port a running node listens on for peers.
node_port() {
	"$SIMPUL" --data "$1" status --json | sed -n 's/.*"listen": "[^"]*:\([0-9]*\)".*/\1/p'
}

# stop_node PID: SIGTERM and wait.
stop_node() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# crash_node PID: kill -9 and wait.
crash_node() {
	{ kill -9 "$1" && wait "$1"; } 2>/dev/null
}

# adx_shape FILE: FILE is ADX as simpul report writes it (well-formed, of
# tests/fixtures/adx.xsd's shape); says what is not, quietly otherwise.
adx_shape() {
	xmllint --noout --schema "$(dirname "${BASH_SOURCE[0]}")/../fixtures/adx.xsd" "$1" 2>&1 |
		grep -v ' validates$'
	[ "${PIPESTATUS[0]}" -eq 0 ]
}

finish() {
	local log
	# A sanitizer report in any daemon's log fails the test, even if the daemon lived on.
	for log in "$SP_TMP"/*.log; do
		[ -e "$log" ] || continue
		if grep -qE "(Address|Thread|Memory|Leak)Sanitizer|runtime error:" "$log"; then
			fail "sanitizer report in $(basename "$log")"
			grep -E -A20 "(Address|Thread|Memory|Leak)Sanitizer|runtime error:" "$log" | head -60
		fi
	done
	echo "$SP_PASSED passed, $SP_FAILED failed"
	[ "$SP_FAILED" -eq 0 ]
	exit $?
}
