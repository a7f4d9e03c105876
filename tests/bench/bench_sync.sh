#!/usr/bin/env bash
# Initial sync benchmark (issue: "Replication"): node A holds N records
# (default 1,000,000) with bodies of about 300 bytes, node B is empty; the
# time from adding the peers (B dials A at once) until B holds every record.
# Prints records/s, bytes on the wire per record (both directions, from the
# peers' byte counters), the peak memory of both daemons (VmHWM, which
# counts LMDB pages mapped in, and the peak anonymous memory sampled), and
# this machine's 2-thread Ed25519 verification rate measured in the same
# run, with the ratio (target >= 0.5). Both daemons run on this machine,
# so they share its cores, as the verification yardstick does.
#   usage: tests/bench/bench_sync.sh BUILD_DIR [N]
BUILD=${1:?usage: bench_sync.sh BUILD_DIR [N]}
N=${2:-1000000}
. "$(dirname "$0")/bench_lib.sh"

A=$(node_new a)
B=$(node_new b)
node_start "$A"
node_start "$B"
community_setup "$A" "$B"
echo "importing $N records on A..."
gen_rows "$N" "$TMP/rows.csv"
sp "$A" import rt03 households "$TMP/rows.csv" --key-column id >/dev/null
rm -f "$TMP/rows.csv"
# A fresh A, so that its peak memory is the sync's, not the import's.
node_stop "$A"
node_start "$A"
sample_anon "$A"
sample_anon "$B"
verify2() { "$BUILD/tests/bench_sign" 3 --threads 2 | awk '/^verify_per_s_threads/ { print $3 }'; }
VERIFY_BEFORE=$(verify2)

echo "syncing A -> B..."
t0=$(date +%s.%N)
connect "$A" b "$B" a
wait_records "$B" $((N + 1)) 3600 0.5
t1=$(date +%s.%N)
WIRE=$(( $(peer_num "$B" a bytes_in) + $(peer_num "$B" a bytes_out) ))
WIRE_A=$(( $(peer_num "$A" b bytes_in) + $(peer_num "$A" b bytes_out) ))
HWM_A=$(hwm "$A")
HWM_B=$(hwm "$B")
node_stop "$A"
node_stop "$B"
sleep 0.2
ANON_A=$(cat "$A.anon")
ANON_B=$(cat "$B.anon")

VERIFY_AFTER=$(verify2)
awk -v n="$N" -v t0="$t0" -v t1="$t1" -v wire="$WIRE" -v wire_a="$WIRE_A" \
    -v hwm_a="$HWM_A" -v hwm_b="$HWM_B" -v anon_a="$ANON_A" -v anon_b="$ANON_B" \
    -v before="$VERIFY_BEFORE" -v after="$VERIFY_AFTER" 'BEGIN {
	secs = t1 - t0; rate = n / secs; verify2 = (before + after) / 2
	printf "records               %d (bodies of about 300 bytes)\n", n
	printf "sync time             %.1f s (peers added -> B holds all)\n", secs
	printf "sync rate             %.0f records/s\n", rate
	printf "on the wire           %.1f MiB both ways (A counts %.1f MiB), %.0f bytes/record\n", wire / 1048576, wire_a / 1048576, wire / n
	printf "ed25519 verify rate   %.0f /s (2 threads, measured in this run: %.0f before the sync, %.0f after)\n", verify2, before, after
	printf "ratio                 %.2f (target >= 0.50)\n", rate / verify2
	printf "A (sender) peak       RSS %.1f MiB, anonymous %.1f MiB\n", hwm_a / 1024, anon_a / 1024
	printf "B (receiver) peak     RSS %.1f MiB, anonymous %.1f MiB\n", hwm_b / 1024, anon_b / 1024
}'
