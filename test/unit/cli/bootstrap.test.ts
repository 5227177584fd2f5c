import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  ADMIN_CREDENTIALS_FILE,
  bootstrapAdmin,
  DataFileError,
  loadOrCreateTokenKey,
  readAdminCredentials,
  SECRET_KEY_FILE,
} from '../../../src/platform/admin-bootstrap.js';
import { ensureRootAndAdmin } from '../../../src/platform/bootstrap.js';
import { openTestPlatform } from '../../helpers/platform.js';
import { tempDataDir } from '../../helpers/platform-server.js';

const ROOT = { name: 'My Organization', tz: 'UTC' };

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('first start (spec §5.1 root organization, §5.8 admin OAuth client)', () => {
  test('creates the root org and an admin client once; verified credentials are reused', async (t) => {
    const platform = await openTestPlatform(t);
    const first = await ensureRootAndAdmin(platform, { rootOrg: { name: 'Acme Corp', tz: 'Europe/Kyiv' } });
    assert.equal(first.rootCreated, true);
    assert.equal(first.clientCreated, true);
    assert.equal(first.root.type, 'ROOT');
    assert.equal(first.root.tz, 'Europe/Kyiv');
    assert.equal(first.credentials.orgId, first.root.id);
    const client = await platform.oauth.verifyClient(
      first.credentials.clientId,
      first.credentials.clientSecret,
    );
    assert.equal(client?.orgId, first.root.id);

    const again = await ensureRootAndAdmin(platform, { rootOrg: ROOT, existing: first.credentials });
    assert.equal(again.rootCreated, false);
    assert.equal(again.clientCreated, false);
    assert.equal(again.root.name, 'Acme Corp', 'the root is not renamed by later starts');
    assert.deepEqual(again.credentials, first.credentials);
  });

  test('missing, wrong or disabled credentials get a new admin client', async (t) => {
    const platform = await openTestPlatform(t);
    const first = await ensureRootAndAdmin(platform, { rootOrg: ROOT });
    const lost = await ensureRootAndAdmin(platform, { rootOrg: ROOT });
    assert.equal(lost.clientCreated, true);
    assert.notEqual(lost.credentials.clientId, first.credentials.clientId);
    const wrong = await ensureRootAndAdmin(platform, {
      rootOrg: ROOT,
      existing: { ...lost.credentials, clientSecret: 'not-the-secret' },
    });
    assert.equal(wrong.clientCreated, true);
    const caller = { orgId: wrong.root.id, actor: 'test' };
    const clients = await platform.oauth.listClients(caller);
    const current = clients.content.find((c) => c.clientId === wrong.credentials.clientId)!;
    await platform.oauth.setClientActive(caller, current.id, false);
    const disabled = await ensureRootAndAdmin(platform, { rootOrg: ROOT, existing: wrong.credentials });
    assert.equal(disabled.clientCreated, true);
  });

  test('bootstrapAdmin writes admin-credentials.json 0600 and reuses it on the next start', async (t) => {
    const dir = await tempDataDir(t);
    const platform = await openTestPlatform(t);
    const first = await bootstrapAdmin(platform, dir, ROOT);
    const path = join(dir, ADMIN_CREDENTIALS_FILE);
    assert.equal(first.credentialsPath, path);
    assert.equal(await mode(path), 0o600);
    const written = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(written), ['orgId', 'clientId', 'clientSecret', 'email', 'password']);
    assert.deepEqual(written, { ...first.credentials });
    assert.equal(first.userCreated, true);
    assert.equal(written.email, 'admin@devgate.local');
    const login = await platform.sessions.login('admin@devgate.local', String(written.password));
    assert.deepEqual(
      login?.memberships.map((m) => [m.orgId, m.role]),
      [[first.root.id, 'admin']],
    );

    const second = await bootstrapAdmin(platform, dir, ROOT);
    assert.equal(second.clientCreated, false);
    assert.equal(second.userCreated, false, 'one admin user, made once');
    assert.deepEqual(await readAdminCredentials(dir), first.credentials);

    await writeFile(path, '{ not json');
    await assert.rejects(readAdminCredentials(dir), DataFileError);
    const repaired = await bootstrapAdmin(platform, dir, ROOT);
    assert.equal(repaired.clientCreated, true, 'an unreadable file is replaced');
    assert.deepEqual(await readAdminCredentials(dir), repaired.credentials);
    assert.equal(await mode(path), 0o600);
  });

  test('a data directory whose platform has no user gets the admin user on the next start', async (t) => {
    const dir = await tempDataDir(t);
    const platform = await openTestPlatform(t);
    // An earlier version's start: root org and admin client, no user.
    const earlier = await ensureRootAndAdmin(platform, { rootOrg: ROOT });
    await writeFile(join(dir, ADMIN_CREDENTIALS_FILE), JSON.stringify(earlier.credentials));
    const next = await bootstrapAdmin(platform, dir, ROOT, 'ops@example.com');
    assert.equal(next.clientCreated, false);
    assert.equal(next.userCreated, true);
    const kept = await readAdminCredentials(dir);
    assert.equal(kept?.clientId, earlier.credentials.clientId);
    assert.equal(kept?.email, 'ops@example.com');
    assert.ok(kept?.password !== undefined && kept.password.length >= 20);
    assert.ok(await platform.sessions.login('OPS@example.com', kept.password));
  });

  test('secret.key: 32 random bytes, created 0600 once, then read back; a corrupt key is refused', async (t) => {
    const dir = await tempDataDir(t);
    const created = await loadOrCreateTokenKey(dir);
    assert.equal(created.created, true);
    assert.equal(created.key.length, 32);
    assert.equal(await mode(join(dir, SECRET_KEY_FILE)), 0o600);
    const read = await loadOrCreateTokenKey(dir);
    assert.equal(read.created, false);
    assert.ok(read.key.equals(created.key));
    await writeFile(join(dir, SECRET_KEY_FILE), 'c2hvcnQ=\n');
    await assert.rejects(loadOrCreateTokenKey(dir), /expected 32 base64-encoded bytes/);
  });
});
