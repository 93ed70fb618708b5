#!/usr/bin/env bash
# Regenerates docs/performance.md: native training speed of `disentangle-lab bench` (Flex and
# NdArray) beside the PyTorch CPU peer, run one after the other per configuration with the
# same thread count, plus the wgpu dispatches per step. Figures from the page (Measure speed)
# and TF.js are merged in from JSON-lines files when given.
#
#   scripts/perf-table.sh --pytorch-peer /path/to/bench.py [--python PY] [--seconds S]
#                         [--threads N] [--page FILE] [--tfjs FILE] [--out docs/performance.md]
#
# --python defaults to ~/.cache/torch-peer/bin/python (see the peer's README to install it).
# --page / --tfjs: JSON lines with `config`, `backend` and `steps_per_second`.
set -euo pipefail
cd "$(dirname "$0")/.."

peer="" python="$HOME/.cache/torch-peer/bin/python" seconds=5 threads=2
page="" tfjs="" out="docs/performance.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --pytorch-peer) peer="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --page) page="$2"; shift 2 ;;
    --tfjs) tfjs="$2"; shift 2 ;;
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
XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" "$bin" bench --only dispatches --json \
  2>/dev/null | grep '^{' >"$work/dispatch.jsonl" || true

python3 scripts/perf_table.py --ours "$work/ours.jsonl" --peer "$work/peer.jsonl" \
  --load "$work/load.jsonl" --dispatch "$work/dispatch.jsonl" \
  ${page:+--page "$page"} ${tfjs:+--tfjs "$tfjs"} \
  --torch "$("$python" -c 'import torch; print(torch.__version__)')" \
  --command "scripts/perf-table.sh --pytorch-peer $peer --seconds $seconds --threads $threads" \
  >"$out"
echo "wrote $out" >&2
