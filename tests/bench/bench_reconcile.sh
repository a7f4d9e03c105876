#!/usr/bin/env bash
# Reconciliation benchmark (issue: "Replication"): A and B hold the same N
# records (default 1,000,000) except D (default 1,000) that only A has and
# D that only B has, spread uniformly at random over the timestamps. They
# connect; the benchmark measures the bytes on the wire (both directions)
# and the Negentropy round trips (B dials, so B is the client; its
# "rounds" counts every area, the community charter's included) until both
# hold all N + 2D. Target: bytes <= 3 x the size of the 2D differing
# records + 64 KiB, and at most 8 round trips.
#
# How the data is made: a node writes with its own clock, so records get
# timestamps from when they are written. Two helper nodes, X and Y, join
# the community. While A imports the N common records (bench_interleave,
# one import streamed in batches), the stream stops at D uniformly random
# row positions for X and D for Y, and each time X (or Y) writes one
# record: its timestamp falls between the rows before and after. Nobody is
# connected meanwhile. Then B syncs the N common records from A, A and B
# are disconnected, X gives its D records to A and Y its D to B, X and Y
# are stopped, A and B restarted (fresh counters) and connected: that sync
# is what is measured.
#   usage: tests/bench/bench_reconcile.sh BUILD_DIR [N] [D]
BUILD=${1:?usage: bench_reconcile.sh BUILD_DIR [N] [D]}
N=${2:-1000000}
D=${3:-1000}
. "$(dirname "$0")/bench_lib.sh"

A=$(node_new a)
B=$(node_new b)
X=$(node_new x)
Y=$(node_new y)
for n in "$A" "$B" "$X" "$Y"; do node_start "$n"; done
community_setup "$A" "$B" "$X" "$Y"
# Everyone gets the charter from A, and is then cut off.
connect "$A" b "$B" a
connect "$A" x "$X" a
connect "$A" y "$Y" a
for n in "$B" "$X" "$Y"; do wait_member "$n"; done
disconnect "$A" b "$B" a
disconnect "$A" x "$X" a
disconnect "$A" y "$Y" a

echo "writing $N common records on A, $D extra on each side at random places..."
EXTRAS_BYTES=$("$BUILD/tests/bench_interleave" "$A" "$X" "$Y" rt03 households "$N" "$D" |
	awk '/^extras_bytes/ { print $2 }')
# (A session only reconciles the areas offered when it began: B connects
# once A holds the collection.)
connect "$A" b "$B" a
wait_records "$B" $((N + 1)) 3600
disconnect "$A" b "$B" a
connect "$A" x "$X" a
connect "$B" y "$Y" b
wait_records "$A" $((N + D + 1)) 600
wait_records "$B" $((N + D + 1)) 600
disconnect "$A" x "$X" a
disconnect "$B" y "$Y" b
node_stop "$X"
node_stop "$Y"
node_stop "$A"
node_stop "$B"
node_start "$A"
node_start "$B"

echo "reconciling A <-> B..."
t0=$(date +%s.%N)
connect "$A" b "$B" a
wait_records "$A" $((N + 2 * D + 1)) 600
wait_records "$B" $((N + 2 * D + 1)) 600
t1=$(date +%s.%N)
# The round trips are recorded when the pass ends (SYNCED).
wait_nonzero "$B" a rounds 30
awk -v n="$N" -v d="$D" -v t0="$t0" -v t1="$t1" -v extras="$EXTRAS_BYTES" \
    -v b_in="$(peer_num "$B" a bytes_in)" -v b_out="$(peer_num "$B" a bytes_out)" \
    -v rounds="$(peer_num "$B" a rounds)" 'BEGIN {
	wire = b_in + b_out; target = 3 * extras + 65536
	printf "records               %d common, %d only on A, %d only on B\n", n, d, d
	printf "differing records     %.1f KiB (%d records)\n", extras / 1024, 2 * d
	printf "on the wire           %.1f KiB (B received %.1f KiB, sent %.1f KiB)\n", wire / 1024, b_in / 1024, b_out / 1024
	printf "target                <= %.1f KiB (3 x differing + 64 KiB): %s\n", target / 1024, wire <= target ? "met" : "NOT met"
	printf "negentropy rounds     %d (every area, the charter included; target <= 8): %s\n", rounds, rounds <= 8 ? "met" : "NOT met"
	printf "time                  %.2f s (connect -> both hold all)\n", t1 - t0
}'
