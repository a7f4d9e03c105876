#!/usr/bin/env bash
# A community node and its hub, real daemons (docs/HUBS.md): the hub gets
# the charter, the consent and the published summary of a community that
# consented to it, and nothing else (no case, no definition), and keeps it
# up to date; a member of the community gets the definition, a hub that was
# not consented to gets nothing. Neither hub is told of the community: the
# consented one learns it from the offers of its consent, the other does
# not learn it at all.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
A=$(new_node a); M=$(new_node m); H=$(new_node h); X=$(new_node x)
start_node "$A" || exit 1
start_node "$M" || exit 1
start_node "$H" --hub || exit 1
start_node "$X" --hub || exit 1
sp "$A" community create rt03 >/dev/null
CID=$(sp "$A" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p')
AID=$(sp "$A" id); MID=$(sp "$M" id); HID=$(sp "$H" id); XID=$(sp "$X" id)
sp "$A" community add-writer rt03 "$MID" >/dev/null
sp "$M" community join "$CID" rt03 >/dev/null
MONTH=$(date -u +%Y-%m)
for i in 1 2 3 4 5 6; do sp "$A" put rt03 cases "a$i" --body '{"category":"anak"}' >/dev/null; done
for i in 1 2 3 4 5; do sp "$A" put rt03 cases "l$i" --body '{"category":"lansia"}' >/dev/null; done
# A case wrongly labelled public, offered to the hub with everything else.
sp "$A" put rt03 cases wrong --body '{"category":"anak"}' --label public >/dev/null
sp "$A" summary define rt03 pmks --from cases --count-by category >/dev/null
sp "$A" summary consent rt03 pmks --to "$HID" >/dev/null
# A dials the hubs and M, offering the hub everything it holds; the hubs name nothing.
sp "$A" peer add h "$HID" "127.0.0.1:$(node_port "$H")" --offer 'rt03/*:private,community,shared,public' >/dev/null
sp "$A" peer add x "$XID" "127.0.0.1:$(node_port "$X")" >/dev/null
sp "$A" peer add m "$MID" "127.0.0.1:$(node_port "$M")" >/dev/null
sp "$H" peer add a "$AID" >/dev/null
sp "$X" peer add a "$AID" >/dev/null
sp "$M" peer add a "$AID" >/dev/null

# The hubs name the community by the alias learnt: its id's first 12 characters.
LEARNT=$(printf %s "$CID" | cut -c1-12)
has() { sp "$1" get "$LEARNT" "$2" "$3" >/dev/null 2>&1; }
wait_for 20 "the hub has the summary" has "$H" ".summary.$HID" "pmks/$MONTH"
check "the hub learnt the community" sh -c "'$SIMPUL' --data '$H' community ls | grep -q '$CID'"
check "the hub has the consent" has "$H" ".consent.$HID" pmks
check "the hub has the charter" has "$H" .charter charter
check "the hub has no case" not has "$H" cases a1
check "the hub has no definition" not has "$H" .definition pmks
check "the hub has not the case labelled public" not has "$H" cases wrong
# Nothing reached the hub's decoder that it did not keep: a case would count as rejected.
peer_field() {
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		grep -o "\"$3\":[0-9]*" | cut -d: -f2
}
check "the hub's decoder saw records from A" test "$(peer_field "$H" a records_in)" -gt 0
check "... and none it refused" test "$(peer_field "$H" a records_rejected)" -eq 0
out=$(sp "$H" peer add other "$MID" --want 'rt03/*:public' 2>&1); st=$?
check "a hub refuses a want for a community's records" test "$st" -ne 0
check "... saying why" contains "$out" "a hub takes only what hubs keep"
wait_for 20 "the member has the definition" sh -c "'$SIMPUL' --data '$M' get rt03 .definition pmks >/dev/null 2>&1"
# A hub that no community consented to knows none but its own, "hub", where it
# writes its aggregates (the daemon answered: ls --json succeeded).
knows_none() { local out; out=$(sp "$1" community ls --json) && ! contains "$out" '"id"'; }
knows_itself() {
	local out
	out=$(sp "$1" community ls --json | tr -d ' \n') && contains "$out" '"alias":"hub"' &&
		[ "$(printf %s "$out" | grep -o '"id"' | wc -l)" -eq 1 ]
}
check "the other hub learnt no community" knows_itself "$X"
# The summary follows the records (7 anak with the public one): two more lansia.
for i in 6 7; do sp "$A" put rt03 cases "l$i" --body '{"category":"lansia"}' >/dev/null; done
wait_for 20 "the hub's summary follows" sh -c "'$SIMPUL' --data '$H' --json get '$LEARNT' '.summary.$HID' 'pmks/$MONTH' | tr -d ' \n' | grep -q '\"cells\":\[\[7\],\[7\]\]'"
# Withdrawn: the hub's copy of the summary goes too.
sp "$A" summary withdraw rt03 pmks --to "$HID" >/dev/null
wait_for 20 "withdrawn at the hub" not has "$H" ".summary.$HID" "pmks/$MONTH"
# The hub dials a community's node this time: it learns the community all the same.
B=$(new_node b)
start_node "$B" || exit 1
sp "$B" community create rt05 >/dev/null
BCID=$(sp "$B" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p')
sp "$B" summary define rt05 pmks --from cases --count-by category >/dev/null
sp "$B" summary consent rt05 pmks --to "$HID" >/dev/null
sp "$B" peer add h "$HID" >/dev/null
sp "$H" peer add b "$(sp "$B" id)" "127.0.0.1:$(node_port "$B")" >/dev/null
wait_for 20 "a hub that dials learns too" sh -c "'$SIMPUL' --data '$H' get '$(printf %s "$BCID" | cut -c1-12)' '.consent.$HID' pmks"
# A node that is not a hub learns nothing from a consent to it.
P=$(new_node p)
start_node "$P" || exit 1
PID=$(sp "$P" id)
sp "$B" summary consent rt05 pmks --to "$PID" >/dev/null
sp "$P" peer add b "$(sp "$B" id)" >/dev/null
sp "$B" peer add p "$PID" "127.0.0.1:$(node_port "$P")" >/dev/null
live() {
	sp "$1" peer ls --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$2\"" |
		grep -q '"state":"live"'
}
wait_for 20 "the node that is no hub is in sync" live "$B" p
check "the node that is no hub learnt no community" knows_none "$P"
check "the hub's rejections: none" sh -c "'$SIMPUL' --data '$H' peer ls --json | tr -d ' \n' | grep -q '\"records_rejected\":0'"
finish
