#!/usr/bin/env bash
# Summary definitions and consents from the command line (docs/HUBS.md,
# README "Summaries"): define, ls, consent, withdraw and rm on a real
# simpuld; every bad argument refused with its exit code and nothing
# written; only an admin may define or consent.
. "$(dirname "$0")/lib.sh"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
A=$(new_node a); W=$(new_node w)
start_node "$A" || exit 1
start_node "$W" || exit 1
sp "$A" community create rt03 >/dev/null
CID=$(sp "$A" community ls --json | tr -d '\n ' | sed -n 's/.*"id":"\([a-z2-7]*\)".*/\1/p')
HUB=$(sp "$W" id)
printf 'anak terlantar\n lanjut usia terlantar \r\n\npenyandang disabilitas\n' > "$SP_TMP/pmks.txt"

expect_exit 0 "define a two-way summary" sp "$A" summary define rt03 pmks --from cases \
	--count-by category,sex --categories "$SP_TMP/pmks.txt" --sum aid --where open=true \
	--where village=Biru --period quarter
check "define says nothing is published yet" contains "$OUT" "Nothing is published until an admin consents"
expect_exit 0 "ls" sp "$A" summary ls rt03
check "ls shows the definition" contains "$OUT" \
	"pmks: cases by category x sex, per quarter, k = 5, 3 listed categories, sum of aid, where open = true, where village = Biru"
check "ls: no consent yet" contains "$OUT" "no consent: nothing is published"
expect_exit 0 "ls --json" sp "$A" --json summary ls rt03
check "categories trimmed, in file order" contains "$(echo "$OUT" | tr -d '\n ')" \
	'"categories":["anakterlantar","lanjutusiaterlantar","penyandangdisabilitas"]'
check "default k is 5" contains "$(echo "$OUT" | tr -d '\n ')" '"k":5'

# Bad arguments: refused, nothing written.
printf 'anak\nother\n' > "$SP_TMP/other.txt"
printf 'anak\nanak\n' > "$SP_TMP/twice.txt"
expect_exit 2 "k below 3" sp "$A" summary define rt03 x --from cases --count-by c --k 2
check "k's message says why" contains "$ERR" "counts from 1 to k-1 are never published"
expect_exit 2 "k not a number" sp "$A" summary define rt03 x --from cases --count-by c --k 5x
expect_exit 2 "three grouping fields" sp "$A" summary define rt03 x --from cases --count-by a,b,c
expect_exit 2 "no --from" sp "$A" summary define rt03 x --count-by c
expect_exit 2 "'other' listed" sp "$A" summary define rt03 x --from cases --count-by c \
	--categories "$SP_TMP/other.txt"
expect_exit 2 "a category twice" sp "$A" summary define rt03 x --from cases --count-by c \
	--categories "$SP_TMP/twice.txt"
expect_exit 3 "no categories file" sp "$A" summary define rt03 x --from cases --count-by c \
	--categories "$SP_TMP/missing.txt"
expect_exit 2 "bad period" sp "$A" summary define rt03 x --from cases --count-by c --period week
expect_exit 2 "where without =" sp "$A" summary define rt03 x --from cases --count-by c --where open
expect_exit 5 "a reserved source collection" sp "$A" summary define rt03 x --from .charter --count-by c
expect_exit 5 "a reserved name" sp "$A" summary define rt03 _x --from cases --count-by c
expect_exit 3 "unknown community" sp "$A" summary define rt99 x --from cases --count-by c
expect_exit 2 "--to is not an option of define" sp "$A" summary define rt03 x --from cases \
	--count-by c --to "$HUB"
expect_exit 0 "ls after the refusals" sp "$A" summary ls rt03
check "only pmks is defined" test "$(echo "$OUT" | grep -c '^[a-z]*:')" -eq 1

# Consent, to a hub by its node id.
expect_exit 2 "consent without --to" sp "$A" summary consent rt03 pmks
expect_exit 5 "consent to a bad id" sp "$A" summary consent rt03 pmks --to nothex
expect_exit 2 "consent with a bad date" sp "$A" summary consent rt03 pmks --to "$HUB" --until 30/06/2027
expect_exit 3 "consent to an undefined summary" sp "$A" summary consent rt03 nope --to "$HUB"
expect_exit 0 "consent" sp "$A" summary consent rt03 pmks --to "$HUB" --until 2027-06-30
expect_exit 0 "ls" sp "$A" summary ls rt03
check "ls shows the consent through its last day" contains "$OUT" \
	"consented to hub $HUB through 2027-06-30"
# Editing the definition leaves the consent naming the earlier version.
expect_exit 0 "redefine" sp "$A" summary define rt03 pmks --from cases --count-by category
expect_exit 0 "ls" sp "$A" summary ls rt03
check "the consent is for an earlier version" contains "$OUT" "for an earlier version of the definition: consent again"
expect_exit 0 "withdraw" sp "$A" summary withdraw rt03 pmks --to "$HUB"
expect_exit 3 "withdraw again" sp "$A" summary withdraw rt03 pmks --to "$HUB"
expect_exit 0 "ls" sp "$A" summary ls rt03
check "no consent left" contains "$OUT" "no consent: nothing is published"

# Only an admin: W becomes a writer, not an admin.
sp "$A" community add-writer rt03 "$HUB" >/dev/null
sp "$W" community join "$CID" rt03 >/dev/null
sp "$W" peer add a "$(sp "$A" id)" "127.0.0.1:$(node_port "$A")" \
	--want rt03/households:community >/dev/null
sp "$A" peer add w "$HUB" --offer rt03/households:community >/dev/null
wait_for 20 "W has rt03's charter" sh -c "'$SIMPUL' --data '$W' ls rt03 | grep -q '^\.charter '"
expect_exit 6 "a writer cannot define" sp "$W" summary define rt03 w --from cases --count-by c
expect_exit 6 "a writer cannot consent" sp "$W" summary consent rt03 pmks --to "$HUB"

# rm deletes the definition and withdraws its consents.
expect_exit 0 "consent again" sp "$A" summary consent rt03 pmks --to "$HUB"
expect_exit 0 "rm" sp "$A" summary rm rt03 pmks
expect_exit 0 "ls" sp "$A" summary ls rt03
check "nothing defined" contains "$OUT" "No summaries defined in rt03"
expect_exit 0 "ls --all shows the consent's tombstone" sp "$A" ls rt03 ".consent.$HUB" --all
check "consent deleted" contains "$OUT" "pmks"
expect_exit 3 "rm again" sp "$A" summary rm rt03 pmks

# Publishing: a consented summary is computed from the current records and
# kept up to date (a second after they change), small counts hidden.
MONTH=$(date -u +%Y-%m)
for i in 1 2 3 4 5 6; do sp "$A" put rt03 groups "g$i" --body '{"kind":"arisan"}' >/dev/null; done
sp "$A" put rt03 groups g7 --body '{"kind":"majelis taklim"}' >/dev/null
expect_exit 0 "define groups" sp "$A" summary define rt03 groups --from groups --count-by kind
sleep 1.5   # past the publisher's second
check "nothing published without consent" not sp "$A" get rt03 ".summary.$HUB" "groups/$MONTH"
expect_exit 0 "show groups" sp "$A" summary show rt03 groups
check "show: the exact count of majelis taklim, here" contains "$OUT" "$(printf '  %-28s %10s' 'majelis taklim' 1)"
check "show: what hubs receive hides it" contains "$OUT" "$(printf '  %-28s %10s' 'majelis taklim' 1-6)"
check "show: the total is published" contains "$OUT" "$(printf '  %-28s %10s' total 7)"
expect_exit 3 "show an undefined summary" sp "$A" summary show rt03 nope
expect_exit 0 "consent to groups" sp "$A" summary consent rt03 groups --to "$HUB"
published() { sp "$A" --json get rt03 ".summary.$HUB" "groups/$MONTH" 2>/dev/null | tr -d ' \n'; }
wait_for 10 "the summary is published" sh -c "'$SIMPUL' --data '$A' get rt03 '.summary.$HUB' 'groups/$MONTH'"
check "ls says what the collection is" contains "$(sp "$A" ls rt03)" "summaries published to the hub named after the dot"
check "the rows are the kinds found" contains "$(published)" '"rows":["arisan","majelistaklim"]'
# majelis taklim (1) hidden, and arisan with it (else 7 - 6 gives it away): each 1 to 6.
check "majelis taklim (1) is hidden, and arisan with it" contains "$(published)" '"cells":[[[1,6]],[[1,6]]]'
check "the total is published" contains "$(published)" '"totals":{"all":7,'
for i in 8 9 10 11; do sp "$A" put rt03 groups "g$i" --body '{"kind":"majelis taklim"}' >/dev/null; done
wait_for 10 "the summary follows the records" sh -c "'$SIMPUL' --data '$A' --json get rt03 '.summary.$HUB' 'groups/$MONTH' | tr -d ' \n' | grep -q '\"cells\":\[\[6\],\[5\]\]'"
# W, a writer that holds none of the groups, did not consent: it publishes nothing.
check "the summary is A's, the device that consented" contains "$(published)" "\"author\":\"$(sp "$A" id)\""
expect_exit 0 "withdraw" sp "$A" summary withdraw rt03 groups --to "$HUB"
expect_exit 3 "the summary is withdrawn with its consent" sp "$A" get rt03 ".summary.$HUB" "groups/$MONTH"
finish
