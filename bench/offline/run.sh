#!/usr/bin/env bash
# Benchmark of `mpaas offline build` on a real web app from the npm registry (monaco-editor:
# thousands of files, over 100 MB unpacked) against the same work done by standard tools
# in the same run: GNU tar (sorted, fixed owner and time), openssl dgst -sha1 -sign, and
# zip -6. Prints wall time, peak memory (max RSS) and output size for each.
# Usage: bench/offline/run.sh path/to/mpaas [npm-package]
set -euo pipefail

mpaas=$(realpath "${1:-build/release/mpaas}")
package=${2:-monaco-editor}
cache=${MPAAS_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mpaas-bench}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpaas-bench-offline-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# The app: the npm tarball, fetched once with npm itself and kept in the cache.
tarball=$(ls "$cache"/"$package"-*.tgz 2>/dev/null | head -n1 || true)
if [[ -z "$tarball" ]]; then
  (cd "$cache" && npm pack "$package" --silent >/dev/null)
  tarball=$(ls "$cache"/"$package"-*.tgz | head -n1)
fi
mkdir -p "$work/app/www"
tar -xzf "$tarball" -C "$work/app/www" --strip-components=1
files=$(find "$work/app/www" -type f | wc -l)
bytes=$(du -sb "$work/app/www" | cut -f1)

cat > "$work/app/mpaas.yaml" <<'YAML'
offline:
  id: "80000001"
  name: bench
  version: 1.0.0.1
  root: www
  main_url: /package.json
YAML
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null

# measure NAME COMMAND...: runs COMMAND under /usr/bin/time, records seconds and max RSS.
declare -A seconds memory
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time.$name" "$@" >/dev/null 2>"$work/err.$name" ||
    { cat "$work/err.$name" >&2; exit 1; }
  read -r seconds[$name] memory[$name] < "$work/time.$name"
}

sync
measure mpaas "$mpaas" offline build "$work/app" -o "$work/mpaas.amr" --key "$work/key.pem"
# A fast package is worth nothing unless other tools read it: unzip inflates every entry.
unzip -tq "$work/mpaas.amr" >/dev/null || { echo "unzip -t fails on the package" >&2; exit 1; }

mkdir -p "$work/peer"
printf '<?xml version="1.0" encoding="utf-8"?>\n<package>\n  <uid>80000001</uid>\n</package>\n' > "$work/peer/Manifest.xml"
measure tar tar --sort=name --owner=admin:500 --group=admin:500 --mode=0664 --mtime=@1577836800 \
  --format=gnu -cf "$work/peer/80000001.tar" -C "$work/app/www" .
measure openssl openssl dgst -sha1 -sign "$work/key.pem" -out "$work/peer/tar.sig" "$work/peer/80000001.tar"
measure zip bash -c "cd '$work/peer' && zip -q -6 -X '$work/peer.zip' Manifest.xml 80000001.tar"

calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
peer_seconds=$(calc "${seconds[tar]} + ${seconds[openssl]} + ${seconds[zip]}")
peer_memory=$(printf '%s\n' "${memory[tar]}" "${memory[openssl]}" "${memory[zip]}" | sort -n | tail -n1)
mpaas_size=$(stat -c %s "$work/mpaas.amr")
zip_size=$(stat -c %s "$work/peer.zip")

echo "offline build of $(basename "$tarball"): $files files, $((bytes / 1048576)) MiB, $(nproc) cores"
printf '%-34s %9s %12s %12s\n' "tool" "seconds" "peak MiB" "size MiB"
row() { printf '%-34s %9s %12s %12s\n' "$1" "$2" "$(( $3 / 1024 ))" "$4"; }
mib() { calc "$1 / 1048576"; }
row "mpaas offline build (signed)" "${seconds[mpaas]}" "${memory[mpaas]}" "$(mib "$mpaas_size")"
row "tar (sorted, gnu format)" "${seconds[tar]}" "${memory[tar]}" "-"
row "openssl dgst -sha1 -sign" "${seconds[openssl]}" "${memory[openssl]}" "-"
row "zip -6" "${seconds[zip]}" "${memory[zip]}" "$(mib "$zip_size")"
row "tar + openssl + zip (sum)" "$peer_seconds" "$peer_memory" "$(mib "$zip_size")"
echo "speed-up: $(calc "$peer_seconds / ${seconds[mpaas]}")x;" \
  "size vs zip -6: $(calc "100 * ($mpaas_size - $zip_size) / $zip_size")%"
