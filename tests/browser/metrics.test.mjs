// The metrics panel in the page: dlib MIG with its MI heatmap while training; the FactorVAE
// score and Chen's MIG on request, with a progress bar; MCC with the true-vs-recovered scatter
// for the iVAE; and an A/B comparison that trains two runs and puts their numbers side by side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, outDir, watchErrors, waitForStep, canvasHash, DIST_DIR } from './harness.mjs';

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

const metricValue = (page, key) => page.evaluate(
  (k) => document.querySelector(`#metric-values tr[data-key="${k}"]`)?.dataset.value ?? null, key);

const SMALL_DSPRITES = 'dataset=dsprites&model=beta-vae&batch=16&latents=4&subset=shapes:square,scales:0.5,orients:2,stride:4&backend=flex';

test('dSprites: MIG and its MI heatmap, then the slow metrics on request with progress', { timeout: 300_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#${SMALL_DSPRITES}`);
  await page.waitForSelector('#metric-values tr[data-key="mig_dlib"]', { timeout: 120_000 });
  const mig = Number(await metricValue(page, 'mig_dlib'));
  assert.ok(mig >= 0 && mig <= 1, `MIG in [0, 1]: ${mig}`);
  const protocol = await page.textContent('#metric-values tr[data-key="mig_dlib"] td.protocol');
  assert.match(protocol, /dlib/, 'the protocol is named next to the number');
  const heat = await canvasHash(page, '#mi-canvas');
  const blank = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 360; c.height = 220;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 1) { h ^= d[i]; h = Math.imul(h, 16777619) >>> 0; }
    return h;
  });
  assert.notEqual(heat, blank, 'the MI heatmap is drawn');

  // FactorVAE score on request: a progress bar, then the number.
  await page.click('#measure-factor-vae');
  await page.waitForSelector('#metric-progress', { timeout: 10_000 });
  await page.waitForSelector('#metric-values tr[data-key="factor_vae_score"]', { timeout: 120_000 });
  const fv = Number(await metricValue(page, 'factor_vae_score'));
  assert.ok(fv >= 0 && fv <= 1, `FactorVAE score in [0, 1]: ${fv}`);
  assert.equal(await page.$('#metric-progress'), null, 'the progress bar goes when done');

  // Training keeps going while Chen's MIG is encoding.
  await page.click('#start');
  await page.click('#measure-chen');
  await page.waitForSelector('#metric-values tr[data-key="mig_chen"]', { timeout: 180_000 });
  await waitForStep(page, 3, 60_000);
  await page.click('#start');
  const chen = Number(await metricValue(page, 'mig_chen'));
  assert.ok(chen >= 0 && chen <= 1, `Chen MIG in [0, 1]: ${chen}`);
  const dir = await outDir();
  await page.locator('#metrics-panel').screenshot({ path: `${dir}/metrics-dsprites.png` });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('dSprites, Student-t prior: the FactorVAE score in Gaussian coordinates, the raw means\' beside it', { timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = watchErrors(page);
  const link = SMALL_DSPRITES.replace('model=beta-vae', 'model=dd&alpha=0&beta=1&prior=student-t');
  await page.goto(`${server.url}#${link}`);
  await page.waitForSelector('#metric-values tr[data-key="mig_dlib"]', { timeout: 120_000 });
  await page.click('#measure-factor-vae');
  await page.waitForSelector('#metric-values tr[data-key="factor_vae_score_raw"]', { timeout: 120_000 });
  for (const key of ['factor_vae_score', 'factor_vae_score_raw']) {
    const v = Number(await metricValue(page, key));
    assert.ok(v >= 0 && v <= 1, `${key} in [0, 1]: ${v}`);
  }
  const protocol = (key) => page.textContent(`#metric-values tr[data-key="${key}"] td.protocol`);
  assert.match(await protocol('factor_vae_score'), /mapped onto N\(0, 1\)/);
  assert.match(await protocol('factor_vae_score_raw'), /as the encoder gives them/);
  const dir = await outDir();
  await page.locator('#metrics-panel').screenshot({ path: `${dir}/metrics-student-t.png` });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('iVAE: MCC with the true-vs-recovered scatter, and its history over training', { timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#dataset=ivae&model=ivae&batch=256&latents=2&backend=ndarray`);
  await page.waitForSelector('#metric-values tr[data-key="mcc"]', { timeout: 60_000 });
  const before = await canvasHash(page, '#scatter-canvas');
  await page.click('#start');
  await waitForStep(page, 650, 180_000);
  await page.click('#start');
  await page.waitForTimeout(1_000);
  const mcc = Number(await metricValue(page, 'mcc'));
  assert.ok(mcc > 0 && mcc <= 1, `MCC in (0, 1]: ${mcc}`);
  assert.notEqual(await canvasHash(page, '#scatter-canvas'), before, 'the scatter follows training');
  for (const key of ['index_code_mi', 'total_correlation', 'dimwise_kl', 'active_units']) {
    assert.notEqual(await metricValue(page, key), null, `${key} is shown`);
  }
  const dir = await outDir();
  await page.locator('#metrics-panel').screenshot({ path: `${dir}/metrics-ivae.png` });
  console.log(`# iVAE after ${await page.textContent('#step-count')} steps: MCC ${mcc.toFixed(3)}`);
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});

test('A/B comparison: β-VAE against β-TCVAE on the same data and seed', { timeout: 240_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#dataset=pinwheel&model=beta-vae&beta=4&backend=ndarray`);
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  await page.check('#compare-on');
  await page.waitForSelector('#compare-table');
  assert.equal(await page.inputValue('#compare-model'), 'beta-tcvae', 'B defaults to β-TCVAE for a β-VAE');
  const lossBefore = await canvasHash(page, '#loss-canvas');
  await page.click('#start');
  await waitForStep(page, 450, 120_000);
  await page.waitForFunction(() => Number(document.querySelector('#compare-b-step')?.dataset.step ?? 0) >= 200, null, { timeout: 120_000 });
  await page.click('#start');
  await page.waitForTimeout(1_000);
  assert.notEqual(await canvasHash(page, '#loss-canvas'), lossBefore, 'the loss canvas shows the runs');
  const row = await page.$$eval('#compare-table tr[data-key="D(q(z), p(z))"] td.num', (tds) => tds.map((t) => t.textContent));
  assert.equal(row.length, 2, 'the divergence of A and B side by side');
  assert.ok(row.every((v) => Number.isFinite(Number(v))), `both measured: ${row}`);
  // A slower B holds A back: the two runs are compared at about the same step. The page sees
  // both steps through 40-ms snapshots, so A can overshoot the 100-step lead by a few slices
  // (without the hold, A was >2,500 steps ahead here).
  const aStep = Number(await page.textContent('#step-count'));
  const bStep = Number(await page.getAttribute('#compare-b-step', 'data-step'));
  console.log(`# A/B after pausing: A at step ${aStep}, B at step ${bStep}`);
  assert.ok(Math.abs(aStep - bStep) <= 250, `A (${aStep}) and B (${bStep}) stay in step`);
  const dir = await outDir();
  await page.screenshot({ path: `${dir}/compare.png`, fullPage: true });
  // Turning it off removes B.
  await page.uncheck('#compare-on');
  await page.waitForSelector('#compare-table', { state: 'detached' });
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});
