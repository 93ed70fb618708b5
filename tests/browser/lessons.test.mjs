// How long each lesson takes to show its claim in the page on a CPU without a GPU: choose the
// lesson's preset, press Start, and time how long runs A and B take to train the lesson's
// evidence length (the `steps` of src/settings/lessons.rs, what `reproduce` trains), then,
// for the dSprites lessons whose claim is about a metric measured on request (the FactorVAE
// score, Chen's MIG), how long that metric takes. Chromium starts without WebGPU, as on a
// laptop without a GPU, so the page's automatic backend trains on the CPU. Opt-in (LESSONS=1): it takes a quarter of an hour or
// more; the times land in test-output/lessons-timing.json and, by hand, in the lessons' texts.
// LESSON_SEEDS=0,1,2 repeats each lesson with those seeds (typed into the Seed field after
// choosing the lesson), to compare the page's per-seed orderings with docs/results.md's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serve, outDir, watchErrors, CHROMIUM_ARGS, DIST_DIR } from './harness.mjs';

const ON = process.env.LESSONS === '1';
// Each lesson's id and evidence steps, read from their one definition (src/settings/lessons.rs),
// and the on-request metric its claim needs: the button that asks for it and its row's label.
const FACTOR_VAE_SCORE = { button: '#measure-factor-vae', label: 'FactorVAE score' };
const ON_REQUEST = {
  'beta-vae': FACTOR_VAE_SCORE,
  'beta-tcvae': { button: '#measure-chen', label: 'MIG (Chen)' },
  'factor-vae': FACTOR_VAE_SCORE,
  'dd-priors': FACTOR_VAE_SCORE,
};
const LESSONS = [...readFileSync('src/settings/lessons.rs', 'utf8')
  .matchAll(/id: "([^"]+)",[\s\S]*?steps: ([\d_]+),/g)]
  .map(([, id, steps]) => ({ id, steps: Number(steps.replaceAll('_', '')), onRequest: ON_REQUEST[id] }));
assert.equal(LESSONS.length, 6, 'six lessons in src/settings/lessons.rs');
const ONLY = process.env.LESSONS_ONLY?.split(',');
// undefined: the preset's own seed, untouched.
const SEEDS = process.env.LESSON_SEEDS?.split(',').map(Number) ?? [undefined];

let server;
let browser;
const timing = {
  cores: (await import('node:os')).cpus().length,
  note: 'seconds from Start until runs A and B both reached the lesson\'s steps; request_seconds: seconds for the on-request metric (requested) afterwards',
  lessons: {},
};

before(async () => {
  if (!ON) return;
  server = await serve(DIST_DIR);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // No --enable-unsafe-webgpu: no adapter, as on a laptop without a GPU.
    args: CHROMIUM_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'),
    headless: true,
  });
});

after(async () => {
  if (!ON) return;
  const dir = await outDir();
  await writeFile(`${dir}/lessons-timing.json`, JSON.stringify(timing, null, 2));
  await browser?.close();
  await server?.close();
});

const steps = (page) => page.evaluate(() => ({
  a: Number(document.querySelector('#step-count')?.dataset.step ?? 0),
  b: Number(document.querySelector('#compare-b-step')?.dataset.step ?? 0),
}));

for (const l of LESSONS) for (const seed of SEEDS) {
  const skip = !ON ? 'set LESSONS=1 to time the lessons' : (ONLY && !ONLY.includes(l.id) ? 'not in LESSONS_ONLY' : false);
  const name = seed === undefined ? l.id : `${l.id}-seed${seed}`;
  test(`lesson ${name} shows its claim in the page`, { skip, timeout: 1_800_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('#backend-badge');
    await page.selectOption('#lesson-select', l.id);
    await page.waitForSelector('#compare-b-step', { timeout: 60_000 });
    if (seed !== undefined) {
      await page.fill('#seed', String(seed));
      await page.press('#seed', 'Enter');
      await page.waitForFunction((s) => document.querySelector('#seed')?.value === s, String(seed));
    }
    const t0 = Date.now();
    await page.click('#start');
    // The lesson pauses both runs at its evidence's step by itself.
    await page.waitForFunction((n) => {
      const a = Number(document.querySelector('#step-count')?.dataset.step ?? 0);
      const b = Number(document.querySelector('#compare-b-step')?.dataset.step ?? 0);
      return a >= n && b >= n && document.querySelector('#start')?.textContent === 'Start';
    }, l.steps, { timeout: 1_500_000, polling: 500 });
    const trained = (Date.now() - t0) / 1000;
    // Read once training ran: *Auto* names its choice only after its probe.
    await page.waitForSelector('#backend-badge[data-backend]', { timeout: 60_000 });
    const backend = await page.getAttribute('#backend-badge', 'data-backend');
    assert.notEqual(backend, 'wgpu', 'no GPU: the page trains on the CPU');
    assert.equal(await page.getAttribute('#compare-b-backend', 'data-backend'), backend, 'B trains on A\'s backend');
    const at = await steps(page);
    assert.deepEqual(at, { a: l.steps, b: l.steps }, 'both runs paused at the evidence\'s step');
    // A's metrics as measured at that step (B's beside them in the comparison table).
    await page.waitForFunction((n) => {
      const at = [...document.querySelectorAll('#metric-values tr[data-key]')]
        .map((tr) => /step (\d+)/.exec(tr.textContent)?.[1]).filter(Boolean).map(Number);
      return at.length > 0 && at.every((s) => s === n);
    }, l.steps, { timeout: 120_000, polling: 250 });
    const entry = { backend, seed: Number(await page.inputValue('#seed')), steps: l.steps, seconds_to_steps: trained, reached: at };
    if (l.onRequest) {
      const t1 = Date.now();
      await page.click(l.onRequest.button);
      // Both runs' values: A's in the metrics table, B's beside it in the comparison.
      await page.waitForFunction((label) => {
        const td = document.querySelectorAll(`#compare-table tr[data-key="${label}"] td.num`);
        return td.length === 2 && [...td].every((c) => /\d/.test(c.textContent));
      }, l.onRequest.label, { timeout: 600_000, polling: 250 });
      entry.requested = l.onRequest.label;
      entry.request_seconds = (Date.now() - t1) / 1000;
    }
    entry.seconds_to_claim = trained + (entry.request_seconds ?? 0);
    // The numbers the page shows for A and B at that point (the compare table).
    entry.shown = await page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('#compare-table tr[data-key]')].map((tr) => {
        const td = tr.querySelectorAll('td.num');
        return [tr.dataset.key, [td[0]?.textContent, td[1]?.textContent]];
      })));
    timing.lessons[name] = entry;
    console.log(`${name}: ${JSON.stringify(entry)}`);
    const dir = await outDir();
    await page.screenshot({ path: `${dir}/lesson-${name}.png`, fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
    await page.close();
  });
}
