#!/usr/bin/env bash
# Interop: an independent Noise XX implementation (the npm package
# noise-handshake 4.2.0, driven by tests/interop/noise/peer.js) against a
# real simpuld, dialling it and being dialled by it. Each direction must end
# with a transport message from simpuld decrypted on the JS side: the
# production handshake, the Ed25519-derived static keys and the prologue
# interoperate. The packages are installed from the lockfile (npm's cache
# first, else the registry); if they cannot be installed the test fails.
. "$(dirname "$0")/lib.sh"
: "${SP_SRC:?path of the source tree}"

sp() { local dir=$1; shift; "$SIMPUL" --data "$dir" "$@"; }
# The text of a hex string, non-printable bytes dropped.
hex_text() { node -e 'process.stdout.write(Buffer.from(process.argv[1], "hex").toString("latin1").replace(/[^ -~]/g, ""))' "$1"; }
field() { printf '%s\n' "$OUT" | sed -n "s/^$1 //p" | head -1; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	fail "node and npm are needed (contrib/install-deps.sh installs them)"
	finish
fi
# A copy, so that the test neither writes into the source tree nor races another build's run.
JS=$SP_TMP/noise
mkdir -p "$JS"
cp "$SP_SRC"/tests/interop/noise/{package.json,package-lock.json,peer.js} "$JS"/
expect_exit 0 "npm ci installs the pinned packages" \
	npm ci --prefix "$JS" --prefer-offline --no-audit --no-fund --loglevel=error
[ "$SP_FAILED" -eq 0 ] || finish
check "it is noise-handshake 4.2.0" \
	[ "$(node -p 'require(process.argv[1]).version' "$JS/node_modules/noise-handshake/package.json")" = 4.2.0 ]
peer() { node "$JS/peer.js" "$@"; }

SEED=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
JS_ID=$(peer id --seed "$SEED" | sed -n 's/^local_id //p')
V=$(new_node v)
start_node "$V" || exit 1
V_ID=$(sp "$V" id)
ADDR=127.0.0.1:$(node_port "$V")

# peer.js dials simpuld, which knows its node id.
sp "$V" peer add js "$JS_ID" >/dev/null
expect_exit 0 "peer.js dials simpuld and completes the handshake" \
	peer dial "$ADDR" --seed "$SEED" --expect "$V_ID" --recv 1
check "peer.js saw simpuld's node id" [ "$(field remote_id)" = "$V_ID" ]
check "the handshake hash is 64 bytes" matches "$(field hash)" '^[0-9a-f]{128}$'
# A last fragment (00) holding [1, 1, offers, wants]: HELLO, version 1.
check "peer.js decrypted simpuld's HELLO ($(field recv | cut -c1-16)...)" \
	matches "$(field recv)" '^0094010190'
check "simpuld logs the connection" grep -q "peer js: connected (127.0.0.1:[0-9]*, accepted)" "$V.log"

# A peer.js with a node id simpuld does not know: the handshake completes,
# then simpuld says why it refuses, in a transport message.
expect_exit 0 "an unknown peer.js completes the handshake" \
	peer dial "$ADDR" --expect "$V_ID" --recv 1
STRANGER=$(field local_id)
check "it decrypts simpuld's ERROR" matches "$(field recv)" '^009309'
check "the ERROR says: unknown peer" contains "$(hex_text "$(field recv)")" "unknown peer"
check "simpuld logs the refusal" grep -q "peer .*: refused node $STRANGER: not a peer" "$V.log"

# simpuld dials peer.js: peer.js listens, simpuld is given its address.
peer listen 127.0.0.1:0 --seed "$SEED" --expect "$V_ID" --recv 1 --timeout 20000 \
	>"$SP_TMP/listen.out" 2>"$SP_TMP/listen.err" &
LISTENER=$!
SP_PIDS+=("$LISTENER")
wait_for 10 "peer.js listens" grep -q '^listening ' "$SP_TMP/listen.out"
JS_ADDR=$(sed -n 's/^listening //p' "$SP_TMP/listen.out")
sp "$V" peer rm js >/dev/null
sp "$V" peer add js "$JS_ID" "$JS_ADDR" >/dev/null
wait "$LISTENER"
rc=$?
check "peer.js, dialled by simpuld, completes the handshake (exit $rc)" [ "$rc" -eq 0 ]
OUT=$(cat "$SP_TMP/listen.out")
check "peer.js saw simpuld's node id" [ "$(field remote_id)" = "$V_ID" ]
check "peer.js decrypted simpuld's HELLO" matches "$(field recv)" '^0094010190'
check "simpuld logs the connection" grep -q "peer js: connected ($JS_ADDR, dialled)" "$V.log"
finish
