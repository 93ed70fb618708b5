#!/usr/bin/env bash
# Installs the pinned toolchain pieces the app and its tests need, idempotently, and says for each
# what it installs and how long that takes on a 2-core machine. Nothing is downloaded outside the
# package registries: Trunk runs offline and finds wasm-bindgen and wasm-opt on PATH.
# The cargo tools (~/.cargo/bin) and Chromium are per machine, shared by every clone and by both
# scripts/serve.sh and scripts/test.sh; the npm packages are per clone.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

WANT_BROWSER=0
for a in "$@"; do
  case "$a" in
    --browser) WANT_BROWSER=1 ;;
    *) echo "install-tools.sh: unknown option $a (valid: --browser)" >&2; exit 2 ;;
  esac
done

# One install at a time per machine: serve.sh and test.sh started together would otherwise
# both build Trunk (twice the time) and race on ~/.cargo/bin; the second waits, then finds
# everything installed.
LOCK_DIR="$HOME/.cache/disentangle-lab"
mkdir -p "$LOCK_DIR"
exec 9>"$LOCK_DIR/install-tools.lock"
if ! flock -n 9; then
  echo "== waiting for another scripts/install-tools.sh on this machine to finish"
  flock 9
fi

WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
TRUNK_VERSION=0.21.14
have_wasm32() { rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }
have_wbg() { [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$WBG_VERSION" ]; }
have_trunk() { [ "$(trunk --version 2>/dev/null | awk '{print $2}')" = "$TRUNK_VERSION" ]; }
have_npm() { [ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ]; }
have_chromium() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }

# The plan first, so a first run says up front how long it will take.
todo=()
have_wasm32 || todo+=("wasm32 target (rustup, ≈ 1 min)")
have_wbg || todo+=("wasm-bindgen-cli $WBG_VERSION (cargo install, ≈ 3 min)")
have_trunk || todo+=("Trunk $TRUNK_VERSION (cargo install, ≈ 8–12 min)")
have_npm || todo+=("npm packages (≈ 1 min)")
[ "$WANT_BROWSER" = 0 ] || have_chromium || todo+=("Chromium and chromedriver (Debian, ≈ 2 min)")
if [ ${#todo[@]} -gt 0 ]; then
  echo "== installing, once per machine (npm packages: once per clone), times on 2 cores:"
  printf '     %s\n' "${todo[@]}"
fi

if ! have_wasm32; then
  step "wasm32 target (rustup, ≈ 1 min, once per machine)"
  rustup target add wasm32-unknown-unknown >/dev/null
  step_done
fi

# wasm-bindgen-cli must equal the wasm-bindgen version in Cargo.lock exactly. cargo install
# builds each tool in a temporary folder of its own, not in the project's build cache.
if ! have_wbg; then
  step "wasm-bindgen-cli $WBG_VERSION (cargo install, ≈ 3 min on 2 cores, once per machine)"
  # No --locked: a locked webpki-roots fails to resolve (docs/TOOLCHAIN).
  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version "$WBG_VERSION" --force
  step_done
fi

if ! have_trunk; then
  step "Trunk $TRUNK_VERSION (cargo install, ≈ 8–12 min on 2 cores, once per machine)"
  env -u CARGO_TARGET_DIR cargo install trunk --locked --version "$TRUNK_VERSION" --force
  step_done
fi

if ! have_npm; then
  step "npm packages: binaryen's wasm-opt, playwright-core (≈ 1 min, once per clone)"
  npm ci --no-audit --no-fund --loglevel=error
  step_done
fi

if [ "$WANT_BROWSER" = 1 ] && ! have_chromium; then
  step "Chromium and chromedriver from Debian (≈ 2 min, once per machine)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  step_done
fi
echo "== tools ready ($(( $(date +%s) - SCRIPT_START )) s)"
