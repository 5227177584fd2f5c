import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultLimits } from '../../../src/config/limits.js';
import { callerFor } from '../../helpers/platform.js';
import { gatewayHarness } from './gateway-harness.js';

const DEVICES = 10_000;

describe('gateway capacity (spec §4 "Limits")', () => {
  test(`spec §4 a gateway may hold ${DEVICES} device subscriptions, each delivered under its own token`, async (t) => {
    assert.ok(defaultLimits.maxSubscriptionsPerSession >= DEVICES, 'the default session limit allows it');
    const g = await gatewayHarness(t);
    const root = callerFor(g.world.orgs.root);
    const devices: Array<{ id: number; token: string }> = [];
    for (let i = 0; i < DEVICES; i++) {
      const { device, token } = await g.platform.devices.create(root, {
        templateId: g.world.template.id,
        name: `n${i}`,
        orgId: g.world.orgs.child,
      });
      devices.push({ id: device.id, token });
    }
    const client = await g.connect('mgmt', 5);
    const heapBefore = process.memoryUsage().heapUsed;
    const codes = await client.subscribe(
      devices.map((d) => ({ topic: `dev/${d.token}/#`, qos: 0 as const })),
    );
    const perSubscription = (process.memoryUsage().heapUsed - heapBefore) / DEVICES;
    t.diagnostic(`heap per gateway subscription ≈ ${Math.round(perSubscription)} bytes`);
    assert.equal(codes.filter((c) => c === 0).length, DEVICES);
    for (const [i, d] of devices.entries()) g.downlink(d.id, 'downlink/ds/Power', String(i));
    // QoS 0 grants: no inflight window in the way (this test client sends no PUBACKs).
    const publishes = client.takePublishes();
    assert.equal(publishes.length, DEVICES);
    for (const [i, p] of publishes.entries()) {
      assert.equal(p.topic, `dev/${devices[i]!.token}/downlink/ds/Power`);
      assert.equal(p.payload.toString(), String(i));
    }
  });
});
