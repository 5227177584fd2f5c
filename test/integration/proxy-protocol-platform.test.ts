import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedDeviceHttpWorld } from '../helpers/device-http.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { connackOver, proxiedSocket } from '../helpers/proxied-client.js';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.js';
import { nextEvent, WAIT_MS, within } from '../helpers/wait.js';

/** Polls server-side state the test cannot await as an event, bounded. */
async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('decision 0027 on devgate start: a device behind a PROXY v2 balancer is recorded with its own address (device ip, as `manage device` shows it)', async (t) => {
  const running = await startPlatformServer(t, await tempDataDir(t, 'devgate-proxy-'), [
    '--proxy-protocol-listeners',
    'mqtt',
    '--proxy-protocol-from',
    '127.0.0.0/8',
  ]);
  const world = await seedDeviceHttpWorld(running.platform, running.admin.root.id);
  const port = running.server.addresses.mqtt!;
  const socket = await proxiedSocket(t, port, proxyV2('2001:db8:1::42', 40000, '2001:db8::1', 1883));
  assert.equal(
    await connackOver(socket, { username: 'device', password: world.token, protocolVersion: 5 }),
    0,
  );
  const device = await eventually(
    'the device ip',
    () => running.platform.devices.byId(world.device.id),
    (found) => found?.ip !== undefined,
  );
  assert.equal(device?.ip, '2001:db8:1::42');
});

test('decision 0027 + 0009: the HTTP API behind a PROXY balancer throttles failed logins by the proxied address (header and request in one segment)', async (t) => {
  const running = await startPlatformServer(t, await tempDataDir(t, 'devgate-proxy-http-'), [
    '--proxy-protocol-listeners',
    'http',
    '--auth-failure-burst',
    '2',
    '--auth-failure-refill-ms',
    '600000',
  ]);
  const world = await seedDeviceHttpWorld(running.platform, running.admin.root.id);
  const port = running.server.addresses.http!;
  /** The status of one GET sent right behind a v1 header naming `client`. */
  const statusFrom = async (client: string, path: string): Promise<number> => {
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: devgate\r\nConnection: close\r\n\r\n`);
    const socket = await proxiedSocket(t, port, Buffer.concat([proxyV1(client, 40000), request]));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await within(nextEvent(socket, 'close'), WAIT_MS, 'HTTP answer');
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  };
  const wrong = `/external/api/get?token=${'z'.repeat(32)}&v4`;
  const right = `/external/api/get?token=${world.token}&v4`;
  assert.equal(await statusFrom('198.51.100.1', wrong), 400);
  assert.equal(await statusFrom('198.51.100.1', wrong), 400);
  assert.equal(await statusFrom('198.51.100.1', right), 429, 'the guesser is throttled');
  assert.equal(
    await statusFrom('198.51.100.2', right),
    200,
    'another client behind the same balancer is not',
  );
});
