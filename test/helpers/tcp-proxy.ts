import { createServer, connect as netConnect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

/**
 * A TCP relay in front of a server (a database) that a test can cut: `down()` drops every open
 * connection and refuses new ones at once (as a restarting server does), `up()` relays again.
 */
export interface TcpProxy {
  readonly port: number;
  down(): void;
  up(): void;
}

export async function startTcpProxy(
  t: TestContext,
  target: { host: string; port: number },
): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let available = true;
  const server = createServer((client) => {
    if (!available) {
      client.destroy();
      return;
    }
    const upstream = netConnect(target.port, target.host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => undefined); // the other side's close ends the pair below
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy did not bind a port');
  const dropAll = () => {
    for (const socket of open) socket.destroy();
  };
  t.after(async () => {
    dropAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: address.port,
    down() {
      available = false;
      dropAll();
    },
    up() {
      available = true;
    },
  };
}
