#!/usr/bin/env bash
# Builds the page (release: burn is unusably slow unoptimised) and serves it on
# http://127.0.0.1:8080, rebuilding on change.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/disentangle-lab/target}"
exec trunk serve --release "$@"
