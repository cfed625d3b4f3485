// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RestoreButton, RewindProvider, VersionTimeline } from './index';

describe('server rendering', () => {
  it('renders every component to a string without touching browser globals', () => {
    const html = renderToString(
      <RewindProvider url="/api/rewind" fetch={async () => new Response('{}')}>
        <VersionTimeline />
        <RestoreButton versionId="v1" label="First" />
      </RewindProvider>,
    );
    expect(html).toContain('data-slot="timeline"');
    expect(html).toContain('data-slot="restore-button"');
    expect(html).toContain('Loading versions…');
  });
});
