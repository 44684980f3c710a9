#!/usr/bin/env bash
# Benchmark of `mpaas analytics` (issue 14's goals), each query beside the same question asked
# in plain SQL of a raw events table in the sqlite3 shell, in the same run:
#   - a seeded synthetic set (bench/analytics/generate.cpp): 100,000 devices over 90 days,
#     about 10 million events, five app versions rolling out;
#   - ingest rate of `mpaas analytics ingest` (NDJSON file, one process);
#   - every metric over the 90 days, mpaas wall time (process included) vs sqlite3;
#   - bytes per event of the app's analytics folder (everything: dictionaries, event-id keys,
#     properties, manifest).
# The SQLite table is the raw events (one row per event, the same columns as the CSV) with
# one index, on (event, device_id, time), without which the funnel's self-joins would not
# finish; each SQL query is the plain GROUP BY an analyst would write. SQLite has no IANA
# zones, so both sides count UTC days (the Berlin-hours row has no SQL column).
# Usage: bench/analytics/run.sh path/to/mpaas [devices] [days]
# Environment: KEEP=1 keeps the work folder (its path is printed); WORK=folder reuses the
# events and the sqlite3 database of a kept work folder (same devices and days) and skips
# generating and loading them (mpaas still ingests into a fresh store); RUNS (best of, mpaas,
# default 3), SQLITE_RUNS (best of, sqlite3, default 1: its queries take seconds each).
# The table also shows the process start of mpaas (`mpaas --version`), which every mpaas row
# includes, and the peak memory (RSS) of the ingest.
set -euo pipefail

mpaas=$(realpath "${1:-build/release/mpaas}")
devices=${2:-100000}
days=${3:-90}
here=$(cd "$(dirname "$0")" && pwd)
reuse=${WORK:-}
if [[ -n $reuse ]]; then
  work=$(realpath "$reuse")
  rm -rf "$work/home" "$work/data" "$work/config"
else
  work=$(mktemp -d "${TMPDIR:-/var/tmp}/mpaas-bench-analytics-XXXXXX")
  if [[ -z ${KEEP:-} ]]; then trap 'rm -rf "$work"' EXIT; else echo "work folder: $work" >&2; fi
fi
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
mkdir -p "$HOME"
app=com.example.bench
db="$work/events.db"

if [[ -n $reuse ]]; then
  events=$(($(wc -l < "$work/events.csv") - 1))
else
  g++ -O2 -std=c++20 -o "$work/generate" "$here/generate.cpp"
  echo "generating $devices devices over $days days..." >&2
  events=$("$work/generate" "$work/events.ndjson" "$work/events.csv" "$devices" "$days" 20260101)
fi

now() { date +%s%N; }
seconds_since() { awk "BEGIN { printf \"%.3f\", ($(now) - $1) / 1e9 }"; }

"$mpaas" app create "$app" --name Bench >/dev/null
start=$(now)
/usr/bin/time -f %M -o "$work/ingest.rss" \
  "$mpaas" analytics ingest "$work/events.ndjson" --app "$app" --json > "$work/ingest.json"
ingest_seconds=$(seconds_since "$start")
ingest_rss_mib=$(awk '{ printf "%.0f", $1 / 1024 }' "$work/ingest.rss")
ingested=$(sed -n 's/^ *"ingested": \([0-9]*\),*$/\1/p' "$work/ingest.json")
store="$XDG_DATA_HOME/mpaas/platform/analytics/$app"
store_bytes=$(du -sb "$store" | cut -f1)

if [[ -n $reuse ]]; then
  sqlite_load_seconds=""
else
  echo "loading sqlite3..." >&2
  start=$(now)
  sqlite3 "$db" <<SQL
CREATE TABLE events (time INTEGER, event_id TEXT, device_id TEXT, user_id TEXT, platform TEXT,
  app_version TEXT, os_version TEXT, model TEXT, region TEXT, network TEXT, channel TEXT,
  event TEXT, properties TEXT);
.import --csv --skip 1 $work/events.csv events
CREATE INDEX events_by_event ON events(event, device_id, time);
ANALYZE;
SQL
  sqlite_load_seconds=$(seconds_since "$start")
fi
sqlite_bytes=$(stat -c %s "$db")

# The range: the generator's 90 days from 2026-01-01, as dates and as epoch milliseconds.
from=2026-01-01
to=$(date -u -d "$from + $((days - 1)) days" +%F)
lo=1767225600000
hi=$((lo + days * 86400000))
day="date(time / 1000, 'unixepoch')"
in_range="time >= $lo AND time < $hi"

declare -a names mpaas_args sql_texts
add() { names+=("$1"); mpaas_args+=("$2"); sql_texts+=("$3"); }
add "active-devices (DAU)" "active-devices" \
  "SELECT $day, count(DISTINCT device_id) FROM events WHERE $in_range GROUP BY 1;"
add "active-devices weekly" "active-devices --interval week" \
  "SELECT strftime('%Y-%W', time / 1000, 'unixepoch'), count(DISTINCT device_id) FROM events WHERE $in_range GROUP BY 1;"
add "new-devices" "new-devices" \
  "SELECT date(f / 1000, 'unixepoch'), count(*) FROM (SELECT min(time) AS f FROM events GROUP BY device_id) WHERE f >= $lo AND f < $hi GROUP BY 1;"
add "launches" "launches" \
  "SELECT $day, count(*) FROM events WHERE event = 'launch' AND $in_range GROUP BY 1;"
add "crashes" "crashes" \
  "SELECT $day, count(*) FROM events WHERE event = 'crash' AND $in_range GROUP BY 1;"
add "crash-free" "crash-free" \
  "SELECT $day, 1.0 - count(DISTINCT CASE WHEN event = 'crash' THEN device_id END) * 1.0 / count(DISTINCT device_id) FROM events WHERE $in_range GROUP BY 1;"
add "crash-free by app_version" "crash-free --group-by app_version" \
  "SELECT $day, app_version, 1.0 - count(DISTINCT CASE WHEN event = 'crash' THEN device_id END) * 1.0 / count(DISTINCT device_id) FROM events WHERE $in_range GROUP BY 1, 2;"
add "event purchase" "event purchase" \
  "SELECT $day, count(*), count(DISTINCT device_id) FROM events WHERE event = 'purchase' AND $in_range GROUP BY 1;"
add "launches where region=DE" "launches --where region=DE" \
  "SELECT $day, count(*) FROM events WHERE event = 'launch' AND region = 'DE' AND $in_range GROUP BY 1;"
add "retention (daily cohorts)" "retention" \
  "WITH first AS (SELECT device_id, min(time) / 86400000 AS c FROM events GROUP BY device_id), act AS (SELECT DISTINCT device_id, time / 86400000 AS d FROM events WHERE $in_range) SELECT f.c, act.d - f.c, count(*) FROM first f JOIN act USING (device_id) WHERE f.c >= $lo / 86400000 AND f.c < $hi / 86400000 AND act.d > f.c GROUP BY 1, 2;"
add "funnel launch>page_view>purchase 1d" "funnel launch page_view purchase --window 1d" \
  "WITH s1 AS (SELECT device_id, min(time) AS t1 FROM events WHERE event = 'launch' AND $in_range GROUP BY device_id), s2 AS (SELECT s1.device_id, t1, min(e.time) AS t2 FROM s1 JOIN events e ON e.event = 'page_view' AND e.device_id = s1.device_id AND e.time >= t1 AND e.time <= t1 + 86400000 GROUP BY s1.device_id), s3 AS (SELECT DISTINCT s2.device_id FROM s2 JOIN events e ON e.event = 'purchase' AND e.device_id = s2.device_id AND e.time >= t2 AND e.time <= t1 + 86400000) SELECT (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3);"
add "active-devices hourly, Europe/Berlin" "active-devices --interval hour --tz Europe/Berlin" ""
add "compare 2.3.0 vs 2.3.1" "compare" \
  "SELECT app_version, count(DISTINCT device_id), count(DISTINCT CASE WHEN event = 'crash' THEN device_id END), sum(event = 'launch') FROM events WHERE app_version IN ('2.3.0', '2.3.1') AND $in_range GROUP BY 1;"

best_of() {  # N command...: runs it N times, prints the best wall time in seconds
  local runs=$1 best="" start t
  shift
  for ((run = 0; run < runs; run++)); do
    start=$(now)
    "$@" >/dev/null
    t=$(seconds_since "$start")
    if [[ -z $best ]] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
  done
  echo "$best"
}

printf '\nmpaas analytics, %s events (%s devices, %s days), %s\n\n' "$events" "$devices" "$days" \
  "$(nproc) cores"
printf '| %-40s | %10s | %10s | %8s |\n' "what" "mpaas" "sqlite3" "speed-up"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "$(printf -- '-%.0s' {1..12})" \
  "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..10})"
rate=$(awk "BEGIN { printf \"%.0f\", $ingested / $ingest_seconds }")
if [[ -n $sqlite_load_seconds ]]; then
  sqlite_rate=$(awk "BEGIN { printf \"%.0f\", $events / $sqlite_load_seconds }")
else
  sqlite_rate="(reused)"
fi
printf '| %-40s | %10s | %10s | %8s |\n' "ingest (events/s)" "$rate" "$sqlite_rate" "-"
printf '| %-40s | %10s | %10s | %8s |\n' "ingest peak RSS (MiB)" "$ingest_rss_mib" "-" "-"
printf '| %-40s | %10s | %10s | %8s |\n' "data size (bytes/event)" \
  "$(awk "BEGIN { printf \"%.1f\", $store_bytes / $ingested }")" \
  "$(awk "BEGIN { printf \"%.1f\", $sqlite_bytes / $events }")" "-"
printf '| %-40s | %9ss | %10s | %8s |\n' "process start (mpaas --version)" \
  "$(best_of "${RUNS:-3}" "$mpaas" --version)" "-" "-"
for i in "${!names[@]}"; do
  if [[ ${mpaas_args[$i]} == compare ]]; then
    read -r -a args <<< "compare --app $app --version 2.3.0 --version 2.3.1 --from $from --to $to"
  else
    read -r -a args <<< "query ${mpaas_args[$i]} --app $app --from $from --to $to"
  fi
  m=$(best_of "${RUNS:-3}" "$mpaas" analytics "${args[@]}")
  if [[ -n ${sql_texts[$i]} ]]; then
    s=$(best_of "${SQLITE_RUNS:-1}" sqlite3 "$db" "${sql_texts[$i]}")
    ratio=$(awk "BEGIN { printf \"%.0fx\", $s / $m }")
  else
    s="n/a"
    ratio="-"
  fi
  printf '| %-40s | %9ss | %9s%s | %8s |\n' "${names[$i]}" "$m" "$s" "$([[ $s == n/a ]] || echo s)" \
    "$ratio"
done
printf '\ningest: %s events in %s s (%s duplicates, %s rejected); store %s bytes; sqlite3 load %s s\n' \
  "$ingested" "$ingest_seconds" \
  "$(sed -n 's/^ *"duplicates": \([0-9]*\),*$/\1/p' "$work/ingest.json")" \
  "$(sed -n 's/^ *"rejected": \([0-9]*\),*$/\1/p' "$work/ingest.json")" "$store_bytes" \
  "${sqlite_load_seconds:-(reused)}"
