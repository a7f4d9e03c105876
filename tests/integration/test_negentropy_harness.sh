#!/usr/bin/env bash
# tests/interop/negentropy-harness, our reconciler behind the reference
# conformance suite's stdin/stdout line protocol (hoytech/negentropy,
# test/cpp/harness.cpp, driven by test/fuzz.pl):
#   1. two harness processes, a client and a server, talk through named
#      pipes the way fuzz.pl relays them, and converge to exactly the
#      difference of two random sets, with and without frame size limits;
#   2. an independent client, nostr-tools' nip77 (npm), does the same
#      against our server, sending the same bytes as our client;
#   3. a client, ours or nip77, reading a server's frame-limited reply
#      learns everything it lacks (tests/vectors/negentropy/frame-limit-tail),
#      and nip77 never converges on millisecond timestamps;
#   4. a recorded transcript (tests/vectors/negentropy) replayed
#      through the harness in both roles gives the same bytes;
#   5. the version exchange and refusals behave as the reference harness.
. "$(dirname "$0")/lib.sh"

: "${NEG_HARNESS:?path of tests/interop/negentropy-harness}"
VECTORS=${SP_VECTORS:-$SP_SRC/tests/vectors}/negentropy
# A harness that dies must fail a check, not kill this script with SIGPIPE;
# one that hangs fails after WAIT seconds.
trap '' PIPE
WAIT=60

# feed FD FILE...: writes the files to descriptor FD.
feed() {
	local fd=$1
	shift
	timeout "$WAIT" cat "$@" >&"$fd"
}

# gen_sets DIR N P1 P2 SEED [BASE [UNIT]]: N random items, each only the
# client's with probability P1, only the server's with P2, else both's, at
# timestamps BASE + UNIT x [0, N) (as fuzz.pl makes them: BASE 1677970534,
# UNIT 1; keep both multiples of a power of two that leaves them exact in
# awk's doubles). Writes DIR/client, DIR/server (item lines) and the true
# difference, DIR/want_have and DIR/want_need (sorted ids).
gen_sets() {
	awk -v dir="$1" -v n="$2" -v p1="$3" -v p2="$4" -v seed="$5" \
		-v base="${6:-1677970534}" -v unit="${7:-1}" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			id = ""
			for (j = 0; j < 8; j++)
				id = id sprintf("%08x", int(rand() * 4294967296))
			line = "item," sprintf("%.0f", base + unit * int(rand() * n)) "," id
			r = rand()
			if (r < p1) {
				print line > (dir "/client"); print id > (dir "/have")
			} else if (r < p1 + p2) {
				print line > (dir "/server"); print id > (dir "/need")
			} else {
				print line > (dir "/client"); print line > (dir "/server")
			}
		}
	}'
	touch "$1/client" "$1/server" "$1/have" "$1/need"
	sort -u "$1/have" >"$1/want_have"
	sort -u "$1/need" >"$1/want_need"
}

# harness KIND: runs a harness, ours (simpul) or nostr-tools' client (js).
harness() {
	case $1 in
	simpul) "$NEG_HARNESS" ;;
	js) node "$JS/harness.js" ;;
	esac
}

# start_harness DIR NAME LIMIT [KIND]: starts a harness (ours unless KIND
# says js) reading DIR/NAME.in and writing DIR/NAME.out (named pipes) and
# opens them here; the caller's variables W and R get the write and read
# descriptors.
start_harness() {
	local dir=$1 name=$2 limit=$3 kind=${4:-simpul}
	mkfifo "$dir/$name.in" "$dir/$name.out"
	FRAMESIZELIMIT=$limit harness "$kind" <"$dir/$name.in" >"$dir/$name.out" \
		2>"$dir/$name.err" &
	SP_PIDS+=("$!")
	HARNESS_PID=$!
	exec {W}>"$dir/$name.in" {R}<"$dir/$name.out"
}

# session DIR CLIENT_LIMIT SERVER_LIMIT [CLIENT_KIND [FIRST]]: a client
# (ours unless CLIENT_KIND says js) holding the items of DIR/client and our
# server holding DIR/server, relayed until the client is done. Every
# message, in order, goes to DIR/transcript and the reported ids to
# DIR/got_have and DIR/got_need. FIRST, a file with one line of hex,
# replaces the client's first message (any valid v1 message may open a
# session; a client keeps nothing of what it sent). Sets SESSION_DONE (1 if
# the client said done and both harnesses exited 0), SESSION_ROUNDS and
# SESSION_ERR (their stderr). It stops after SESSION_MAX rounds (500).
session() {
	local dir=$1 line reply rounds=0 finished=0 cw cr sw sr cpid spid cst sst
	start_harness "$dir" client "$2" "${4:-simpul}"
	cw=$W cr=$R cpid=$HARNESS_PID
	start_harness "$dir" server "$3"
	sw=$W sr=$R spid=$HARNESS_PID
	feed "$sw" "$dir/server" <(echo seal)
	feed "$cw" "$dir/client" <(printf 'seal\ninitiate\n') &
	: >"$dir/got_have"
	: >"$dir/got_need"
	: >"$dir/transcript"
	while read -r -t "$WAIT" -u "$cr" line; do
		case $line in
		have,*) echo "${line#have,}" >>"$dir/got_have" ;;
		need,*) echo "${line#need,}" >>"$dir/got_need" ;;
		msg,*)
			if [ "$rounds" -eq 0 ] && [ -n "${5:-}" ]; then
				line="msg,$(tr -d '\n' <"$5")"
			fi
			echo "$line" >&"$sw"
			read -r -t "$WAIT" -u "$sr" reply || break
			[[ $reply == msg,* ]] || break
			echo "$reply" >&"$cw"
			printf '%s\n%s\n' "$line" "$reply" >>"$dir/transcript"
			rounds=$((rounds + 1))
			[ "$rounds" -lt "${SESSION_MAX:-500}" ] || break
			;;
		done) finished=1; break ;;
		*) break ;;
		esac
	done
	exec {cw}>&- {sw}>&- {cr}<&- {sr}<&-
	wait "$cpid"; cst=$?
	wait "$spid"; sst=$?
	SESSION_DONE=0
	[ "$finished" -eq 1 ] && [ "$cst" -eq 0 ] && [ "$sst" -eq 0 ] && SESSION_DONE=1
	SESSION_ROUNDS=$rounds
	SESSION_ERR="exits $cst/$sst; $(cat "$dir/client.err" "$dir/server.err")"
}

# found_difference DIR: the session in DIR finished and reported exactly
# DIR/want_have and DIR/want_need (sorted ids).
found_difference() {
	[ "$SESSION_DONE" -eq 1 ] &&
		cmp -s <(sort -u "$1/got_have") "$1/want_have" &&
		cmp -s <(sort -u "$1/got_need") "$1/want_need"
}

# as_recorded GOT WANT: two msg lines are the same, or differ only where
# the reference's frame-limit defect is involved: a message cut at the frame
# size limit closes with a Fingerprint range to infinity (000001 and 16
# bytes), whose fingerprint the reference (and nip77) computes over the
# sender's items from the dropped range's end, and we over ours from the
# last bound written. Only those 16 bytes may differ (test_negentropy
# checks that ours are then the true ones). CLOSING counts such lines.
CLOSING=0
as_recorded() {
	local got=$1 want=$2
	[ "$got" == "$want" ] && return 0
	[ ${#got} -eq ${#want} ] && [ ${#want} -ge 42 ] &&
		[ "${got:0:${#got}-32}" == "${want:0:${#want}-32}" ] &&
		[ "${want:${#want}-38:6}" == 000001 ] || return 1
	CLOSING=$((CLOSING + 1))
}

# transcripts_agree A B: every line of A is as_recorded in B, and no more.
transcripts_agree() {
	local a b
	[ "$(wc -l <"$1")" -eq "$(wc -l <"$2")" ] || return 1
	while read -r a <&3 && read -r b <&4; do
		as_recorded "$a" "$b" || return 1
	done 3<"$1" 4<"$2"
}

# converge NAME N P1 P2 CLIENT_LIMIT SERVER_LIMIT [CLIENT_KIND]: a client
# (ours unless CLIENT_KIND says js) and our server on random sets; the
# messages are kept in $SP_TMP/NAME/transcript.
converge() {
	local name=$1 dir="$SP_TMP/$1"
	mkdir -p "$dir"
	gen_sets "$dir" "$2" "$3" "$4" 7
	session "$dir" "$5" "$6" "${7:-simpul}"
	if found_difference "$dir"; then
		pass "$name: ${7:-simpul} client converged in $SESSION_ROUNDS rounds ($(wc -l <"$dir/want_have") have, $(wc -l <"$dir/want_need") need, limits $5/$6)"
	else
		fail "$name: done=$SESSION_DONE rounds=$SESSION_ROUNDS $SESSION_ERR"
	fi
}

# The sessions: NAME N P1 P2 CLIENT_LIMIT SERVER_LIMIT, as fuzz.pl varies them.
SESSIONS=(
	"small 500 0.1 0.1 0 0"
	"client-only 300 1 0 0 0"
	"server-only 300 0 1 0 0"
	"limits-both 3000 0.15 0.15 4096 4096"
	"limit-server 3000 0.3 0.3 0 4096"
	"limit-client 3000 0.3 0.3 4096 0"
	"large-limits 20000 0.02 0.02 60000 500000"
)
for session in "${SESSIONS[@]}"; do
	# shellcheck disable=SC2086 # the words are the arguments
	converge $session
done

# An independent client: nostr-tools' nip77 (tests/interop/negentropy-js,
# installed from its lockfile) against our server converges, and sends
# byte for byte what our client sends for the same sets, so our server's
# replies are the same too. (nip77 has no server role.)
JS=$SP_TMP/negentropy-js
if command -v node >/dev/null && command -v npm >/dev/null; then
	mkdir -p "$JS"
	cp "$SP_SRC"/tests/interop/negentropy-js/{package.json,package-lock.json,harness.js} "$JS"/
	expect_exit 0 "npm ci installs nostr-tools" \
		npm ci --prefix "$JS" --prefer-offline --no-audit --no-fund --loglevel=error
	check "it is nostr-tools 2.20.0" [ "$(node -p 'require(process.argv[1]).version' \
		"$JS/node_modules/nostr-tools/package.json")" = 2.20.0 ]
else
	fail "node and npm are needed (contrib/install-deps.sh installs them)"
fi
# js_converge NAME ARGS...: converge NAME-js with the JS client and the
# same sets as NAME (already run with ours), and compare the transcripts:
# byte for byte but for the closing fingerprints of the JS client's
# frame-limited messages (nip77 has the reference's defect; as_recorded).
js_converge() {
	local name=$1
	shift
	converge "$name-js" "$@" js
	CLOSING=0
	if transcripts_agree "$SP_TMP/$name-js/transcript" "$SP_TMP/$name/transcript"; then
		pass "$name: the JS client's session is ours byte for byte ($(wc -l <"$SP_TMP/$name/transcript") messages) but for $CLOSING closing fingerprints"
	else
		fail "$name: the JS client's session is not ours"
	fi
}
for session in "${SESSIONS[@]}"; do
	# shellcheck disable=SC2086
	js_converge $session
done
dir="$SP_TMP/js-refusals"
mkdir -p "$dir"
printf 'seal\nmsg,6100000200\n' | harness js >/dev/null 2>"$dir/err"
check "the JS harness refuses the server role it does not have" \
	grep -q 'no server role' "$dir/err"

# nip77 agrees with our client only below 2^31: its varint code works on
# 32-bit signed integers (as the reference JS does), so it garbles larger
# timestamps and never converges on simpul's: hybrid logical clock values,
# milliseconds since 1970 shifted left 16 bits (about 2^56), or even plain
# milliseconds (about 1.7e12). 50 rounds against our server and nothing
# learnt, where our client on the same sets is done in a few.
# nip77_on_timestamps NAME BASE UNIT
nip77_on_timestamps() {
	local dir="$SP_TMP/$1"
	mkdir -p "$dir"
	gen_sets "$dir" 3000 0.1 0.1 7 "$2" "$3"
	session "$dir" 0 0
	check "on $1 timestamps our client converges ($SESSION_ROUNDS rounds)" found_difference "$dir"
	SESSION_MAX=50 session "$dir" 0 0 js
	check "on $1 timestamps nip77 is not done after $SESSION_ROUNDS rounds and has learnt nothing" \
		[ "$SESSION_DONE" -eq 0 -a "$SESSION_ROUNDS" -eq 50 -a ! -s "$dir/got_have" -a ! -s "$dir/got_need" ]
}
nip77_on_timestamps hlc $((1700000000000 << 16)) 65536
nip77_on_timestamps millisecond 1700000000000 1

# tests/vectors/negentropy/frame-limit-tail (see its README): a client
# holding the first 112 of the server's 2,000 items opens with
# client-message.hex, and the server's reply is cut at the 4096-byte limit.
# The client, ours or nip77, must go on until it has learnt the server's
# other 1,888 ids; the reference server's reply makes it finish at once.
tail_case() {
	local kind=$1 dir="$SP_TMP/tail-$1" vec="$VECTORS/frame-limit-tail"
	mkdir -p "$dir"
	cp "$vec/client.items" "$dir/client"
	cp "$vec/server.items" "$dir/server"
	comm -23 <(cut -d, -f3 "$dir/client" | sort) <(cut -d, -f3 "$dir/server" | sort) \
		>"$dir/want_have"
	comm -13 <(cut -d, -f3 "$dir/client" | sort) <(cut -d, -f3 "$dir/server" | sort) \
		>"$dir/want_need"
	session "$dir" 4096 4096 "$kind" "$vec/client-message.hex"
	CLOSING=0
	check "frame-limit-tail: our server's reply is the reference's but for the closing fingerprint" \
		as_recorded "$(sed -n 2p "$dir/transcript")" "msg,$(tr -d '\n' <"$vec/server-reply-reference.hex")"
	check "frame-limit-tail: ... which differs" [ "$CLOSING" -eq 1 ]
	if found_difference "$dir"; then
		pass "frame-limit-tail: the $kind client learnt the $(wc -l <"$dir/want_need") ids it lacks in $SESSION_ROUNDS rounds"
	else
		fail "frame-limit-tail: the $kind client: done=$SESSION_DONE rounds=$SESSION_ROUNDS, $(sort -u "$dir/got_need" | wc -l) of $(wc -l <"$dir/want_need") ids learnt; $SESSION_ERR"
	fi
}
tail_case simpul
tail_case js

# split_transcript FILE DIR: the transcript as files the replay reads:
# items, limits, and per round k the messages cK, sK and the sorted
# have/need hK, nK.
split_transcript() {
	perl -MJSON::PP -e '
		my ($file, $dir) = @ARGV;
		open(my $in, "<", $file) or die "$file: $!";
		my $t = decode_json(do { local $/; <$in> });
		sub put {
			my ($name, @lines) = @_;
			open(my $f, ">", "$dir/$name") or die "$dir/$name: $!";
			print $f map { "$_\n" } @lines;
			close($f) or die;
		}
		put("client_items", map { "item,$_->[0],$_->[1]" } @{$t->{client_items}});
		put("server_items", map { "item,$_->[0],$_->[1]" } @{$t->{server_items}});
		put("limits", $t->{client_frame_size_limit}, $t->{server_frame_size_limit});
		my $k = 0;
		for my $r (@{$t->{rounds}}) {
			put("c$k", "msg,$r->{client_msg}");
			put("s$k", "msg,$r->{server_msg}");
			put("h$k", sort @{$r->{client_have}});
			put("n$k", sort @{$r->{client_need}});
			$k++;
		}
		put("rounds", $k);
	' "$1" "$2"
}

# replay NAME CLOSING_C CLOSING_S: the transcript NAME through a client and
# a server harness. CLOSING_C of our client's messages and CLOSING_S of our
# server's must differ from the reference's in their closing fingerprint
# (as_recorded; test_negentropy finds the same numbers), the rest not at all.
replay() {
	local name=$1 dir="$SP_TMP/replay-$1" climit slimit rounds k line why=""
	mkdir -p "$dir"
	if ! split_transcript "$VECTORS/transcripts/$name.json" "$dir"; then
		fail "$name: cannot read the transcript (tests/vectors is part of the suite)"
		return
	fi
	{ read -r climit; read -r slimit; } <"$dir/limits"
	rounds=$(cat "$dir/rounds")

	# Client role: our messages and have/need, round by round.
	CLOSING=0
	start_harness "$dir" client "$climit"
	feed "$W" "$dir/client_items" <(printf 'seal\ninitiate\n') &
	read -r -t "$WAIT" -u "$R" line
	[ "$line" == "$(cat "$dir/c0")" ] || why="initiate differs"
	for ((k = 0; k < rounds; k++)); do
		[ -z "$why" ] || break
		feed "$W" "$dir/s$k"
		: >"$dir/have"
		: >"$dir/need"
		while read -r -t "$WAIT" -u "$R" line; do
			case $line in
			have,*) echo "${line#have,}" >>"$dir/have" ;;
			need,*) echo "${line#need,}" >>"$dir/need" ;;
			*) break ;;
			esac
		done
		cmp -s <(sort -u "$dir/have") <(sort -u "$dir/h$k") || why="round $k: have differs"
		cmp -s <(sort -u "$dir/need") <(sort -u "$dir/n$k") || why="round $k: need differs"
		if [ $((k + 1)) -lt "$rounds" ]; then
			as_recorded "$line" "$(cat "$dir/c$((k + 1))")" || why="round $k: reply differs"
		else
			[ "$line" == done ] || why="round $k: done expected"
		fi
	done
	exec {W}>&- {R}<&-
	wait "$HARNESS_PID" || why=${why:-"exit status $?"}
	[ "$CLOSING" -eq "$2" ] || why=${why:-"$CLOSING closing fingerprints differ, not $2"}
	if [ -z "$why" ]; then
		pass "$name: client role, $rounds rounds byte for byte but $2 closing fingerprints (frame limit $climit)"
	else
		fail "$name: client role: $why"
	fi

	# Server role: our reply to each recorded client message.
	why=""
	CLOSING=0
	start_harness "$dir" server "$slimit"
	feed "$W" "$dir/server_items" <(echo seal)
	for ((k = 0; k < rounds; k++)); do
		[ -z "$why" ] || break
		feed "$W" "$dir/c$k"
		read -r -t "$WAIT" -u "$R" line
		as_recorded "$line" "$(cat "$dir/s$k")" || why="round $k: reply differs"
	done
	exec {W}>&- {R}<&-
	wait "$HARNESS_PID" || why=${why:-"exit status $?"}
	[ "$CLOSING" -eq "$3" ] || why=${why:-"$CLOSING closing fingerprints differ, not $3"}
	if [ -z "$why" ]; then
		pass "$name: server role, $rounds rounds byte for byte but $3 closing fingerprints (frame limit $slimit)"
	else
		fail "$name: server role: $why"
	fi
}

replay frame_limit_both_4096 12 20

# One item, as test/protoversion.pl: v1 gets an answer, an unknown version
# the bare version byte, and the same server then answers v1 again.
dir="$SP_TMP/protoversion"
mkdir -p "$dir"
printf '%s\n' "item,12345,$(printf 'ee%.0s' {1..32})" seal msg,6100000200 \
	msg,62aabbccddeeff msg,6100000200 | "$NEG_HARNESS" >"$dir/out" 2>"$dir/err"
check "protoversion: v1 answered, v2 gets 61, v1 again" cmp -s "$dir/out" <(printf '%s\n' \
	"msg,6100000201$(printf 'ee%.0s' {1..32})" msg,61 \
	"msg,6100000201$(printf 'ee%.0s' {1..32})")

# Like the reference harness, errors end the program with a message.
printf 'seal\nmsg,61ff\n' | "$NEG_HARNESS" >/dev/null 2>"$dir/err"
check "a malformed message ends the harness with an error" \
	test "$?" -ne 0 -a -s "$dir/err"
printf 'frobnicate\n' | "$NEG_HARNESS" >/dev/null 2>"$dir/err"
check "an unknown command ends the harness with an error" \
	test "$?" -ne 0 -a -s "$dir/err"
FRAMESIZELIMIT=100 "$NEG_HARNESS" >/dev/null 2>&1 <<<seal
check "a frame size limit under 4096 is refused" test "$?" -ne 0

finish
