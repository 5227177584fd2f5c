import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { callerFor, openTestPlatform } from '../../../helpers/platform.js';

test('login cache: a reopened platform knows its devices by token without a store read (warm restart)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'devgate-warm-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'platform.sqlite');
  const first = await openTestPlatform(undefined, { file });
  const root = await first.orgs.createRoot({ name: 'Root' });
  const template = await first.templates.create(callerFor(root.id), { name: 'T' });
  const { device, token } = await first.devices.create(callerFor(root.id), {
    templateId: template.id,
    name: 'd',
  });
  await first.close();

  const again = await openTestPlatform(t, { file });
  assert.equal(again.devices.peekToken(token)?.id, device.id, 'in memory before any login');
  assert.equal(again.devices.peekById(device.id)?.id, device.id);
});
