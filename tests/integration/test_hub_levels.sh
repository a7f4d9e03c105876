#!/usr/bin/env bash
# Hubs above hubs, real daemons (docs/HUBS.md, "The hierarchy of
# hubs"): communities consent to village hubs, which pass what they hold
# up to a sub-district hub through areas of every community, and it on
# to a district hub; each adds the aggregates directly below it. The upper
# hub learns every community from the charters, holds each consent,
# summary and heartbeat (and no case), follows a withdrawal, and takes
# nothing from a hub it did not put below it. A node that is not a hub
# cannot name every community in a policy. Two levels give the same
# totals and ranges as one hub over every community.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
community_id() { sp "$1" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p'; }
MONTH=$(date -u +%Y-%m)

V1=$(new_node v1); V2=$(new_node v2); U=$(new_node u); W=$(new_node w); D=$(new_node d)
O=$(new_node o)
for h in "$V1" "$V2" "$U" "$W" "$D" "$O"; do start_node "$h" --hub || exit 1; done
V1ID=$(sp "$V1" id); V2ID=$(sp "$V2" id); UID_=$(sp "$U" id); WID=$(sp "$W" id); DID=$(sp "$D" id)
OID=$(sp "$O" id)

# community NAME HUB_ID HUB_DIR: a community node (in $SP_TMP/NAME) with one
# community, six 'anak' and two 'lansia' cases (hidden, and anak with
# them: a count of 8 in all), consented to the hub and to the flat hub O,
# dialling both; its data directory and community id go to $DIR and $CID.
community() {
	local name=$1 hubid=$2 hubdir=$3 i
	DIR=$(new_node "$name") || return 1
	start_node "$DIR" --heartbeat-interval 1 || return 1
	sp "$DIR" community create "$name" >/dev/null
	for i in 1 2 3 4 5 6; do
		sp "$DIR" put "$name" cases "c$i" --body '{"category":"anak"}' >/dev/null
	done
	for i in 7 8; do
		sp "$DIR" put "$name" cases "c$i" --body '{"category":"lansia"}' >/dev/null
	done
	sp "$DIR" summary define "$name" pmks --from cases --count-by category >/dev/null
	sp "$DIR" summary consent "$name" pmks --to "$hubid" >/dev/null
	sp "$DIR" peer add hub "$hubid" "127.0.0.1:$(node_port "$hubdir")" >/dev/null
	sp "$hubdir" peer add "$name" "$(sp "$DIR" id)" >/dev/null
	if [ "$hubdir" != "$W" ]; then
		sp "$DIR" summary consent "$name" pmks --to "$OID" >/dev/null
		sp "$DIR" peer add flat "$OID" "127.0.0.1:$(node_port "$O")" >/dev/null
		sp "$O" peer add "$name" "$(sp "$DIR" id)" >/dev/null
	fi
	CID=$(community_id "$DIR")
}
community rt01 "$V1ID" "$V1" || exit 1; C1=$DIR; C1ID=$CID
community rt02 "$V1ID" "$V1" || exit 1; C2ID=$CID; C2NODE=$(sp "$DIR" id)
community rt03 "$V2ID" "$V2" || exit 1; C3ID=$CID

out=$(sp "$C1" peer add up "$UID_" --offer '*/*:public' 2>&1); st=$?
check "a node that is not a hub cannot name every community" test "$st" -ne 0
check "... and says why" contains "$out" "community '*' is for hubs"

# The village hubs dial the sub-district hub, which takes every community from them.
sp "$V1" peer add kecamatan "$UID_" "127.0.0.1:$(node_port "$U")" --offer '*/*:public' >/dev/null
sp "$V2" peer add kecamatan "$UID_" "127.0.0.1:$(node_port "$U")" --offer '*/*:public' >/dev/null
sp "$U" peer add v1 "$V1ID" --want '*/*:public' >/dev/null
sp "$U" peer add v2 "$V2ID" --want '*/*:public' >/dev/null
# The sub-district hub passes everything on to a district hub in turn.
sp "$U" peer add kabupaten "$DID" "127.0.0.1:$(node_port "$D")" --offer '*/*:public' >/dev/null
sp "$D" peer add kecamatan "$UID_" --want '*/*:public' >/dev/null
# W offers every community too, but the sub-district hub did not put it below.
sp "$W" peer add kecamatan "$UID_" "127.0.0.1:$(node_port "$U")" --offer '*/*:public' >/dev/null
sp "$U" peer add w "$WID" >/dev/null
community rt04 "$WID" "$W" || exit 1; C4ID=$CID

alias_of() { printf %s "$1" | cut -c1-12; }
has() { sp "$1" get "$(alias_of "$2")" "$3" "$4" >/dev/null 2>&1; }
wait_for 30 "the sub-district hub has rt01's summary" has "$U" "$C1ID" ".summary.$V1ID" "pmks/$MONTH"
wait_for 30 "... rt02's" has "$U" "$C2ID" ".summary.$V1ID" "pmks/$MONTH"
wait_for 30 "... rt03's, through the other village hub" has "$U" "$C3ID" ".summary.$V2ID" "pmks/$MONTH"
for c in "$C1ID" "$C2ID" "$C3ID"; do
	check "it learnt $(alias_of "$c") and holds its charter" has "$U" "$c" .charter charter
done
check "it holds rt01's consent to its village hub" has "$U" "$C1ID" ".consent.$V1ID" pmks
# Each community learnt is counted against the session's 10,000 (and logged).
check "it counted the communities learnt from below" grep -q "learnt [1-9][0-9]* communities from this hub below" "$U.log"
check "it holds no case" not has "$U" "$C1ID" cases c1
wait_for 30 "rt02's heartbeat came up too" has "$U" "$C2ID" .heartbeat "$C2NODE"
# Each village hub's aggregate goes up; the sub-district hub adds them (8 + 8, and 8).
agg_all() { sp "$1" --json get hub .aggregate "pmks/$MONTH" | tr -d ' \n' | grep -q "\"all\":\[$2,0,$2,$2\]"; }
wait_for 30 "the village hub's aggregate: 16 in all" agg_all "$V1" 16
wait_for 30 "the sub-district hub's aggregate: 24 in all" agg_all "$U" 24
# Two levels give what one hub over every community gives: the same
# figures and ranges, row for row.
wait_for 30 "the flat hub's aggregate: 24 in all" agg_all "$O" 24
same_total() {
	sp "$U" report pmks --format json >"$SP_TMP/u.json" &&
	sp "$O" report pmks --format json >"$SP_TMP/o.json" &&
	python3 - "$SP_TMP/u.json" "$SP_TMP/o.json" <<'PY'
import json, sys
u, o = (json.load(open(f)) for f in sys.argv[1:3])
hidden = any(f and f["suppressed"] for row in u["total"]["figs"] for f in row)
sys.exit(0 if hidden and (u["rows"], u["total"]) == (o["rows"], o["total"]) else 1)
PY
}
check "two levels give the flat hub's totals and ranges (hidden counts among them)" same_total
check "report --verify passes at the sub-district hub" sp "$U" report --verify >/dev/null
# A district hub above: it counts the sub-district's aggregate once, not the
# village aggregates passed up with it as well (24, not 48).
wait_for 30 "the district hub's aggregate: 24 in all" agg_all "$D" 24
check "report --verify passes at the district hub" sp "$D" report --verify >/dev/null
# The hub it did not put below: in sync with it, and nothing taken.
live() {
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		grep -q '"state":"live"'
}
wait_for 30 "the hub rt04 consented to is in sync with the village hub W" has "$W" "$C4ID" ".summary.$WID" "pmks/$MONTH"
wait_for 30 "W is in sync with the sub-district hub" live "$W" kecamatan
check "the sub-district hub took nothing of rt04 from a hub not below it" \
	sh -c "! '$SIMPUL' --data '$U' community ls | grep -q '$C4ID'"

# rt01 withdraws: its summary leaves the village hub and the sub-district hub.
sp "$C1" summary withdraw rt01 pmks --to "$V1ID" >/dev/null
wait_for 30 "withdrawn at the village hub" not has "$V1" "$C1ID" ".summary.$V1ID" "pmks/$MONTH"
wait_for 30 "withdrawn at the sub-district hub" not has "$U" "$C1ID" ".summary.$V1ID" "pmks/$MONTH"
check "rt02's summary stays" has "$U" "$C2ID" ".summary.$V1ID" "pmks/$MONTH"
wait_for 30 "the sub-district hub's aggregate drops it: 16 in all" agg_all "$U" 16
check "report --verify still passes" sp "$U" report --verify >/dev/null
wait_for 30 "... and at the district hub: 16 in all" agg_all "$D" 16
rejected() { sp "$1" peer ls --json | tr -d ' \n' | grep -o '"records_rejected":[0-9]*' | grep -qv ':0$'; }
check "no rejections at the sub-district hub" not rejected "$U"
finish
