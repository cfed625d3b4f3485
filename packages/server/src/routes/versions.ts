import { sValidator } from '@hono/standard-validator';
import type { CreateVersionBody } from '@rewind/protocol';
import { Hono } from 'hono';
import * as v from 'valibot';
import type { Core, RewindEnv } from '../core';
import { createVersion, deleteVersion, listVersions, updateVersion } from '../service/versions';
import { keepAlive } from './restores';
import { failValidation } from './validation';

const JsonValue: v.GenericSchema<unknown> = v.lazy(() =>
  v.union([
    v.string(),
    v.number(),
    v.boolean(),
    v.null(),
    v.array(JsonValue),
    v.record(v.string(), JsonValue),
  ]),
);
const Label = v.pipe(v.string(), v.trim(), v.minLength(1, 'label must not be empty'), v.maxLength(200));
const IsoTime = v.pipe(v.string(), v.isoTimestamp('expiresAt must be an ISO 8601 timestamp'));

const CreateVersion = v.strictObject({
  label: Label,
  prompt: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(20_000)))),
  codeRef: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(500)))),
  parentId: v.optional(v.nullable(v.string())),
  expiresAt: v.optional(v.nullable(IsoTime)),
  metadata: v.optional(v.record(v.string(), JsonValue)),
});
const UpdateVersion = v.pipe(
  v.strictObject({ label: v.optional(Label), pinned: v.optional(v.boolean()) }),
  v.check((body) => body.label !== undefined || body.pinned !== undefined, 'give a label, pinned, or both'),
);
const IdempotencyKey = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

export function versionRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  app.get('/versions', async (c) => c.json(await listVersions(core, c.get('target'), keepAlive(core, c))));

  app.post(
    '/versions',
    sValidator('json', CreateVersion, failValidation),
    sValidator('header', v.object({ 'idempotency-key': v.optional(IdempotencyKey) }), failValidation),
    async (c) => {
      const body = c.req.valid('json') as CreateVersionBody;
      const key = c.req.valid('header')['idempotency-key'];
      const { version, replayed } = await createVersion(core, c.get('target'), body, key);
      return c.json({ version }, replayed ? 200 : 201);
    },
  );

  app.patch('/versions/:id', sValidator('json', UpdateVersion, failValidation), async (c) =>
    c.json({
      version: await updateVersion(core, c.get('target'), c.req.param('id'), c.req.valid('json')),
    }),
  );

  app.delete('/versions/:id', async (c) => {
    await deleteVersion(core, c.get('target'), c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
