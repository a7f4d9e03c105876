#!/usr/bin/env bash
# The control socket loaded as a careless script loads it (issue 9, defect
# 10): 64 idle connections must not lock simpul out (the one idle longest
# makes room, and the log says so); 64 headers declaring 4 MiB must not
# cost 4 MiB each; and when all 64 connections really have a command at
# work, simpul exits 7 (busy), never 4 (simpuld not running), which would
# make a watchdog restart a healthy daemon.
. "$(dirname "$0")/lib.sh"

CTL_CLIENT="$(dirname "$0")/../tools/ctl_client.py"
export SIMPUL_DATA="$SP_TMP/n"
sp() { "$SIMPUL" "$@"; }
sp init >/dev/null
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
SOCK="$SIMPUL_DATA/simpuld.sock"
LOG="$SIMPUL_DATA.log"

# hold NAME N MODE [ARGS...]: N connections held open in the background by
# ctl_client.py (see there for MODE); waits until all are open and sent.
hold() {
	local ready="$SP_TMP/$1.ready" n=$2
	shift 2
	python3 "$CTL_CLIENT" "$SOCK" hold "$n" "$ready" "$@" &
	HOLD_PID=$!
	SP_PIDS+=("$HOLD_PID")
	wait_for 30 "$n connections held ($1)" test -s "$ready"
}

release() {
	kill "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
}

# vm_kib FIELD: a field of simpuld's /proc/PID/status, in KiB.
vm_kib() {
	sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$DPID/status"
}

# A community with a collection large enough that exporting it fills a
# socket buffer that nobody reads (1,000 rows of 1 KiB).
sp community create rt03 >/dev/null
awk 'BEGIN { print "id,catatan"; for (i = 0; i < 1000; i++) { s = ""; for (j = 0; j < 100; j++) s = s "catatan-" j; printf "k-%04d,%s\n", i, substr(s, 1, 1000) } }' >"$SP_TMP/big.csv"
expect_exit 0 "import the collection to export" sp import rt03 big "$SP_TMP/big.csv" --key-column id
echo "kata sandi" | sp community export-key rt03 "$SP_TMP/rt03.key" >/dev/null

# 1. 64 idle connections: every command still gets through.
hold idle 64 idle
expect_exit 0 "status with 64 idle connections open" sp status
for i in 1 2 3; do
	expect_exit 0 "put $i with 64 idle connections open" sp put rt03 notes "n-$i" --body '{"ok":true}'
done
expect_exit 0 "get with 64 idle connections open" sp get rt03 notes n-3
check "the log says an idle connection was closed to admit a new one" \
	grep -q "closed the one idle longest (.* s) to admit a new one" "$LOG"
release

# 2. 64 headers declaring 4 MiB frames, and three bytes of each: a few KiB
# apiece. (The bytes that never came are not resident either way, so it
# is the address space, VmData, that shows them allocated: 256 MiB.)
DATA_BEFORE=$(vm_kib VmData)
hold headers 64 header 4194304
# The headers came before this request: once it is answered, all were read.
expect_exit 0 "status with 64 headers of 4 MiB frames held" sp status
DATA_AFTER=$(vm_kib VmData)
check "64 headers of 4 MiB cost less than 16 MiB ($((DATA_AFTER - DATA_BEFORE)) KiB)" \
	[ $((DATA_AFTER - DATA_BEFORE)) -lt $((16 * 1024)) ]
check "nor is more resident ($(vm_kib RssAnon) KiB)" [ "$(vm_kib RssAnon)" -lt $((256 * 1024)) ]
release

# 3. 64 exports nobody reads: every connection has a command at work.
requests_seen() { grep -c "control request export" "$LOG"; }
at_work() { [ "$(requests_seen)" -ge $((BASE + 64)) ]; }
BASE=$(requests_seen)
hold exports 64 request export '{"community": "rt03", "collection": "big"}'
wait_for 30 "all 64 exports are at work" at_work
expect_exit 7 "status while all 64 connections have a command at work: busy" sp status
check "it says busy, and why" contains "$ERR" "busy"
check "naming the connections" contains "$ERR" "have a command at work"
expect_exit 7 "with --json too" sp --json ls rt03
check "the error is SP_EBUSY" contains "$OUT" '"error": "SP_EBUSY"'
# Refused while it waits for its passphrase, it then writes to a closed
# connection; the busy reply is still there to read.
expect_exit 7 "a command refused before it sends its request: busy, not 'not running'" \
	sh -c "(sleep 1; echo 'kata sandi') | '$SIMPUL' community import-key '$SP_TMP/rt03.key'"
check "it says busy" contains "$ERR" "busy"
check "the log says a connection was refused" grep -q "refused a new one" "$LOG"
release
wait_for 30 "status is served once the exports are gone" sp status

# Each kind of line is logged once per 10 s; a summary counts the others.
wait_for 30 "further evictions are counted in a summary line" \
	grep -q "[0-9] more evictions of idle control connections in the last 10 s" "$LOG"
wait_for 30 "further refusals too" \
	grep -q "[0-9] more refusals of control connections in the last 10 s" "$LOG"

expect_exit 0 "stop" sp stop
wait "$DPID"
check "simpuld exits cleanly" [ $? -eq 0 ]
finish
