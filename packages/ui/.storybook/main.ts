import type { StorybookConfig } from '@storybook/react-vite';

const config: StorybookConfig = {
  stories: ['../src/**/*.stories.tsx'],
  addons: ['@storybook/addon-vitest', '@storybook/addon-a11y'],
  framework: { name: '@storybook/react-vite', options: {} },
  core: { disableTelemetry: true },
  viteFinal: (vite) => ({
    ...vite,
    // Source-first: stories run on the workspace's TypeScript, no build needed.
    resolve: { ...vite.resolve, conditions: ['@rewind/source', 'browser', 'module', 'import', 'default'] },
  }),
};
export default config;
