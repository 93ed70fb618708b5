// The page's two training workers (src/ui/worker_kind.rs): a first visit without a hardware
// GPU downloads only the CPU worker, and *Auto* times the backends it carries on the model in
// hand, takes the fastest and says what it measured; choosing WebGPU loads the WebGPU worker.
// Prints what the first visit downloaded (raw and gzip -9), the figure of README's Footprint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { serve, launch, outDir, watchErrors, waitForStep, DIST_DIR } from './harness.mjs';

let server;
let browser;
/** A requested file's name, as the server's folder holds it. */
const nameOf = (url) => new URL(url).pathname.split('/').pop() || 'index.html';
before(async () => { server = await serve(DIST_DIR); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('Auto without a hardware GPU: only the CPU worker is downloaded, and its measurement is shown', { timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors = watchErrors(page);
  // Names as requested (in order); bodies as they arrive (read asynchronously).
  const requested = [];
  const files = new Map();
  const reading = [];
  page.on('request', (r) => requested.push(nameOf(r.url())));
  page.on('response', (r) => {
    reading.push(r.body().then((b) => files.set(nameOf(r.url()), b), () => { /* no body */ }));
  });
  await page.goto(server.url);
  await page.waitForSelector('#backend-measured', { timeout: 120_000 });
  const measured = await page.textContent('#backend-measured');
  const rates = [...measured.matchAll(/(CPU \((?:Flex|NdArray)\)) ([\d.]+)/g)].map((m) => [m[1], Number(m[2])]);
  assert.equal(rates.length, 2, `both CPU backends timed: ${measured}`);
  const fastest = rates.reduce((a, b) => (b[1] > a[1] ? b : a));
  assert.equal(await page.textContent('#backend-name'), fastest[0], 'Auto runs on the faster one');
  await Promise.all(reading);
  const names = [...files.keys()];
  assert.ok(requested.includes('worker_bg.wasm'), `the CPU worker was loaded: ${requested}`);
  assert.ok(!requested.some((n) => n.startsWith('worker_gpu')), `no WebGPU worker on a first visit: ${requested}`);
  const raw = [...files.values()].reduce((s, b) => s + b.length, 0);
  const gz = [...files.values()].reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0);
  const line = `first visit: ${names.length} files, ${(raw / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzip -9`;
  console.log(`# ${line}`);
  console.log(`# ${measured}`);
  const dir = await outDir();
  await page.screenshot({ path: `${dir}/workers-auto.png`, clip: { x: 0, y: 0, width: 1366, height: 110 } });
  await writeFile(`${dir}/first-load.json`, JSON.stringify({ files: Object.fromEntries([...files].map(([n, b]) => [n, { raw: b.length, gzip: gzipSync(b, { level: 9 }).length }])), raw, gzip: gz, measured }, null, 2));

  // WebGPU by hand: the WebGPU worker is loaded and trains (SwiftShader here).
  await page.selectOption('#backend-select', 'wgpu');
  await page.waitForSelector('#backend-badge[data-backend="wgpu"]', { timeout: 120_000 });
  assert.ok(requested.includes('worker_gpu_bg.wasm'), `the WebGPU worker was loaded: ${requested}`);
  await page.click('#step');
  await waitForStep(page, 1, 120_000);
  // And back to the CPU.
  await page.selectOption('#backend-select', 'flex');
  await page.waitForSelector('#backend-badge[data-backend="flex"]', { timeout: 120_000 });
  await page.click('#step');
  await waitForStep(page, 1, 60_000);
  await page.screenshot({ path: `${dir}/workers.png` });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

// Makes the page (not its workers: init scripts run in pages only) take SwiftShader for a
// hardware adapter, as a visitor with a GPU would be seen.
function pretendHardwareGpu() {
  for (const proto of [globalThis.GPUAdapter?.prototype, globalThis.GPUAdapterInfo?.prototype]) {
    if (!proto) continue;
    Object.defineProperty(proto, 'isFallbackAdapter', { get: () => false, configurable: true });
    Object.defineProperty(proto, 'architecture', { get: () => 'test-gpu', configurable: true });
  }
}

test('Auto with a hardware GPU: a first visit still downloads only the CPU worker; dSprites loads WebGPU', { timeout: 300_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors = watchErrors(page);
  await page.addInitScript(pretendHardwareGpu);
  const requested = [];
  page.on('request', (r) => requested.push(nameOf(r.url())));
  await page.goto(server.url);
  await page.waitForSelector('#backend-measured', { timeout: 120_000 });
  assert.ok(requested.includes('worker_bg.wasm'), `the CPU worker was loaded: ${requested}`);
  assert.ok(!requested.some((n) => n.startsWith('worker_gpu')), `no WebGPU worker for the pinwheel: ${requested}`);
  // (The worker's own probe still sees SwiftShader, so its notice is the software adapter's.)

  // dSprites on Auto: the page moves to the WebGPU worker, which times WebGPU only on a
  // hardware adapter; its own probe sees SwiftShader, so it trains on the CPU it carries.
  const gpuWorker = page.waitForRequest((r) => r.url().endsWith('/worker_gpu_bg.wasm'), { timeout: 120_000 });
  await page.selectOption('#dataset-select', 'dsprites');
  await gpuWorker;
  await page.waitForSelector('#backend-badge[data-backend="flex"]', { timeout: 240_000 });
  await page.click('#step');
  await waitForStep(page, 1, 120_000);
  const dir = await outDir();
  await page.screenshot({ path: `${dir}/workers-hardware-dsprites.png`, clip: { x: 0, y: 0, width: 1366, height: 110 } });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});
