import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { defaultPlatformOptions } from '../../../../src/config/platform-options.js';
import { hashDeviceToken } from '../../../../src/platform/devices/device-token.js';
import { openPlatform } from '../../../../src/platform/platform.js';
import { openSqlitePlatformStores } from '../../../../src/platform/sqlite/open-sqlite-platform.js';
import { callerFor } from '../../../helpers/platform.js';

test('spec §9 tokens and secrets: device tokens are neither in the database file nor in the logs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-tokens-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const tokenKey = randomBytes(32);
  const logger = pino({ level: 'trace' }, sink);
  const platform = await openPlatform({
    stores: openSqlitePlatformStores(join(dir, 'platform.sqlite'), { tokenKey, logger }),
    options: defaultPlatformOptions,
    logger,
    tokenKey,
  });
  const tokens: string[] = [];
  try {
    const root = await platform.orgs.createRoot({ name: 'Root' });
    const caller = callerFor(root.id);
    const template = await platform.templates.create(caller, { name: 'T' });
    const { device, token } = await platform.devices.create(caller, { templateId: template.id, name: 'a' });
    tokens.push(token);
    tokens.push(await platform.devices.rotateToken(caller, device.id));
    assert.equal(await platform.devices.revealToken(caller, device.id), tokens[1]);
    const provisioned = await platform.devices.createProvisioningToken(caller, {
      templateId: template.id,
      name: 'b',
    });
    tokens.push(provisioned.token);
    for (const made of await platform.devices.generateStaticTokens(caller, {
      templateId: template.id,
      count: 5,
    })) {
      tokens.push(made.deviceToken);
    }
    assert.equal(await platform.devices.authenticateToken(tokens[0] ?? ''), undefined, 'rotated away');
    for (const token of tokens.slice(1)) assert.ok(await platform.devices.authenticateToken(token));
  } finally {
    platform.close();
  }
  assert.ok(
    logs.some((line) => line.includes('device token rotated')),
    'the logger was listening',
  );
  const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
  // The scan does see the rows: the lookup hash of a live token is there.
  const liveHash = Buffer.from(hashDeviceToken(tokens[1] ?? ''), 'utf8');
  assert.ok(files.some((bytes) => bytes.includes(liveHash)));
  for (const token of tokens) {
    for (const bytes of files)
      assert.equal(bytes.includes(Buffer.from(token, 'utf8')), false, 'token in the db file');
    for (const line of logs) assert.equal(line.includes(token), false, 'token in a log line');
  }
});
