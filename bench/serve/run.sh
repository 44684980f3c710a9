#!/usr/bin/env bash
# Benchmark of `mpaas serve` (issue 13's speed goals), each figure beside nginx serving a
# static JSON file of the same size on the same machine in the same run, the ceiling for
# HTTP here:
#   - device update checks (GET /v1/apps/APP/updates) against an app with 100 releases and a
#     mix of device ids: requests per second and p50/p99 latency with wrk (1 thread, 64
#     connections, keep-alive, DURATION seconds);
#   - upload throughput over loopback: the mpaas client (tus, chunked) beside curl sending
#     the same file to the same server in one request, and the client's peak memory.
# Usage: bench/serve/run.sh path/to/mpaas
# Environment: DURATION (wrk seconds, default 10), UPLOAD_MB (default 1024), ROUNDS (upload
# turns, default 3).
set -euo pipefail

mpaas=$(realpath "${1:-build/release/mpaas}")
duration=${DURATION:-10}
upload_mb=${UPLOAD_MB:-1024}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-serve-XXXXXX")
server_pid=
nginx_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config"
mkdir -p "$HOME"
app=com.example.bench

# A loopback port nothing answers on (bash's /dev/tcp connects; a refusal means free).
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

# 100 releases on the embedded platform, made before the server starts.
"$mpaas" app create "$app" --name Bench >/dev/null
for ((i = 1; i <= 100; i++)); do
  head -c 4096 /dev/urandom > "$work/artifact"
  kind=hotfix
  ((i % 10 == 0)) && kind=native
  "$mpaas" release upload "$work/artifact" --app "$app" --platform android --version "1.0.$i" \
    --kind "$kind" --percent 50 --rule 'os_version>=10' --rule 'model!~*Lite' >/dev/null
done

"$mpaas" serve --listen 127.0.0.1:0 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do
  grep -q '/v1$' "$work/serve.log" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's|.*://127.0.0.1:\([0-9]*\)/v1$|\1|p' "$work/serve.log")
token=$(cat "$XDG_DATA_HOME/mpaas/platform/admin-token")

# Device ids vary per request (a counter and a random number), so that no response is cached
# anywhere. The requests are formatted once, before wrk starts its clock, and sent in turn:
# formatting each request in Lua cost wrk about a third of the CPU the server gets, on a
# machine where both share 2 cores. nginx gets the same script, its path ending in the file.
# Usage: checks.lua PATH_PREFIX.
cat > "$work/checks.lua" <<'LUA'
local requests, count, next_index = {}, 200000, 0
init = function(args)
  local prefix = args[1]
  for i = 1, count do
    requests[i] = wrk.format("GET", prefix .. "?platform=android&os_version=13&model=Pixel%208" ..
      "&app_version=1.2.0&device_id=dev-" .. i .. "-" .. math.random(1000000))
  end
end
request = function()
  next_index = next_index % count + 1
  return requests[next_index]
end
LUA
# The same query as wrk's, so that nginx's file is the size of a real reply.
sample="http://127.0.0.1:$port/v1/apps/$app/updates?platform=android&os_version=13&model=Pixel%208"
sample+="&app_version=1.2.0&device_id=dev-1"
curl -sf "$sample" > "$work/check.json"

# nginx with 2 workers serving a static file of the same size.
nginx_port=$(free_port)
mkdir -p "$work/nginx/html" "$work/nginx/logs"
cp "$work/check.json" "$work/nginx/html/check.json"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/html;
    default_type application/json;
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$nginx_port/check.json" >/dev/null && break
  sleep 0.1
done

# wrk_run BASE PATH -> "requests/s p50_ms p99_ms" of device checks on PATH
wrk_run() {
  local base=$1 path=$2
  wrk -t1 -c64 "-d${duration}s" --latency -s "$work/checks.lua" "$base" -- "$path" > "$work/wrk.out"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }' "$work/wrk.out"
}
read -r check_rps check_p50 check_p99 < <(wrk_run "http://127.0.0.1:$port" \
  "/v1/apps/$app/updates")
read -r nginx_rps nginx_p50 nginx_p99 < <(wrk_run "http://127.0.0.1:$nginx_port" /check.json)
errors=$(grep -c " 5[0-9][0-9] " "$work/serve.log" || true)

# Uploads: curl in one PATCH to a tus upload (-T streams the file; --data-binary would hold
# it in memory), and the mpaas client (chunked tus, then the release), taking turns ROUNDS
# times (default 3): this disk's speed moves from one minute to the next, and the medians of
# runs made side by side compare the two, not the moments they ran in.
head -c "$((upload_mb * 1024 * 1024))" /dev/urandom > "$work/big.bin"
# Written out before either upload starts: neither pays for the other's page cache.
sync
size=$(stat -c %s "$work/big.bin")
rounds=${ROUNDS:-3}
mibs() { awk "BEGIN { printf \"%.0f\", $size / 1048576 / $1 }"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
curl_upload() {
  local location start end
  location=$(curl -sf -i -X POST -H "Authorization: Bearer $token" -H "Tus-Resumable: 1.0.0" \
    -H "Content-Length: 0" -H "Upload-Length: $size" "http://127.0.0.1:$port/v1/uploads" |
    tr -d '\r' | sed -n 's/^Location: //p')
  start=$(date +%s%N)
  curl -sf -X PATCH -H "Authorization: Bearer $token" -H "Tus-Resumable: 1.0.0" \
    -H "Upload-Offset: 0" -H "Content-Type: application/offset+octet-stream" \
    -T "$work/big.bin" "http://127.0.0.1:$port$location" >/dev/null
  end=$(date +%s%N)
  echo "$(mibs "(($end - $start) / 1e9)")"
  # The upload is left unfinished by nobody: remove it, as the next round's disk is shared.
  curl -sf -X DELETE -H "Authorization: Bearer $token" -H "Tus-Resumable: 1.0.0" \
    "http://127.0.0.1:$port$location" >/dev/null || true
}
client_upload() {
  local round=$1
  if MPAAS_TOKEN=$token /usr/bin/time -f '%e %M' -o "$work/upload.time" "$mpaas" \
    --endpoint "http://127.0.0.1:$port" release upload "$work/big.bin" --app "$app" \
    --platform android --version "9.9.$round" >/dev/null 2>"$work/upload.err"; then
    read -r upload_s upload_kb < "$work/upload.time"
    echo "$(mibs "$upload_s") $((upload_kb / 1024))"
  else
    echo "mpaas client upload failed: $(head -c 300 "$work/upload.err")" >&2
    echo "0 0"
  fi
}
: > "$work/curl.rates"
: > "$work/client.rates"
for ((round = 1; round <= rounds; round++)); do
  curl_upload >> "$work/curl.rates"
  client_upload "$round" >> "$work/client.rates"
done
curl_mbs=$(median < "$work/curl.rates")
client_mbs=$(cut -d' ' -f1 "$work/client.rates" | median)
client_mib=$(cut -d' ' -f2 "$work/client.rates" | sort -n | tail -1)

echo "mpaas serve: 100 releases, wrk -t1 -c64 -d${duration}s, $(nproc) cores; upload ${upload_mb} MiB, median of $rounds"
printf '%-34s %12s %12s   %s\n' "measure" "mpaas" "nginx/curl" "goal"
printf '%-34s %12s %12s   %s\n' "update checks per second" "$check_rps" "$nginx_rps" \
  ">= 20000 and >= 1/4 of nginx"
printf '%-34s %12s %12s\n' "  p50 latency, ms" "$check_p50" "$nginx_p50"
printf '%-34s %12s %12s   %s\n' "  p99 latency, ms" "$check_p99" "$nginx_p99" "<= 2x nginx"
printf '%-34s %12s %12s\n' "  5xx responses" "$errors" ""
printf '%-34s %12s %12s   %s\n' "upload MiB/s (client vs curl)" "$client_mbs" "$curl_mbs" \
  ">= 80% of curl"
printf '%-34s %12s %12s\n' "  each round" "$(cut -d' ' -f1 "$work/client.rates" | tr '\n' ' ')" \
  "$(tr '\n' ' ' < "$work/curl.rates")"
printf '%-34s %12s %12s   %s\n' "  client peak memory, MiB" "$client_mib" "" "flat"
