#!/usr/bin/env bash
# Installs the pinned toolchain pieces the app and its tests need, idempotently.
# Nothing is downloaded outside the package registries: Trunk runs offline and
# finds wasm-bindgen and wasm-opt on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

WANT_BROWSER=0
for a in "$@"; do
  case "$a" in
    --browser) WANT_BROWSER=1 ;;
    *) echo "install-tools.sh: unknown option $a (valid: --browser)" >&2; exit 2 ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"

echo "== wasm32 target"
rustup target add wasm32-unknown-unknown >/dev/null

# wasm-bindgen-cli must equal the wasm-bindgen version in Cargo.lock exactly.
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG_VERSION" ]; then
  echo "== wasm-bindgen-cli $WBG_VERSION"
  # No --locked: a locked webpki-roots fails to resolve (measured here).
  cargo install wasm-bindgen-cli --version "$WBG_VERSION" --force
fi

TRUNK_VERSION=0.21.14
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  echo "== trunk $TRUNK_VERSION"
  cargo install trunk --locked --version "$TRUNK_VERSION" --force
fi

echo "== npm packages (binaryen's wasm-opt, playwright-core)"
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "$WANT_BROWSER" = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  echo "== chromium from Debian"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "== tools ready"
