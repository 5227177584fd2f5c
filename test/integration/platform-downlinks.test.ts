import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { RunningPlatform } from '../../src/cli/start-command.js';
import { deviceSessionKey } from '../../src/device-api/internal-topics.js';
import { type Connected, connectClient } from '../helpers/mqtt-client.js';
import { callerFor } from '../helpers/platform.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { WAIT_MS } from '../helpers/wait.js';

/**
 * The Platform API calls that reach a device (spec §3.3, §3.6, §6.4; ping/reboot/
 * reconfigure), end to end: `devgate start` in-process, a bearer token from /oauth2/token, and a
 * real `mqtt` device subscribed to `downlink/#`, at MQTT 3.1.1 and 5.
 */

interface Bench {
  readonly running: RunningPlatform;
  readonly device: Connected;
  readonly deviceId: number;
  readonly ids: { power: number; mode: number; serial: number };
  /** A Platform API call with the admin's bearer token. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

async function bearer(httpUrl: string, running: RunningPlatform): Promise<string> {
  const { clientId, clientSecret } = running.admin.credentials;
  const response = await fetch(`${httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function openBench(t: TestContext, protocolVersion: 4 | 5): Promise<Bench> {
  const server = await startPlatformServer(t, join(await tempDataDir(t), 'data'));
  const caller = callerFor(server.admin.root.id);
  const template = await server.platform.templates.create(caller, {
    name: 'Heater',
    datastreams: [
      { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 100, isSync: true, isRaw: true },
      { name: 'Set Mode', pin: 2, type: 'String', isSync: false, isRaw: false },
    ],
    metaFields: [{ name: 'Serial', type: 'Text' }],
  });
  const { device, token } = await server.platform.devices.create(caller, {
    templateId: template.id,
    name: 'Heater 1',
  });
  const port = server.server.addresses.mqtt;
  assert.ok(port !== undefined);
  const connected = await connectClient(t, port, { username: 'device', password: token, protocolVersion });
  await connected.client.subscribeAsync('downlink/#', { qos: 1 });
  const token2 = await bearer(server.httpUrl, server);
  const byName = (name: string) => template.datastreams.find((d) => d.name === name)?.id ?? 0;
  return {
    running: server,
    device: connected,
    deviceId: device.id,
    ids: {
      power: byName('Power'),
      mode: byName('Set Mode'),
      serial: template.metaFields.find((f) => f.name === 'Serial')?.id ?? 0,
    },
    async api(method, path, body) {
      const response = await fetch(`${server.httpUrl}/api/v1/organization/device${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token2}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
    },
  };
}

/** The broker has no event for "session gone"; checks it in short steps, bounded. */
async function untilDisconnected(running: RunningPlatform, deviceId: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (running.server.broker.isConnected(deviceSessionKey(deviceId))) {
    if (Date.now() > deadline) throw new Error(`device ${deviceId} still connected`);
    await delay(5);
  }
}

for (const protocolVersion of [4, 5] as const) {
  describe(`Platform API downlinks over MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}`, () => {
    test('spec §3.6 POST device/datastream(s) reach the device as downlink/ds/NAME, clamped', async (t) => {
      const b = await openBench(t, protocolVersion);
      const one = await b.api('POST', '/datastream', {
        deviceId: b.deviceId,
        dataStreamId: b.ids.power,
        value: 42,
      });
      assert.equal(one.status, 204, JSON.stringify(one.json));
      const first = await b.device.inbox.next();
      assert.equal(first.topic, 'downlink/ds/Power');
      assert.equal(first.payload.toString(), '42');
      assert.equal(first.packet.retain, false);
      // spec §3.5: out of range is clamped before storage and before fan-out.
      const many = await b.api('POST', '/datastreams', {
        deviceId: b.deviceId,
        values: { [b.ids.power]: 150, [b.ids.mode]: 'eco night' },
      });
      assert.equal(many.status, 204, JSON.stringify(many.json));
      const got = await b.device.inbox.take(2);
      assert.deepEqual(got.map((m) => `${m.topic}=${m.payload}`).sort(), [
        'downlink/ds/Power=100',
        'downlink/ds/Set Mode=eco night',
      ]);
      const bad = await b.api('POST', '/datastream', {
        deviceId: b.deviceId,
        dataStreamId: b.ids.power,
        value: 1.5,
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json, {
        error: { message: 'Value 1.5 does not match type Integer for datastream "Power"' },
      });
      const current = await b.running.platform.devices.currentValues(b.deviceId);
      assert.equal(current.find((v) => v.dataStreamId === b.ids.power)?.value, 100);
      await b.device.inbox.expectNone();
    });

    test('spec §3.3 POST device/metafield pushes downlink/meta/NAME; reboot and reconfigure', async (t) => {
      const b = await openBench(t, protocolVersion);
      const meta = await b.api('POST', '/metafield', {
        deviceId: b.deviceId,
        metaFieldId: b.ids.serial,
        newValue: 'SN-77',
      });
      assert.equal(meta.status, 204, JSON.stringify(meta.json));
      const pushed = await b.device.inbox.next();
      assert.equal(pushed.topic, 'downlink/meta/Serial');
      assert.equal(pushed.payload.toString(), 'SN-77');
      for (const command of ['reboot', 'reconfigure']) {
        const response = await b.api('POST', `/${command}?deviceId=${b.deviceId}`);
        assert.equal(response.status, 204, JSON.stringify(response.json));
        const message = await b.device.inbox.next();
        assert.equal(message.topic, `downlink/${command}`);
        assert.equal(message.payload.length, 0);
      }
      // Properties and imports are stored only: nothing reaches the device.
      const property = await b.api('POST', '/datastream/property', {
        deviceId: b.deviceId,
        dataStreamId: b.ids.power,
        property: 'label',
        value: 'Heat',
      });
      assert.equal(property.status, 204);
      const imported = await b.api('POST', '/import/batch', {
        deviceId: b.deviceId,
        dataStreamId: b.ids.power,
        values: [{ value: 5, ts: Date.now() - 60_000 }],
      });
      assert.equal(imported.status, 204, JSON.stringify(imported.json));
      await b.device.inbox.expectNone();
    });

    test('spec §3.3 POST device/ping: downlink/ping at QoS 1, the PUBACK round trip is recorded', async (t) => {
      const b = await openBench(t, protocolVersion);
      const ping = await b.api('POST', `/ping?deviceId=${b.deviceId}`);
      assert.equal(ping.status, 200, JSON.stringify(ping.json));
      const answer = ping.json as { connected: boolean; rttMs: number | null };
      assert.equal(answer.connected, true);
      assert.ok(typeof answer.rttMs === 'number' && answer.rttMs >= 0, JSON.stringify(answer));
      const message = await b.device.inbox.next();
      assert.equal(message.topic, 'downlink/ping');
      assert.equal(message.packet.qos, 1);
      assert.equal(message.payload.length, 0);
      const online = await b.api('GET', `/online?deviceId=${b.deviceId}`);
      assert.deepEqual(online.json, { connected: true, lastPingRttMs: answer.rttMs });
      await b.device.client.endAsync();
      await untilDisconnected(b.running, b.deviceId);
      const offline = await b.api('POST', `/ping?deviceId=${b.deviceId}`);
      assert.deepEqual(offline.json, { connected: false, rttMs: null });
    });
  });
}
