#!/usr/bin/env bash
# Heartbeats and `simpul report health`, real daemons (docs/HUBS.md,
# "Heartbeat"): a community node that consented to a hub writes its
# heartbeat every interval (here 1 s), and so does its member device; both
# reach the hub (the member's through the node), which shows them with a
# plausible lag and, per peer of the community, the last sync and the
# backlog; a peer that never synced says so. A peer with no part in the
# community is not in it. A community
# that consented to no hub writes none, and a hub not consented to stores
# none; a community known without a heartbeat is listed as such. After the
# consent is withdrawn, no more heartbeats are written.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
A=$(new_node a); M=$(new_node m); H=$(new_node h); X=$(new_node x); B=$(new_node b)
Z=$(new_node z)   # never started
start_node "$A" --heartbeat-interval 1 || exit 1
start_node "$M" --heartbeat-interval 1 || exit 1
start_node "$B" --heartbeat-interval 1 || exit 1
start_node "$H" --hub || exit 1
start_node "$X" --hub || exit 1
expect_exit 2 "simpuld refuses an interval of 0" "$SIMPULD" --data "$SP_TMP/none" --heartbeat-interval 0
expect_exit 2 "report health refuses an unknown format" sp "$H" report health --format csv
sp "$A" community create rt03 >/dev/null
sp "$B" community create rt05 >/dev/null
cid() { sp "$1" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p'; }
CID=$(cid "$A"); BCID=$(cid "$B")
AID=$(sp "$A" id); MID=$(sp "$M" id); HID=$(sp "$H" id); XID=$(sp "$X" id); BID=$(sp "$B" id)
ZID=$(sp "$Z" id)
sp "$A" community add-writer rt03 "$MID" >/dev/null
sp "$M" community join "$CID" rt03 >/dev/null
sp "$A" summary define rt03 pmks --from cases --count-by category >/dev/null
sp "$A" summary consent rt03 pmks --to "$HID" >/dev/null
sp "$B" summary define rt05 pmks --from cases --count-by category >/dev/null
# A dials the hubs and M; B dials the hub. No policy names anything but
# A's for Z, a partner that is never up.
sp "$A" peer add h "$HID" "127.0.0.1:$(node_port "$H")" >/dev/null
sp "$A" peer add x "$XID" "127.0.0.1:$(node_port "$X")" >/dev/null
sp "$A" peer add m "$MID" "127.0.0.1:$(node_port "$M")" >/dev/null
sp "$A" peer add z "$ZID" 127.0.0.1:1 --offer 'rt03/cases:shared' >/dev/null
sp "$B" peer add h "$HID" "127.0.0.1:$(node_port "$H")" >/dev/null
sp "$H" peer add a "$AID" >/dev/null
sp "$H" peer add b "$BID" >/dev/null
sp "$X" peer add a "$AID" >/dev/null
sp "$M" peer add a "$AID" >/dev/null
# Both hubs know both communities by hand, so that they can list them.
sp "$H" community join "$BCID" rt05 >/dev/null
sp "$X" community join "$CID" rt03 >/dev/null
sp "$X" community join "$BCID" rt05 >/dev/null

# health DIR: `report health --format json`, one JSON object per community.
health() { sp "$1" report health --format json; }
# query DIR PYTHON: runs PYTHON with `c` (community id -> its object),
# `ids` (name -> node id) and `hb(cid, node)` (that node's heartbeat or
# None) over DIR's report; succeeds when it prints "yes".
query() {
	health "$1" | CID=$CID BCID=$BCID AID=$AID MID=$MID HID=$HID XID=$XID ZID=$ZID python3 -c '
import json, os, sys
c = {o["community"]: o for o in map(json.loads, sys.stdin) }
ids = {k: os.environ[k] for k in ("CID", "BCID", "AID", "MID", "HID", "XID", "ZID")}
def hb(cid, node):
    return next((h for h in c.get(cid, {}).get("heartbeats", []) if h["node"] == node), None)
def peer(h, node):
    return next((p for p in (h or {}).get("peers", []) if p["node"] == node), None)
print("yes" if ('"$2"') else "no")' | grep -qx yes
}

wait_for 20 "the hub shows the node's heartbeat" query "$H" 'hb(ids["CID"], ids["AID"])'
wait_for 20 "the hub shows the member's heartbeat, through the node" query "$H" 'hb(ids["CID"], ids["MID"])'
check "the heartbeat says simpul and its version" query "$H" 'hb(ids["CID"], ids["AID"])["software"].startswith("simpul ")'
check "its lag is under 5 s (written every second)" query "$H" '0 <= hb(ids["CID"], ids["AID"])["lag_ms"] < 5000'
wait_for 20 "its peers: the hub, synced, nothing left to send" query "$H" \
	'(lambda p: p is not None and p["sync_age_ms"] is not None and 0 <= p["sync_age_ms"] < 60000 and p["backlog"] == 0)(peer(hb(ids["CID"], ids["AID"]), ids["HID"]))'
check "its peers: the member device" query "$H" 'peer(hb(ids["CID"], ids["AID"]), ids["MID"]) is not None'
check "its peers: the partner its policy names, never synced" query "$H" \
	'(lambda p: p is not None and p["last_sync_ms"] == 0 and p["sync_age_ms"] is None)(peer(hb(ids["CID"], ids["AID"]), ids["ZID"]))'
check "its peers: those three only, not the hub the community did not consent to" query "$H" \
	'sorted(p["node"] for p in hb(ids["CID"], ids["AID"])["peers"]) == sorted([ids["HID"], ids["MID"], ids["ZID"]])'
check "the member's peers: the node" query "$H" \
	'[p["node"] for p in hb(ids["CID"], ids["MID"])["peers"]] == [ids["AID"]]'
check "a community that consented to no hub: known, no heartbeat" query "$H" \
	'c[ids["BCID"]]["heartbeats"] == [] and c[ids["BCID"]]["alias"] == "rt05"'
# lacks DIR COMMUNITY COLLECTION: DIR lists COMMUNITY's collections, COLLECTION not among them.
lacks() { local out; out=$(sp "$1" ls "$2") && ! contains "$out" "$3"; }
check "the community that consented to no hub wrote none" lacks "$B" rt05 .heartbeat
check "the hub not consented to stores none" query "$X" \
	'c[ids["CID"]]["heartbeats"] == [] and c[ids["BCID"]]["heartbeats"] == []'
check "the table shows each heartbeat and peer" sh -c "'$SIMPUL' --data '$H' report health |
	grep -q '^  node $(printf %.8s "$AID")  simpul ' && '$SIMPUL' --data '$H' report health |
	grep -q '^    peer $(printf %.8s "$HID")  synced '"
check "the table says so of a community without heartbeat" sh -c "'$SIMPUL' --data '$H' report health | grep -A1 '^rt05 ' | grep -q 'no heartbeat'"
check "--json is --format json" sh -c "'$SIMPUL' --data '$H' --json report health | python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]'"
check "the hub's rejections: none" sh -c "'$SIMPUL' --data '$H' peer ls --json | tr -d ' \n' | grep -q '\"records_rejected\":0' && ! '$SIMPUL' --data '$H' peer ls --json | tr -d ' \n' | grep -q '\"records_rejected\":[1-9]'"

# Withdrawn: the node writes no more heartbeats (its last one stays).
sp "$A" summary withdraw rt03 pmks --to "$HID" >/dev/null
sleep 2
t1=$(sp "$A" get rt03 .heartbeat "$AID" --json | tr -d ' \n' | sed -n 's/.*"time":\([0-9]*\).*/\1/p')
sleep 3
t2=$(sp "$A" get rt03 .heartbeat "$AID" --json | tr -d ' \n' | sed -n 's/.*"time":\([0-9]*\).*/\1/p')
check "after withdrawal no heartbeat is written ($t1 = $t2)" sh -c "[ -n '$t1' ] && [ '$t1' = '$t2' ]"
finish
