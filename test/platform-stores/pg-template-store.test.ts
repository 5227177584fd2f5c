import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type pg from 'pg';
import { createPostgresTemplateStore } from '../../src/platform/postgres/pg-template-store.js';
import type { NewTemplate } from '../../src/platform/templates/template-store.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';
import { describeTemplateStoreContract } from './template-store.contract.js';

/** A device row of the template `id` with plain SQL (the device store is not under test here). */
async function insertDevice(db: pg.Pool | pg.PoolClient, id: number): Promise<void> {
  await db.query(
    `INSERT INTO devices (name, template_id, org_id, status, token_hash, token_enc, created_at, last_modified_ts)
     SELECT 'd', id, org_id, 'CREATED', $2, $3, 0, 0 FROM templates WHERE id = $1`,
    [id, randomBytes(32).toString('hex'), randomBytes(16)],
  );
}

describeTemplateStoreContract(
  'postgres',
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const root = await insertPgOrgRow(pool, 'Root', null);
    const child = await insertPgOrgRow(pool, 'Child', root);
    return {
      store: createPostgresTemplateStore(pool),
      orgIds: [root, child],
      addDevice: (templateId) => insertDevice(pool, templateId),
    };
  },
  postgresTestOptions(),
);

const draft = (orgId: number, templateId = 'TMPLpostgres'): NewTemplate => ({
  templateId,
  orgId,
  name: 'T',
  description: '',
  boardType: '',
  connectionType: '',
  gatewayEnabled: false,
  offlineDelaySec: 60,
  datastreams: [{ name: 'Power', pin: 0, type: 'Integer', isSync: false, isRaw: false }],
  events: [{ code: 'e', name: 'e', type: 'INFORMATION', description: '' }],
  metaFields: [{ name: 'Device Name', type: 'DeviceName', builtIn: true }],
});

const countRows = async (pool: pg.Pool, table: string) =>
  (await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n;

test(
  'PostgreSQL template store - templates.org_id must name an organization (foreign key)',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresTemplateStore(pool);
    await assert.rejects(store.insert(draft(4242), 0), { code: '23503' });
    assert.deepEqual(await store.loadAll(), []);
    for (const table of ['datastreams', 'template_events', 'meta_fields']) {
      assert.equal(await countRows(pool, table), 0, table);
    }
  },
);

test(
  'PostgreSQL template store - an organization that owns templates cannot be deleted under the cache',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const org = await insertPgOrgRow(pool, 'Root', null);
    await createPostgresTemplateStore(pool).insert(draft(org), 0);
    await assert.rejects(pool.query('DELETE FROM organizations WHERE id = $1', [org]), { code: '23503' });
  },
);

test(
  'PostgreSQL template store - deleting a template deletes its child rows',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresTemplateStore(pool);
    const created = await store.insert(draft(await insertPgOrgRow(pool, 'Root', null)), 0);
    assert.equal(await store.delete(created.id), 'deleted');
    for (const table of ['datastreams', 'template_events', 'meta_fields']) {
      assert.equal(await countRows(pool, table), 0, table);
    }
  },
);

test(
  'PostgreSQL template store - delete waits for an uncommitted device insert of the template, then refuses with in-use',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresTemplateStore(pool);
    const created = await store.insert(draft(await insertPgOrgRow(pool, 'Root', null)), 0);
    // A device insert holds its key-share lock on the template, uncommitted: delete must wait for it.
    const writer = await pool.connect();
    try {
      await writer.query('BEGIN');
      await insertDevice(writer, created.id);
      const deleting = store.delete(created.id);
      await waitForLockWait(pool);
      await writer.query('COMMIT');
      assert.equal(await deleting, 'in-use');
    } finally {
      writer.release(); // before the harness ends the pool, which waits for every connection
    }
    assert.deepEqual(await store.get(created.id), created);
  },
);

test(
  'PostgreSQL template store - a full-list update is one transaction: a failing list leaves every list as it was',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresTemplateStore(pool);
    const created = await store.insert(draft(await insertPgOrgRow(pool, 'Root', null)), 0);
    // The event type breaks its CHECK constraint after the datastreams were already replaced.
    const badEvent = { code: 'x', name: 'x', type: 'BOGUS' as 'INFORMATION', description: '' };
    await assert.rejects(
      store.update(created.id, { name: 'changed' }, { datastreams: [], events: [badEvent] }, 5),
      { code: '23514' },
    );
    assert.deepEqual(await store.get(created.id), created);
  },
);

test(
  'PostgreSQL template store - concurrent full-list updates of one template leave exactly one of the lists',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const store = createPostgresTemplateStore(pool);
    const created = await store.insert(draft(await insertPgOrgRow(pool, 'Root', null)), 0);
    const list = (prefix: string, length: number) =>
      Array.from({ length }, (_, pin) => ({
        name: `${prefix}${pin}`,
        pin,
        type: 'Integer' as const,
        isSync: false,
        isRaw: false,
      }));
    const lists = [list('a', 3), list('b', 2), list('c', 4)];
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        lists.map((datastreams, i) => store.update(created.id, {}, { datastreams }, round * 10 + i)),
      );
      const names = (await store.get(created.id))?.datastreams.map((d) => d.name);
      assert.ok(
        lists.some((l) => JSON.stringify(l.map((d) => d.name)) === JSON.stringify(names)),
        `round ${round}: ${names?.join(',')}`,
      );
    }
  },
);

/** Resolves once some backend of the database waits on a lock (the racing statement is blocked). */
async function waitForLockWait(pool: pg.Pool): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
