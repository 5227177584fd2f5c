import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeInfoTag } from '../../src/ota/info-tag.js';
import type { Shipment } from '../../src/ota/model.js';
import { type Connected, connectClient } from '../helpers/mqtt-client.js';
import { firmwareImage } from '../helpers/ota-world.js';
import { callerFor } from '../helpers/platform.js';
import { startPlatformServer, tempDataDir } from '../helpers/platform-server.js';
import { WAIT_MS } from '../helpers/wait.js';

const BUILD = 'Mar 05 2024 18:29:27';

/** The whole platform, an admin bearer token, a template and two devices with their tokens. */
async function platformWorld(t: TestContext) {
  const running = await startPlatformServer(t, await tempDataDir(t));
  const { clientId, clientSecret } = running.admin.credentials;
  const tokenResponse = await fetch(`${running.httpUrl}/oauth2/token?grant_type=client_credentials`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
  });
  assert.equal(tokenResponse.status, 200);
  const bearer = {
    authorization: `Bearer ${((await tokenResponse.json()) as { access_token: string }).access_token}`,
  };
  const admin = callerFor(running.admin.root.id);
  const template = await running.platform.templates.create(admin, { name: 'Thermostat' });
  const make = (name: string) => running.platform.devices.create(admin, { templateId: template.id, name });
  return { running, bearer, template, online: await make('online'), offline: await make('offline') };
}

type World = Awaited<ReturnType<typeof platformWorld>>;

async function api<T>(world: World, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${world.running.httpUrl}${path}`, {
    ...init,
    headers: { ...world.bearer, ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await response.text();
  assert.ok(response.ok, `${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** A device session: connects with its token and reports `info/mcu` (QoS 1, acknowledged). */
async function deviceSession(
  t: TestContext,
  world: World,
  token: string,
  protocolVersion: 4 | 5,
  ver: string,
): Promise<Connected> {
  const port = world.running.server.addresses.mqtt ?? 0;
  const session = await connectClient(t, port, { username: 'device', password: token, protocolVersion });
  const info = {
    tmpl: world.template.templateId,
    ver,
    build: BUILD,
    type: world.template.templateId,
    rxbuff: 1024,
  };
  await session.client.publishAsync('info/mcu', JSON.stringify(info), { qos: 1 });
  return session;
}

/** Polls the shipment until `deviceId` has `status` (the HTTP API has no event to await). */
async function statusReached(
  world: World,
  shipmentId: number,
  deviceId: number,
  status: string,
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let last: string | undefined;
  while (Date.now() < deadline) {
    const shipment = await api<Shipment>(world, `/api/v1/organization/ota/shipment?id=${shipmentId}`);
    last = shipment.devices.find((d) => d.deviceId === deviceId)?.status;
    if (last === status) return;
    await sleep(20);
  }
  assert.fail(`device ${deviceId} did not reach '${status}' (last: '${last}')`);
}

interface OtaOffer {
  url: string;
  size: number;
  type?: string;
  ver?: string;
  build?: string;
}

for (const protocolVersion of [4, 5] as const) {
  describe(`spec §3.4 Blynk.Air end to end (MQTT protocol ${protocolVersion})`, () => {
    test('online device: downlink/ota/json without subscribing, download with headers, success after reconnect; offline device: offered after its next info/mcu', async (t) => {
      const world = await platformWorld(t);
      const tag = { mcu: '2.0.0', 'fw-type': world.template.templateId, build: BUILD, blynk: '1.3.2' };
      const image = Buffer.concat([
        firmwareImage(undefined, 20_000),
        encodeInfoTag(tag),
        firmwareImage(undefined, 82),
      ]);
      const firmware = await api<{ id: number }>(world, '/api/v1/organization/ota/firmware?name=thermo', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: image,
      });

      // Online, never subscribed.
      const online = await deviceSession(t, world, world.online.token, protocolVersion, '1.0.0');
      const shipment = await api<Shipment>(world, '/api/v1/organization/ota/shipment', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          firmwareId: firmware.id,
          deviceIds: [world.online.device.id, world.offline.device.id],
        }),
      });
      assert.deepEqual(
        shipment.devices.map((d) => d.status),
        ['request sent', 'process started'],
      );
      const message = await online.inbox.next();
      assert.equal(message.topic, 'downlink/ota/json');
      assert.equal(message.packet.qos, 0, 'spec §3.1: unsolicited downlinks are QoS 0');
      const offer = JSON.parse(message.payload.toString()) as OtaOffer;
      assert.deepEqual(
        { size: offer.size, type: offer.type, ver: offer.ver, build: offer.build },
        { size: image.length, type: world.template.templateId, ver: '2.0.0', build: BUILD },
      );
      assert.ok(offer.url.startsWith(`${world.running.httpUrl}/static/`), offer.url);

      // The device downloads the package as Edgent does: plain GET, checks the digest.
      const download = await fetch(offer.url);
      assert.equal(download.status, 200);
      const body = Buffer.from(await download.arrayBuffer());
      assert.equal(body.length, offer.size);
      const sha256 = createHash('sha256').update(body).digest('base64');
      assert.equal(download.headers.get('x-sha256'), sha256);
      assert.equal(sha256, createHash('sha256').update(image).digest('base64'));
      assert.equal(download.headers.get('x-md5'), createHash('md5').update(image).digest('hex'));
      assert.equal(download.headers.get('x-fw-type'), world.template.templateId);
      assert.equal(download.headers.get('x-fw-ver'), '2.0.0');
      assert.equal(download.headers.get('x-fw-build'), BUILD);
      await statusReached(world, shipment.id, world.online.device.id, 'firmware downloaded');

      // Installs, reboots, reconnects and reports the new version.
      await online.client.endAsync();
      await deviceSession(t, world, world.online.token, protocolVersion, '2.0.0');
      await statusReached(world, shipment.id, world.online.device.id, 'success');

      // The offline device connects later: its info/mcu brings the offer.
      const late = await deviceSession(t, world, world.offline.token, protocolVersion, '1.0.0');
      const lateMessage = await late.inbox.next();
      assert.equal(lateMessage.topic, 'downlink/ota/json');
      assert.equal((JSON.parse(lateMessage.payload.toString()) as OtaOffer).ver, '2.0.0');
      await statusReached(world, shipment.id, world.offline.device.id, 'request sent');
    });
  });
}
