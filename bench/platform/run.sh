#!/usr/bin/env bash
# Benchmark of the embedded platform (issue 12's speed goals), each figure printed beside a
# plain sqlite3 doing the same lookup on the same database in the same run:
#   - `release check` with 100 releases in the app: decision time per call, i.e. the wall
#     time of a check minus the process start (`mpaas --version`), averaged;
#   - `release reach` over 1,000,000 devices;
#   - 10,000 sequential `release show` calls, per call beyond the process start.
# Usage: bench/platform/run.sh path/to/mpaas [devices]
set -euo pipefail

mpaas=$(realpath "${1:-build/release/mpaas}")
device_count=${2:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-platform-XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
mkdir -p "$HOME"
db="$XDG_DATA_HOME/mpaas/platform/platform.db"
app=com.example.bench

now_ns() { date +%s%N; }
# per_call_ms N COMMAND...: mean wall milliseconds of N sequential runs.
per_call_ms() {
  local n=$1
  shift
  local start end
  start=$(now_ns)
  for ((i = 0; i < n; i++)); do "$@" >/dev/null; done
  end=$(now_ns)
  awk "BEGIN { printf \"%.3f\", ($end - $start) / 1e6 / $n }"
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

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

runs=200
start_ms=$(per_call_ms $runs "$mpaas" --version)
check_ms=$(per_call_ms $runs "$mpaas" release check --app "$app" --platform android \
  --device-id dev-42 --app-version 1.2.0 --os-version 13 --model "Pixel 8" --json)
sqlite_start_ms=$(per_call_ms $runs sqlite3 "$db" "SELECT 1")
sqlite_check_ms=$(per_call_ms $runs sqlite3 "$db" \
  "SELECT * FROM releases WHERE app = '$app' AND platform = 'android'")

/usr/bin/time -f '%e %M' -o "$work/reach.time" \
  "$mpaas" release reach "$release" --devices "$work/devices.csv" --json > "$work/reach.json"
read -r reach_s reach_kb < "$work/reach.time"
/usr/bin/time -f '%e %M' -o "$work/sqlite-reach.time" sqlite3 :memory: \
  ".mode csv" ".import $work/devices.csv d" \
  "SELECT count(*) FROM d WHERE CAST(os_version AS INTEGER) >= 10 AND model NOT LIKE '%Lite'" \
  > /dev/null
read -r sqlite_reach_s sqlite_reach_kb < "$work/sqlite-reach.time"

shows=${SHOWS:-10000}
show_ms=$(per_call_ms "$shows" "$mpaas" release show "$release" --json)
sqlite_show_ms=$(per_call_ms "$shows" sqlite3 "$db" "SELECT * FROM releases WHERE id = '$release'")

echo "embedded platform: 100 releases, $device_count devices, $(nproc) cores"
printf '%-44s %14s %14s\n' "measure" "mpaas" "sqlite3"
printf '%-44s %14s %14s\n' "process start, ms" "$start_ms" "$sqlite_start_ms"
printf '%-44s %14s %14s\n' "release check, ms per call beyond start" \
  "$(calc "$check_ms - $start_ms")" "$(calc "$sqlite_check_ms - $sqlite_start_ms")"
printf '%-44s %14s %14s\n' "release reach over $device_count devices, s" "$reach_s" "$sqlite_reach_s"
printf '%-44s %14s %14s\n' "  peak memory, MiB" "$((reach_kb / 1024))" "$((sqlite_reach_kb / 1024))"
printf '%-44s %14s %14s\n' "release show x $shows, ms per call beyond start" \
  "$(calc "$show_ms - $start_ms")" "$(calc "$sqlite_show_ms - $sqlite_start_ms")"
echo "reach: $(sed -n 's/^  "reached": \(.*\),$/\1/p' "$work/reach.json") of $device_count devices"
