#!/usr/bin/env bash
# Runs every test: formatting and lints, native unit/integration tests (core, CLI), the
# release wasm build, and the browser tests in headless Chromium on WebGPU and CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh --browser
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Warnings from Mesa/Chromium about a missing runtime dir are noise here.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
# One build cache per machine, outside the clone: a fresh clone then rebuilds only this crate.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/disentangle-lab/target}"

step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy (native, all targets)"
cargo clippy --all-targets --locked -- -D warnings

step "cargo clippy (wasm32: page and worker; the page alone, as built, without burn)"
cargo clippy --target wasm32-unknown-unknown --bins --locked -- -D warnings
cargo clippy --target wasm32-unknown-unknown --no-default-features --bin app --locked -- -D warnings

# Release profile: burn is unusably slow unoptimised, and the host-side build scripts and
# proc-macros are then shared with the release wasm build below.
step "native tests (release)"
cargo test --release --locked

step "release wasm build (trunk)"
trunk build --release

step "browser tests (headless Chromium, WebGPU on SwiftShader and CPU)"
npm run --silent test:browser
