#!/usr/bin/env bash
# Benchmark of the embedded platform (issue 12's speed goals), each figure printed beside a
# plain sqlite3 doing the same lookup on the same database in the same run:
#   - `release check` with 100 releases in the app: the decision in one process (2,000 checks
#     on one open platform), and the CLI's wall time beyond the process start (`mpaas
#     --version`, run alternately with it);
#   - `release reach` over 1,000,000 devices;
#   - `release whitelist add` of 100,000 ids;
#   - 10,000 sequential `release show` calls, per call beyond the process start.
# Usage: bench/platform/run.sh path/to/mpaas [devices]
# Environment: RUNS (check timings, default 300), SHOWS (default 10000).
set -euo pipefail

mpaas=$(realpath "${1:-build/release/mpaas}")
device_count=${2:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-platform-XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
mkdir -p "$HOME"
db="$XDG_DATA_HOME/mpaas/platform/platform.db"
app=com.example.bench

# The timer runs two commands alternately and prints: mean and median of A, of B, and the
# median of the pairwise differences B - A (ms). Built here from bench/tools with the
# compiler the project already needs.
timer="$work/spawn_timer"
g++ -O2 -std=c++20 -o "$timer" "$(dirname "$0")/../tools/spawn_timer.cpp"
# beyond_start N A... -- B...: "mean-difference median-difference" of B over A, in ms.
beyond_start() {
  local n=$1
  shift
  "$timer" "$n" -- "$@" | awk '{ printf "%.3f %.3f\n", $3 - $1, $5 }'
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
seconds_of() {  # command...: wall seconds
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  awk "BEGIN { printf \"%.3f\", ($end - $start) / 1e9 }"
}

"$mpaas" app create "$app" --name Bench >/dev/null
for ((i = 1; i <= 100; i++)); do
  head -c 4096 /dev/urandom > "$work/artifact"
  kind=hotfix
  ((i % 10 == 0)) && kind=native
  "$mpaas" release upload "$work/artifact" --app "$app" --platform android --version "1.0.$i" \
    --kind "$kind" --percent 50 --rule 'os_version>=10' --rule 'model!~*Lite' --json \
    > "$work/release.json"
done
release=$(sed -n 's/^  "id": "\(.*\)",$/\1/p' "$work/release.json" | head -n1)

# Devices: CSV with a header, ids and fields varied.
awk -v n="$device_count" 'BEGIN {
  print "device_id,app_version,os_version,model,region,network"
  srand(7)
  for (i = 0; i < n; i++)
    printf "dev-%08x%04x,1.%d.0,%d,Pixel %d%s,CN-%s,%s\n", i, int(rand() * 65536), i % 5, 9 + i % 6,
      i % 9, (i % 7 == 0 ? " Lite" : ""), (i % 2 ? "ZJ" : "SH"), (i % 3 ? "wifi" : "4g")
}' > "$work/devices.csv"

# The decision itself, in one process (what a server pays per check), from the build that
# made the mpaas binary.
decide="$(dirname "$mpaas")/mpaas_bench_decide"
[[ -x $decide ]] || cmake --build "$(dirname "$mpaas")" --target mpaas_bench_decide >/dev/null
read -r decide_mean decide_median decide_offers < <("$decide" \
  "$XDG_DATA_HOME/mpaas/platform" "$app" android dev-42 13 "Pixel 8" 1.2.0 2000)

runs=${RUNS:-300}
read -r start_mean start_median _ < <("$timer" "$runs" -- "$mpaas" --version -- "$mpaas" --version)
read -r sqlite_start_mean _ < <("$timer" "$runs" -- sqlite3 "$db" "SELECT 1" -- sqlite3 "$db" "SELECT 1")
check=(release check --app "$app" --platform android --device-id dev-42 --app-version 1.2.0
  --os-version 13 --model "Pixel 8")
read -r check_mean check_median < <(beyond_start "$runs" "$mpaas" --version -- "$mpaas" "${check[@]}")
read -r check_json_mean check_json_median < <(beyond_start "$runs" "$mpaas" --version -- \
  "$mpaas" "${check[@]}" --json)
read -r sqlite_check_mean sqlite_check_median < <(beyond_start "$runs" sqlite3 "$db" "SELECT 1" -- \
  sqlite3 "$db" "SELECT * FROM releases WHERE app = '$app' AND platform = 'android'")

/usr/bin/time -f '%e %M' -o "$work/reach.time" \
  "$mpaas" release reach "$release" --devices "$work/devices.csv" --json > "$work/reach.json"
read -r reach_s reach_kb < "$work/reach.time"
/usr/bin/time -f '%e %M' -o "$work/sqlite-reach.time" sqlite3 :memory: \
  ".mode csv" ".import $work/devices.csv d" \
  "SELECT count(*) FROM d WHERE CAST(os_version AS INTEGER) >= 10 AND model NOT LIKE '%Lite'" \
  > /dev/null
read -r sqlite_reach_s sqlite_reach_kb < "$work/sqlite-reach.time"

# 100,000 whitelist ids in one call, beside sqlite3 inserting the same ids in one transaction.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "vip-%06d\n", i }' > "$work/whitelist.txt"
whitelist_s=$(seconds_of "$mpaas" release whitelist add "$release" --file "$work/whitelist.txt")
sqlite_whitelist_s=$(seconds_of sqlite3 "$work/whitelist.db" "CREATE TABLE w (release TEXT, \
  device TEXT, PRIMARY KEY (release, device)) WITHOUT ROWID" "CREATE TABLE ids (id TEXT)" \
  ".mode csv" ".import $work/whitelist.txt ids" "INSERT INTO w SELECT '$release', id FROM ids")

shows=${SHOWS:-10000}
read -r show_mean show_median < <(beyond_start "$shows" "$mpaas" --version -- \
  "$mpaas" release show "$release" --json)
read -r sqlite_show_mean sqlite_show_median < <(beyond_start "$shows" sqlite3 "$db" "SELECT 1" -- \
  sqlite3 "$db" "SELECT * FROM releases WHERE id = '$release'")

# Each figure beyond the process start is "mean (median)": the mean is what N sequential calls
# cost, the median of the paired differences is what a quiet machine shows.
echo "embedded platform: 100 releases, $device_count devices, $(nproc) cores"
printf '%-46s %16s %16s   %s\n' "measure" "mpaas" "sqlite3" "goal"
printf '%-46s %16s %16s\n' "process start, ms" "$start_mean" "$sqlite_start_mean"
printf '%-46s %16s %16s   %s\n' "release check decision in-process, ms" \
  "$(calc "$decide_mean / 1000") ($(calc "$decide_median / 1000"))" "" "< 1"
printf '%-46s %16s %16s\n' "release check (text), ms beyond start" \
  "$check_mean ($check_median)" "$sqlite_check_mean ($sqlite_check_median)"
printf '%-46s %16s %16s\n' "release check --json, ms beyond start" \
  "$check_json_mean ($check_json_median)" ""
printf '%-46s %16s %16s   %s\n' "release reach over $device_count devices, s" "$reach_s" \
  "$sqlite_reach_s" "< 2"
printf '%-46s %16s %16s\n' "  peak memory, MiB" "$((reach_kb / 1024))" "$((sqlite_reach_kb / 1024))"
printf '%-46s %16s %16s   %s\n' "whitelist add 100,000 ids, s" "$whitelist_s" "$sqlite_whitelist_s" "< 1"
printf '%-46s %16s %16s   %s\n' "release show x $shows, ms beyond start" \
  "$show_mean ($show_median)" "$sqlite_show_mean ($sqlite_show_median)" "< 0.5"
echo "check: $decide_offers offers for dev-42"
echo "reach: $(sed -n 's/^  "reached": \(.*\),$/\1/p' "$work/reach.json") of $device_count devices"
