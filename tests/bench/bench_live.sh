#!/usr/bin/env bash
# Live latency benchmark (issue: "Replication"): A and B are connected and
# in sync; SAMPLES times (default 1,000) a put on A, then B is polled until
# the record is readable there. bench_live does the puts and polls on the
# control sockets itself, so the figures are simpuld's. Prints p50, p90,
# p99 and max (target: p99 < 50 ms on loopback).
#   usage: tests/bench/bench_live.sh BUILD_DIR [SAMPLES]
BUILD=${1:?usage: bench_live.sh BUILD_DIR [SAMPLES]}
SAMPLES=${2:-1000}
. "$(dirname "$0")/bench_lib.sh"

A=$(node_new a)
B=$(node_new b)
node_start "$A"
node_start "$B"
community_setup "$A" "$B"
connect "$A" b "$B" a
wait_member "$B"
wait_nonzero "$B" a last_sync_ms 30

"$BUILD/tests/bench_live" "$A" "$B" rt03 "$SAMPLES" | awk '
	/^samples/ { printf "samples               %d puts on A, each polled on B\n", $2 }
	/^p50_ms/ { printf "p50                   %.2f ms\n", $2 }
	/^p90_ms/ { printf "p90                   %.2f ms\n", $2 }
	/^p99_ms/ { printf "p99                   %.2f ms (target < 50 ms): %s\n", $2, $2 < 50 ? "met" : "NOT met" }
	/^max_ms/ { printf "max                   %.2f ms\n", $2 }'
