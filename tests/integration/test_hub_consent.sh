#!/usr/bin/env bash
# Consent at a hub, real daemons (docs/HUBS.md, "Consent", "Aggregate"):
# a writer who is not an admin cannot consent; a summary reaches only the
# hub its consent names; a hub's aggregate counts a community only while
# the admin who consented is an admin in the charter the hub holds, and
# drops it once a new charter removes that admin.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
MONTH=$(date -u +%Y-%m)
A=$(new_node a); M=$(new_node m); N=$(new_node n); H=$(new_node h); G=$(new_node g)
for d in "$A" "$M" "$N"; do start_node "$d" || exit 1; done
for d in "$H" "$G"; do start_node "$d" --hub || exit 1; done
AID=$(sp "$A" id); MID=$(sp "$M" id); NID=$(sp "$N" id); HID=$(sp "$H" id); GID=$(sp "$G" id)
sp "$A" community create rt03 >/dev/null
CID=$(sp "$A" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p')
sp "$A" community add-writer rt03 "$MID" --admin >/dev/null
sp "$A" community add-writer rt03 "$NID" >/dev/null
sp "$M" community join "$CID" rt03 >/dev/null
sp "$N" community join "$CID" rt03 >/dev/null
# The members sync with A; M, the admin who will consent, keeps the cases.
for d in "$M" "$N"; do
	sp "$A" peer add "$(basename "$d")" "$(sp "$d" id)" "127.0.0.1:$(node_port "$d")" >/dev/null
	sp "$d" peer add a "$AID" >/dev/null
done
sp "$A" summary define rt03 pmks --from cases --count-by category >/dev/null
wait_for 60 "M has the definition" sh -c "'$SIMPUL' --data '$M' get rt03 .definition pmks >/dev/null 2>&1"
for i in 1 2 3 4 5 6; do sp "$M" put rt03 cases "c$i" --body '{"category":"anak"}' >/dev/null; done
wait_for 60 "N has the definition" sh -c "'$SIMPUL' --data '$N' get rt03 .definition pmks >/dev/null 2>&1"
wait_for 60 "N has the charter naming it" sh -c "'$SIMPUL' --data '$N' community ls --json | grep -q writer"

out=$(sp "$N" summary consent rt03 pmks --to "$HID" 2>&1); st=$?
check "a writer who is not an admin cannot consent" test "$st" -ne 0
check "... and is told so" contains "$out" "admin"

sp "$M" summary consent rt03 pmks --to "$HID" >/dev/null
sp "$A" summary consent rt03 pmks --to "$GID" >/dev/null
sp "$M" peer add h "$HID" "127.0.0.1:$(node_port "$H")" >/dev/null
sp "$H" peer add m "$MID" >/dev/null
sp "$A" peer add g "$GID" "127.0.0.1:$(node_port "$G")" >/dev/null
sp "$G" peer add a "$AID" >/dev/null

LEARNT=$(printf %s "$CID" | cut -c1-12)
has() { sp "$1" get "$LEARNT" "$2" "$3" >/dev/null 2>&1; }
agg_all() { sp "$1" --json get hub .aggregate "pmks/$MONTH" | tr -d ' \n' | grep -q "\"all\":\[$2,0,$2,$2\]"; }
wait_for 60 "the hub M consented to counts the community" agg_all "$H" 6
check "it holds no consent to the other hub" not has "$H" ".consent.$GID" pmks
wait_for 60 "the other hub has A's consent" has "$G" ".consent.$GID" pmks
check "... and no consent to the first hub" not has "$G" ".consent.$HID" pmks
check "... and no summary for the first hub" not has "$G" ".summary.$HID" "pmks/$MONTH"

# A removes M as admin: the hub gets the new charter and stops counting.
sp "$A" community add-writer rt03 "$MID" >/dev/null
one_admin() { sp "$H" --json get "$LEARNT" .charter charter | tr -d ' \n' | grep -q '"admins":\[{"\$bin":"[^"]*"}\]'; }
wait_for 60 "the hub holds the charter with one admin left" one_admin
wait_for 60 "the hub's aggregate drops the community (its consent's author is no admin)" agg_all "$H" 0
check "report --verify passes at the hub" sp "$H" report --verify >/dev/null
finish
