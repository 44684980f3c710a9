#!/usr/bin/env bash
# Binary delta benchmark: mpaas diff/patch against bsdiff 4.3, xdelta3 -9 and
# zstd --patch-from --long -19, in the same run, on consecutive releases of binaries
# published on npm (fetched with `npm pack`, cached in ~/.cache/mpaas-bench). Prints one
# table row per pair and tool: patch size, diff and apply wall time and peak memory
# (/usr/bin/time %M), and checks every tool's output against the real new file.
# Usage: bench/delta/run.sh [path/to/mpaas] [--quick]   (--quick: skip the two large pairs)
set -euo pipefail
mpaas=$(realpath "${1:-build/release/mpaas}")
quick=${2:-}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mpaas-bench
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# name  package  old-version  new-version  file-inside-package
pairs=(
  "esbuild-linux-x64 @esbuild/linux-x64 0.19.0 0.19.1 package/bin/esbuild"
  "esbuild-android-arm64 @esbuild/android-arm64 0.19.0 0.19.1 package/bin/esbuild"
  "rollup-android-arm64 @rollup/rollup-android-arm64 4.9.0 4.9.1 package/rollup.android-arm64.node"
  "esbuild-linux-x64-0.18 @esbuild/linux-x64 0.18.19 0.18.20 package/bin/esbuild"
)
# The two large pairs: 45 MiB and 61 MiB (the pair over 50 MB), where bsdiff takes minutes.
[[ $quick == --quick ]] ||
  pairs+=("swc-linux-x64 @swc/core-linux-x64-gnu 1.3.100 1.3.101 package/swc.linux-x64-gnu.node"
    "rspack-linux-x64 @rspack/binding-linux-x64-gnu 1.1.0 1.1.1 package/rspack.linux-x64-gnu.node")

fetch() {  # package version file -> path of the extracted file
  local package=$1 version=$2 file=$3
  local key
  key=$(echo "$package@$version" | tr '/@' '__')
  if [[ ! -f $cache/$key.bin ]]; then
    (cd "$work" && npm pack --silent "$package@$version" >/dev/null 2>&1)
    local tarball
    tarball=$(ls "$work"/*.tgz)
    tar -xzf "$tarball" -C "$work" "$file"
    mv "$work/$file" "$cache/$key.bin"
    rm -rf "$work/package" "$tarball"
  fi
  echo "$cache/$key.bin"
}

measure() {  # out-var-prefix command... ; sets ${prefix}_seconds and ${prefix}_mib
  local prefix=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    cat "$work/stderr" >&2
    return 1
  }
  read -r seconds kib <"$work/time"
  printf -v "${prefix}_seconds" '%s' "$seconds"
  printf -v "${prefix}_mib" '%s' "$((kib / 1024))"
}

printf '%-24s %8s  %-14s %10s %7s  %8s %8s %9s %9s\n' PAIR "NEW MiB" TOOL PATCH "VS BSD" \
  "DIFF s" "APPLY s" "DIFF MiB" "APPLY MiB"
for pair in "${pairs[@]}"; do
  read -r name package old_version new_version file <<<"$pair"
  old=$(fetch "$package" "$old_version" "$file")
  new=$(fetch "$package" "$new_version" "$file")
  new_mib=$(awk "BEGIN { printf \"%.1f\", $(stat -c %s "$new") / 1048576 }")
  bsdiff_size=0
  for tool in bsdiff mpaas mpaas-zstd xdelta3 zstd; do
    patch=$work/patch.$tool out=$work/out.$tool
    case $tool in
      bsdiff)
        measure diff bsdiff "$old" "$new" "$patch"
        measure apply bspatch "$old" "$out" "$patch" ;;
      mpaas)
        measure diff "$mpaas" -q diff "$old" "$new" -o "$patch"
        measure apply "$mpaas" -q patch "$old" "$patch" -o "$out" ;;
      mpaas-zstd)
        measure diff "$mpaas" -q diff "$old" "$new" -o "$patch" --codec zstd
        measure apply "$mpaas" -q patch "$old" "$patch" -o "$out" ;;
      xdelta3)
        measure diff xdelta3 -9 -f -e -s "$old" "$new" "$patch"
        measure apply xdelta3 -f -d -s "$old" "$patch" "$out" ;;
      zstd)
        measure diff zstd -q -f --patch-from="$old" --long -19 "$new" -o "$patch"
        measure apply zstd -q -f -d --long=31 --patch-from="$old" "$patch" -o "$out" ;;
    esac
    cmp -s "$out" "$new" || { echo "bench: $tool produced a wrong file for $name" >&2; exit 1; }
    size=$(stat -c %s "$patch")
    [[ $tool == bsdiff ]] && bsdiff_size=$size
    versus=$(awk "BEGIN { printf \"%+.1f%%\", ($size - $bsdiff_size) * 100 / $bsdiff_size }")
    printf '%-24s %8s  %-14s %10s %7s  %8s %8s %9s %9s\n' "$name" "$new_mib" "$tool" "$size" \
      "$versus" "$diff_seconds" "$apply_seconds" "$diff_mib" "$apply_mib"
    rm -f "$patch" "$out"
  done
done
