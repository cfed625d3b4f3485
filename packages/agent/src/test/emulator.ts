// Test helpers shared by the agent package's tests: a project on an emulator, SQL on a branch.
import pg from 'pg';

/** Create a project through the emulator's API (in-process `fetch` or over HTTP) and wait for it. */
export async function newProject(
  neon: {
    baseURL: string;
    fetch: (input: string, init?: RequestInit) => Promise<Response>;
    settled(id: string): Promise<void>;
  },
  name: string,
): Promise<{ projectId: string; uri: string }> {
  const response = await neon.fetch(`${neon.baseURL}/projects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer key' },
    body: JSON.stringify({ project: { name } }),
  });
  const body = (await response.json()) as {
    project: { id: string };
    connection_uris: Array<{ connection_uri: string }>;
  };
  await neon.settled(body.project.id);
  return { projectId: body.project.id, uri: body.connection_uris[0]?.connection_uri as string };
}

export async function query(uri: string, text: string) {
  const client = new pg.Client(uri);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
