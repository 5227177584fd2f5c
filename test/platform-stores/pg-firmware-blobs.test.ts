import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BLOB_CHUNK_BYTES, createPostgresFirmwareBlobs } from '../../src/ota/postgres-firmware-blobs.js';
import { postgresTestOptions } from '../helpers/postgres.js';
import { describeFirmwareBlobsContract } from './firmware-blobs.contract.js';
import { insertPgOrgRow, openTestPlatformPool } from './pg-platform-db.js';

describeFirmwareBlobsContract(
  'postgres',
  async (t) => createPostgresFirmwareBlobs((await openTestPlatformPool(t)).pool),
  postgresTestOptions(),
);

test(
  'firmware blobs (postgres): sweep keeps bytes a firmware row names, even when not in keep',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const blobs = createPostgresFirmwareBlobs(pool);
    const sha = 'd'.repeat(64);
    await blobs.save(sha, Buffer.from('bytes'));
    // A row committed after the caller read the hashes (another process uploading meanwhile).
    const org = await insertPgOrgRow(pool, 'o', null);
    await pool.query(
      `INSERT INTO firmware (org_id, name, size, sha256, md5, created_at) VALUES ($1, 'f', 5, $2, 'm', 0)`,
      [org, sha],
    );
    assert.equal(await blobs.sweep(new Set()), 0);
    assert.notEqual(await blobs.stream(sha), undefined);
  },
);

test(
  'firmware blobs (postgres): bytes removed mid-download fail the stream',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const blobs = createPostgresFirmwareBlobs(pool);
    const sha = 'f'.repeat(64);
    await blobs.save(sha, randomBytes(BLOB_CHUNK_BYTES * 3));
    const stream = await blobs.stream(sha);
    assert.ok(stream);
    await blobs.remove(sha);
    await assert.rejects(async () => {
      for await (const _ of stream);
    }, /changed while it was being read/);
  },
);

test(
  'firmware blobs (postgres): bytes stored out of line, uncompressed, so a piece is read alone',
  postgresTestOptions(),
  async (t) => {
    const { pool } = await openTestPlatformPool(t);
    const { rows } = await pool.query<{ attstorage: string }>(
      `SELECT attstorage FROM pg_attribute WHERE attrelid = 'firmware_blobs'::regclass AND attname = 'bytes'`,
    );
    assert.equal(rows[0]?.attstorage, 'e', 'STORAGE EXTERNAL');
  },
);
