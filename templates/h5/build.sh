#!/bin/sh
# Builds the offline package of this project (mpaas.yaml, offline section).
set -e
cd "$(dirname "$0")"
exec mpaas offline build "$@"
