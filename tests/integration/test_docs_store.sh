#!/usr/bin/env bash
# docs/STORE.md, "Schema versions and migrations", as simpuld lives it: a
# store of a schema this simpul cannot open (newer: SP_ESCHEMA; older than
# its migrations lead from: SP_ESCHEMA_OLD) stops simpuld with exit 1 and
# the line "cannot open the store: WHY" saying which versions, and leaves
# the data file byte for byte as it was.
. "$(dirname "$0")/lib.sh"

SIMPUL_DATA=$(new_node store) || exit 1
start_node "$SIMPUL_DATA" --listen none || exit 1
stop_node "$SP_LAST_PID"
MDB=$SIMPUL_DATA/store/data.mdb

# set_schema N: rewrites meta["schema"] in place. LMDB keeps no checksum,
# so the 8-byte big-endian value after the key's leaf node header (data
# size 8, flags 0, key size 6, "schema") can be changed on disk; every
# copy is, the meta pages may reach either.
set_schema() {
	perl -0777 -pi -e 's/(\x08\x00\x00\x00\x00\x00\x06\x00schema).{8}/$1 . pack("Q>", '"$1"')/sge' "$MDB"
}
schema_is() {
	[ "$(perl -0777 -ne 'print unpack("Q>", $1) if /\x08\x00\x00\x00\x00\x00\x06\x00schema(.{8})/s' "$MDB")" = "$1" ]
}

quiet() { "$@" >/dev/null; }

check "the new store has schema 1" schema_is 1

set_schema 99
check "the store now says schema 99" schema_is 99
cp "$MDB" "$SP_TMP/before.mdb"
expect_exit 1 "simpuld refuses a store of a newer schema" "$SIMPULD" --data "$SIMPUL_DATA" --listen none
check "it logs which versions" contains "$ERR" "cannot open the store: the store in $SIMPUL_DATA/store has schema 99, written by a newer simpul; this one reads schema 1 and older: upgrade simpul"
check "the data file is unchanged" cmp -s "$MDB" "$SP_TMP/before.mdb"

set_schema 0
cp "$MDB" "$SP_TMP/before.mdb"
expect_exit 1 "simpuld refuses a store older than its migrations lead from" "$SIMPULD" --data "$SIMPUL_DATA" --listen none
check "it logs which versions" contains "$ERR" "cannot open the store: the store in $SIMPUL_DATA/store has schema 0, which this simpul (schema 1) cannot upgrade: it upgrades schema 1 and later"
check "and says SP_ESCHEMA_OLD's message" contains "$ERR" "schema too old for this simpul to upgrade"
check "the data file is unchanged" cmp -s "$MDB" "$SP_TMP/before.mdb"

set_schema 1
start_node "$SIMPUL_DATA" --listen none || exit 1
check "back at schema 1 it opens" quiet "$SIMPUL" --data "$SIMPUL_DATA" status
stop_node "$SP_LAST_PID"
finish
