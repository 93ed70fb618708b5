// The in-page benchmark: rendering images/s and training steps/s per backend, measured in
// the browser's workers. Prints the figures (they are reported, not asserted as targets).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { serve, launch, outDir, measureSpeed, DIST_DIR } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(DIST_DIR); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

// Each worker measures the backends it carries: the CPU worker NdArray and Flex, the WebGPU
// worker WebGPU and Flex (src/ui/worker_kind.rs).
test('the in-page benchmark reports every figure, in both workers', { timeout: 900_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const dir = await outDir();
  const reports = [];
  for (const backend of ['ndarray', 'wgpu']) {
    const report = await measureSpeed(page, server.url, backend, 540_000);
    reports.push(report);
    for (const line of report.split('\n')) console.log(`# ${line}`);
    const render = report.match(/dSprites render, batch 64\s+([\d.]+) images\/s/);
    assert.ok(render && Number(render[1]) > 0, 'render rate reported');
    assert.doesNotMatch(report, /failed/);
  }
  await writeFile(`${dir}/bench-page.txt`, reports.join('\n'));
  const [cpu, gpu] = reports;
  assert.match(cpu, /CPU \(NdArray\) pinwheel vae/);
  assert.match(cpu, /CPU \(NdArray\) dsprites beta-vae/);
  assert.match(cpu, /CPU \(Flex\) pinwheel beta-vae/);
  assert.doesNotMatch(cpu, /WebGPU/, 'the CPU worker has no WebGPU');
  assert.match(gpu, /WebGPU pinwheel beta-vae/);
  assert.match(gpu, /CPU \(Flex\) pinwheel vae/, 'the WebGPU worker runs the full grid on Flex');
  assert.doesNotMatch(gpu, /NdArray/, 'the WebGPU worker has no NdArray');
  // The PyTorch peer's configurations under its names (scripts/page-bench.mjs reads them).
  for (const config of ['pinwheel-vae', 'pinwheel-factor-vae', 'dsprites-mlp-bern-b64', 'dsprites-conv-dlib-b64', 'ivae-ivae']) {
    assert.match(cpu, new RegExp(`peer config ${config}, flex\\s+[\\d.]+ steps/s`), config);
  }
  assert.match(cpu, /peer config pinwheel-vae, ndarray\s+[\d.]+ steps\/s/);
  assert.match(cpu, /peer config dsprites-conv-dlib-b64, ndarray: skipped/);
  assert.doesNotMatch(gpu, /peer config \S+, wgpu/, 'a software adapter times no peer configuration');
  await page.close();
});
