import { connect, createServer, type Server, type Socket } from 'node:net';

export interface EndpointTarget {
  port: number;
  release: () => void;
}

/**
 * One endpoint = one stable loopback port speaking the Postgres wire protocol. Each client
 * connection is piped to the database of the branch the endpoint is attached to *now*, so a
 * finalized restore keeps the connection string and only drops open connections, as on Neon.
 */
export class EndpointProxy {
  readonly #clients = new Set<Socket>();
  #server: Server | undefined;
  #port: number;

  constructor(
    readonly host: string,
    port: number,
    private readonly target: () => Promise<EndpointTarget>,
    /** Called when the last client connection closes. */
    private readonly onEmpty: () => void = () => undefined,
  ) {
    this.#port = port;
  }

  get port(): number {
    return this.#port;
  }

  /** Client connections open now (a compute with none may suspend). */
  get clientCount(): number {
    return this.#clients.size;
  }

  async start(): Promise<void> {
    const server = createServer((client) => void this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') this.#port = address.port;
    this.#server = server;
  }

  /** Drop every open client connection (endpoint restart after finalize, branch delete). */
  dropConnections(): void {
    for (const client of this.#clients) client.destroy();
    this.#clients.clear();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #accept(client: Socket): Promise<void> {
    this.#clients.add(client);
    client.pause();
    let target: EndpointTarget;
    try {
      target = await this.target();
    } catch {
      this.#clients.delete(client);
      client.destroy();
      return;
    }
    if (client.destroyed) {
      target.release();
      return;
    }
    const upstream = connect(target.port, '127.0.0.1');
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const finish = () => {
      if (this.#clients.delete(client) && this.#clients.size === 0) this.onEmpty();
      target.release();
      client.destroy();
      upstream.destroy();
    };
    client.once('close', finish);
    upstream.once('close', finish);
    client.on('error', finish);
    upstream.on('error', finish);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
