// Share links: the settings live in the URL; a link restores them, can hide controls, and a
// malformed link opens with the defaults and a message naming what was ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, outDir, watchErrors, DIST_DIR } from './harness.mjs';

let server;
let browser;
before(async () => { server = await serve(DIST_DIR); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('a share link restores the settings and hides chosen controls', { timeout: 120_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors = watchErrors(page);
  await page.goto(`${server.url}#dataset=pinwheel&model=dd&alpha=1&beta=0&prior=mixture&seed=5&backend=ndarray&hide=lr,backend-select`);
  await page.waitForSelector('#prior-select');
  assert.equal(await page.inputValue('#model-select'), 'dd');
  assert.equal(await page.inputValue('#prior-select'), 'mixture');
  assert.equal(await page.inputValue('#seed'), '5');
  assert.equal(await page.inputValue('#beta-number'), '0');
  assert.equal(await page.isVisible('#lr'), false, 'the link hides the learning rate');
  assert.equal(await page.isVisible('#backend-select'), false, 'the link hides the backend choice');
  await page.waitForSelector('#backend-badge[data-backend="ndarray"]', { timeout: 60_000 });
  // Changing a setting rewrites the URL, so the address bar is always a share link.
  await page.fill('#seed', '9');
  await page.press('#seed', 'Enter');
  await page.waitForFunction(() => location.hash.includes('seed=9'), null, { timeout: 10_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a malformed link opens with defaults and names what it ignored', { timeout: 120_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${server.url}#model=gan&beta=abc&colour=red&seed=3`);
  await page.waitForSelector('#error');
  const message = await page.textContent('#error');
  assert.match(message, /model/);
  assert.match(message, /colour/);
  assert.match(message, /beta/);
  assert.equal(await page.inputValue('#model-select'), 'beta-vae', 'the default model is used');
  assert.equal(await page.inputValue('#seed'), '3', 'the valid part of the link is kept');
  const dir = await outDir();
  await page.screenshot({ path: `${dir}/malformed-link.png` });
  await page.close();
});
