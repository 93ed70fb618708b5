#!/usr/bin/env bash
# Builds the page (release: burn is unusably slow unoptimised) into target/serve-dist and serves
# it on http://127.0.0.1:8080, rebuilding when a source changes. It writes nothing that
# `trunk build` (dist/) or scripts/test.sh (target/browser-*) write, and they trigger no rebuild
# here: Trunk.toml's [watch] ignore lists their folders.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
scripts/install-tools.sh
# Trunk 0.21 refuses to start while a [watch] ignore path is missing.
mkdir -p dist target test-output
step "release wasm build by trunk serve ($(wasm_build_estimate)), then serving http://127.0.0.1:8080"
exec trunk serve --release --dist target/serve-dist "$@"
