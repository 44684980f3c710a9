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
step env MPAAS_ENDPOINT=http://127.0.0.1:8080 "$mpaas_binary" config get endpoint -o json
step mpaas help exit-codes
printf '\n$ mpaas confg list   # a typo: exit code 2 and a suggestion\n'
mpaas confg list || echo "(exit code $?)"

# --- mpaas new (scaffold the project the next steps use) ---
# __DEMO_NEW__

# --- mpaas offline and mpaas keys ---
# __DEMO_OFFLINE__

# --- mpaas diff and mpaas patch ---
# __DEMO_DELTA__
# A "release" of a real executable (a copy of this mpaas binary) and a hot-fixed one with
# an insertion that shifts the code behind it.
cp "$mpaas_binary" app-1.0.bin
{ head -c 1000000 app-1.0.bin; printf 'hot-fix'; tail -c +1000001 app-1.0.bin; } >app-1.1.bin
step mpaas diff app-1.0.bin app-1.1.bin -o app.mpd
step mpaas patch --info app.mpd
step mpaas patch app-1.0.bin app.mpd -o app-1.1.patched
step cmp app-1.1.bin app-1.1.patched
step mpaas --json diff app-1.0.bin app-1.1.bin -o app.bsdiff --format bsdiff
step bspatch app-1.0.bin app-1.1.bspatched app.bsdiff
step cmp app-1.1.bin app-1.1.bspatched
printf '\n$ mpaas patch app-1.1.bin app.mpd -o out.bin   # the wrong old file: exit 4\n'
mpaas patch app-1.1.bin app.mpd -o out.bin || echo "(exit code $?)"

printf '\nDemo finished.\n'
