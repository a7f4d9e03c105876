#!/usr/bin/env bash
# Every CLI command against a real simpuld, including the issue's
# acceptance scenario, bad arguments and exit codes.
. "$(dirname "$0")/lib.sh"

export SIMPUL_DATA="$SP_TMP/n"
sp() { "$SIMPUL" "$@"; }

expect_exit 4 "status before init says to run init" sp status
check "the error says how to initialise" contains "$ERR" "simpul init"
expect_exit 0 "init" sp init
check "data directory is 0700" [ "$(stat -c %a "$SIMPUL_DATA")" = 700 ]
check "node key is 0600" [ "$(stat -c %a "$SIMPUL_DATA/node.key")" = 600 ]
expect_exit 5 "init twice is refused" sp init
expect_exit 0 "id" sp id
NODE_ID=$OUT
check "id is 52 lowercase base32 characters" matches "$NODE_ID" '^[a-z2-7]{52}$'
expect_exit 4 "put without a daemon says how to start it" sp put rt03 households h-001 --body '{}'
check "the error names simpuld" contains "$ERR" "simpuld"

start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
check "control socket is 0600" [ "$(stat -c %a "$SIMPUL_DATA/simpuld.sock")" = 600 ]
expect_exit 7 "a second simpuld on the same directory exits" "$SIMPULD" --data "$SIMPUL_DATA"
check "it says another simpuld is running" contains "$ERR" "another simpuld"

expect_exit 0 "community create rt03" sp community create rt03
check "community key is 0600" [ "$(stat -c %a "$SIMPUL_DATA"/communities/*.key)" = 600 ]
expect_exit 5 "community create with a taken alias" sp community create rt03
check "the error says where to look" contains "$ERR" "see 'simpul community ls'"
expect_exit 5 "community create with a bad alias" sp community create 'RT 03'
expect_exit 0 "community ls" sp community ls
check "ls shows rt03 as admin" contains "$OUT" "admin"
expect_exit 0 "community ls --json" sp community ls --json
COMMUNITY_ID=$(echo "$OUT" | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p' | head -1)
check "community id is base32" matches "$COMMUNITY_ID" '^[a-z2-7]{52}$'

# The acceptance scenario.
expect_exit 0 "put h-001" sp put rt03 households h-001 --body '{"head":"Siti Aminah","members":4}'
check "put prints the record id" matches "$OUT" '^[a-z2-7]{52}$'
expect_exit 0 "get --json" sp get rt03 households h-001 --json
check "get prints the body back" contains "$OUT" '"head": "Siti Aminah"'
check "get keeps the integer" contains "$OUT" '"members": 4'
expect_exit 5 "put with bad JSON" sp put rt03 households h-002 --body '{bad'
check "the error names the JSON problem" contains "$ERR" "line 1"
expect_exit 3 "nothing was stored for h-002" sp get rt03 households h-002
check "the error says the key is unknown and how to list keys" contains "$ERR" "no such key in this collection (see 'simpul ls"
expect_exit 0 "get by community id" sp get "$COMMUNITY_ID" households h-001

# Every other command and its errors.
expect_exit 0 "16-digit ID numbers survive" sp put rt03 people p-1 --body '{"nik":3171234567890123,"phone":"081234567890"}'
expect_exit 0 "get p-1" sp get rt03 people p-1 --json
check "nik is exact" contains "$OUT" '3171234567890123'
echo '{"head":"Budi","members":2}' > "$SP_TMP/body.json"
expect_exit 0 "put --body-file" sp put rt03 households h-003 --body-file "$SP_TMP/body.json" --label shared
expect_exit 5 "narrowing a label in place is refused" sp put rt03 households h-003 --body '{}' --label community
check "the error says to erase and re-create" contains "$ERR" "erase"
expect_exit 0 "widening a label is fine" sp put rt03 households h-003 --body '{"members":3}' --label public
expect_exit 5 "duplicate JSON keys are refused" sp put rt03 households h-004 --body '{"a":1,"a":2}'
expect_exit 5 "a top-level array is refused" sp put rt03 households h-004 --body '[1]'
expect_exit 5 "a reserved collection is refused" sp put rt03 .charter x --body '{}'
expect_exit 5 "a bad label is refused" sp put rt03 households h-004 --body '{}' --label secret
expect_exit 3 "an unknown community" sp put rt99 households h-004 --body '{}'
expect_exit 2 "put without a body" sp put rt03 households h-004
# A directory where a file should be is no bad input (5) but an "other
# error" (1), as the operating system's EISDIR would be.
expect_exit 1 "put with a directory as --body-file" sp put rt03 households h-004 --body-file "$SP_TMP"
check "the error says it is not a file" contains "$ERR" "not a regular file: $SP_TMP"
expect_exit 1 "import of a directory" sp import rt03 households "$SP_TMP" --key-column id
check "the import error says so too" contains "$ERR" "not a regular file: $SP_TMP"
expect_exit 1 "import-key of a directory" sp community import-key "$SP_TMP" rt04
check "the import-key error says so too" contains "$ERR" "not a regular file: $SP_TMP"
expect_exit 2 "put with both bodies" sp put rt03 households h-004 --body '{}' --body-file x
expect_exit 2 "an option that is not put's" sp put rt03 households h-004 --body '{}' --admin
expect_exit 2 "an unknown command" sp frobnicate
expect_exit 2 "an unknown option" sp ls rt03 --frob
expect_exit 2 "too many arguments" sp get rt03 households h-001 extra
expect_exit 0 "ls collections" sp ls rt03
check "ls lists households" contains "$OUT" "households"
check "ls says what a system collection is" contains "$OUT" "the community's charter: its writers and admins"
expect_exit 0 "ls keys" sp ls rt03 households
check "ls lists h-001 and h-003" contains "$OUT" "h-003"
expect_exit 0 "rm h-003" sp rm rt03 households h-003
expect_exit 3 "get after rm" sp get rt03 households h-003
expect_exit 3 "rm twice" sp rm rt03 households h-003
check "rm of a deleted key says so" contains "$ERR" "no such key"
expect_exit 0 "ls --all shows the tombstone" sp ls rt03 households --all
check "marked deleted" contains "$OUT" "deleted"
expect_exit 0 "erase h-001" sp erase rt03 households h-001
expect_exit 3 "get after erase" sp get rt03 households h-001
expect_exit 0 "a key can be re-created after erase" sp put rt03 households h-001 --body '{"members":1}' --label private

# Writers and the charter.
OTHER=$(new_node other) || exit 1
OTHER_ID=$("$SIMPUL" --data "$OTHER" id)
expect_exit 5 "add-writer with a bad id" sp community add-writer rt03 not-an-id
expect_exit 0 "add-writer" sp community add-writer rt03 "$OTHER_ID"
expect_exit 0 "community ls shows 2 writers" sp community ls --json
check "two writers" contains "$OUT" '"writers": 2'
expect_exit 0 "add-writer --admin" sp community add-writer rt03 "$OTHER_ID" --admin
expect_exit 0 "remove-writer" sp community remove-writer rt03 "$OTHER_ID"
expect_exit 3 "removing a non-member" sp community remove-writer rt03 "$OTHER_ID"
expect_exit 6 "removing the last admin is refused" sp community remove-writer rt03 "$NODE_ID"

# Key backup, and a second device joining.
expect_exit 0 "export-key" sh -c "echo 'kata sandi rahasia' | '$SIMPUL' community export-key rt03 '$SP_TMP/rt03.key'"
check "exported key file is 0600" [ "$(stat -c %a "$SP_TMP/rt03.key")" = 600 ]
check "the key file holds no plain secret" [ "$(od -An -tx1 "$SP_TMP/rt03.key" | wc -l)" -gt 0 ]
start_node "$OTHER" || exit 1
OPID=$SP_LAST_PID
expect_exit 0 "join on the second device" "$SIMPUL" --data "$OTHER" community join "$COMMUNITY_ID" rt03
expect_exit 0 "ls there shows it pending" "$SIMPUL" --data "$OTHER" community ls
check "pending until the charter arrives" contains "$OUT" "pending"
expect_exit 3 "a put there waits for the charter" "$SIMPUL" --data "$OTHER" put rt03 households h-9 --body '{}'
expect_exit 6 "import-key with a wrong passphrase" sh -c "echo wrong | '$SIMPUL' --data '$OTHER' community import-key '$SP_TMP/rt03.key'"
expect_exit 0 "import-key" sh -c "echo 'kata sandi rahasia' | '$SIMPUL' --data '$OTHER' community import-key '$SP_TMP/rt03.key'"
expect_exit 0 "ls shows the key held" "$SIMPUL" --data "$OTHER" community ls --json
check "has_key" contains "$OUT" '"has_key": true'
stop_node "$OPID"

# Peers: every bad argument is named and nothing is stored.
expect_exit 2 "peer add without a node id" sp peer add rw07
expect_exit 5 "peer add with a bad node id" sp peer add rw07 not-an-id
check "the error names the id" contains "$ERR" "not-an-id"
expect_exit 5 "peer add with this node's own id" sp peer add rw07 "$NODE_ID"
expect_exit 5 "peer add with a bad name" sp peer add rw/07 "$OTHER_ID"
expect_exit 5 "peer add with an address without a port" sp peer add rw07 "$OTHER_ID" nohost
check "the error says HOST:PORT" contains "$ERR" "HOST:PORT"
expect_exit 5 "peer add with a port out of range" sp peer add rw07 "$OTHER_ID" 127.0.0.1:99999
expect_exit 5 "peer add with a SPEC without labels" sp peer add rw07 "$OTHER_ID" --offer rt03/households
check "the error shows how a SPEC is written" contains "$ERR" "COMMUNITY/COLLECTION:LABEL"
expect_exit 5 "peer add with an unknown label" sp peer add rw07 "$OTHER_ID" --want 'rt03/*:secret'
expect_exit 5 "peer add with a bad collection" sp peer add rw07 "$OTHER_ID" --offer rt03/Rumah:shared
expect_exit 3 "peer add with an unknown community" sp peer add rw07 "$OTHER_ID" --want 'rt99/*:shared'
check "the error names the community" contains "$ERR" "community 'rt99'"
expect_exit 0 "no peer was stored by any of them" sp peer ls --json
check "the peer list is empty" contains "$OUT" '"peers": []'
expect_exit 0 "peer add" sp peer add rw07 "$OTHER_ID" 127.0.0.1:1 \
	--offer 'rt03/kegiatan:shared' --want 'rt03/*:shared,public'
expect_exit 5 "a second peer with the same name" sp peer add rw07 "$OTHER_ID"
expect_exit 5 "a second peer with the same node id" sp peer add rw08 "$OTHER_ID"
expect_exit 3 "peer rm of an unknown peer" sp peer rm nobody
check "the error says there is no such peer" contains "$ERR" "no such peer"
expect_exit 3 "peer sync of an unknown peer" sp peer sync nobody
check "peer sync says so too" contains "$ERR" "no such peer"
expect_exit 0 "peer sync dials at once" sp peer sync rw07

# kill -9 right after an acknowledged put: the record survives.
expect_exit 0 "put before the crash" sp put rt03 households h-010 --body '{"members":5}'
crash_node "$DPID"
expect_exit 4 "daemon gone" sp status
start_node "$SIMPUL_DATA" || exit 1
DPID=$SP_LAST_PID
expect_exit 0 "ls after kill -9 and restart" sp ls rt03 households
check "h-010 survived" contains "$OUT" "h-010"
check "h-001 survived" contains "$OUT" "h-001"
expect_exit 0 "peer ls after kill -9 and restart" sp peer ls --json
check "the peer survived" contains "$OUT" '"name": "rw07"'
check "its offer survived" contains "$OUT" '"rt03/kegiatan:shared"'
check "its want survived" contains "$OUT" '"rt03/*:shared,public"'
check "it is redialled (nothing listens there)" matches "$OUT" '"state": "(connecting|backoff)"'
expect_exit 0 "peer rm" sp peer rm rw07
expect_exit 0 "peer ls" sp peer ls --json
check "the peer is gone" contains "$OUT" '"peers": []'

expect_exit 0 "status" sp status
check "status shows the node id" contains "$OUT" "$NODE_ID"
expect_exit 0 "status --json" sp status --json
check "status --json has records" contains "$OUT" '"records"'
expect_exit 0 "stop" sp stop
wait "$DPID" 2>/dev/null
check "simpuld exited after stop" [ "$(kill -0 "$DPID" 2>/dev/null; echo $?)" != 0 ]
check "the control socket is gone" [ ! -e "$SIMPUL_DATA/simpuld.sock" ]

# An exposed or damaged node key is refused, naming the file, and nothing is created.
K=$(new_node keys) || exit 1
chmod 644 "$K/node.key"
expect_exit 1 "simpuld refuses a node key others can read" "$SIMPULD" --data "$K" --listen none
check "it names the file and says to chmod 600" \
	contains "$ERR" "$K/node.key: key file readable by other users: make it private (chmod 600"
expect_exit 6 "simpul id refuses it too" "$SIMPUL" --data "$K" id
check "naming the file" contains "$ERR" "$K/node.key"
chmod 600 "$K/node.key"
head -c 10 "$K/node.key" >"$SP_TMP/short.key"
cat "$SP_TMP/short.key" >"$K/node.key"
expect_exit 1 "simpuld refuses a truncated node key" "$SIMPULD" --data "$K" --listen none
check "it says the key file is damaged" contains "$ERR" "$K/node.key: key file has the wrong size"
check "no store was created" [ ! -e "$K/store" ]
finish
