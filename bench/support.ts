// Helpers shared by the benchmark scripts.

import type { ChildProcess } from 'node:child_process';
import type { createApiClient } from '@neondatabase/api-client';
import pg from 'pg';

/** Wait for operations the way a client of the Neon API would: polling each one (5 ms). */
export async function settle(
  api: ReturnType<typeof createApiClient>,
  projectId: string,
  operations: Array<{ id: string }>,
): Promise<void> {
  for (const { id } of operations) {
    for (;;) {
      const { data } = await api.getProjectOperation(projectId, id);
      if (data.operation.status === 'finished' || data.operation.status === 'skipped') break;
      if (['error', 'cancelled'].includes(data.operation.status)) {
        throw new Error(`operation ${id} ${data.operation.status}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** One query over a fresh connection (a restore drops open ones). */
export async function query(uri: string, text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client(uri);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** Until a child process prints `text` on stdout (it fails if the child exits first). */
export function waitForLine(child: ChildProcess, text: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${ms} ms`)), ms);
    let seen = '';
    child.stdout?.on('data', (chunk) => {
      seen += String(chunk);
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before "${text}"`)));
  });
}
