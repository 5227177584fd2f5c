import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReasonCode } from '../../../src/mqtt/codec/reason-codes.js';
import { changeOf, followed } from '../../helpers/changes.js';
import { TargetKind } from '../../helpers/gateway-world.js';
import { callerFor } from '../../helpers/platform.js';
import { asyncCode, deferredCode, type LiveGateway, live } from './gateway-harness.js';

const LOGINS = ['oauth', 'mgmt'] as const;

/** Two fast publishes for `token`: its book entry holds a target found current (the steady state). */
async function steady(gw: LiveGateway, token: string): Promise<void> {
  for (let i = 0; i < 2; i++)
    assert.equal(await deferredCode(gw.publish(token, 'ds/Power')), ReasonCode.Success);
}

/** What an unknown token gets: the one async path, 0x87, no uplink handled. Twice: nothing is remembered. */
async function refusedLikeUnknown(gw: LiveGateway, token: string): Promise<void> {
  const handled = gw.g.handled.length;
  for (let i = 0; i < 2; i++)
    assert.equal(await asyncCode(gw.publish(token, 'ds/Power')), ReasonCode.NotAuthorized);
  assert.equal(gw.g.handled.length, handled, 'nothing handled for the refused token');
  assert.equal(
    gw.client.takePublishes().length,
    0,
    'no diag tells it apart from an unknown token (spec §4.2)',
  );
}

/** Counts the token lookups by hash (`peekToken`) the gateway makes. */
function countPeekToken(gw: LiveGateway): () => number {
  const devices = gw.g.platform.devices;
  const peekToken = devices.peekToken.bind(devices);
  let calls = 0;
  devices.peekToken = (token) => {
    calls += 1;
    return peekToken(token);
  };
  return () => calls;
}

describe('gateway device book: targets remembered per token follow every change (spec §4.2, §9)', () => {
  for (const login of LOGINS) {
    test(`spec §4.2 a steady publish does not look its token up again while no device changed (${login})`, async (t) => {
      const gw = await live(t, login);
      const same = gw.g.world.tokens[TargetKind.Same];
      await steady(gw, same);
      const lookups = countPeekToken(gw);
      for (let i = 0; i < 5; i++)
        assert.equal(await deferredCode(gw.publish(same, 'ds/Power')), ReasonCode.Success);
      assert.equal(lookups(), 0);
      // Another device changing costs a re-check against the cache (no read): still synchronous.
      const other = gw.g.world.targets[TargetKind.Child]!;
      await gw.g.platform.devices.update(callerFor(gw.g.world.orgs.root), other.device.id, {
        name: 'renamed',
      });
      await steady(gw, same);
      assert.equal(lookups(), 0, 'the cache still holds the very snapshot: no hash');
      // The target itself changing (a new snapshot): looked up by its token once, then steady again.
      const target = gw.g.world.targets[TargetKind.Same]!;
      await gw.g.platform.devices.update(callerFor(gw.g.world.orgs.root), target.device.id, {
        name: 'renamed',
      });
      await steady(gw, same);
      assert.equal(lookups(), 1);
      assert.equal(gw.g.targets.at(-1)?.device.name, 'renamed', 'the current snapshot is used');
    });

    test(`spec §9 a rotated token is refused like an unknown one; the new token acts (${login})`, async (t) => {
      const gw = await live(t, login);
      const target = gw.g.world.targets[TargetKind.Same]!;
      await steady(gw, target.token);
      const fresh = await gw.g.platform.devices.rotateToken(
        callerFor(gw.g.world.orgs.root),
        target.device.id,
      );
      await refusedLikeUnknown(gw, target.token);
      assert.equal(await asyncCode(gw.publish(fresh, 'ds/Power')), ReasonCode.Success);
      await steady(gw, fresh);
      assert.equal(gw.g.handled.at(-1)?.deviceId, target.device.id);
    });

    test(`spec §9 a deleted target is refused like an unknown token (${login})`, async (t) => {
      const gw = await live(t, login);
      const target = gw.g.world.targets[TargetKind.Child]!;
      assert.equal(await asyncCode(gw.publish(target.token, 'ds/Power')), ReasonCode.Success);
      await steady(gw, target.token);
      await gw.g.platform.devices.delete(callerFor(gw.g.world.orgs.root), target.device.id);
      await refusedLikeUnknown(gw, target.token);
    });

    test(`spec §9 a target moved out of scope is refused like an unknown token; moved back it acts again (${login})`, async (t) => {
      const gw = await live(t, login);
      const root = callerFor(gw.g.world.orgs.root);
      const target = gw.g.world.targets[TargetKind.Same]!;
      await steady(gw, target.token);
      await gw.g.platform.devices.transfer(root, target.device.id, gw.g.world.orgs.sibling);
      await refusedLikeUnknown(gw, target.token);
      // The authentication cache holds the moved device: back in scope, it acts at once.
      await gw.g.platform.devices.transfer(root, target.device.id, gw.g.world.orgs.child);
      await steady(gw, target.token);
    });

    test(`spec §9 the target's org moved out of the scope tree: refused like an unknown token (${login})`, async (t) => {
      const gw = await live(t, login);
      const target = gw.g.world.targets[TargetKind.Descendant]!;
      assert.equal(await asyncCode(gw.publish(target.token, 'ds/Power')), ReasonCode.Success);
      await steady(gw, target.token);
      // No device changes: only the org tree does.
      const changes = gw.g.platform.devices.changes();
      await gw.g.platform.orgs.update(callerFor(gw.g.world.orgs.root), gw.g.world.orgs.grandchild, {
        parentOrganizationId: gw.g.world.orgs.otherBranch,
      });
      assert.equal(gw.g.platform.devices.changes(), changes);
      await refusedLikeUnknown(gw, target.token);
    });

    test(`spec §5.9 a deleted static token: its device token is refused like an unknown one (${login})`, async (t) => {
      const gw = await live(t, login);
      const scope = callerFor(gw.g.world.orgs.scope);
      const [made] = await gw.g.platform.devices.generateStaticTokens(scope, {
        templateId: gw.g.world.template.id,
        count: 1,
      });
      assert.ok(made);
      assert.equal(await asyncCode(gw.publish(made.deviceToken, 'ds/Power')), ReasonCode.Success);
      await steady(gw, made.deviceToken);
      await gw.g.platform.devices.deleteStaticToken(scope, made.staticToken.id);
      await refusedLikeUnknown(gw, made.deviceToken);
    });

    test(`spec §5.9 a claimed device deleted by its owner returns to the token's org: out of scope, refused (${login})`, async (t) => {
      const gw = await live(t, login);
      const { world, platform } = gw.g;
      const [made] = await platform.devices.generateStaticTokens(callerFor(world.orgs.sibling), {
        templateId: world.template.id,
        count: 1,
      });
      assert.ok(made);
      const root = callerFor(world.orgs.root);
      // The change feed delivers the claim too; a lookup overlapping it is (safely) not cached.
      const claimSeen = followed(platform, changeOf('device', made.staticToken.deviceId));
      const claimed = await platform.devices.claimStaticToken(root, made.staticToken.token, {
        orgId: world.orgs.child,
      });
      await claimSeen;
      assert.equal(await asyncCode(gw.publish(made.deviceToken, 'ds/Power')), ReasonCode.Success);
      await steady(gw, made.deviceToken);
      await platform.devices.delete(root, claimed.id);
      // The firmware's token keeps working, but for a device back in the sibling org.
      assert.equal((await platform.devices.authenticateToken(made.deviceToken))?.orgId, world.orgs.sibling);
      await refusedLikeUnknown(gw, made.deviceToken);
    });
  }

  test("spec §3.1 a template change reaches the next publish's target (oauth)", async (t) => {
    const gw = await live(t, 'oauth');
    const same = gw.g.world.tokens[TargetKind.Same];
    await steady(gw, same);
    const before = gw.g.targets.at(-1);
    assert.ok(before);
    await gw.g.platform.templates.update(callerFor(gw.g.world.orgs.root), gw.g.world.template.id, {
      name: 'Renamed template',
    });
    await steady(gw, same);
    assert.equal(gw.g.targets.at(-1)?.template.name, 'Renamed template');
    assert.equal(gw.g.targets.at(-1)?.device, before.device, 'the device snapshot did not change');
  });

  test('spec §2.3 mgmt_device: a steady gateway whose template loses the gateway flag is closed (0x87)', async (t) => {
    const gw = await live(t, 'mgmt');
    const same = gw.g.world.tokens[TargetKind.Same];
    await steady(gw, same);
    await gw.g.platform.templates.update(callerFor(gw.g.world.orgs.root), gw.g.world.template.id, {
      gatewayEnabled: false,
    });
    assert.equal(await asyncCode(gw.publish(same, 'ds/Power')), ReasonCode.NotAuthorized);
    assert.equal(gw.client.sink.ended, true);
  });

  test('spec §2.4 a steady OAuth gateway whose client is disabled is closed (0x87)', async (t) => {
    const gw = await live(t, 'oauth');
    const same = gw.g.world.tokens[TargetKind.Same];
    await steady(gw, same);
    await gw.g.platform.oauth.setClientActive(
      callerFor(gw.g.world.orgs.root),
      gw.g.world.oauth.client.id,
      false,
    );
    assert.equal(await asyncCode(gw.publish(same, 'ds/Power')), ReasonCode.NotAuthorized);
    assert.equal(gw.client.sink.ended, true);
  });
});
