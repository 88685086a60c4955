#!/bin/sh
# A bounded libFuzzer smoke run: the seed corpus, then new inputs for a fixed
# number of runs or seconds. Nothing is written into the source tree; a crashing
# input is kept in the artifacts directory. A crash exits 1: libFuzzer's own
# 77 would read as "skipped" to meson.
set -eu
fuzzer=$1
corpus=$2
artifacts=$3
runs=${KL_FUZZ_RUNS:-200000}
seconds=${KL_FUZZ_SECONDS:-30}

mkdir -p "$artifacts"
seeds=$(find "$corpus" -type f | sort | paste -sd, -)
exec "$fuzzer" -seed_inputs="$seeds" -runs="$runs" -max_total_time="$seconds" \
    -max_len=4096 -timeout=10 -artifact_prefix="$artifacts/" -print_final_stats=1 \
    -error_exitcode=1 -timeout_exitcode=1
