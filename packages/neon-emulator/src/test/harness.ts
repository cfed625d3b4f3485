// Test harness: an in-process emulator behind the real @neondatabase/api-client, with every
// response validated against the OpenAPI spec shipped inside that package.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createApiClient } from '@neondatabase/api-client';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import pg from 'pg';
import { parse } from 'yaml';
import { createNeonEmulator, type NeonEmulator, type NeonEmulatorOptions } from '../index';

const require = createRequire(import.meta.url);
const specPath = join(
  dirname(require.resolve('@neondatabase/api-client')),
  '..',
  'public-v2-for-users.gen.yaml',
);
// biome-ignore lint/suspicious/noExplicitAny: the spec is untyped YAML.
const spec: any = parse(readFileSync(specPath, 'utf8'));
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password'])
  ajv.addFormat(format, true);

const routes = Object.keys(spec.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));
const validators = new Map<string, ValidateFunction | null>();

// biome-ignore lint/suspicious/noExplicitAny: spec nodes.
function deref(node: any): any {
  if (node?.$ref) {
    const path = (node.$ref as string).replace(/^#\//, '').split('/');
    return deref(path.reduce((at, key) => at?.[key], spec));
  }
  return node;
}

/** The spec's validator for a response, or null when the spec declares no JSON body. */
export function validatorFor(method: string, path: string, status: number): ValidateFunction | null {
  const route = routes
    .filter((r) => r.regex.test(path))
    // Prefer literal segments (`/branches/count`) over templated ones.
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))[0];
  if (!route) throw new Error(`no spec path for ${method} ${path}`);
  const key = `${method} ${route.template} ${status}`;
  if (!validators.has(key)) {
    const operation = spec.paths[route.template][method.toLowerCase()];
    if (!operation && status < 400) throw new Error(`spec has no ${method} ${route.template}`);
    // Errors on methods the spec lacks must still be GeneralError-shaped.
    const declared = operation
      ? (operation.responses[String(status)] ?? (status >= 400 ? operation.responses.default : undefined))
      : spec.components.responses.GeneralError;
    if (!declared) throw new Error(`spec declares no ${status} for ${method} ${route.template}`);
    const schema = deref(declared)?.content?.['application/json']?.schema;
    validators.set(key, schema ? ajv.compile({ allOf: [schema], components: spec.components }) : null);
  }
  return validators.get(key) ?? null;
}

export interface Violation {
  request: string;
  status: number;
  errors: unknown;
}

export interface Harness {
  emulator: NeonEmulator;
  api: ReturnType<typeof createApiClient>;
  /** fetch that validates like `api` does, for raw requests (bodies Neon ignores, bad ids). */
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  violations: Violation[];
  close(): Promise<void>;
}

export async function startHarness(options: NeonEmulatorOptions = {}): Promise<Harness> {
  const emulator = await createNeonEmulator({
    operationDurationMs: 20,
    retryDelayMs: 50,
    rateLimits: false,
    ...options,
  });
  const violations: Violation[] = [];
  const validatingFetch = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const response = await emulator.fetch(request);
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/api\/v2/, '');
    if (url.pathname.startsWith('/api/v2')) {
      const validate = validatorFor(request.method, path, response.status);
      if (validate) {
        const body = await response.clone().json();
        if (!validate(body)) {
          violations.push({
            request: `${request.method} ${url.pathname}${url.search}`,
            status: response.status,
            errors: validate.errors,
          });
        }
      } else if (response.status !== 204 && (await response.clone().text()) !== '') {
        violations.push({
          request: `${request.method} ${path}`,
          status: response.status,
          errors: 'unexpected body',
        });
      }
    }
    return response;
  };
  const api = createApiClient({
    apiKey: 'test-key',
    baseURL: emulator.baseURL,
    adapter: 'fetch',
    env: { fetch: validatingFetch },
    validateStatus: () => true,
  });
  return {
    emulator,
    api,
    violations,
    fetch: (path, init = {}) =>
      validatingFetch(`${emulator.baseURL}${path}`, {
        ...init,
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json', ...init.headers },
      }),
    close: () => emulator.close(),
  };
}

/** Poll operations until each is terminal; returns their final records. */
export async function waitForOperations(
  harness: Harness,
  projectId: string,
  operations: Array<{ id: string }>,
): Promise<Array<{ id: string; status: string; action: string; failures_count: number }>> {
  const deadline = Date.now() + 60_000;
  const done = new Map<string, { id: string; status: string; action: string; failures_count: number }>();
  while (done.size < operations.length) {
    if (Date.now() > deadline) throw new Error('operations did not settle');
    for (const { id } of operations) {
      if (done.has(id)) continue;
      const { data } = await harness.api.getProjectOperation(projectId, id);
      if (['finished', 'skipped', 'error', 'cancelled'].includes(data.operation.status))
        done.set(id, data.operation);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return operations.map(
    ({ id }) => done.get(id) as { id: string; status: string; action: string; failures_count: number },
  );
}

/** A ready project: its id, live branch id, endpoint id and connection string. */
export async function readyProject(harness: Harness, name = 'app') {
  const { data, status } = await harness.api.createProject({ project: { name } });
  if (status !== 201) throw new Error(`createProject answered ${status}: ${JSON.stringify(data)}`);
  await waitForOperations(harness, data.project.id, data.operations);
  return {
    projectId: data.project.id,
    branchId: data.branch.id,
    endpointId: (data.endpoints[0] as { id: string }).id,
    uri: (data.connection_uris[0] as { connection_uri: string }).connection_uri,
  };
}

/** One query over a fresh connection (a finalized restore drops open ones). */
export async function sql<T extends pg.QueryResultRow>(uri: string, text: string): Promise<T[]> {
  const client = new pg.Client(uri);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}
