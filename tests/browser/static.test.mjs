// A static build (what `trunk build` writes to dist/, and the build the tests load) carries no
// live-reload script. Only `trunk serve` injects one, and fills in its address as it serves the
// page; a copy read from its folder by another server asks for
// ws://{{__trunk_address__}}…/.well-known/trunk/ws and logs net::ERR_NAME_NOT_RESOLVED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve, launch, watchErrors, DIST_DIR } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Loads the build (with `replace`d files) until the worker is up; the WebSockets it opened and its console errors. */
async function load(replace = {}) {
  const server = await serve(DIST_DIR, '/', replace);
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const errors = watchErrors(page);
  try {
    await page.goto(server.url);
    await page.waitForSelector('#backend-badge[data-backend]', { timeout: 90_000 });
    // Trunk's script connects as soon as it runs; a second lets a late attempt show as well.
    await page.waitForTimeout(1_000);
    return { sockets, errors };
  } finally {
    await page.close();
    await server.close();
  }
}

test('the built index.html has no live-reload script', async () => {
  const html = await readFile(`${DIST_DIR}/index.html`, 'utf8');
  assert.doesNotMatch(html, /__TRUNK_ADDRESS__|__TRUNK_WS_BASE__|\.well-known\/trunk|WebSocket/i);
});

test('the built page loads without any WebSocket attempt or console error', { timeout: 180_000 }, async () => {
  const { sockets, errors } = await load();
  assert.deepEqual(sockets, [], 'no WebSocket opened');
  assert.deepEqual(errors, []);
});

test('the check sees the WebSocket of a live-reload script', { timeout: 180_000 }, async () => {
  // What `trunk serve` appends to the index.html in its folder, its placeholders unfilled.
  const url = 'ws://{{__TRUNK_ADDRESS__}}{{__TRUNK_WS_BASE__}}.well-known/trunk/ws';
  const html = await readFile(`${DIST_DIR}/index.html`, 'utf8');
  const served = html.replace('</body>', `<script>new WebSocket('${url}');</script></body>`);
  assert.notEqual(served, html);
  const { sockets } = await load({ 'index.html': served });
  assert.equal(sockets.length, 1, `one WebSocket seen: ${sockets}`);
  assert.match(sockets[0], /\.well-known\/trunk\/ws$/);
});

test('a browser without WebAssembly SIMD is told why the page cannot run; one with it is not', { timeout: 180_000 }, async () => {
  const server = await serve(DIST_DIR);
  try {
    const plain = await browser.newPage();
    await plain.goto(server.url);
    await plain.waitForSelector('#backend-badge[data-backend]', { timeout: 90_000 });
    assert.equal(await plain.$('#no-simd'), null, 'no notice where SIMD validates');
    await plain.close();
    // Such a browser rejects the SIMD probe in index.html and cannot compile the page's
    // code, which is built for SIMD: this one is made to do both.
    const old = await browser.newPage();
    await old.addInitScript(() => {
      WebAssembly.validate = () => false;
      const refuse = () => Promise.reject(new WebAssembly.CompileError('no SIMD (simulated)'));
      for (const f of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming']) WebAssembly[f] = refuse;
    });
    await old.goto(server.url);
    const notice = await old.waitForSelector('#no-simd', { timeout: 30_000 });
    assert.match(await notice.textContent(), /needs WebAssembly SIMD, which this browser lacks/);
    await old.close();
  } finally {
    await server.close();
  }
});
