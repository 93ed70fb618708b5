// Steady training rate in the page, as a visitor sees it: opens a share link in headless
// Chromium, presses Start, skips a warm-up and counts the steps the step counter shows over a
// window. Prints one JSON line {link, dist, backend, steps, seconds, steps_per_second}.
// *Measure speed* times a second or so per configuration; this times a whole training run.
//
//   DIST_DIR=target/browser-dist node scripts/page-steady.mjs 'dataset=dsprites&model=beta-vae&backend=flex' 20 60
//   (arguments: the link's fragment, warm-up seconds, window seconds)
import { serve, launch, DIST_DIR } from '../tests/browser/harness.mjs';

const [link, warm, win] = [process.argv[2], Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 60)];
if (!link) {
  console.error('usage: node scripts/page-steady.mjs LINK [WARM_SECONDS] [WINDOW_SECONDS]');
  process.exit(2);
}
const server = await serve(DIST_DIR);
const browser = await launch();
const step = (p) => p.evaluate(() => Number(document.querySelector('#step-count')?.dataset.step ?? 0));
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${server.url}#${link}`);
  await page.waitForSelector('#backend-badge[data-backend]', { timeout: 120_000 });
  await page.click('#start');
  await page.waitForTimeout(warm * 1000);
  const s0 = await step(page);
  const t0 = Date.now();
  await page.waitForTimeout(win * 1000);
  const s1 = await step(page);
  const t1 = Date.now();
  const backend = await page.textContent('#backend-name');
  const seconds = (t1 - t0) / 1000;
  console.log(JSON.stringify({ link, dist: DIST_DIR, backend, steps: s1 - s0, seconds, steps_per_second: (s1 - s0) / seconds }));
} finally {
  await browser.close();
  await server.close();
}
