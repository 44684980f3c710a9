#!/usr/bin/env bash
# Installs the Debian 12 packages mpaas needs to build, test and benchmark.
# Idempotent and non-interactive: when every package is present it only checks
# and returns in well under a second. Run as root (or through sudo).
set -euo pipefail

# Build: compiler, build tools and the libraries libmpaas links.
build_packages=(
  g++ cmake make ninja-build pkg-config git
  libcli11-dev libgit2-dev libcurl4-openssl-dev libarchive-dev libssl-dev
  libyaml-cpp-dev nlohmann-json3-dev libzstd-dev liblzma-dev libdivsufsort-dev
  libdeflate-dev libbz2-dev libsqlite3-dev libsqlitecpp-dev libcpp-httplib-dev
  libkainjow-mustache-dev catch2 zlib1g-dev libre2-dev nettle-dev
  libhowardhinnant-date-dev tzdata
)
# Test, interop and benchmark tools: the standard tools users run against our output.
test_packages=(
  bsdiff xdelta3 zstd openssl libarchive-tools tar curl unzip zip clang libclang-rt-14-dev
  groff-base man-db time wrk nginx-light python3-tuspy chromium sqlite3
)

wanted=("${build_packages[@]}")
if [[ "${1:-}" != "--build-only" ]]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
