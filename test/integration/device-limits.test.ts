import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { IPubackPacket } from 'mqtt-packet';
import { ReasonCode } from '../../src/mqtt/codec/reason-codes.js';
import { seedDeviceHttpWorld } from '../helpers/device-http.js';
import { connectClient, nextPacketOf } from '../helpers/mqtt-client.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { parseExposition, sampleValue } from '../helpers/prometheus.js';

/**
 * spec §7.1 / §8 #16 limits shared by every way a device sends data, and the device API counters
 * on `/metrics`, on a running `devgate start` (in-process, ports 0) over real MQTT and HTTP.
 */

async function start(t: TestContext, extra: readonly string[]) {
  const running = await startPlatformServer(t, await tempDataDir(t, 'devgate-limits-'), extra);
  const seeded = await seedDeviceHttpWorld(running.platform, running.admin.root.id);
  const mqtt = await connectClient(t, running.server.addresses.mqtt ?? 0, {
    username: 'device',
    password: seeded.token,
    protocolVersion: 5,
  });
  const puback = async (topic: string, payload: string): Promise<number> => {
    const packet = await nextPacketOf<IPubackPacket>(mqtt.client, 'puback', () => {
      mqtt.client.publish(topic, payload, { qos: 1 }, () => undefined);
    });
    return packet.reasonCode ?? 0;
  };
  const http = (path: string, init?: RequestInit) => fetch(`${running.httpUrl}${path}`, init);
  return { ...seeded, running, mqtt, puback, http };
}

test('spec §8 #16 one rate per device: MQTT uplinks and Device HTTPS API writes share it (429)', async (t) => {
  // 1 message a second, burst 3: the refill during the test is well under one message.
  const s = await start(t, ['--device-rate-limit', '1', '--device-rate-burst', '3']);
  assert.equal(await s.puback('ds/Power', '1'), ReasonCode.Success);
  assert.equal(await s.puback('ds/Power', '2'), ReasonCode.Success);
  assert.equal((await s.http(`/external/api/update?token=${s.token}&v4=3`)).status, 200);
  const over = await s.http(`/external/api/update?token=${s.token}&v4=4`);
  assert.equal(over.status, 429);
  assert.deepEqual(await over.json(), {
    error: { message: 'Too many requests for this device: at most 1 messages per second.' },
  });
  assert.equal(await s.puback('ds/Power', '5'), ReasonCode.QuotaExceeded, 'MQTT is over it too');
  assert.equal((await s.http(`/external/api/get?token=${s.token}&v4`)).status, 200, 'reads are not limited');
});

test('spec §7.1 imported points per device per day: MQTT, Device HTTPS API and Platform API share them', async (t) => {
  const s = await start(t, ['--import-points-per-day', '4']);
  const now = Date.now();
  const points = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => [now - i * 1000, i]));
  assert.equal(await s.puback('ds/Power/timestamped_batch', points(2)), ReasonCode.Success);
  const post = await s.http(`/external/api/batch/update?token=${s.token}&pin=v4`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: points(1),
  });
  assert.equal(post.status, 200);
  const { clientId, clientSecret } = s.running.admin.credentials;
  const token = await s.http('/oauth2/token?grant_type=client_credentials', {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
  });
  const bearer = ((await token.json()) as { access_token: string }).access_token;
  const imported = await s.http('/api/v1/organization/device/import/batch', {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      deviceId: s.device.id,
      dataStreamId: s.ds.Power,
      values: [
        { value: 1, ts: now - 10_000 },
        { value: 2, ts: now - 11_000 },
      ],
    }),
  });
  assert.equal(imported.status, 429);
  assert.deepEqual(await imported.json(), {
    error: { message: `Too many points imported for device ${s.device.id} today: at most 4 per day.` },
  });
  assert.equal(await s.puback('ds/Power/timestamped_batch', points(3)), ReasonCode.Success, 'one of 3 fits');
  assert.equal(await s.puback('ds/Power/timestamped_batch', points(1)), ReasonCode.QuotaExceeded);
});

test('spec §9 /metrics exports the device API counters, with no token or name in them', async (t) => {
  const s = await start(t, ['--device-rate-limit', '1', '--device-rate-burst', '4', '--events-per-day', '1']);
  await s.mqtt.client.subscribeAsync('downlink/#', { qos: 1 });
  assert.equal(await s.puback('ds/Power', '1'), ReasonCode.Success);
  assert.equal(await s.puback('ds/Nope', '1'), ReasonCode.TopicNameInvalid);
  assert.equal(await s.puback('event/overheat', ''), ReasonCode.Success);
  assert.equal(await s.puback('event/overheat', ''), ReasonCode.QuotaExceeded);
  assert.equal(await s.puback('ds/Power', '1'), ReasonCode.QuotaExceeded, 'over the rate');
  const text = await (await s.http('/metrics')).text();
  const metrics = parseExposition(text);
  const value = (name: string, labels: Record<string, string> = {}) => sampleValue(metrics, name, labels);
  assert.equal(value('devgate_device_api_uplinks_total'), 5);
  assert.equal(value('devgate_device_api_uplinks_refused_total'), 2, 'unknown datastream, event limit');
  assert.equal(value('devgate_device_api_rate_limited_total'), 1);
  assert.equal(value('devgate_device_api_flood_disconnects_total'), 0);
  assert.equal(value('devgate_device_api_redirects_total'), 0);
  assert.equal(value('devgate_device_api_limit_refusals_total', { limit: 'events' }), 1);
  assert.equal(value('devgate_device_api_limit_refusals_total', { limit: 'updates' }), 0);
  assert.equal(value('devgate_device_api_import_points_dropped_total'), 0);
  // diag throttle (1 s): the first diag went out, the rest of this quick burst was held back.
  const sent = value('devgate_device_api_diags_total', { outcome: 'sent' }) ?? 0;
  const throttled = value('devgate_device_api_diags_total', { outcome: 'throttled' }) ?? 0;
  assert.equal(sent + throttled, 3);
  assert.ok(sent >= 1);
  assert.equal(metrics.types.get('devgate_device_api_uplinks_total'), 'counter');
  for (const secret of [s.token, s.otherToken, 'Power', 'Nope', 'overheat'])
    assert.ok(!text.includes(secret), `metrics text contains ${secret}`);
});
