#!/usr/bin/env bash
# The demo of the whole flow, run by `make demo`: every step prints the command it runs and
# its real output. It works in a throwaway folder with its own HOME, so it never touches
# the user's configuration. Each issue that lands adds its part.
set -euo pipefail

mpaas_binary=$(realpath "${1:-build/release/mpaas}")
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
unset MPAAS_ENDPOINT MPAAS_PROFILE MPAAS_OUTPUT MPAAS_DATA_DIR
mkdir -p "$HOME"
cd "$work"

mpaas() { "$mpaas_binary" "$@"; }
step() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
}

step mpaas --version
step mpaas --help
step mpaas config set endpoint https://mpaas.example.com
step mpaas --profile staging config set endpoint https://staging.example.com
step mpaas config list
step env MPAAS_ENDPOINT=http://127.0.0.1:8080 "$mpaas_binary" config get endpoint --json
step mpaas help exit-codes
printf '\n$ mpaas confg list   # a typo: exit code 2 and a suggestion\n'
mpaas confg list || echo "(exit code $?)"
printf '\n$ mpaas --json config get no.such.key   # under --json, errors are JSON on stderr too\n'
mpaas --json config get no.such.key || echo "(exit code $?)"

# --- mpaas new (scaffold the project the next steps use) ---
# __DEMO_NEW__
git config --global user.name "Demo Developer"
git config --global user.email "demo@example.com"
step mpaas new h5 shop --app-id com.example.shop
step git -C shop log --stat --format='%h %an: %s'
step cat shop/mpaas.yaml
step mpaas new --list
step mpaas new android shop-android --app-id com.example.shop --set min_sdk=26 --no-git --json
printf '\n$ mpaas new h5 shop   # the folder exists and is not empty: exit code 6\n'
mpaas new h5 shop || echo "(exit code $?)"
printf '\n$ mpaas new ios shop-ios --app-id com.example.my_shop   # "_" breaks the bundle id rule\n'
mpaas new ios shop-ios --app-id com.example.my_shop || echo "(exit code $?)"

# --- mpaas offline and mpaas keys ---
# __DEMO_OFFLINE__
# The project `mpaas new h5 shop` made above: build it as it is (unsigned, with a warning),
# then with a key, and ship a second version as an incremental package.
cd "$work/shop"
step mpaas offline build -o unsigned.amr
step mpaas keys generate -o keys
step mpaas offline build
step mpaas offline verify 80000001_1.0.0.1.amr --pubkey keys/public.pem
step mpaas offline inspect 80000001_1.0.0.1.amr --pubkey keys/public.pem
step unzip -lv 80000001_1.0.0.1.amr
printf '\n$ mpaas offline verify 80000001_1.0.0.1.amr --pubkey other/public.pem   # the wrong key: exit 4\n'
mpaas keys generate -o other > /dev/null 2>&1
mpaas offline verify 80000001_1.0.0.1.amr --pubkey other/public.pem || echo "(exit code $?)"
step mpaas offline config 80000001_1.0.0.1.amr --base-url https://cdn.example.com/h5 -o -
# Version 1.0.0.2 changes the script: the incremental package carries it as an mpd patch.
printf 'console.log("1.0.0.2: checkout fixed");\n' >> www/js/app.js
step mpaas config set --project offline.version 1.0.0.2
step mpaas offline build
step mpaas --json offline diff 80000001_1.0.0.1.amr 80000001_1.0.0.2.amr -o inc-1.0.0.2.amr --key keys/private.pem
step mpaas offline apply 80000001_1.0.0.1.amr inc-1.0.0.2.amr -o rebuilt-1.0.0.2.amr --key keys/private.pem
step cmp rebuilt-1.0.0.2.amr 80000001_1.0.0.2.amr
step ls -l 80000001_1.0.0.1.amr 80000001_1.0.0.2.amr inc-1.0.0.2.amr
cd "$work"

# --- mpaas diff and mpaas patch ---
# __DEMO_DELTA__
# A "release" of a real executable (a copy of this mpaas binary) and a hot-fixed one with
# an insertion that shifts the code behind it.
cp "$mpaas_binary" app-1.0.bin
{ head -c 1000000 app-1.0.bin; printf 'hot-fix'; tail -c +1000001 app-1.0.bin; } >app-1.1.bin
# The branch filter (x86-64 here) is tried and dropped: it only pays off on recompiled code.
step mpaas diff app-1.0.bin app-1.1.bin -o app.mpd
step mpaas patch --info app.mpd
step mpaas patch app-1.0.bin app.mpd -o app-1.1.patched
step cmp app-1.1.bin app-1.1.patched
step mpaas --json diff app-1.0.bin app-1.1.bin -o app.bsdiff --format bsdiff
step bspatch app-1.0.bin app-1.1.bspatched app.bsdiff
step cmp app-1.1.bin app-1.1.bspatched
printf '\n$ mpaas patch app-1.1.bin app.mpd -o out.bin   # the wrong old file: exit 4\n'
mpaas patch app-1.1.bin app.mpd -o out.bin || echo "(exit code $?)"
# VCDIFF (RFC 3284) for xdelta3, both ways.
step mpaas diff app-1.0.bin app-1.1.bin -o app.vcdiff --format vcdiff
step xdelta3 -d -f -s app-1.0.bin app.vcdiff app-1.1.xdelta3
step cmp app-1.1.bin app-1.1.xdelta3

# --- mpaas hotfix: a signed bundle between two builds, entry by entry for ZIP-based ones ---
# __DEMO_HOTFIX__
# The two offline packages built above are ZIP archives: the bundle carries what changed in
# each entry, and apply rebuilds 1.0.0.2 byte for byte from 1.0.0.1.
step mpaas keys generate -o fix-keys --type ed25519
step mpaas hotfix create --base shop/80000001_1.0.0.1.amr --target shop/80000001_1.0.0.2.amr -o fix.mphf --key fix-keys/private.pem --app-version 1.0.0.1 --notes 'checkout fix'
step mpaas hotfix verify fix.mphf --pubkey fix-keys/public.pem --json
step mpaas hotfix apply --base shop/80000001_1.0.0.1.amr fix.mphf -o fixed.amr --pubkey fix-keys/public.pem
step cmp fixed.amr shop/80000001_1.0.0.2.amr
step mpaas hotfix apply --base shop/80000001_1.0.0.1.amr fix.mphf --dir fix-changed --pubkey fix-keys/public.pem
step ls fix-changed
printf '\n$ mpaas hotfix apply --base shop/80000001_1.0.0.2.amr fix.mphf -o x.amr --pubkey fix-keys/public.pem   # another base: exit 4\n'
mpaas hotfix apply --base shop/80000001_1.0.0.2.amr fix.mphf -o x.amr --pubkey fix-keys/public.pem || echo "(exit code $?)"

# --- mpaas app and mpaas release (the embedded platform in $XDG_DATA_HOME/mpaas/platform) ---
# __DEMO_PLATFORM__
# The shop's native build 1.2.0 goes out in gray: 10 percent plus two testers, Android 12
# and up. Two devices ask what they get, and why; then the rollout goes on to the end.
cp app-1.1.bin shop-1.2.0.apk
printf '# testers\ntester-ann\ntester-bob\n' > testers.txt
# With no endpoint set, the platform commands work in-process on the embedded platform.
step mpaas config unset endpoint
step mpaas app create com.example.shop --name Shop
step mpaas release upload shop-1.2.0.apk --app com.example.shop --platform android --version 1.2.0 --percent 10 --whitelist testers.txt --rule 'os_version>=12' --notes 'checkout fix'
step mpaas release check --app com.example.shop --platform android --device-id tester-ann --os-version 13
step mpaas release check --app com.example.shop --platform android --device-id device-7 --os-version 11
step mpaas release rollout com.example.shop/android/1.2.0 --percent 50
step mpaas release check --app com.example.shop --platform android --device-id device-7 --os-version 13
step mpaas release pause com.example.shop/android/1.2.0
step mpaas release resume com.example.shop/android/1.2.0
step mpaas release finish com.example.shop/android/1.2.0
step mpaas release history com.example.shop/android/1.2.0
step mpaas release list --app com.example.shop
printf '\n$ mpaas release rollout com.example.shop/android/1.2.0 --percent 20   # after finish: exit 6\n'
mpaas release rollout com.example.shop/android/1.2.0 --percent 20 || echo "(exit code $?)"

# --- mpaas analytics: events in, metrics and a version comparison out (docs/analytics.md) ---
# Two weeks of a small sample: 300 devices, half on 1.1.0 and half on 1.2.0, which crashes
# more. Ingesting the same file twice stores every event once.
awk 'BEGIN { srand(14)
  for (d = 0; d < 300; d++) {
    v = d < 150 ? "1.1.0" : "1.2.0"; crash = d < 150 ? 0.01 : 0.06
    for (day = 1; day <= 14; day++) {
      if (day > 1 && rand() > 0.25 + 0.6 * exp(-day / 4)) continue
      t = sprintf("2026-03-%02dT%02d:%02d:00Z", day, int(rand() * 24), int(rand() * 60))
      printf "{\"time\":\"%s\",\"event_id\":\"e%d-%d-1\",\"device_id\":\"device-%d\",\"event\":\"launch\",\"app_version\":\"%s\",\"region\":\"%s\"}\n", t, d, day, d, v, (d % 3 ? "EU" : "CN")
      printf "{\"time\":\"%s\",\"event_id\":\"e%d-%d-2\",\"device_id\":\"device-%d\",\"event\":\"page_view\",\"app_version\":\"%s\",\"properties\":{\"screen\":\"home\"}}\n", t, d, day, d, v
      if (rand() < crash)
        printf "{\"time\":\"%s\",\"event_id\":\"e%d-%d-3\",\"device_id\":\"device-%d\",\"event\":\"crash\",\"app_version\":\"%s\"}\n", t, d, day, d, v
    }
  } }' > events.ndjson
step mpaas analytics ingest events.ndjson --app com.example.shop
step mpaas analytics ingest events.ndjson --app com.example.shop --json
step mpaas analytics query active-devices --app com.example.shop --from 2026-03-01 --to 2026-03-07
step mpaas analytics query crash-free --app com.example.shop --from 2026-03-01 --to 2026-03-03 --group-by app_version --csv
COLUMNS=72 step mpaas analytics query active-devices --app com.example.shop --from 2026-03-01 --to 2026-03-14 --group-by app_version --chart --chart-out dau.svg
step head -c 160 dau.svg
step mpaas analytics query retention --app com.example.shop --from 2026-03-01 --to 2026-03-14 --interval week --tz Europe/Berlin
step mpaas analytics query funnel launch page_view crash --app com.example.shop --from 2026-03-01 --to 2026-03-14 --window 1h
step mpaas analytics compare --app com.example.shop --version 1.1.0 --version 1.2.0 --from 2026-03-01 --to 2026-03-14

# --- mpaas serve: the same platform over HTTP API v1 (docs/api.md) ---
# The server runs on a free loopback port; on first start it writes an admin token to
# admin-token (0600) in the platform folder. A CI token is made with `mpaas token`, and a
# device asks for its updates with plain curl (no token: devices need none).
step mpaas token create --name ci --scope release --expires 30d
step mpaas token list
"$mpaas_binary" serve --listen 127.0.0.1:0 2> serve.log &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q '/v1$' serve.log 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's|.* on \(http://[0-9.:]*\)/v1$|\1|p' serve.log)
step cat serve.log
step curl -s "$base/healthz"
step curl -s "$base/v1/apps/com.example.shop/updates?platform=android&device_id=device-7&os_version=13"
token=$(cat "$XDG_DATA_HOME/mpaas/platform/admin-token")
printf '\n$ curl -s -H "Authorization: Bearer $token" %s/v1/apps   # the admin token\n' "$base"
curl -s -H "Authorization: Bearer $token" "$base/v1/apps"
printf '\n$ curl -s %s/v1/apps   # no token: 401\n' "$base"
curl -s "$base/v1/apps"

# --- the same commands against the server: mpaas login, then every platform command remote ---
# The token goes in on stdin (never as an argument) and is kept 0600 under the profile.
printf '\n$ mpaas login --endpoint %s --token-stdin < admin-token\n' "$base"
mpaas login --endpoint "$base" --token-stdin < "$XDG_DATA_HOME/mpaas/platform/admin-token"
mpaas config set endpoint "$base" >/dev/null
step mpaas app list
head -c 3000000 /dev/urandom > shop-1.3.0.apk
printf '\n$ mpaas release upload shop-1.3.0.apk ... --version 1.3.0 --percent 5   # tus, chunked, resumable\n'
mpaas release upload shop-1.3.0.apk --app com.example.shop --platform android --version 1.3.0 \
  --percent 5 --rule 'os_version>=12'
step mpaas release rollout com.example.shop/android/1.3.0 --percent 25
step mpaas release check --app com.example.shop --platform android --device-id device-7 --os-version 13
step mpaas release download com.example.shop/android/1.3.0 -o downloaded.apk
step cmp shop-1.3.0.apk downloaded.apk
step mpaas api GET /v1/whoami
step mpaas logout
printf '\n$ mpaas app list   # logged out: exit 7\n'
mpaas app list || echo "(exit code $?)"
mpaas config unset endpoint >/dev/null
kill -TERM $server_pid
wait $server_pid || true
trap 'rm -rf "$work"' EXIT
step tail -n 4 serve.log

printf '\nDemo finished.\n'
