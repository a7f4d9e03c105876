#!/usr/bin/env bash
# Hubs above hubs, real daemons (docs/HUBS.md, "The hierarchy of
# hubs"): communities consent to village hubs, which pass what they hold
# up to a sub-district hub through areas of every community, and it on
# to a district hub; each adds the aggregates directly below it. The upper
# hub learns every community from the charters, holds each consent,
# summary and heartbeat (and no case), follows a withdrawal, and takes
# nothing from a hub it did not put below it. A node that is not a hub
# cannot name every community in a policy.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
community_id() { sp "$1" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p'; }
MONTH=$(date -u +%Y-%m)

V1=$(new_node v1); V2=$(new_node v2); U=$(new_node u); W=$(new_node w); D=$(new_node d)
for h in "$V1" "$V2" "$U" "$W" "$D"; do start_node "$h" --hub || exit 1; done
V1ID=$(sp "$V1" id); V2ID=$(sp "$V2" id); UID_=$(sp "$U" id); WID=$(sp "$W" id); DID=$(sp "$D" id)

# community NAME HUB_ID HUB_DIR: a community node (in $SP_TMP/NAME) with one
# community, six 'anak' cases, consented to the hub and dialling it; its
# data directory and community id go to $DIR and $CID.
community() {
	local name=$1 hubid=$2 hubdir=$3 i
	DIR=$(new_node "$name") || return 1
	start_node "$DIR" --heartbeat-interval 1 || return 1
	sp "$DIR" community create "$name" >/dev/null
	for i in 1 2 3 4 5 6; do
		sp "$DIR" put "$name" cases "c$i" --body '{"category":"anak"}' >/dev/null
	done
	sp "$DIR" summary define "$name" pmks --from cases --count-by category >/dev/null
	sp "$DIR" summary consent "$name" pmks --to "$hubid" >/dev/null
	sp "$DIR" peer add hub "$hubid" "127.0.0.1:$(node_port "$hubdir")" >/dev/null
	sp "$hubdir" peer add "$name" "$(sp "$DIR" id)" >/dev/null
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
check "it holds no case" not has "$U" "$C1ID" cases c1
wait_for 30 "rt02's heartbeat came up too" has "$U" "$C2ID" .heartbeat "$C2NODE"
# Each village hub's aggregate goes up; the sub-district hub adds them (6 + 6 and 6 anak).
agg_anak() { sp "$1" --json get hub .aggregate "pmks/$MONTH" | tr -d ' \n' | grep -q "\"rows\":\[\"anak\"\].*\"all\":\[$2,0,$2,$2\]"; }
wait_for 30 "the village hub's aggregate: 12 anak" agg_anak "$V1" 12
wait_for 30 "the sub-district hub's aggregate: 18 anak" agg_anak "$U" 18
check "report --verify passes at the sub-district hub" sp "$U" report --verify >/dev/null
# A district hub above: it counts the sub-district's aggregate once, not the
# village aggregates passed up with it as well (18, not 36).
wait_for 30 "the district hub's aggregate: 18 anak" agg_anak "$D" 18
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
wait_for 30 "the sub-district hub's aggregate drops it: 12 anak" agg_anak "$U" 12
check "report --verify still passes" sp "$U" report --verify >/dev/null
wait_for 30 "... and at the district hub: 12 anak" agg_anak "$D" 12
rejected() { sp "$1" peer ls --json | tr -d ' \n' | grep -o '"records_rejected":[0-9]*' | grep -qv ':0$'; }
check "no rejections at the sub-district hub" not rejected "$U"
finish
