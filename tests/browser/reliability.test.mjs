// Hostile inputs in the page: a forged model file with a valid checksum but absurd sizes is
// refused before anything is built, and a worker that stops answering is noticed, replaced,
// and goes on from the last copy of the model, with a message saying so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { serve, launch, outDir, watchErrors, progress, waitForStep, pauseAndSettle, DIST_DIR } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await serve(DIST_DIR);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// The format version the page reads, from its one definition.
const FORMAT_VERSION = Number(/pub const FORMAT_VERSION: u32 = (\d+);/.exec(readFileSync('src/settings/model_file.rs', 'utf8'))[1]);

/** A model file (current format) with this header text and an empty record, checksum included. */
function modelFile(headerText) {
  const json = Buffer.from(headerText, 'utf8');
  const head = Buffer.alloc(16);
  head.write('DLABMODL', 0, 'latin1');
  head.writeUInt32LE(FORMAT_VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  const body = Buffer.concat([head, json, Buffer.alloc(8)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([body, crc]);
}

test('forged model files with valid checksums and absurd sizes are refused; the model stays', { timeout: 180_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#dataset=pinwheel&model=vae&backend=ndarray`);
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  await page.click('#start');
  await waitForStep(page, 50, 60_000);
  const before = await pauseAndSettle(page);
  // Each header is valid JSON with a correct checksum; one setting (or the step) is absurd.
  const forged = [
    ['segments', '{"dataset":"ivae","model":"ivae","segments":4294967295}', '12', /segments/],
    ['mixing-layers', '{"dataset":"ivae","mixing-layers":4294967295}', '12', /mixing-layers/],
    ['hidden', '{"hidden":[100,100,100,100,100,100,100,100,100]}', '12', /hidden/],
    ['latents', '{"latents":1000000000}', '12', /latents/],
    ['step', '{}', '18446744073709551615', /steps/],
  ];
  for (const [name, config, step, needle] of forged) {
    const file = modelFile(`{"config":${config},"step":${step},"written_by":"a forger"}`);
    await page.setInputFiles('#model-file', { name: `${name}.dlab`, mimeType: 'application/octet-stream', buffer: file });
    await page.waitForSelector('#error', { timeout: 20_000 });
    const text = await page.textContent('#error');
    assert.match(text, /refused/, name);
    assert.match(text, needle, `${name}: ${text}`);
    assert.ok(text.length < 700, `${name}: a short message (${text.length} characters)`);
    await page.click('#error .dismiss');
    await page.waitForSelector('#error', { state: 'detached' });
  }
  // Nothing was built from them: the same model, and it still trains.
  assert.equal((await progress(page)).step, before);
  await page.click('#step');
  await waitForStep(page, before + 1, 20_000);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a worker that stops answering is restarted from the last copy of the model', { timeout: 300_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${server.url}#dataset=pinwheel&model=vae&backend=ndarray`);
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  await page.click('#start');
  // A copy of the model is sent every 10 s of training.
  await page.waitForFunction(() => Number(document.querySelector('#step-count')?.dataset.savedStep ?? 0) > 0, null, { timeout: 60_000, polling: 200 });
  const saved = Number(await page.getAttribute('#step-count', 'data-saved-step'));
  const worker = page.workers()[0];
  assert.ok(worker, 'the training worker is visible to the test');
  const hungAt = Date.now();
  await worker.evaluate(() => self.onmessage({ data: JSON.stringify('SimulateHang') }));
  await page.waitForFunction(() => /stopped answering/.test(document.querySelector('#error')?.textContent ?? ''), null, { timeout: 90_000, polling: 500 });
  const noticed = (Date.now() - hungAt) / 1000;
  const message = await page.textContent('#error');
  assert.match(message, /restarted on the CPU/);
  // The page goes on from the copy: its step, not step 0.
  await page.waitForFunction((s) => document.querySelector('#step-count')?.dataset.step === String(s), saved, { timeout: 60_000 });
  const savedNow = Number(await page.getAttribute('#step-count', 'data-saved-step') ?? 0);
  assert.match(message, new RegExp(`saved at step (${saved}|${savedNow})`));
  await page.click('#start');
  await waitForStep(page, saved + 50, 60_000);
  await page.click('#start');
  console.log(`hang noticed after ${noticed.toFixed(1)} s; resumed at step ${saved}`);
  await page.screenshot({ path: `${await outDir()}/worker-hang-recovered.png` });
  await page.close();
});
