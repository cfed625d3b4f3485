import type { Preview } from '@storybook/react-vite';
import '../src/styles.css';

const preview: Preview = {
  parameters: {
    // Every story is an accessibility test: any axe violation fails it.
    a11y: { test: 'error' },
    layout: 'padded',
  },
};
export default preview;
