// Typechecked from the installed packages with `skipLibCheck: false`: every package's public
// types compile for a consumer (no `'use client'` in declaration files, no missing maps).
import { compoundCheckpoints, createRewindMcpServer, gitCodeStore, rewindAiTools } from '@rewind/agent';
import { RewindClient, readRestoreStream } from '@rewind/client';
import { createNeonEmulator } from '@rewind/neon-emulator';
import { type RestoreEvent, RewindError, type Version } from '@rewind/protocol';
import { createRewind, createRewindApi, memoryStore, type RestoreRun } from '@rewind/server';
import { RestoreButton, RewindProvider, VersionTimeline } from '@rewind/ui';

export const surface = {
  rewindAiTools,
  createRewindMcpServer,
  gitCodeStore,
  compoundCheckpoints,
  readRestoreStream,
  RewindClient,
  createNeonEmulator,
  RewindError,
  createRewind,
  createRewindApi,
  memoryStore,
};
export type Used = [RestoreEvent, Version, RestoreRun];
export const Page = ({ id }: { id: string }) => (
  <RewindProvider url="/api/rewind">
    <VersionTimeline />
    <RestoreButton versionId={id} label="v1" />
  </RewindProvider>
);
