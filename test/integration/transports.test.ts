import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generate, type IConnackPacket, type IPublishPacket } from 'mqtt-packet';
import type { WebSocket } from 'ws';
import { allowAll, type ConnectionInfo } from '../../src/broker/auth.js';
import { createServer } from '../../src/server.js';
import { startServer } from '../helpers/start-server.js';
import {
  allListeners,
  client,
  openWs,
  peerFingerprint,
  reloadableCert,
  start,
  tlsSocket,
  urls,
  wsPackets,
} from '../helpers/transport-clients.js';
import { nextEvent, WAIT_MS, within } from '../helpers/wait.js';

const TRANSPORTS = ['tcp', 'tls', 'ws', 'wss'] as const;

function closeCode(ws: WebSocket): Promise<number> {
  return within(
    once(ws, 'close').then(([code]) => code as number),
    WAIT_MS,
    'websocket close',
  );
}

describe('transports', () => {
  test('publish/subscribe round trip over tcp, tls, ws and wss with MQTT 3.1.1 and 5.0', async (t) => {
    const seen: ConnectionInfo[] = [];
    const authenticator = {
      authenticate: (request: Parameters<typeof allowAll.authenticate>[0]) => {
        seen.push(request.connection);
        return allowAll.authenticate(request);
      },
    };
    const { server } = await start(t, {}, { authenticator, authorizer: allowAll });
    for (const transport of TRANSPORTS) {
      for (const protocolVersion of [4, 5] as const) {
        const url = urls(server)[transport];
        const subscriber = await client(t, url, { protocolVersion });
        const publisher = await client(t, url, { protocolVersion });
        const topic = `rt/${transport}/${protocolVersion}`;
        await subscriber.subscribeAsync(topic, { qos: 1 });
        const received = new Promise<[string, Buffer]>((resolve) =>
          subscriber.once('message', (topic, payload) => resolve([topic, payload])),
        );
        await publisher.publishAsync(topic, `hello ${transport}`, { qos: 1 });
        const [gotTopic, payload] = await within(received, WAIT_MS, `message over ${transport}`);
        assert.equal(gotTopic, topic);
        assert.equal(String(payload), `hello ${transport}`);
      }
    }
    // The transport tells the engine where each connection came from.
    assert.deepEqual([...new Set(seen.map((info) => info.transport))], [...TRANSPORTS]);
    assert.ok(
      seen.every((info) => info.remoteAddress === '127.0.0.1' && typeof info.remotePort === 'number'),
    );
  });

  test('listeners.json holds the bound ports and is removed on close; close() is idempotent', async (t) => {
    const { server, dataDir } = await start(t);
    const file = join(dataDir, 'listeners.json');
    const { mqtt, mqtts, http, https } = server.addresses;
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { mqtt, mqtts, http, https });
    for (const port of [mqtt, mqtts, http, ...https]) assert.ok(typeof port === 'number' && port > 0);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await assert.rejects(stat(file), { code: 'ENOENT' });
  });

  test('listeners.json leaves disabled listeners out', async (t) => {
    const { server, dataDir } = await startServer(t);
    assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'listeners.json'), 'utf8')), {
      mqtt: server.addresses.mqtt,
    });
    assert.equal(server.tlsCertPath, undefined);
  });

  test('close() ends open connections on every transport', async (t) => {
    const { server } = await start(t);
    const clients = await Promise.all(TRANSPORTS.map((name) => client(t, urls(server)[name])));
    const closed = clients.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve())));
    await server.close();
    await within(Promise.all(closed), WAIT_MS, 'every client to be closed');
  });
});

describe('MQTT over WebSocket', () => {
  test('[MQTT-6.0.0-2] a packet split across frames and two packets in one frame', async (t) => {
    const { server } = await start(t);
    const ws = await openWs(t, urls(server).ws, ['mqtt']);
    const next = wsPackets(ws);
    const connect = generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'split',
      keepalive: 0,
    });
    ws.send(connect.subarray(0, 7));
    ws.send(connect.subarray(7));
    const connack = (await next()) as IConnackPacket;
    assert.equal(connack.cmd, 'connack');
    assert.equal(connack.returnCode, 0);
    const subscribe = generate({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'raw/ws', qos: 0 }],
    });
    const publish = generate({
      cmd: 'publish',
      topic: 'raw/ws',
      payload: Buffer.from('packed'),
      qos: 0,
      retain: false,
      dup: false,
    });
    ws.send(Buffer.concat([subscribe, publish]));
    assert.equal((await next()).cmd, 'suback');
    const message = (await next()) as IPublishPacket;
    assert.equal(message.cmd, 'publish');
    assert.equal(message.topic, 'raw/ws');
    assert.equal(String(message.payload), 'packed');
  });

  test('[MQTT-6.0.0-1] a text frame closes the connection', async (t) => {
    const { server } = await start(t);
    const ws = await openWs(t, urls(server).ws, ['mqtt']);
    const code = closeCode(ws);
    ws.send('not binary');
    assert.equal(await code, 1003);
  });

  test('[MQTT-6.0.0-4] sub-protocol: the first offered one we speak is selected', async (t) => {
    const { server } = await start(t);
    const url = urls(server).ws;
    assert.equal((await openWs(t, url, ['mqtt'])).protocol, 'mqtt');
    assert.equal((await openWs(t, url, ['mqttv3.1'])).protocol, 'mqttv3.1');
    assert.equal((await openWs(t, url, ['chat', 'mqttv3', 'mqtt'])).protocol, 'mqttv3');
    assert.equal((await openWs(t, urls(server).wss, ['mqtt'])).protocol, 'mqtt');
    // No sub-protocol offered: accepted without one (clients that send no header still work).
    assert.equal((await openWs(t, url)).protocol, '');
    // Only unknown ones offered: accepted without selecting one, so a strict client gives up itself.
    await assert.rejects(openWs(t, url, ['chat']), /no subprotocol/);
  });

  test('upgrades on other paths get 404; plain HTTP requests get 404', async (t) => {
    const { server } = await start(t);
    const http = server.addresses.http!;
    await assert.rejects(openWs(t, `ws://127.0.0.1:${http}/other`, ['mqtt']), /HTTP 404/);
    await assert.rejects(openWs(t, `wss://127.0.0.1:${server.addresses.https[0]}/`, ['mqtt']), /HTTP 404/);
    assert.ok(await openWs(t, `ws://127.0.0.1:${http}/mqtt?token=x`, ['mqtt']));
    const status = await within(
      new Promise<number | undefined>((resolve, reject) => {
        httpGet(`http://127.0.0.1:${http}/mqtt`, (res) => {
          res.resume();
          resolve(res.statusCode);
        }).once('error', reject);
      }),
      WAIT_MS,
      'HTTP response',
    );
    assert.equal(status, 404);
  });

  test('a WebSocket message larger than the maximum packet size closes the connection (1009)', async (t) => {
    const { server } = await start(t, { limits: { ...allListeners('').limits, maxPacketSize: 1024 } });
    const ws = await openWs(t, urls(server).ws, ['mqtt']);
    const code = closeCode(ws);
    ws.send(Buffer.alloc(2048));
    assert.equal(await code, 1009);
  });
});

describe('TLS', () => {
  test('TLS 1.0/1.1 clients are refused; TLS 1.2 and 1.3 are accepted (mqtts and wss)', async (t) => {
    const { server } = await start(t);
    for (const port of [server.addresses.mqtts!, server.addresses.https[0]!]) {
      // SECLEVEL=0 so that our own client is willing to offer TLS 1.1 at all.
      const old = tlsSocket(port, {
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      const err = await nextEvent<NodeJS.ErrnoException>(old, 'error');
      assert.match(String(err.code), /ALERT_PROTOCOL_VERSION/);
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        const socket = tlsSocket(port, { minVersion: version, maxVersion: version });
        t.after(() => socket.destroy());
        await nextEvent(socket, 'secureConnect');
        assert.equal(socket.getProtocol(), version);
        socket.destroy();
      }
    }
  });

  test('without a configured certificate a self-signed one is made in <dataDir>/tls and reused', async (t) => {
    const { server, dataDir } = await start(t);
    assert.equal(server.tlsCertPath, join(dataDir, 'tls', 'self-signed-cert.pem'));
    assert.equal(server.tlsSelfSigned, true);
    const cert = new X509Certificate(await readFile(server.tlsCertPath!));
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal((await stat(join(dataDir, 'tls', 'self-signed-key.pem'))).mode & 0o777, 0o600);
    assert.equal(await peerFingerprint(server.addresses.mqtts!), cert.fingerprint256);
    await server.close();
    const again = await createServer(allListeners(dataDir));
    t.after(() => again.close());
    assert.equal(await peerFingerprint(again.addresses.https[0]!), cert.fingerprint256);
  });

  test('a changed certificate is picked up by new connections without restart; a bad one is ignored', async (t) => {
    const cert = await reloadableCert(t);
    const { certPath, keyPath } = cert;
    const { server } = await start(t, { tlsCert: certPath, tlsKey: keyPath }, { tlsWatchIntervalMs: 20 });
    assert.equal(server.tlsSelfSigned, false);
    const ports = [server.addresses.mqtts!, server.addresses.https[0]!];
    for (const port of ports) assert.equal(await peerFingerprint(port), cert.first);

    const reloaded = nextEvent(server.tls!, 'reload', 5000);
    await cert.swap();
    await reloaded;
    for (const port of ports) assert.equal(await peerFingerprint(port), cert.second);
    // Still TLS 1.2+ only after the swap.
    const old = tlsSocket(ports[0]!, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await nextEvent(old, 'error');

    const rejected = nextEvent(server.tls!, 'reloadError', 5000);
    await writeFile(certPath, 'not a certificate');
    await rejected;
    for (const port of ports) assert.equal(await peerFingerprint(port), cert.second);
    const mqtts = await client(t, urls(server).tls);
    assert.ok(mqtts.connected);
  });
});
