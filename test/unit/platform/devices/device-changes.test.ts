import assert from 'node:assert/strict';
import { test } from 'node:test';
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
  const changes: Array<[string, () => Promise<unknown>]> = [
    ['renamed', () => platform.devices.update(caller, device.id, { name: 'renamed' })],
    ['moved', () => platform.devices.transfer(caller, device.id, other.id)],
    ['connected', () => platform.devices.recordConnection(device.id, { connected: true, at: 1 })],
    ['token rotated', () => platform.devices.rotateToken(caller, device.id)],
    ['static token deleted', () => platform.devices.deleteStaticToken(caller, made.staticToken.id)],
    ['deleted', () => platform.devices.delete(caller, device.id)],
  ];
  for (const [what, change] of changes) {
    const before = platform.devices.changes();
    // Reads, hits and misses alike, move nothing.
    await platform.devices.authenticateToken(token);
    platform.devices.peekToken(token);
    platform.devices.peekById(device.id);
    await platform.devices.byId(device.id);
    assert.equal(platform.devices.changes(), before, `${what}: reads`);
    await change();
    // The change feed delivers the committed change too (it drops the cached device again).
    await platform.changes.settled();
    assert.ok(platform.devices.changes() > before, what);
  }
});
