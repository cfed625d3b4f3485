// VersionTimeline with 10,000 versions in real Chromium (Debian's): time to first rows, rows in
// the DOM, and long tasks while scrolling the whole history. Uses the Storybook static build's
// "Ten Thousand Versions" story (fake API, no server). Loopback only.
// Run: pnpm --filter @rewind/ui build-storybook && pnpm --filter @rewind/bench bench:timeline
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium';

const root = join(import.meta.dirname, '..', 'packages', 'ui', 'storybook-static');
if (!existsSync(join(root, 'iframe.html')))
  throw new Error('Run `pnpm --filter @rewind/ui build-storybook` first');
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
};
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
    /^(\.\.[/\\])+/,
    '',
  );
  const file = join(root, path === '/' ? 'index.html' : path);
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
// In-page code is passed as text: tsx's helpers (__name) do not exist in the page.
await page.addInitScript(`
  window.__longTasks = [];
  window.__firstRowAt = null;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-slot="item"]')) { window.__firstRowAt = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
`);

await page.goto(`${base}/iframe.html?id=versiontimeline--ten-thousand-versions&viewMode=story`);
await page.waitForSelector('[data-slot="item"]');
const firstRowMs = (await page.evaluate('window.__firstRowAt')) as number;
const rowsAtStart = await page.locator('[data-slot="item"]').count();
await page.evaluate('window.__longTasks = []');
const scroll = (await page.evaluate(`(async () => {
  const scroller = document.querySelector('[data-slot="scroller"]');
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const started = performance.now();
  let steps = 0;
  let maxRows = 0;
  while (scroller.scrollTop + scroller.clientHeight < scroller.scrollHeight - 1) {
    scroller.scrollTop += scroller.clientHeight;
    await frame();
    maxRows = Math.max(maxRows, document.querySelectorAll('[data-slot="item"]').length);
    steps++;
  }
  const labels = [...document.querySelectorAll('[data-slot="item"] [data-slot="label"]')].map((e) => e.textContent);
  return { steps, ms: performance.now() - started, maxRows, lastLabel: labels[labels.length - 1] };
})()`)) as { steps: number; ms: number; maxRows: number; lastLabel: string };

const longTasks = (await page.evaluate('window.__longTasks')) as number[];
console.log(
  `# Timeline at scale — ${new Date().toISOString()}, 10,000 versions, Chromium ${browser.version()}`,
);
console.log(
  `\nfirst rows rendered: ${firstRowMs.toFixed(0)} ms after navigation start (includes loading Storybook's preview bundle)`,
);
console.log(
  `rows in the DOM: ${rowsAtStart} at start, at most ${scroll.maxRows} while scrolling (of 10,000)`,
);
console.log(
  `full scroll: ${scroll.steps} viewport steps in ${scroll.ms.toFixed(0)} ms, ending at "${scroll.lastLabel}"`,
);
console.log(
  `long tasks during the scroll: ${longTasks.length} (total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms, max ${Math.max(0, ...longTasks).toFixed(0)} ms)`,
);
await browser.close();
server.close();
