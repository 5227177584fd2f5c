import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { changeOf, followed } from '../../helpers/changes.js';
import { REACHABLE, TargetKind } from '../../helpers/gateway-world.js';
import { callerFor } from '../../helpers/platform.js';
import { asyncCode, deferredCode, live } from './gateway-harness.js';

describe('gateway adapter: the synchronous path for value writes (spec §4.1, §9)', () => {
  for (const login of ['oauth', 'mgmt'] as const) {
    test(`MQTT-4.6.0-2 a value write for a known in-scope target is a deferred decision; other uplinks are not (${login})`, async (t) => {
      const { g, publish } = await live(t, login);
      const same = g.world.tokens[TargetKind.Same];
      const now = g.harness.clock.now();
      assert.equal(await deferredCode(publish(same, 'ds/Power', '2')), ReasonCode.Success);
      assert.equal(await deferredCode(publish(same, 'batch_ds', '{"Power":3}')), ReasonCode.Success);
      assert.equal(
        await deferredCode(publish(same, 'ds/Power/timestamped_batch', `[[${now},4]]`)),
        ReasonCode.Success,
      );
      assert.equal(await deferredCode(publish(same, 'ds/Power/erase', '')), ReasonCode.Success);
      assert.equal(await deferredCode(publish(same, 'ds/Nope')), ReasonCode.TopicNameInvalid);
      assert.equal(await deferredCode(publish(same, 'ds/Flood')), ReasonCode.QuotaExceeded);
      for (const relative of ['get/ds', 'info/mcu', 'event/alarm', 'meta/Serial'])
        assert.equal(await asyncCode(publish(same, relative)), ReasonCode.Success, relative);
      assert.equal(g.handled.length, 11);
      assert.ok(g.handled.every((h) => h.via === 'gateway'));
      assert.equal(g.seen.length, 11, 'spec §4.2 every publish marks the target seen');
    });
  }

  test('spec §4.2 unreachable tokens take the one async path with 0x87, cached or not', async (t) => {
    const { g, publish } = await live(t, 'oauth');
    // Out-of-scope devices known to the cache must not answer any faster or differently.
    for (const kind of [TargetKind.Parent, TargetKind.Sibling, TargetKind.OtherTree])
      assert.ok(await g.platform.devices.authenticateToken(g.world.tokens[kind]));
    const before = g.handled.length;
    for (const kind of Object.values(TargetKind)) {
      if (REACHABLE.has(kind)) continue;
      assert.equal(
        await asyncCode(publish(g.world.tokens[kind], 'ds/Power')),
        ReasonCode.NotAuthorized,
        kind,
      );
    }
    assert.equal(g.handled.length, before);
  });

  test('spec §2.4 a disabled OAuth client is refused at the next publish and the connection closed', async (t) => {
    const { g, client, publish } = await live(t, 'oauth');
    const same = g.world.tokens[TargetKind.Same];
    assert.equal(await deferredCode(publish(same, 'ds/Power')), ReasonCode.Success);
    const handled = g.handled.length;
    await g.platform.oauth.setClientActive(callerFor(g.world.orgs.root), g.world.oauth.client.id, false);
    assert.equal(await asyncCode(publish(same, 'ds/Power')), ReasonCode.NotAuthorized);
    assert.equal(client.sink.ended, true);
    assert.equal(g.handled.length, handled);
  });

  test('spec §2.4 a deleted OAuth client is refused at the next publish and the connection closed', async (t) => {
    const { g, client, publish } = await live(t, 'oauth');
    const same = g.world.tokens[TargetKind.Same];
    assert.equal(await deferredCode(publish(same, 'ds/Power')), ReasonCode.Success);
    await g.platform.oauth.deleteClient(callerFor(g.world.orgs.root), g.world.oauth.client.id);
    assert.equal(await asyncCode(publish(same, 'ds/Power')), ReasonCode.NotAuthorized);
    assert.equal(client.sink.ended, true);
  });

  test('spec §2.4 a change to another OAuth client costs one re-read, then the steady state resumes', async (t) => {
    const { g, publish } = await live(t, 'oauth');
    const same = g.world.tokens[TargetKind.Same];
    const root = callerFor(g.world.orgs.root);
    const other = await g.platform.oauth.createClient(root, { name: 'other' });
    // The change feed delivers the change too (bumping `clientChanges` again): let it, then one re-read.
    const seen = followed(g.platform, changeOf('oauth-client', other.client.id));
    await g.platform.oauth.setClientActive(root, other.client.id, false);
    await seen;
    assert.equal(await asyncCode(publish(same, 'ds/Power')), ReasonCode.Success);
    assert.equal(await deferredCode(publish(same, 'ds/Power')), ReasonCode.Success);
  });

  test('spec §2.3 mgmt_device: a moved gateway moves its scope at the next publish', async (t) => {
    const { g, publish } = await live(t, 'mgmt');
    const root = callerFor(g.world.orgs.root);
    const other = g.world.tokens[TargetKind.OtherTree];
    await g.platform.devices.transfer(root, g.world.gateway.device.id, g.world.orgs.other);
    assert.equal(
      await asyncCode(publish(g.world.tokens[TargetKind.Same], 'ds/Power')),
      ReasonCode.NotAuthorized,
    );
    assert.equal(await asyncCode(publish(other, 'ds/Power')), ReasonCode.Success);
    assert.equal(await deferredCode(publish(other, 'ds/Power')), ReasonCode.Success);
  });

  test('spec §2.3 mgmt_device: the template losing its gateway flag closes the connection at the next publish', async (t) => {
    const { g, client, publish } = await live(t, 'mgmt');
    const same = g.world.tokens[TargetKind.Same];
    assert.equal(await deferredCode(publish(same, 'ds/Power')), ReasonCode.Success);
    const handled = g.handled.length;
    await g.platform.templates.update(callerFor(g.world.orgs.root), g.world.template.id, {
      gatewayEnabled: false,
    });
    assert.equal(await asyncCode(publish(same, 'ds/Power')), ReasonCode.NotAuthorized);
    assert.equal(client.sink.ended, true);
    assert.equal(g.handled.length, handled);
  });

  test('spec §2.3 mgmt_device: a deleted gateway device closes the connection at the next publish', async (t) => {
    const { g, client, publish } = await live(t, 'mgmt');
    const same = g.world.tokens[TargetKind.Same];
    assert.equal(await deferredCode(publish(same, 'ds/Power')), ReasonCode.Success);
    await g.platform.devices.delete(callerFor(g.world.orgs.root), g.world.gateway.device.id);
    assert.equal(await asyncCode(publish(same, 'ds/Power')), ReasonCode.NotAuthorized);
    assert.equal(client.sink.ended, true);
  });

  for (const login of ['oauth', 'mgmt'] as const) {
    test(`spec §9 a target moved out of scope, its org moved, or its token rotated: refused at the next publish (${login})`, async (t) => {
      const { g, publish } = await live(t, login);
      const root = callerFor(g.world.orgs.root);
      const same = g.world.targets[TargetKind.Same]!;
      const child = g.world.targets[TargetKind.Child]!;
      const grand = g.world.targets[TargetKind.Descendant]!;
      for (const target of [child, grand]) {
        assert.equal(await asyncCode(publish(target.token, 'ds/Power')), ReasonCode.Success);
        assert.equal(await deferredCode(publish(target.token, 'ds/Power')), ReasonCode.Success);
      }
      await g.platform.devices.transfer(root, same.device.id, g.world.orgs.sibling);
      assert.equal(await asyncCode(publish(same.token, 'ds/Power')), ReasonCode.NotAuthorized);
      await g.platform.orgs.update(root, g.world.orgs.grandchild, {
        parentOrganizationId: g.world.orgs.otherBranch,
      });
      assert.equal(await asyncCode(publish(grand.token, 'ds/Power')), ReasonCode.NotAuthorized);
      await g.platform.devices.rotateToken(root, child.device.id);
      assert.equal(await asyncCode(publish(child.token, 'ds/Power')), ReasonCode.NotAuthorized);
    });
  }
});
