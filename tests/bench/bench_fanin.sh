#!/usr/bin/env bash
# Hub fan-in benchmark (issue 10): N communities (default 1,000), each with
# its own node key, community key, cases, a summary definition of the PMKS
# categories, a consent to the hub and its published summary, all sync to
# one hub, an unmodified `simpuld --hub`. The communities are nodes of
# the load generator bench_fanin (one process, one event loop, simpuld's
# own peer connections and sessions; see the comment at its top and
# README.md for why). Preparing them is setup, not measured. Measured:
# the time from the first dial until the hub holds every community's
# summary (each asked for at the hub by its key, every 50 ms until it is
# there: `simpul report NAME` does not exist yet) and until the hub's
# aggregate (which a report by hub reads) lists them all, the hub's peak anonymous
# memory (sampled) and peak RSS, the bytes on the wire per community (the
# hub's peer counters, both directions), and the CPU time of the hub and
# of the generator. The yardstick, measured just before and just after:
# complete Noise handshakes per second on one core (both sides); the ratio
# is communities per second over it (the target, 30 s for 1,000, is
# printed as a ratio too).
#   usage: [FANIN_DATA=DIR] tests/bench/bench_fanin.sh BUILD_DIR [N] [--handshakes H]
BUILD=${1:?usage: bench_fanin.sh BUILD_DIR [N] [--handshakes H]}
N=${2:-1000}
shift $(($# < 2 ? $# : 2))
. "$(dirname "$0")/bench_lib.sh"
GEN=$BUILD/tests/bench_fanin
TARGET_S=30
TARGET_MIB=128

hub_cpu() { awk '{ print $14 + $15 }' "/proc/${NODE_PID[$H]}/stat"; }
# The hub's event loop (its main thread): ns on a CPU, ns waiting for one.
hub_sched() { cat "/proc/${NODE_PID[$H]}/schedstat"; }
handshakes() { "$GEN" handshakes 3 | awk '/^handshakes_per_s/ { print $2 }'; }
# The sum of one number over every peer in the hub's `peer ls --json`.
peers_sum() {
	sp "$H" peer ls --json | tr -d '\n ' | grep -o "\"$1\":[0-9]*" |
		awk -F: '{ s += $2 } END { print s + 0 }'
}

# With FANIN_DATA=DIR the communities and the hub's node key are kept in
# DIR, so that another run skips their setup (the hub's store is new every
# run; the summaries are of this month, so a new month prepares again).
DATA=${FANIN_DATA:-$TMP/data}
MARK=$DATA/prepared-$N-$(date -u +%Y-%m)
H=$(node_new hub)
if [ -f "$MARK" ]; then
	echo "communities prepared in $DATA: reused (setup skipped)"
	cp -p "$DATA/hub.key" "$H/node.key"
	echo "prepare_s 0" >"$TMP/prepare.out"
else
	echo "preparing $N communities (setup)..."
	rm -rf "$DATA"
	mkdir -p "$DATA"
	"$GEN" prepare "$DATA/communities" "$N" "$(sp "$H" id)" >"$TMP/prepare.out"
	cp -p "$H/node.key" "$DATA/hub.key"
	touch "$MARK"
fi
HUB_ID=$(sp "$H" id)
node_start "$H" 0 --hub
"$GEN" peers "$DATA/communities" "$N" "$H" "$HUB_ID" "127.0.0.1:$(node_port "$H")"
sample_anon "$H"
HS_BEFORE=$(handshakes)
CPU0=$(hub_cpu)
read -r RUN0 WAIT0 _ < <(hub_sched)
echo "fan-in of $N communities to the hub..."
RC=0
"$GEN" run "$DATA/communities" "$N" "$H" "$HUB_ID" "$@" >"$TMP/run.out" || RC=$?
CPU1=$(hub_cpu)
read -r RUN1 WAIT1 _ < <(hub_sched)
WIRE=$(( $(peers_sum bytes_in) + $(peers_sum bytes_out) ))
REJECTED=$(peers_sum records_rejected)
HWM=$(hwm "$H")
node_stop "$H"
sleep 0.2
ANON=$(cat "$H.anon")
HS_AFTER=$(handshakes)
TICKS=$(getconf CLK_TCK)

cat "$TMP/prepare.out" "$TMP/run.out" | awk -v n="$N" -v wire="$WIRE" -v hwm="$HWM" \
    -v anon="$ANON" -v cpu0="$CPU0" -v cpu1="$CPU1" -v ticks="$TICKS" \
    -v run="$((RUN1 - RUN0))" -v wait="$((WAIT1 - WAIT0))" \
    -v rejected="$REJECTED" -v before="$HS_BEFORE" -v after="$HS_AFTER" \
    -v target_s="$TARGET_S" -v target_mib="$TARGET_MIB" '
	{ v[$1] = $2 }
	END {
	hs = (before + after) / 2
	printf "communities           %d (each its own node and community keys; 26 PMKS categories + other)\n", n
	if (v["prepare_s"] > 0)
		printf "setup                 %.1f s (keys, cases, definitions, consents, summaries; not measured)\n", v["prepare_s"]
	if (v["all_s"] > 0) {
		secs = v["all_s"]; rate = n / secs
		printf "time to all           %.2f s (first dial -> the hub holds every summary)\n", secs
		printf "rate                  %.1f communities/s\n", rate
	} else {
		printf "time to all           NOT REACHED within the timeout\n"
	}
	if (v["finished"] == 1)
		printf "aggregate of all      %.2f s (first dial -> the hub'"'"'s aggregate lists all %d)\n", v["aggregate_s"], n
	else
		printf "aggregate of all      NOT REACHED within the timeout\n"
	printf "summaries at the hub  %d of %d, each looked up by its key\n", v["summaries_found"], n
	printf "records rejected      %d (the hub'"'"'s peer counters)\n", rejected
	printf "on the wire           %.1f MiB both ways, %.0f bytes/community\n", wire / 1048576, wire / n
	printf "hub peak memory       anonymous %.1f MiB (target < %d), RSS %.1f MiB\n", anon / 1024, target_mib, hwm / 1024
	cpu = (cpu1 - cpu0) / ticks
	printf "hub CPU               %.1f s, %.1f ms a community (%.1f handshakes'"'"' worth); its event loop ran %.1f s and waited %.1f s for a CPU (the machine is shared)\n", cpu, cpu * 1000 / n, cpu / n * hs, run / 1e9, wait / 1e9
	printf "generator CPU         %.1f s (the %d community nodes)\n", v["generator_cpu_s"], n
	printf "noise handshakes      %.0f /s (one core, both sides; measured in this run: %.0f before, %.0f after)\n", hs, before, after
	if (v["all_s"] > 0)
		printf "ratio                 %.4f communities/s per handshake/s (the target, 1,000 in %d s, is %.4f here)\n", rate / hs, target_s, 1000 / target_s / hs
	}'
if [ "$RC" != 0 ]; then
	echo "the hub's log ends:"
	tail -5 "$H.log"
fi
exit "$RC"
