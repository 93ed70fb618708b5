// Shared set-up for the browser tests: a static server for the tests' build on loopback and
// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.png': 'image/png', '.txt': 'text/plain', '.json': 'application/json',
};

/**
 * The release build the tests load: a folder of their own, written by `scripts/browser-build.sh`
 * (scripts/test.sh runs it), never dist/ nor the folder `trunk serve` writes, so a running
 * scripts/serve.sh cannot change what is tested.
 */
export const DIST_DIR = process.env.DIST_DIR ?? 'target/browser-dist';

/**
 * Serves `root` on 127.0.0.1 under `prefix` (e.g. '/' or '/lab/'); resolves to { url, close }.
 * `replace` maps a file (relative to `root`) to a body served in its place.
 */
export async function serve(root, prefix = '/', replace = {}) {
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(`no build in ${root}/: run scripts/test.sh, or scripts/browser-build.sh ${root}`);
  }
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(prefix)) { res.writeHead(404).end(); return; }
    let rel = normalize(path.slice(prefix.length)).replace(/^(\.\.[/\\])+/, '');
    if (rel === '' || rel === '.') rel = 'index.html';
    else if (rel.endsWith('/')) rel += 'index.html';
    try {
      const body = rel in replace ? replace[rel] : await readFile(join(root, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}${prefix}`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Flags measured to work here (measured on these machines): quiet on a closed network, WebGPU on SwiftShader. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/** Opens the page on `backend`, runs *Measure speed* and returns its report's text. */
export async function measureSpeed(page, url, backend, ms) {
  await page.goto(`${url}#backend=${backend}`);
  await page.reload();
  await page.waitForSelector(`#backend-badge[data-backend="${backend}"]`, { timeout: 120_000 });
  await page.click('#bench-start');
  await page.waitForSelector('#bench-report[data-done="true"]', { timeout: ms });
  return page.textContent('#bench-report');
}

export const OUT_DIR = process.env.TEST_OUTPUT ?? 'test-output';
export async function outDir() { await mkdir(OUT_DIR, { recursive: true }); return OUT_DIR; }

/** Collects console errors and uncaught exceptions of a page. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** Starts recording the UI thread's frame intervals (ms) with requestAnimationFrame. */
export async function startFrameRecorder(page) {
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stopFrames) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
}

/** Stops recording; returns { count, p50, p95, max } of the frame intervals. */
export async function stopFrameRecorder(page) {
  const frames = await page.evaluate(() => { window.__stopFrames = true; return window.__frames.slice(1); });
  const s = [...frames].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { count: s.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}

/** Reads the step counter and latest loss the page shows. */
export async function progress(page) {
  return page.evaluate(() => ({
    step: Number(document.querySelector('#step-count')?.dataset.step ?? 0),
    loss: Number(document.querySelector('#loss-value')?.dataset.loss ?? NaN),
  }));
}

/** Waits until the page reports at least `steps` steps (polling), or throws after `ms`. */
export async function waitForStep(page, steps, ms) {
  await page.waitForFunction((n) => Number(document.querySelector('#step-count')?.dataset.step ?? 0) >= n, steps, { timeout: ms, polling: 200 });
}

/**
 * Pauses a training page and waits for the worker to stop: the button flips at once, but the
 * worker may finish a time slice and send its snapshot afterwards, so the step counter is read
 * once it has not moved for a second (on a loaded machine a fixed wait is not enough).
 */
export async function pauseAndSettle(page, ms = 30_000) {
  await page.click('#start');
  await page.waitForSelector('#start:text("Start")', { timeout: ms });
  const deadline = Date.now() + ms;
  let last = (await progress(page)).step;
  for (;;) {
    await page.waitForTimeout(1000);
    const now = (await progress(page)).step;
    if (now === last) return now;
    if (Date.now() > deadline) throw new Error(`the step counter still moves ${ms} ms after Pause (${last} -> ${now})`);
    last = now;
  }
}

/** A fingerprint of a canvas's pixels, to see whether it changed. */
export async function canvasHash(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 1) { h ^= d[i]; h = Math.imul(h, 16777619) >>> 0; }
    return h;
  }, selector);
}
