import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPresenceService } from '../../../src/device-api/presence-service.js';
import { silentLogger } from '../../../src/observability/logger.js';
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
