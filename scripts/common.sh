# Sourced by the scripts: the shared tool and build-cache locations, and step headers that say
# what runs and how long it takes on a 2-core machine (measured there; warm = cache filled).

# Tools (~/.cargo/bin) and the build cache are per machine, shared by every clone and by both
# scripts/serve.sh and scripts/test.sh; npm packages are per clone.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/disentangle-lab/target}"

SCRIPT_START=$(date +%s)
STEP_START=$SCRIPT_START

# Prints the header of a step: what it does, its expected time, the clock and the time so far.
step() {
  local now
  now=$(date +%s)
  printf '\n== %s (%s, %s min into %s)\n' "$1" "$(date +%H:%M:%S)" \
    "$(( (now - SCRIPT_START) / 60 ))" "$(basename "$0")"
  STEP_START=$now
}

# Prints how long the last step took.
step_done() {
  printf '   took %s s\n' "$(( $(date +%s) - STEP_START ))"
}

# Whether the build cache holds burn's artifacts for a profile folder (e.g.
# wasm32-unknown-unknown/release) built with the rustflags $2 (as cargo's fingerprint JSON
# writes them, e.g. "-C","target-feature=+simd128"): what decides between a cold and a warm
# build, since other flags rebuild everything.
cache_has_burn() {
  grep -qsF "\"rustflags\":[$2]" "$CARGO_TARGET_DIR/$1"/.fingerprint/burn-core-*/lib-burn_core.json
}

# The wasm32 rustflags of .cargo/config.toml, in the fingerprint's spelling.
wasm_rustflags() {
  sed -n 's/^rustflags = \[\(.*\)\]$/\1/p' .cargo/config.toml | sed 's/, /,/g'
}

# The expected time of a release wasm build.
wasm_build_estimate() {
  if cache_has_burn wasm32-unknown-unknown/release "$(wasm_rustflags)"; then
    echo "warm cache: ≈ 4–6 min, mostly wasm-opt on the two workers"
  else
    echo "cold cache: ≈ 25 min on 2 cores (burn is built twice: the CPU worker and the WebGPU one), once per machine; later ≈ 4–6 min"
  fi
}
