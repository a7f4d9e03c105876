#!/usr/bin/env bash
# simpul report at a hub with hubs below it, real daemons
# (docs/REPORTS.md): two village hubs pass their communities' summaries
# and their aggregates up to a sub-district hub, to which one community
# also consents directly. By hub: a column per village hub (its
# aggregate, by its peer name), one for the direct community, and the
# total, which is the sub-district hub's own aggregate. By community:
# every community, whether its summary came directly or through a hub
# below, and the same total.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
community_id() { sp "$1" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p'; }
MONTH=$(date -u +%Y-%m)

V1=$(new_node v1); V2=$(new_node v2); U=$(new_node u)
for h in "$V1" "$V2" "$U"; do start_node "$h" --hub || exit 1; done
V1ID=$(sp "$V1" id); V2ID=$(sp "$V2" id); UID_=$(sp "$U" id)

# community NAME HUB_ID HUB_DIR N: a community node with N 'anak' cases and
# 6 'lansia', its summary consented to the hub; its id goes to $CID.
community() {
	local name=$1 hubid=$2 hubdir=$3 n=$4 dir i
	dir=$(new_node "$name") || return 1
	start_node "$dir" || return 1
	sp "$dir" community create "$name" >/dev/null
	for i in $(seq 1 "$n"); do
		sp "$dir" put "$name" cases "a$i" --body '{"category":"anak"}' >/dev/null
	done
	for i in 1 2 3 4 5 6; do
		sp "$dir" put "$name" cases "l$i" --body '{"category":"lansia"}' >/dev/null
	done
	sp "$dir" summary define "$name" pmks --from cases --count-by category >/dev/null
	sp "$dir" summary consent "$name" pmks --to "$hubid" >/dev/null
	sp "$dir" peer add hub "$hubid" "127.0.0.1:$(node_port "$hubdir")" >/dev/null
	sp "$hubdir" peer add "$name" "$(sp "$dir" id)" >/dev/null
	CID=$(community_id "$dir")
}
# rt02 has 2 anak: hidden (with its lansia), so the totals above it are ranges.
community rt01 "$V1ID" "$V1" 6 || exit 1; C1=$CID
community rt02 "$V1ID" "$V1" 2 || exit 1; C2=$CID
community rt03 "$V2ID" "$V2" 7 || exit 1; C3=$CID
community rt05 "$UID_" "$U" 5 || exit 1; C5=$CID
sp "$V1" peer add kecamatan "$UID_" "127.0.0.1:$(node_port "$U")" --offer '*/*:public' >/dev/null
sp "$V2" peer add kecamatan "$UID_" "127.0.0.1:$(node_port "$U")" --offer '*/*:public' >/dev/null
sp "$U" peer add desa-biru "$V1ID" --want '*/*:public' >/dev/null
sp "$U" peer add desa-pappolo "$V2ID" --want '*/*:public' >/dev/null

# The sub-district hub's aggregate holds all four: anak 6 + [1-7] + 7 + 5,
# lansia 6 + [1-7] + 6 + 6, total 12 + 8 + 13 + 11 = 44.
wait_for 60 "the sub-district hub's aggregate has all four communities" \
	sh -c "'$SIMPUL' --data '$U' --json get hub .aggregate 'pmks/$MONTH' | tr -d ' \n' | grep -q '\"all\":\[44,0,44,44\]'"

expect_exit 0 "report --by hub" sp "$U" report pmks --by hub
TABLE=$OUT
cell() {
	printf '%s\n' "$TABLE" | awk -v row="$1" -v col="$2" '
		NR == 3 { for (i = 1; i <= NF; i++) at[$i] = i + 1 }
		NR > 3 && $1 == row { print $(at[col]); exit }'
}
is() { [ "$(cell "$1" "$2")" = "$3" ] || { echo "cell $1 $2: '$(cell "$1" "$2")', wanted '$3'" >&2; false; }; }
check "by hub: three columns" contains "$TABLE" "pmks, period $MONTH, by hub: 3 columns"
check "a village hub by its peer name and id" contains "$TABLE" "hub desa-biru: $V1ID"
check "the other" contains "$TABLE" "hub desa-pappolo: $V2ID"
check "the direct communities by this hub's id" contains "$TABLE" "own direct: $UID_"
check "desa-biru: anak 6 and a hidden count" is anak desa-biru "7-13"
check "desa-biru: total 20" is total desa-biru 20
check "desa-pappolo: anak 7" is anak desa-pappolo 7
check "direct: anak 5" is anak direct 5
check "total: anak" is anak total "19-25"
check "total: 44" is total total 44

# The total column is the hub's own aggregate, figure for figure.
same_as_aggregate() {
	local report aggregate
	report=$(sp "$U" --json report pmks --by hub) &&
		aggregate=$(sp "$U" --json get hub .aggregate "pmks/$MONTH") &&
		python3 -c '
import json, sys
r, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])["body"]
fig = lambda f: {"published": f[0], "suppressed": f[1], "lo": f[2], "hi": f[3]}
rows = {label: [fig(c) for c in row] for label, row in zip(a["rows"], a["cells"])}
got = {label: row for label, row in zip(r["rows"], r["total"]["figs"])}
assert rows == got, (rows, got)
assert r["total"]["figs"][-1] == [fig(a["totals"]["all"])]
kinds = sorted((c["kind"], c["id"]) for c in r["columns"])
assert kinds == sorted([("hub", sys.argv[3]), ("hub", sys.argv[4]), ("own", sys.argv[5])]), kinds
' "$report" "$aggregate" "$V1ID" "$V2ID" "$UID_"
}
check "the total is the hub's aggregate" same_as_aggregate

expect_exit 0 "report --by hub --format adx" sp "$U" report pmks --by hub --format adx
printf '%s\n' "$OUT" >"$SP_TMP/levels.xml"
check "ADX of ADX's shape" adx_shape "$SP_TMP/levels.xml"
check "ADX: a group per village hub and the sub-district's" \
	[ "$(grep -c '<group ' "$SP_TMP/levels.xml")" -eq 3 ]
check "ADX: desa-biru's org unit is its node id" contains "$OUT" "orgUnit=\"$V1ID\""

# By community: every community below, however its summary came.
expect_exit 0 "report by community" sp "$U" report pmks
TABLE=$OUT
check "four communities" contains "$TABLE" "by community: 4 communities"
for c in "$C1" "$C2" "$C3" "$C5"; do
	check "$(printf %s "$c" | cut -c1-12) is a column" contains "$TABLE" "community $(printf %s "$c" | cut -c1-12): $c"
done
check "rt02's anak hidden (never its 2)" is anak "$(printf %s "$C2" | cut -c1-12)" "[1-7]"
check "the same total" is total total 44
check "the same anak" is anak total "19-25"
finish
