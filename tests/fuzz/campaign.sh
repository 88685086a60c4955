#!/bin/sh
# A fuzzing campaign (not CI): every libFuzzer target of build-san/ for a number
# of executions or a time, whichever comes first, with ASan and UBSan halting
# on the first error, two at a time. Prints per target: executions, seconds,
# coverage (libFuzzer's cov: edges) and crashes found. New corpus entries go
# to a scratch directory, never into the source tree.
#   tests/fuzz/campaign.sh [RUNS] [SECONDS] [BUILD]  (defaults: 10000000, 3600, build-san)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-10000000}
seconds=${2:-3600}
build=${3:-$top/build-san}
work=$(mktemp -d /tmp/keepline-fuzz-campaign.XXXXXX)
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$top/tests/data/lsan.supp"

run_one() {
  name=$1
  corpus=$2
  max_len=$3
  mkdir -p "$work/$name/corpus" "$work/$name/crashes"
  cp "$top/tests/fuzz/corpus/$corpus"/* "$work/$name/corpus/" 2>/dev/null || true
  "$build/tests/$name" "$work/$name/corpus" -runs="$runs" -max_total_time="$seconds" \
    -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/$name/crashes/" \
    -print_final_stats=1 >"$work/$name/log" 2>&1 || true
}

summary() {
  name=$1
  log=$work/$name/log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  time=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "$work/$name/crashes" -type f | wc -l)
  printf '%-17s %12s %8s %8s %8s\n' "$name" "${execs:-?}" "${time:-?}" "${cov:-?}" "$crashes"
}

# two slots, the slowest targets first in each, so both end about together;
# target:corpus:max_len (a .cfg is read line by line: 1 KiB of lines covers it)
slot_a="fuzz-responses:responses:4096 fuzz-dns:dns:4096 fuzz-netlink:netlink:4096 fuzz-digest:digest:4096"
slot_b="fuzz-sip:sip:4096 fuzz-config:config:1024 fuzz-probe:probe:4096 fuzz-resolv-conf:resolv-conf:4096"
run_slot() {
  for target in $1; do
    name=${target%%:*}; rest=${target#*:}
    run_one "$name" "${rest%%:*}" "${rest#*:}"
  done
}
run_slot "$slot_a" &
run_slot "$slot_b" &
wait
printf '%-17s %12s %8s %8s %8s\n' target executions seconds coverage crashes
for target in $slot_a $slot_b; do
  summary "${target%%:*}"
done
echo "logs, corpora and any crashing inputs: $work"
