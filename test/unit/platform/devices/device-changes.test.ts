import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeOf, followed } from '../../../helpers/changes.js';
import { openTestPlatform } from '../../../helpers/platform.js';

test('spec §9 devices.changes() moves on every device change, token rotation and withdrawal; not on reads', async (t) => {
  const platform = await openTestPlatform(t);
  const root = await platform.orgs.createRoot({ name: 'Root' });
  const caller = { orgId: root.id, actor: 'test' };
  const other = await platform.orgs.create(caller, { name: 'Other' });
  const template = await platform.templates.create(caller, { name: 'T' });
  const { device, token } = await platform.devices.create(caller, { templateId: template.id, name: 'd' });
  const [made] = await platform.devices.generateStaticTokens(caller, { templateId: template.id, count: 1 });
  assert.ok(made);
  // With the device the change feed then reports (a connect time is bookkeeping: none).
  const changes: Array<[string, () => Promise<unknown>, number | undefined]> = [
    ['renamed', () => platform.devices.update(caller, device.id, { name: 'renamed' }), device.id],
    ['moved', () => platform.devices.transfer(caller, device.id, other.id), device.id],
    ['connected', () => platform.devices.recordConnection(device.id, { connected: true, at: 1 }), undefined],
    ['token rotated', () => platform.devices.rotateToken(caller, device.id), device.id],
    [
      'static token deleted',
      () => platform.devices.deleteStaticToken(caller, made.staticToken.id),
      made.staticToken.deviceId,
    ],
    ['deleted', () => platform.devices.delete(caller, device.id), device.id],
  ];
  for (const [what, change, reported] of changes) {
    const before = platform.devices.changes();
    // Reads, hits and misses alike, move nothing.
    await platform.devices.authenticateToken(token);
    platform.devices.peekToken(token);
    platform.devices.peekById(device.id);
    await platform.devices.byId(device.id);
    assert.equal(platform.devices.changes(), before, `${what}: reads`);
    // The change feed delivers the committed change too (noted as a change once more).
    const seen = reported === undefined ? undefined : followed(platform, changeOf('device', reported));
    await change();
    await seen;
    assert.ok(platform.devices.changes() > before, what);
  }
});
