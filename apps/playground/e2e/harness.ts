// Starts the playground exactly as `pnpm dev` does (Vite + the playground API plugin), on a
// free port with the emulator in memory, and drives it with Debian's Chromium.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import react from '@vitejs/plugin-react';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium';
import type { PlaygroundApi } from '../server/playground-api';
import { playgroundApi } from '../server/vite-plugin';

const root = join(import.meta.dirname, '..');
export const artifacts = join(root, 'test-results');

export interface Playground {
  url: string;
  api: PlaygroundApi;
  browser: Browser;
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/** `operationDurationMs: null`: the emulator's realistic operation durations (0.4-1.5 s each). */
export async function startPlayground(operationDurationMs: number | null = 150): Promise<Playground> {
  mkdirSync(artifacts, { recursive: true });
  let api: PlaygroundApi | undefined;
  const server: ViteDevServer = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    plugins: [
      react(),
      playgroundApi({
        operationDurationMs: operationDurationMs ?? undefined,
        onReady: (ready) => (api = ready),
      }),
    ],
    resolve: { conditions: ['@rewind/source'] },
    server: { port: 0, host: '127.0.0.1' },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0] as string;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    url,
    api: api as PlaygroundApi,
    browser,
    async newPage() {
      // A context per page: its own sessionStorage, as separate tabs of separate sessions.
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(url);
      return { context, page };
    },
    async close() {
      await browser.close();
      await server.close();
      await api?.close();
    },
  };
}

/** Save a screenshot as a test artifact and check the screen with axe: 0 violations. */
export async function checkpoint(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  const violations = result.violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  if (violations.length > 0) throw new Error(`axe violations on "${name}":\n${violations.join('\n')}`);
}
