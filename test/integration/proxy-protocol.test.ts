import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { type TestContext, test } from 'node:test';
import { generate } from 'mqtt-packet';
import { defaultLimits } from '../../src/config/limits.js';
import type { ServerConfig } from '../../src/config/server-config.js';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { peerOf } from '../../src/mqtt/transport/peer.js';
import {
  closedByServer,
  connackOver,
  proxiedSocket,
  recordingAuth,
  startGluingRelay,
  tlsOver,
  webSocketOver,
} from '../helpers/proxied-client.js';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.js';
import { start } from '../helpers/transport-clients.js';
import { nextEvent, WAIT_MS, within } from '../helpers/wait.js';

/**
 * PROXY protocol v1/v2 on the listeners (decision 0027), over real sockets: the address the header
 * names is the client's address everywhere (here: what the authenticator and the throttle see).
 */

const ALL = ['mqtt', 'mqtts', 'http', 'https'] as const;

async function proxiedServer(t: TestContext, overrides: Partial<ServerConfig> = {}) {
  const auth = recordingAuth();
  const { server } = await start(
    t,
    { proxyProtocol: [...ALL], limits: { ...defaultLimits, proxyHeaderTimeoutMs: 200 }, ...overrides },
    { authenticator: auth.authenticator, authorizer: auth.authorizer },
  );
  return { server, seen: auth.seen };
}

for (const protocolVersion of [4, 5] as const) {
  test(`proxy-protocol.txt §2.1 v${protocolVersion}: a v1 TCP4 and TCP6 header on the MQTT TCP listener gives the client's address and port`, async (t) => {
    const { server, seen } = await proxiedServer(t);
    const port = server.addresses.mqtt!;
    assert.equal(
      await connackOver(await proxiedSocket(t, port, proxyV1('192.0.2.10', 51234)), { protocolVersion }),
      0,
    );
    const v6 = proxyV1('2001:db8::7', 4242, '::1');
    assert.equal(await connackOver(await proxiedSocket(t, port, v6), { protocolVersion }), 0);
    assert.deepEqual(
      seen.map((c) => [c.transport, c.remoteAddress, c.remotePort]),
      [
        ['tcp', '192.0.2.10', 51234],
        ['tcp', '2001:db8::7', 4242],
      ],
    );
  });
}

test('proxy-protocol.txt §2.2: a v2 header and CONNECT in one segment; a v2 IPv6 header split into one-byte segments', async (t) => {
  const { server, seen } = await proxiedServer(t);
  const port = server.addresses.mqtt!;
  const connect = generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'one-segment',
    clean: true,
    keepalive: 30,
  });
  const socket = await proxiedSocket(t, port, Buffer.concat([proxyV2('203.0.113.9', 1000), connect]));
  const answer = await nextEvent<Buffer>(socket, 'data');
  assert.equal(answer[0], 0x20, 'CONNACK');
  socket.destroy();

  const split = tcpConnect({ host: '127.0.0.1', port });
  split.setNoDelay(true);
  t.after(() => split.destroy());
  await nextEvent(split, 'connect');
  for (const byte of proxyV2('2001:db8::1:2', 65535, '2001:db8::ffff', 1883, { crc: true })) {
    await new Promise<void>((resolve) => split.write(Buffer.from([byte]), () => resolve()));
  }
  assert.equal(await connackOver(split), 0);
  assert.deepEqual(
    seen.map((c) => [c.remoteAddress, c.remotePort]),
    [
      ['203.0.113.9', 1000],
      ['2001:db8::1:2', 65535],
    ],
  );
});

test("proxy-protocol.txt §2.1/§2.2: PROXY UNKNOWN and v2 LOCAL keep the socket's own address", async (t) => {
  const { server, seen } = await proxiedServer(t);
  const port = server.addresses.mqtt!;
  assert.equal(await connackOver(await proxiedSocket(t, port, Buffer.from('PROXY UNKNOWN\r\n'))), 0);
  const local = proxyV2('192.0.2.1', 1, undefined, undefined, { command: 'local' });
  assert.equal(await connackOver(await proxiedSocket(t, port, local, '127.0.0.5')), 0);
  assert.deepEqual(
    seen.map((c) => c.remoteAddress),
    ['127.0.0.1', '127.0.0.5'],
  );
});

test('PROXY header before the TLS handshake (mqtts) and before HTTP (ws, wss): the client address reaches the broker', async (t) => {
  const { server, seen } = await proxiedServer(t);
  const { mqtts, http, https } = server.addresses;
  const overTls = await tlsOver(t, await proxiedSocket(t, mqtts!, proxyV2('198.51.100.20', 2000)));
  assert.equal(await connackOver(overTls, { protocolVersion: 5 }), 0);
  const ws = await webSocketOver(t, await proxiedSocket(t, http!, proxyV1('198.51.100.21', 2001)), false);
  assert.equal(await connackOver(ws), 0);
  const wss = await webSocketOver(
    t,
    await tlsOver(t, await proxiedSocket(t, https[0]!, proxyV2('2001:db8::22', 2002))),
    true,
  );
  assert.equal(await connackOver(wss), 0);
  assert.deepEqual(
    seen.map((c) => [c.transport, c.remoteAddress, c.remotePort]),
    [
      ['tls', '198.51.100.20', 2000],
      ['ws', '198.51.100.21', 2001],
      ['wss', '2001:db8::22', 2002],
    ],
  );
});

test('PROXY header on the HTTP and HTTPS listeners: a plain HTTP request sees the proxied address (peerOf)', async (t) => {
  // The API is mounted as the HTTP handler: it reads the client through peerOf(request.socket).
  const { server: withHandler } = await start(
    t,
    { proxyProtocol: ['http', 'https'], mqttPort: null, mqttsPort: null },
    {
      httpHandler: (request, response) => {
        response.setHeader('connection', 'close');
        response.end(`${peerOf(request.socket).address}`);
      },
    },
  );
  const ask = async (port: number, header: Buffer, secure: boolean): Promise<string> => {
    const raw = await proxiedSocket(t, port, header);
    const stream = secure ? await tlsOver(t, raw) : raw;
    stream.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await within(nextEvent(stream, 'close'), WAIT_MS, 'HTTP answer');
    return text.slice(text.indexOf('\r\n\r\n') + 4);
  };
  assert.equal(await ask(withHandler.addresses.http!, proxyV1('192.0.2.30', 3000), false), '192.0.2.30');
  assert.equal(await ask(withHandler.addresses.https[0]!, proxyV2('192.0.2.31', 3001), true), '192.0.2.31');
});

test('a connection without a valid PROXY header is closed: MQTT straight away at once, silence after the bound, an oversized v2 header at once', async (t) => {
  const { server, seen } = await proxiedServer(t);
  const { mqtt, mqtts } = server.addresses;
  const connect = generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'no-header',
    clean: true,
    keepalive: 30,
  });
  const direct = await proxiedSocket(t, mqtt!, connect);
  let answered = false;
  direct.on('data', () => (answered = true));
  await closedByServer(direct);
  assert.equal(answered, false, 'no CONNACK without a header');

  const silent = await proxiedSocket(t, mqtts!, Buffer.alloc(0));
  const waited = performance.now();
  await closedByServer(silent, WAIT_MS);
  assert.ok(performance.now() - waited >= 150, 'closed by the header bound (200 ms), not before');

  const oversized = Buffer.from(proxyV2('192.0.2.1', 1));
  oversized.writeUInt16BE(600, 14);
  await closedByServer(await proxiedSocket(t, mqtt!, oversized.subarray(0, 16)));
  const partialV1 = await proxiedSocket(t, mqtt!, Buffer.from('PROXY TCP4 192.0.2.1 '));
  await closedByServer(partialV1);
  assert.equal(seen.length, 0, 'none reached the broker');
});

test('--proxy-protocol-from: only the trusted balancer may send a header; other sources are closed at once', async (t) => {
  const { server, seen } = await proxiedServer(t, { proxyProtocolFrom: ['127.0.0.2/32'] });
  const port = server.addresses.mqtt!;
  assert.equal(await connackOver(await proxiedSocket(t, port, proxyV1('192.0.2.40', 4000), '127.0.0.2')), 0);
  await closedByServer(await proxiedSocket(t, port, proxyV1('192.0.2.41', 4001), '127.0.0.3'));
  assert.deepEqual(
    seen.map((c) => c.remoteAddress),
    ['192.0.2.40'],
  );
});

test('--proxy-protocol-listeners: only the named listeners expect the header; the others are unchanged', async (t) => {
  const { server, seen } = await proxiedServer(t, { proxyProtocol: ['mqtts'] });
  const plain = tcpConnect({ host: '127.0.0.1', port: server.addresses.mqtt! });
  t.after(() => plain.destroy());
  await nextEvent(plain, 'connect');
  assert.equal(await connackOver(plain), 0);
  const overTls = await tlsOver(
    t,
    await proxiedSocket(t, server.addresses.mqtts!, proxyV1('192.0.2.50', 5000)),
  );
  assert.equal(await connackOver(overTls), 0);
  assert.deepEqual(
    seen.map((c) => c.remoteAddress),
    ['127.0.0.1', '192.0.2.50'],
  );
});

test("failed-login throttling (decision 0009) is keyed by the proxied address, not the balancer's", async (t) => {
  const { server } = await proxiedServer(t, {
    limits: {
      ...defaultLimits,
      proxyHeaderTimeoutMs: 2000,
      authFailureBurst: 2,
      authFailureRefillMs: 600_000,
    },
  });
  const port = server.addresses.mqtt!;
  const attempt = async (address: string, password: string) =>
    connackOver(await proxiedSocket(t, port, proxyV1(address, 6000)), {
      protocolVersion: 5,
      username: 'u',
      password,
    });
  assert.equal(await attempt('198.51.100.66', 'wrong'), ReasonCode.BadUserNameOrPassword);
  assert.equal(await attempt('198.51.100.66', 'wrong'), ReasonCode.BadUserNameOrPassword);
  assert.equal(await attempt('198.51.100.66', 'right'), ReasonCode.ConnectionRateExceeded);
  // Same balancer socket address (127.0.0.1), another client behind it: not slowed.
  assert.equal(await attempt('198.51.100.67', 'right'), 0);
});

test('socket workers (decision 0006): the worker reads the header and the broker gets the proxied address (TCP and TLS)', async (t) => {
  const { server, seen } = await proxiedServer(t, { socketWorkers: 1, httpPort: null, httpsPorts: [] });
  assert.ok(server.socketWorkers !== undefined);
  const { mqtt, mqtts } = server.addresses;
  assert.equal(await connackOver(await proxiedSocket(t, mqtt!, proxyV2('192.0.2.70', 7000))), 0);
  const overTls = await tlsOver(t, await proxiedSocket(t, mqtts!, proxyV1('2001:db8::71', 7001, '::1')));
  assert.equal(await connackOver(overTls), 0);
  await closedByServer(await proxiedSocket(t, mqtt!, Buffer.from([0x10, 0x00])));
  assert.deepEqual(
    seen.map((c) => [c.transport, c.remoteAddress, c.remotePort]),
    [
      ['tcp', '192.0.2.70', 7000],
      ['tls', '2001:db8::71', 7001],
    ],
  );
});

test('a client that resets mid-header harms nothing; closing the server ends sockets still sending their header', async (t) => {
  const { server, seen } = await proxiedServer(t, {
    limits: { ...defaultLimits, proxyHeaderTimeoutMs: 60_000 },
  });
  const { mqtt, mqtts, http } = server.addresses;
  const reset = await proxiedSocket(t, mqtt!, Buffer.from('PROXY TCP4 19'));
  reset.resetAndDestroy();
  await nextEvent(reset, 'close');
  const v1Without = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}`);
  await closedByServer(await proxiedSocket(t, mqtt!, v1Without), WAIT_MS);
  assert.equal(await connackOver(await proxiedSocket(t, mqtt!, proxyV1('192.0.2.80', 8000))), 0);
  const pending = await Promise.all(
    [mqtt!, mqtts!, http!].map((port) => proxiedSocket(t, port, Buffer.from('PROXY '))),
  );
  const closing = server.close();
  await Promise.all(pending.map((socket) => closedByServer(socket)));
  await within(closing, WAIT_MS, 'server close');
  assert.deepEqual(
    seen.map((c) => c.remoteAddress),
    ['192.0.2.80'],
  );
});

test('the TLS ClientHello or the HTTP upgrade in the same segment as the header (mqtts, ws, wss)', async (t) => {
  const { server, seen } = await proxiedServer(t);
  const { mqtts, http, https } = server.addresses;
  const tlsRelay = await startGluingRelay(t, mqtts!, proxyV2('192.0.2.91', 9001));
  const wsRelay = await startGluingRelay(t, http!, proxyV1('192.0.2.92', 9002));
  const wssRelay = await startGluingRelay(t, https[0]!, proxyV1('192.0.2.93', 9003));
  const direct = async (port: number) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    t.after(() => socket.destroy());
    await nextEvent(socket, 'connect');
    return socket;
  };
  assert.equal(await connackOver(await tlsOver(t, await direct(tlsRelay))), 0);
  assert.equal(await connackOver(await webSocketOver(t, await direct(wsRelay), false)), 0);
  assert.equal(await connackOver(await webSocketOver(t, await tlsOver(t, await direct(wssRelay)), true)), 0);
  assert.deepEqual(
    seen.map((c) => [c.transport, c.remoteAddress]),
    [
      ['tls', '192.0.2.91'],
      ['ws', '192.0.2.92'],
      ['wss', '192.0.2.93'],
    ],
  );
});
