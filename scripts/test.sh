#!/usr/bin/env bash
# Runs every test: formatting and lints, native unit/integration tests (core, CLI), the
# release wasm build, and the browser tests in headless Chromium on WebGPU and CPU.
# Safe beside a running scripts/serve.sh: the browser tests build and serve their own folders
# under target/ (target/browser-dist, target/browser-dist-lab), which `trunk serve` ignores.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
scripts/install-tools.sh --browser
# Warnings from Mesa/Chromium about a missing runtime dir are noise here.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

if compgen -G "$CARGO_TARGET_DIR/release/deps/libburn_core-*.rlib" >/dev/null; then
  CLIPPY_ESTIMATE="warm cache: ≈ 1 min"
  NATIVE_ESTIMATE="warm cache: ≈ 2–5 min"
else
  CLIPPY_ESTIMATE="cold cache: ≈ 10 min on 2 cores, once per machine"
  NATIVE_ESTIMATE="cold cache: ≈ 30 min on 2 cores, once per machine"
fi

step "cargo fmt --check"
cargo fmt --check
step_done

# The first native step compiles the dependencies for the native checks.
step "cargo clippy (native, all targets; $CLIPPY_ESTIMATE)"
cargo clippy --all-targets --locked -- -D warnings
step_done

step "cargo clippy (wasm32: the page and both workers, each with the features index.html builds it with)"
cargo clippy --target wasm32-unknown-unknown --no-default-features --bin app --locked -- -D warnings
cargo clippy --target wasm32-unknown-unknown --no-default-features --features ndarray --bin worker --locked -- -D warnings
cargo clippy --target wasm32-unknown-unknown --no-default-features --features wgpu --bin worker_gpu --locked -- -D warnings
step_done

# Release profile: burn is unusably slow unoptimised, and the host-side build scripts and
# proc-macros are then shared with the release wasm build below.
step "native tests (release; $NATIVE_ESTIMATE)"
cargo test --release --locked
step_done

step "release wasm build into target/browser-dist ($(wasm_build_estimate))"
scripts/browser-build.sh target/browser-dist
step_done

step "release wasm build with --public-url /lab/ into target/browser-dist-lab (≈ 3 min)"
scripts/browser-build.sh target/browser-dist-lab --public-url /lab/
step_done

step "browser tests (headless Chromium, WebGPU on SwiftShader and CPU; ≈ 20 min)"
DIST_DIR=target/browser-dist SUBPATH_DIST=target/browser-dist-lab npm run --silent test:browser
step_done
