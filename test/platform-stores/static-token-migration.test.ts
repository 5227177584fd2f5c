import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { pino } from 'pino';
import { defaultPlatformOptions } from '../../src/config/platform-options.js';
import { openPlatform } from '../../src/platform/platform.js';
import { openPlatformDatabase } from '../../src/platform/sqlite/database.js';
import { platformMigrations } from '../../src/platform/sqlite/migrations.js';
import { openSqlitePlatformStores } from '../../src/platform/sqlite/open-sqlite-platform.js';
import { callerFor } from '../helpers/platform.js';

const CLEAR_SCHEMA = 5; // the last schema with static_tokens.token in clear text

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'devgate-static-tokens-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A schema-5 database holding `tokens.length` static tokens in clear text (as it wrote them). */
function oldDatabase(file: string, tokens: readonly string[]): void {
  const db = openPlatformDatabase(file, { migrations: platformMigrations.slice(0, CLEAR_SCHEMA) });
  const org = db
    .prepare(
      `INSERT INTO organizations (parent_id, name, name_lower, type, tz, unit_system, created_at, last_modified_ts)
       VALUES (NULL, 'Root', 'root', 'ROOT', 'UTC', 'METRIC', 1, 1) RETURNING id`,
    )
    .get() as { id: number };
  const template = db
    .prepare(
      `INSERT INTO templates (template_id, org_id, name, created_at, last_modified_ts)
       VALUES ('TMPL0001', ?, 'T', 1, 1) RETURNING id`,
    )
    .get(org.id) as { id: number };
  const insert = (token: string): number => {
    const device = db
      .prepare(
        `INSERT INTO devices (name, template_id, org_id, status, token_hash, token_enc, created_at, last_modified_ts)
         VALUES ('d', ?, ?, 'UNCLAIMED', ?, ?, 1, 1) RETURNING id`,
      )
      .get(template.id, org.id, randomBytes(32).toString('hex'), randomBytes(40)) as { id: number };
    const row = db
      .prepare(
        `INSERT INTO static_tokens (token, org_id, product_id, device_id, status, created_at)
         VALUES (?, ?, ?, ?, 'UNCLAIMED', 1) RETURNING id`,
      )
      .get(token, org.id, template.id, device.id) as { id: number };
    return row.id;
  };
  for (const token of tokens) insert(token);
  // A deleted token whose id must not come back.
  db.prepare('DELETE FROM static_tokens WHERE id = ?').run(insert('sqr_deleted'));
  db.close();
}

/** Every byte of every file in `dir` (database, -wal, -shm), as latin1 text for substring search. */
function allBytes(dir: string): string {
  return readdirSync(dir)
    .map((name) => readFileSync(join(dir, name)).toString('latin1'))
    .join('\n');
}

test('schema 6: clear-text static tokens are converted to hash + ciphertext, no copy left in any file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'platform.sqlite');
  const tokens = Array.from({ length: 40 }, () => `sqr_${randomBytes(24).toString('base64url')}`);
  oldDatabase(file, tokens);
  assert.ok(allBytes(dir).includes(tokens[0] as string), 'the old file holds the token in clear');

  const tokenKey = randomBytes(32);
  const platform = await openPlatform({
    stores: openSqlitePlatformStores(file, { tokenKey }),
    options: defaultPlatformOptions,
    logger: pino({ level: 'silent' }),
    tokenKey,
  });
  const root = await platform.orgs.root();
  assert.ok(root);
  const caller = callerFor(root.id);
  const listed = await platform.devices.listStaticTokens(caller, { page: 0, size: 100 });
  assert.deepEqual(
    listed.content.map((s) => s.token),
    tokens,
    'the API still shows every token, in order',
  );
  const claimed = await platform.devices.claimStaticToken(caller, tokens[3] as string, { name: 'Mine' });
  assert.equal(claimed.name, 'Mine', 'a converted token still claims its device');
  const [fresh] = await platform.devices.generateStaticTokens(caller, {
    templateId: listed.content[0]!.productId,
    count: 1,
  });
  assert.equal(fresh?.staticToken.id, tokens.length + 2, 'ids go on after the deleted one, never reused');
  platform.close();

  const bytes = allBytes(dir);
  for (const token of tokens) assert.ok(!bytes.includes(token), 'no clear token in any file');
  assert.doesNotMatch(bytes, /sqr_[A-Za-z0-9_-]{8}/, 'not even a fragment of one');
});

test('schema 6: clear-text static tokens are not converted without the key (the file is left as it was)', (t) => {
  const file = join(tempDir(t), 'platform.sqlite');
  oldDatabase(file, ['sqr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
  assert.throws(() => openPlatformDatabase(file), /need the secret key/);
  const db = openPlatformDatabase(file, { migrations: platformMigrations.slice(0, CLEAR_SCHEMA) });
  assert.equal(db.pragma('user_version', { simple: true }), CLEAR_SCHEMA);
  db.close();
});
