#!/usr/bin/env bash
# Binary delta benchmark: mpaas diff/patch against bsdiff 4.3, HDiffPatch (lzma2 and zstd,
# `hdiffz -m-6 -d`), xdelta3 -9 and zstd --patch-from --long -19, in the same run, on
# consecutive releases of files published on npm (fetched with `npm pack`, cached in
# ~/.cache/mpaas-bench). Prints one row per pair and tool: patch size, its excess over the
# smallest peer (mpaas rows count the patch less the 64 bytes of the two SHA-256 digests
# that mpd carries and the peers do not), diff and apply wall time and peak memory
# (/usr/bin/time %M), and for mpaas the memory bounds of issue 16 (diff: 6 x old + new +
# 32 MiB, apply: old + 32 MiB). Every tool's output is checked against the real new file.
#
# HDiffPatch is built by this script, never kept in the repository: HDIFFPATCH_SRC names
# its source (a checkout or a bare git folder of sisong/HDiffPatch) and LZMA_SDK_SRC the
# 7-Zip LZMA SDK it compiles (a checkout or git folder of sisong/lzma, holding C/). Both are
# built once under ~/.cache/mpaas-bench/hdiffpatch-*; without them the columns are skipped
# with a note.
#
# Usage: bench/delta/run.sh [path/to/mpaas] [--quick]   (--quick: skip the pairs over 40 MB)
#        BENCH_ONLY=regex bench/delta/run.sh ...        (only pairs whose name matches)
set -euo pipefail
mpaas=$(realpath "${1:-build/release/mpaas}")
quick=${2:-}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/mpaas-bench
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# name  kind  package  old-version  new-version  file-inside-package
pairs=(
  "esbuild-linux-x64 go-x86-64 @esbuild/linux-x64 0.19.0 0.19.1 package/bin/esbuild"
  "esbuild-linux-x64-minor go-x86-64 @esbuild/linux-x64 0.18.20 0.19.0 package/bin/esbuild"
  "esbuild-android-arm64 go-arm64 @esbuild/android-arm64 0.19.0 0.19.1 package/bin/esbuild"
  "rollup-linux-x64 rust-x86-64 @rollup/rollup-linux-x64-gnu 4.9.0 4.9.1 package/rollup.linux-x64-gnu.node"
  "rollup-android-arm64 rust-arm64 @rollup/rollup-android-arm64 4.9.0 4.9.1 package/rollup.android-arm64.node"
  # libvips-cpp bundles its codecs and ends in a megabyte of compressed data.
  "sharp-libvips-linux-x64 shared-lib+compressed @img/sharp-libvips-linux-x64 1.0.2 1.0.4 package/lib/libvips-cpp.so.42"
  "vue-global js-unminified vue 3.4.20 3.4.21 package/dist/vue.global.js"
  "vue-global-prod js-minified vue 3.4.20 3.4.21 package/dist/vue.global.prod.js"
  "react-dom-prod js-minified react-dom 18.2.0 18.3.0 package/umd/react-dom.production.min.js"
  "typescript tiny-change-large typescript 5.4.4 5.4.5 package/lib/typescript.js"
)
# The large pairs: 45 MiB and 61 MiB (the pair over 50 MB), where bsdiff takes minutes.
[[ $quick == --quick ]] ||
  pairs+=("swc-linux-x64 rust-x86-64-large @swc/core-linux-x64-gnu 1.3.100 1.3.101 package/swc.linux-x64-gnu.node"
    "rspack-linux-x64 rust-x86-64-over-50MB @rspack/binding-linux-x64-gnu 1.1.0 1.1.1 package/rspack.linux-x64-gnu.node")

# shellcheck source=../tools/npm_fetch.sh
source "$(dirname "$0")/../tools/npm_fetch.sh"

# A source folder from a checkout or a git folder (exported at its HEAD into $2).
export_source() {
  local source=$1 into=$2
  mkdir -p "$into"
  if [[ -d $source/.git || ! -f $source/HEAD ]]; then
    cp -a "$source/." "$into/"
  else
    git --git-dir="$source" archive HEAD | tar -x -C "$into"
  fi
}

# Builds hdiffz and hpatchz once; prints the folder holding them, or nothing.
build_hdiffpatch() {
  [[ -n ${HDIFFPATCH_SRC:-} && -n ${LZMA_SDK_SRC:-} ]] || return 0
  local version
  version=$( (git --git-dir="$HDIFFPATCH_SRC" rev-parse --short HEAD ||
    git -C "$HDIFFPATCH_SRC" rev-parse --short HEAD) 2>/dev/null || echo local)
  local root=$cache/hdiffpatch-$version
  if [[ ! -x $root/HDiffPatch/hdiffz || ! -x $root/HDiffPatch/hpatchz ]]; then
    rm -rf "$root"
    export_source "$HDIFFPATCH_SRC" "$root/HDiffPatch"
    export_source "$LZMA_SDK_SRC" "$root/lzma"
    # zstd, zlib and bzip2 from Debian; only the LZMA SDK is compiled from source.
    make -C "$root/HDiffPatch" -j2 LDEF=0 ZLIB=2 ZSTD=2 BZIP2=2 DIR_DIFF=0 VCD=0 MD5=0 \
      XXH=0 >"$root/build.log" 2>&1 || {
      echo "bench: HDiffPatch did not build, see $root/build.log" >&2
      return 0
    }
  fi
  echo "$root/HDiffPatch"
}

measure() { # out-var-prefix command... ; sets ${prefix}_seconds and ${prefix}_mib
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

# Runs one tool on one pair: leaves $patch and $out, sets the diff_* and apply_* figures.
run_tool() {
  local tool=$1 old=$2 new=$3 patch=$4 out=$5
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
    hdiff-lzma2)
      measure diff "$hdiffpatch/hdiffz" -m-6 -d -c-lzma2-9-16m -f "$old" "$new" "$patch"
      measure apply "$hdiffpatch/hpatchz" -f "$old" "$patch" "$out" ;;
    hdiff-zstd)
      measure diff "$hdiffpatch/hdiffz" -m-6 -d -c-zstd-21-24 -f "$old" "$new" "$patch"
      measure apply "$hdiffpatch/hpatchz" -f "$old" "$patch" "$out" ;;
    xdelta3)
      measure diff xdelta3 -9 -f -e -s "$old" "$new" "$patch"
      measure apply xdelta3 -f -d -s "$old" "$patch" "$out" ;;
    zstd)
      measure diff zstd -q -f --patch-from="$old" --long -19 "$new" -o "$patch"
      measure apply zstd -q -f -d --long=31 --patch-from="$old" "$patch" -o "$out" ;;
  esac
}

hdiffpatch=$(build_hdiffpatch)
tools=(bsdiff xdelta3 zstd)
if [[ -n $hdiffpatch ]]; then
  tools+=(hdiff-lzma2 hdiff-zstd)
else
  echo "note: HDiffPatch columns skipped (set HDIFFPATCH_SRC and LZMA_SDK_SRC to build it)"
fi
tools+=(mpaas mpaas-zstd) # last, so that their rows can compare with every peer

format='%-24s %-22s %7s  %-12s %9s %8s  %7s %7s %8s %8s  %s\n'
printf "$format" PAIR KIND "NEW MiB" TOOL PATCH "VS BEST" "DIFF s" "APPLY s" "DIFF MiB" \
  "APPLY MiB" "MEMORY BOUND (diff/apply MiB)"
for pair in "${pairs[@]}"; do
  read -r name kind package old_version new_version file <<<"$pair"
  [[ -z ${BENCH_ONLY:-} || $name =~ $BENCH_ONLY ]] || continue
  old=$(npm_fetch "$package" "$old_version" "$file")
  new=$(npm_fetch "$package" "$new_version" "$file")
  old_bytes=$(stat -c %s "$old") new_bytes=$(stat -c %s "$new")
  new_mib=$(awk "BEGIN { printf \"%.1f\", $new_bytes / 1048576 }")
  best=0
  for tool in "${tools[@]}"; do
    patch=$work/patch.$tool out=$work/out.$tool
    run_tool "$tool" "$old" "$new" "$patch" "$out"
    cmp -s "$out" "$new" || { echo "bench: $tool produced a wrong file for $name" >&2; exit 1; }
    size=$(stat -c %s "$patch")
    bound=""
    if [[ $tool == mpaas* ]]; then
      counted=$((size - 64))
      bound=$(awk "BEGIN { d = (6 * $old_bytes + $new_bytes) / 1048576 + 32;
        a = $old_bytes / 1048576 + 32; printf \"%.0f/%.0f %s\", d, a,
        ($diff_mib <= d && $apply_mib <= a) ? \"within\" : \"EXCEEDED\" }")
    else
      counted=$size
      ((best == 0 || size < best)) && best=$size
    fi
    versus=""
    [[ $tool == mpaas* ]] &&
      versus=$(awk "BEGIN { printf \"%+.1f%%\", ($counted - $best) * 100 / $best }")
    printf "$format" "$name" "$kind" "$new_mib" "$tool" "$size" "$versus" "$diff_seconds" \
      "$apply_seconds" "$diff_mib" "$apply_mib" "$bound"
    rm -f "$patch" "$out"
  done
done
