#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*_fuzz.cpp) with clang in build/fuzz and runs
# each for SECONDS (default 60) on a copy of its seed corpus tests/fuzz/corpus/<name>/.
# New inputs land in build/fuzz/corpus/<name>/ (copy the interesting ones into tests/ to
# keep them). Exits non-zero on the first crash, leak or sanitizer report; the crashing
# input is left in build/fuzz/artifacts/. `make fuzz` runs it; `make test` replays the corpora.
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
build=build/fuzz

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="-O1 -g" -DMPAAS_SANITIZE=ON -DMPAAS_TESTS=OFF -DMPAAS_FUZZ=ON >/dev/null
fi
cmake --build "$build" --target fuzz_targets -j2 >/dev/null

mkdir -p "$build/artifacts"
for source in tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$source" .cpp)
  seeds=tests/fuzz/corpus/$name
  work=$build/corpus/$name
  mkdir -p "$seeds" "$work"
  echo "fuzz: $name for ${seconds}s"
  "$build/tests/fuzz/$name" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
    "$work" "$seeds" 2>"$build/$name.log" || {
    tail -50 "$build/$name.log" >&2
    echo "fuzz: $name failed; see $build/$name.log and $build/artifacts/" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units" "$build/$name.log" || true
done
echo "fuzz: every target ran ${seconds}s without a finding"
