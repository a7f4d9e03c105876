#!/usr/bin/env bash
# A hub's aggregate, real daemons (docs/HUBS.md, "Aggregate"): two
# communities consent to one hub, which makes a community of its own and
# writes there the aggregate of their summaries, with the right figures
# (hidden counts as ranges that hold the true ones) and inputs; one
# withdraws and the aggregate drops it; 'report --verify' passes. Then a
# copy of the hub's store with one figure altered in place, in the
# aggregate or in a summary (signatures left as they were): a daemon on
# the copy names it and 'report --verify' exits 8.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
A=$(new_node a); B=$(new_node b); H=$(new_node h)
start_node "$A" || exit 1
start_node "$B" || exit 1
start_node "$H" --hub || exit 1
HUB_PID=$SP_LAST_PID
AID=$(sp "$A" id); BID=$(sp "$B" id); HID=$(sp "$H" id)
MONTH=$(date -u +%Y-%m)

# The hub's own community: made at start, this node its admin.
check "the hub made its own community" sh -c "'$SIMPUL' --data '$H' community ls | grep -q '^hub  *admin'"
check "the hub says so in its log" grep -q "hub: aggregates in community hub" "$H.log"

# rt03: anak 6, lansia 5. rt05: anak 7, fakir 5, disabilitas 2 (hidden, and one more with it).
put_cases() {
	local dir=$1 community=$2 category=$3 n=$4 i
	for i in $(seq 1 "$n"); do
		sp "$dir" put "$community" cases "$category-$i" --body "{\"category\":\"$category\"}" >/dev/null
	done
}
RT03=$(sp "$A" community create rt03 | sed -n 's/^Community id: //p')
sp "$B" community create rt05 >/dev/null
put_cases "$A" rt03 anak 6; put_cases "$A" rt03 lansia 5
put_cases "$B" rt05 anak 7; put_cases "$B" rt05 fakir 5; put_cases "$B" rt05 disabilitas 2
for n in "$A rt03" "$B rt05"; do
	set -- $n
	sp "$1" summary define "$2" pmks --from cases --count-by category >/dev/null
	sp "$1" summary consent "$2" pmks --to "$HID" >/dev/null
	sp "$1" peer add h "$HID" "127.0.0.1:$(node_port "$H")" >/dev/null
done
sp "$H" peer add a "$AID" >/dev/null
sp "$H" peer add b "$BID" >/dev/null

# aggregate_is INPUTS TRUE_COUNTS_JSON: the hub's aggregate of pmks/MONTH has
# that many inputs, this hub as its only hub, exactly these rows, each
# published figure the true count and each range holding it, and a total
# whose range holds the sum.
aggregate_is() {
	sp "$H" --json get hub .aggregate "pmks/$MONTH" | python3 -c '
import base64, json, sys
inputs, want, hub = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
body = json.load(sys.stdin)["body"]
def holds(fig, true):
    published, suppressed, lo, hi = fig
    if suppressed == 0:
        return published == lo == hi == true
    return published <= lo <= true and (hi is None or true <= hi)
hub_bytes = base64.b32decode(hub.upper() + "====")
ok = (len(body["inputs"]) == inputs and body["cols"] == [] and
      [base64.b64decode(h["$bin"]) for h in body["hubs"]] == [hub_bytes] and
      sorted(body["rows"]) == sorted(want) and
      all(holds(body["cells"][i][0], want[r]) for i, r in enumerate(body["rows"])) and
      holds(body["totals"]["all"], sum(want.values())))
if not ok:
    print(json.dumps(body), file=sys.stderr)
sys.exit(0 if ok else 1)' "$1" "$2" "$HID"
}
BOTH='{"anak": 13, "lansia": 5, "fakir": 5, "disabilitas": 2}'
wait_for 30 "the hub's aggregate of both communities" aggregate_is 2 "$BOTH"
check "the aggregate's figures and inputs" aggregate_is 2 "$BOTH"
# Some of rt05's counts are hidden: the aggregate says how many, not what they are.
check "a hidden count stays hidden in the aggregate" sh -c "'$SIMPUL' --data '$H' --json get hub .aggregate 'pmks/$MONTH' | tr -d ' \n' | grep -q '\[0,1,[0-9]*,[0-9]*\]'"
expect_exit 0 "report --verify passes" sp "$H" report --verify
check "report --verify says what it checked" contains "$OUT" "checked 1 aggregates: 2 summaries"
check "report --verify finds nothing wrong" contains "$OUT" "every figure checks out"

# rt05 withdraws: its figures leave the aggregate.
sp "$B" summary withdraw rt05 pmks --to "$HID" >/dev/null
wait_for 30 "the aggregate drops the community that withdrew" aggregate_is 1 '{"anak": 6, "lansia": 5}'
expect_exit 0 "report --verify passes after the withdrawal" sp "$H" report --verify
check "one summary behind it now" contains "$OUT" "checked 1 aggregates: 1 summaries"
check "the hub rejected nothing" sh -c "'$SIMPUL' --data '$H' peer ls --json | tr -d ' \n' | grep -q '\"records_rejected\":0'"

# A copy of the stopped hub's store, bytes PATTERN replaced by REPLACEMENT
# (hex) wherever they are: the record changes, its signature does not.
stop_node "$HUB_PID"
tampered_copy() {
	local copy="$SP_TMP/$1"
	cp -r "$H" "$copy"
	python3 - "$copy/store/data.mdb" "$2" "$3" <<-'EOF'
	import sys
	path, old, new = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
	data = open(path, "rb").read()
	if old not in data:
	    sys.exit("pattern not in the store")
	open(path, "wb").write(data.replace(old, new))
	EOF
}
# Not as a hub: a hub would write its aggregate again over the altered one.
verify_copy() {
	start_node "$1" || return 1
	expect_exit 8 "$2" sp "$1" report --verify
	stop_node "$SP_LAST_PID"
}
# The aggregate's fig of anak [6, 0, 6, 6] becomes [7, 0, 7, 7].
tampered_copy h-aggregate 9406000606 9407000707
verify_copy "$SP_TMP/h-aggregate" "report --verify on an altered aggregate fails"
check "it names the aggregate's signature" contains "$OUT" "aggregate pmks/$MONTH of hub this node (community hub): the aggregate: its signature does not verify"
check "it names the altered figure" contains "$OUT" "row anak: it says 7, its inputs give 6"
check "it counts the problems" contains "$ERR" "2 problems"
# rt03's summary: cells [[6], [5]] become [[7], [5]]. The hub knows rt03 by the
# first 12 characters of its id.
tampered_copy h-summary a563656c6c7392910691 a563656c6c7392910791
verify_copy "$SP_TMP/h-summary" "report --verify on an altered summary fails"
check "it names the summary and its community" matches "$OUT" "summary pmks/$MONTH of community ${RT03:0:12} \(record [a-z2-7]{52}\): its signature does not verify"
check "and the figure its inputs now give" contains "$OUT" "row anak: it says 6, its inputs give 7"
finish
