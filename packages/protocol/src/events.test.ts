import { describe, expect, it } from 'vitest';
import {
  decodeRestoreEvent,
  encodeRestoreEvent,
  isTerminalRestoreEvent,
  RESTORE_EVENT,
  type RestoreEvent,
} from './index';

const succeeded: RestoreEvent = {
  event: RESTORE_EVENT.succeeded,
  id: 7,
  data: { versionId: 'v1', undoVersionId: 'v0', branchId: 'br-x', finishedAt: '2026-01-01T00:00:00Z' },
};

describe('restore events', () => {
  it('encodes in text/event-stream framing', () => {
    expect(encodeRestoreEvent(succeeded)).toBe(
      `event: restore.succeeded\nid: 7\ndata: ${JSON.stringify(succeeded.data)}\n\n`,
    );
  });

  it('decodes what it encodes', () => {
    const [eventLine, idLine, dataLine] = encodeRestoreEvent(succeeded).split('\n');
    const decoded = decodeRestoreEvent({
      event: eventLine?.slice('event: '.length),
      id: idLine?.slice('id: '.length),
      data: dataLine?.slice('data: '.length) ?? '',
    });
    expect(decoded).toEqual(succeeded);
    expect(decoded && isTerminalRestoreEvent(decoded)).toBe(true);
  });

  it('skips unknown names, bad ids and bad data', () => {
    expect(decodeRestoreEvent({ event: 'restore.exploded', id: '1', data: '{}' })).toBeNull();
    expect(decodeRestoreEvent({ event: undefined, id: '1', data: '{}' })).toBeNull();
    expect(decodeRestoreEvent({ event: 'heartbeat', id: '-1', data: '{}' })).toBeNull();
    expect(decodeRestoreEvent({ event: 'heartbeat', id: 'abc', data: '{}' })).toBeNull();
    expect(decodeRestoreEvent({ event: 'heartbeat', id: '1', data: 'not json' })).toBeNull();
    expect(decodeRestoreEvent({ event: 'heartbeat', id: '1', data: '[1]' })).toBeNull();
    expect(decodeRestoreEvent({ event: 'heartbeat', id: '1', data: 'null' })).toBeNull();
  });

  it('marks only succeeded and failed as terminal', () => {
    const names = Object.values(RESTORE_EVENT);
    const terminal = names.filter((event) =>
      isTerminalRestoreEvent({ event, id: 1, data: {} } as RestoreEvent),
    );
    expect(terminal.sort()).toEqual(['restore.failed', 'restore.succeeded']);
  });
});
