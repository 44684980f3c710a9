#!/usr/bin/env bash
# Hot-fix benchmark (issue 15): for consecutive releases of archives published on npm
# (fetched with `npm pack`, cached in ~/.cache/mpaas-bench, as bench/delta does), the size of
# `mpaas hotfix create` beside what users would otherwise ship, in the same run:
#   - `mpaas diff` of the two archives (mpd, default settings);
#   - bsdiff 4.3 of the two archives;
#   - `zstd -19 --long=27 --patch-from` of the two archives;
#   - CodePush's approach: the changed and added files whole, in a zip (`zip -9`).
# Goal: the hot-fix at most a third of the smallest of those. Every bundle is applied and the
# result compared with the real new archive byte for byte (`cmp`). Bundles are signed with a
# fresh Ed25519 key, so the sizes include the signature.
# Usage: bench/hotfix/run.sh [path/to/mpaas]
set -euo pipefail

mpaas=$(realpath "${1:-build/release/mpaas}")
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mpaas-bench
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-hotfix-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"
# name  package  old-version  new-version  archive-inside-package
pairs=(
  "closure-compiler-jar google-closure-compiler-java 20261011.0.0 20261015.0.0 package/compiler.jar"
  "closure-compiler-jar-2 google-closure-compiler-java 20261006.0.0 20261007.0.0 package/compiler.jar"
)

# shellcheck source=../tools/npm_fetch.sh
source "$(dirname "$0")/../tools/npm_fetch.sh"
size_of() { stat -c %s "$1"; }
seconds() { # command... -> wall seconds
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  awk "BEGIN { printf \"%.2f\", ($end - $start) / 1e9 }"
}
# The changed and added entries of NEW against OLD, whole, zipped (CodePush's update zip).
changed_zip() { # old new out
  rm -rf "$work/old" "$work/new"
  mkdir -p "$work/old" "$work/new"
  unzip -q "$1" -d "$work/old"
  unzip -q "$2" -d "$work/new"
  (cd "$work/new" && find . -type f | while read -r f; do
    cmp -s "$f" "$work/old/$f" || echo "$f"
  done) > "$work/changed.txt"
  rm -f "$3"
  (cd "$work/new" && zip -q -9 "$3" -@ < "$work/changed.txt")
}

"$mpaas" keys generate -o "$work/keys" --type ed25519 >/dev/null 2>&1
printf '\nmpaas hotfix against whole-archive deltas and a zip of changed files, %s cores\n\n' "$(nproc)"
printf '| %-22s | %9s | %10s | %10s | %10s | %10s | %10s | %7s | %8s | %8s |\n' pair "new MB" \
  "hotfix" "mpaas diff" bsdiff "zstd" "changed.zip" "ratio" "create s" "apply s"
printf '|%s|\n' "$(printf -- '-%.0s' {1..130})"
for pair in "${pairs[@]}"; do
  read -r name package old_version new_version file <<< "$pair"
  old=$(npm_fetch "$package" "$old_version" "$file")
  new=$(npm_fetch "$package" "$new_version" "$file")
  create_s=$(seconds "$mpaas" hotfix create --base "$old" --target "$new" -o "$work/fix.mphf" \
    --key "$work/keys/private.pem")
  apply_s=$(seconds "$mpaas" hotfix apply --base "$old" "$work/fix.mphf" -o "$work/out" \
    --pubkey "$work/keys/public.pem")
  cmp "$work/out" "$new" || { echo "bench: $name: the applied bundle differs from the new archive" >&2; exit 1; }
  "$mpaas" diff "$old" "$new" -o "$work/whole.mpd" >/dev/null
  bsdiff "$old" "$new" "$work/whole.bsdiff"
  zstd -q -f -19 --long=27 --patch-from="$old" "$new" -o "$work/whole.zst" 2>/dev/null
  changed_zip "$old" "$new" "$work/changed.zip"
  hotfix=$(size_of "$work/fix.mphf")
  best=$(printf '%s\n' "$(size_of "$work/whole.mpd")" "$(size_of "$work/whole.bsdiff")" \
    "$(size_of "$work/whole.zst")" "$(size_of "$work/changed.zip")" | sort -n | head -1)
  printf '| %-22s | %9.1f | %10s | %10s | %10s | %10s | %10s | %6.1f%% | %8s | %8s |\n' "$name" \
    "$(awk "BEGIN { print $(size_of "$new") / 1e6 }")" "$hotfix" "$(size_of "$work/whole.mpd")" \
    "$(size_of "$work/whole.bsdiff")" "$(size_of "$work/whole.zst")" \
    "$(size_of "$work/changed.zip")" "$(awk "BEGIN { print 100 * $hotfix / $best }")" \
    "$create_s" "$apply_s"
done
printf '\nratio: the hot-fix against the smallest of the four (goal: at most 33.3%%); sizes in bytes.\n'
