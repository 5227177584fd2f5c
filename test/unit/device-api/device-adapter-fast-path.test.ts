import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { describe, test } from 'node:test';
import type { AdapterLink, ClientAdapter, PublishDecision } from '../../../src/broker/client-adapter.js';
import type { BrokerMessage } from '../../../src/broker/message.js';
import { createDeviceAdapter } from '../../../src/device-api/device-adapter.js';
import { createDeviceApiRuntime } from '../../../src/device-api/runtime.js';
import { type DeviceApiRuntime, defaultDeviceApiOptions } from '../../../src/device-api/types.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Device, Template } from '../../../src/platform/model.js';
import type { Platform } from '../../../src/platform/platform.js';
import { createHarness } from '../../helpers/channel-harness.js';
import { callerFor, openTestPlatform } from '../../helpers/platform.js';

interface Fixture {
  readonly platform: Platform;
  readonly runtime: DeviceApiRuntime;
  readonly template: Template;
  readonly rootId: number;
  /** A device whose token was authenticated (it is in the authentication cache). */
  readonly device: Device;
  readonly token: string;
}

async function fixture(t: TestContext, regionUrl?: string, homeRegionUrl?: string): Promise<Fixture> {
  const harness = createHarness();
  t.after(() => harness.broker.close());
  const platform = await openTestPlatform(t, { clock: harness.clock });
  const root = await platform.orgs.createRoot({
    name: 'Root',
    ...(homeRegionUrl === undefined ? {} : { homeRegionUrl }),
  });
  const template = await platform.templates.create(callerFor(root.id), {
    name: 'T',
    datastreams: [
      { name: 'Power', pin: 1, type: 'Integer', min: 0, max: 1, isSync: false, isRaw: false },
      { name: 'Label', pin: 2, type: 'String', isSync: false, isRaw: false },
    ],
  });
  const runtime = createDeviceApiRuntime({
    platform,
    broker: harness.broker,
    clock: harness.clock,
    logger: silentLogger(),
    options: { ...defaultDeviceApiOptions, ...(regionUrl === undefined ? {} : { regionUrl }) },
  });
  t.after(() => runtime.close());
  const { device, token } = await platform.devices.create(callerFor(root.id), {
    templateId: template.id,
    name: 'd',
  });
  assert.ok(await platform.devices.authenticateToken(token));
  return { platform, runtime, template, rootId: root.id, device, token };
}

/** A connected adapter; `closed` records the codes it closed its connection with. */
async function connectAdapter(runtime: DeviceApiRuntime, device: Device) {
  const closed: ReasonCode[] = [];
  const adapter = createDeviceAdapter(runtime, device);
  const link: AdapterLink = {
    clientId: 'c',
    protocolVersion: 5,
    sessionKey: adapter.sessionKey ?? 'c',
    connection: { transport: 'tcp', remoteAddress: '127.0.0.1' },
    limitOutboundPacketSize: () => undefined,
    close: (code) => void closed.push(code),
  };
  adapter.onConnected?.(link);
  await new Promise<void>((resolve) => setImmediate(resolve)); // the region check settles
  return { adapter, closed };
}

function message(topic: string, payload: string): BrokerMessage {
  return { topic, payload: Buffer.from(payload), qos: 1, retain: false, properties: {}, createdAt: 0 };
}

function publish(adapter: ClientAdapter, topic: string, payload: string) {
  return adapter.onPublish(topic, message(topic, payload));
}

/** The decision's code, whichever way it came. */
async function codeOf(decision: PublishDecision | Promise<PublishDecision>): Promise<ReasonCode> {
  const d = await decision;
  if (d.kind === 'route') throw new Error('routed');
  return d.kind === 'deferred' ? d.reasonCode : d.reasonCode;
}

function assertDeferred(decision: PublishDecision | Promise<PublishDecision>): Promise<ReasonCode> {
  assert.ok(!(decision instanceof Promise), 'a decision returned synchronously');
  assert.equal(decision.kind, 'deferred');
  return codeOf(decision);
}

describe('device adapter: the synchronous path for value writes', () => {
  test('MQTT-4.6.0-2 ds/NAME, batch_ds, timestamped_batch and erase are deferred decisions once the region check settled', async (t) => {
    const f = await fixture(t);
    const { adapter } = await connectAdapter(f.runtime, f.device);
    const now = Date.now();
    assert.equal(await assertDeferred(publish(adapter, 'ds/Power', '1')), ReasonCode.Success);
    assert.equal(
      await assertDeferred(publish(adapter, 'batch_ds', '{"Power":0,"Label":"x"}')),
      ReasonCode.Success,
    );
    assert.equal(
      await assertDeferred(publish(adapter, 'ds/Power/timestamped_batch', `[[${now},1]]`)),
      ReasonCode.Success,
    );
    assert.equal(await assertDeferred(publish(adapter, 'ds/Label/erase', '')), ReasonCode.Success);
    // Refusals decided inside the handler keep their codes (spec §3.7).
    assert.equal(await assertDeferred(publish(adapter, 'ds/Nope', '1')), ReasonCode.TopicNameInvalid);
    assert.equal(await assertDeferred(publish(adapter, 'ds/Power', 'x')), ReasonCode.PayloadFormatInvalid);
  });

  test('MQTT-4.6.0-2 the value write is issued before the deferred decision is returned', async (t) => {
    const f = await fixture(t);
    const { adapter } = await connectAdapter(f.runtime, f.device);
    const decision = publish(adapter, 'ds/Label', 'first');
    // Read with nothing awaited in between: the write must already be in the store's queue.
    const values = f.platform.devices.currentValues(f.device.id);
    assert.equal(await assertDeferred(decision), ReasonCode.Success);
    assert.deepEqual(
      (await values).map((v) => v.value),
      ['first'],
    );
    // An erase takes effect in order, between the writes around it.
    const writes = [
      publish(adapter, 'ds/Label', 'second'),
      publish(adapter, 'ds/Label/erase', ''),
      publish(adapter, 'ds/Power', '1'),
    ];
    const after = f.platform.devices.currentValues(f.device.id);
    for (const w of writes) assert.equal(await assertDeferred(w), ReasonCode.Success);
    assert.deepEqual(
      (await after).map((v) => v.value),
      [1],
    );
  });

  test('spec §3.2 other uplinks, and any uplink before the region check settled, take the async path', async (t) => {
    const f = await fixture(t);
    const adapter = createDeviceAdapter(f.runtime, f.device);
    adapter.onConnected?.({
      clientId: 'c',
      protocolVersion: 5,
      sessionKey: 's',
      connection: { transport: 'tcp' },
      limitOutboundPacketSize: () => undefined,
      close: () => undefined,
    });
    const early = publish(adapter, 'ds/Power', '1');
    assert.ok(early instanceof Promise, 'region check not yet settled');
    assert.equal(await codeOf(early), ReasonCode.Success);
    for (const [topic, payload] of [
      ['info/mcu', '{"ver":"1.0.0"}'],
      ['get/ds', 'Power'],
      ['event/nope', 'x'],
      ['ds/Power/prop/label', 'x'],
    ] as const) {
      const decision = publish(adapter, topic, payload);
      assert.ok(decision instanceof Promise, topic);
      await decision;
    }
  });

  test('spec §3.2 a device missing from the authentication cache takes the async path and still works', async (t) => {
    const f = await fixture(t);
    const { device } = await f.platform.devices.create(callerFor(f.rootId), {
      templateId: f.template.id,
      name: 'uncached',
    });
    assert.equal(f.platform.devices.peekById(device.id), undefined);
    const { adapter } = await connectAdapter(f.runtime, device);
    const decision = publish(adapter, 'ds/Power', '1');
    assert.ok(decision instanceof Promise);
    assert.equal(await codeOf(decision), ReasonCode.Success);
    assert.deepEqual(
      (await f.platform.devices.currentValues(device.id)).map((v) => v.value),
      [1],
    );
  });

  test('spec §3.4 a redirected device: its data is refused with 0x87 (async path)', async (t) => {
    const f = await fixture(t, 'https://here.example.com', 'https://there.example.com');
    const { adapter } = await connectAdapter(f.runtime, f.device);
    const decision = publish(adapter, 'ds/Power', '1');
    assert.ok(decision instanceof Promise);
    assert.equal(await codeOf(decision), ReasonCode.NotAuthorized);
  });

  test('spec §7.1 flooding on the synchronous path: PUBACK 0x97 and the connection closed with 0x96', async (t) => {
    const f = await fixture(t);
    const flooding: DeviceApiRuntime = {
      ...f.runtime,
      uplinks: { handle: async () => ReasonCode.MessageRateTooHigh },
    };
    const { adapter, closed } = await connectAdapter(flooding, f.device);
    assert.equal(await assertDeferred(publish(adapter, 'ds/Power', '1')), ReasonCode.QuotaExceeded);
    assert.deepEqual(closed, [ReasonCode.MessageRateTooHigh]);
    assert.equal(f.runtime.metrics.floodDisconnects, 1);
  });

  test('spec §3.7 a failing uplink never rejects the deferred code', async (t) => {
    const f = await fixture(t);
    const failing: DeviceApiRuntime = {
      ...f.runtime,
      uplinks: { handle: async () => Promise.reject(new Error('disk on fire')) },
    };
    const { adapter } = await connectAdapter(failing, f.device);
    assert.equal(await assertDeferred(publish(adapter, 'ds/Power', '1')), ReasonCode.UnspecifiedError);
  });

  test('spec §3.1 changes apply at the next publish: template edit, device deleted', async (t) => {
    const f = await fixture(t);
    const { adapter, closed } = await connectAdapter(f.runtime, f.device);
    assert.equal(await assertDeferred(publish(adapter, 'ds/Label', 'x')), ReasonCode.Success);
    const [power] = f.template.datastreams;
    await f.platform.templates.update(callerFor(f.rootId), f.template.id, { datastreams: [power!] });
    assert.equal(await assertDeferred(publish(adapter, 'ds/Label', 'x')), ReasonCode.TopicNameInvalid);
    await f.platform.devices.delete(callerFor(f.rootId), f.device.id);
    const decision = publish(adapter, 'ds/Power', '1');
    assert.ok(decision instanceof Promise, 'no longer cached: the store is asked');
    assert.equal(await codeOf(decision), ReasonCode.NotAuthorized);
    assert.deepEqual(closed, [ReasonCode.NotAuthorized]);
  });
});
