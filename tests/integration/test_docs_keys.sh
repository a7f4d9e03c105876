#!/usr/bin/env bash
# docs/FORMAT.md, "Key files": the node key file's bytes, its mode, and
# what simpul and simpuld do with one that is exposed or damaged (the
# wrong size, or halves that no longer belong together).
. "$(dirname "$0")/lib.sh"

# id_of FILE: the node id a key file holds (its last 32 bytes) as FORMAT.md
# section 6 writes ids: base32, lower case, no padding.
id_of() { tail -c 32 "$1" | base32 -w0 | tr -d '=' | tr 'A-Z' 'a-z'; }
mode_of() { stat -c %a "$1"; }
size_of() { stat -c %s "$1"; }
# flip_byte FILE OFFSET: changes that byte (its lowest bit) in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# simpul init, even under a umask that would leave everything open.
N=$SP_TMP/n
(umask 000 && "$SIMPUL" --data "$N" init >/dev/null)
K=$N/node.key
check "node.key holds 64 bytes" [ "$(size_of "$K")" = 64 ]
check "node.key is 0600 whatever the umask" [ "$(mode_of "$K")" = 600 ]
check "the data directory is 0700" [ "$(mode_of "$N")" = 700 ]
check "communities/ is 0700" [ "$(mode_of "$N/communities")" = 700 ]
expect_exit 0 "simpul id" "$SIMPUL" --data "$N" id
check "the node id is the file's last 32 bytes" [ "$OUT" = "$(id_of "$K")" ]
cp "$K" "$SP_TMP/good.key"
expect_exit 5 "init again is refused" "$SIMPUL" --data "$N" init
check "saying there is a key already" contains "$ERR" "this data directory already has a node key"
check "the key is untouched" cmp -s "$K" "$SP_TMP/good.key"

# Exposed: any bit for group or others (the owner's own bits do not matter).
for m in 640 604 620 602 610 601 644; do
	chmod "$m" "$K"
	expect_exit 6 "simpul refuses node.key at mode $m" "$SIMPUL" --data "$N" --json id
	check "as SP_EKEYMODE" contains "$OUT" "\"error\": \"SP_EKEYMODE\""
	check "naming the file" contains "$OUT" "\"detail\": \"$K\""
done
chmod 700 "$K"
expect_exit 0 "0700 is accepted" "$SIMPUL" --data "$N" id
chmod 600 "$K"
expect_exit 0 "0600 again: accepted" "$SIMPUL" --data "$N" id
mv "$K" "$SP_TMP/moved.key"
ln -s "$SP_TMP/moved.key" "$K"
expect_exit 0 "a symbolic link to the key is followed" "$SIMPUL" --data "$N" id
check "to the same id" [ "$OUT" = "$(id_of "$SP_TMP/good.key")" ]
rm "$K"
mkdir "$K"
expect_exit 1 "simpul refuses a directory in its place" "$SIMPUL" --data "$N" --json id
check "as SP_ENOTFILE" contains "$OUT" "\"error\": \"SP_ENOTFILE\""
check "naming the file" contains "$OUT" "\"detail\": \"$K\""
expect_exit 1 "simpuld refuses it too" "$SIMPULD" --data "$N" --listen none
check "naming the file" contains "$ERR" "$K: not a regular file"
rmdir "$K"
mv "$SP_TMP/moved.key" "$K"

# Damaged: any other size.
for n in 0 32 63 65 96; do
	cat "$SP_TMP/good.key" "$SP_TMP/good.key" | head -c "$n" >"$K"
	expect_exit 1 "simpul refuses a node.key of $n bytes" "$SIMPUL" --data "$N" --json id
	check "as SP_EKEYSIZE" contains "$OUT" "\"error\": \"SP_EKEYSIZE\""
done
expect_exit 1 "simpuld refuses a node.key of 96 bytes" "$SIMPULD" --data "$N" --listen none
check "naming the file" contains "$ERR" "$K: key file has the wrong size"
cp "$SP_TMP/good.key" "$K"

# Damaged within its 64 bytes: a changed byte of the public half (the
# id) or of the seed, and the halves no longer belong together. Both
# programs refuse the key, naming the file.
for at in 63 32 31 0; do
	cp "$SP_TMP/good.key" "$K"
	flip_byte "$K" "$at"
	expect_exit 1 "simpul refuses a node.key with byte $at changed" "$SIMPUL" --data "$N" --json id
	check "as SP_EKEYPAIR" contains "$OUT" "\"error\": \"SP_EKEYPAIR\""
	check "naming the file" contains "$OUT" "\"detail\": \"$K\""
done
expect_exit 1 "simpuld refuses a node.key whose seed changed" "$SIMPULD" --data "$N" --listen none
check "naming the file" contains "$ERR" "$K: key file is damaged: its public half is not the key of its secret half"
cp "$SP_TMP/good.key" "$K"
expect_exit 0 "the key restored is accepted again" "$SIMPUL" --data "$N" id
check "with its id" [ "$OUT" = "$(id_of "$SP_TMP/good.key")" ]

# A community key file: the same layout, named by its public half, and
# refused in the same way when its halves no longer belong together.
B=$(new_node b) || exit 1
start_node "$B" || exit 1
BPID=$SP_LAST_PID
"$SIMPUL" --data "$B" community create rt03 >/dev/null
CK=$(ls "$B"/communities/*.key)
check "a community key file holds 64 bytes" [ "$(size_of "$CK")" = 64 ]
check "and is 0600" [ "$(mode_of "$CK")" = 600 ]
check "its name is the id its last 32 bytes make" [ "$(basename "$CK" .key)" = "$(id_of "$CK")" ]
cp "$CK" "$SP_TMP/community.key"
flip_byte "$CK" 5
expect_exit 1 "add-writer refuses a community key whose seed changed" \
	"$SIMPUL" --data "$B" --json community add-writer rt03 "$(id_of "$SP_TMP/good.key")"
check "as SP_EKEYPAIR" contains "$OUT" "\"error\": \"SP_EKEYPAIR\""
expect_exit 1 "export-key refuses it too" \
	sh -c 'echo pw | "$1" --data "$2" --json community export-key rt03 "$3"' sh "$SIMPUL" "$B" "$SP_TMP/rt03.export"
check "as SP_EKEYPAIR" contains "$OUT" "\"error\": \"SP_EKEYPAIR\""
check "and writes no export file" not [ -e "$SP_TMP/rt03.export" ]
cp "$SP_TMP/community.key" "$CK"
expect_exit 0 "the key restored signs again" \
	"$SIMPUL" --data "$B" community add-writer rt03 "$(id_of "$SP_TMP/good.key")"
stop_node "$BPID"

# The network key file: 32 bytes, read by the same rules.
cp "$SP_TMP/good.key" "$K"
head -c 31 /dev/urandom >"$SP_TMP/net.key"
chmod 600 "$SP_TMP/net.key"
expect_exit 1 "simpuld refuses a network key of 31 bytes" \
	"$SIMPULD" --data "$N" --listen none --network-key "$SP_TMP/net.key"
check "saying it must hold 32" contains "$ERR" "$SP_TMP/net.key: bad network key file: it must hold exactly 32 bytes"
head -c 32 /dev/urandom >"$SP_TMP/net.key"
chmod 640 "$SP_TMP/net.key"
expect_exit 1 "simpuld refuses a network key others can read" \
	"$SIMPULD" --data "$N" --listen none --network-key "$SP_TMP/net.key"
check "saying so" contains "$ERR" "$SP_TMP/net.key: key file readable by other users"
finish
