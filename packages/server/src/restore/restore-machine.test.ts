import { isTerminalRestoreEvent, RESTORE_EVENT } from '@rewind/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RestoreAction, RestoreRecord, RestoreStep } from '../types';
import {
  DEFAULT_RESTORE_STEPS,
  newRestoreRecord,
  nextStep,
  transition,
  UNDO_FIRST_STEPS,
} from './restore-machine';

const fresh = (steps: readonly RestoreStep[] = DEFAULT_RESTORE_STEPS): RestoreRecord =>
  newRestoreRecord({
    id: 'r1',
    target: { projectId: 'p', branchName: 'main', databaseName: 'neondb', roleName: 'r', actor: 'agent-7' },
    kind: 'restore',
    version: {
      id: 'v1',
      projectId: 'p',
      label: 'v1',
      prompt: null,
      codeRef: null,
      parentId: null,
      snapshotId: 'snap-1',
      kind: 'manual',
      createdAt: 'x',
      expiresAt: null,
      metadata: {},
    },
    token: 'tok',
    holderId: 'r1',
    undoVersionId: 'u1',
    preview: null,
    createdAt: '2026-12-01T00:00:00.000Z',
    steps,
  });

const step = fc.constantFrom<RestoreStep>('undo-point', 'restore', 'record', 'cleanup');
const action: fc.Arbitrary<RestoreAction> = fc.oneof(
  fc.constant({ type: 'begun' } as const),
  fc.constant({ type: 'live-resolved', liveBeforeId: 'br-old' } as const),
  fc.constant({ type: 'undo-taken' } as const),
  step.map((s) => ({ type: 'step-skipped', step: s }) as const),
  fc.constant({ type: 'asking' } as const),
  fc.constant({ type: 'asked', restoredBranchId: 'br-new' } as const),
  fc.constant({ type: 'swapped', branchId: 'br-new' } as const),
  fc.constant({ type: 'recorded', currentAfterId: 'v1' } as const),
  fc.constant({ type: 'cleaned' } as const),
  fc.constant({
    type: 'observed',
    event: {
      event: RESTORE_EVENT.progress,
      data: { phase: 'restoring', progress: 0.5, settled: 1, total: 2 },
    },
  } as const),
  fc.constant({
    type: 'not-done',
    error: { code: 'operation_failed', message: 'no', status: 502 },
  } as const),
);

function replay(actions: RestoreAction[], start = fresh()) {
  let record = start;
  const events = [];
  const history = [record];
  for (const next of actions) {
    const result = transition(record, next, '2026-12-01T00:00:01.000Z');
    record = result.record;
    events.push(...result.events);
    history.push(record);
  }
  return { record, events, history };
}

describe('transition', () => {
  it('makes at most one terminal event, and nothing after it (any sequence of actions)', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const { record, events } = replay(actions);
        const terminal = events.filter((e) => isTerminalRestoreEvent({ ...e, id: 0 } as never));
        expect(terminal.length).toBe(record.status === 'running' ? 0 : 1);
        if (terminal.length) expect(events.at(-1)).toBe(terminal[0]);
      }),
    );
  });

  it('treats the swap as a one-way door: a swapped restore never fails', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const { history } = replay(actions);
        const swappedAt = history.findIndex((r) => r.swapped);
        if (swappedAt === -1) return;
        for (const later of history.slice(swappedAt)) {
          expect(later.swapped).toBe(true);
          expect(later.status).not.toBe('failed');
        }
      }),
    );
  });

  it('succeeds exactly when swapped and every step of its order is done, whatever that order', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(['undo-point', 'restore', 'record', 'cleanup'] as RestoreStep[], {
          minLength: 1,
        }),
        fc.array(action, { maxLength: 40 }),
        (steps, actions) => {
          const { record } = replay(actions, fresh(steps));
          if (record.status === 'succeeded') {
            expect(record.swapped).toBe(true);
            expect(steps.every((s) => record.done.includes(s))).toBe(true);
            expect(nextStep(record)).toBeUndefined();
          }
        },
      ),
    );
  });

  it('never changes a terminal record', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), fc.array(action, { maxLength: 10 }), (first, more) => {
        const { record } = replay(first);
        if (record.status === 'running') return;
        expect(replay(more, record).record).toBe(record);
      }),
    );
  });

  it('walks the default order to success: "finalized" before the undo point, which it then offers', () => {
    const { record, events } = replay([
      { type: 'begun' },
      { type: 'live-resolved', liveBeforeId: 'br-old', currentBeforeId: 'v0' },
      { type: 'asking' },
      { type: 'asked', restoredBranchId: 'br-new' },
      { type: 'swapped', branchId: 'br-new' },
      { type: 'recorded', currentAfterId: 'v1' },
      { type: 'undo-taken' },
      { type: 'cleaned' },
    ]);
    expect(record).toMatchObject({ status: 'succeeded', actor: 'agent-7', undoTaken: true, asking: false });
    expect(record.currentBeforeId).toBe('v0');
    expect(events.map((e) => e.event)).toEqual([
      'restore.started',
      'restore.finalized',
      'restore.undo-available',
      'restore.succeeded',
    ]);
    expect(events[1]?.data).toMatchObject({ versionId: 'v1', branchId: 'br-new', undoVersionId: null });
    expect(events[2]?.data).toEqual({ undoVersionId: 'u1' });
    expect(events.at(-1)?.data).toMatchObject({ versionId: 'v1', undoVersionId: 'u1', branchId: 'br-new' });
  });

  it('walks the undo-first order too: the undo point is offered before "finalized"', () => {
    const { record, events } = replay(
      [
        { type: 'begun' },
        { type: 'live-resolved', liveBeforeId: 'br-old' },
        { type: 'undo-taken' },
        { type: 'asking' },
        { type: 'asked', restoredBranchId: 'br-new' },
        { type: 'swapped', branchId: 'br-new' },
        { type: 'recorded', currentAfterId: 'v1' },
        { type: 'cleaned' },
      ],
      fresh(UNDO_FIRST_STEPS),
    );
    expect(record.status).toBe('succeeded');
    expect(events.map((e) => e.event)).toEqual([
      'restore.started',
      'restore.undo-available',
      'restore.finalized',
      'restore.succeeded',
    ]);
    expect(events[2]?.data).toMatchObject({ undoVersionId: 'u1' });
  });
});
