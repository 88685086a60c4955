#!/usr/bin/env bash
# Benchmark (not a test): how fast sipd follows the network, and how often
# netmond asks DNS. Each figure comes from the end-to-end tests' own scenarios,
# run again and again with real servers; the tests print the times they see.
#   tests/bench/bench-link-dns.sh [RUNS] [STEADY_SECONDS] [TTL]   (defaults: 10, 600, 60)
# Measured:
#   link back: the phone's link in its own network namespace goes down until
#     the flow has failed (no pong within 10 s) and sipd waits out its RFC 5626
#     back-off (15 to 30 s, real timers), then comes up: the time from "ip link
#     set up" until sipd is registered again and Kamailio holds the binding;
#   new address: the same, with a new address given while the link was down;
#   DNS move: the A record of the SRV target changes in dnsmasq (TTL 5 s):
#     the time until the new server holds the binding (at most the TTL left);
#   queries: netmond's DNS queries for one line whose proxy is found by SRV
#     (NAPTR, SRV, then A and AAAA of two targets) over STEADY_SECONDS with
#     every record's TTL at TTL, per hour, beside what the TTLs allow.
# Prints each run, then the median, min and max. Needs root, ip(8), and the
# non-sanitized build in build/. The tests' servers are on the address block
# KL_BENCH_BLOCK (default 127.0.1.0/24; tests/lib/kl-test-e2e.h).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
runs=${1:-10}
steady=${2:-600}
ttl=${3:-60}
build=${KL_BUILD:-$top/build}
block=${KL_BENCH_BLOCK:-127.0.1.0/24}

export KL_SOURCE_DIR=$top KL_BUILD_DIR=$build

# run_ms TEST PATH PATTERN: the milliseconds the test prints after PATTERN
run_ms() {
  "$build/tests/$1" --address-block="$block" -p "$2" 2>/dev/null | sed -n "s/^# $3 \([0-9]*\) ms.*/\1/p"
}

summary() {
  local name=$1
  shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { printf "%-12s no figures\n", name; exit }
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%-12s median %s ms, min %s ms, max %s ms (%d runs)\n", name, m, v[1], v[NR], NR
    }'
}

# measure NAME TEST PATH PATTERN: each run on stderr, the summary on stdout
measure() {
  local name=$1 test=$2 path=$3 pattern=$4
  local figures=() ms
  for i in $(seq 1 "$runs"); do
    ms=$(run_ms "$test" "$path" "$pattern")
    echo "$name run $i: ${ms:-failed} ms" >&2
    [ -n "$ms" ] && figures+=("$ms")
  done
  summary "$name" "${figures[@]}"
}

results=()
results+=("$(measure "link back" test-e2e-link /e2e/link/a-link-back-after-the-flow-failed-re-registers-within-2-s \
  "registered again")")
results+=("$(measure "new address" test-e2e-link /e2e/link/a-new-address-after-the-outage-re-registers-from-it-at-once \
  "registered from the new address")")
results+=("$(measure "DNS move" test-e2e-dns /e2e/dns/a-changed-a-record-moves-the-line-within-the-ttl \
  "registered at the new address")")

echo "steady state: $steady s with TTL $ttl s"
queries=$(KL_BENCH_DNS_SECONDS=$steady KL_BENCH_DNS_TTL=$ttl "$build/tests/test-e2e-dns" --address-block="$block" 2>/dev/null | grep '^queries')
echo "$queries" >&2

echo
printf '%s\n' "${results[@]}"
echo "$queries" | tail -n 1
