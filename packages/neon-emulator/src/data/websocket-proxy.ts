import type { IncomingMessage, Server } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { World } from '../engine/world';

/**
 * The WebSocket proxy of Neon's serverless driver (its `Pool` and `Client`): a WebSocket at
 * `/v2?address=host:port` that carries the Postgres wire protocol to that address, as Neon's
 * proxy and its local-development image do. The driver's documented local settings reach it:
 * `neonConfig.wsProxy = (host, port) => '127.0.0.1:4100/v2?address=' + host + ':' + port`,
 * `useSecureWebSocket = false`, `pipelineTLS = false`, `pipelineConnect = false`. Only the
 * emulator's own endpoints are reachable: it is not an open proxy.
 */
export function attachWebSocketProxy(server: Server, world: World): () => void {
  const wss = new WebSocketServer({ noServer: true });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://emulator');
    const [host, port] = (url.searchParams.get('address') ?? '').split(':');
    const endpoint =
      url.pathname === '/v2' && host ? world.endpointAt(host, Number(port || 5432)) : undefined;
    if (!endpoint || !host) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const upstream = connect(Number(port || 5432), host);
      const pending: Buffer[] = [];
      let open = false;
      upstream.on('connect', () => {
        open = true;
        for (const chunk of pending.splice(0)) upstream.write(chunk);
      });
      ws.on('message', (data: Buffer) => (open ? upstream.write(data) : pending.push(data)));
      upstream.on('data', (chunk) => ws.send(chunk));
      const close = () => {
        upstream.destroy();
        ws.close();
      };
      ws.on('close', close);
      ws.on('error', close);
      upstream.on('close', close);
      upstream.on('error', close);
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const client of wss.clients) client.terminate();
    wss.close();
  };
}
