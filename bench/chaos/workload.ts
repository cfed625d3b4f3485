// The seeded workload: several clients doing what platforms and their users do, against random
// instances, through every route. Clients tolerate every refusal (that is the point); what they
// record is what each follower heard as the end of each restore. The same workload runs against
// real processes (`pnpm chaos`) and in the deterministic simulation (`pnpm sim`): everything it
// touches outside itself (requests, time, the live database) comes through `Env`.
import { decodeRestoreEvent, type RestoreEvent, type Version } from '@rewind/protocol';
import { createParser } from 'eventsource-parser';
import type { Random } from './random';

/** What the workload and the invariants need from the world they run in. */
export interface Env {
  /** A request to the handler instance at `base`; rejects when `init.signal` aborts. */
  fetch: (base: string, path: string, init: RequestInit) => Promise<Response>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** A signal that aborts after `ms`. */
  timeout: (ms: number) => AbortSignal;
  /** Write `value` into the live database (what an agent's change does). */
  setLive: (value: string) => Promise<void>;
  /** The value the live database holds now. */
  readLive: () => Promise<string | null>;
}

export interface World {
  env: Env;
  projectId: string;
  /** Base URLs of the handler instances. */
  instances: string[];
  /**
   * When a client wrote to the live database without getting a version for it (its create
   * failed): until a later version or restore replaces that data, the live data is not any
   * version's, by the workload's doing, not Rewind's (the agent-side fix is a change under the
   * lock, a later issue). The live-data invariant is skipped then.
   */
  dirtyAt: number | null;
  /** Writes and the version made of them, one client at a time, as one agent would. */
  writes: Promise<unknown>;
}

/** What followers heard: restore token → terminal event names seen. */
export type Heard = Map<string, string[]>;

const TIMEOUT_MS = 8_000;

async function call(world: World, r: Random, client: string, path: string, init: RequestInit = {}) {
  const base = r.pick(world.instances);
  const headers = new Headers(init.headers);
  headers.set('x-project', world.projectId);
  headers.set('x-client', client);
  if (init.method === 'POST' || init.method === 'PATCH') headers.set('content-type', 'application/json');
  return world.env.fetch(base, path, { ...init, headers, signal: world.env.timeout(TIMEOUT_MS) });
}

/** Read a restore stream until its end, a silence, or `stopAfter` events (a dropped connection). */
export async function readStream(
  env: Pick<Env, 'sleep'>,
  response: Response,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<RestoreEvent[]> {
  const events: RestoreEvent[] = [];
  if (!response.ok || !response.body) return events;
  const parser = createParser({
    onEvent: (message) => {
      const event = decodeRestoreEvent(message);
      if (event && event.event !== 'heartbeat') events.push(event);
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const silence = env.sleep(TIMEOUT_MS).then(() => 'silent' as const);
      // A read that loses the race to the silence stays pending; if the connection then resets,
      // it rejects with nobody listening, and the harness process would die of it.
      const pending = reader.read();
      pending.catch(() => undefined);
      const read = await Promise.race([pending, silence]);
      if (read === 'silent' || read.done) break;
      parser.feed(decoder.decode(read.value, { stream: true }));
      if (
        events.length >= stopAfter ||
        events.some((e) => e.event === 'restore.succeeded' || e.event === 'restore.failed')
      )
        break;
    }
  } catch {
    // dropped: the restore goes on
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return events;
}

const terminalOf = (events: RestoreEvent[]) =>
  events.find((e) => e.event === 'restore.succeeded' || e.event === 'restore.failed');

async function versions(world: World, r: Random, client: string): Promise<Version[]> {
  const response = await call(world, r, client, '/versions');
  if (!response.ok) return [];
  return ((await response.json()) as { versions: Version[] }).versions;
}

/** Follow a restore to its end, reconnecting (to any instance) with Last-Event-ID, as the UI does. */
async function followToEnd(world: World, r: Random, client: string, heard: Heard, first: Response) {
  const token = first.headers.get('rewind-restore-token');
  // Some users drop the connection (a reload) partway.
  const dropAfter = r.chance(0.3) ? r.int(1, 6) : Number.POSITIVE_INFINITY;
  const startedAt = world.env.now();
  let events = await readStream(world.env, first, dropAfter);
  let last = events.at(-1)?.id ?? 0;
  let terminal = terminalOf(events);
  for (let attempt = 0; !terminal && token && attempt < 12; attempt++) {
    const response = await call(world, r, client, `/restores/${token}/events`, {
      headers: { 'last-event-id': String(last) },
    }).catch(() => null);
    if (!response) continue;
    events = await readStream(world.env, response);
    last = events.at(-1)?.id ?? last;
    terminal = terminalOf(events);
  }
  if (token) heard.set(token, [...(heard.get(token) ?? []), terminal?.event ?? 'none']);
  // A restore asked for after the stray write replaced it.
  if (terminal?.event === 'restore.succeeded' && world.dirtyAt !== null && startedAt > world.dirtyAt)
    world.dirtyAt = null;
  return token;
}

/** One client's seeded run of operations. */
export async function runClient(
  world: World,
  r: Random,
  client: string,
  ops: number,
  heard: Heard,
  log: { push(line: string): unknown },
) {
  const tokens: string[] = [];
  const previews: string[] = [];
  for (let i = 0; i < ops; i++) {
    const op = r.pick([
      'create',
      'create',
      'create',
      'restore',
      'restore',
      'undo',
      'rename',
      'delete',
      'preview',
      'promote',
      'discard',
      'diff',
      'list',
      'follow',
    ] as const);
    log.push(`${client}:${op}`);
    try {
      const known = await versions(world, r, client);
      const manual = known.filter((v) => v.kind === 'manual');
      switch (op) {
        case 'create': {
          const label = `${client}-${i}-${r.int(0, 1e6)}`;
          const key = `${label}-key`;
          const body = JSON.stringify({ label, prompt: `prompt ${i}`, metadata: { client, i } });
          const turn = world.writes.then(async () => {
            await world.env.setLive(label);
            let first = await call(world, r, client, '/versions', {
              method: 'POST',
              body,
              headers: { 'idempotency-key': key },
            }).catch(() => null);
            // A retry with the same key (the answer got lost, or not): never a second version.
            if (!first?.ok || r.chance(0.3)) {
              const again = await call(world, r, client, '/versions', {
                method: 'POST',
                body,
                headers: { 'idempotency-key': key },
              }).catch(() => null);
              if (again?.ok) first = again;
            }
            world.dirtyAt = first?.ok ? null : world.env.now();
          });
          world.writes = turn.catch(() => {
            world.dirtyAt = world.env.now();
          });
          await world.writes;
          break;
        }
        case 'restore': {
          const target = known.length ? r.pick(known) : null;
          if (!target) break;
          const response = await call(world, r, client, `/versions/${target.id}/restore`, {
            method: 'POST',
            body: JSON.stringify({ undoable: r.chance(0.7) }),
          });
          const token = await followToEnd(world, r, client, heard, response);
          if (token) tokens.push(token);
          break;
        }
        case 'undo': {
          const response = await call(world, r, client, '/undo', { method: 'POST', body: '{}' });
          const token = await followToEnd(world, r, client, heard, response);
          if (token) tokens.push(token);
          break;
        }
        case 'rename': {
          const target = known.length ? r.pick(known) : null;
          if (target)
            await call(world, r, client, `/versions/${target.id}`, {
              method: 'PATCH',
              body: JSON.stringify({ label: `${target.label}*` }),
            });
          break;
        }
        case 'delete': {
          // Never the undo point (a platform offering Undo keeps it) nor the current version.
          const deletable = manual.filter((v) => !v.current);
          if (deletable.length > 2)
            await call(world, r, client, `/versions/${r.pick(deletable).id}`, { method: 'DELETE' });
          break;
        }
        case 'preview': {
          const target = known.length ? r.pick(known) : null;
          if (!target) break;
          const response = await call(world, r, client, `/versions/${target.id}/preview`, {
            method: 'POST',
            body: '{}',
          });
          if (response.ok) previews.push(((await response.json()) as { preview: { id: string } }).preview.id);
          break;
        }
        case 'promote': {
          const id = previews.pop();
          if (!id) break;
          const response = await call(world, r, client, `/previews/${id}/promote`, {
            method: 'POST',
            body: '{}',
          });
          const token = await followToEnd(world, r, client, heard, response);
          if (token) tokens.push(token);
          break;
        }
        case 'discard': {
          const id = previews.pop();
          if (id) await call(world, r, client, `/previews/${id}`, { method: 'DELETE' });
          break;
        }
        case 'diff': {
          const target = known.length ? r.pick(known) : null;
          if (target)
            await call(world, r, client, `/versions/${target.id}/diff`, { method: 'POST', body: '{}' });
          break;
        }
        case 'list':
          break; // the versions() call above
        case 'follow': {
          const token = tokens.length ? r.pick(tokens) : null;
          if (!token) break;
          const response = await call(world, r, client, `/restores/${token}/events`, {
            headers: { 'last-event-id': String(r.int(0, 40)) },
          });
          const terminal = terminalOf(await readStream(world.env, response));
          if (terminal) heard.set(token, [...(heard.get(token) ?? []), terminal.event]);
          break;
        }
      }
    } catch (error) {
      log.push(`${client}:${op} threw ${String(error).slice(0, 80)}`);
    }
    await world.env.sleep(r.int(0, 300));
  }
}
