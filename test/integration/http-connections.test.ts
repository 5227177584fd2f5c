import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import type { HttpRequestHandler } from '../../src/mqtt/transport/http-server.js';
import { ensureSelfSignedCert } from '../../src/mqtt/transport/self-signed.js';
import { TlsCredentials } from '../../src/mqtt/transport/tls-credentials.js';
import { listenWebSocket } from '../../src/mqtt/transport/websocket.js';
import { silentLogger } from '../../src/observability/logger.js';
import { openWs, tempDir } from '../helpers/transport-clients.js';
import { quietPeriod, stopwatch, WAIT_MS, within } from '../helpers/wait.js';

/**
 * HTTP listener connection cap and reaping (decision 0009): `limits.maxHttpConnections` per
 * listener, WebSocket MQTT included; idle connections reaped within the header timeout plus the
 * checking interval, not in one batch every 30 s.
 */

async function listener(
  t: TestContext,
  maxConnections: number,
  timeoutMs = 10_000,
  checkMs = 1000,
  credentials?: TlsCredentials,
  httpHandler?: HttpRequestHandler,
) {
  const accepted: unknown[] = [];
  const l = await listenWebSocket({
    ...(credentials === undefined ? {} : { credentials }),
    ...(httpHandler === undefined ? {} : { httpHandler }),
    host: '127.0.0.1',
    port: 0,
    onConnection: (stream) => void accepted.push(stream),
    logger: silentLogger(),
    maxPayload: 1024,
    timeoutMs,
    maxConnections,
    connectionsCheckingIntervalMs: checkMs,
  });
  t.after(() => l.close());
  return { port: l.port, accepted };
}

function open(t: TestContext, port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  return within(
    new Promise<Socket>((resolve) => socket.once('connect', () => resolve(socket))),
    WAIT_MS,
    'TCP connect',
  );
}

/**
 * Resolves when the server has closed `socket`. Reads what is left first: a socket nobody reads
 * never sees the end of its stream, so a server that answers before closing (node's 408 for a
 * request that timed out, which may come before the idle timer) would look as if it never closed.
 */
function closed(socket: Socket, ms = WAIT_MS): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  socket.resume();
  return within(new Promise<void>((resolve) => socket.once('close', () => resolve())), ms, 'socket close');
}

/** One keep-alive request on an open socket; resolves with the status line. */
function get(socket: Socket): Promise<string> {
  return within(
    new Promise<string>((resolve) => {
      socket.once('data', (data: Buffer) => resolve(data.toString().split('\r\n', 1)[0] ?? ''));
      socket.write('GET /x HTTP/1.1\r\nHost: test\r\n\r\n');
    }),
    WAIT_MS,
    'HTTP answer',
  );
}

test('HTTP connection cap: the connection past maxHttpConnections is closed at once; earlier ones keep working', async (t) => {
  const { port } = await listener(t, 2);
  const first = await open(t, port);
  const second = await open(t, port);
  assert.equal(await get(first), 'HTTP/1.1 404 Not Found');
  const third = await open(t, port);
  await closed(third);
  assert.equal(await get(second), 'HTTP/1.1 404 Not Found');
  assert.equal(await get(first), 'HTTP/1.1 404 Not Found');
  // A slot freed is a slot again (once the server has seen the close: retried on refusal).
  first.destroy();
  assert.equal(await answerOnFreeSlot(t, port), 'HTTP/1.1 404 Not Found');
});

/** Opens connections until one is answered rather than closed by the cap (bounded). */
async function answerOnFreeSlot(t: TestContext, port: number): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const socket = await open(t, port);
    const answer = await Promise.race([get(socket), closed(socket).then(() => undefined)]);
    if (answer !== undefined) return answer;
  }
  throw new Error('no slot was freed');
}

test('HTTP connection cap: WebSocket MQTT connections on the listener count too', async (t) => {
  const { port, accepted } = await listener(t, 2);
  await openWs(t, `ws://127.0.0.1:${port}/mqtt`, ['mqtt']);
  assert.equal(accepted.length, 1);
  const plain = await open(t, port);
  const over = await open(t, port);
  await closed(over);
  assert.equal(await get(plain), 'HTTP/1.1 404 Not Found');
});

/** Well under node's default checking interval (30 s), well over a loaded machine's delays. */
const REAPED_WITHIN_MS = 15_000;

test('HTTP reaping: connections that send nothing, or headers never finished, are closed within the header timeout plus one check interval', async (t) => {
  const timeoutMs = 300;
  const checkMs = 100;
  const { port } = await listener(t, 100, timeoutMs, checkMs);
  const elapsed = stopwatch();
  const silent = await Promise.all(Array.from({ length: 10 }, () => open(t, port)));
  const partial = await Promise.all(Array.from({ length: 10 }, () => open(t, port)));
  for (const socket of partial) socket.write('GET /x HTTP/1.1\r\nHost: test\r\n');
  // Without the idle timer a silent connection is held for ever, and node's default checking
  // interval (30 s) keeps a partial one up to 30 s: the bound tells those apart with room for a
  // loaded machine (a CI run once took more than 5 s to get the closes through).
  await Promise.all([...silent, ...partial].map((socket) => closed(socket, REAPED_WITHIN_MS)));
  const ms = elapsed();
  assert.ok(ms >= timeoutMs - 50 && ms < REAPED_WITHIN_MS, `reaped after ${ms} ms`);
  t.diagnostic(`reaped after ${ms} ms (timeout ${timeoutMs} ms, checked every ${checkMs} ms)`);
});

test('HTTP reaping: keep-alive requests are served, and an upgraded WebSocket outlives the idle timer', async (t) => {
  const { port } = await listener(t, 10, 300, 100);
  const socket = await open(t, port);
  for (let i = 0; i < 3; i++) assert.equal(await get(socket), 'HTTP/1.1 404 Not Found');
  const ws = await openWs(t, `ws://127.0.0.1:${port}/mqtt`, ['mqtt']);
  let wsClosed = false;
  ws.once('close', () => {
    wsClosed = true;
  });
  await quietPeriod(800);
  assert.equal(wsClosed, false);
});

test('HTTPS reaping: a connection that completes the TLS handshake and sends nothing is closed after the timeout', async (t) => {
  const files = await ensureSelfSignedCert(await tempDir(t));
  const credentials = await TlsCredentials.load(files, { logger: silentLogger() });
  t.after(() => credentials.close());
  const { port } = await listener(t, 10, 300, 100, credentials);
  const elapsed = stopwatch();
  const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  socket.on('error', () => undefined);
  socket.resume();
  t.after(() => socket.destroy());
  await within(
    new Promise<void>((resolve) => socket.once('secureConnect', () => resolve())),
    WAIT_MS,
    'TLS handshake',
  );
  await within(
    new Promise<void>((resolve) => socket.once('close', () => resolve())),
    REAPED_WITHIN_MS,
    'TLS socket close',
  );
  // Without the idle timer the connection would be held for ever.
  t.diagnostic(`closed after ${elapsed()} ms (timeout 300 ms)`);
});

test('HTTP reaping: a request whose answer takes longer than the idle timeout is not cut', async (t) => {
  const slow: HttpRequestHandler = (_request, response) => {
    setTimeout(() => response.end('late'), 700);
  };
  const { port } = await listener(t, 10, 300, 100, undefined, slow);
  const socket = await open(t, port);
  const status = await within(
    new Promise<string>((resolve, reject) => {
      socket.once('data', (data: Buffer) => resolve(data.toString().split('\r\n', 1)[0] ?? ''));
      socket.once('close', () => reject(new Error('closed before the answer')));
      socket.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
    }),
    WAIT_MS,
    'slow answer',
  );
  assert.equal(status, 'HTTP/1.1 200 OK');
});
