import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PRINCIPAL_RECHECK_MS } from '../../../src/gateway-api/gateway-adapter.js';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { ofType } from '../../helpers/channel-harness.js';
import { REACHABLE, TargetKind } from '../../helpers/gateway-world.js';
import { callerFor } from '../../helpers/platform.js';
import { gatewayHarness, settle, settleUntil } from './gateway-harness.js';

const ALL_KINDS = Object.values(TargetKind);

describe('gateway scope (spec §2.2, §2.3, §4.2, §9 "Gateway scope")', () => {
  for (const login of ['oauth', 'mgmt'] as const) {
    for (const version of [4, 5] as const) {
      test(`spec §4.2 every target kind: in scope acts, anything else gets one identical answer (${login}, v${version})`, async (t) => {
        const g = await gatewayHarness(t);
        const client = await g.connect(login, version);
        let messageId = 0;
        for (const kind of ALL_KINDS) {
          const token = g.world.tokens[kind];
          messageId += 1;
          await client.publish(`dev/${token}/ds/Power`, '1', { qos: 1, messageId });
          const acks = ofType(client.take(), 'puback');
          const expected =
            REACHABLE.has(kind) || version === 4 ? ReasonCode.Success : ReasonCode.NotAuthorized;
          assert.deepEqual(
            acks.map((a) => [a.messageId, a.reasonCode ?? 0]),
            [[messageId, expected]],
            kind,
          );
          const codes = await client.subscribe(`dev/${token}/downlink/#`, { messageId });
          const refused = version === 5 ? ReasonCode.NotAuthorized : 0x80;
          assert.deepEqual(codes, [REACHABLE.has(kind) ? 1 : refused], kind);
        }
        const reached = new Set(g.handled.map((h) => h.deviceId));
        const expected = [...REACHABLE].map((kind) => g.world.targets[kind]!.device.id);
        assert.deepEqual([...reached].sort(), expected.sort());
        assert.deepEqual(client.takePublishes(), [], 'no diag or any other text for refused tokens');
      });
    }
  }

  test('spec §9 a device transferred out of scope is cut off at once: publish refused, subscription gone', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const child = g.world.targets[TargetKind.Child]!;
    const filter = `dev/${child.token}/downlink/#`;
    await client.subscribe(filter);
    g.downlink(child.device.id, 'downlink/ds/Power', 'before');
    assert.equal(client.takePublishes().length, 1);
    await g.platform.devices.transfer(callerFor(g.world.orgs.root), child.device.id, g.world.orgs.sibling);
    g.downlink(child.device.id, 'downlink/ds/Power', 'after');
    assert.deepEqual(client.takePublishes(), []);
    await settle();
    const key = g.adapters.values().next().value!.sessionKey;
    assert.equal(g.harness.broker.subscriptionsOf(key)?.has(filter), false);
    await client.publish(`dev/${child.token}/ds/Power`, '1', { qos: 1, messageId: 5 });
    assert.equal(ofType(client.take(), 'puback')[0]?.reasonCode, ReasonCode.NotAuthorized);
    // Moving it back makes it reachable again (a new subscription is needed).
    await g.platform.devices.transfer(callerFor(g.world.orgs.root), child.device.id, g.world.orgs.child);
    assert.deepEqual(await client.subscribe(filter), [1]);
  });

  test('spec §9 an org moved out of the scope tree takes its devices with it', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('mgmt', 5);
    const grand = g.world.targets[TargetKind.Descendant]!;
    await client.subscribe(`dev/${grand.token}/#`);
    await g.platform.orgs.update(callerFor(g.world.orgs.root), g.world.orgs.child, {
      parentOrganizationId: g.world.orgs.otherBranch,
    });
    g.downlink(grand.device.id, 'downlink/ds/Power', 'after');
    assert.deepEqual(client.takePublishes(), []);
    await client.publish(`dev/${grand.token}/ds/Power`, '1', { qos: 1 });
    assert.equal(ofType(client.take(), 'puback')[0]?.reasonCode, ReasonCode.NotAuthorized);
  });

  test('spec §9 a rotated token stops delivering under the old token; a deleted device likewise', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const same = g.world.targets[TargetKind.Same]!;
    const child = g.world.targets[TargetKind.Child]!;
    await client.subscribe([
      { topic: `dev/${same.token}/#`, qos: 1 },
      { topic: `dev/${child.token}/#`, qos: 1 },
    ]);
    const fresh = await g.platform.devices.rotateToken(callerFor(g.world.orgs.root), same.device.id);
    await g.platform.devices.delete(callerFor(g.world.orgs.root), child.device.id);
    g.downlink(same.device.id, 'downlink/ds/Power', 'x');
    g.downlink(child.device.id, 'downlink/ds/Power', 'y');
    assert.deepEqual(client.takePublishes(), []);
    const key = g.adapters.values().next().value!.sessionKey;
    // Dropping them reads the devices from the store.
    await settleUntil(() => g.harness.broker.subscriptionsOf(key)?.size === 0);
    assert.equal(g.harness.broker.subscriptionsOf(key)?.size, 0);
    assert.deepEqual(await client.subscribe(`dev/${fresh}/#`), [1]);
    g.downlink(same.device.id, 'downlink/ds/Power', 'z');
    assert.deepEqual(
      client.takePublishes().map((p) => p.topic),
      [`dev/${fresh}/downlink/ds/Power`],
    );
  });

  test('spec §2.4 a disabled OAuth client: next publish is refused and the connection closed with 0x87', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 5);
    const same = g.world.targets[TargetKind.Same]!;
    await g.platform.oauth.setClientActive(callerFor(g.world.orgs.root), g.world.oauth.client.id, false);
    await client.publish(`dev/${same.token}/ds/Power`, '1', { qos: 1 });
    assert.equal(ofType(client.take(), 'disconnect')[0]?.reasonCode, ReasonCode.NotAuthorized);
    assert.equal(client.sink.ended, true);
    assert.deepEqual(g.handled, []);
  });

  test('spec §2.4 a subscribe-only OAuth connection is closed within the re-check interval once deleted', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('oauth', 4);
    await client.subscribe(`dev/${g.world.tokens[TargetKind.Same]}/#`);
    await g.platform.oauth.deleteClient(callerFor(g.world.orgs.root), g.world.oauth.client.id);
    g.harness.clock.advance(PRINCIPAL_RECHECK_MS);
    // The re-check reads the client from the store.
    await settleUntil(() => client.sink.ended);
    assert.equal(client.sink.ended, true);
  });

  test('spec §2.3 mgmt_device: template switched off for gateways closes the connection; a moved gateway moves its scope', async (t) => {
    const g = await gatewayHarness(t);
    const client = await g.connect('mgmt', 5);
    const root = callerFor(g.world.orgs.root);
    await g.platform.devices.transfer(root, g.world.gateway.device.id, g.world.orgs.other);
    await client.publish(`dev/${g.world.tokens[TargetKind.OtherTree]}/ds/Power`, '1', {
      qos: 1,
      messageId: 1,
    });
    await client.publish(`dev/${g.world.tokens[TargetKind.Same]}/ds/Power`, '1', { qos: 1, messageId: 2 });
    assert.deepEqual(
      ofType(client.take(), 'puback').map((a) => a.reasonCode ?? 0),
      [ReasonCode.Success, ReasonCode.NotAuthorized],
    );
    await g.platform.templates.update(root, g.world.template.id, { gatewayEnabled: false });
    await client.publish(`dev/${g.world.tokens[TargetKind.OtherTree]}/ds/Power`, '1', {
      qos: 1,
      messageId: 3,
    });
    assert.equal(ofType(client.take(), 'disconnect')[0]?.reasonCode, ReasonCode.NotAuthorized);
  });
});
