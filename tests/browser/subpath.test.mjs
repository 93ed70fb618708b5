// The hosted page: `trunk build --release --public-url /lab/` works when served from /lab/
// only (as on GitHub Pages), and the default build (relative URLs) works from any folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { serve, launch, outDir, watchErrors, waitForStep, DIST_DIR } from './harness.mjs';

// A folder of the tests' own beside the default build (target/, which `trunk serve` ignores).
// Set SUBPATH_DIST to use one built already (scripts/test.sh does).
const LAB_DIST = process.env.SUBPATH_DIST ?? 'target/browser-dist-lab';

let browser;
before(async () => {
  if (!process.env.SUBPATH_DIST || !existsSync(`${LAB_DIST}/index.html`)) {
    execFileSync('scripts/browser-build.sh', [LAB_DIST, '--public-url', '/lab/'], { stdio: 'inherit' });
  }
  browser = await launch();
});
after(async () => { await browser?.close(); });

async function trainsWithoutErrors(url, shot) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors = watchErrors(page);
  const failed = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  await page.goto(url);
  await page.waitForSelector('#backend-badge[data-backend]', { timeout: 90_000 });
  await page.click('#start');
  await waitForStep(page, 30, 60_000);
  await page.click('#start');
  await page.screenshot({ path: `${await outDir()}/${shot}` });
  assert.deepEqual(failed, [], 'every asset loads');
  assert.deepEqual(errors, []);
  await page.close();
}

test('built with --public-url /lab/, the page trains when served under /lab/', { timeout: 600_000 }, async () => {
  const html = await readFile(`${LAB_DIST}/index.html`, 'utf8');
  assert.match(html, /["']\/lab\/app-[0-9a-f]+\.js/, 'asset URLs carry the public URL');
  const server = await serve(LAB_DIST, '/lab/');
  try {
    await trainsWithoutErrors(server.url, 'subpath-lab.png');
  } finally {
    await server.close();
  }
});

test('the default build uses relative URLs and works from a deeper folder', { timeout: 300_000 }, async () => {
  const root = DIST_DIR;
  const html = await readFile(`${root}/index.html`, 'utf8');
  assert.doesNotMatch(html, /(src|href)="\/[^/]/, 'no root-relative asset URLs');
  const server = await serve(root, '/some/deeper/folder/');
  try {
    await trainsWithoutErrors(server.url, 'subpath-relative.png');
  } finally {
    await server.close();
  }
});
