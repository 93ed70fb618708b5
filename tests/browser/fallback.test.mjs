// When WebGPU is missing or its device fails, training moves to the CPU with a visible notice:
// (1) a browser without a WebGPU adapter (Chromium without --enable-unsafe-webgpu) runs on the
// CPU, also when a link asks for WebGPU; (2) a worker that fails the way wgpu fails on a lost
// device (a panic) is replaced by one on the CPU, the page says why, and training goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serve, launch, outDir, watchErrors, progress, waitForStep, CHROMIUM_ARGS, DIST_DIR } from './harness.mjs';

let server;

before(async () => {
  server = await serve(DIST_DIR);
});

after(async () => {
  await server?.close();
});

test('no WebGPU adapter: Auto and an explicit WebGPU request both train on the CPU, with a notice', { timeout: 180_000 }, async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'), '--disable-webgpu'],
    headless: true,
  });
  try {
    for (const [hash, notice] of [['', /no WebGPU adapter/], ['#backend=wgpu', /WebGPU was asked for/]]) {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const errors = watchErrors(page);
      await page.goto(`${server.url}${hash}`);
      await page.waitForSelector('#backend-notice', { timeout: 60_000 });
      const backend = await page.getAttribute('#backend-badge', 'data-backend');
      assert.ok(['ndarray', 'flex'].includes(backend), `runs on a CPU backend: ${backend}`);
      assert.match(await page.textContent('#backend-notice'), notice);
      assert.match(await page.textContent('#adapter-info'), /no WebGPU adapter/);
      await page.click('#start');
      await waitForStep(page, 100, 60_000);
      await page.click('#start');
      const dir = await outDir();
      await page.screenshot({ path: `${dir}/fallback-no-adapter${hash ? '-asked' : ''}.png` });
      assert.deepEqual(errors, [], 'no console errors');
      await page.close();
    }
  } finally {
    await browser.close();
  }
});

test('a failing GPU device: the worker is restarted on the CPU with a notice, and training goes on', { timeout: 300_000 }, async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${server.url}#backend=wgpu`);
    await page.waitForSelector('#backend-badge[data-backend="wgpu"]', { timeout: 60_000 });
    await page.click('#start');
    await waitForStep(page, 3, 120_000);
    // Fail inside the worker the way wgpu does when the device is lost: a panic.
    const worker = page.workers()[0];
    assert.ok(worker, 'the training worker is visible to the test');
    await worker.evaluate(() => self.onmessage({ data: JSON.stringify({ SimulateFailure: 'GPU device lost (simulated by the test)' }) }));
    await page.waitForSelector('#backend-badge[data-backend="flex"]', { timeout: 60_000 });
    const message = await page.textContent('#error');
    assert.match(message, /GPU device was lost/);
    assert.match(message, /restarted on the CPU/);
    // The new worker goes on from the last copy of the model when one was taken (every 10 s
    // of training), else from step 0; the message says which.
    const saved = message.match(/saved at step (\d+)/);
    const expected = saved ? Number(saved[1]) : 0;
    await page.waitForFunction((s) => document.querySelector('#step-count')?.dataset.step === String(s), expected, { timeout: 30_000 });
    await page.click('#start');
    await waitForStep(page, 100, 60_000);
    await page.click('#start');
    const dir = await outDir();
    await page.screenshot({ path: `${dir}/fallback-device-lost.png` });
  } finally {
    await browser.close();
  }
});
