// Export and save: plots download as PNG, the curves and metrics as CSV and JSON, and the
// model as a .dlab file that loads back into a fresh page; wrong or damaged files are
// refused with a visible message and leave the current model alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { serve, launch, outDir, watchErrors, waitForStep, progress, pauseAndSettle, DIST_DIR } from './harness.mjs';
import { crc32 } from 'node:zlib';

let server;
let browser;
before(async () => { server = await serve(DIST_DIR); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Clicks `selector` and returns the download it starts: { name, bytes }. */
async function download(page, selector, saveAs) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(selector)]);
  const bytes = await readFile(await dl.path());
  if (saveAs) await writeFile(`${await outDir()}/${saveAs}`, bytes);
  return { name: dl.suggestedFilename(), bytes };
}

/** Trains until at least `steps` steps, then pauses and waits for the worker to stop. */
async function trainTo(page, steps, ms) {
  await page.click('#start');
  await waitForStep(page, steps, ms);
  return pauseAndSettle(page);
}

test('plots, curves and metrics download as PNG, CSV and JSON', { timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#dataset=pinwheel&model=beta-vae&seed=1&backend=ndarray`);
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  await page.click('#start');
  // Periodic metrics come every 200 steps.
  await page.waitForSelector('#metric-values tr', { timeout: 90_000 });
  await waitForStep(page, 250, 60_000);
  await page.click('#start');
  await page.waitForSelector('#start:text("Start")');
  await page.waitForTimeout(600);
  const dir = await outDir();
  await page.screenshot({ path: `${dir}/export-bar.png` });

  // All panels on one sheet.
  const sheet = await download(page, '#export-png', 'export-all-panels.png');
  assert.deepEqual([...sheet.bytes.subarray(0, 8)], PNG_MAGIC);
  assert.match(sheet.name, /^disentangle-lab-beta-vae-pinwheel-step\d+-panels\.png$/);
  const width = (b) => b.readUInt32BE(16);
  assert.ok(width(sheet.bytes) > 800, `the sheet holds several panels side by side (${width(sheet.bytes)} px)`);
  // One plot: the loss canvas, at its own size.
  await page.selectOption('#png-select', 'loss-canvas');
  const loss = await download(page, '#export-png', 'export-loss.png');
  assert.deepEqual([...loss.bytes.subarray(0, 8)], PNG_MAGIC);
  assert.match(loss.name, /-loss\.png$/);
  assert.equal(width(loss.bytes), 480);
  assert.equal(loss.bytes.readUInt32BE(20), 150);

  // CSV: a header, then one row per step with the loss, its terms and the metrics.
  const csv = (await download(page, '#export-csv', 'export-curves.csv')).bytes.toString('utf8');
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.split(',');
  assert.deepEqual(columns.slice(0, 2), ['step', 'loss']);
  for (const term of ['recon', 'kl', 'elbo']) assert.ok(columns.includes(term), `${term} in ${header}`);
  const withLoss = rows.filter((r) => r.split(',')[1] !== '');
  assert.ok(withLoss.length >= 250, `${withLoss.length} rows with a loss`);
  const steps = rows.map((r) => Number(r.split(',')[0]));
  assert.ok(steps.every((s, i) => i === 0 || s > steps[i - 1]), 'steps increase');
  assert.ok(rows.every((r) => r.split(',').length === columns.length), 'every row has every column');
  assert.ok(withLoss.every((r) => Number.isFinite(Number(r.split(',')[1]))), 'finite losses');

  // JSON: the same curves, the settings and the metric reports; its metric keys are CSV columns.
  const json = JSON.parse((await download(page, '#export-json', 'export-curves.json')).bytes.toString('utf8'));
  assert.equal(json.settings.dataset, 'pinwheel');
  assert.equal(json.settings.seed, 1);
  assert.equal(json.curves.loss.length, withLoss.length);
  assert.ok(json.metrics.periodic.length >= 1, 'a periodic metric report');
  const report = json.metrics.periodic.find((r) => r.step > 0) ?? json.metrics.periodic[0];
  // Measured on a copy of the model taken at some step of the run (every ~200 steps).
  assert.ok(report.step <= json.step, `report at step ${report.step} of ${json.step}`);
  for (const v of report.values) {
    assert.ok(columns.includes(v.key), `metric ${v.key} is a CSV column`);
    const row = rows.find((r) => Number(r.split(',')[0]) === report.step).split(',');
    assert.equal(Number(row[columns.indexOf(v.key)]), v.value, `${v.key} at step ${report.step}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a saved model loads back into a fresh page; wrong and damaged files are refused', { timeout: 240_000 }, async () => {
  const dir = await outDir();
  const first = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const errors = watchErrors(first);
  await first.goto(`${server.url}#dataset=pinwheel&model=beta-vae&beta=2&latents=3&seed=7&backend=ndarray`);
  await first.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  const step = await trainTo(first, 300, 60_000);
  const trainedLoss = (await progress(first)).loss;
  const saved = await download(first, '#save-model', 'saved-model.dlab');
  assert.equal(saved.bytes.subarray(0, 8).toString('latin1'), 'DLABMODL');
  assert.equal(saved.name, `disentangle-lab-beta-vae-pinwheel-step${step}.dlab`);
  assert.deepEqual(errors, []);
  await first.close();

  // A fresh page (its own storage) with the defaults loads it: settings, step and model.
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors2 = watchErrors(page);
  await page.goto(`${server.url}#backend=ndarray`);
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  assert.equal(await page.inputValue('#seed'), '0');
  await page.setInputFiles('#model-file', `${dir}/saved-model.dlab`);
  await page.waitForSelector('#info', { timeout: 30_000 });
  assert.match(await page.textContent('#info'), new RegExp(`Model loaded.*${step} steps`));
  await page.waitForFunction((s) => document.querySelector('#step-count')?.dataset.step === String(s), step, { timeout: 10_000 });
  assert.equal(await page.inputValue('#seed'), '7');
  assert.equal(await page.inputValue('#latents'), '3');
  assert.equal(await page.inputValue('#beta-number'), '2');
  // It trains on from there, at the trained model's loss (a fresh model starts far higher).
  await page.click('#step');
  await waitForStep(page, step + 1, 20_000);
  const resumed = (await progress(page)).loss;
  assert.ok(Number.isFinite(resumed));
  assert.ok(Math.abs(resumed - trainedLoss) < 0.5 * Math.max(1, Math.abs(trainedLoss)), `resumed ${resumed}, trained ${trainedLoss}`);
  await page.screenshot({ path: `${dir}/model-loaded.png` });

  const pick = (name, buffer) => page.setInputFiles('#model-file', { name, mimeType: 'application/octet-stream', buffer });
  const refusal = async (needle) => {
    await page.waitForSelector('#error', { timeout: 20_000 });
    const text = await page.textContent('#error');
    assert.match(text, needle);
    await page.click('#error .dismiss');
    await page.waitForSelector('#error', { state: 'detached' });
    return text;
  };
  // Damaged: one flipped byte fails the checksum.
  const damaged = Buffer.from(saved.bytes);
  damaged[damaged.length >> 1] ^= 0x10;
  await pick('damaged.dlab', damaged);
  await page.waitForSelector('#error', { timeout: 20_000 });
  await page.screenshot({ path: `${dir}/model-refused.png` });
  await refusal(/refused.*damaged.*checksum/);
  // Not a model file at all.
  await pick('picture.dlab', Buffer.from(PNG_MAGIC.concat(new Array(40).fill(0))));
  await refusal(/not a Disentangle Lab model file/);
  // Written by a newer version.
  const newer = Buffer.from(saved.bytes);
  newer.writeUInt32LE(99, 8);
  await pick('newer.dlab', newer);
  await refusal(/version 99.*newer/);
  // A valid file whose settings do not fit its parameters: checked by the worker.
  const text = saved.bytes.toString('latin1');
  const forged = Buffer.from(text.replace('"latents":3', '"latents":2'), 'latin1');
  assert.notEqual(forged.toString('latin1'), text);
  forged.writeUInt32LE(crc32(forged.subarray(0, forged.length - 4)), forged.length - 4);
  await pick('forged.dlab', forged);
  await refusal(/do not fit/);
  // The model in the page is untouched by the refusals.
  assert.equal((await progress(page)).step, step + 1);
  assert.equal(await page.inputValue('#latents'), '3');
  assert.deepEqual(errors2, []);
  await page.close();
});

test('on WebGPU the model is read back asynchronously and saves without a crash', { timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#dataset=pinwheel&model=vae&backend=wgpu`);
  await page.waitForSelector('#backend-badge[data-backend="wgpu"]', { timeout: 90_000 });
  await page.click('#step');
  await waitForStep(page, 1, 90_000);
  const saved = await download(page, '#save-model');
  assert.equal(saved.bytes.subarray(0, 8).toString('latin1'), 'DLABMODL');
  assert.match(saved.name, /-step1\.dlab$/);
  assert.equal(await page.getAttribute('#backend-badge', 'data-backend'), 'wgpu', 'no crash, no fallback');
  assert.deepEqual(errors, []);
  await page.close();
});
