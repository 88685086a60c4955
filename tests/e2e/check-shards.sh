#!/bin/sh
# Checks that the shards of an end-to-end test, together, take each of its
# cases exactly once (tests/lib/kl-test-e2e.h):
#   check-shards.sh TEST SHARDS
# Lists the cases with GTest's -l: no server is started.
set -eu
test=$1
shards=$2
block=--address-block=127.0.255.0/24
all=$(mktemp)
taken=$(mktemp)
trap 'rm -f "$all" "$taken"' EXIT

"$test" "$block" -l | grep '^/' | sort > "$all"
i=1
while [ "$i" -le "$shards" ]; do
  "$test" "$block" --shard="$i/$shards" -l | grep '^/'
  i=$((i + 1))
done | sort > "$taken"
[ -s "$all" ] || { echo "$test lists no cases" >&2; exit 1; }
diff -u "$all" "$taken"
echo "$(wc -l < "$all") cases in $shards shards, each once"
