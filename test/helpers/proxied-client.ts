import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import type { TestContext } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type IClientOptions, MqttClient } from 'mqtt';
import { createWebSocketStream, WebSocket } from 'ws';
import { type Authenticator, type Authorizer, allowAll, type ConnectionInfo } from '../../src/broker/auth.js';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { connackCode } from './from-address.js';
import { uniqueId } from './mqtt-client.js';
import { nextEvent, WAIT_MS, within } from './wait.js';

/** An authenticator that remembers the connection of every CONNECT; password `wrong` is refused. */
export function recordingAuth(): {
  authenticator: Authenticator;
  authorizer: Authorizer;
  seen: ConnectionInfo[];
} {
  const seen: ConnectionInfo[] = [];
  const authenticator: Authenticator = {
    authenticate(request) {
      seen.push(request.connection);
      if (request.password?.toString() === 'wrong')
        return { ok: false, reasonCode: ReasonCode.BadUserNameOrPassword };
      return { ok: true, identity: { clientId: request.clientId } };
    },
  };
  return { authenticator, authorizer: allowAll, seen };
}

/** A TCP socket to `port` (from `localAddress` when given) that has sent `header` and nothing else yet. */
export async function proxiedSocket(
  t: TestContext,
  port: number,
  header: Uint8Array,
  localAddress?: string,
): Promise<Socket> {
  const socket = tcpConnect({
    host: '127.0.0.1',
    port,
    ...(localAddress === undefined ? {} : { localAddress }),
  });
  socket.setNoDelay(true);
  t.after(() => socket.destroy());
  await nextEvent(socket, 'connect');
  await new Promise<void>((resolve, reject) =>
    socket.write(header, (err) => (err ? reject(err) : resolve())),
  );
  return socket;
}

/** A TLS session started on a socket that already sent its PROXY header. */
export async function tlsOver(t: TestContext, socket: Socket): Promise<TLSSocket> {
  const secure = tlsConnect({ socket, rejectUnauthorized: false });
  t.after(() => secure.destroy());
  await nextEvent(secure, 'secureConnect');
  return secure;
}

/**
 * A WebSocket to `/mqtt` over an already connected (and PROXY-headed) socket, as a byte stream;
 * `secure`: `socket` is the TLS session over it.
 */
export async function webSocketOver(t: TestContext, socket: Socket, secure: boolean) {
  const scheme = secure ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://127.0.0.1/mqtt`, ['mqtt'], { createConnection: () => socket });
  t.after(() => ws.terminate());
  await nextEvent(ws, 'open');
  return createWebSocketStream(ws);
}

/** The CONNACK code an `mqtt` client gets over `stream` (0 accepted); the client is ended after. */
export async function connackOver(
  stream: MqttClient['stream'],
  options: IClientOptions = {},
): Promise<number> {
  const client = new MqttClient(() => stream, {
    reconnectPeriod: 0,
    connectTimeout: WAIT_MS,
    clientId: uniqueId('proxied'),
    ...options,
  });
  client.on('error', () => undefined);
  try {
    return await connackCode(client);
  } finally {
    await within(client.endAsync(true), WAIT_MS, 'client end').catch(() => undefined);
  }
}

/** Resolves when the server closes `socket` (it sent nothing back first, or we ignore what it sent). */
export function closedByServer(socket: Socket, ms = WAIT_MS): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  socket.on('error', () => undefined);
  socket.resume();
  return within(
    new Promise<void>((resolve) => socket.once('close', () => resolve())),
    ms,
    'server to close the socket',
  );
}

/**
 * A relay that, like a balancer that waits for the client's first bytes, sends the PROXY `header`
 * and those bytes to `port` in one write (one TCP segment on loopback), then relays both ways: the
 * server finds the TLS ClientHello or HTTP request in the same read as the header.
 */
export async function startGluingRelay(t: TestContext, port: number, header: Buffer): Promise<number> {
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.once('data', (first: Buffer) => {
      client.pause();
      const upstream = tcpConnect({ host: '127.0.0.1', port, noDelay: true });
      sockets.add(upstream);
      upstream.on('error', () => undefined);
      upstream.write(Buffer.concat([header, first]));
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
      client.resume();
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => relay.close(() => resolve()));
  });
  return (relay.address() as { port: number }).port;
}
