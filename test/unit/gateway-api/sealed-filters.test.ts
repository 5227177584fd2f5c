import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { gatewayFilterSeal, sealGatewayFilter } from '../../../src/gateway-api/sealed-filters.js';
import { isValidTopicFilter } from '../../../src/mqtt/topic/validate.js';
import { hashDeviceToken } from '../../../src/platform/devices/device-token.js';
import { buildGatewayWorld, TargetKind } from '../../helpers/gateway-world.js';
import { callerFor, openTestPlatform } from '../../helpers/platform.js';

async function world(t: TestContext) {
  const platform = await openTestPlatform(t);
  const root = await platform.orgs.createRoot({ name: 'Root' });
  const w = await buildGatewayWorld(platform, root.id);
  const same = w.targets[TargetKind.Same]!;
  return { platform, root, w, same, seal: gatewayFilterSeal(platform) };
}

describe('sealed gateway filters (tokens never stored)', () => {
  test('dev/{token}/… is sealed with the token hash, never the token, and is no valid filter', async (t) => {
    const { same } = await world(t);
    const id = same.device.id;
    const hash = hashDeviceToken(same.token);
    assert.equal(sealGatewayFilter(`dev/${same.token}/#`, `$dev/${id}/downlink/#`), `dev/#${hash}/#`);
    const sealed = sealGatewayFilter(`dev/${same.token}/downlink/ds/+`, `$dev/${id}/downlink/ds/+`);
    assert.equal(sealed, undefined, '"+" is refused by the gateway grammar: not a gateway filter');
    const ds = sealGatewayFilter(`dev/${same.token}/downlink/ds/Power`, `$dev/${id}/downlink/ds/Power`);
    assert.equal(ds, `dev/#${hash}/downlink/ds/Power`);
    assert.ok(ds !== undefined && !ds.includes(same.token));
    assert.equal(isValidTopicFilter(ds, 128), false, 'cannot collide with a filter a client sends');
  });

  test('only gateway mappings are sealed: device API filters and mismatched mappings are kept', async (t) => {
    const { same } = await world(t);
    const id = same.device.id;
    assert.equal(sealGatewayFilter('downlink/#', `$dev/${id}/downlink/#`), undefined);
    assert.equal(sealGatewayFilter(`dev/${same.token}/#`, `$dev/${id}/downlink/ds/#`), undefined);
    assert.equal(sealGatewayFilter(`dev/${same.token}/#`, 'dev/x/#'), undefined);
  });

  test('unseal gives the wire filter back while the token is current', async (t) => {
    const { same, seal } = await world(t);
    const match = `$dev/${same.device.id}/downlink/#`;
    for (const wire of [`dev/${same.token}/#`, `dev/${same.token}/downlink/#`]) {
      const sealed = seal.seal(wire, match);
      assert.ok(sealed);
      assert.equal(await seal.unseal(sealed, match), wire);
    }
  });

  test('unseal gives nothing once the token was rotated or the device deleted, or for another device', async (t) => {
    const { platform, root, w, same, seal } = await world(t);
    const child = w.targets[TargetKind.Child]!;
    const match = (id: number) => `$dev/${id}/downlink/#`;
    const sealedSame = seal.seal(`dev/${same.token}/#`, match(same.device.id))!;
    const sealedChild = seal.seal(`dev/${child.token}/#`, match(child.device.id))!;
    assert.equal(await seal.unseal(sealedSame, match(child.device.id)), undefined, 'hash of another device');
    assert.equal(await seal.unseal('dev/#nothex/#', match(same.device.id)), undefined);
    await platform.devices.rotateToken(callerFor(root.id), same.device.id);
    assert.equal(await seal.unseal(sealedSame, match(same.device.id)), undefined, 'rotated');
    await platform.devices.delete(callerFor(root.id), child.device.id);
    assert.equal(await seal.unseal(sealedChild, match(child.device.id)), undefined, 'deleted');
  });
});
