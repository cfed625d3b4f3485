'use client';
// The kit talks to the route above; the browser sees versions and progress, never a key or a
// connection string.
import { RewindProvider, VersionTimeline } from '@rewind/ui';
import '@rewind/ui/styles.css';
import { useRouter } from 'next/navigation';

export function History() {
  const router = useRouter();
  return (
    <RewindProvider url="/api/rewind">
      <VersionTimeline onRestored={() => router.refresh()} />
    </RewindProvider>
  );
}
