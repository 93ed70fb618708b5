#!/usr/bin/env bash
# Release build of the page for the browser tests: scripts/browser-build.sh DIST [trunk build
# options], e.g. `scripts/browser-build.sh target/browser-dist-lab --public-url /lab/`.
# DIST belongs to the tests alone (under target/, which `trunk serve` ignores): never dist/,
# which `trunk build` writes for hosting, nor target/serve-dist, which scripts/serve.sh serves.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
if [ $# -lt 1 ]; then
  echo "usage: scripts/browser-build.sh DIST [trunk build options]" >&2
  exit 2
fi
dist=$1
shift
# The compiled crates come from the shared cache (cargo's build-dir), so nothing that
# scripts/serve.sh compiled is compiled again. The final artifacts, and the wasm-bindgen and
# wasm-opt output that Trunk keeps in cargo's target dir, go to a target dir of the tests' own:
# a `trunk serve` rebuilding at the same moment then cannot overwrite a file this build copies.
export CARGO_BUILD_BUILD_DIR="${CARGO_BUILD_BUILD_DIR:-$CARGO_TARGET_DIR}"
export CARGO_TARGET_DIR="$PWD/target/browser-cargo"
exec trunk build --release --dist "$dist" "$@"
