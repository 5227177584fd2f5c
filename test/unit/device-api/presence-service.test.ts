import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPresenceService } from '../../../src/device-api/presence-service.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { ConnectionRecord } from '../../../src/platform/devices/device-store.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { callerFor, openTestPlatform } from '../../helpers/platform.js';

async function setup(t: Parameters<typeof openTestPlatform>[0]) {
  const platform = await openTestPlatform(t);
  const root = await platform.orgs.createRoot({ name: 'Root' });
  const template = await platform.templates.create(callerFor(root.id), { name: 'T', offlineDelaySec: 10 });
  const { device } = await platform.devices.create(callerFor(root.id), {
    templateId: template.id,
    name: 'D',
  });
  const clock = new FakeClock(1_000_000);
  const presence = createPresenceService({ platform, clock, logger: silentLogger() });
  t?.after(() => presence.close());
  /** The offline delay is read from the template asynchronously; wait until its timer exists. */
  const armed = async (): Promise<void> => {
    for (let i = 0; i < 1000 && clock.pending === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pending, 1);
  };
  return { platform, device, clock, presence, armed };
}

test('spec §5.10 connect → Online; disconnect → Offline after the template delay', async (t) => {
  const { platform, device, clock, presence, armed } = await setup(t);
  presence.connected(device.id, '10.0.0.1');
  assert.equal(presence.isOnline(device.id), true);
  presence.disconnected(device.id);
  await armed();
  clock.advance(9_999);
  assert.equal(presence.isOnline(device.id), true);
  clock.advance(1);
  assert.equal(presence.isOnline(device.id), false);
  for (let i = 0; i < 100 && (await platform.devices.byId(device.id))?.disconnectTime === undefined; i++)
    await new Promise((r) => setImmediate(r));
  const stored = await platform.devices.byId(device.id);
  assert.equal(stored?.connectTime, 1_000_000);
  assert.equal(stored?.disconnectTime, 1_000_000);
  assert.equal(stored?.ip, '10.0.0.1');
});

test('spec §5.10 a reconnect inside the delay cancels it; overlapping connections count', async (t) => {
  const { device, clock, presence, armed } = await setup(t);
  presence.connected(device.id);
  presence.connected(device.id); // takeover: the new one opens before the old one is gone
  presence.disconnected(device.id);
  clock.advance(60_000);
  assert.equal(presence.isOnline(device.id), true);
  presence.disconnected(device.id);
  await armed();
  clock.advance(5_000);
  presence.connected(device.id);
  clock.advance(60_000);
  assert.equal(presence.isOnline(device.id), true);
});

test('spec §4.2 data through a gateway: Online, each message restarts the delay', async (t) => {
  const { device, clock, presence, armed } = await setup(t);
  presence.seen(device.id);
  assert.equal(presence.isOnline(device.id), true);
  await armed();
  clock.advance(6_000);
  presence.seen(device.id);
  clock.advance(6_000);
  assert.equal(presence.isOnline(device.id), true);
  clock.advance(4_000);
  assert.equal(presence.isOnline(device.id), false);
  assert.equal(clock.pending, 0);
});

test('spec §4.2 gateway data does not take a directly connected device offline', async (t) => {
  const { device, clock, presence } = await setup(t);
  presence.connected(device.id);
  presence.seen(device.id);
  clock.advance(120_000);
  assert.equal(presence.isOnline(device.id), true);
  assert.equal(clock.pending, 0);
});

test('close() cancels every timer', async (t) => {
  const { device, clock, presence, armed } = await setup(t);
  presence.seen(device.id);
  await armed();
  presence.close();
  assert.equal(clock.pending, 0);
});

/** Counts the platform's connection writes and what each one carried. */
function spyConnectionWrites(platform: Awaited<ReturnType<typeof openTestPlatform>>) {
  const calls: ConnectionRecord[][] = [];
  const original = platform.devices.recordConnections.bind(platform.devices);
  let release: (() => void) | undefined;
  let hold = false;
  platform.devices.recordConnections = async (records) => {
    calls.push([...records]);
    if (hold) await new Promise<void>((resolve) => (release = resolve));
    return original(records);
  };
  const settled = async (count: number): Promise<void> => {
    for (let i = 0; i < 1000 && calls.length < count; i++) await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, count);
  };
  return {
    calls,
    settled,
    holdNext: () => (hold = true),
    releaseHeld: () => {
      hold = false;
      release?.();
    },
  };
}

async function moreDevices(
  platform: Awaited<ReturnType<typeof openTestPlatform>>,
  templateId: number,
  n: number,
) {
  const root = (await platform.orgs.list(callerFor(1))).content[0]!;
  const ids: number[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await platform.devices.create(callerFor(root.id), { templateId, name: `E${i}` })).device.id);
  return ids;
}

test('spec §5.10 the connection times of one turn reach the store in one write, merged per device', async (t) => {
  const { platform, device, presence } = await setup(t);
  const spy = spyConnectionWrites(platform);
  const others = await moreDevices(platform, device.templateId, 3);
  presence.connected(device.id, '10.0.0.1');
  presence.connected(device.id); // no address: the first one stays (a takeover's overlap)
  for (const id of others) presence.seen(id);
  presence.seen(others[0]!); // already online: nothing more to write
  await spy.settled(1);
  assert.deepEqual(
    spy.calls[0]!.map((r) => r.deviceId),
    [device.id, ...others],
  );
  assert.deepEqual(spy.calls[0]![0], {
    deviceId: device.id,
    connectedAt: 1_000_000,
    ip: '10.0.0.1',
  });
  for (let i = 0; i < 100 && (await platform.devices.byId(others[2]!))?.connectTime === undefined; i++)
    await new Promise((r) => setImmediate(r));
  assert.equal((await platform.devices.byId(others[2]!))?.connectTime, 1_000_000);
});

test('spec §5.10 one connection write at a time: what arrives meanwhile goes in the next one', async (t) => {
  const { platform, device, presence } = await setup(t);
  const spy = spyConnectionWrites(platform);
  const [a, b] = await moreDevices(platform, device.templateId, 2);
  spy.holdNext();
  presence.seen(device.id);
  await spy.settled(1);
  presence.seen(a!);
  presence.seen(b!);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(spy.calls.length, 1, 'no second write while the first is in flight');
  spy.releaseHeld();
  await spy.settled(2);
  assert.deepEqual(
    spy.calls[1]!.map((r) => r.deviceId),
    [a, b],
  );
});

test('spec §5.10 close() still writes the connection times already noted', async (t) => {
  const { platform, device, presence } = await setup(t);
  const spy = spyConnectionWrites(platform);
  presence.connected(device.id, '10.0.0.2');
  presence.close();
  await spy.settled(1);
  assert.equal(spy.calls[0]![0]?.ip, '10.0.0.2');
  presence.connected(device.id, '10.0.0.3'); // after close: dropped
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(spy.calls.length, 1);
});
