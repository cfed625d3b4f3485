export { readRestoreStream } from './read-restore-stream';
export {
  type HeadersInit,
  type RestoreStreamHandlers,
  RewindClient,
  type RewindClientOptions,
} from './rewind-client';
