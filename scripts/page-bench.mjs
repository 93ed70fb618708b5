// Runs the page's *Measure speed* in headless Chromium (the CPU worker: NdArray and Flex; the
// WebGPU worker as well where a hardware adapter exists) and prints the PyTorch peer's
// configurations as JSON lines {config, backend, steps_per_second}, which
// scripts/perf_table.py merges into docs/performance.md.
//
//   DIST_DIR=target/browser-dist node scripts/page-bench.mjs > page.jsonl
import { serve, launch, measureSpeed, DIST_DIR } from '../tests/browser/harness.mjs';

const server = await serve(DIST_DIR);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const gpu = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return Boolean(a && !(a.info?.isFallbackAdapter ?? a.isFallbackAdapter));
  }).catch(() => false);
  // The WebGPU worker times the peer grid only on a hardware adapter (src/worker/bench.rs).
  for (const backend of gpu ? ['ndarray', 'wgpu'] : ['ndarray']) {
    const report = await measureSpeed(page, server.url, backend, 900_000);
    for (const l of report.split('\n')) {
      const m = l.match(/peer config (\S+), (\w+)\s+([\d.]+) steps\/s/);
      if (m) {
        console.log(JSON.stringify({ config: m[1], backend: m[2], steps_per_second: Number(m[3]) }));
      } else if (l.includes('peer config')) {
        console.error(`page-bench: ${l.trim()}`);
      }
    }
  }
} finally {
  await browser.close();
  await server.close();
}
