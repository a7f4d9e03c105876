#!/usr/bin/env bash
# include-graph.sh DIR: prints the include graph of the modules in DIR, one
# "module -> module" edge a line, and exits 1 if it has a cycle (naming the
# modules in it), 2 on a usage error, 0 otherwise.
#
# A module is X.c with X.h. Its edges are the quoted #includes of both files
# that name a header in DIR itself ("Y.h" makes the edge X -> Y); headers
# from elsewhere cannot close a cycle inside DIR and are left out.
set -u

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=${1%/}

edges() {
	local f from to
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -e "$f" ] || continue
		from=$(basename "$f")
		from=${from%.*}
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"/]*\)\.h".*/\1/p' "$f" |
		while read -r to; do
			if [ "$to" != "$from" ] && [ -e "$dir/$to.h" ]; then
				echo "$from -> $to"
			fi
		done
	done | sort -u
}

graph=$(edges)
printf '%s\n' "$graph"
# tsort orders the modules, or says which of them form a loop.
if ! loops=$(printf '%s\n' "$graph" | sed 's/ -> / /' | tsort 2>&1 >/dev/null); then
	printf 'cycle in %s:\n%s\n' "$dir" "$loops" >&2
	exit 1
fi
