// The in-page benchmark: rendering images/s and training steps/s per backend, measured in
// the browser's worker. Prints the figures (they are reported, not asserted as targets).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { serve, launch, outDir, DIST_DIR } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(DIST_DIR); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('the in-page benchmark reports every figure', { timeout: 600_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${server.url}#backend=ndarray`);
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  await page.click('#bench-start');
  await page.waitForSelector('#bench-report[data-done="true"]', { timeout: 540_000 });
  const report = await page.textContent('#bench-report');
  const dir = await outDir();
  await writeFile(`${dir}/bench-page.txt`, report);
  for (const line of report.split('\n')) console.log(`# ${line}`);
  const render = report.match(/dSprites render, batch 64\s+([\d.]+) images\/s/);
  assert.ok(render && Number(render[1]) > 0, 'render rate reported');
  assert.match(report, /CPU \(NdArray\) pinwheel vae/);
  assert.match(report, /CPU \(NdArray\) dsprites beta-vae/);
  assert.match(report, /CPU \(Flex\) pinwheel beta-vae/);
  assert.match(report, /WebGPU pinwheel beta-vae/);
  assert.doesNotMatch(report, /failed/);
  await page.close();
});
