#!/usr/bin/env bash
# Regenerates docs/performance.md: native training speed of `disentangle-lab bench` (Flex and
# NdArray) beside the PyTorch CPU peer, run one after the other per configuration with the
# same thread count, plus the wgpu dispatches per step; then, with the options below, the
# page's Measure speed and the TensorFlow.js peer in headless Chromium, one after the other.
#
#   scripts/perf-table.sh --pytorch-peer /path/to/bench.py [--python PY] [--seconds S]
#                         [--threads N] [--rounds R] [--page-dist DIR] [--tfjs-peer DIR]
#                         [--out docs/performance.md]
#
# --rounds (default 2): every configuration's pair (ours, then the peer) runs R times, one round
#   after the other, and each side keeps its best figure: on a shared machine a neighbour's
#   burst slows single runs of either side, never speeds them up.
# --python defaults to ~/.cache/torch-peer/bin/python (see the peer's README to install it).
# --page-dist: a release build of the page (scripts/browser-build.sh DIR) to time in Chromium.
# --tfjs-peer: the tfjs-vae peer's folder; it is copied and its npm packages installed in a
#   temporary folder (nothing is written into it), then run on its WebGL, WASM and CPU backends.
set -euo pipefail
cd "$(dirname "$0")/.."

peer="" python="$HOME/.cache/torch-peer/bin/python" seconds=5 threads=2 rounds=2
page_dist="" tfjs_peer="" out="docs/performance.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --pytorch-peer) peer="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --page-dist) page_dist="$2"; shift 2 ;;
    --tfjs-peer) tfjs_peer="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "perf-table.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ -z "$peer" ] || [ ! -f "$peer" ]; then
  echo "perf-table.sh: --pytorch-peer must name the peer's bench.py" >&2; exit 2
fi
if [ ! -x "$python" ]; then
  echo "perf-table.sh: no Python with torch at $python (install it as the peer's README says, or pass --python)" >&2
  exit 2
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/disentangle-lab/target}"
# Same thread count on both sides: rayon (our CPU kernels and matrix products) and torch.
export RAYON_NUM_THREADS="$threads"
cargo build --release --locked --bin disentangle-lab
bin="$CARGO_TARGET_DIR/release/disentangle-lab"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

configs=$("$bin" bench --only configs)
for round in $(seq "$rounds"); do
echo "== round $round of $rounds" >&2
for c in $configs; do
  echo "== $c (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  printf '{"config": "%s", "load": %s}\n' "$c" "$(cut -d' ' -f1 /proc/loadavg)" >>"$work/load.jsonl"
  "$bin" bench --only train --backends flex,ndarray --configs "$c" --seconds "$seconds" --json \
    | tee -a "$work/ours.jsonl" >&2
  # The peer lacks some configurations (iVAE): nothing is printed for those.
  "$python" "$peer" --only "$c" --threads "$threads" --seconds "$seconds" --json \
    | python3 -c 'import json,sys
want=sys.argv[1]
for l in sys.stdin:
    r=json.loads(l)
    if r["config"]==want: print(l, end="")' "$c" | tee -a "$work/peer.jsonl" >&2
done
done
XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" "$bin" bench --only dispatches --json \
  2>/dev/null | grep '^{' >"$work/dispatch.jsonl" || true

page="" tfjs=""
if [ -n "$page_dist" ]; then
  echo "== the page's Measure speed in Chromium ($page_dist; ≈ 5 min)" >&2
  XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" DIST_DIR="$page_dist" \
    node scripts/page-bench.mjs >"$work/page.jsonl"
  page="$work/page.jsonl"
fi
if [ -n "$tfjs_peer" ]; then
  echo "== the TF.js peer in Chromium ($tfjs_peer, copied; ≈ 6 min)" >&2
  cp -r "$tfjs_peer" "$work/tfjs"
  rm -rf "$work/tfjs/node_modules" "$work/tfjs/results"
  (cd "$work/tfjs" && npm ci --no-audit --no-fund --loglevel=error >&2 \
    && node run.js --models pinwheel,dsprites-conv --backends webgl,wasm,cpu \
      --out "$work/tfjs-raw.jsonl" --quiet >/dev/null) || true
  # Its models under the names of ours of the same shape (docs/performance.md says which).
  python3 -c 'import json,sys
names={"pinwheel":"pinwheel-vae","dsprites-conv":"dsprites-conv-dlib-b64"}
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r.get("ok") and r.get("model") in names and int(r.get("batch",0)) in (64,400):
        print(json.dumps({"config":names[r["model"]],"backend":r["backend"],"steps_per_second":r["stepsPerSec"]}))' \
    "$work/tfjs-raw.jsonl" >"$work/tfjs.jsonl"
  tfjs="$work/tfjs.jsonl"
fi

cmd="scripts/perf-table.sh --pytorch-peer $peer --seconds $seconds --threads $threads --rounds $rounds"
cmd+="${page_dist:+ --page-dist $page_dist}${tfjs_peer:+ --tfjs-peer $tfjs_peer}"
python3 scripts/perf_table.py --ours "$work/ours.jsonl" --peer "$work/peer.jsonl" \
  --load "$work/load.jsonl" --dispatch "$work/dispatch.jsonl" \
  ${page:+--page "$page"} ${tfjs:+--tfjs "$tfjs"} \
  --torch "$("$python" -c 'import torch; print(torch.__version__)')" --rounds "$rounds" \
  --command "$cmd" \
  >"$out"
echo "wrote $out" >&2
