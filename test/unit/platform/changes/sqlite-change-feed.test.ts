import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeChange } from '../../../../src/platform/changes/platform-change.js';
import { callerFor, openPlatformDeps, openTestPlatform } from '../../../helpers/platform.js';

test('SQLite change feed: each committed change to a cached record is delivered in-process after the statement, bookkeeping is not', async (t) => {
  const platform = await openTestPlatform(undefined);
  t.after(() => platform.close());
  const seen: string[] = [];
  platform.changes.subscribe((change) => {
    seen.push(encodeChange(change));
  });
  const root = await platform.orgs.createRoot({ name: 'Root' });
  const caller = callerFor(root.id);
  const org = await platform.orgs.create(caller, { name: 'Org' });
  await platform.orgs.update(caller, org.id, { name: 'Renamed' }); // not a tree change
  const template = await platform.templates.create(caller, {
    name: 'T',
    datastreams: [{ name: 'Power', pin: 1, type: 'Integer', isSync: true, isRaw: true }],
  });
  const { device } = await platform.devices.create(caller, { templateId: template.id, name: 'd' });
  await platform.devices.recordConnection(device.id, { connected: true, at: 1, ip: '10.0.0.1' });
  await platform.devices.setHardwareInfo(device.id, { version: '1.0.0' });
  await platform.devices.rotateToken(caller, device.id);
  const { client } = await platform.oauth.createClient(caller, { name: 'api' });
  await platform.oauth.setClientActive(caller, client.id, false);
  await platform.changes.settled();
  assert.deepEqual(seen, [
    `org:${root.id}`,
    `org:${org.id}`,
    `template:${template.id}`,
    `device:${device.id}`,
    `oauth-client:${client.id}`,
  ]);
});

test('SQLite change feed: the triggers are TEMP (the file schema is untouched)', (t) => {
  const deps = openPlatformDeps(t);
  const inSchema = deps.db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'trigger'")
    .all();
  const temp = deps.db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_temp_schema WHERE type = 'trigger'")
    .all();
  assert.deepEqual(inSchema, []);
  assert.ok(temp.some((row) => row.name === 'devices_changed'));
});
