# Sourced by the benchmarks that use files published on npm (bench/delta, bench/hotfix).
# npm_fetch PACKAGE VERSION FILE -> the path of FILE (inside the package) in the cache $cache,
# fetched once with `npm pack` into the scratch folder $work.
npm_fetch() {
  local package=$1 version=$2 file=$3
  local key
  key=$(echo "$package@$version/$(basename "$file")" | tr '/@' '__')
  if [[ ! -f $cache/$key ]]; then
    command -v npm >/dev/null || { echo "bench: npm is needed to fetch $package" >&2; exit 1; }
    (cd "$work" && npm pack --silent "$package@$version" >/dev/null 2>&1) ||
      { echo "bench: npm pack $package@$version failed (no network?)" >&2; exit 1; }
    local tarball
    tarball=$(ls "$work"/*.tgz)
    tar -xzf "$tarball" -C "$work" "$file"
    mv "$work/$file" "$cache/$key"
    rm -rf "$work/package" "$tarball"
  fi
  echo "$cache/$key"
}
