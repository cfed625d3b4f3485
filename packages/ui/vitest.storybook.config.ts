import { join } from 'node:path';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { defineProject } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium';

// Stories as tests in real Chromium (Debian's, never a downloaded one), with axe on each.
export default defineProject({
  plugins: [storybookTest({ configDir: join(import.meta.dirname, '.storybook') })],
  resolve: { conditions: ['@rewind/source'] },
  test: {
    name: 'ui-stories',
    setupFiles: ['./.storybook/vitest.setup.ts'],
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
