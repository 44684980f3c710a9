#!/usr/bin/env bash
# Runs every benchmark under bench/*/run.sh with the release binary; each prints its table.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in bench/*/run.sh; do
  echo "== $script"
  bash "$script" "$(realpath build/release/mpaas)"
done
