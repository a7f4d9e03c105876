#!/usr/bin/env bash
# docs/PROTOCOL.md, "Timers and limits": simpuld keeps at most 16 accepted
# connections in their handshake in all (4 per source address is
# test_peer's and test_adversarial's). 20 silent connections from five
# loopback addresses, four each, one after the other: the 17th to 20th
# each close the oldest unfinished handshake of all, so the first four
# (all from the first address) are closed at once and the other 16 are
# held until the handshake timeout; the log says why, once as a warning
# and the rest at debug level.
. "$(dirname "$0")/lib.sh"

quiet() { "$@" >/dev/null; }

N=$(new_node n) || exit 1
start_node "$N" || exit 1
PORT=$(node_port "$N")

# Opens the connections 50 ms apart, waits 2 s (the handshake timeout is
# 10 s), then prints the indexes of those the node closed, one a line.
python3 - "$PORT" >"$SP_TMP/closed" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
conns = []
for host in range(2, 7):
    for _ in range(4):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.%d" % host, 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        conns.append(s)
        time.sleep(0.05)
time.sleep(2)
for i, s in enumerate(conns):
    try:
        closed = s.recv(1) == b""
    except BlockingIOError:
        closed = False
    except OSError:
        closed = True
    if closed:
        print(i)
EOF
check "the four oldest handshakes were closed, the other 16 held" \
	[ "$(tr '\n' ' ' <"$SP_TMP/closed")" = "0 1 2 3 " ]
# Rate-limited ("Logs"): the first as a warning saying so, the other three
# at debug level (start_node logs at debug).
evictions() { grep -c "$1.*unfinished handshake dropped for a newer one (at most 16 at once)" "$N.log"; }
check "the log says why, once as a warning" [ "$(evictions WARN)" = 1 ]
check "in the line for the first of a period" grep -q "WARN.*(at most 16 at once) (unfinished handshakes dropped for newer ones are logged once per 10 s, every one at debug level)" "$N.log"
check "the others at debug level" [ "$(evictions DEBUG)" = 3 ]
check "simpuld answers meanwhile" quiet "$SIMPUL" --data "$N" status
stop_node "$SP_LAST_PID"
finish
