"""Writes docs/performance.md from JSON lines (see scripts/perf-table.sh, which runs it)."""
import argparse
import json
import platform
import datetime


def cpu_model():
    """The CPU's name from /proc/cpuinfo (as `reproduce` names it), else the platform's."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


def read(path):
    rows = []
    if path:
        with open(path) as f:
            rows = [json.loads(l) for l in f if l.strip().startswith("{")]
    return rows


def fmt(v):
    if v is None:
        return "—"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser()
    for name in ["ours", "peer", "load", "dispatch", "page", "tfjs", "torch", "command", "rounds"]:
        ap.add_argument("--" + name, default="")
    a = ap.parse_args()
    ours, peer, load = read(a.ours), read(a.peer), read(a.load)
    page, tfjs, disp = read(a.page), read(a.tfjs), read(a.dispatch)
    configs = []
    for r in ours:
        if r["config"] not in configs:
            configs.append(r["config"])
    # Each side's best figure over the rounds (see perf-table.sh --rounds).
    rate = lambda rows, c, b=None: max(
        (r["steps_per_second"] for r in rows if r["config"] == c and (b is None or r.get("backend") == b)),
        default=None)
    page_backends = sorted({r["backend"] for r in page})
    tfjs_backends = sorted({r["backend"] for r in tfjs})
    out = []
    p = out.append
    p("# Performance")
    p("")
    rounds = int(a.rounds or 1)
    p("Training steps per second, measured one configuration at a time: ours (Flex, then NdArray)")
    p(f"and then the PyTorch CPU peer ({a.torch or 'torch'}) with the same networks, batches, Adam and")
    p("thread count, so each ratio compares figures taken a few seconds apart. *ratio* is ours on")
    if rounds > 1:
        p(f"Flex over PyTorch. Every pair ran {rounds} times, one round of all configurations after the")
        p("other, and each column keeps its best figure (a shared machine's bursts only slow a run);")
        p("*load* is the machine's 1-minute load average before the pair ran, averaged over the rounds.")
    else:
        p("Flex over PyTorch; *load* is the machine's 1-minute load average before the pair ran.")
    p("")
    if page or tfjs:
        p("*page* columns: the page's *Measure speed* (`scripts/page-bench.mjs`) in headless Chromium")
        p("on the same machine, one wasm worker (one thread), after the native pairs; NdArray's")
        p("convolutions are skipped there (seconds a step). *TF.js* columns: the TensorFlow.js 4.22 peer")
        p("(`shared/peers/tfjs-vae`) in the same Chromium, on the configurations it has: its `pinwheel`")
        p("(MLP 100, batch 400, a learned likelihood variance) and its `dsprites-conv` (the")
        p("disentanglement_lib convolutions, 10 latents, batch 64) against ours of the same shape; its")
        p("`dsprites-mlp` (1200-unit layers) has no counterpart here. Its WebGPU runs on SwiftShader on")
        p("a machine without a GPU and is left out; a dash is a configuration a column lacks.")
        p("")
    p(f"Regenerate with `{a.command}` (it rewrites this file).")
    p("")
    p(f"Machine: {platform.machine()}, {cpu_model()}; {datetime.date.today()}.")
    p("")
    head = ["config", "ours, Flex", "ours, NdArray", "PyTorch CPU", "ratio", "load"]
    head += [f"page, {b}" for b in page_backends] + [f"TF.js, {b}" for b in tfjs_backends]
    p("| " + " | ".join(head) + " |")
    p("|" + "---|" * len(head))
    for c in configs:
        flex, nd, pt = rate(ours, c, "flex"), rate(ours, c, "ndarray"), rate(peer, c)
        ratio = f"{flex / pt:.2f}×" if flex and pt else "—"
        loads = [r["load"] for r in load if r["config"] == c]
        ld = sum(loads) / len(loads) if loads else None
        row = [f"`{c}`", fmt(flex), fmt(nd), fmt(pt), ratio, f"{ld:.2f}" if ld is not None else "—"]
        row += [fmt(rate(page, c, b)) for b in page_backends] + [fmt(rate(tfjs, c, b)) for b in tfjs_backends]
        p("| " + " | ".join(row) + " |")
    p("")
    plain = rate(ours, "pinwheel-vae", "flex")
    if plain:
        plain_pt = rate(peer, "pinwheel-vae")
        p("## Heavy objectives against a plain VAE step (pinwheel, batch 400, Flex)")
        p("")
        p("| objective | steps/s | cost of a step ÷ a plain VAE step | PyTorch steps/s | PyTorch's cost ÷ its plain VAE step |")
        p("|---|---|---|---|---|")
        for c in ["pinwheel-vae", "pinwheel-beta-tcvae", "pinwheel-dd", "pinwheel-factor-vae"]:
            v, pt = rate(ours, c, "flex"), rate(peer, c)
            if v:
                pt_ratio = f"{plain_pt / pt:.2f}×" if pt and plain_pt else "—"
                p(f"| `{c}` | {fmt(v)} | {plain / v:.2f}× | {fmt(pt)} | {pt_ratio} |")
        p("")
        factor = rate(ours, "pinwheel-factor-vae", "flex")
        if factor:
            # Multiply-adds of one step (forward ≈ 1×, backward ≈ 2× the forward's): the
            # pinwheel VAE (encoder 2 → 100 → μ and log σ² of 2 latents, decoder 2 → 100 → at
            # most 4 outputs; src/train/bench_configs.rs) and the page's discriminator
            # (2 → 256 → 256 → 256 → 2, src/objective/factor_vae.rs PAGE_HIDDEN) run on the VAE's
            # 400 latents (forward and the gradient to z only: its weights are frozen there) and
            # on 800 rows for its own step (400 real, 400 permuted; forward and backward).
            mlp = lambda w: sum(a * b for a, b in zip(w, w[1:]))
            vae = 3 * 400 * (mlp([2, 100, 4]) + mlp([2, 100, 4]))
            disc = mlp([2, 256, 256, 256, 2]) * (2 * 400 + 3 * 800)
            p(f"FactorVAE's step is arithmetic, not overhead: its discriminator (the peer's, 3 × 256)")
            p(f"costs about {disc / 1e6:.0f} M multiply-adds a step against {vae / 1e6:.1f} M for the whole")
            p(f"VAE step ({disc / vae:.0f}×), and {fmt(factor)} steps/s is {2 * (disc + vae) * factor / 1e9:.0f} GFLOP/s on")
            p("the matrix products. No implementation of this discriminator reaches 3× a plain VAE")
            p("step at batch 400 (PyTorch's ratio is in the table); only a smaller discriminator would.")
            p("")
    if disp:
        p("## GPU dispatches per training step (wgpu)")
        p("")
        p("Kernel launches counted by cubecl's launch observer over 10 steps, and those of one")
        p("snapshot (the readback of the steps' loss terms). The count does not depend on the")
        p("adapter: it was taken on a software one.")
        p("")
        p("| config | dispatches per step | per snapshot |")
        p("|---|---|---|")
        for r in disp:
            p(f"| `{r['config']}` | {r['dispatches_per_step']:.0f} | {r['dispatches_per_snapshot']} |")
        p("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
