import { sValidator } from '@hono/standard-validator';
import type { CreateVersionBody } from '@rewind/protocol';
import { Hono } from 'hono';
import * as v from 'valibot';
import type { Core, RewindEnv } from '../core';
import { CreateVersionInput, failValidation, IdempotencyKey, UpdateVersionInput } from '../inputs';
import { createVersion, deleteVersion, listVersions, updateVersion } from '../service/versions';
import { keepAlive } from './restores';

export function versionRoutes(core: Core) {
  const app = new Hono<RewindEnv>();

  app.get('/versions', async (c) => c.json(await listVersions(core, c.get('target'), keepAlive(core, c))));

  app.post(
    '/versions',
    sValidator('json', CreateVersionInput, failValidation),
    sValidator('header', v.object({ 'idempotency-key': v.optional(IdempotencyKey) }), failValidation),
    async (c) => {
      const body = c.req.valid('json') as CreateVersionBody;
      const key = c.req.valid('header')['idempotency-key'];
      const { version, replayed } = await createVersion(core, c.get('target'), body, key);
      return c.json({ version }, replayed ? 200 : 201);
    },
  );

  app.patch('/versions/:id', sValidator('json', UpdateVersionInput, failValidation), async (c) =>
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
